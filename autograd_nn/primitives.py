"""The primitive functions every op of the table is written with, on floats.

An op's forward and derivatives are written once, as a *rule*: a function of
a namespace of primitives (``p.exp``, ``p.where``, ...) that returns the two
functions. `FLOATS` is that namespace for plain floats (standard library
only); ``autograd_nn.compiled.arrays`` gives the same names for numpy arrays,
so one rule serves the scalar engine and the batched replay alike, and a
namespace of Values can later serve derivatives of derivatives.

For one expression to mean the same on both, every primitive is *total* in
IEEE style: ``p.log(0.0)`` is ``-inf`` and ``p.div(1.0, 0.0)`` is ``inf``
instead of an exception, ``p.where(cond, x, y)`` picks without branching. A
rule therefore compares with ``<``, ``<=``, ``>``, ``>=`` (never ``==``: a Value
compares by identity) and says where an op is undefined with `Refusal`s that
``p.guarded`` checks, naming op and operand in the error.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

__all__ = [
    "FLOATS",
    "FloatPrimitives",
    "Primitives",
    "Refusal",
    "Rule",
    "number_text",
    "refusal_message",
]

Rule = tuple[Callable[..., Any], Callable[..., tuple[Any, ...]]]
"""What a rule returns: the forward function and the derivatives function."""


@dataclass(frozen=True, slots=True)
class Refusal:
    """One input an op refuses: `bad(*operands)` says where, `error` and `reason` what is raised.

    `bad` is written with the namespace's primitives and comparisons, so it
    works on floats (a bool) and on arrays (one bool per sample).
    """

    error: type[Exception]
    bad: Callable[..., Any]
    reason: str


def number_text(x: float) -> str:
    """A number as the error messages write it: ``-2.0``, ``inf``, ``1e+200``."""
    return repr(float(x))


def refusal_message(
    shown: str, operands: Sequence[float], reason: str, sample: int | None = None
) -> str:
    """``log(-2.0): log needs ...``; with a sample, ``log(-2.0) at sample 7: log needs ...``.

    `shown` has one ``{}`` per operand, e.g. ``"pow({}, {})"``.
    """
    at = "" if sample is None else f" at sample {sample}"
    return f"{shown.format(*map(number_text, operands))}{at}: {reason}"


class Primitives(Protocol):
    """The names a rule may use; `FLOATS` and the array namespace both provide them.

    Arithmetic operators (``+ - * /``, unary ``-``) and comparisons may also be
    used directly on operands; a division that may meet zero uses `div`. Each
    function is total: where the mathematics is undefined it gives IEEE's inf
    or nan, never an exception.
    """

    add: Callable[[Any, Any], Any]
    sub: Callable[[Any, Any], Any]
    mul: Callable[[Any, Any], Any]
    div: Callable[[Any, Any], Any]  # a / b; +-inf for b = 0, nan for 0/0
    neg: Callable[[Any], Any]
    abs: Callable[[Any], Any]
    pow: Callable[[Any, Any], Any]  # as C's pow: (-8) ** (1/3) is nan, 0 ** -1 inf
    exp: Callable[[Any], Any]
    log: Callable[[Any], Any]
    log1p: Callable[[Any], Any]
    sqrt: Callable[[Any], Any]
    sin: Callable[[Any], Any]
    cos: Callable[[Any], Any]
    tanh: Callable[[Any], Any]
    sigmoid: Callable[[Any], Any]  # 1 / (1 + e^-a), from e^-|a| so it never overflows
    relu: Callable[[Any], Any]  # max(a, 0); NaN passes through, as in PyTorch
    where: Callable[[Any, Any, Any], Any]  # x where the condition holds, else y
    sum_of: Callable[..., Any]  # x1 + x2 + ..., left to right, as Python's sum
    max_of: Callable[..., Any]  # the largest input; nan if any is nan
    is_zero: Callable[[Any], Any]
    is_whole: Callable[[Any], Any]  # a finite whole number
    is_inf: Callable[[Any], Any]
    is_finite: Callable[[Any], Any]
    not_: Callable[[Any], Any]  # conditions combine with & and |
    guarded: Callable[..., Callable[..., Any]]
    """``guarded(forward, shown, refusals=(), *, overflow="")``: `forward` raising
    `Refusal.error` where a refusal applies, with a message naming op and
    operands (`shown` has one ``{}`` per operand, e.g. ``"log({})"``), and
    `OverflowError` with the `overflow` text where finite operands give an
    infinite result. Every refused input is, or gives, a number that is not
    finite (IEEE's inf or nan), so refusals are checked only where an operand
    or the result is not finite: good inputs pay almost nothing."""


# Total versions of `math`'s functions: where math raises, IEEE's inf or nan.


def _div(a: float, b: float) -> float:
    try:
        return a / b
    except ZeroDivisionError:
        if a != a or a == 0.0:  # 0/0 and nan/0
            return math.nan
        return math.copysign(math.inf, a) * math.copysign(1.0, b)


def _is_odd(b: float) -> bool:
    return b % 2.0 == 1.0


def _pow(a: float, b: float) -> float:
    try:
        return math.pow(a, b)
    except ValueError:  # zero to a negative power, or a negative base to a fraction
        if a == 0.0:
            return math.copysign(math.inf, a) if _is_odd(b) else math.inf
        return math.nan
    except OverflowError:
        return -math.inf if a < 0.0 and _is_odd(b) else math.inf


def _exp(a: float) -> float:
    try:
        return math.exp(a)
    except OverflowError:
        return math.inf


def _log(a: float) -> float:
    try:
        return math.log(a)
    except ValueError:
        return -math.inf if a == 0.0 else math.nan


def _log1p(a: float) -> float:
    try:
        return math.log1p(a)
    except ValueError:
        return -math.inf if a == -1.0 else math.nan


def _sqrt(a: float) -> float:
    try:
        return math.sqrt(a)
    except ValueError:
        return math.nan


def _sin(a: float) -> float:
    try:
        return math.sin(a)
    except ValueError:
        return math.nan


def _cos(a: float) -> float:
    try:
        return math.cos(a)
    except ValueError:
        return math.nan


_RAISING: dict[Callable[..., float], Callable[..., float]] = {
    _div: operator.truediv, _pow: math.pow, _exp: math.exp, _log: math.log,
    _log1p: math.log1p, _sqrt: math.sqrt, _sin: math.sin, _cos: math.cos,
}
"""Each total function's `math` original: the same number wherever that is
finite, an exception elsewhere. A guarded forward calls the original and falls
back on the total function only after an exception: one call fewer per node."""


def _sigmoid(a: float) -> float:
    # exp of -|a| only, so it never overflows; the array form is the same arithmetic.
    if a >= 0.0:
        return 1.0 / (1.0 + math.exp(-a))
    e = math.exp(a)
    return e / (1.0 + e)


def _relu(a: float) -> float:
    return 0.0 if a <= 0.0 else a  # NaN <= 0 is False: NaN passes through


def _where(condition: bool, x: float, y: float) -> float:
    return x if condition else y


def _sum_of(*xs: float) -> float:
    return sum(xs, 0.0)


def _max_of(*xs: float) -> float:
    top = xs[0]
    for x in xs[1:]:
        if x > top or x != x:  # a NaN anywhere makes the maximum NaN, as numpy's
            top = x
    return top


def _is_whole(a: float) -> bool:
    return math.isfinite(a) and float(a).is_integer()


# Guarded forwards on floats ------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Guard:
    """An op's refusals, checked on floats when its result is not a finite number."""

    shown: str
    refusals: Sequence[Refusal]
    overflow: str

    def check(self, operands: Sequence[float], out: float) -> None:
        """Raise the first refusal that applies; else OverflowError if finite operands
        overflowed and the op says so itself; else nothing (inf and nan propagate)."""
        for refusal in self.refusals:
            if refusal.bad(*operands):
                raise refusal.error(refusal_message(self.shown, operands, refusal.reason))
        if self.overflow and math.isinf(out) and all(map(math.isfinite, operands)):
            raise OverflowError(refusal_message(self.shown, operands, self.overflow))


_FAILED = (ArithmeticError, ValueError)


def _guarded_floats(
    forward: Callable[..., float],
    shown: str,
    refusals: Sequence[Refusal] = (),
    *,
    overflow: str = "",
) -> Callable[..., float]:
    """`forward` that raises the op's error where a refusal applies (see `Primitives.guarded`).

    ``0.0 * a * out`` is 0 unless `a` or `out` is inf or nan, so on good
    inputs a guard costs two multiplications. One and two operands get their
    own wrappers: they are most ops, and a call without an argument tuple is
    faster. `math`'s raising original is called first (`_RAISING`).
    """
    fast, guard = _RAISING.get(forward, forward), _Guard(shown, refusals, overflow)
    if shown.count("{}") == 1:

        def unary(a: float) -> float:
            try:
                out = fast(a)
            except _FAILED:
                out = forward(a)
            if 0.0 * a * out != 0.0:
                guard.check((a,), out)
            return out

        return unary
    if shown.count("{}") == 2:

        def binary(a: float, b: float) -> float:
            try:
                out = fast(a, b)
            except _FAILED:
                out = forward(a, b)
            if 0.0 * a * b * out != 0.0:
                guard.check((a, b), out)
            return out

        return binary

    def checked(*operands: float) -> float:
        try:
            out = fast(*operands)
        except _FAILED:
            out = forward(*operands)
        if not all(map(math.isfinite, (*operands, out))):
            guard.check(operands, out)
        return out

    return checked


class FloatPrimitives(Primitives):
    """The primitives on plain floats: `math` and `operator`, made total.

    Where a `math` function is already total it is used as is (``operator.add``,
    ``math.tanh``), so the hot ops' forwards are exactly those functions; relu
    and sigmoid, hot too, are primitives for the same reason.
    """

    def __init__(self) -> None:
        self.add, self.sub, self.mul, self.div = operator.add, operator.sub, operator.mul, _div
        self.neg, self.abs, self.pow = operator.neg, abs, _pow
        self.exp, self.log, self.log1p, self.sqrt = _exp, _log, _log1p, _sqrt
        self.sin, self.cos, self.tanh, self.sigmoid = _sin, _cos, math.tanh, _sigmoid
        self.relu, self.where, self.sum_of, self.max_of = _relu, _where, _sum_of, _max_of
        # not a: True for 0.0 and -0.0 only (NaN is truthy), and a C call.
        self.is_zero, self.is_whole, self.is_inf, self.is_finite = (
            operator.not_, _is_whole, math.isinf, math.isfinite
        )
        self.not_, self.guarded = operator.not_, _guarded_floats


FLOATS = FloatPrimitives()
"""The namespace that builds every `Op`'s float `forward` and `derivatives`."""
