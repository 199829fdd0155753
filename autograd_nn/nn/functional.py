"""Functions of several Values that are not layers: `softmax`.

Like ``torch.nn.functional``: stateless, built from Value ops, so gradients
flow through them to whatever made their inputs.
"""

from __future__ import annotations

from collections.abc import Iterable

from ..engine import Value, sum_values
from .module import Scalar, as_values

__all__ = ["softmax"]


def softmax(values: Iterable[Scalar]) -> list[Value]:
    """exp(x_i) / sum_j exp(x_j), built from Value ops.

    The largest input is subtracted first, as a constant, so no exp overflows;
    the result (and its gradient) is unchanged by the shift.
    """
    xs = as_values(values, "softmax")
    if not xs:
        raise ValueError("softmax needs at least one value")
    shift = max(x.data for x in xs)
    exps = [(x - shift).exp() for x in xs]
    total = sum_values(exps)
    return [e / total for e in exps]
