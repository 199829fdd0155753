"""Weight initialisation schemes, at their documented place ``autograd_nn.init``.

The schemes live in `autograd_nn.nn.init` (as PyTorch's ``torch.nn.init``);
the default scheme per activation is part of each activation's record in
`autograd_nn.nn.activations`. This module re-exports both, so
``from autograd_nn import init; init.he_normal`` and
``init.for_activation("relu")`` work as before.
"""

from __future__ import annotations

from .nn.activations import DEFAULT_FOR_ACTIVATION, for_activation
from .nn.init import (
    INITIALISERS,
    Initialiser,
    get,
    glorot_normal,
    glorot_std,
    glorot_uniform,
    he_normal,
    he_std,
    he_uniform,
    normal,
    uniform,
    zeros,
)

__all__ = [
    "DEFAULT_FOR_ACTIVATION", "INITIALISERS", "Initialiser", "for_activation", "get",
    "glorot_normal", "glorot_std", "glorot_uniform", "he_normal", "he_std", "he_uniform",
    "normal", "uniform", "zeros",
]
