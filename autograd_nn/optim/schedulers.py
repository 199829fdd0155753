"""Learning-rate schedulers, as `torch.optim.lr_scheduler`'s.

A scheduler changes `optimizer.lr`: call `scheduler.step()` after
`optimizer.step()`, once per epoch. Like PyTorch's, each computes the next
rate from the current one (the "chainable" form), so several schedulers can
share one optimiser.
"""

from __future__ import annotations

import math

from .. import checks
from .optimizers import Optimizer

__all__ = ["CosineAnnealingLR", "ExponentialLR", "LRScheduler", "StepLR"]


class LRScheduler:
    """Base of the schedulers: each `step()` sets `optimizer.lr` to the next value."""

    def __init__(self, optimizer: Optimizer) -> None:
        if not isinstance(optimizer, Optimizer):
            raise TypeError(f"{type(optimizer).__name__} is not an Optimizer")
        self.optimizer = optimizer
        self.base_lr: float = optimizer.lr
        """The learning rate when the scheduler was made."""
        self.last_epoch = 0
        """How many times `step()` has been called."""
        self._last_lr = optimizer.lr

    def _next_lr(self) -> float:
        """The learning rate for epoch `last_epoch` (already advanced)."""
        raise NotImplementedError

    def step(self) -> None:
        """Advance one epoch: call after `optimizer.step()`."""
        self.last_epoch += 1
        self.optimizer.lr = self._next_lr()
        self._last_lr = self.optimizer.lr

    def get_last_lr(self) -> list[float]:
        """The learning rate set by the last step, as PyTorch's one-group list."""
        return [self._last_lr]


class StepLR(LRScheduler):
    """Multiply the learning rate by `gamma` every `step_size` epochs."""

    def __init__(self, optimizer: Optimizer, step_size: int, gamma: float = 0.1) -> None:
        self.step_size = checks.whole("step_size", step_size)
        self.gamma = checks.real("gamma", gamma)
        super().__init__(optimizer)

    def _next_lr(self) -> float:
        if self.last_epoch % self.step_size != 0:
            return self.optimizer.lr
        return self.optimizer.lr * self.gamma


class ExponentialLR(LRScheduler):
    """Multiply the learning rate by `gamma` every epoch."""

    def __init__(self, optimizer: Optimizer, gamma: float) -> None:
        self.gamma = checks.real("gamma", gamma)
        super().__init__(optimizer)

    def _next_lr(self) -> float:
        return self.optimizer.lr * self.gamma


class CosineAnnealingLR(LRScheduler):
    """Lower the rate along half a cosine from its start to `eta_min` in `T_max` epochs.

    Closed form: eta_min + (base_lr − eta_min)·(1 + cos(π·t/T_max))/2. Past
    `T_max` it rises again (a full cosine period is 2·T_max), as in PyTorch.
    """

    def __init__(self, optimizer: Optimizer, T_max: int, eta_min: float = 0.0) -> None:
        self.T_max = checks.whole("T_max", T_max)
        self.eta_min = checks.real("eta_min", eta_min)
        super().__init__(optimizer)

    def _next_lr(self) -> float:
        lr, epoch, period = self.optimizer.lr, self.last_epoch, self.T_max
        if (epoch - 1 - period) % (2 * period) == 0:
            return lr + (self.base_lr - self.eta_min) * (1 - math.cos(math.pi / period)) / 2
        return (1 + math.cos(math.pi * epoch / period)) / (
            1 + math.cos(math.pi * (epoch - 1) / period)
        ) * (lr - self.eta_min) + self.eta_min
