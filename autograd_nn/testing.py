"""Hypothesis strategies for property-testing gradients (needs the `testing` extra).

    from hypothesis import given
    from autograd_nn import gradcheck
    from autograd_nn.testing import expressions

    @given(expressions(n_inputs=2))
    def test_backprop_matches_finite_differences(case):
        f, xs = case
        assert gradcheck(f, xs)

Expressions are trees over the op table, `autograd_nn.ops.OPS`, built with
`st.recursive`. Everything about an op is read from the table when a strategy
is made, so a new table entry is drawn without a change here:

- how many inputs it is drawn with: its arity, less the trailing inputs that
  have defaults (those get their default, as leaky_relu's slope does); an
  op of any arity (sum) is drawn with two or three;
- where it is defined: its forward function is probed, and an input that
  makes it fail (log or sqrt of a negative, division by 0, a negative base
  of ``**``) is given an argument kept inside: ``e*e + 1`` (at least 1), or
  else ``0.5*tanh(e)`` (between -0.5 and 0.5);
- how it is written: ``(a + b)`` for an operator, ``-a`` for a unary one
  written as a sign, ``name(a, ...)`` for the rest.

A drawn point is kept only where every op is defined, finite and not huge,
and none of its local derivatives jumps within `KINK_DISTANCE` of its inputs
(the kinks of abs, relu and leaky_relu), so every case is differentiable
where it is evaluated.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

try:
    from hypothesis import assume
    from hypothesis import strategies as st
except ModuleNotFoundError as missing:  # an optional extra: say how to get it
    raise ModuleNotFoundError(
        "autograd_nn.testing needs hypothesis: pip install 'autograd_nn[testing]'",
        name=missing.name,
    ) from None

from . import checks
from .engine import Value
from .ops import OPS, Op

__all__ = ["RandomExpression", "expressions", "finite_floats", "values"]

T = TypeVar("T")
Tree = tuple[Any, ...]
"""("x", i) for input i, ("const", c), or (op_name, child, ...)."""

KINK_DISTANCE = 1e-3
"""How far a drawn point keeps each op's inputs from a kink or the edge of its domain."""

KINK_JUMP = 0.1
"""A local derivative changing by more than this (relative to 1 + its size) within
`KINK_DISTANCE` is a kink, not a smooth slope."""

MAX_MAGNITUDE = 1e4
"""Largest |intermediate| kept, so finite differences stay meaningful."""

N_ARY_INPUTS = (2, 3)
"""How many inputs an op of any arity is drawn with, at the fewest and the most."""


@dataclass(frozen=True)
class RandomExpression:
    """A random expression tree: call it on a list of Values to build the graph.

    `tree` is a nested tuple (see `Tree`). `evaluate` runs it with other
    primitives, e.g. PyTorch's, to compare engines.
    """

    tree: Tree
    n_inputs: int

    def __call__(self, xs: Sequence[Value]) -> Value:
        result = self.evaluate(xs, _value_primitives())
        return result if isinstance(result, Value) else Value(result)

    def evaluate(self, xs: Sequence[T], primitives: Mapping[str, Callable[..., T]]) -> T:
        """Evaluate the tree on `xs` with `primitives[name](*args)` for each op.

        Uses an explicit stack, so deep trees need no recursion.
        """
        results: list[Any] = []
        stack: list[tuple[Tree, bool]] = [(self.tree, False)]
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
        return self.evaluate([f"x{i}" for i in range(self.n_inputs)], _notation())

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self})"


Expression = RandomExpression
"""The name `RandomExpression` had before; `autograd_nn.expr.Expression` is the parser's."""


# Building and writing trees, from the op table -----------------------------------


def _value_primitives() -> dict[str, Callable[..., Any]]:
    """Each op of the table as a function of Values (the engine's `apply`)."""
    def applying(name: str) -> Callable[..., Value]:
        return lambda first, *rest: first.apply(name, *rest)

    primitives: dict[str, Callable[..., Any]] = {name: applying(name) for name in OPS}
    primitives["const"] = Value
    return primitives


