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

`fit` reads its options from `losses.LOSSES` and `optim.OPTIMIZERS` (both
also importable from here, as before); the callbacks `EarlyStopping` and
`Snapshot` live in `autograd_nn.callbacks` and are importable from here too.
"""

from __future__ import annotations

import json
import math
import random
import sys
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from . import checks, losses
from .callbacks import Callback, EarlyStopping, Snapshot
from .engine import Value, collector_paused, no_grad
from .losses import LOSSES, LossFunction
from .nn import BatchNorm1d, Module
from .optim import OPTIMIZERS, Optimizer

__all__ = [
    "LOSSES",
    "OPTIMIZERS",
    "Callback",
    "EarlyStopping",
    "History",
    "Snapshot",
    "accuracy",
    "fit",
    "layer_grad_norms",
    "predict",
]

Target = float | int
Samples = Sequence[Sequence[float]]

_CLASSIFYING = {"bce_with_logits", "cross_entropy", "hinge"}


@dataclass
class History:
    """What happened in each epoch of `fit`: losses, accuracies, learning rate.

    Test entries stay empty when no test set was given; accuracies stay empty
    for a regression loss. `grad_norms[epoch][layer]` is the L2 norm of each
    layer's parameter gradients after the epoch's last batch. `stopped` says
    why training ended before its last epoch, if a callback stopped it.
    `engine` says which engine computed the batches: "compiled" (one traced
    program replayed over each batch with numpy, `autograd_nn.compiled`) or
    "scalar" (a graph per sample); `engine_reason` why it was not the compiled one.
    """

    train_loss: list[float] = field(default_factory=list)
    test_loss: list[float] = field(default_factory=list)
    train_accuracy: list[float] = field(default_factory=list)
    test_accuracy: list[float] = field(default_factory=list)
    lr: list[float] = field(default_factory=list)
    grad_norms: list[list[float]] = field(default_factory=list)
    stopped: str = ""
    engine: str = "scalar"
    engine_reason: str = ""

    @property
    def epochs(self) -> int:
        """How many epochs were run."""
        return len(self.train_loss)

    def to_json(self) -> str:
        """The history as JSON text (every entry is a plain number)."""
        return json.dumps(asdict(self))


def layer_grad_norms(model: Module) -> list[float]:
    """The L2 norm of each layer's parameter gradients, input side first.

    A layer is one of the model's direct members (`children()`: an MLP's
    layers, a Sequential's modules, a BatchNorm's scale and shift included);
    a model without members is one layer. This is what `History.grad_norms`
    records each epoch and what `plot_gradient_norms` draws for a model.
    """
    groups = model.children() or [model]
    return [math.sqrt(math.fsum(p.grad * p.grad for p in m.parameters())) for m in groups]


# Predictions ------------------------------------------------------------------------


def _outputs(model: Module, batch: Samples) -> list[Any]:
    results = model([list(x) for x in batch])
    return list(results)


def predict(model: Module, X: Samples) -> list[int]:
    """Class predictions without recording a graph: logit > 0, or the arg-max."""
    with no_grad():
        outputs = _outputs(model, X)
    return [_predicted_class(out) for out in outputs]


def _predicted_class(output: Any) -> int:
    """The class an output (a logit, or a list of class scores; Values or numbers) picks."""
    if isinstance(output, (Value, float)):
        return int(float(output) > 0.0)
    scores = [float(v) for v in output]
    return max(range(len(scores)), key=scores.__getitem__)


def _fraction_right(predicted: Iterable[int], y: Sequence[Target]) -> float:
    return sum(p == max(int(t), 0) for p, t in zip(predicted, y)) / len(y)


def accuracy(model: Module, X: Samples, y: Sequence[Target]) -> float:
    """Fraction of samples whose predicted class equals the label (-1 counts as 0)."""
    return _fraction_right(predict(model, X), y)


# Choices made before the first epoch --------------------------------------------------


def _check_data(X: Samples, y: Sequence[Target], what: str) -> None:
    if len(X) != len(y):
        raise ValueError(f"{what}: {len(X)} samples but {len(y)} labels")
    if not X:
        raise ValueError(f"{what}: no samples")


def _check_arguments(
    X: Samples,
    y: Sequence[Target],
    X_test: Samples | None,
    y_test: Sequence[Target] | None,
    epochs: int,
    batch_size: int | None,
    l2: float,
) -> int:
    """Refuse bad data or settings before anything runs; the batch size to use."""
    _check_data(X, y, "training set")
    if X_test is not None or y_test is not None:
        if X_test is None or y_test is None:
            raise ValueError("give both X_test and y_test, or neither")
        _check_data(X_test, y_test, "test set")
    checks.whole("epochs", epochs, at_least=0)
    checks.non_negative("l2", l2)
    return len(X) if batch_size is None else checks.whole("batch_size", batch_size)


def _count_outputs(model: Module, sample: Sequence[float]) -> int:
    """How many outputs the model gives, from one sample, without changing its state."""
    model.eval()  # counting outputs must not touch BatchNorm's statistics or Dropout's draws
    with no_grad():
        first = model(list(sample))
    return 1 if isinstance(first, Value) else len(first)


def _resolve_loss(loss: str | LossFunction, n_outputs: int) -> tuple[LossFunction, str]:
    """The loss function and its name; "auto" picks one for the number of outputs."""
    if callable(loss):
        return loss, getattr(loss, "__name__", "custom")
    if loss == "auto":
        loss = "bce_with_logits" if n_outputs == 1 else "cross_entropy"
    checks.one_of("loss", loss, ["auto", *LOSSES])
    return LOSSES[loss], loss


def _check_auto_labels(loss_name: str, n_outputs: int, y: Sequence[Target], what: str) -> None:
    """Labels that do not suit the loss "auto" chose: say why it chose it, and the way out."""
    if n_outputs == 1:
        model, labels = "one output is a binary classifier", "lie in [0, 1]"
    else:
        model = f"{n_outputs} outputs is a {n_outputs}-class classifier"
        labels = f"are the whole numbers 0 to {n_outputs - 1}"
    for i, t in enumerate(y):
        if not checks.is_number(t):
            continue  # the loss itself names what is wrong with a label that is no number
        if (n_outputs == 1 and not 0.0 <= t <= 1.0) or (
            n_outputs > 1 and t not in range(n_outputs)
        ):
            raise ValueError(
                f"fit: with loss='auto' a model with {model} (loss {loss_name}), whose "
                f"labels {labels}, but {what}[{i}] is {t!r}; for regression pass "
                "loss='mse', for k classes give the model k outputs"
            )


def _choose_loss(
    loss: str | LossFunction,
    model: Module,
    X: Samples,
    y: Sequence[Target],
    y_test: Sequence[Target] | None,
) -> tuple[LossFunction, str]:
    """The loss for this model; with "auto", first check that the labels suit it."""
    n_outputs = _count_outputs(model, X[0])
    loss_fn, loss_name = _resolve_loss(loss, n_outputs)
    if loss == "auto":
        _check_auto_labels(loss_name, n_outputs, y, "y")
        if y_test is not None:
            _check_auto_labels(loss_name, n_outputs, y_test, "y_test")
    return loss_fn, loss_name


def _check_batches(model: Module, n_samples: int, batch_size: int) -> None:
    """Refuse, before training, batches a `BatchNorm1d` cannot train on (one sample).

    PyTorch fails at such a batch in the middle of an epoch, after changing
    the parameters; here nothing runs. Choose a batch size that leaves no
    last batch of one (or remove a sample).
    """
    norms = [m for m in model.modules() if isinstance(m, BatchNorm1d)]
    if not norms:
        return
    last = n_samples % batch_size or min(batch_size, n_samples)
    if last == 1:
        split = ("one batch of 1 sample" if n_samples == 1 else
                 f"{n_samples} samples in batches of {batch_size} leave a last batch of 1")
        raise ValueError(
            f"fit: {norms[0]!r} needs at least 2 samples per batch in training, but "
            f"{split}; choose another batch_size (e.g. {batch_size + 1}) or remove a sample"
        )


def _resolve_optimizer(optimizer: str | Optimizer, model: Module, lr: float | None) -> Optimizer:
    """The optimiser given, or one built by name over the model's parameters.

    An optimiser built over some of the model's parameters (to train only
    those) is fine; one over none of them would train nothing, and is refused.
    """
    if isinstance(optimizer, Optimizer):
        if lr is not None:
            raise ValueError("pass lr to the optimizer you built, not to fit")
        owned = {id(p) for p in optimizer.params}
        if not any(id(p) in owned for p in model.parameters()):
            raise ValueError(
                f"fit: {type(optimizer).__name__} holds none of this model's parameters, so "
                "it would train nothing; build it over model.parameters()"
            )
        return optimizer
    cls = OPTIMIZERS[checks.one_of("optimizer", optimizer, OPTIMIZERS)]
    return cls(model.parameters(), lr=cls.fit_lr if lr is None else lr)


def _targets(y: Sequence[Target], loss_name: str) -> list[Any]:
    """The labels as the loss wants them: hinge takes -1/1 where the data say 0/1."""
    if loss_name == "hinge":
        return [2.0 * t - 1.0 if t in (0, 1) else float(t) for t in y]
    return list(y)


class _Engine:
    """What computes fit's batches: a compiled loss, or None for the scalar engine."""

    def __init__(self, compiled: Any, required: bool, reason: str) -> None:
        self.compiled = compiled
        self.required = required
        self.reason = reason

    @property
    def name(self) -> str:
        return "scalar" if self.compiled is None else "compiled"


