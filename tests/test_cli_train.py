"""`autograd-nn train`: data, MLP, accuracy, the two pictures and the model file."""

import contextlib
import io
import json
import os
import re
import signal
import sys
import time

import pytest

from autograd_nn.cli import TRAIN_DPI, main
from autograd_nn.cli.common import interrupts_held
from autograd_nn.data import make_blobs, make_moons, train_test_split
from autograd_nn.nn import MLP
from autograd_nn.train import accuracy, fit, predict

matplotlib = pytest.importorskip("matplotlib")
np = pytest.importorskip("numpy")
from matplotlib.colors import to_rgb  # noqa: E402
from matplotlib.image import imread  # noqa: E402

from autograd_nn.plot import CLASS_COLORS  # noqa: E402

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
SMALL = ["--samples", "60", "--hidden", "8", "--epochs", "15", "--lr", "0.05", "--seed", "3"]
"""A run of a fraction of a second: moons, 45 training and 15 test points."""


def run(*argv):
    """main(argv) with its stdout and stderr: (exit code, out, err)."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(list(argv))
    return code, out.getvalue(), err.getvalue()


@pytest.fixture(scope="module")
def moons_run(tmp_path_factory):
    """One small training run into a directory that does not exist yet."""
    out_dir = tmp_path_factory.mktemp("train") / "nested" / "moons"
    code, out, err = run("train", "--data", "moons", *SMALL, "--out", str(out_dir))
    return code, out, err, out_dir


def small_moons():
    """The data and split the SMALL run trains on."""
    X, y = make_moons(60, seed=3)
    return train_test_split(X, y, test_size=0.25, seed=3)


def printed_accuracy(out, which):
    match = re.search(rf"^{which} accuracy: ([\d.]+)% \((\d+) of (\d+) correct\)$", out, re.M)
    assert match, out
    return float(match[1]) / 100, int(match[2]), int(match[3])


def test_train_writes_three_files(moons_run):
    code, out, err, out_dir = moons_run
    assert code == 0, err
    assert err == ""  # no progress bar when stderr is not a terminal
    assert sorted(p.name for p in out_dir.iterdir()) == ["boundary.png", "history.png",
                                                         "model.json"]
    assert f"wrote {out_dir / 'boundary.png'}, {out_dir / 'history.png'}, " in out
    assert "moons: 60 points in 2 classes, 45 for training and 15 for testing (seed 3)" in out
    assert "model: MLP(2, [8, 1], activation='relu'), 33 parameters" in out
    assert "training: adam, lr 0.05, 15 epochs, batches of 20" in out


@pytest.mark.parametrize(("name", "height", "width"), [
    ("boundary.png", 4 * TRAIN_DPI, 5 * TRAIN_DPI),
    ("history.png", 7 * TRAIN_DPI // 2, 9 * TRAIN_DPI),
])
def test_pictures_are_real_pngs(moons_run, name, height, width):
    path = moons_run[3] / name
    data = path.read_bytes()
    assert data.startswith(PNG_MAGIC)
    assert 10_000 < len(data) < 200_000
    image = imread(path)
    assert image.shape == (height, width, 4)
    assert len(np.unique(image.reshape(-1, 4), axis=0)) > 50  # a picture, not a blank


def test_boundary_shows_both_classes(moons_run):
    """The training points' markers are drawn in the two class colours."""
    image = imread(moons_run[3] / "boundary.png")[..., :3]
    for colour in CLASS_COLORS[:2]:
        exact = np.abs(image - np.array(to_rgb(colour))).max(axis=-1) < 0.01
        assert exact.sum() > 100, colour


