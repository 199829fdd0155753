"""The op table on numpy arrays: each entry's one rule, run with numpy's primitives.

Every `Op` built with `Op.from_rule` is written once against a namespace of
primitives (`autograd_nn.primitives`). `ARRAYS` is that namespace for numpy,
so `array_rule(op)` gives the same forward and derivatives as the scalar
engine, on a whole batch at once::

    forward, derivatives = array_rule("tanh")
    out = forward(x)                    # x: one float64 array of N samples
    (d_x,) = derivatives(out, x)        # one array (or float) per input

A slot that does not vary by sample (a parameter, a constant such as
leaky_relu's slope) may be passed as a float; it broadcasts. Results agree
with the float forms elementwise to a few ulp (`tests/test_ops_arrays.py`),
and a refused input raises the float form's error with the sample's index:
``log(-2.0) at sample 7: log needs a positive input``. Call these functions
with numpy's floating-point warnings off, ``numpy.errstate(all="ignore")``
(the replay sets it once per batch): where IEEE arithmetic gives inf or nan
the guards find the errors themselves.

Only `autograd_nn.compiled` imports this module; the core never imports numpy.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from ..ops import Op, op_named, overflow_message
from ..primitives import Primitives, Refusal, Rule, refusal_message

__all__ = ["ARRAYS", "ArrayPrimitives", "array_rule", "check_overflow"]

_SUM_COMPENSATES = sum([1.0, 1e100, 1.0, -1e100], 0.0) == 2.0
"""Whether this Python's `sum` of floats is compensated (Neumaier's, from 3.12 on)."""


def _sigmoid(a: Any) -> Any:
    # The float form's arithmetic exactly: exp of -|a| only, never overflowing.
    z = np.exp(-np.abs(a))
    return np.where(a >= 0.0, 1.0 / (1.0 + z), z / (1.0 + z))


def _relu(a: Any) -> Any:
    return np.maximum(a, 0.0)  # NaN passes through; relu(-0.0) is 0.0, as on floats


def _sum_of(*xs: Any) -> Any:
    """x1 + x2 + ..., as Python's ``sum(xs, 0.0)`` adds floats, so both forms agree."""
    if not _SUM_COMPENSATES:
        return functools.reduce(np.add, xs, 0.0)
    # CPython's compensated float sum (3.12+), one sample per element.
    total: Any = 0.0
    compensation: Any = 0.0
    for x in xs:
        t = total + x
        compensation = compensation + np.where(
            np.abs(total) >= np.abs(x), (total - t) + x, (x - t) + total
        )
        total = t
    keep = np.not_equal(compensation, 0.0) & np.isfinite(compensation)
    return np.where(keep, total + compensation, total)


def _max_of(*xs: Any) -> Any:
    return functools.reduce(np.maximum, xs)  # NaN anywhere gives NaN


def _is_zero(a: Any) -> Any:
    return np.equal(a, 0.0)


def _is_whole(a: Any) -> Any:
    return np.isfinite(a) & np.equal(np.floor(a), a)


def _value_at(x: Any, sample: int | None) -> float:
    """Operand `x` of one sample: a float slot is the same for every sample."""
    return float(x) if sample is None or np.ndim(x) == 0 else float(np.ravel(x)[sample])


def _first(bad: Any, operands: Sequence[Any], out: Any) -> tuple[int | None, list[float]]:
    """The first sample where `bad` holds (None if nothing varies by sample) and its operands."""
    sample = int(np.flatnonzero(np.broadcast_to(bad, np.shape(out)))[0]) if np.ndim(out) else None
    return sample, [_value_at(x, sample) for x in operands]


def _guarded_arrays(
    forward: Callable[..., Any],
    shown: str,
    refusals: Sequence[Refusal] = (),
    *,
    overflow: str = "",
) -> Callable[..., Any]:
    """`forward` on arrays, raising the float form's error at the first refused sample.

    Exactly as on floats, a sample's refusals are checked only where an
    operand or the result is not finite (see `Primitives.guarded`).
    """

    def checked(*operands: Any) -> Any:
        out = forward(*operands)
        finite = np.isfinite(out)
        for x in operands:
            finite = finite & np.isfinite(x)
        if not np.all(finite):
            suspect = np.logical_not(finite)
            for refusal in refusals:
                bad = suspect & refusal.bad(*operands)
                if np.any(bad):
                    sample, values = _first(bad, operands, out)
                    raise refusal.error(refusal_message(shown, values, refusal.reason, sample))
            if overflow:
                _raise_overflow(operands, out, lambda values, sample: refusal_message(
                    shown, values, overflow, sample))
        return out

    return checked


def _raise_overflow(
    operands: Sequence[Any], out: Any, message: Callable[[list[float], int | None], str]
) -> None:
    """OverflowError at the first sample where finite operands gave an infinite result."""
    bad = np.isinf(out)
    for x in operands:
        bad = bad & np.isfinite(x)
    if np.any(bad):
        sample, values = _first(bad, operands, out)
        raise OverflowError(message(values, sample))


def check_overflow(op: Op, operands: Sequence[Any], out: Any) -> None:
    """The engine's overflow rule for one node, on a batch: raise `OverflowError`
    naming op, operands and sample where finite operands gave an infinite result.

    The float engine applies it to every node (``ops.check_overflow``); a
    replay that must match it call this on each result (or on the ones that
    are not all finite).
    """
    _raise_overflow(operands, out, lambda values, sample: overflow_message(op, values, sample))


class ArrayPrimitives(Primitives):
    """The primitives on numpy float64 arrays (or floats): numpy's own, total by nature."""

    def __init__(self) -> None:
        self.add, self.sub, self.mul, self.div = np.add, np.subtract, np.multiply, np.divide
        self.neg, self.abs, self.pow = np.negative, np.abs, np.power
        self.exp, self.log, self.log1p, self.sqrt = np.exp, np.log, np.log1p, np.sqrt
        self.sin, self.cos, self.tanh, self.sigmoid = np.sin, np.cos, np.tanh, _sigmoid
        self.relu, self.where, self.sum_of, self.max_of = _relu, np.where, _sum_of, _max_of
        self.is_zero, self.is_whole, self.is_inf, self.is_finite = (
            _is_zero, _is_whole, np.isinf, np.isfinite
        )
        self.not_, self.guarded = np.logical_not, _guarded_arrays


ARRAYS = ArrayPrimitives()
"""The namespace that turns an op's rule into its array form."""


@functools.cache
def _array_rule(op: Op) -> Rule:
    if op.rule is None:
        raise ValueError(
            f"op {op.name!r} has no array form: it was built from float functions; "
            "write it with Op.from_rule (see CONTRIBUTING.md, 'Adding an op')"
        )
    return op.rule(ARRAYS)


def array_rule(op: Op | str) -> Rule:
    """`op`'s forward and derivatives on numpy arrays, from its one rule.

    forward(*inputs) takes arrays (or floats for slots that do not vary by
    sample) and returns an array; derivatives(out, *inputs) returns one array
    or float per input. An op given float functions directly (no rule) has no
    array form: a `ValueError` says so.
    """
    return _array_rule(op_named(op) if isinstance(op, str) else op)
