"""Loss functions: how far predictions are from targets, as one `Value`.

Each loss is built from the op table's operations, so its gradient comes from
`backward` like any other graph's, and a drawing shows how it was computed.
Each takes a sequence of predictions (Values or plain numbers, one per sample)
and a sequence of targets, and returns the mean over the samples, PyTorch's
default reduction, with the numerically stable forms PyTorch uses: the values
equal `torch.nn.functional`'s in float64 to rounding.

A single Value (or number) and a single target count as one sample, like a
0-d tensor in PyTorch.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from . import checks
from .engine import Value, mean_values, sum_values

__all__ = [
    "LOG_FLOOR",
    "LOSSES",
    "LossFunction",
    "binary_cross_entropy",
    "binary_cross_entropy_with_logits",
    "cross_entropy",
    "hinge_loss",
    "huber_loss",
    "l2_penalty",
    "mae_loss",
    "mse_loss",
]

Scalar = Value | float
"""A prediction or target: a Value of the graph, or a plain number (a constant)."""

LossFunction = Callable[[Sequence[Any], Sequence[Any]], Value]
"""A loss: (predictions, targets) -> the mean loss as one Value, as each loss here is."""

LOG_FLOOR = -100.0
"""binary_cross_entropy's logs are clamped here, as PyTorch does, so p = 0 or 1 stays finite."""


def _scalar(loss: str, what: str, index: int, item: object) -> Scalar:
    """`item` as a Value or a float, or a `TypeError` naming the loss and position."""
    if isinstance(item, Value):
        return item
    if not checks.is_number(item):
        raise TypeError(
            f"{loss}: {what}[{index}] must be a Value or a real number, "
            f"got {type(item).__name__}: {item!r}"
        )
    return float(item)


def _as_list(loss: str, what: str, items: object) -> list[object]:
    """The samples of `items`; a lone Value or number is one sample."""
    if isinstance(items, (Value, numbers.Real)):
        return [items]
    if isinstance(items, (str, bytes)) or not isinstance(items, Iterable):
        raise TypeError(
            f"{loss}: {what} must be a sequence of Values or numbers, "
            f"got {type(items).__name__}"
        )
    return list(items)


def _pairs(
    loss: str, predictions: object, targets: object
) -> tuple[list[Scalar], list[Scalar]]:
    """Predictions and targets checked: same length, at least one, Values or numbers."""
    prediction_list = _as_list(loss, "predictions", predictions)
    target_list = _as_list(loss, "targets", targets)
    if len(prediction_list) != len(target_list):
        raise ValueError(
            f"{loss}: got {len(prediction_list)} predictions but {len(target_list)} targets"
        )
    if not prediction_list:
        raise ValueError(f"{loss}: got no samples (empty predictions and targets)")
    return (
        [_scalar(loss, "predictions", i, p) for i, p in enumerate(prediction_list)],
        [_scalar(loss, "targets", i, t) for i, t in enumerate(target_list)],
    )


def _data(x: Scalar) -> float:
    return x.data if isinstance(x, Value) else x


def _check_range(
    loss: str, what: str, items: list[Scalar], low: float, high: float, hint: str = ""
) -> None:
    for index, item in enumerate(items):
        if not low <= _data(item) <= high:
            raise ValueError(
                f"{loss}: {what}[{index}] = {_data(item)!r} is outside [{low:g}, {high:g}]{hint}"
            )


def _as_value(x: Scalar) -> Value:
    return x if isinstance(x, Value) else Value(x, requires_grad=False)


def mse_loss(predictions: Sequence[Scalar], targets: Sequence[Scalar]) -> Value:
    """Mean squared error, mean of (ŷ − y)²: `torch.nn.functional.mse_loss`."""
    ys_hat, ys = _pairs("mse_loss", predictions, targets)
    return mean_values([(_as_value(y_hat) - y) ** 2 for y_hat, y in zip(ys_hat, ys)])


def mae_loss(predictions: Sequence[Scalar], targets: Sequence[Scalar]) -> Value:
    """Mean absolute error, mean of |ŷ − y|: `torch.nn.functional.l1_loss`.

    Its gradient is ±1/n wherever ŷ ≠ y (0 where they are equal, as in PyTorch).
    """
    ys_hat, ys = _pairs("mae_loss", predictions, targets)
    return mean_values([abs(_as_value(y_hat) - y) for y_hat, y in zip(ys_hat, ys)])


