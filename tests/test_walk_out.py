"""`render_steps` and `autograd-nn walk --out DIR`: whole directories of frames.

A directory of the user's own files is refused unless told (`overwrite=True`,
`--force`); frames of ours are replaced as a whole, so no stale frame is left;
a failure or Ctrl-C leaves the old frames as they were and no temporary. And
the walk-through prints on a terminal that has only ASCII.
"""

import os
import resource
import shutil
import signal
import subprocess
import sys
import time

import pytest

from autograd_nn.cli import main
from autograd_nn.cli.common import ascii_text
from autograd_nn.explain.examples import EXAMPLES
from autograd_nn.viz import render_steps, step_frames
from autograd_nn.viz.frames import FRAMES_MARKER

needs_dot = pytest.mark.skipif(shutil.which("dot") is None, reason="needs Graphviz")


def xyz():
    return EXAMPLES["xyz"]().output


def contents(directory):
    """Every file in `directory` (hidden ones too) with its bytes."""
    return {p.name: p.read_bytes() for p in sorted(directory.iterdir())}


def frame_names(count, fmt="svg"):
    return [f"frame_{k:03d}.{fmt}" for k in range(count)]


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def users_directory(tmp_path):
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "index.html").write_text("my own page")
    (mine / "frame_000.svg").write_text("<svg>my own drawing</svg>")
    return mine


# The user's files ----------------------------------------------------------------


@needs_dot
def test_a_directory_of_the_users_own_files_is_refused_and_left_untouched(tmp_path):
    mine = users_directory(tmp_path)
    before = contents(mine)
    with pytest.raises(FileExistsError) as error:
        render_steps(xyz(), mine)
    message = str(error.value)
    assert str(mine) in message and "overwrite=True" in message and "\n" not in message
    assert FRAMES_MARKER in message
    assert contents(mine) == before and os.listdir(tmp_path) == ["mine"]


@needs_dot
def test_frames_of_ours_with_a_file_of_the_users_among_them_are_refused(tmp_path):
    frames = tmp_path / "frames"
    render_steps(xyz(), frames)
    (frames / "notes.txt").write_text("my notes")
    before = contents(frames)
    with pytest.raises(FileExistsError, match=r"did not write \(notes\.txt\)"):
        render_steps(xyz(), frames)
    assert contents(frames) == before and os.listdir(tmp_path) == ["frames"]


@needs_dot
def test_overwrite_replaces_a_users_directory_and_keeps_its_permissions(tmp_path):
    mine = users_directory(tmp_path)
    mine.chmod(0o700)
    index = render_steps(xyz(), mine, overwrite=True)
    assert index == mine / "index.html" and "my own page" not in index.read_text()
    assert sorted(os.listdir(mine)) == sorted([FRAMES_MARKER, "index.html", *frame_names(14)])
    assert "my own drawing" not in (mine / "frame_000.svg").read_text()
    assert (mine.stat().st_mode & 0o777) == 0o700 and os.listdir(tmp_path) == ["mine"]
    with pytest.raises(TypeError, match="overwrite must be True or False"):
        render_steps(xyz(), mine, overwrite="yes")


# Frames of ours ------------------------------------------------------------------


@needs_dot
def test_a_second_smaller_run_leaves_exactly_its_own_frames(tmp_path):
    frames = tmp_path / "frames"
    network = EXAMPLES["network"]()
    render_steps(network.output, frames, model=network.model)
    assert len(os.listdir(frames)) > 30
    render_steps(xyz(), frames)
    assert sorted(os.listdir(frames)) == sorted([FRAMES_MARKER, "index.html", *frame_names(14)])
    marker = (frames / FRAMES_MARKER).read_text(encoding="utf-8")
    assert "render_steps" in marker and "replaces this whole directory" in marker
    assert [line for line in marker.splitlines() if not line.startswith("#")] == [
        *frame_names(14), "index.html",
    ]
    for frame, name in zip(step_frames(xyz()), frame_names(14)):
        assert (frames / name).read_text(encoding="utf-8") == frame.svg
    assert os.listdir(tmp_path) == ["frames"]  # no temporary left beside it


