"""`Value`: a scalar that records the computation graph, and `backward`.

Each `Value` remembers the op that made it (an entry of `autograd_nn.ops`) and
its inputs. `backward` sorts the graph without recursion and, walking it from
the output back, multiplies each node's upstream gradient by the op table's
local derivatives (the chain rule). No node holds a closure, so a graph has no
reference cycles and is freed as soon as its output is.

Inside `dual_level` (forward mode, `autograd_nn.forward_ad`) each node made
from an input given a tangent carries its own tangent as well: a dual number.

A leaf is a parameter or an input, which gets a gradient, or a constant
(`requires_grad` False), which does not: a plain number in an expression, a
`Value(..., requires_grad=False)`, or a result computed under `no_grad`.

Speed matters here (a training step records tens of thousands of nodes), so
the operators skip `apply`'s generality, nodes are built slot by slot and keep
their inputs in slots rather than a tuple each, `backward` writes the four
commonest ops' derivatives inline (the table's own rules, checked against it
by a test), and the cycle collector is kept from rescanning a graph that
cannot be garbage. Each such choice is one short, commented piece of code.
"""

from __future__ import annotations

import gc
import math
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import NamedTuple, Union, cast

from .checks import is_number
from .ops import CONSTANT, LEAF, LEAKY_RELU_SLOPE, OPS, Op, check_overflow, op_named

__all__ = [
    "UnpackedDual",
    "Value",
    "collector_paused",
    "dual_level",
    "is_recording",
    "make_dual",
    "mean_values",
    "no_grad",
    "pairwise",
    "sum_nodes",
    "sum_values",
    "tangent_sum",
    "topological_sort",
    "unpack_dual",
]

Number = int | float
Operand = Union["Value", int, float]

class _GradMode(threading.local):
    """This thread's modes: whether it records graphs (`no_grad` switches it per
    thread, as in PyTorch) and its forward-mode level, if it is in one (`dual_level`)."""

    recording = True
    dual_level: object | None = None


_mode = _GradMode()
# How many threads are inside `no_grad` or a `dual_level`. While none is, every
# thread records plainly, and building a node reads this one global instead of
# the thread-local modes.
_threads_in_modes = 0
_mode_lock = threading.Lock()


def _count_in_modes(change: int) -> None:
    global _threads_in_modes
    with _mode_lock:
        _threads_in_modes += change


@contextmanager
def no_grad() -> Iterator[None]:
    """Within this block, results record no inputs: evaluation without a graph.

    The switch is this thread's alone: another thread keeps recording.
    """
    if not _mode.recording:  # nested: the outer block restores recording
        yield
        return
    _mode.recording = False
    _count_in_modes(+1)
    try:
        yield
    finally:
        _mode.recording = True
        _count_in_modes(-1)


def is_recording() -> bool:
    """Whether new results record their inputs in this thread (False inside `no_grad`)."""
    return _threads_in_modes == 0 or _mode.recording


@contextmanager
def collector_paused() -> Iterator[None]:
    """Keep Python's cycle collector from rescanning a graph while it is built or walked.

    A graph has no reference cycles (nodes hold no closures), so nothing in it
    can become cyclic garbage; on a large graph a collection would only cost time.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _number_of(x: object) -> float:
    """A Value's data, or a plain number as a float (what a comparison compares)."""
    return x.data if isinstance(x, Value) else _as_float(x)


def _as_float(data: object) -> float:
    if type(data) is float:
        return data
    if not is_number(data):
        raise TypeError(
            f"Value needs a real number, got {type(data).__name__}: {data!r}"
        )
    try:
        return float(data)
    except OverflowError:
        raise OverflowError(
            "Value needs a number that fits a float (at most about 1.8e308); "
            f"this {type(data).__name__} is too large"
        ) from None


def _method(op: Op, doc: str) -> Callable[[Value], Value]:
    """`Value`'s method for the one-input `op`, e.g. ``x.tanh()``."""

    def method(self: Value) -> Value:
        return _unary(op, self)

    method.__name__ = method.__qualname__ = op.name
    method.__doc__ = doc
    return method


def _operator(op: Op) -> tuple[Callable[[Value, Operand], Value], Callable[[Value, Number], Value]]:
    """`Value`'s operator for the two-input `op` and its reflected form (``2 * x``)."""

    def forward(self: Value, other: Operand) -> Value:
        return _binary(op, self, other)

    def reflected(self: Value, other: Number) -> Value:
        return _binary(op, _constant(other), self)

    forward.__doc__ = f"self {op.symbol} other"
    reflected.__doc__ = f"other {op.symbol} self, for a plain number on the left"
    return forward, reflected


