"""The step-through's notation: ∂ for local derivatives, d for totals, formulas with the
node's own names, one style for negative numbers; the network walk as snapshots.

The snapshots are what `autograd-nn walk network` (and `--markdown`) print. After a
deliberate change of wording, rewrite them with
``autograd-nn walk network > tests/snapshots/walk_network.txt`` and
``autograd-nn walk network --markdown > tests/snapshots/walk_network.md``
and read the diff.
"""

import re
import shutil
from pathlib import Path

import pytest

from autograd_nn import Value
from autograd_nn.cli import main
from autograd_nn.examples import EXAMPLES
from autograd_nn.explain.notation import (
    Partial,
    equation,
    factor_latex,
    factor_text,
    signed,
    substitute,
    written,
)
from autograd_nn.ops import OPS
from autograd_nn.steps import backward_steps, explain, forward_steps

SNAPSHOTS = Path(__file__).resolve().parent / "snapshots"


def walk(capsys, *args):
    assert main(["walk", "network", *args]) == 0
    return capsys.readouterr().out


@pytest.mark.parametrize(("args", "snapshot"), [((), "walk_network.txt"),
                                                (("--markdown",), "walk_network.md")])
def test_network_walk_is_its_snapshot(capsys, args, snapshot):
    assert walk(capsys, *args) == (SNAPSHOTS / snapshot).read_text(encoding="utf-8")


def test_network_walk_text_uses_partial_and_total_derivatives(capsys):
    text = walk(capsys)
    assert "dL/dy = dL/dσ · ∂σ/∂y = (-0.8051) · σ(y)(1-σ(y)) = (-0.8051) · 0.2405 = -0.1936" in text
    assert "dL/du1 = dL/dσ1 · ∂σ1/∂u1 = (-0.1936) · σ(u1)(1-σ(u1))" in text
    assert "dL/du2 = dL/dσ2 · ∂σ2/∂u2 = 0.09682 · σ(u2)(1-σ(u2))" in text
    assert "dL/dw11 = dL/du1 · ∂u1/∂w11 = dL/du1 · x1 = " in text
    assert "dL/derr = dL/dL · ∂L/∂err = 1 · (2 · err^(2-1)) = 1 · 0.8051 = 0.8051" in text
    assert "s(1-s)" not in text and " * " not in text
    # Every backward line: a total on the left, totals times locals on the right.
    lines = [line for line in text.splitlines() if re.match(r"\s+\d+\. dL/d", line)]
    assert len(lines) == 20
    for line in lines[1:]:
        assert re.search(r"= dL/d\S+ · ∂\S+/∂\S+ = ", line), line
    # No constant (the data x1, x2, the target t, the exponent 2) has a step of its own.
    for constant in ("x1", "x2", "t"):
        assert not re.search(rf"(d|∂)L?/(d|∂){constant}\b", text), constant
        assert f"  {constant} = " not in text
    assert "log(" not in text and "nan" not in text


def test_network_walk_markdown_uses_partial_and_total_derivatives(capsys):
    md = walk(capsys, "--markdown")
    assert (r"$\frac{dL}{dw_{11}} = \frac{dL}{du_{1}} \cdot"
            r" \frac{\partial u_{1}}{\partial w_{11}}") in md
    assert (r"\frac{dL}{dy} = \frac{dL}{d\sigma} \cdot \frac{\partial \sigma}{\partial y}"
            r" = (-0.8051) \cdot \sigma(y)(1-\sigma(y))") in md
    assert r"\sigma(u_{1})(1-\sigma(u_{1}))" in md and "s(1-s)" not in md
    assert r"0.2 \cdot (-1) = -0.2" in md and r"0.4 + (-0.2) = 0.2" in md


def test_negative_numbers_are_parenthesised_where_they_are_factors(capsys):
    """One style in text and Markdown: `1 · (-4)`, `3 - 0.1 · (-4)`, never `· -4`."""
    for out in (walk(capsys), walk(capsys, "--markdown")):
        assert not re.search(r"(·|\\cdot|\+|-|\*) -\d", out)
    assert main(["walk"]) == 0
    xyz = capsys.readouterr().out
    assert "dg/dx = dg/df · ∂f/∂x = 1 · y = 1 · (-4) = -4" in xyz
    assert "x' = x - 0.1 · dg/dx = 3 - 0.1 · (-4) = 3.4" in xyz
    assert "g = f + z = -12 + 2 = -10" in xyz  # a negative first term stays bare


@pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz's dot is missing")
def test_the_pager_shows_the_same_words():
    from autograd_nn.viz.frames import step_frames

    worked = EXAMPLES["network"]()
    frames = step_frames(worked.output, model=worked.model)
    captions = [f.caption for f in frames]
    explanations = [s.explanation for s in forward_steps(worked.output)]
    explanations += [s.explanation for s in backward_steps(worked.output)]
    assert captions[: len(explanations)] == explanations
    assert any("∂σ1/∂u1 = (-0.1936) · σ(u1)(1-σ(u1))" in c for c in captions)
    assert not any("s(1-s)" in c for c in captions)


def test_partial_derivatives_and_totals():
    assert Partial("f", "x", local=True).text == "∂f/∂x"
    assert Partial("g", "x").text == "dg/dx"
    assert Partial("f", "x", local=True).latex == r"\frac{\partial f}{\partial x}"
    assert Partial("L", "σ1").latex == r"\frac{dL}{d\sigma_{1}}"
    text, latex = equation([((Partial("g", "x"),),),
                            ((Partial("g", "f"), Partial("f", "x", local=True)),),
                            ((1.0, "y"),), ((1.0, -4.0),), ((-4.0,),)])
    assert text == "dg/dx = dg/df · ∂f/∂x = 1 · y = 1 · (-4) = -4"
    assert latex == (r"\frac{dg}{dx} = \frac{dg}{df} \cdot \frac{\partial f}{\partial x}"
                     r" = 1 \cdot y = 1 \cdot (-4) = -4")


def test_negative_factors_and_terms():
    assert signed("-4") == "(-4)" and signed("-4", bare=True) == "-4" and signed("4") == "4"
    assert factor_text(-4.0) == "(-4)" and factor_text(-4.0, bare=True) == "-4"
    assert factor_text("-1") == "(-1)" and factor_text("1 - tanh(u)^2") == "(1 - tanh(u)^2)"
    assert factor_latex(-0.5) == "(-0.5)" and factor_latex("-sin(x)") == r"(-\operatorname{sin}(x))"
    text, latex = equation([((-2.0,), (-3.0,))])
    assert text == "-2 + (-3)" and latex == "-2 + (-3)"


def test_ops_are_written_with_the_products_and_powers_of_the_lectures():
    assert written(OPS["*"], ["3", "-4"]) == "3 · (-4)"
    assert written(OPS["*"], ["-3", "4"]) == "-3 · 4"
    assert written(OPS["-"], ["3", "-4"]) == "3 - (-4)"
    assert written(OPS["**"], ["-2", "2"]) == "(-2)^2"
    assert written(OPS["**"], ["x", "-1"]) == "x^(-1)"
    assert written(OPS["neg"], ["-2"]) == "-(-2)"
    assert written(OPS["sigmoid"], ["-0.8"]) == "σ(-0.8)"
    assert written(OPS["sum"], ["-2", "-2", "1"]) == "Σ(-2, -2, 1)"


def test_sigmoid_formula_names_its_own_input():
    """Each sigmoid reads with its own input: the table writes σ(a)(1-σ(a)), not s(1-s)."""
    op = OPS["sigmoid"]
    assert substitute(op, op.formula(0), ["u1"], "σ1") == "σ(u1)(1-σ(u1))"
    assert substitute(op, op.formula(0), ["y"], "σ") == "σ(y)(1-σ(y))"


def test_formulas_take_the_nodes_names_and_the_step_through_signs():
    assert substitute(OPS["tanh"], OPS["tanh"].formula(0), ["u"], "h") == "1 - tanh(u)^2"
    assert substitute(OPS["**"], OPS["**"].formula(0), ["err", "2"], "L") == "2 · err^(2-1)"
    assert substitute(OPS["sqrt"], OPS["sqrt"].formula(0), ["x"], "r") == "1/(2 · sqrt(x))"
    assert substitute(OPS["/"], OPS["/"].formula(1), ["a", "-3"], "q") == "-a/(-3)^2"


def test_a_sigmoid_chain_names_each_sigmoid():
    x = Value(0.3, "x")
    u = x.sigmoid()
    u.label = "u"
    v = (u * 2).sigmoid()
    v.label = "v"
    text = explain(v)
    assert "σ(x)(1-σ(x))" in text and "σ(n3)(1-σ(n3))" in text and "s(1-s)" not in text
    assert "n2" not in {s.name for s in backward_steps(v)}  # the constant 2