def huber_loss(
    predictions: Sequence[Scalar], targets: Sequence[Scalar], delta: float = 1.0
) -> Value:
    """Huber loss: squared error near the target, absolute error far from it.

    Per sample, with z = |ŷ − y|: ½z² if z < delta, else delta·(z − ½delta),
    as the lectures define it and as `torch.nn.functional.huber_loss` computes it.
    """
    delta = checks.positive("huber_loss: delta", delta)
    ys_hat, ys = _pairs("huber_loss", predictions, targets)
    terms = []
    for y_hat, y in zip(ys_hat, ys):
        z = abs(_as_value(y_hat) - y)
        # With c = min(z, delta): ½c² + delta·(z − c) is ½z² below delta and
        # delta·(z − ½delta) above it, without a branch on z (so it traces).
        c = z.clamp(0.0, delta)
        terms.append(0.5 * c * c + delta * (z - c))
    return mean_values(terms)


def _clamped_log(x: Value) -> Value:
    """max(log x, `LOG_FLOOR`), also for x = 0, with slope 0 where the floor holds.

    x is raised to e^LOG_FLOOR first, so log never meets 0, and the log is then
    clamped, as PyTorch clamps it; both are table ops, no branch on x.
    """
    return x.clamp(_SMALLEST_LOGGED).log().clamp(LOG_FLOOR)


_SMALLEST_LOGGED = math.exp(LOG_FLOOR)


def binary_cross_entropy(predictions: Sequence[Scalar], targets: Sequence[Scalar]) -> Value:
    """Binary cross-entropy of probabilities p against labels y in [0, 1].

    Mean of −[y·log p + (1 − y)·log(1 − p)], the lectures' cross-entropy and
    `torch.nn.functional.binary_cross_entropy`. Each log is clamped at
    `LOG_FLOOR` (−100) as in PyTorch, so p = 0 or 1 gives a finite loss.

    Gradients equal PyTorch's wherever no log is clamped. Where one is (p
    within e⁻¹⁰⁰ of 0 or 1) that term is constant and contributes 0, while
    PyTorch substitutes (p − y)/max(p(1 − p), 1e-12): a derivative of the
    unclamped loss, capped at ±1e12. Prefer `binary_cross_entropy_with_logits`
    on raw scores: it is stable and its gradient is exact everywhere.
    """
    loss = "binary_cross_entropy"
    ps, ys = _pairs(loss, predictions, targets)
    _check_range(
        loss, "predictions", ps, 0.0, 1.0,
        " (probabilities; pass raw scores to binary_cross_entropy_with_logits)",
    )
    _check_range(loss, "targets", ys, 0.0, 1.0, " (labels must be probabilities, e.g. 0 or 1)")
    terms = []
    for p, y in zip(map(_as_value, ps), ys):
        terms.append(-(y * _clamped_log(p) + (1 - y) * _clamped_log(1 - p)))
    return mean_values(terms)


def binary_cross_entropy_with_logits(
    predictions: Sequence[Scalar], targets: Sequence[Scalar]
) -> Value:
    """Binary cross-entropy of raw scores (logits) x: BCE of sigmoid(x), computed stably.

    Per sample softplus(x) − y·x = log(1 + eˣ) − y·x, which is
    −[y·log σ(x) + (1 − y)·log(1 − σ(x))]. The op table's softplus computes
    max(x, 0) + log(1 + e^−|x|) as PyTorch does, never overflowing, and its
    derivative is σ(x), so the gradient is σ(x) − y everywhere, x = 0
    included. No branch on x: the loss traces (`autograd_nn.compiled`).
    """
    loss = "binary_cross_entropy_with_logits"
    xs, ys = _pairs(loss, predictions, targets)
    _check_range(loss, "targets", ys, 0.0, 1.0, " (labels must be probabilities, e.g. 0 or 1)")
    return mean_values([x.softplus() - y * x for x, y in zip(map(_as_value, xs), ys)])


def _class_index(index: int, target: object, n_classes: int) -> int:
    loss = "cross_entropy"
    if isinstance(target, Value):
        target = target.data
    if not checks.is_number(target):
        raise TypeError(
            f"{loss}: targets[{index}] must be a class index (int), "
            f"got {type(target).__name__}: {target!r}"
        )
    number = float(target)
    if not number.is_integer():
        raise ValueError(f"{loss}: targets[{index}] = {target!r} is not a whole class index")
    if not 0 <= number < n_classes:
        raise ValueError(
            f"{loss}: targets[{index}] = {int(number)} is not a class index "
            f"in range(0, {n_classes})"
        )
    return int(number)


