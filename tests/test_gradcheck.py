"""numerical_grad, gradcheck and the hypothesis strategies users reuse."""

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from autograd_nn import GradcheckError, Value, gradcheck, numerical_grad
from autograd_nn.gradcheck import analytic_grad
from autograd_nn.testing import Expression, expressions, values


def g(v):
    x, y, z = v
    return x * y + z


def test_numerical_grad_of_the_worked_example():
    assert numerical_grad(g, [3.0, -4.0, 2.0]) == pytest.approx([-4.0, 3.0, 1.0], abs=1e-8)
    assert analytic_grad(g, [3.0, -4.0, 2.0]) == [-4.0, 3.0, 1.0]
    assert gradcheck(g, [3.0, -4.0, 2.0]) is True


def test_numerical_grad_is_central_differences():
    # Exact for a quadratic: (f(x+h) - f(x-h)) / 2h = 2x whatever h.
    assert numerical_grad(lambda v: v[0] * v[0], [1.5], eps=0.25) == [3.0]


class WrongMul:
    """A function whose 'gradient' is deliberately wrong: it detaches one factor."""

    def __call__(self, v):
        x, y = v
        return x * Value(y.data) + y * 0.0


def test_gradcheck_lists_every_failing_input_with_both_numbers():
    with pytest.raises(GradcheckError) as info:
        gradcheck(WrongMul(), [2.0, 5.0])
    message = str(info.value)
    assert "1 of 2 input(s)" in message
    assert "x1" in message and "x0 " not in message.split("\n", 2)[2]
    (index, analytic, numeric), = info.value.failures
    assert index == 1 and analytic == 0.0 and numeric == pytest.approx(2.0)
    assert "0" in message and "2" in message


def test_gradcheck_error_is_an_assertion_error():
    with pytest.raises(AssertionError):
        gradcheck(WrongMul(), [1.0, 1.0])


def test_bad_arguments_are_reported():
    with pytest.raises(ValueError, match="eps must be positive"):
        numerical_grad(g, [1.0, 2.0, 3.0], eps=0)
    with pytest.raises(TypeError, match="f must return a Value, got float"):
        gradcheck(lambda v: 1.0, [1.0])
    with pytest.raises(ValueError, match=r"f failed at x0 = 0.0 - 1e-06: log\(-1e-06\)"):
        numerical_grad(lambda v: v[0].log(), [0.0])


@given(expressions(n_inputs=3))
def test_random_expressions_pass_gradcheck(case):
    f, xs = case
    assert isinstance(f, Expression) and len(xs) == 3
    assert gradcheck(f, xs)


@given(expressions(n_inputs=1, max_leaves=4))
def test_expressions_evaluate_to_finite_values(case):
    f, xs = case
    out = f([Value(x) for x in xs])
    assert math.isfinite(out.data)
    assert str(f).count("x0") >= 0 and repr(f).startswith("RandomExpression(")


@settings(max_examples=20)
@given(st.data())
def test_strategy_draws_trees_of_several_ops(data):
    f, _ = data.draw(expressions(2, max_leaves=10))
    assert isinstance(f.tree, tuple)


def test_expressions_rejects_zero_inputs():
    @given(expressions(0))
    def draw_one(case):
        pass

    with pytest.raises(ValueError, match="n_inputs must be at least 1"):
        draw_one()


@given(values())
def test_values_strategy_draws_leaves(v):
    assert isinstance(v, Value) and v.op == "" and -3 <= v.data <= 3


def test_deep_expression_evaluates_without_recursion():
    tree = ("x", 0)
    for _ in range(5000):
        tree = ("+", tree, ("const", 1.0))
    out = Expression(tree, 1)([Value(0.0)])
    assert out.data == 5000.0
    assert str(Expression(("sin", ("x", 0)), 1)) == "sin(x0)"