def test_model_file_loads_into_an_equal_mlp(moons_run):
    out_dir = moons_run[3]
    loaded = MLP(2, [8, 1], activation="relu")
    loaded.load(out_dir / "model.json")
    X_train, X_test, y_train, y_test = small_moons()
    again = MLP(2, [8, 1], activation="relu", seed=3)
    fit(again, X_train, y_train, X_test=X_test, y_test=y_test, lr=0.05, epochs=15,
        batch_size=20, seed=3, progress=False)
    assert loaded.state_dict() == again.state_dict()
    grid = [[x / 4, y / 4] for x in range(-6, 10) for y in range(-4, 6)]
    assert predict(loaded, grid) == predict(again, grid)
    assert predict(loaded, X_test) == predict(again, X_test)


def test_the_printed_load_line_gives_back_the_trained_model(moons_run):
    """The line `train` prints is the one call that rebuilds the model, and it works."""
    out, out_dir = moons_run[1], moons_run[3]
    line = next(line for line in out.splitlines() if line.startswith("load it in Python: "))
    code = line.removeprefix("load it in Python: ")
    path = str(out_dir / "model.json")
    assert code == f"from autograd_nn import nn; model = nn.load({path!r})"
    namespace: dict[str, object] = {}
    exec(code, namespace)  # what the user is told to paste; our own output, not the file
    model = namespace["model"]
    assert isinstance(model, MLP) and repr(model) == "MLP(2, [8, 1], activation='relu')"
    twin = MLP(2, [8, 1], activation="relu")
    twin.load(path)
    assert model.state_dict() == twin.state_dict()


def test_printed_accuracies_are_the_models(moons_run):
    out, out_dir = moons_run[1], moons_run[3]
    model = MLP(2, [8, 1], activation="relu")
    model.load(out_dir / "model.json")
    X_train, X_test, y_train, y_test = small_moons()
    for which, X, y in [("train", X_train, y_train), ("test", X_test, y_test)]:
        fraction, correct, total = printed_accuracy(out, which)
        assert total == len(X)
        assert correct == round(accuracy(model, X, y) * total)
        assert fraction == pytest.approx(correct / total, abs=0.0005)
    assert printed_accuracy(out, "train")[0] > 0.8
    assert re.search(r"^final loss: train [\d.e-]+, test [\d.e-]+$", out, re.M)


def test_several_classes_get_one_output_each(tmp_path):
    code, out, err = run("train", "--data", "blobs", "--samples", "60", "--hidden", "",
                         "--epochs", "5", "--lr", "0.1", "--seed", "1", "--out", str(tmp_path))
    assert code == 0, err
    assert "60 points in 3 classes" in out
    assert "model: MLP(2, [3], activation='relu'), 9 parameters" in out
    model = MLP(2, [3])
    model.load(tmp_path / "model.json")
    X, y = make_blobs(60, seed=1)
    X_train, _, y_train, _ = train_test_split(X, y, test_size=0.25, seed=1)
    assert printed_accuracy(out, "train")[1] == round(accuracy(model, X_train, y_train) * 45)
    assert imread(tmp_path / "boundary.png").shape == (4 * TRAIN_DPI, 5 * TRAIN_DPI, 4)


def test_train_is_listed_in_help(capsys):
    assert main(["--help"]) == 0
    assert "train" in capsys.readouterr().out
    assert main(["train", "--help"]) == 0
    text = capsys.readouterr().out
    for option in ["--data", "--hidden", "--activation", "--optimizer", "--lr", "--epochs",
                   "--samples", "--noise", "--batch-size", "--test-size", "--seed", "--out"]:
        assert option in text


