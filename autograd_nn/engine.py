"""`Value`: a scalar that records the computation graph, and `backward`.

Each `Value` remembers the op that made it (an entry of `autograd_nn.ops`) and
its inputs. `backward` sorts the graph without recursion and, walking it from
the output back, multiplies each node's upstream gradient by the op table's
local derivatives (the chain rule). No node holds a closure, so a graph has no
reference cycles and is freed as soon as its output is.
"""

from __future__ import annotations

import gc
import numbers
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Union

from .ops import LEAF, OPS, Op, op_named

__all__ = ["Value", "is_recording", "no_grad", "sum_values", "topological_sort"]

Number = int | float
Operand = Union["Value", int, float]

_recording = True


@contextmanager
def no_grad() -> Iterator[None]:
    """Within this block, results record no inputs: evaluation without a graph."""
    global _recording
    previous, _recording = _recording, False
    try:
        yield
    finally:
        _recording = previous


def is_recording() -> bool:
    """Whether new results record their inputs (False inside `no_grad`)."""
    return _recording


def _as_float(data: object) -> float:
    if type(data) is float:
        return data
    if isinstance(data, bool) or not isinstance(data, numbers.Real):
        raise TypeError(
            f"Value needs a real number, got {type(data).__name__}: {data!r}"
        )
    return float(data)


class Value:
    """A scalar in a computation graph: its data, its gradient, how it was made."""

    __slots__ = ("_op", "data", "grad", "inputs", "label")

    data: float
    grad: float
    label: str
    _op: Op
    inputs: tuple[Value, ...]

    def __init__(self, data: Number, label: str = "") -> None:
        self.data = _as_float(data)
        self.grad = 0.0
        self.label = label
        self._op = LEAF
        self.inputs = ()

    @property
    def op(self) -> str:
        """The op table's name of the op that made this node; "" for a leaf."""
        return self._op.name

    def __repr__(self) -> str:
        parts = [repr(self.data)]
        if self.label:
            parts.append(f"label={self.label!r}")
        if self.inputs:
            parts.append(f"op={self.op!r}")
        if self.grad:
            parts.append(f"grad={self.grad!r}")
        return f"Value({', '.join(parts)})"

    def __float__(self) -> float:
        return self.data

    # Building the graph -------------------------------------------------

    def apply(self, op: str | Op, *others: Operand) -> Value:
        """Any op of the table applied to self (and `others`), e.g. `x.apply("tanh")`.

        The methods below are shorthands for this; a new table entry is usable
        here at once. Plain numbers among `others` become leaves of the graph.
        """
        if isinstance(op, str):
            op = op_named(op)
        inputs = (self, *[o if isinstance(o, Value) else Value(o) for o in others])
        if op.arity is not None and len(inputs) != op.arity:
            raise TypeError(f"{op.name} takes {op.arity} input(s), got {len(inputs)}")
        return _make(op, inputs)

    def __add__(self, other: Operand) -> Value:
        return self.apply(_ADD, other)

    def __radd__(self, other: Number) -> Value:
        return Value(other).apply(_ADD, self)

    def __sub__(self, other: Operand) -> Value:
        return self.apply(_SUB, other)

    def __rsub__(self, other: Number) -> Value:
        return Value(other).apply(_SUB, self)

    def __mul__(self, other: Operand) -> Value:
        return self.apply(_MUL, other)

    def __rmul__(self, other: Number) -> Value:
        return Value(other).apply(_MUL, self)

    def __truediv__(self, other: Operand) -> Value:
        return self.apply(_DIV, other)

    def __rtruediv__(self, other: Number) -> Value:
        return Value(other).apply(_DIV, self)

    def __pow__(self, exponent: Operand) -> Value:
        return self.apply(_POW, exponent)

    def __rpow__(self, base: Number) -> Value:
        return Value(base).apply(_POW, self)

    def __neg__(self) -> Value:
        return self.apply(_NEG)

    def __abs__(self) -> Value:
        return self.apply(_ABS)

    def exp(self) -> Value:
        """e to the power of this value."""
        return self.apply(_EXP)

    def log(self) -> Value:
        """Natural logarithm (needs a positive input)."""
        return self.apply(_LOG)

    def sqrt(self) -> Value:
        """Square root (needs a non-negative input)."""
        return self.apply(_SQRT)

    def sin(self) -> Value:
        """Sine, in radians."""
        return self.apply(_SIN)

    def cos(self) -> Value:
        """Cosine, in radians."""
        return self.apply(_COS)

    def tanh(self) -> Value:
        """Hyperbolic tangent."""
        return self.apply(_TANH)

    def sigmoid(self) -> Value:
        """Logistic sigmoid 1 / (1 + e^-x), computed without overflow."""
        return self.apply(_SIGMOID)

    def relu(self) -> Value:
        """max(x, 0); its derivative at 0 is taken as 0, as PyTorch does."""
        return self.apply(_RELU)

    def leaky_relu(self, negative_slope: float = 0.01) -> Value:
        """x for x > 0, else negative_slope * x (the slope is a constant input)."""
        return self.apply(_LEAKY_RELU, negative_slope)

    # Differentiating ----------------------------------------------------

    def backward(self) -> None:
        """Compute d self / d node for every node of this graph.

        Interior nodes' `.grad` is set to this pass's value; leaves accumulate
        (`+=`), as PyTorch parameters do, so call `zero_grad` between steps.
        """
        order = topological_sort(self)
        for node in order:
            if node.inputs:
                node.grad = 0.0
        self.grad += 1.0
        # Nothing in the graph can become garbage during the pass, so a cycle
        # collection would only rescan it: on a large graph, most of the time.
        collecting = gc.isenabled()
        gc.disable()
        try:
            for node in reversed(order):
                inputs = node.inputs
                if not inputs:
                    continue
                upstream = node.grad
                local = node._op.derivatives(node.data, *[i.data for i in inputs])
                for child, derivative in zip(inputs, local):
                    child.grad += upstream * derivative
        finally:
            if collecting:
                gc.enable()