def _writer(op: Op) -> Callable[..., str]:
    """How an op is written: an operator between, a sign before, or a call."""
    if op.arity == 2 and not op.name.isidentifier():
        return lambda a, b: f"({a} {op.symbol} {b})"
    if op.arity == 1 and not op.symbol.isidentifier():
        return lambda a: f"{op.symbol}{a}"
    return lambda *args: f"{op.name}({', '.join(args)})"


def _notation() -> dict[str, Callable[..., str]]:
    """Each op of the table as a function writing its inputs' text into its own."""
    written: dict[str, Callable[..., str]] = {name: _writer(op) for name, op in OPS.items()}
    written["const"] = repr
    return written


# Keeping each op inside its domain ----------------------------------------------


def _at_least_one(tree: Tree) -> Tree:
    """tree*tree + 1: always >= 1, smooth, still an expression over the table."""
    return ("+", ("*", tree, tree), ("const", 1.0))


def _within_half(tree: Tree) -> Tree:
    """0.5*tanh(tree): always in (-0.5, 0.5), smooth."""
    return ("*", ("const", 0.5), ("tanh", tree))


def _unchanged(tree: Tree) -> Tree:
    """The argument as drawn: for inputs where the op is defined everywhere."""
    return tree


@dataclass(frozen=True)
class _Guard:
    """A way to keep an argument inside a range, and values it can take there."""

    wrap: Callable[[Tree], Tree]
    probes: tuple[float, ...]


_PROBES = (-2.0, -0.5, 0.0, 0.5, 2.0)
_GUARDS = (
    _Guard(_unchanged, _PROBES),
    _Guard(_at_least_one, tuple(p * p + 1.0 for p in _PROBES)),
    _Guard(_within_half, tuple(0.5 * math.tanh(p) for p in _PROBES)),
)
"""From the least to the most restrictive; an input gets the first under which
its op is defined at every probe."""
_OTHER_INPUTS = (0.5, 1.5)
"""What the other inputs are while one is probed: positive, not whole."""


def _defined(op: Op, args: Sequence[float]) -> bool:
    """Whether op's forward function gives a finite number at `args`."""
    try:
        return math.isfinite(op.forward(*args))
    except (ArithmeticError, ValueError):
        return False


def _defined_on(op: Op, position: int, drawn: int, probes: Sequence[float]) -> bool:
    """Whether `op` is defined with input `position` at each probe, the others at
    each of `_OTHER_INPUTS` and the trailing inputs at their defaults."""
    for probe in probes:
        for other in _OTHER_INPUTS:
            args = [other] * drawn
            args[position] = probe
            if not _defined(op, [*args, *op.defaults]):
                return False
    return True


def _guard(op: Op, position: int, drawn: int) -> Callable[[Tree], Tree]:
    """The least restrictive guard under which input `position` of `op` stays defined."""
    for guard in _GUARDS:
        if _defined_on(op, position, drawn, guard.probes):
            return guard.wrap
    return _GUARDS[-1].wrap


@dataclass(frozen=True)
class _Plan:
    """How one op is drawn: how many children, a guard for each, the defaults after."""

    name: str
    fewest: int
    guards: tuple[Callable[[Tree], Tree], ...]
    defaults: tuple[float, ...]

    def node(self, children: Sequence[Tree]) -> Tree:
        """The op over the guarded children and its defaults."""
        guarded = [guard(child) for guard, child in zip(self.guards, children)]
        return (self.name, *guarded, *(("const", d) for d in self.defaults))

    def nodes(self, children: st.SearchStrategy[Tree]) -> st.SearchStrategy[Tree]:
        """Nodes of this op over trees drawn from `children`."""
        drawn = st.lists(children, min_size=self.fewest, max_size=len(self.guards))
        return drawn.map(self.node)


def _plan(op: Op) -> _Plan:
    """How `op` is drawn, read from its table entry (see the module's docstring)."""
    defaults: tuple[float, ...] = ()
    if op.arity is None:
        fewest, most = N_ARY_INPUTS
    else:
        fewest = most = op.arity - len(op.defaults)
        defaults = op.defaults
    guards = tuple(_guard(op, i, most) for i in range(most))
    return _Plan(op.name, fewest, guards, defaults)


