"""Training animations: one frame per snapshot, a GIF that decodes, a page that plays."""

import io
import itertools

import pytest

pytest.importorskip("matplotlib")
from PIL import Image, ImageChops

from autograd_nn.callbacks import Snapshot
from autograd_nn.data import make_moons, train_test_split
from autograd_nn.nn import MLP
from autograd_nn.plot import animate_training
from autograd_nn.train import fit


@pytest.fixture(scope="module")
def run():
    X, y = make_moons(60, noise=0.1, seed=0)
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.25, seed=0)
    model = MLP(2, [8, 1], seed=0)
    snapshots = Snapshot(every=4)
    history = fit(model, X_train, y_train, X_test=X_test, y_test=y_test, epochs=12, lr=0.1,
                  seed=0, callbacks=[snapshots])
    return model, (X_train, y_train, X_test, y_test), snapshots, history


def test_one_frame_per_snapshot_and_the_model_is_left_as_trained(run):
    model, (X, y, X_test, y_test), snapshots, history = run
    trained = model.state_dict()
    movie = animate_training(model, X, y, snapshots, history, X_test, y_test, resolution=20)
    assert movie.epochs == [0, 4, 8, 12] and len(movie) == 4
    assert model.state_dict() == trained
    assert movie.captions[0] == "epoch 0: before training"
    assert movie.captions[-1].startswith(f"epoch 12: train loss {history.train_loss[-1]:.4g}")


def test_the_gif_decodes_and_its_frames_change_as_training_goes(run, tmp_path):
    model, (X, y, X_test, y_test), snapshots, history = run
    movie = animate_training(model, X, y, snapshots, history, X_test, y_test, resolution=20)
    path = movie.save(tmp_path / "training.gif")
    with Image.open(path) as gif:
        assert gif.format == "GIF" and gif.n_frames == 4
        frames = []
        for k in range(gif.n_frames):
            gif.seek(k)
            frames.append(gif.convert("RGB"))
    for before, after in itertools.pairwise(frames):
        assert ImageChops.difference(before, after).getbbox() is not None
    first = Image.open(io.BytesIO(movie.frames[0]))
    assert frames[0].size == first.size


def test_the_page_holds_every_frame(run, tmp_path):
    model, (X, y, _, _), snapshots, history = run
    movie = animate_training(model, X, y, snapshots, history, resolution=10, title="<moons>")
    page = movie.save(tmp_path / "training.html").read_text(encoding="utf-8")
    assert page.count("data:image/png;base64,") >= 4
    assert "&lt;moons&gt;" in page and "<moons>" not in page
    assert "Epoch 12 of 12" in page


def test_bad_input_is_named(run, tmp_path):
    model, (X, y, _, _), snapshots, history = run
    with pytest.raises(TypeError, match="needs the Snapshot callback"):
        animate_training(model, X, y, [], history)
    with pytest.raises(ValueError, match="holds no snapshots"):
        animate_training(model, X, y, Snapshot(), history)
    movie = animate_training(model, X, y, snapshots, history, resolution=5)
    with pytest.raises(ValueError, match=r"must end in \.gif or \.html"):
        movie.save(tmp_path / "training.mp4")
    assert not (tmp_path / "training.mp4").exists()