def _choose_engine(
    compiled: bool | None, model: Module, loss_fn: LossFunction, loss_name: str, l2: float
) -> _Engine:
    """The compiled engine where asked for or where it is sure to compute the same numbers.

    By default (None) only a built-in loss is compiled: each is a mean over
    samples, which is what a compiled loss computes; a custom one may not be.
    """
    if compiled is not None:
        checks.flag("compiled", compiled)
    if compiled is False:
        return _Engine(None, False, "compiled=False")
    if compiled is None and LOSSES.get(loss_name) is not loss_fn:
        return _Engine(None, False, "a custom loss: compiled=True compiles it, if it is the "
                                    "mean of one loss per sample")
    try:
        from .compiled import compile as compile_loss
    except ImportError as error:
        if compiled:
            raise ImportError("fit: compiled=True needs numpy: pip install 'autograd_nn[fast]'"
                              ) from error
        return _Engine(None, False, "numpy is not installed (pip install 'autograd_nn[fast]')")
    penalty = (lambda: losses.l2_penalty(model.parameters(), alpha=l2)) if l2 else None
    return _Engine(compile_loss(loss_fn, model, penalty=penalty), compiled is True, "")


@dataclass(frozen=True)
class _Run:
    """What one call of `fit` fixed before its first epoch."""

    model: Module
    X: Samples
    y: Sequence[Target]
    X_test: Samples | None
    y_test: Sequence[Target] | None
    loss_fn: LossFunction
    loss_name: str
    optimizer: Optimizer
    batch_size: int
    l2: float
    engine: _Engine

    @property
    def classifying(self) -> bool:
        """Whether the loss is a classifier's, so accuracies mean something."""
        return self.loss_name in _CLASSIFYING