class Value:
    """A scalar in a computation graph: its data, its gradient, how it was made."""

    # Slots instead of a __dict__: a node is 104 bytes plus its numbers. Its
    # inputs are kept in slots, not in a tuple: nearly every node has one or
    # two, and a tuple each would be one more object per node to allocate, free
    # and have the cycle collector scan (some 5% of a training step). Only a
    # node of three or more inputs (a neuron's `sum`) keeps a tuple. `inputs`
    # gives every node's as a tuple.
    __slots__ = ("_a", "_b", "_dual", "_many", "_op", "_visit", "data", "grad", "label")

    data: float
    grad: float
    label: str
    _op: Op
    _a: Value | None  # the first input; None for a leaf, and only for a leaf
    _b: Value | None  # the second input of a node of two; else None
    _many: tuple[Value, ...]  # all inputs of a node of three or more; else ()
    _visit: object  # the mark of the last `topological_sort` that reached this node
    _dual: tuple[object, float]  # (dual level, tangent), set only inside a `dual_level`

    def __init__(self, data: Number, label: str = "", requires_grad: bool = True) -> None:
        self.data = data if type(data) is float else _as_float(data)
        self.grad = 0.0
        self.label = label
        self._op = LEAF if requires_grad is True else _constant_op(requires_grad)
        self.inputs = ()
        self._visit = None

    @property
    def inputs(self) -> tuple[Value, ...]:
        """The nodes this one was computed from, in order; () for a leaf."""
        a, b = self._a, self._b
        if a is None:
            return ()
        if b is not None:
            return (a, b)
        return self._many or (a,)

    @inputs.setter
    def inputs(self, inputs: tuple[Value, ...]) -> None:
        # Into the slots: the first two by name, and three or more as the tuple.
        count = len(inputs)
        self._a = inputs[0] if count else None
        self._b = inputs[1] if count == 2 else None
        self._many = inputs if count > 2 else ()

    @property
    def op(self) -> str:
        """The op table's name of the op that made this node; "" for a leaf."""
        return self._op.name

    @property
    def requires_grad(self) -> bool:
        """Whether `backward` computes a gradient for this node (PyTorch's name).

        False only for a constant: a plain number in an expression (the 2 in
        ``x**2``), a `Value(..., requires_grad=False)` (data, targets), or a
        result computed under `no_grad`. Its `.grad` stays 0.
        """
        return self._op is not CONSTANT

    @requires_grad.setter
    def requires_grad(self, value: bool) -> None:
        if self.inputs:
            raise ValueError(
                "requires_grad can only be set on a leaf (a node with no inputs); "
                f"this node was made by {self.op!r}"
            )
        self._op = LEAF if value is True else _constant_op(value)

    def __repr__(self) -> str:
        parts = [repr(self.data)]
        if self.label:
            parts.append(f"label={self.label!r}")
        if self.inputs:
            parts.append(f"op={self.op!r}")
        elif self._op is CONSTANT:
            parts.append("requires_grad=False")
        if self.grad:
            parts.append(f"grad={self.grad!r}")
        return f"Value({', '.join(parts)})"

    def __float__(self) -> float:
        return self.data

    def __reduce__(self) -> tuple[Callable[[float, str, bool, float], Value], tuple[object, ...]]:
        """Copy and pickle a leaf (data, label, requires_grad, grad), as PyTorch does.

        A node with inputs is refused: copying it would copy its whole graph.
        So `copy.deepcopy(model)` works (parameters are leaves).
        """
        if self.inputs:
            raise TypeError(
                f"only a leaf Value (one with no inputs) can be copied or pickled; this one "
                f"was made by {self.op!r}: copy its .data, or copy the leaves and rebuild"
            )
        return _leaf, (self.data, self.label, self._op is not CONSTANT, self.grad)

    # Building the graph -------------------------------------------------

    def apply(self, op: str | Op, *others: Operand) -> Value:
        """Any op of the table applied to self (and `others`), e.g. `x.apply("tanh")`.

        The methods below are shorthands for this; a new table entry is usable
        here at once. Plain numbers among `others` become constants of the graph.
        """
        if isinstance(op, str):
            op = op_named(op)
        inputs = (self, *[o if isinstance(o, Value) else _constant(o) for o in others])
        if op.arity is not None and len(inputs) != op.arity:
            raise TypeError(f"{op.name} takes {op.arity} input(s), got {len(inputs)}")
        return _make(op, inputs)

    # The operators and methods below are `apply` with the arity check and the
    # op lookup done once, when the class is made: they are the hot path of
    # every forward pass. Each is one line naming its table entry.

    __add__, __radd__ = _operator(OPS["+"])
    __sub__, __rsub__ = _operator(OPS["-"])
    __mul__, __rmul__ = _operator(OPS["*"])
    __truediv__, __rtruediv__ = _operator(OPS["/"])
    __pow__, __rpow__ = _operator(OPS["**"])
    __neg__ = _method(OPS["neg"], "-x")
    __abs__ = _method(OPS["abs"], "|x|; its derivative at 0 is taken as 0, as PyTorch does.")
    exp = _method(OPS["exp"], "e to the power of this value.")
    log = _method(OPS["log"], "Natural logarithm (needs a positive input).")
    sqrt = _method(OPS["sqrt"], "Square root (needs a non-negative input).")
    sin = _method(OPS["sin"], "Sine, in radians.")
    cos = _method(OPS["cos"], "Cosine, in radians.")
    tanh = _method(OPS["tanh"], "Hyperbolic tangent.")
    sigmoid = _method(OPS["sigmoid"], "Logistic sigmoid 1 / (1 + e^-x), computed without overflow.")
    relu = _method(OPS["relu"], "max(x, 0); its derivative at 0 is taken as 0, as PyTorch does.")
    softplus = _method(OPS["softplus"], "log(1 + e^x), computed without overflow.")

    def clamp(self, min: float = -math.inf, max: float = math.inf) -> Value:
        """This value limited to [min, max], as `torch.clamp`; slope 1 inside, 0 outside."""
        return self.apply(_CLAMP, min, max)

    def leaky_relu(self, negative_slope: float = LEAKY_RELU_SLOPE) -> Value:
        """x for x > 0, else negative_slope * x (the slope is a constant input)."""
        return _binary(_LEAKY_RELU, self, negative_slope)

    # Differentiating ----------------------------------------------------

    # Comparisons read the values, as float's do (a Python bool, not a node):
    # `if loss < best`, `sorted(values)`, and the table's piecewise derivatives
    # evaluated on Values (`autograd_nn.higher`).
    def __lt__(self, other: Operand) -> bool:
        return self.data < _number_of(other)

    def __le__(self, other: Operand) -> bool:
        return self.data <= _number_of(other)

    def __gt__(self, other: Operand) -> bool:
        return self.data > _number_of(other)

    def __ge__(self, other: Operand) -> bool:
        return self.data >= _number_of(other)

    def backward(self, create_graph: bool = False) -> None:
        """Compute d self / d node for every node of this graph.

        Interior nodes' `.grad` is set to this pass's value; leaves accumulate
        (`+=`), as PyTorch parameters do, so call `zero_grad` between steps.

        Walking the graph from this node back, each node's upstream gradient
        times its local derivatives is added to its inputs' gradients (a
        constant's is never added: it stays 0). The local derivatives are the
        op table's (`Op.derivatives`), with one exception for speed: for the
        four ops of nearly every node in a network the loop writes them inline,
        as the table states them, since calling the table for every node took
        some 40% of the walk. They are 1 for each input of ``+`` and ``sum``
        (so upstream is added as it is: ``upstream * 1.0`` is ``upstream``),
        ``(b, a)`` for ``a * b``, and ``0.0 if a <= 0.0 else 1.0`` for
        ``relu(a)``. tests/test_engine_inline.py checks, on random points with
        infinities and NaN among them, that each gives the table's numbers bit
        for bit: a change to one of these four entries not made here too fails it.

        With ``create_graph=True`` every gradient is a Value with a graph of its
        own, built from the same table entries (`autograd_nn.higher`), so it can
        be differentiated again; `zero_grad` puts the float 0 back.
        """
        if create_graph is not False:
            if create_graph is not True:
                raise TypeError(f"create_graph must be True or False, got {create_graph!r}")
            from .higher import backward_creating_graph  # it builds on this module

            with collector_paused():
                backward_creating_graph(self)
            return
        backward_floats(self)


