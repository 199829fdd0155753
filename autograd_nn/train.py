"""The fit loop: mini-batches, loss, backward, optimiser step, per-epoch history.

    from autograd_nn.data import make_moons, train_test_split
    from autograd_nn.nn import MLP
    from autograd_nn.train import fit

    X, y = make_moons(100, noise=0.1, seed=0)
    model = MLP(2, [16, 16, 1], seed=0)
    history = fit(model, X, y, epochs=40, seed=0)   # Adam, lr 0.02, batches of 20
    history.train_accuracy[-1]                        # 0.99

With a single output the model is a binary classifier of logits (class 1 when
the output is above 0) trained with `binary_cross_entropy_with_logits`; with
several outputs, a multi-class classifier trained with `cross_entropy`.
`loss="hinge"` trains the single output as micrograd's max-margin demo does;
`loss="mse"` treats the targets as numbers to regress (no accuracy).
"""

from __future__ import annotations

import gc
import json
import math
import numbers
import random
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from typing import Any

from . import losses
from .engine import Value, no_grad
from .nn import Module
from .optim import SGD, Adagrad, Adam, NAdam, Optimizer, RMSprop

__all__ = ["LOSSES", "OPTIMIZERS", "History", "accuracy", "fit", "predict"]

Target = float | int
LossFunction = Callable[[Sequence[Any], Sequence[Any]], Value]

LOSSES: dict[str, LossFunction] = {
    "bce_with_logits": losses.binary_cross_entropy_with_logits,
    "cross_entropy": losses.cross_entropy,
    "hinge": losses.hinge_loss,
    "mse": losses.mse_loss,
    "mae": losses.mae_loss,
    "huber": losses.huber_loss,
}
"""Losses `fit` knows by name."""

OPTIMIZERS: dict[str, Callable[..., Optimizer]] = {
    "sgd": SGD,
    "adagrad": Adagrad,
    "rmsprop": RMSprop,
    "adam": Adam,
    "nadam": NAdam,
}
"""Optimisers `fit` can build by name."""

_CLASSIFYING = {"bce_with_logits", "cross_entropy", "hinge"}


@dataclass
class History:
    """What happened in each epoch of `fit`: losses, accuracies, learning rate.

    Test entries stay empty when no test set was given; accuracies stay empty
    for a regression loss. `grad_norms[epoch][layer]` is the L2 norm of each
    layer's parameter gradients after the epoch's last batch.
    """

    train_loss: list[float] = field(default_factory=list)
    test_loss: list[float] = field(default_factory=list)
    train_accuracy: list[float] = field(default_factory=list)
    test_accuracy: list[float] = field(default_factory=list)
    lr: list[float] = field(default_factory=list)
    grad_norms: list[list[float]] = field(default_factory=list)

    @property
    def epochs(self) -> int:
        """How many epochs were run."""
        return len(self.train_loss)

    def to_json(self) -> str:
        """The history as JSON text (every entry is a plain number)."""
        return json.dumps(asdict(self))


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Keep the cycle collector from rescanning a growing graph; graphs have no cycles."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _resolve_loss(loss: str | LossFunction, n_outputs: int) -> tuple[LossFunction, str]:
    if callable(loss):
        return loss, getattr(loss, "__name__", "custom")
    if loss == "auto":
        loss = "bce_with_logits" if n_outputs == 1 else "cross_entropy"
    if loss not in LOSSES:
        raise ValueError(f"unknown loss {loss!r}; known: auto, {', '.join(LOSSES)}")
    return LOSSES[loss], loss


def _check_auto_labels(loss_name: str, n_outputs: int, y: Sequence[Target], what: str) -> None:
    """Labels that do not suit the loss "auto" chose: say why it chose it, and the way out."""
    if n_outputs == 1:
        model, labels = "one output is a binary classifier", "lie in [0, 1]"
    else:
        model = f"{n_outputs} outputs is a {n_outputs}-class classifier"
        labels = f"are the whole numbers 0 to {n_outputs - 1}"
    for i, t in enumerate(y):
        if isinstance(t, bool) or not isinstance(t, numbers.Real):
            continue  # the loss itself names what is wrong with a label that is no number
        if (n_outputs == 1 and not 0.0 <= t <= 1.0) or (
            n_outputs > 1 and t not in range(n_outputs)
        ):
            raise ValueError(
                f"fit: with loss='auto' a model with {model} (loss {loss_name}), whose "
                f"labels {labels}, but {what}[{i}] is {t!r}; for regression pass "
                "loss='mse', for k classes give the model k outputs"
            )


def _resolve_optimizer(optimizer: str | Optimizer, model: Module, lr: float | None) -> Optimizer:
    if isinstance(optimizer, Optimizer):
        if lr is not None:
            raise ValueError("pass lr to the optimizer you built, not to fit")
        return optimizer
    if optimizer not in OPTIMIZERS:
        raise ValueError(f"unknown optimizer {optimizer!r}; known: {', '.join(OPTIMIZERS)}")
    cls = OPTIMIZERS[optimizer]
    rate = lr if lr is not None else (0.1 if cls is SGD else 0.02)
    return cls(model.parameters(), lr=rate)


def _outputs(model: Module, batch: Sequence[Sequence[float]]) -> list[Any]:
    results = model([list(x) for x in batch])
    return list(results)


def _targets(y: Sequence[Target], loss_name: str) -> list[Any]:
    if loss_name == "hinge":
        return [2.0 * t - 1.0 if t in (0, 1) else float(t) for t in y]
    return list(y)


def predict(model: Module, X: Sequence[Sequence[float]]) -> list[int]:
    """Class predictions without recording a graph: logit > 0, or the arg-max."""
    with no_grad():
        outputs = _outputs(model, X)
    return [_predicted_class(out) for out in outputs]