# One epoch --------------------------------------------------------------------------


def _batch_loss(run: _Run, batch: list[int], targets: Sequence[Any]) -> Value:
    """The loss of one batch (with the L2 penalty); a loss that is no Value is refused."""
    loss = run.loss_fn(_outputs(run.model, [run.X[i] for i in batch]), [targets[i] for i in batch])
    if not isinstance(loss, Value):
        raise TypeError(f"fit: the loss {run.loss_name} returned {checks.describe(loss)}, "
                        "not a Value; build it from Value operations so it can backpropagate")
    if run.l2:
        loss = loss + losses.l2_penalty(run.model.parameters(), alpha=run.l2)
    return loss


def _check_finite(run: _Run, loss: float) -> None:
    """Raise `FloatingPointError` for a non-finite loss or gradient, saying which."""
    if math.isfinite(loss):
        bad = next((p for p in run.optimizer.params if not math.isfinite(p.grad)), None)
        if bad is None:
            return
        raise FloatingPointError(f"a gradient is {bad.grad!r} (of {bad.label or 'a parameter'})")
    raise FloatingPointError(f"the loss ({run.loss_name}) is {loss!r}")


def _stopped(run: _Run, error: ArithmeticError, epoch: int, batch: int, batches: int) -> str:
    """Why and where training stopped, and what to check."""
    return (
        f"fit: {error} at epoch {epoch}, batch {batch} of {batches}; training stopped before "
        "that batch's step, so the parameters are those before it. Look for NaN or "
        f"infinity in the data, or lower the learning rate (lr {run.optimizer.lr:g})"
    )


