"""Things `fit` calls after every epoch: stop early, keep snapshots, watch training.

A callback is any object with `on_epoch_end(epoch, model, history)`; it may
return True to stop training after that epoch, and may have
`on_train_end(model, history)`, called once when training ends (also after an
early stop). Two come built in:

    from autograd_nn.callbacks import EarlyStopping, Snapshot

    stop, snapshots = EarlyStopping(patience=10), Snapshot(every=5)
    history = fit(model, X, y, X_test=X_test, y_test=y_test, epochs=300,
                  callbacks=[stop, snapshots])
    history.stopped          # why training ended early ("" if it ran every epoch)
    snapshots.epochs         # [5, 10, ...]: the model after those epochs
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Protocol, runtime_checkable

from . import checks

if TYPE_CHECKING:
    from .nn import Module
    from .nn.module import State
    from .train import History

__all__ = ["Callback", "EarlyStopping", "Snapshot"]


@runtime_checkable
class Callback(Protocol):
    """What `fit` calls after each epoch; returning True stops training."""

    def on_epoch_end(self, epoch: int, model: Module, history: History) -> bool | None: ...


_MONITORED = ("train_loss", "test_loss", "train_accuracy", "test_accuracy")


class EarlyStopping:
    """Stop when the monitored number has not improved for `patience` epochs.

    The lectures' overfitting story: the test loss falls, then rises while the
    training loss keeps falling; stop there. `monitor` is a list of `History`
    ("test_loss" by default, "train_loss" when `fit` has no test set);
    losses improve downwards, accuracies upwards, by more than `min_delta`.
    With `restore_best` (the default) the model ends with the parameters of
    its best epoch, whether training stopped early or ran to the end.
    """

    def __init__(
        self, patience: int = 5, *, monitor: str | None = None, min_delta: float = 0.0,
        restore_best: bool = True,
    ) -> None:
        self.patience = checks.whole("EarlyStopping: patience", patience, at_least=1)
        if monitor is not None and monitor not in _MONITORED:
            raise ValueError(f"EarlyStopping: monitor must be one of {', '.join(_MONITORED)}; "
                             f"got {monitor!r}")
        self.monitor = monitor
        self.min_delta = checks.non_negative("EarlyStopping: min_delta", min_delta)
        self.restore_best = checks.flag("EarlyStopping: restore_best", restore_best)
        self.best_epoch = 0
        self.best: float = math.nan
        self._best_state: State | None = None

    def _watched(self, history: History) -> tuple[str, list[float]]:
        name = self.monitor or ("test_loss" if history.test_loss else "train_loss")
        numbers: list[float] = getattr(history, name)
        if not numbers:
            raise ValueError(f"EarlyStopping: fit records no {name} (give fit a test set, "
                             "or a classifier's loss for accuracies)")
        return name, numbers

    def _improved(self, name: str, latest: float) -> bool:
        if self.best_epoch == 0:
            return math.isfinite(latest)
        if name.endswith("accuracy"):
            return latest > self.best + self.min_delta
        return latest < self.best - self.min_delta

    def on_epoch_end(self, epoch: int, model: Module, history: History) -> bool:
        """Remember the best epoch; True once `patience` epochs have passed without one."""
        name, numbers = self._watched(history)
        if self._improved(name, numbers[-1]):
            self.best, self.best_epoch = numbers[-1], epoch
            if self.restore_best:
                self._best_state = model.state_dict()
            return False
        if epoch - self.best_epoch < self.patience:
            return False
        history.stopped = (f"EarlyStopping: {name} did not improve for {self.patience} epochs "
                           f"after epoch {self.best_epoch} ({name} {self.best:.6g})")
        return True

    def on_train_end(self, model: Module, history: History) -> None:
        """Put back the best epoch's parameters (with `restore_best`), and say so."""
        if self._best_state is None or self.best_epoch == history.epochs:
            return
        model.load_state_dict(self._best_state)
        restored = f"parameters of epoch {self.best_epoch} restored"
        history.stopped = f"{history.stopped}; {restored}" if history.stopped else restored


class Snapshot:
    """Keep the model's parameters every `every` epochs (and after the last one).

    `epochs[i]` is the epoch after which `states[i]` was taken; epoch 0 is the
    model before training. `model.load_state_dict(states[i])` brings it back;
    `plot.animate_training` draws one frame per snapshot.
    """

    def __init__(self, every: int = 1, *, initial: bool = True) -> None:
        self.every = checks.whole("Snapshot: every", every, at_least=1)
        self.initial = checks.flag("Snapshot: initial", initial)
        self.epochs: list[int] = []
        self.states: list[State] = []
        self._latest: tuple[int, State] | None = None

    def _take(self, epoch: int, state: State) -> None:
        if not self.epochs or self.epochs[-1] != epoch:
            self.epochs.append(epoch)
            self.states.append(state)

    def on_train_begin(self, model: Module) -> None:
        """The model before its first step, as epoch 0 (with `initial`)."""
        self.epochs.clear()
        self.states.clear()
        self._latest = None
        if self.initial:
            self._take(0, model.state_dict())

    def on_epoch_end(self, epoch: int, model: Module, history: History) -> None:
        """Take a snapshot every `every` epochs; remember the latest in any case."""
        self._latest = (epoch, model.state_dict())
        if epoch % self.every == 0:
            self._take(*self._latest)

    def on_train_end(self, model: Module, history: History) -> None:
        """End with the last epoch's model (as it was before any restore by another callback)."""
        if self._latest is not None:
            self._take(*self._latest)

    def __len__(self) -> int:
        return len(self.epochs)