def backward_floats(root: Value) -> None:
    """`root.backward()` with float gradients: the sort, interior grads reset, the
    chain rule. (The benchmark times it beside `backward()`, to show what the
    create_graph option costs the ordinary pass.)"""
    with collector_paused():
        order = topological_sort(root)
        for node in order:
            if node._a is not None:
                node.grad = 0.0
        root.grad += 1.0
        _propagate(order)


# Nodes are made by `_binary`, `_unary` and `_make`, which set the slots
# directly (`_make` the three of inputs through `inputs`' setter; `_dual` only
# in forward mode) instead of calling `__init__` (the data is already a float).
# The three are alike on purpose: one more call per node costs a sixth of its time.
_new_value = Value.__new__
_is_value = Value.__instancecheck__  # isinstance(x, Value), as a function of x alone


def _constant_op(requires_grad: object) -> Op:
    """The pseudo-op for a leaf whose `requires_grad` is not True: CONSTANT if it is False."""
    if requires_grad is not False:
        raise TypeError(f"requires_grad must be True or False, got {requires_grad!r}")
    return CONSTANT


def _leaf(data: float, label: str, requires_grad: bool, grad: float) -> Value:
    """A leaf as `Value.__reduce__` recorded it."""
    out = Value(data, label, requires_grad)
    out.grad = grad
    return out