def _predicted_class(output: Any) -> int:
    if isinstance(output, Value):
        return int(output.data > 0.0)
    scores = [v.data for v in output]
    return max(range(len(scores)), key=scores.__getitem__)


def accuracy(model: Module, X: Sequence[Sequence[float]], y: Sequence[Target]) -> float:
    """Fraction of samples whose predicted class equals the label (-1 counts as 0)."""
    predicted = predict(model, X)
    return sum(p == max(int(t), 0) for p, t in zip(predicted, y)) / len(y)


def _check_data(X: Sequence[Sequence[float]], y: Sequence[Target], what: str) -> None:
    if len(X) != len(y):
        raise ValueError(f"{what}: {len(X)} samples but {len(y)} labels")
    if not X:
        raise ValueError(f"{what}: no samples")


def _layer_grad_norms(model: Module) -> list[float]:
    groups = model.children() or [model]
    return [math.sqrt(sum(p.grad * p.grad for p in m.parameters())) for m in groups]


def _progress(total: int, enabled: bool | None) -> Any:
    if enabled is None:
        enabled = sys.stderr.isatty()
    if not enabled:
        return None
    from tqdm.auto import tqdm

    return tqdm(total=total, unit="epoch", leave=True)


def fit(
    model: Module,
    X: Sequence[Sequence[float]],
    y: Sequence[Target],
    *,
    loss: str | LossFunction = "auto",
    optimizer: str | Optimizer = "adam",
    lr: float | None = None,
    epochs: int = 100,
    batch_size: int | None = 20,
    X_test: Sequence[Sequence[float]] | None = None,
    y_test: Sequence[Target] | None = None,
    l2: float = 0.0,
    seed: int | None = None,
    progress: bool | None = None,
    scheduler: Any = None,
) -> History:
    """Train `model` on `(X, y)` for `epochs` passes; returns the `History`.

    - `loss`: "auto" (logistic for one output, cross-entropy for several), a
      name from `LOSSES`, or a function `(predictions, targets) -> Value`.
    - `optimizer`: a name from `OPTIMIZERS` (built with `lr`, default 0.02;
      0.1 for SGD) or an optimiser already built over `model.parameters()`.
    - `batch_size`: samples per step (`None`: the whole set, one step per
      epoch); batches are reshuffled each epoch with `seed`.
    - `l2`: adds `l2_penalty(model.parameters(), alpha=l2)` to each batch's loss.
    - `scheduler`: anything with `.step()`, stepped once per epoch.
    - `progress`: a tqdm bar (default: only when stderr is a terminal).
    """
    _check_data(X, y, "training set")
    has_test = X_test is not None or y_test is not None
    if has_test:
        if X_test is None or y_test is None:
            raise ValueError("give both X_test and y_test, or neither")
        _check_data(X_test, y_test, "test set")
    if isinstance(epochs, bool) or not isinstance(epochs, int) or epochs < 0:
        raise ValueError(f"epochs must be a whole number >= 0, got {epochs!r}")
    size = len(X) if batch_size is None else batch_size
    if isinstance(size, bool) or not isinstance(size, int) or size < 1:
        raise ValueError(f"batch_size must be a positive whole number, got {batch_size!r}")
    model.eval()  # counting outputs must not touch BatchNorm's statistics or Dropout's draws
    with no_grad():
        first = model(list(X[0]))
    n_outputs = 1 if isinstance(first, Value) else len(first)
    loss_fn, loss_name = _resolve_loss(loss, n_outputs)
    if loss == "auto":
        _check_auto_labels(loss_name, n_outputs, y, "y")
        if y_test is not None:
            _check_auto_labels(loss_name, n_outputs, y_test, "y_test")
    opt = _resolve_optimizer(optimizer, model, lr)
    classifying = loss_name in _CLASSIFYING
    train_targets = _targets(y, loss_name)
    test_targets = _targets(y_test, loss_name) if y_test is not None else []
    rng = random.Random(seed)
    history = History()
    bar = _progress(epochs, progress)

    def evaluate(X_eval: Sequence[Sequence[float]], targets: Sequence[Any]) -> float:
        model.eval()
        with no_grad():
            value = loss_fn(_outputs(model, X_eval), targets).data
        model.train()
        return value

    order = list(range(len(X)))
    model.train()
    try:
        for _ in range(epochs):
            rng.shuffle(order)
            total = 0.0
            for start in range(0, len(order), size):
                batch = order[start : start + size]
                with _collector_paused():
                    batch_loss = loss_fn(
                        _outputs(model, [X[i] for i in batch]), [train_targets[i] for i in batch]
                    )
                    if l2:
                        batch_loss = batch_loss + losses.l2_penalty(model.parameters(), alpha=l2)
                    opt.zero_grad()
                    batch_loss.backward()
                    opt.step()
                total += batch_loss.data * len(batch)
            history.train_loss.append(total / len(order))
            history.lr.append(opt.lr)
            history.grad_norms.append(_layer_grad_norms(model))
            if has_test:
                assert X_test is not None and y_test is not None
                history.test_loss.append(evaluate(X_test, test_targets))
            model.eval()
            if classifying:
                history.train_accuracy.append(accuracy(model, X, y))
                if has_test:
                    assert X_test is not None and y_test is not None
                    history.test_accuracy.append(accuracy(model, X_test, y_test))
            model.train()
            if scheduler is not None:
                scheduler.step()
            if bar is not None:
                bar.update(1)
                shown = {"loss": f"{history.train_loss[-1]:.4f}"}
                if history.train_accuracy:
                    shown["acc"] = f"{history.train_accuracy[-1]:.3f}"
                bar.set_postfix(shown)
    finally:
        if bar is not None:
            bar.close()
    return history