@pytest.mark.parametrize(("argv", "message"), [
    (["--data", "swirls"], "invalid choice: 'swirls'"),
    (["--hidden", "16,x"], "bad --hidden '16,x': 'x' is not a whole number"),
    (["--hidden", "16,0"], "a layer needs at least 1 neuron"),
    (["--epochs", "-5"], "--epochs must be at least 1, got -5"),
    (["--epochs", "ten"], "argument --epochs: invalid int value: 'ten'"),
    (["--lr", "0"], "--lr must be positive, got 0.0"),
    (["--lr", "-0.1"], "--lr must be positive, got -0.1"),
    (["--lr", "nan"], "--lr must be finite, got nan"),
    (["--samples", "3"], "--samples must be at least 4"),
    (["--noise", "-1"], "--noise must be zero or positive"),
    (["--test-size", "1.5"], "--test-size must be in [0, 1), got 1.5"),
    (["--batch-size", "0"], "--batch-size must be at least 1"),
    (["--activation", "softsign"], "invalid choice: 'softsign'"),
    (["--optimizer", "lbfgs"], "invalid choice: 'lbfgs'"),
])
def test_bad_arguments_are_one_line_and_exit_2(tmp_path, argv, message):
    out_dir = tmp_path / "out"
    code, out, err = run("train", *argv, "--out", str(out_dir))
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and err.startswith("autograd-nn"), err
    assert message in err
    assert "Traceback" not in err
    assert not out_dir.exists()


def test_out_must_be_given_and_be_a_directory(tmp_path):
    code, _, err = run("train")
    assert code == 2 and "--out" in err and err.count("\n") == 1
    a_file = tmp_path / "taken"
    a_file.write_text("keep me")
    code, _, err = run("train", "--out", str(a_file))
    assert code == 2 and err.count("\n") == 1
    assert f"--out {a_file}: exists and is not a directory" in err
    assert a_file.read_text() == "keep me"


