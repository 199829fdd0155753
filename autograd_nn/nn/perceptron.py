"""Rosenblatt's perceptron: a step unit with its own learning rule, not backprop.

It is a `Module` (it saves, loads and can be an `Ensemble` member) but passes
no gradient: its output is a constant Value.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

from .. import checks
from ..engine import Value
from .module import Batch, Module, Sample, Seed, State, as_values, check_length, rng_from

__all__ = ["Perceptron"]


class Perceptron(Module):
    """Rosenblatt's perceptron (1957): output 1 if w·x + b > 0, else 0.

    It learns with its own rule, not backprop (a step has no useful gradient):
    after each sample, ``w += lr*(y - y_hat)*x`` and ``b += lr*(y - y_hat)``.
    It converges on linearly separable data and never on XOR. Weights start
    at 0; `seed` fixes the order in which `fit` presents the samples.
    """

    weights: list[float]
    bias: float

    def __init__(self, n_inputs: int, lr: float = 1.0, seed: Seed = None) -> None:
        super().__init__()
        self.n_inputs = checks.whole("n_inputs", n_inputs)
        self.lr = checks.positive("lr", lr)
        self.weights = [0.0] * n_inputs
        self.bias = 0.0
        self._rng = rng_from(seed)

    def _features(self, x: object) -> list[float]:
        features = [v.data for v in as_values(x, self)]
        check_length(features, self.n_inputs, self)
        return features

    def _predict(self, x: list[float]) -> int:
        activation = math.fsum([w * xi for w, xi in zip(self.weights, x)]) + self.bias
        return 1 if activation > 0.0 else 0

    def predict(self, x: Sample) -> int:
        """1 if w·x + b > 0, else 0."""
        return self._predict(self._features(x))

    def forward(self, sample: list[Value]) -> list[Value]:
        """The prediction as a constant Value (the step passes no gradient)."""
        check_length(sample, self.n_inputs, self)
        return [Value(self._predict([v.data for v in sample]), requires_grad=False)]

    def fit(self, X: Batch, y: Iterable[int], epochs: int = 100, shuffle: bool = True) -> list[int]:
        """Apply the perceptron rule sample by sample for up to `epochs` passes.

        Returns the number of misclassified samples in each epoch; training
        stops after the first epoch without mistakes, so a last entry of 0
        means it converged.
        """
        rows = [self._features(x) for x in X]
        labels = _labels(y, len(rows))
        epochs = checks.whole("epochs", epochs)
        shuffle = checks.flag("shuffle", shuffle)
        order = list(range(len(rows)))
        errors_per_epoch: list[int] = []
        for _ in range(epochs):
            if shuffle:
                self._rng.shuffle(order)
            errors_per_epoch.append(self._epoch([rows[i] for i in order],
                                                [labels[i] for i in order]))
            if errors_per_epoch[-1] == 0:
                break
        return errors_per_epoch

    def _epoch(self, rows: list[list[float]], labels: list[int]) -> int:
        """One pass of the perceptron rule over the samples in order; the mistakes made."""
        errors = 0
        for row, label in zip(rows, labels):
            error = label - self._predict(row)
            if error:
                errors += 1
                step = self.lr * error
                self.weights = [w + step * xi for w, xi in zip(self.weights, row)]
                self.bias += step
        return errors

    def _own_state(self) -> State:
        return {"weights": [float(w) for w in self.weights], "bias": float(self.bias)}

    def _load_own_state(self, state: State) -> None:
        self.weights = [float(w) for w in state["weights"]]
        self.bias = float(state["bias"])

    def __repr__(self) -> str:
        return f"Perceptron({self.n_inputs}, lr={self.lr!r})"


def _labels(y: Iterable[int], n_samples: int) -> list[int]:
    """The labels, one per sample, each 0 or 1."""
    labels = list(y)
    if len(labels) != n_samples:
        raise ValueError(f"X has {n_samples} samples but y has {len(labels)} labels")
    for i, label in enumerate(labels):
        if isinstance(label, bool) or label not in (0, 1):
            raise ValueError(f"label {i} is {checks.describe(label)}; a perceptron needs 0 or 1")
    return labels
