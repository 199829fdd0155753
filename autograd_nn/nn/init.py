"""Weight initialisation schemes: where a network's weights start.

All weights equal would make every neuron of a layer respond, and learn, the
same way; random weights break that symmetry. Their scale matters too: too
large and tanh/sigmoid neurons saturate (their gradients vanish), too small
and the signal dies out layer by layer. The lectures' schemes scale a random
draw by the layer's size:

- Glorot (Xavier): std sqrt(2 / (fan_in + fan_out)); derived for linear
  activations, good for tanh and sigmoid.
- He: std sqrt(2 / fan_in); for ReLU, which zeroes half of its inputs.

The uniform variants draw from U(-bound, bound) with bound = sqrt(3) * std,
which has the same standard deviation. They equal PyTorch's
``xavier_normal_``/``xavier_uniform_`` with ``gain=1`` and
``kaiming_normal_``/``kaiming_uniform_`` with ``nonlinearity="relu"``.

An initialiser is a function ``(fan_in, fan_out, rng) -> float`` making one
draw from the `random.Random` it is given (never the global random state):

    >>> import random
    >>> w = he_normal(fan_in=2, fan_out=16, rng=random.Random(0))

`normal(std)` and `uniform(a)` take their parameter and return such a
function. Which scheme a layer uses when given none is part of what its
activation is, so it is written in the activation's record
(`autograd_nn.nn.activations`), not here: this module knows schemes only.
It sits in `nn` as PyTorch's ``torch.nn.init`` does; ``autograd_nn.init``
re-exports it, together with the per-activation defaults.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable

from .. import checks

__all__ = [
    "INITIALISERS",
    "Initialiser",
    "get",
    "glorot_normal",
    "glorot_std",
    "glorot_uniform",
    "he_normal",
    "he_std",
    "he_uniform",
    "normal",
    "uniform",
    "zeros",
]

Initialiser = Callable[[int, int, random.Random], float]
"""One draw of a weight: ``(fan_in, fan_out, rng) -> float``."""


def glorot_std(fan_in: int, fan_out: int) -> float:
    """Glorot's standard deviation, sqrt(2 / (fan_in + fan_out))."""
    return math.sqrt(2.0 / (fan_in + fan_out))


def he_std(fan_in: int) -> float:
    """He's standard deviation, sqrt(2 / fan_in)."""
    return math.sqrt(2.0 / fan_in)


def zeros(fan_in: int, fan_out: int, rng: random.Random) -> float:
    """Always 0: no symmetry breaking (every neuron of a layer stays identical)."""
    return 0.0


def glorot_normal(fan_in: int, fan_out: int, rng: random.Random) -> float:
    """N(0, 2 / (fan_in + fan_out)): Glorot and Bengio (2010)."""
    return rng.gauss(0.0, glorot_std(fan_in, fan_out))


def glorot_uniform(fan_in: int, fan_out: int, rng: random.Random) -> float:
    """U(-b, b) with b = sqrt(6 / (fan_in + fan_out)): Glorot's std, uniformly."""
    bound = math.sqrt(6.0 / (fan_in + fan_out))
    return rng.uniform(-bound, bound)


def he_normal(fan_in: int, fan_out: int, rng: random.Random) -> float:
    """N(0, 2 / fan_in): He et al. (2015), for ReLU layers."""
    return rng.gauss(0.0, he_std(fan_in))


def he_uniform(fan_in: int, fan_out: int, rng: random.Random) -> float:
    """U(-b, b) with b = sqrt(6 / fan_in): He's std, uniformly."""
    bound = math.sqrt(6.0 / fan_in)
    return rng.uniform(-bound, bound)


def normal(std: float = 1.0) -> Initialiser:
    """An initialiser drawing from N(0, std^2), whatever the layer's size."""
    std = checks.positive("std", std)

    def draw(fan_in: int, fan_out: int, rng: random.Random) -> float:
        return rng.gauss(0.0, std)

    draw.__name__ = draw.__qualname__ = f"normal(std={std!r})"
    return draw


def uniform(a: float = 1.0) -> Initialiser:
    """An initialiser drawing from U(-a, a), whatever the layer's size."""
    a = checks.positive("a", a)

    def draw(fan_in: int, fan_out: int, rng: random.Random) -> float:
        return rng.uniform(-a, a)

    draw.__name__ = draw.__qualname__ = f"uniform(a={a!r})"
    return draw


INITIALISERS: dict[str, Initialiser] = {
    "zeros": zeros,
    "normal": normal(1.0),
    "uniform": uniform(1.0),
    "glorot_uniform": glorot_uniform,
    "glorot_normal": glorot_normal,
    "he_uniform": he_uniform,
    "he_normal": he_normal,
}
"""Every scheme by name; "normal" is N(0, 1) and "uniform" is U(-1, 1)."""

_FACTORIES: tuple[object, ...] = (normal, uniform)


def get(init: str | Initialiser) -> Initialiser:
    """The initialiser called `init`, or `init` itself if it is already a function.

    An unknown name raises `checks.UnknownNameError` (a `ValueError`) listing the names.
    """
    if isinstance(init, str):
        return INITIALISERS[checks.one_of("init", init, INITIALISERS, "initialiser")]
    if init in _FACTORIES:
        name = getattr(init, "__name__", "")
        raise TypeError(
            f"init.{name} takes its parameter first: pass init.{name}(...) or the name {name!r}"
        )
    if callable(init):
        return init
    raise TypeError(
        f"init must be a name ({', '.join(INITIALISERS)}) or a function "
        f"(fan_in, fan_out, rng) -> float, got {checks.describe(init)}"
    )