def _class_scores(index: int, row: object, n_classes: int) -> list[Value]:
    """Sample `index`'s class scores as Values; `n_classes` of them unless it is -1."""
    loss = "cross_entropy"
    if isinstance(row, (Value, numbers.Real, str, bytes)) or not isinstance(row, Iterable):
        raise TypeError(
            f"{loss}: predictions[{index}] must be a list of class scores, "
            f"got {type(row).__name__}"
        )
    scores = [_as_value(_scalar(loss, f"predictions[{index}]", j, s)) for j, s in enumerate(row)]
    if not scores:
        raise ValueError(f"{loss}: predictions[{index}] has no class scores")
    if n_classes != -1 and len(scores) != n_classes:
        raise ValueError(
            f"{loss}: predictions[{index}] has {len(scores)} class scores "
            f"but predictions[0] has {n_classes}"
        )
    return scores


def cross_entropy(
    predictions: Sequence[Sequence[Scalar]], targets: Sequence[int]
) -> Value:
    """Softmax cross-entropy of per-class scores (logits) against class indices.

    Per sample −log softmax(x)[y] = log Σⱼ exp(xⱼ) − x_y, computed as PyTorch's
    `torch.nn.functional.cross_entropy` does, with the op table's logsumexp,
    which subtracts the largest score before exponentiating, so no exp
    overflows, and reads no value in Python, so the loss traces. The gradient
    with respect to the scores is softmax(x) − onehot(y).

    `predictions` holds one list of scores per sample (one list alone counts
    as one sample); `targets` one class index per sample, from 0 to n_classes − 1.
    """
    loss = "cross_entropy"
    rows = _as_list(loss, "predictions", predictions)
    if rows and all(isinstance(r, (Value, numbers.Real)) for r in rows):
        rows = [rows]  # one sample's scores
    labels = _as_list(loss, "targets", targets)
    if len(rows) != len(labels):
        raise ValueError(f"{loss}: got {len(rows)} predictions but {len(labels)} targets")
    if not rows:
        raise ValueError(f"{loss}: got no samples (empty predictions and targets)")
    terms = []
    n_classes = -1
    for index, (row, label) in enumerate(zip(rows, labels)):
        scores = _class_scores(index, row, n_classes)
        n_classes = len(scores)
        target = _class_index(index, label, n_classes)
        terms.append(scores[0].apply("logsumexp", *scores[1:]) - scores[target])
    return mean_values(terms)


def hinge_loss(predictions: Sequence[Scalar], targets: Sequence[Scalar]) -> Value:
    """Max-margin (SVM) loss of scores s against labels y = −1 or +1.

    Mean of max(0, 1 − y·s), written relu(1 − y·s) as in micrograd's demo:
    zero once a sample is on the right side with margin 1. Equals
    `torch.relu(1 - y * s).mean()`, and twice
    `torch.nn.functional.multi_margin_loss` on the class scores [0, s].
    """
    loss = "hinge_loss"
    ss, ys = _pairs(loss, predictions, targets)
    for index, y in enumerate(ys):
        if _data(y) not in (-1.0, 1.0):
            raise ValueError(
                f"{loss}: targets[{index}] = {_data(y)!r} is not a label -1 or 1 "
                "(turn 0/1 labels into -1/1 with 2*y - 1)"
            )
    return mean_values([(1 - y * _as_value(s)).relu() for s, y in zip(ss, ys)])


def l2_penalty(parameters: Iterable[Value], alpha: float = 1e-4) -> Value:
    """L2 regularisation: alpha · Σ p² over the parameters (a sum, not a mean).

    Added to a data loss it pulls weights towards 0, as in micrograd's demo
    (alpha = 1e-4 there). Its gradient 2·alpha·p is what an optimiser's
    `weight_decay = 2 * alpha` adds instead.
    """
    loss = "l2_penalty"
    alpha = checks.non_negative(f"{loss}: alpha", alpha)
    if isinstance(parameters, Value) or not isinstance(parameters, Iterable):
        raise TypeError(
            f"{loss}: parameters must be an iterable of Values (e.g. model.parameters()), "
            f"got {type(parameters).__name__}"
        )
    params = list(parameters)
    if not params:
        raise ValueError(f"{loss}: got an empty parameter list")
    for index, p in enumerate(params):
        if not isinstance(p, Value):
            raise TypeError(
                f"{loss}: parameters[{index}] must be a Value, got {type(p).__name__}: {p!r}"
            )
    return alpha * sum_values(p * p for p in params)


LOSSES: dict[str, LossFunction] = {
    "bce_with_logits": binary_cross_entropy_with_logits,
    "cross_entropy": cross_entropy,
    "hinge": hinge_loss,
    "mse": mse_loss,
    "mae": mae_loss,
    "huber": huber_loss,
}
"""The losses `fit` knows by name (besides "auto", which picks one for the model)."""
