"""`testing.expressions` draws from the op table: every op, and a new one at once."""

import math

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from autograd_nn import Value, gradcheck
from autograd_nn.ops import OPS, Op
from autograd_nn.testing import RandomExpression, expressions

EXAMPLES = 300
"""Draws per search: enough to meet each of the table's ops many times."""


def ops_in(tree):
    """The names of the ops in a drawn tree."""
    names, stack = set(), [tree]
    while stack:
        node = stack.pop()
        if node[0] not in ("x", "const"):
            names.add(node[0])
            stack.extend(node[1:])
    return names


def drawn_cases(n_inputs=2, examples=EXAMPLES):
    """The cases `expressions(n_inputs)` draws in a derandomized run of `examples` tries."""
    cases = []

    @settings(derandomize=True, database=None, deadline=None, max_examples=examples,
              suppress_health_check=[HealthCheck.too_slow])
    @given(expressions(n_inputs))
    def collect(case):
        cases.append(case)

    collect()
    return cases


def test_expressions_cover_every_op():
    seen = set().union(*(ops_in(f.tree) for f, _ in drawn_cases()))
    assert set(OPS) <= seen, f"never drawn: {sorted(set(OPS) - seen)}"


SQUARE = Op("square", "square", 1, lambda a: a * a, lambda out, a: (2.0 * a,), ("2*a",),
            "square")


def _reciprocal_sqrt(a):
    if a <= 0.0:
        raise ValueError(f"rsqrt({a!r}): rsqrt needs a positive input")
    return 1.0 / math.sqrt(a)


RSQRT = Op("rsqrt", "rsqrt", 1, _reciprocal_sqrt, lambda out, a: (-0.5 * out / a,),
           ("-1/(2*a*sqrt(a))",), "reciprocal square root")


@pytest.mark.parametrize("op", [SQUARE, RSQRT], ids=["square", "rsqrt (positive inputs)"])
def test_a_new_op_is_drawn_by_the_strategy(monkeypatch, op):
    monkeypatch.setitem(OPS, op.name, op)
    with_op = [(f, xs) for f, xs in drawn_cases() if op.name in ops_in(f.tree)]
    assert len(with_op) >= 5
    for f, xs in with_op:
        # Inside the op's domain, differentiable, and written as a call.
        assert gradcheck(f, xs)
        assert f"{op.name}(" in str(f)


def test_a_new_op_needs_no_change_to_the_notation(monkeypatch):
    monkeypatch.setitem(OPS, "square", SQUARE)
    f = RandomExpression(("square", ("-", ("x", 0), ("const", 1.0))), 1)
    assert str(f) == "square((x0 - 1.0))"
    assert f([Value(3.0)]).data == 4.0


@settings(max_examples=50)
@given(st.data())
def test_ops_of_restricted_domain_get_arguments_inside_it(data):
    f, xs = data.draw(expressions(1, max_leaves=4))
    # log, sqrt and ** (base) see e*e + 1; division divides by it.
    out = f([Value(x) for x in xs])
    assert math.isfinite(out.data)
    stack = [f.tree]
    while stack:
        node = stack.pop()
        if node[0] in ("log", "sqrt"):
            assert node[1][0] == "+" and node[1][2] == ("const", 1.0)
        if node[0] in ("/", "**"):
            guarded = node[2] if node[0] == "/" else node[1]
            assert guarded[0] == "+" and guarded[2] == ("const", 1.0)
        if node[0] not in ("x", "const"):
            stack.extend(node[1:])
