"""Seeded 2-D toy data sets for watching decision boundaries form.

Each maker returns `(X, y)`: `X` a list of `[x1, x2]` float pairs, `y` a list
of int class labels, shuffled. The same `seed` gives the same data; `seed=None`
draws fresh randomness. Nothing here touches the global `random` state.
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence
from typing import TypeVar

from . import checks

__all__ = [
    "DATASETS",
    "make_blobs",
    "make_circles",
    "make_moons",
    "make_spiral",
    "make_xor",
    "train_test_split",
]

Features = list[list[float]]
Labels = list[int]
T = TypeVar("T")
L = TypeVar("L")


def _size(name: str, x: object, at_least: int = 1) -> int:
    """`checks.whole`, but every wrong count is a ValueError, as scikit-learn's makers raise.

    A maker's sizes are one kind of mistake to a caller (``except ValueError``),
    whether 0 or 2.5 was passed; the message is checks' own.
    """
    try:
        return checks.whole(name, x, at_least=at_least)
    except TypeError as error:
        raise ValueError(str(error)) from None


def _checked(n_samples: int, noise: float) -> tuple[int, float]:
    """The sample count (a whole number >= 1) and noise (a finite number >= 0), checked."""
    return _size("n_samples", n_samples), checks.non_negative("noise", noise)


def _split_count(n_samples: int, parts: int) -> list[int]:
    """n_samples shared among `parts` as evenly as possible, earlier parts first."""
    return [n_samples // parts + (1 if k < n_samples % parts else 0) for k in range(parts)]


def _finish(
    points: list[tuple[float, float]], labels: Labels, noise: float, rng: random.Random
) -> tuple[Features, Labels]:
    """Add Gaussian noise of std `noise` to each coordinate, then shuffle."""
    rows = [
        ([x + rng.gauss(0.0, noise), y + rng.gauss(0.0, noise)] if noise else [x, y], label)
        for (x, y), label in zip(points, labels)
    ]
    rng.shuffle(rows)
    return [r[0] for r in rows], [r[1] for r in rows]


def _spaced(count: int, stop: float) -> list[float]:
    """`count` evenly spaced numbers from 0 to `stop` inclusive."""
    if count == 1:
        return [0.0]
    return [stop * i / (count - 1) for i in range(count)]


def make_moons(
    n_samples: int = 100, noise: float = 0.1, seed: int | None = None
) -> tuple[Features, Labels]:
    """Two interleaving half circles (class 0 on top, class 1 below), as scikit-learn's."""
    n_samples, noise = _checked(n_samples, noise)
    n_outer, n_inner = _split_count(n_samples, 2)
    points = [(math.cos(t), math.sin(t)) for t in _spaced(n_outer, math.pi)]
    points += [(1 - math.cos(t), 0.5 - math.sin(t)) for t in _spaced(n_inner, math.pi)]
    labels = [0] * n_outer + [1] * n_inner
    return _finish(points, labels, noise, random.Random(seed))


def make_circles(
    n_samples: int = 100, noise: float = 0.05, seed: int | None = None, factor: float = 0.5
) -> tuple[Features, Labels]:
    """A circle of radius 1 (class 0) around one of radius `factor` (class 1)."""
    n_samples, noise = _checked(n_samples, noise)
    factor = checks.real("factor", factor)
    if not 0 < factor < 1:
        raise ValueError(f"factor must be between 0 and 1, got {factor!r}")
    n_outer, n_inner = _split_count(n_samples, 2)
    points = []
    for count, radius in ((n_outer, 1.0), (n_inner, factor)):
        angles = [2 * math.pi * i / count for i in range(count)]
        points += [(radius * math.cos(t), radius * math.sin(t)) for t in angles]
    labels = [0] * n_outer + [1] * n_inner
    return _finish(points, labels, noise, random.Random(seed))