def _constant(x: Number) -> Value:
    """A constant leaf holding the plain number `x`: it gets no gradient."""
    out = _new_value(Value)
    out.data = x if type(x) is float else _as_float(x)
    out.grad = 0.0
    out.label = ""
    out._visit = None
    out._op = CONSTANT
    out._a = out._b = None
    out._many = ()
    return out


def _binary(op: Op, a: Value, b: Operand) -> Value:
    """A node for two-input `op`; a plain number `b` becomes a constant."""
    if not isinstance(b, Value):
        b = _constant(b)
    data = op.forward(a.data, b.data)
    if data - data != 0.0:  # inf or nan: overflow is an error, nan and inf propagate
        check_overflow(op, (a.data, b.data), data)
    out = _new_value(Value)
    out.data = data
    out.grad = 0.0
    out.label = ""
    out._visit = None
    out._many = ()
    if _threads_in_modes == 0:
        out._op = op
        out._a = a
        out._b = b
    else:
        _made_in_modes(out, op, (a, b))
    return out


def _unary(op: Op, a: Value) -> Value:
    """A node for one-input `op`."""
    data = op.forward(a.data)
    if data - data != 0.0:
        check_overflow(op, (a.data,), data)
    out = _new_value(Value)
    out.data = data
    out.grad = 0.0
    out.label = ""
    out._visit = None
    out._b = None
    out._many = ()
    if _threads_in_modes == 0:
        out._op = op
        out._a = a
    else:
        _made_in_modes(out, op, (a,))
    return out


def _make(op: Op, inputs: tuple[Value, ...]) -> Value:
    """A node for `op` of any number of inputs; it records them unless in `no_grad`."""
    operands = [i.data for i in inputs]
    data = op.forward(*operands)
    if data - data != 0.0:
        check_overflow(op, operands, data)
    out = _new_value(Value)
    out.data = data
    out.grad = 0.0
    out.label = ""
    out._visit = None
    if _threads_in_modes == 0:
        out._op = op
        out.inputs = inputs
    else:
        _made_in_modes(out, op, inputs)
    return out


def _made_in_modes(out: Value, op: Op, inputs: tuple[Value, ...]) -> None:
    """Finish a node made while some thread is in `no_grad` or a `dual_level`.

    It records its inputs unless this thread is in `no_grad`, and carries its
    tangent if this thread is in a dual level (forward mode).
    """
    if _mode.recording:
        out._op = op
        out.inputs = inputs
    else:
        out._op = CONSTANT
        out.inputs = ()
    level = _mode.dual_level
    if level is not None:
        tangent = _tangent(op, out.data, inputs, level)
        if tangent is not None:
            out._dual = (level, tangent)


def pairwise(op: Op, lefts: Sequence[Value], rights: Sequence[Operand]) -> list[Value]:
    """``[op(a, b) for a, b in zip(lefts, rights)]`` for a two-input op, built in one loop.

    A layer's products ``w * x`` are most of a network's nodes; making them
    here, without a call per node, takes about a third less time than the
    operator. `lefts` are Values; a plain number among `rights` becomes a
    constant, as in ``w * 2.0``.
    """
    if len(lefts) != len(rights):
        raise ValueError(f"pairwise: {len(lefts)} left operands but {len(rights)} right ones")
    if _threads_in_modes == 0:
        try:
            return _pairwise_recorded(op, lefts, cast(Sequence[Value], rights))
        except AttributeError:  # a plain number among `rights`
            pass
    return [_binary(op, a, b) for a, b in zip(lefts, rights)]


