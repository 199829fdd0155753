"""Optimisers and learning-rate schedulers, step for step as PyTorch's.

Typical loop::

    optimizer = Adam(model.parameters(), lr=0.01)
    for epoch in range(100):
        optimizer.zero_grad()
        loss = mse_loss(predictions, targets)
        loss.backward()
        optimizer.step()

`optimizers` holds the optimisers and `OPTIMIZERS` (the ones `fit` knows by
name); `schedulers` the schedulers, which change `optimizer.lr` once per epoch.
"""

from .optimizers import OPTIMIZERS, SGD, Adagrad, Adam, AdamW, NAdam, Optimizer, RMSprop
from .schedulers import CosineAnnealingLR, ExponentialLR, LRScheduler, StepLR

__all__ = [
    "OPTIMIZERS",
    "SGD",
    "Adagrad",
    "Adam",
    "AdamW",
    "CosineAnnealingLR",
    "ExponentialLR",
    "LRScheduler",
    "NAdam",
    "Optimizer",
    "RMSprop",
    "StepLR",
]
