"""Derivatives of derivatives: gradients that are Values, Hessians, and forward mode.

`backward` multiplies upstream gradients by the op table's local derivatives
as plain floats. Here the same derivatives are built as Values instead: each
table entry's rule (`ops.Op.rule`, written once over a namespace of
primitives) is run on `VALUES`, a namespace whose functions make graph
nodes. A gradient computed that way has a graph of its own, so it can be
differentiated again (``create_graph=True``, as in PyTorch); that gives
Hessians, Hessian-vector products and Newton's method. Piecewise ops (relu,
abs, leaky_relu, clamp) have local derivatives that are constants, so their
second derivatives are 0, as in PyTorch.

Forward mode (`jvp`) evaluates f on dual numbers (`engine.dual_level`): each
value carries a tangent, the sum of its inputs' tangents times the same local
derivatives, one evaluation per input direction.

    >>> from autograd_nn import Value, grad
    >>> x = Value(3.0, "x")
    >>> (dy,) = grad(x ** 3, [x], create_graph=True)   # 3x² = 27, a Value
    >>> (d2y,) = grad(dy, [x])                          # 6x = 18
    >>> dy.data, d2y
    (27.0, 18.0)
"""

from __future__ import annotations

import math
import operator
from collections.abc import Callable, Sequence
from typing import Any, cast

from . import checks
from .engine import Value, dual_level, make_dual, sum_values, topological_sort, unpack_dual
from .ops import CONSTANT, OPS, Op
from .primitives import FLOATS

__all__ = ["VALUES", "grad", "hessian", "hvp", "jvp", "value_derivatives"]

Operand = Value | float
Function = Callable[[list[Value]], Value]


# The primitives on Values -----------------------------------------------------------


def _data(x: Operand) -> float:
    return x.data if isinstance(x, Value) else float(x)


def _total(op: Op, on_floats: Callable[..., float]) -> Callable[..., Operand]:
    """`op` on Values, or, where its float form gives no finite number (log 0, a
    negative base's power), that number as a constant: the table's derivative
    formulas evaluate both sides of a `where`, and the side not chosen must not raise."""

    def apply(*xs: Operand) -> Operand:
        result = on_floats(*map(_data, xs))
        if not math.isfinite(result):
            return Value(result, requires_grad=False)
        first = xs[0] if isinstance(xs[0], Value) else Value(float(xs[0]), requires_grad=False)
        return first.apply(op, *xs[1:])

    return apply


class ValuePrimitives:
    """The primitives on Values: each function makes graph nodes with the table's ops.

    Conditions (``a > 0``, `is_zero`) are read from the values, so a piecewise
    derivative picks its branch for these numbers and is a constant there.
    """

    def __init__(self) -> None:
        self.add, self.sub, self.mul = operator.add, operator.sub, operator.mul
        self.neg, self.abs = operator.neg, abs
        self.div = _total(OPS["/"], FLOATS.div)
        self.pow = _total(OPS["**"], FLOATS.pow)
        self.exp = _total(OPS["exp"], FLOATS.exp)
        self.log = _total(OPS["log"], FLOATS.log)
        self.sqrt = _total(OPS["sqrt"], FLOATS.sqrt)
        self.sin = _total(OPS["sin"], FLOATS.sin)
        self.cos = _total(OPS["cos"], FLOATS.cos)
        self.log1p = lambda a: self.log(1.0 + a)
        self.tanh = lambda a: a.tanh()
        self.sigmoid = lambda a: a.sigmoid()
        self.relu = lambda a: a.relu()
        self.where = lambda condition, x, y: x if condition else y
        self.sum_of = lambda *xs: sum_values(xs)
        self.max_of = lambda *xs: max(xs, key=_data)
        self.is_zero = lambda a: _data(a) == 0.0
        self.is_whole = lambda a: FLOATS.is_whole(_data(a))
        self.is_inf = lambda a: math.isinf(_data(a))
        self.is_finite = lambda a: math.isfinite(_data(a))
        self.not_ = operator.not_
        self.guarded = lambda forward, shown, refusals=(), *, overflow="": forward


VALUES = ValuePrimitives()
"""The namespace that builds every op's local derivatives as Values."""

_VALUE_DERIVATIVES: dict[int, Callable[..., tuple[Operand, ...]]] = {}


def value_derivatives(op: Op) -> Callable[..., tuple[Operand, ...]]:
    """`op`'s local derivatives as Values (or constant floats): its rule run on `VALUES`."""
    found = _VALUE_DERIVATIVES.get(id(op))
    if found is None:
        if op.rule is None:
            raise TypeError(
                f"the op {op.name!r} was built from float functions, not with Op.from_rule, "
                "so its derivatives cannot be taken again (create_graph=True needs a rule)"
            )
        found = _VALUE_DERIVATIVES[id(op)] = op.rule(cast(Any, VALUES))[1]
    return found


