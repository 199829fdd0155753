"""Hypothesis strategies for property-testing gradients (needs the `testing` extra).

    from hypothesis import given
    from autograd_nn import gradcheck
    from autograd_nn.testing import expressions

    @given(expressions(n_inputs=2))
    def test_backprop_matches_finite_differences(case):
        f, xs = case
        assert gradcheck(f, xs)

Expressions are trees over the op table built with `st.recursive`. Ops with a
restricted domain are given arguments that are always inside it (log and sqrt
of `e*e + 1`, division by `e*e + 1`, powers of `e*e + 1`), and points are
drawn away from the kinks of abs, relu and leaky_relu, so that every drawn
case is differentiable where it is evaluated.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from hypothesis import assume
from hypothesis import strategies as st

from .engine import Value
from .ops import LEAKY_RELU_SLOPE, OPS

__all__ = ["Expression", "expressions", "finite_floats", "values"]

T = TypeVar("T")

KINK_DISTANCE = 1e-3
"""How far a drawn point keeps the argument of abs/relu/leaky_relu from 0."""

MAX_MAGNITUDE = 1e4
"""Largest |intermediate| kept, so finite differences stay meaningful."""

_UNARY = ("neg", "abs", "exp", "log", "sqrt", "sin", "cos", "tanh", "sigmoid", "relu")
_BINARY = ("+", "-", "*", "/", "**", "leaky_relu", "sum")
_KINKED = {"abs", "relu", "leaky_relu"}
_POSITIVE_ARGUMENT = {"log", "sqrt"}


@dataclass(frozen=True)
class Expression:
    """A random expression tree: call it on a list of Values to build the graph.

    `tree` is a nested tuple: ("x", i) for input i, ("const", c), or
    (op_name, child, ...). `evaluate` runs it with other primitives, e.g.
    PyTorch's, to compare engines.
    """

    tree: tuple[Any, ...]
    n_inputs: int

    def __call__(self, xs: Sequence[Value]) -> Value:
        result = self.evaluate(xs, _value_primitives)
        return result if isinstance(result, Value) else Value(result)

    def evaluate(self, xs: Sequence[T], primitives: Mapping[str, Callable[..., T]]) -> T:
        """Evaluate the tree on `xs` with `primitives[name](*args)` for each op.

        Uses an explicit stack, so deep trees need no recursion.
        """
        results: list[Any] = []
        stack: list[tuple[tuple[Any, ...], bool]] = [(self.tree, False)]
        while stack:
            node, children_done = stack.pop()
            kind = node[0]
            if kind == "x":
                results.append(xs[node[1]])
            elif kind == "const":
                results.append(primitives["const"](node[1]))
            elif not children_done:
                stack.append((node, True))
                stack.extend((child, False) for child in reversed(node[1:]))
            else:
                arity = len(node) - 1
                args = results[len(results) - arity :]
                del results[len(results) - arity :]
                results.append(primitives[kind](*args))
        result: T = results[0]
        return result

    def __str__(self) -> str:
        return self.evaluate([f"x{i}" for i in range(self.n_inputs)], _text_primitives)

    def __repr__(self) -> str:
        return f"Expression({self})"


def _value_op(name: str) -> Callable[..., Value]:
    return lambda first, *rest: first.apply(name, *rest)


_value_primitives: dict[str, Callable[..., Any]] = {name: _value_op(name) for name in OPS}
_value_primitives["const"] = Value

_SYMBOLS = {"+": "+", "-": "-", "*": "*", "/": "/", "**": "**"}
_text_primitives: dict[str, Callable[..., str]] = {
    name: (lambda a, b, s=symbol: f"({a} {s} {b})") for name, symbol in _SYMBOLS.items()
}
_text_primitives.update({name: (lambda a, n=name: f"{n}({a})") for name in _UNARY})
_text_primitives["neg"] = lambda a: f"-{a}"
_text_primitives["leaky_relu"] = lambda a, b: f"leaky_relu({a}, {b})"
_text_primitives["sum"] = lambda *xs: f"sum({', '.join(xs)})"
_text_primitives["const"] = repr


def _positive(tree: tuple[Any, ...]) -> tuple[Any, ...]:
    """tree*tree + 1: always >= 1, smooth, still an expression over the table."""
    return ("+", ("*", tree, tree), ("const", 1.0))


def _grow(children: st.SearchStrategy[tuple[Any, ...]]) -> st.SearchStrategy[tuple[Any, ...]]:
    def unary(name: str, child: tuple[Any, ...]) -> tuple[Any, ...]:
        return (name, _positive(child) if name in _POSITIVE_ARGUMENT else child)

    def binary(name: str, a: tuple[Any, ...], b: tuple[Any, ...]) -> tuple[Any, ...]:
        if name == "/":
            return ("/", a, _positive(b))
        if name == "**":
            return ("**", _positive(a), ("*", ("const", 0.5), ("tanh", b)))
        if name == "leaky_relu":
            return ("leaky_relu", a, ("const", LEAKY_RELU_SLOPE))
        return (name, a, b)

    return st.one_of(
        st.builds(unary, st.sampled_from(_UNARY), children),
        st.builds(binary, st.sampled_from(_BINARY), children, children),
    )


def finite_floats(bound: float = 3.0) -> st.SearchStrategy[float]:
    """Floats in [-bound, bound], no NaN or infinity."""
    return st.floats(-bound, bound, allow_nan=False, allow_infinity=False)


def values(bound: float = 3.0) -> st.SearchStrategy[Value]:
    """Leaf Values with data in [-bound, bound]."""
    return finite_floats(bound).map(Value)


def _differentiable_at(expression: Expression, xs: Sequence[float]) -> bool:
    """Evaluates in floats; False on a domain error, a near kink or a huge value."""

    def checked(name: str) -> Callable[..., float]:
        forward = OPS[name].forward

        def apply(*args: float) -> float:
            if name in _KINKED and abs(args[0]) < KINK_DISTANCE:
                raise ArithmeticError("near a kink")
            out = forward(*args)
            if not math.isfinite(out) or abs(out) > MAX_MAGNITUDE:
                raise ArithmeticError("too large")
            return out

        return apply

    primitives: dict[str, Callable[..., float]] = {name: checked(name) for name in OPS}
    primitives["const"] = float
    try:
        expression.evaluate(list(xs), primitives)
    except (ArithmeticError, ValueError):
        return False
    return True


def _leaf(n_inputs: int) -> st.SearchStrategy[tuple[Any, ...]]:
    variables = st.integers(0, n_inputs - 1).map(lambda i: ("x", i))
    constants = st.sampled_from([0.5, 2.0, -1.5, 3.0]).map(lambda c: ("const", c))
    return st.one_of(variables, variables, constants)


@st.composite
def expressions(
    draw: st.DrawFn, n_inputs: int = 2, max_leaves: int = 8, bound: float = 2.0
) -> tuple[Expression, list[float]]:
    """A random differentiable expression of `n_inputs` inputs and a point for it.

    Draws `(f, xs)`: `f(list_of_values)` builds the graph; `xs` is a list of
    floats in [-bound, bound] where f is defined and differentiable.
    """
    if n_inputs < 1:
        raise ValueError(f"n_inputs must be at least 1, got {n_inputs}")
    tree = draw(st.recursive(_leaf(n_inputs), _grow, max_leaves=max_leaves))
    expression = Expression(tree, n_inputs)
    xs = draw(st.lists(finite_floats(bound), min_size=n_inputs, max_size=n_inputs))
    assume(_differentiable_at(expression, xs))
    return expression, xs