@needs_dot
def test_an_empty_directory_and_missing_parents_are_fine_a_file_is_not(tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    render_steps(xyz(), empty)
    assert len(os.listdir(empty)) == 16
    deep = tmp_path / "a" / "b" / "frames"
    render_steps(xyz(), deep)
    assert len(os.listdir(deep)) == 16 and os.listdir(tmp_path / "a" / "b") == ["frames"]
    afile = tmp_path / "afile"
    afile.write_text("mine")
    with pytest.raises(NotADirectoryError, match="afile exists and is not a directory"):
        render_steps(xyz(), afile, overwrite=True)
    assert afile.read_text() == "mine"


@needs_dot
def test_a_failed_write_leaves_the_old_frames_as_they_were(tmp_path):
    """A run that fails while writing (here: the page is larger than the file-size
    limit) changes nothing: before, the frames were new and the page old."""
    frames = tmp_path / "frames"
    render_steps(xyz(), frames)
    before = contents(frames)
    limit = max(len(data) for name, data in before.items() if name.startswith("frame_")) + 4096
    assert len(before["index.html"]) > limit

    def small_files():
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    result = subprocess.run(
        [sys.executable, "-m", "autograd_nn", "walk", "xyz", "--lr", "0.5", "--out", str(frames)],
        capture_output=True, text=True, preexec_fn=small_files,
        env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"},
    )
    assert result.returncode == 2, result.stderr
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr
    assert "File too large" in result.stderr and str(frames / "index.html") in result.stderr
    assert ".tmp" not in result.stderr
    assert contents(frames) == before and os.listdir(tmp_path) == ["frames"]


# The command line ----------------------------------------------------------------


@needs_dot
def test_walk_refuses_the_users_directory_in_one_line_before_printing(capsys, tmp_path):
    mine = users_directory(tmp_path)
    before = contents(mine)
    code, out, err = run(capsys, "walk", "--out", str(mine))
    assert code == 2 and out == "" and err.count("\n") == 1
    assert err.startswith(f"autograd-nn walk: error: {mine} is not empty")
    assert "add --force" in err and "overwrite=True" not in err
    assert contents(mine) == before
    afile = tmp_path / "afile"
    afile.write_text("mine")
    code, out, err = run(capsys, "walk", "--out", str(afile), "--force")
    assert (code, out) == (2, "")
    assert err == f"autograd-nn walk: error: {afile} exists and is not a directory\n"


@needs_dot
def test_walk_force_replaces_the_directory_with_the_frames(capsys, tmp_path):
    mine = users_directory(tmp_path)
    code, out, err = run(capsys, "walk", "--out", str(mine), "--force", "--format", "png")
    assert (code, err) == (0, "") and "index.html" in out
    assert sorted(os.listdir(mine)) == sorted(
        [FRAMES_MARKER, "index.html", *frame_names(14, "png")]
    )
    assert "my own page" not in (mine / "index.html").read_text()


def test_walk_refuses_the_working_directory(capsys, tmp_path, monkeypatch):
    frames = tmp_path / "frames"
    frames.mkdir()
    monkeypatch.chdir(frames)
    code, out, err = run(capsys, "walk", "--out", ".")
    assert (code, out) == (2, "") and "working directory" in err and err.count("\n") == 1
    code, out, err = run(capsys, "walk", "--out", str(tmp_path), "--force")
    assert (code, out) == (2, "") and "working directory" in err
    assert os.listdir(tmp_path) == ["frames"]


@needs_dot
def test_ctrl_c_while_the_frames_render_is_one_line_exit_130_and_keeps_the_old(
    tmp_path, start_cli
):
    """`mlp` in PNG takes many seconds to render; Ctrl-C ends it at once."""
    frames = tmp_path / "frames"
    render_steps(xyz(), frames)
    before = contents(frames)
    for out_dir, kept in [(tmp_path / "new", {}), (frames, before)]:
        process = start_cli("walk", "mlp", "--out", str(out_dir), "--format", "png")
        started = time.monotonic()
        for line in process.stdout:  # the text is flushed before the frames are drawn
            if line.startswith("  Change:"):
                break
        assert time.monotonic() - started < 30, "the walk text came only at the end"
        time.sleep(0.3)
        process.send_signal(signal.SIGINT)
        interrupted = time.monotonic()
        out, err = process.communicate(timeout=60)
        assert process.returncode == 130, err
        assert err == "autograd-nn walk: interrupted; nothing written\n"
        assert "Wrote" not in out
        assert time.monotonic() - interrupted < 5, "the renders under way were waited for"
        assert (contents(out_dir) if out_dir.exists() else {}) == kept
        assert os.listdir(tmp_path) == ["frames"]  # no temporary, no new directory


# A terminal without the symbols ----------------------------------------------------


def ascii_cli(*argv):
    return subprocess.run(
        [sys.executable, "-m", "autograd_nn", *argv], capture_output=True,
        env={**os.environ, "PYTHONIOENCODING": "ascii"},
    )


@pytest.mark.parametrize("name", list(EXAMPLES))
def test_walk_prints_on_an_ascii_terminal(name):
    result = ascii_cli("walk", name)
    assert result.returncode == 0, result.stderr.decode()
    text = result.stdout.decode("ascii")  # fails on any byte that is not ASCII
    assert "?" not in text and "Backward pass" in text and "New output" in text
    if name == "xyz":
        assert "dg/dx = dg/df * df/dx = 1 * y = 1 * (-4) = -4" in text
    if name == "network":
        assert "dL/dw11 = dL/du1 * du1/dw11 = dL/du1 * x1 = " in text
        assert "sigma1 = sigma(u1)" in text


def test_help_examples_and_grad_print_on_an_ascii_terminal():
    for argv, expected in [
        (["walk", "--help"], "local derivatives df/dx"),
        (["examples"], "s = sigma(w1*x1 + w2*x2 + b)"),
        (["grad", "θ*2 + sigmoid(θ)", "θ=3"], "df/dtheta = 2.04517666"),
    ]:
        result = ascii_cli(*argv)
        assert result.returncode == 0, result.stderr.decode()
        assert expected in result.stdout.decode("ascii")


def test_ascii_text_reads_every_symbol_the_walk_through_uses():
    assert ascii_text("dg/dx = dg/df · ∂f/∂x") == "dg/dx = dg/df * df/dx"
    assert ascii_text("σ(u1)(1-σ(u1)), Σ(a, b), -lr · Σ grad²") == (
        "sigma(u1)(1-sigma(u1)), sum(a, b), -lr * sum grad^2"
    )
    assert ascii_text("θ Ω ς ά é ｘ → − × …") == "theta Omega sigma alpha e x -> - x ..."
    assert ascii_text("☃") == "?"