# Reverse mode, with or without a graph ------------------------------------------------


def _order(outputs: Sequence[Value]) -> list[Value]:
    """One evaluation order holding every output's graph (each node once, after its inputs)."""
    merged: dict[int, Value] = {}
    for out in outputs:
        for node in topological_sort(out):
            merged.setdefault(id(node), node)
    return list(merged.values())


def _gradients(
    order: list[Value],
    seeds: dict[int, Any],
    local: Callable[[Value, tuple[Value, ...]], Sequence[Any]],
    first: Callable[[Any], Any],
) -> dict[int, Any]:
    """d(Σ seed·output)/d node for every node reached; no node's `.grad` is touched.

    `local(node, inputs)` gives a node's local derivatives: floats from
    `Op.derivatives`, or Values from the op's rule run on `VALUES` (`_graph_local`).
    `first(part)` is what a node's first contribution becomes.
    """
    grads = dict(seeds)
    for node in reversed(order):
        upstream = grads.get(id(node))
        inputs = node.inputs
        if upstream is None or not inputs:
            continue
        for child, derivative in zip(inputs, local(node, inputs)):
            if child._op is CONSTANT:
                continue
            # A derivative that is the float 1 passes upstream on as it is, as backward does.
            one = not isinstance(derivative, Value) and derivative == 1.0
            part = upstream if one else upstream * derivative
            before = grads.get(id(child))
            grads[id(child)] = first(part) if before is None else before + part
    return grads


def _float_local(node: Value, inputs: tuple[Value, ...]) -> tuple[float, ...]:
    return node._op.derivatives(node.data, *[i.data for i in inputs])


def _graph_local(node: Value, inputs: tuple[Value, ...]) -> tuple[Operand, ...]:
    return value_derivatives(node._op)(node, *inputs)


def _float_gradients(order: list[Value], seeds: dict[int, float]) -> dict[int, float]:
    """As floats, each summed from 0.0 as backward's `.grad` is (0.0 + -0.0 is 0.0)."""
    return _gradients(order, seeds, _float_local, lambda part: 0.0 + part)


def _graph_gradients(order: list[Value], seeds: dict[int, Value]) -> dict[int, Value]:
    """As Values whose graphs can be differentiated again."""
    return _gradients(order, seeds, _graph_local, lambda part: part)


def backward_creating_graph(root: Value) -> None:
    """`root.backward(create_graph=True)`: every node's `.grad` becomes a Value with a graph.

    Interior nodes' grads are set, leaves' accumulate (a leaf holding the float 0
    gets the Value itself), as `backward` does with floats.
    """
    order = topological_sort(root)
    grads = _graph_gradients(order, {id(root): Value(1.0, requires_grad=False)})
    for node in order:
        found = grads.get(id(node))
        if found is None:
            continue
        if node.inputs:
            node.grad = cast(float, found)
        else:
            held = cast(Any, node.grad)
            node.grad = cast(float, found if isinstance(held, float) and held == 0.0
                             else held + found)


def _as_outputs(outputs: Value | Sequence[Value]) -> list[Value]:
    listed = [outputs] if isinstance(outputs, Value) else list(outputs)
    for i, out in enumerate(listed):
        if not isinstance(out, Value):
            raise TypeError(f"grad: outputs[{i}] must be a Value, got {checks.describe(out)}")
    if not listed:
        raise ValueError("grad: no outputs given")
    return listed


def _seeds(outputs: list[Value], grad_outputs: Sequence[Operand] | None) -> list[Operand]:
    if grad_outputs is None:
        return [1.0] * len(outputs)
    given = list(grad_outputs)
    if len(given) != len(outputs):
        raise ValueError(f"grad: {len(outputs)} outputs but {len(given)} grad_outputs")
    for i, g in enumerate(given):
        if not isinstance(g, Value) and not checks.is_number(g):
            raise TypeError(f"grad: grad_outputs[{i}] must be a number or a Value, "
                            f"got {checks.describe(g)}")
    return [g if isinstance(g, Value) else float(g) for g in given]