def make_xor(
    n_samples: int = 100, noise: float = 0.0, seed: int | None = None
) -> tuple[Features, Labels]:
    """Points in [-1, 1]^2 labelled 1 where exactly one coordinate is positive.

    No single line separates the classes: the perceptron's classic failure.
    """
    n_samples, noise = _checked(n_samples, noise)
    rng = random.Random(seed)
    points = [(rng.uniform(-1, 1), rng.uniform(-1, 1)) for _ in range(n_samples)]
    labels = [int((x > 0) != (y > 0)) for x, y in points]
    return _finish(points, labels, noise, rng)


def make_spiral(
    n_samples: int = 150, noise: float = 0.2, seed: int | None = None, n_classes: int = 3
) -> tuple[Features, Labels]:
    """`n_classes` interleaved spiral arms (the CS231n spiral); noise jitters the angle."""
    n_samples, noise = _checked(n_samples, noise)
    n_classes = _size("n_classes", n_classes, at_least=2)
    rng = random.Random(seed)
    points: list[tuple[float, float]] = []
    labels: Labels = []
    for k, count in enumerate(_split_count(n_samples, n_classes)):
        for r in _spaced(count, 1.0):
            t = 4.0 * (k + r) + rng.gauss(0.0, noise)
            points.append((r * math.sin(t), r * math.cos(t)))
            labels.append(k)
    return _finish(points, labels, 0.0, rng)


def make_blobs(
    n_samples: int = 100,
    noise: float = 0.5,
    seed: int | None = None,
    centers: int | Sequence[Sequence[float]] = 3,
) -> tuple[Features, Labels]:
    """Gaussian blobs of std `noise`, one class per centre.

    `centers` is a list of (x, y) centres, or a count placed evenly on a circle
    of radius 2.
    """
    n_samples, noise = _checked(n_samples, noise)
    if isinstance(centers, int):
        if isinstance(centers, bool) or centers < 1:
            raise ValueError(f"centers must be a positive count or a list, got {centers!r}")
        angles = [2 * math.pi * k / centers for k in range(centers)]
        middles = [(2 * math.cos(t), 2 * math.sin(t)) for t in angles]
    else:
        middles = [(float(c[0]), float(c[1])) for c in centers]
        if not middles or any(len(c) != 2 for c in centers):
            raise ValueError("centers must be a non-empty list of (x, y) pairs")
    points: list[tuple[float, float]] = []
    labels: Labels = []
    for k, count in enumerate(_split_count(n_samples, len(middles))):
        points += [middles[k]] * count
        labels += [k] * count
    return _finish(points, labels, noise, random.Random(seed))


DATASETS = {
    "moons": make_moons,
    "circles": make_circles,
    "xor": make_xor,
    "spiral": make_spiral,
    "blobs": make_blobs,
}
"""The makers by name, e.g. for the command line."""


def train_test_split(
    X: Sequence[T],
    y: Sequence[L],
    test_size: float = 0.25,
    seed: int | None = None,
    shuffle: bool = True,
) -> tuple[list[T], list[T], list[L], list[L]]:
    """`(X_train, X_test, y_train, y_test)`, as scikit-learn orders them.

    `test_size` is a fraction in (0, 1) or a whole number of samples.
    """
    if len(X) != len(y):
        raise ValueError(f"X and y differ in length: {len(X)} samples but {len(y)} labels")
    n = len(X)
    if isinstance(test_size, float) and 0 < test_size < 1:
        n_test = math.ceil(test_size * n)
    elif isinstance(test_size, int) and not isinstance(test_size, bool) and 0 < test_size < n:
        n_test = test_size
    else:
        raise ValueError(
            f"test_size must be a fraction in (0, 1) or a count below {n}, got {test_size!r}"
        )
    if n_test >= n:
        raise ValueError(f"test_size={test_size!r} leaves no training samples out of {n}")
    order = list(range(n))
    if shuffle:
        random.Random(seed).shuffle(order)
    train, test = order[: n - n_test], order[n - n_test :]
    return [X[i] for i in train], [X[i] for i in test], [y[i] for i in train], [y[i] for i in test]