def _make(op: Op, inputs: tuple[Value, ...]) -> Value:
    """A new node holding `op`'s result; it records its inputs unless in `no_grad`."""
    out = Value.__new__(Value)
    out.data = op.forward(*[i.data for i in inputs])
    out.grad = 0.0
    out.label = ""
    if _recording:
        out._op = op
        out.inputs = inputs
    else:
        out._op = LEAF
        out.inputs = ()
    return out


def sum_values(terms: Iterable[Operand]) -> Value:
    """One n-ary `sum` node over all terms: a wide sum without a deep chain."""
    inputs = tuple(t if isinstance(t, Value) else Value(t) for t in terms)
    if not inputs:
        return Value(0.0)
    return _make(_SUM, inputs)


def topological_sort(root: Value) -> list[Value]:
    """The graph's nodes, each after all its inputs, root last, each once.

    An explicit stack replaces recursion, so a chain of any depth works.
    """
    order: list[Value] = []
    seen: set[Value] = set()
    stack: list[tuple[Value, bool]] = [(root, False)]
    while stack:
        node, inputs_done = stack.pop()
        if inputs_done:
            order.append(node)
            continue
        if node in seen:
            continue
        seen.add(node)
        stack.append((node, True))
        stack.extend((child, False) for child in node.inputs if child not in seen)
    return order


_ADD, _SUB, _MUL, _DIV, _POW = OPS["+"], OPS["-"], OPS["*"], OPS["/"], OPS["**"]
_NEG, _ABS, _EXP, _LOG, _SQRT = OPS["neg"], OPS["abs"], OPS["exp"], OPS["log"], OPS["sqrt"]
_SIN, _COS, _TANH, _SIGMOID = OPS["sin"], OPS["cos"], OPS["tanh"], OPS["sigmoid"]
_RELU, _LEAKY_RELU, _SUM = OPS["relu"], OPS["leaky_relu"], OPS["sum"]
