"""The README's code runs and its printed walk-through is what the command prints."""

import contextlib
import io
import re
from pathlib import Path

import pytest

from autograd_nn.cli import main

README = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")


def _blocks(language):
    return re.findall(rf"```{language}\n(.*?)```", README, flags=re.DOTALL)


def test_python_examples_run_in_order(tmp_path, monkeypatch):
    pytest.importorskip("matplotlib")
    pytest.importorskip("hypothesis")
    monkeypatch.chdir(tmp_path)
    (tmp_path / "docs").mkdir()
    namespace: dict[str, object] = {}
    printed = io.StringIO()
    # The op-table entry is a fragment of ops.py's table, shown on its own.
    blocks = [b for b in _blocks("python") if not b.startswith("Op.from_rule(")]
    assert len(blocks) >= 5
    with contextlib.redirect_stdout(printed):
        for block in blocks:
            exec(compile(block, "README.md", "exec"), namespace)  # the README's own code
    lines = printed.getvalue().splitlines()
    assert lines[0] == "-4.0 3.0 1.0" and lines[1] == "-12.72"
    assert (tmp_path / "moons.json").exists()
    assert (tmp_path / "docs" / "gallery_optimisers.png").exists()


def test_walk_output_shown_in_the_readme_is_what_walk_prints(capsys):
    assert main(["walk"]) == 0
    printed = capsys.readouterr().out
    shown = next(block for block in _blocks("text") if "Backward pass" in block)
    for line in shown.strip().splitlines():
        assert line in printed, line


def test_a_newcomer_is_told_to_use_a_venv_and_how_to_run_the_pytorch_tests():
    """Debian's system pip refuses installs; the parity tests skip without PyTorch."""
    start = README.index("## Two commands")
    section = README[start : README.index("\n## ", start + 1)]
    assert "python3 -m venv .venv && . .venv/bin/activate" in section
    assert section.index("venv") < section.index("pip install -e . && autograd-nn walk")
    assert "externally-managed-environment" in section
    assert "`pip install torch` and the same command runs them" in section
