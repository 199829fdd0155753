"""The modes of differentiation on the command line: `walk --mode forward-ad` and
`grad --mode reverse|forward|numeric`, each saying what it cost."""

from __future__ import annotations

import math
import os
import subprocess
import sys
import unicodedata

import pytest

from autograd_nn.cli import main
from autograd_nn.examples import EXAMPLES, example
from autograd_nn.explain.tangents import tangent_steps


def run(capsys, *argv):
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_walk_forward_ad_writes_the_worked_examples_tangents(capsys):
    code, out, _ = run(capsys, "walk", "--mode", "forward-ad")
    assert code == 0
    out = unicodedata.normalize("NFC", out)  # x and a combining dot are ẋ
    for line in [
        "Pass 1 of 3, along x (ẋ = 1, every other input's tangent 0)",
        "  3. ḟ = ẋ · y + ẏ · x = 1 · (-4) + 0 · 3 = -4",
        "  5. ġ = ḟ + ż = -4 + 0 = -4",
        "  so dg/dx = ġ = -4",
        "  so dg/dy = ġ = 3",
        "  so dg/dz = ġ = 1",
    ]:
        assert unicodedata.normalize("NFC", line) in out.splitlines(), line
    assert "took 3 forward passes; reverse mode" in out


@pytest.mark.parametrize("name", list(EXAMPLES))
def test_each_examples_tangents_end_in_its_backpropagated_gradient(name):
    worked = example(name)()
    worked.output.backward()
    for param in worked.params:
        steps = tangent_steps(worked.output, param)
        assert steps[-1].node is worked.output
        assert steps[-1].tangent == pytest.approx(param.grad, rel=1e-12, abs=1e-15)


def test_walk_forward_ad_is_text_only(capsys, tmp_path):
    code, out, err = run(capsys, "walk", "--mode", "forward-ad", "--out", str(tmp_path / "f"))
    assert code == 2 and out == ""
    assert err.strip().endswith("--mode forward-ad prints text only: leave out --out and "
                                "--markdown")
    assert not (tmp_path / "f").exists()


def test_an_ascii_terminal_reads_tangents_with_a_prime():
    environment = {**os.environ, "PYTHONIOENCODING": "ascii"}
    done = subprocess.run([sys.executable, "-m", "autograd_nn", "walk", "--mode", "forward-ad"],
                          capture_output=True, text=True, env=environment, check=True)
    assert "  3. f' = x' * y + y' * x = 1 * (-4) + 0 * 3 = -4" in done.stdout.splitlines()


@pytest.mark.parametrize("mode, cost", [
    ("reverse", "1 forward pass, 1 backward pass"),
    ("forward", "3 forward passes on dual numbers, one per variable"),
    ("numeric", "6 evaluations, two per variable"),
])
def test_grad_modes_agree_and_say_what_they_cost(capsys, mode, cost):
    code, out, _ = run(capsys, "grad", "sin(x*y) + z**2", "x=3", "y=-4", "z=2", "--mode", mode)
    assert code == 0
    lines = out.splitlines()
    heading = next(line for line in lines if line.startswith("gradient ("))
    assert heading.startswith(f"gradient ({mode} mode: {cost}")
    values = {line.split(" = ")[0].strip(): float(line.split(" = ")[1]) for line in lines
              if line.startswith("  df/d") and " = " in line}
    assert values["df/dx"] == pytest.approx(-4 * math.cos(-12.0), rel=1e-8)
    assert values["df/dy"] == pytest.approx(3 * math.cos(-12.0), rel=1e-8)
    assert values["df/dz"] == pytest.approx(4.0, rel=1e-8)
    assert ("finite-difference check" in out) == (mode != "numeric")


def test_grad_draws_the_backward_pass_whatever_the_mode(capsys, tmp_path):
    picture = tmp_path / "g.svg"
    code, _, _ = run(capsys, "grad", "x*y", "x=3", "y=-4", "--mode", "forward",
                     "--draw", str(picture), "--draw-mode", "backward")
    assert code == 0
    assert "<svg" in picture.read_text() and "-4" in picture.read_text()


def test_a_drawing_mode_given_to_mode_is_refused_in_one_line(capsys):
    code, out, err = run(capsys, "grad", "x*y", "x=3", "y=-4", "--mode", "both")
    assert code == 2 and out == ""
    assert "invalid choice: 'both'" in err and len(err.strip().splitlines()) == 1