def _batch_gradients(run: _Run, batch: list[int], targets: Sequence[Any]) -> float:
    """The batch's loss with gradients in every parameter; an error if any is not finite."""
    run.optimizer.zero_grad()
    loss = _compiled_batch(run, batch, targets) if run.engine.compiled is not None else None
    if loss is None:
        batch_loss = _batch_loss(run, batch, targets)
        if math.isfinite(batch_loss.data):
            batch_loss.backward()
        loss = batch_loss.data
    _check_finite(run, loss)
    return loss


def _all_finite(samples: Samples, labels: Sequence[Any]) -> bool:
    """Whether every feature and label is a finite number (a compiled batch refuses others)."""
    try:
        return all(math.isfinite(v) for x in samples for v in x) and all(
            math.isfinite(v) for t in labels for v in (t if isinstance(t, Sequence) else [t]))
    except TypeError:
        return False


def _compiled_batch(run: _Run, batch: list[int], targets: Sequence[Any]) -> float | None:
    """The batch's loss from the compiled engine; None once it cannot trace (then
    the scalar engine takes over, and `History.engine_reason` says why)."""
    from .compiled import TraceError

    engine = run.engine
    samples, labels = [run.X[i] for i in batch], [targets[i] for i in batch]
    if not _all_finite(samples, labels):
        return None  # the scalar engine finds the NaN loss and says where, as always
    try:
        loss: float = engine.compiled(samples, labels)
    except TraceError as error:
        if engine.required:
            raise ValueError(f"fit: compiled=True, but {error}") from None
        engine.compiled, engine.reason = None, str(error)
        run.optimizer.zero_grad()
        return None
    return loss