def _grower(plans: list[_Plan]) -> Callable[[st.SearchStrategy[Tree]], st.SearchStrategy[Tree]]:
    """What `st.recursive` extends a tree with: any op of the plans over smaller trees."""

    def grow(children: st.SearchStrategy[Tree]) -> st.SearchStrategy[Tree]:
        return st.one_of([plan.nodes(children) for plan in plans])

    return grow


# Points where an expression is differentiable --------------------------------------


def _finite(value: float) -> float:
    """`value` if finite and at most `MAX_MAGNITUDE` in size; else an ArithmeticError."""
    if not math.isfinite(value) or abs(value) > MAX_MAGNITUDE:
        raise ArithmeticError("too large")
    return value


def _smooth(op: Op, args: Sequence[float]) -> float:
    """op(*args), if op is defined, finite and free of kinks within `KINK_DISTANCE`."""
    out = _finite(op.forward(*args))
    slopes = op.derivatives(out, *args)
    for i in range(len(args)):
        for step in (-KINK_DISTANCE, KINK_DISTANCE):
            moved = [a + step if j == i else a for j, a in enumerate(args)]
            near = op.derivatives(_finite(op.forward(*moved)), *moved)
            if any(abs(b - a) > KINK_JUMP * (1.0 + abs(a)) for a, b in zip(slopes, near)):
                raise ArithmeticError(f"{op.name} has a kink near {list(args)}")
    return out


def _differentiable_at(expression: RandomExpression, xs: Sequence[float]) -> bool:
    """Evaluates in floats; False on a domain error, a kink nearby or a huge value."""

    def smooth(op: Op) -> Callable[..., float]:
        return lambda *args: _smooth(op, args)

    primitives: dict[str, Callable[..., float]] = {name: smooth(op) for name, op in OPS.items()}
    primitives["const"] = float
    try:
        expression.evaluate(list(xs), primitives)
    except (ArithmeticError, ValueError):
        return False
    return True


# The strategies ----------------------------------------------------------------------


def finite_floats(bound: float = 3.0) -> st.SearchStrategy[float]:
    """Floats in [-bound, bound], no NaN or infinity."""
    return st.floats(-bound, bound, allow_nan=False, allow_infinity=False)


def values(bound: float = 3.0) -> st.SearchStrategy[Value]:
    """Leaf Values with data in [-bound, bound]."""
    return finite_floats(bound).map(Value)


def _leaf(n_inputs: int) -> st.SearchStrategy[Tree]:
    """An input (twice as likely) or one of a few constants."""
    variables = st.integers(0, n_inputs - 1).map(lambda i: ("x", i))
    constants = st.sampled_from([0.5, 2.0, -1.5, 3.0]).map(lambda c: ("const", c))
    return st.one_of(variables, variables, constants)


@st.composite
def _cases(
    draw: st.DrawFn, trees: st.SearchStrategy[Tree], n_inputs: int, bound: float
) -> tuple[RandomExpression, list[float]]:
    """A tree from `trees` and a point where it is differentiable."""
    expression = RandomExpression(draw(trees), n_inputs)
    xs = draw(st.lists(finite_floats(bound), min_size=n_inputs, max_size=n_inputs))
    assume(_differentiable_at(expression, xs))
    return expression, xs


def expressions(
    n_inputs: int = 2, max_leaves: int = 8, bound: float = 2.0
) -> st.SearchStrategy[tuple[RandomExpression, list[float]]]:
    """A random differentiable expression of `n_inputs` inputs and a point for it.

    Draws `(f, xs)`: `f(list_of_values)` builds the graph; `xs` is a list of
    floats in [-bound, bound] where f is defined and differentiable. The ops
    are those of `OPS` when the strategy is first drawn from.
    """

    def build() -> st.SearchStrategy[tuple[RandomExpression, list[float]]]:
        inputs = checks.whole("n_inputs", n_inputs)
        leaves = checks.whole("max_leaves", max_leaves)
        plans = [_plan(op) for op in OPS.values()]
        trees = st.recursive(_leaf(inputs), _grower(plans), max_leaves=leaves)
        return _cases(trees, inputs, checks.positive("bound", bound))

    return st.deferred(build)
