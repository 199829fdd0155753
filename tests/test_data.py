"""Seeded toy data sets and the train/test split."""

import math
from collections import Counter

import pytest
from hypothesis import given
from hypothesis import strategies as st

from autograd_nn.data import (
    DATASETS,
    make_blobs,
    make_circles,
    make_moons,
    make_spiral,
    make_xor,
    train_test_split,
)


@pytest.mark.parametrize("name", sorted(DATASETS))
@given(n=st.integers(3, 300), seed=st.integers(0, 2**32))
def test_shapes_types_and_reproducibility(name, n, seed):
    make = DATASETS[name]
    X, y = make(n_samples=n, seed=seed)
    assert len(X) == len(y) == n
    assert all(len(p) == 2 and all(isinstance(c, float) and math.isfinite(c) for c in p) for p in X)
    assert all(type(label) is int for label in y)
    assert make(n_samples=n, seed=seed) == (X, y)


@pytest.mark.parametrize("name", sorted(DATASETS))
def test_different_seeds_differ_and_global_random_untouched(name):
    import random

    random.seed(1)
    expected = random.random()
    random.seed(1)
    a = DATASETS[name](n_samples=50, seed=0)
    b = DATASETS[name](n_samples=50, seed=1)
    assert a != b
    assert random.random() == expected


def test_moons_geometry_without_noise():
    X, y = make_moons(101, noise=0.0, seed=0)
    assert Counter(y) == {0: 51, 1: 50}
    for (a, b), label in zip(X, y):
        if label == 0:
            assert math.hypot(a, b) == pytest.approx(1.0) and b >= -1e-12
        else:
            assert math.hypot(a - 1, b - 0.5) == pytest.approx(1.0) and b <= 0.5 + 1e-12


def test_circles_radii_and_noise():
    X, y = make_circles(100, noise=0.0, seed=0, factor=0.3)
    radii = {
        label: {round(math.hypot(*p), 9) for p, t in zip(X, y) if t == label} for label in (0, 1)
    }
    assert radii == {0: {1.0}, 1: {0.3}}
    Xn, _ = make_circles(100, noise=0.1, seed=0, factor=0.3)
    assert Xn != X


def test_xor_labels():
    X, y = make_xor(200, seed=3)
    for (a, b), label in zip(X, y):
        assert label == ((a > 0) != (b > 0))
    assert 0.3 < sum(y) / len(y) < 0.7


def test_spiral_classes():
    X, y = make_spiral(150, seed=0, n_classes=3)
    assert Counter(y) == {0: 50, 1: 50, 2: 50}
    assert max(math.hypot(*p) for p in X) <= 1.0 + 1e-12
    with pytest.raises(ValueError, match="n_classes"):
        make_spiral(10, n_classes=1)


def test_blobs_near_their_centres():
    centres = [(-3.0, 0.0), (3.0, 0.0)]
    X, y = make_blobs(400, noise=0.5, seed=0, centers=centres)
    for k, (cx, cy) in enumerate(centres):
        members = [p for p, t in zip(X, y) if t == k]
        mean_x = sum(p[0] for p in members) / len(members)
        mean_y = sum(p[1] for p in members) / len(members)
        assert (mean_x, mean_y) == pytest.approx((cx, cy), abs=0.15)
    assert Counter(make_blobs(90, centers=3, seed=0)[1]) == {0: 30, 1: 30, 2: 30}


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: make_moons(0), "n_samples must be at least 1, got 0"),
        (lambda: make_moons(2.5), "n_samples must be a whole number, got 2.5"),
        (lambda: make_spiral(10, n_classes=2.0), "n_classes must be a whole number, got 2.0"),
        (lambda: make_xor(10, noise=-1), "noise must be zero or positive, got -1"),
        (lambda: make_circles(10, factor=1.5), "factor must be between 0 and 1"),
        (lambda: make_blobs(10, centers=0), "centers must be a positive count"),
        (lambda: make_blobs(10, centers=[(1, 2, 3)]), "centers must be a non-empty list"),
    ],
)
def test_bad_arguments(call, message):
    with pytest.raises(ValueError, match=message.replace("(", r"\(")):
        call()


def test_train_test_split_partitions_and_is_seeded():
    X, y = make_moons(100, seed=0)
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.2, seed=0)
    assert (len(X_train), len(X_test), len(y_train), len(y_test)) == (80, 20, 80, 20)
    pairs = sorted(zip(map(tuple, X_train + X_test), y_train + y_test))
    assert pairs == sorted(zip(map(tuple, X), y))
    assert train_test_split(X, y, test_size=0.2, seed=0) == (X_train, X_test, y_train, y_test)
    assert train_test_split(X, y, test_size=10, shuffle=False)[1] == X[90:]


@pytest.mark.parametrize("bad", [0, 0.0, 1.0, 100, -3, True])
def test_train_test_split_rejects_bad_sizes(bad):
    with pytest.raises(ValueError, match="test_size"):
        train_test_split([[0.0, 0.0]] * 100, [0] * 100, test_size=bad)


def test_train_test_split_rejects_mismatched_lengths():
    with pytest.raises(ValueError, match="3 samples but 2 labels"):
        train_test_split([[0.0]] * 3, [0, 1])