def _train_epoch(
    run: _Run, epoch: int, order: list[int], targets: Sequence[Any], rng: random.Random
) -> float:
    """One pass over the shuffled training set, one optimiser step per batch; its mean loss.

    A NaN or infinite loss or gradient (`FloatingPointError`), or a number too
    large for a float (`OverflowError`), stops training before that batch's
    step, with the running statistics of any `BatchNorm1d` put back as they were.
    """
    rng.shuffle(order)
    total = 0.0
    batches = -(-len(order) // run.batch_size)
    norms = [m for m in run.model.modules() if isinstance(m, BatchNorm1d)]
    for number, start in enumerate(range(0, len(order), run.batch_size), 1):
        batch = order[start : start + run.batch_size]
        statistics = [m.running_statistics() for m in norms]
        with collector_paused():
            try:
                batch_loss = _batch_gradients(run, batch, targets)
            except (FloatingPointError, OverflowError) as error:
                for norm, saved in zip(norms, statistics):
                    norm.restore_running_statistics(saved)
                raise type(error)(_stopped(run, error, epoch, number, batches)) from None
            run.optimizer.step()
        total += batch_loss * len(batch)
    return total / len(order)


def _evaluated(run: _Run, X: Samples) -> list[Any]:
    """The model's outputs for X in evaluation mode: floats (or lists of floats)
    from the compiled engine, else Values computed without a graph."""
    run.model.eval()
    try:
        if run.engine.compiled is not None:
            outputs: list[Any] = run.engine.compiled.forward(X).tolist()
            return outputs
        with no_grad():
            return _outputs(run.model, X)
    finally:
        run.model.train()


def _loss_of(run: _Run, outputs: list[Any], targets: Sequence[Any]) -> float:
    """The loss of outputs already computed (`_evaluated`), without a graph."""
    with no_grad():
        return run.loss_fn(outputs, targets).data


def _record_epoch(
    run: _Run, history: History, train_loss: float, test_targets: Sequence[Any]
) -> None:
    """Append the epoch's loss, rate, gradient norms, test loss and accuracies."""
    history.train_loss.append(train_loss)
    history.lr.append(run.optimizer.lr)
    history.grad_norms.append(layer_grad_norms(run.model))
    # The test set is evaluated once, for its loss and its accuracy alike.
    test_outputs = _evaluated(run, run.X_test) if run.X_test is not None else []
    if run.X_test is not None:
        history.test_loss.append(_loss_of(run, test_outputs, test_targets))
    if run.classifying:
        history.train_accuracy.append(_accuracy(_evaluated(run, run.X), run.y))
        if run.X_test is not None and run.y_test is not None:
            history.test_accuracy.append(_accuracy(test_outputs, run.y_test))


def _accuracy(outputs: list[Any], y: Sequence[Target]) -> float:
    return _fraction_right(map(_predicted_class, outputs), y)


def _progress(total: int, enabled: bool | None) -> Any:
    """A tqdm bar over the epochs, or None (default: only when stderr is a terminal)."""
    if enabled is None:
        enabled = sys.stderr.isatty()
    if not enabled:
        return None
    from tqdm.auto import tqdm

    return tqdm(total=total, unit="epoch", leave=True)


def _show_progress(bar: Any, history: History) -> None:
    """Advance the bar by one epoch, showing the latest loss and accuracy."""
    if bar is None:
        return
    bar.update(1)
    shown = {"loss": f"{history.train_loss[-1]:.4f}"}
    if history.train_accuracy:
        shown["acc"] = f"{history.train_accuracy[-1]:.3f}"
    bar.set_postfix(shown)


def _checked_callbacks(callbacks: object) -> list[Callback]:
    """The callbacks as a list, each one checked to have `on_epoch_end`."""
    if isinstance(callbacks, (str, bytes)) or not isinstance(callbacks, Iterable):
        raise TypeError("fit: callbacks must be a list of callbacks, "
                        f"got {checks.describe(callbacks)}")
    listed = list(callbacks)
    for i, callback in enumerate(listed):
        if not callable(getattr(callback, "on_epoch_end", None)):
            raise TypeError(f"fit: callbacks[{i}] is {checks.describe(callback)}, which has no "
                            "on_epoch_end(epoch, model, history) method")
    return listed


def _call_each(callbacks: list[Callback], hook: str, *arguments: object) -> bool:
    """Call `hook` on every callback that has it; True if any asked to stop."""
    answers = [getattr(c, hook)(*arguments) for c in callbacks if hasattr(c, hook)]
    return any(answer is True for answer in answers)


def _prepared(
    model: Module,
    data: tuple[Samples, Sequence[Target], Samples | None, Sequence[Target] | None],
    loss: str | LossFunction,
    optimizer: Optimizer,
    size: int,
    l2: float,
    compiled: bool | None,
) -> _Run:
    """What `fit` fixes before its first epoch: the loss, the optimiser, the engine."""
    X, y, X_test, y_test = data
    loss_fn, loss_name = _choose_loss(loss, model, X, y, y_test)
    return _Run(model, X, y, X_test, y_test, loss_fn, loss_name, optimizer, size, l2,
                _choose_engine(compiled, model, loss_fn, loss_name, l2))


def fit(
    model: Module,
    X: Samples,
    y: Sequence[Target],
    *,
    loss: str | LossFunction = "auto",
    optimizer: str | Optimizer = "adam",
    lr: float | None = None,
    epochs: int = 100,
    batch_size: int | None = 20,
    X_test: Samples | None = None,
    y_test: Sequence[Target] | None = None,
    l2: float = 0.0,
    seed: int | None = None,
    progress: bool | None = None,
    scheduler: Any = None,
    callbacks: Sequence[Callback] = (),
    compiled: bool | None = None,
) -> History:
    """Train `model` on `(X, y)` for `epochs` passes; returns the `History`.

    - `loss`: "auto" (logistic for one output, cross-entropy for several), a
      name from `LOSSES`, or a function `(predictions, targets) -> Value`.
    - `optimizer`: a name from `OPTIMIZERS` (built with `lr`, by default the
      class's `fit_lr`: 0.02, 0.1 for SGD) or an optimiser already built over
      `model.parameters()`.
    - `batch_size`: samples per step (`None`: the whole set, one step per
      epoch); batches are reshuffled each epoch with `seed`.
    - `l2`: adds `l2_penalty(model.parameters(), alpha=l2)` to each batch's loss.
    - `scheduler`: stepped once per epoch; `progress`: a tqdm bar (default: on a terminal).
    - `callbacks`: each one's `on_epoch_end(epoch, model, history)` after every
      epoch; True stops training (`autograd_nn.callbacks`: EarlyStopping, Snapshot).
    - `compiled`: None runs batches on `autograd_nn.compiled` (same numbers, far
      faster) if numpy is installed, the loss is built in and the model traces;
      True insists, False keeps the scalar engine; `History.engine` says which ran.

    Refused before anything runs: an optimiser over none of the model's
    parameters, a `BatchNorm1d` batch of one sample. A loss that is no `Value`
    raises `TypeError`; a NaN or infinite loss or gradient `FloatingPointError`,
    an overflow `OverflowError`, naming the epoch and batch, before its step.
    """
    size = _check_arguments(X, y, X_test, y_test, epochs, batch_size, l2)
    watchers = _checked_callbacks(callbacks)
    _check_batches(model, len(X), size)
    run = _prepared(model, (X, y, X_test, y_test), loss, _resolve_optimizer(optimizer, model, lr),
                    size, l2, compiled)
    targets = (_targets(y, run.loss_name),
               _targets(y_test, run.loss_name) if y_test is not None else [])
    history = History(engine=run.engine.name, engine_reason=run.engine.reason)
    model.train()
    _call_each(watchers, "on_train_begin", model)
    bar = _progress(epochs, progress)
    try:
        _run_epochs(run, epochs, targets, random.Random(seed), scheduler, watchers, bar, history)
    finally:
        if bar is not None:
            bar.close()
        history.engine, history.engine_reason = run.engine.name, run.engine.reason
    _call_each(watchers, "on_train_end", model, history)
    return history


def _run_epochs(
    run: _Run, epochs: int, targets: tuple[Sequence[Any], Sequence[Any]], rng: random.Random,
    scheduler: Any, watchers: list[Callback], bar: Any, history: History,
) -> None:
    """Train and record epoch after epoch, until the last or until a callback says stop."""
    order = list(range(len(run.X)))
    for epoch in range(1, epochs + 1):
        train_loss = _train_epoch(run, epoch, order, targets[0], rng)
        _record_epoch(run, history, train_loss, targets[1])
        if scheduler is not None:
            scheduler.step()
        _show_progress(bar, history)
        if _call_each(watchers, "on_epoch_end", epoch, run.model, history):
            return