def _pairwise_recorded(op: Op, lefts: Sequence[Value], rights: Sequence[Value]) -> list[Value]:
    """`pairwise` when every thread records: `_binary`'s body, in a loop."""
    forward, made = op.forward, cast(list[Value], [])
    append = made.append
    for a, b in zip(lefts, rights):
        data = forward(a.data, b.data)
        if data - data != 0.0:
            check_overflow(op, (a.data, b.data), data)
        out = _new_value(Value)
        out.data = data
        out.grad = 0.0
        out.label = ""
        out._visit = None
        out._many = ()
        out._op = op
        out._a = a
        out._b = b
        append(out)
    return made


def sum_nodes(terms: Sequence[Value]) -> Value:
    """`sum_values` for terms known to be Values (a neuron's): without checking them."""
    return _make(_SUM, tuple(terms)) if terms else _constant(0.0)


def sum_values(terms: Iterable[Operand]) -> Value:
    """One n-ary `sum` node over all terms: a wide sum without a deep chain."""
    given = tuple(terms)
    # Nearly always every term is a Value (a neuron's sum): checking them in
    # one pass of C is a quarter of this function's time cheaper than
    # converting term by term, which only plain numbers need.
    if all(map(_is_value, given)):
        inputs = cast(tuple[Value, ...], given)
    else:
        inputs = tuple(t if isinstance(t, Value) else _constant(t) for t in given)
    if not inputs:
        return _constant(0.0)
    return _make(_SUM, inputs)


def mean_values(terms: Sequence[Value]) -> Value:
    """The mean of `terms`: one `sum` node divided by their count."""
    return sum_values(terms) / len(terms)


def topological_sort(root: Value) -> list[Value]:
    """The graph's nodes, each after all its inputs, root last, each once.

    An explicit stack replaces recursion, so a chain of any depth works. A
    node is pushed, then a marker, then its inputs; when the marker is popped,
    everything the node depends on is already in `order`. Visited nodes carry
    this call's mark in a slot, which on millions of nodes is about twice as
    fast as a set of them; a lock keeps two threads from mixing marks.
    """
    order: list[Value] = []
    mark = object()
    stack = [root]
    with _SORTING:
        while stack:
            node = stack.pop()
            if node is _INPUTS_PLACED:
                order.append(stack.pop())
                continue
            if node._visit is mark:
                continue
            node._visit = mark
            a, b, many = node._a, node._b, node._many
            if many:
                stack.append(node)
                stack.append(_INPUTS_PLACED)
                stack.extend(many)
                continue
            # One or two inputs (or none): only those not yet placed are pushed,
            # and a node with none to push is placed at once (most of a network's
            # products, whose weight and input were placed by an earlier one).
            if a is None:  # a leaf
                order.append(node)
                continue
            a_new = a._visit is not mark
            b_new = b is not None and b._visit is not mark
            if not (a_new or b_new):
                order.append(node)
                continue
            stack.append(node)
            stack.append(_INPUTS_PLACED)
            if a_new:
                stack.append(a)
            if b_new and b is not None:
                stack.append(b)
    return order


_INPUTS_PLACED = Value(0.0, "marker of topological_sort")
_SORTING = threading.Lock()


def _propagate(order: list[Value]) -> None:
    """`backward`'s chain rule over `order` (a topological order), from its end back.

    ``+``, ``*``, ``sum`` and ``relu`` inline, as the table states them (see
    `Value.backward`); every other op through `_propagate_by_table`.
    """
    for node in reversed(order):
        a, b = node._a, node._b
        if a is None:
            continue
        op, upstream = node._op, node.grad
        # (`b is not None` says for the type checker that * and + have two inputs.)
        if op is _MUL and b is not None:
            if a._op is not CONSTANT:
                a.grad += upstream * b.data
            if b._op is not CONSTANT:
                b.grad += upstream * a.data
        elif op is _ADD and b is not None:
            if a._op is not CONSTANT:
                a.grad += upstream
            if b._op is not CONSTANT:
                b.grad += upstream
        elif op is _SUM:
            _pass_on(upstream, node._many or node.inputs)
        elif op is _RELU:
            if a._op is not CONSTANT:
                a.grad += upstream * (0.0 if a.data <= 0.0 else 1.0)
        else:
            _propagate_by_table(node, upstream)


