"""What a newcomer meets first on the command line: the bare command, --version,
an expression that starts with a minus sign, and output paths checked before any work."""

from __future__ import annotations

import subprocess
import sys
from importlib import metadata

import pytest

import autograd_nn
from autograd_nn.cli import main


def run(capsys, *argv):
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_the_bare_command_prints_the_help_and_succeeds():
    done = subprocess.run([sys.executable, "-m", "autograd_nn"], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("usage: autograd-nn")
    for command in ("walk", "grad", "train", "draw", "examples"):
        assert command in done.stdout
    assert done.stderr == ""


def test_version_is_the_installed_distributions(capsys):
    code, out, _ = run(capsys, "--version")
    assert code == 0
    assert out.strip() == f"autograd-nn {metadata.version('autograd_nn')}"
    assert autograd_nn.__version__ == metadata.version("autograd_nn")


@pytest.mark.parametrize("argv", [
    ["grad", "-x*y", "x=1", "y=2"],
    ["grad", "--", "-x*y", "x=1", "y=2"],
    ["grad", "-x*y", "x=1", "y=2", "--mode", "forward"],
    ["grad", "--no-check", "-x*y", "x=1", "y=2"],
])
def test_an_expression_may_start_with_a_minus_sign(capsys, argv):
    code, out, err = run(capsys, *argv)
    assert code == 0, err
    assert "value: -2" in out and "df/dx = -2" in out and "df/dy = -1" in out


def test_negative_values_and_help_after_a_minus_expression(capsys):
    code, out, _ = run(capsys, "grad", "-x*y", "x=-1", "y=2")
    assert code == 0 and "value: 2" in out
    code, out, _ = run(capsys, "grad", "-x", "-h")
    assert code == 0 and out.startswith("usage: autograd-nn grad")


@pytest.mark.parametrize("name, message", [
    ("noext", "give the file a suffix such as .svg"),
    ("graph.xyz", "unknown picture format 'xyz'"),
    ("missing/graph.svg", "does not exist"),
    ("pictures.svg", "is a directory"),
])
def test_grad_and_draw_refuse_a_bad_picture_path_before_any_work(capsys, tmp_path, name,
                                                                   message):
    target = tmp_path / name
    if name == "pictures.svg":
        target.mkdir()
    code, out, err = run(capsys, "grad", "x*y", "x=3", "y=-4", "--draw", str(target))
    assert code == 2 and out == "", out   # nothing computed or printed first
    assert message in err and len(err.strip().splitlines()) == 1
    code, out, err = run(capsys, "draw", "xyz", "-o", str(target))
    assert code == 2 and out == "" and message in err
    assert sorted(p.name for p in tmp_path.iterdir()) == (
        ["pictures.svg"] if name == "pictures.svg" else [])


def test_walk_out_that_is_a_file_is_refused_before_the_walk_is_printed(capsys, tmp_path):
    afile = tmp_path / "afile"
    afile.write_text("mine")
    code, out, err = run(capsys, "walk", "--out", str(afile))
    assert code == 2 and out == ""
    assert "exists and is not a directory" in err
    assert afile.read_text() == "mine"


def test_a_good_picture_path_is_drawn(capsys, tmp_path):
    code, _, _ = run(capsys, "grad", "-x*y", "x=3", "y=-4", "--draw", str(tmp_path / "g.svg"))
    assert code == 0 and "<svg" in (tmp_path / "g.svg").read_text()