def test_without_matplotlib_says_what_to_install(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # `import matplotlib` now fails
    out_dir = tmp_path / "out"
    code, out, err = run("train", "--out", str(out_dir))
    assert code == 2
    assert err == ('autograd-nn train: error: train draws its pictures with matplotlib: '
                   'pip install "autograd_nn[plot]"\n')
    assert out == "" and not out_dir.exists()


# Writing as one unit, and Ctrl-C (issue 11) ----------------------------------------


def _listing(directory):
    """Every file under `directory` (hidden ones too) with its bytes."""
    return {str(p.relative_to(directory)): p.read_bytes()
            for p in sorted(directory.rglob("*")) if p.is_file()}


def _old_results(tmp_path):
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    for name in ["boundary.png", "history.png", "model.json", "notes.txt"]:
        (out_dir / name).write_text(f"old {name}")
    return out_dir


def test_a_huge_learning_rate_writes_nothing_and_says_why(tmp_path):
    out_dir = _old_results(tmp_path)
    before = _listing(tmp_path)
    code, _, err = run("train", *SMALL, "--lr", "1e300", "--out", str(out_dir))
    assert code == 2 and err.count("\n") == 1, err
    assert re.search(r"at epoch \d+, batch \d+ of \d+.*lr 1e\+300", err), err
    assert _listing(tmp_path) == before and sorted(os.listdir(tmp_path)) == ["out"]


def test_a_failure_while_writing_leaves_the_old_results(tmp_path, monkeypatch):
    out_dir = _old_results(tmp_path)
    before = _listing(tmp_path)

    def disk_full(self, path):
        raise OSError(28, "No space left on device", str(path))

    monkeypatch.setattr(MLP, "save", disk_full)
    code, _, err = run("train", *SMALL, "--out", str(out_dir))
    assert code == 2 and "No space left on device" in err
    assert _listing(tmp_path) == before and sorted(os.listdir(out_dir)) == sorted(
        ["boundary.png", "history.png", "model.json", "notes.txt"])


def test_a_new_directory_appears_whole_or_not_at_all(tmp_path, monkeypatch):
    out_dir = tmp_path / "new"
    monkeypatch.setattr(MLP, "save", lambda self, path: 1 / 0)
    code, _, err = run("train", *SMALL, "--out", str(out_dir))
    assert code == 2 and os.listdir(tmp_path) == []
    monkeypatch.undo()
    code, _, err = run("train", *SMALL, "--out", str(out_dir))
    assert code == 0, err
    assert sorted(os.listdir(tmp_path)) == ["new"]
    assert sorted(os.listdir(out_dir)) == ["boundary.png", "history.png", "model.json"]


def test_results_replace_old_ones_and_keep_the_users_files(tmp_path):
    out_dir = _old_results(tmp_path)
    code, _, err = run("train", *SMALL, "--out", str(out_dir))
    assert code == 0, err
    assert sorted(os.listdir(out_dir)) == ["boundary.png", "history.png", "model.json",
                                           "notes.txt"]
    assert (out_dir / "notes.txt").read_text() == "old notes.txt"
    assert (out_dir / "boundary.png").read_bytes().startswith(PNG_MAGIC)


def test_an_unwritable_out_is_refused_before_training():
    code, out, err = run("train", *SMALL, "--out", "/proc/autograd-nn-test/out")
    assert code == 2 and err.count("\n") == 1
    assert "cannot write in /proc" in err and "training" not in out


def test_ctrl_c_during_training_is_one_line_exit_130_and_writes_nothing(tmp_path, start_cli):
    kept = _old_results(tmp_path)
    before = _listing(tmp_path)
    for out_dir in [tmp_path / "new", kept]:
        process = start_cli("train", "--data", "moons", "--epochs", "1000", "--out", str(out_dir))
        assert _wait_for_line(process.stdout, "training:"), "training never started"
        time.sleep(0.5)
        process.send_signal(signal.SIGINT)
        _, err = process.communicate(timeout=60)
        assert process.returncode == 130, err
        assert err == "autograd-nn train: interrupted; nothing written\n"
        assert _listing(tmp_path) == before and sorted(os.listdir(tmp_path)) == ["out"]


def _wait_for_line(stream, start, seconds=60.0):
    """Read lines from `stream` until one starts with `start` (False at end of output)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        line = stream.readline()
        if not line:
            return False
        if line.startswith(start):
            return True
    return False


def test_ctrl_c_during_the_final_renames_is_held_until_they_are_done():
    done, handler = [], signal.getsignal(signal.SIGINT)
    with pytest.raises(KeyboardInterrupt, match="kept all three"), \
            interrupts_held("kept all three"):
        os.kill(os.getpid(), signal.SIGINT)
        time.sleep(0.05)
        done.append("renamed")
    assert done == ["renamed"]
    assert signal.getsignal(signal.SIGINT) is handler


def test_main_turns_an_interrupt_into_one_line_and_exit_130(monkeypatch, tmp_path):
    def interrupted(args):
        raise KeyboardInterrupt

    monkeypatch.setattr("autograd_nn.cli.train.fit", lambda *a, **k: interrupted(None))
    try:
        code, _, err = run("train", *SMALL, "--out", str(tmp_path / "out"))
    except KeyboardInterrupt:
        pytest.fail("the interrupt escaped main")
    assert code == 130 and err == "autograd-nn train: interrupted; nothing written\n"
    assert os.listdir(tmp_path) == []


def test_train_says_which_engine_ran_and_scalar_gives_the_same_model(moons_run, tmp_path):
    """The compiled engine by default (numpy is a dev dependency); --scalar forces the
    scalar engine, and both write the same weights to rounding."""
    out, out_dir = moons_run[1], moons_run[3]
    assert re.search(r"^engine: compiled \(", out, re.M), out
    code, scalar_out, err = run("train", "--data", "moons", *SMALL, "--scalar",
                                "--out", str(tmp_path))
    assert code == 0, err
    assert re.search(r"^engine: scalar \(--scalar\)$", scalar_out, re.M), scalar_out
    compiled_state = json.loads((out_dir / "model.json").read_text())["state"]
    scalar_state = json.loads((tmp_path / "model.json").read_text())["state"]
    assert flat_numbers(compiled_state) == pytest.approx(flat_numbers(scalar_state), rel=1e-9)


def flat_numbers(state):
    """Every number in a state_dict, in a fixed order (no recursion: a stack)."""
    numbers, stack = [], [state]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            stack.extend(node[k] for k in sorted(node, reverse=True))
        elif isinstance(node, list):
            stack.extend(reversed(node))
        elif isinstance(node, (int, float)) and not isinstance(node, bool):
            numbers.append(float(node))
    return numbers