def grad(
    outputs: Value | Sequence[Value],
    inputs: Value | Sequence[Value],
    grad_outputs: Sequence[Operand] | None = None,
    create_graph: bool = False,
    allow_unused: bool = False,
) -> list[Any]:
    """d(Σ grad_outputs·outputs)/d input for each input, as `torch.autograd.grad`.

    Nothing's `.grad` changes. Without `create_graph` each gradient is a float;
    with it, a Value whose graph can be differentiated again (a gradient that
    does not depend on anything is a constant Value). An input the outputs do
    not depend on raises `ValueError`, unless `allow_unused`, which gives None.
    """
    checks.flag("create_graph", create_graph)
    checks.flag("allow_unused", allow_unused)
    outs = _as_outputs(outputs)
    wanted = _as_outputs(inputs if isinstance(inputs, Sequence) else [inputs])
    seeds = _seeds(outs, grad_outputs)
    order = _order(outs)
    found: dict[int, Any]
    if create_graph:
        graph_seeds: dict[int, Value] = {}
        for out, seed in zip(outs, seeds):
            seed_value = seed if isinstance(seed, Value) else Value(seed, requires_grad=False)
            before = graph_seeds.get(id(out))
            graph_seeds[id(out)] = seed_value if before is None else before + seed_value
        found = _graph_gradients(order, graph_seeds)
    else:
        float_seeds: dict[int, float] = {}
        for out, seed in zip(outs, seeds):
            float_seeds[id(out)] = float_seeds.get(id(out), 0.0) + _data(seed)
        found = _float_gradients(order, float_seeds)
    return [_gradient_of(node, i, found, create_graph, allow_unused)
            for i, node in enumerate(wanted)]


def _gradient_of(
    node: Value, index: int, found: dict[int, Any], create_graph: bool, allow_unused: bool
) -> Any:
    value = found.get(id(node))
    if value is None:
        if allow_unused:
            return None
        raise ValueError(
            f"grad: inputs[{index}] ({node.label or 'an unlabelled Value'}) is not used in "
            "computing the outputs; pass allow_unused=True to get None for it"
        )
    if create_graph and not isinstance(value, Value):
        return Value(float(value), requires_grad=False)
    return value


# Hessians ------------------------------------------------------------------------


def _leaves(xs: Sequence[float], what: str) -> list[Value]:
    """Fresh inputs x0, x1, ... at the given point, each a finite number."""
    return [Value(checks.real(f"{what}[{i}]", x), label=f"x{i}") for i, x in enumerate(xs)]


def _evaluated(f: Function, leaves: list[Value], who: str) -> Value:
    out = f(leaves)
    if not isinstance(out, Value):
        raise TypeError(f"{who}: f must return a Value, got {checks.describe(out)}")
    return out


def _second(first: Value, leaves: list[Value]) -> list[float]:
    """d first / d leaf for each leaf; 0 where `first` does not depend on it."""
    if not first.inputs and not first.requires_grad:
        return [0.0] * len(leaves)
    row = grad(first, leaves, allow_unused=True)
    return [0.0 if g is None else float(g) for g in row]


def hessian(f: Function, xs: Sequence[float]) -> list[list[float]]:
    """The matrix of second derivatives d²f/dxᵢdxⱼ at xs, by double backward.

    One backward with a graph gives the gradient as Values; one more backward
    per input differentiates each entry. Row i is the gradient of df/dxᵢ.
    """
    leaves = _leaves(xs, "xs")
    first = grad(_evaluated(f, leaves, "hessian"), leaves, create_graph=True, allow_unused=True)
    return [_second(g if g is not None else Value(0.0, requires_grad=False), leaves)
            for g in first]


def hvp(f: Function, xs: Sequence[float], v: Sequence[float]) -> list[float]:
    """The Hessian of f at xs times the vector v, without forming the Hessian.

    d/dx (∇f(x)·v): one backward with a graph, a dot product with v, one more
    backward: two passes whatever the number of inputs.
    """
    leaves = _leaves(xs, "xs")
    direction = [checks.real(f"v[{i}]", x) for i, x in enumerate(v)]
    if len(direction) != len(leaves):
        raise ValueError(f"hvp: xs has {len(leaves)} entries but v has {len(direction)}")
    first = grad(_evaluated(f, leaves, "hvp"), leaves, create_graph=True, allow_unused=True)
    terms = [g * d for g, d in zip(first, direction) if g is not None]
    if not terms:
        return [0.0] * len(leaves)
    return _second(sum_values(terms), leaves)


# Forward mode -----------------------------------------------------------------------


def jvp(f: Function, xs: Sequence[float], vs: Sequence[float]) -> tuple[float, float]:
    """f(xs) and its derivative in the direction vs (∇f·vs), by forward mode.

    f is evaluated once on dual numbers (`dual_level`): each input carries its
    entry of vs as its tangent, and each result computes its own from its
    inputs' with the op table's local derivatives. One evaluation per
    direction, whatever the number of outputs, where reverse mode costs one
    backward per output. Equals `torch.func.jvp`.
    """
    leaves = _leaves(xs, "xs")
    direction = [checks.real(f"vs[{i}]", x) for i, x in enumerate(vs)]
    if len(direction) != len(leaves):
        raise ValueError(f"jvp: xs has {len(leaves)} entries but vs has {len(direction)}")
    with dual_level():
        for leaf, tangent in zip(leaves, direction):
            make_dual(leaf, tangent)
        result = unpack_dual(_evaluated(f, leaves, "jvp"))
    return result.primal, 0.0 if result.tangent is None else result.tangent