def _pass_on(upstream: float, inputs: tuple[Value, ...]) -> None:
    """`_propagate` for a `sum` node: each input's local derivative is 1."""
    for child in inputs:
        if child._op is not CONSTANT:
            child.grad += upstream


def _propagate_by_table(node: Value, upstream: float) -> None:
    """`_propagate` for one node of any other op: its local derivatives from the op table."""
    # One and two inputs are nearly every node: passing them by name is much
    # faster than building an argument list. A constant's derivative is
    # computed with its partner's (one table call gives both) but not added.
    derivatives, a, b = node._op.derivatives, node._a, node._b
    if a is None:
        return
    if node._many:
        local = derivatives(node.data, *[i.data for i in node._many])
        for child, derivative in zip(node._many, local):
            if child._op is not CONSTANT:
                child.grad += upstream * derivative
    elif b is not None:
        d_a, d_b = derivatives(node.data, a.data, b.data)
        if a._op is not CONSTANT:
            a.grad += upstream * d_a
        if b._op is not CONSTANT:
            b.grad += upstream * d_b
    else:
        (d_a,) = derivatives(node.data, a.data)
        if a._op is not CONSTANT:
            a.grad += upstream * d_a


_ADD, _MUL, _RELU = OPS["+"], OPS["*"], OPS["relu"]
_LEAKY_RELU, _SUM, _CLAMP = OPS["leaky_relu"], OPS["sum"], OPS["clamp"]


# Forward mode ---------------------------------------------------------------------


class UnpackedDual(NamedTuple):
    """A Value's number and, inside a `dual_level`, its tangent (None if it has none)."""

    primal: float
    tangent: float | None


@contextmanager
def dual_level() -> Iterator[None]:
    """Within this block, Values are dual numbers: each carries a tangent beside its data.

    Give inputs tangents with `make_dual`; every result made from them then
    computes its own as it is made, ``ṫ = Σ local derivative × input's tangent``
    with the op table's derivatives, and `unpack_dual` reads it. One evaluation
    gives a directional derivative (forward mode). As PyTorch's
    ``torch.autograd.forward_ad.dual_level``: levels do not nest, and tangents
    are gone once the block ends. The level is this thread's alone.
    """
    if _mode.dual_level is not None:
        raise RuntimeError("dual_level blocks do not nest: this thread is already in one")
    _mode.dual_level = object()
    _count_in_modes(+1)
    try:
        yield
    finally:
        _mode.dual_level = None
        _count_in_modes(-1)


def make_dual(primal: Operand, tangent: float) -> Value:
    """`primal` as a dual number with `tangent`: the Value itself (a plain number
    becomes a new leaf), which carries the tangent until the `dual_level` ends.

    The Value holds the tangent, so it is one dual number at a time: two threads
    differentiating at once should each make their own inputs (as `jvp` does).
    """
    level = _mode.dual_level
    if level is None:
        raise RuntimeError("make_dual needs a dual level: call it inside `with dual_level():`")
    if not is_number(tangent):
        raise TypeError(f"make_dual: the tangent must be a real number, got {tangent!r}")
    node = primal if isinstance(primal, Value) else Value(primal)
    node._dual = (level, float(tangent))
    return node


def unpack_dual(value: Value) -> UnpackedDual:
    """`value`'s data and its tangent in this thread's dual level (None outside one,
    or when nothing it was made from was given a tangent)."""
    if not isinstance(value, Value):
        raise TypeError(f"unpack_dual needs a Value, got {type(value).__name__}: {value!r}")
    level = _mode.dual_level
    return UnpackedDual(value.data, None if level is None else _carried(value, level))


def _carried(node: Value, level: object) -> float | None:
    """The tangent `node` carries in `level`, or None."""
    dual = getattr(node, "_dual", None)
    return dual[1] if dual is not None and dual[0] is level else None


def _tangent(op: Op, data: float, inputs: tuple[Value, ...], level: object) -> float | None:
    """A new node's tangent, or None when none of its inputs carries one."""
    carried = [_carried(node, level) for node in inputs]
    if all(t is None for t in carried):
        return None
    return tangent_sum(op.derivatives(data, *[node.data for node in inputs]), carried)


def tangent_sum(local: Sequence[float], tangents: Sequence[float | None]) -> float:
    """Forward mode's chain rule for one node: Σ local derivative × input's tangent,
    in input order from 0.0, over the inputs that have a tangent (not None)."""
    return sum((d * t for d, t in zip(local, tangents) if t is not None), 0.0)
