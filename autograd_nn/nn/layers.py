"""The layers: neurons, fully connected layers, MLPs, dropout, batch norm, containers.

A neuron computes ``act(w1*x1 + ... + wn*xn + b)``, recorded as one n-ary
``sum`` node followed by the activation's op node, so `backward` trains it
through the op table like any other expression. A `Layer` is a list of
neurons fed the same inputs, an `MLP` a list of layers, each fed the
previous one's outputs. What an activation computes, which PyTorch module
equals it and which initialiser it starts from are read from its record in
`activations.py`; nothing here names an activation but the defaults.

Sample-wise modules (`Neuron`, `Layer`, `MLP`, `Dropout`) treat a batch one
sample at a time; `BatchNorm1d` needs the whole batch, so it overrides
`forward_batch`. `Sequential` passes a batch through its modules in turn, so
a `BatchNorm1d` between two `Layer` s sees the whole batch.
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterable, Sequence
from typing import Any

from .. import checks
from ..engine import Value, is_recording, mean_values, pairwise, sum_nodes, sum_values
from ..ops import OPS
from . import init as initialisers
from .activations import activation_named
from .init import Initialiser
from .module import Module, Seed, State, check_length, members, rng_from
from .state import join

__all__ = ["MLP", "BatchNorm1d", "Dropout", "Ensemble", "Layer", "Neuron", "Sequential"]

_TIMES = OPS["*"]
_MUL = _TIMES.forward
_SUM = OPS["sum"].forward


class Neuron(Module):
    """``act(w1*x1 + ... + wn*xn + b)``: one n-ary sum node, then the activation.

    Weights are drawn by `init` (a name from `autograd_nn.init` or a function
    ``(fan_in, fan_out, rng) -> float``; by default the activation's own
    `default_init`: He for relu/leaky_relu, Glorot otherwise); the bias starts
    at 0. `seed` is an int for a reproducible draw, a `random.Random` to draw
    from, or None for fresh randomness. `fan_out` is the size of the layer the
    neuron belongs to.
    """

    weights: list[Value]
    bias: Value | None

    def __init__(
        self,
        n_inputs: int,
        activation: str = "relu",
        init: str | Initialiser | None = None,
        bias: bool = True,
        seed: Seed = None,
        *,
        fan_out: int = 1,
    ) -> None:
        super().__init__()
        self.n_inputs = checks.whole("n_inputs", n_inputs)
        self._activation_record = activation_named(activation)
        self.activation = self._activation_record.name
        fan_out = checks.whole("fan_out", fan_out)
        draw = initialisers.get(self._activation_record.default_init if init is None else init)
        rng = rng_from(seed)
        self.weights = [
            Value(_draw(draw, n_inputs, fan_out, rng), label=f"w{i + 1}")
            for i in range(n_inputs)
        ]
        self.bias = Value(0.0, label="b") if checks.flag("bias", bias) else None

    def _relabel(self, prefix: str) -> None:
        for i, w in enumerate(self.weights):
            w.label = f"{prefix}w{i + 1}"
        if self.bias is not None:
            self.bias.label = f"{prefix}b"

    def output(self, sample: Sequence[Value]) -> Value:
        """The neuron's output for a sample of Values."""
        check_length(sample, self.n_inputs, self)
        if not is_recording():
            return Value(self.evaluate([x.data for x in sample]), requires_grad=False)
        return self._record(sample)

    def _record(self, sample: Sequence[Value]) -> Value:
        """The recorded graph of the output, for a sample already checked."""
        terms = pairwise(_TIMES, self.weights, sample)
        if self.bias is not None:
            terms.append(self.bias)
        return self._activation_record.apply(sum_nodes(terms))

    def evaluate(self, xs: Sequence[float]) -> float:
        """The output for plain floats, with no graph: what `no_grad` evaluation runs.

        The same op-table forward functions in the same order as the recorded
        graph, so the result is bit-for-bit the same, without a node per step.
        """
        terms = list(map(_MUL, [w.data for w in self.weights], xs))
        if self.bias is not None:
            terms.append(self.bias.data)
        return self._activation_record.evaluate(_SUM(*terms))

    def forward(self, sample: list[Value]) -> list[Value]:
        """The neuron's output as a one-entry list."""
        return [self.output(sample)]

    def neuron_layers(self) -> list[list[Neuron]]:
        """One layer: this neuron."""
        return [[self]]

    def _own_parameters(self) -> list[Value]:
        return self.weights if self.bias is None else [*self.weights, self.bias]

    def _own_state(self) -> State:
        state: State = {"weights": [w.data for w in self.weights]}
        if self.bias is not None:
            state["bias"] = self.bias.data
        return state

    def _load_own_state(self, state: State) -> None:
        for w, x in zip(self.weights, state["weights"]):
            w.data = float(x)
        if self.bias is not None:
            self.bias.data = float(state["bias"])

    def __repr__(self) -> str:
        extra = "" if self.bias is not None else ", bias=False"
        return f"Neuron({self.n_inputs}, activation={self.activation!r}{extra})"


def _draw(draw: Initialiser, fan_in: int, fan_out: int, rng: random.Random) -> float:
    """One weight from `draw`, checked to be a finite number."""
    x = draw(fan_in, fan_out, rng)
    try:
        return checks.real("weight", x)
    except (TypeError, ValueError):
        name = getattr(draw, "__name__", repr(draw))
        raise ValueError(
            f"initialiser {name} returned {checks.describe(x)}, not a finite number"
        ) from None


class Layer(Module):
    """`n_outputs` neurons, each fed the same `n_inputs` inputs."""

    _children_key = "neurons"
    neurons: list[Neuron]

    def __init__(
        self,
        n_inputs: int,
        n_outputs: int,
        activation: str = "relu",
        init: str | Initialiser | None = None,
        bias: bool = True,
        seed: Seed = None,
    ) -> None:
        super().__init__()
        self.n_inputs = checks.whole("n_inputs", n_inputs)
        self.n_outputs = checks.whole("n_outputs", n_outputs)
        self._activation_record = activation_named(activation)
        self.activation = self._activation_record.name
        self.has_bias = checks.flag("bias", bias)
        rng = rng_from(seed)
        self.neurons = [
            Neuron(n_inputs, activation, init, bias, rng, fan_out=n_outputs)
            for _ in range(n_outputs)
        ]
        self._relabel("")

    def _relabel(self, prefix: str) -> None:
        for j, neuron in enumerate(self.neurons):
            neuron._relabel(f"{prefix}n{j + 1}.")

    def children(self) -> list[Module]:
        return list(self.neurons)

    def neuron_layers(self) -> list[list[Neuron]]:
        """One layer: its neurons."""
        return [list(self.neurons)]

    def forward(self, sample: list[Value]) -> list[Value]:
        """Each neuron's output for the sample."""
        check_length(sample, self.n_inputs, self)
        if not is_recording():
            return [Value(y, requires_grad=False) for y in self.evaluate([x.data for x in sample])]
        return [neuron._record(sample) for neuron in self.neurons]

    def evaluate(self, xs: Sequence[float]) -> list[float]:
        """Each neuron's output for plain floats, with no graph (see `Neuron.evaluate`)."""
        return [neuron.evaluate(xs) for neuron in self.neurons]

    def to_torch(self) -> Any:
        """An equal `torch.nn.Sequential` (Linear, then the activation) in float64."""
        torch = _import_torch()
        return torch.nn.Sequential(*self._torch_modules(torch))

    def _torch_modules(self, torch: Any) -> list[Any]:
        activation = self._activation_record.torch_modules(torch)
        linear = torch.nn.Linear(
            self.n_inputs, self.n_outputs, bias=self.has_bias, dtype=torch.float64
        )
        with torch.no_grad():
            linear.weight.copy_(torch.tensor(
                [[w.data for w in n.weights] for n in self.neurons], dtype=torch.float64
            ))
            if self.has_bias:
                linear.bias.copy_(torch.tensor(
                    [n.bias.data for n in self.neurons if n.bias is not None],
                    dtype=torch.float64,
                ))
        return [linear, *activation]

    def __repr__(self) -> str:
        extra = "" if self.has_bias else ", bias=False"
        return f"Layer({self.n_inputs}, {self.n_outputs}, activation={self.activation!r}{extra})"


def _import_torch() -> Any:
    try:
        import torch
    except ImportError:
        raise ImportError("to_torch needs PyTorch: pip install torch") from None
    return torch


class MLP(Module):
    """A multi-layer perceptron: fully connected layers, each fed the previous outputs.

    ``MLP(2, [16, 16, 1])`` has two hidden layers of 16 neurons with
    `activation` and an output layer of 1 neuron with `output_activation`.
    """

    _children_key = "layers"
    layers: list[Layer]

    def __init__(
        self,
        n_inputs: int,
        sizes: Sequence[int],
        activation: str = "relu",
        output_activation: str = "linear",
        init: str | Initialiser | None = None,
        seed: Seed = None,
    ) -> None:
        super().__init__()
        self.n_inputs = checks.whole("n_inputs", n_inputs)
        if isinstance(sizes, (str, bytes)) or not isinstance(sizes, Sequence) or not sizes:
            raise ValueError(f"sizes must be a non-empty list of layer sizes, got {sizes!r}")
        self.sizes = [checks.whole("each layer size", size) for size in sizes]
        self.activation = activation_named(activation).name
        self.output_activation = activation_named(output_activation).name
        rng = rng_from(seed)
        fans = [n_inputs, *self.sizes]
        last = len(self.sizes) - 1
        self.layers = [
            Layer(fans[i], fans[i + 1], activation if i < last else output_activation, init,
                  True, rng)
            for i in range(len(self.sizes))
        ]
        for i, layer in enumerate(self.layers):
            layer._relabel(f"L{i + 1}.")

    def children(self) -> list[Module]:
        return list(self.layers)

    def forward(self, sample: list[Value]) -> list[Value]:
        """The last layer's outputs for the sample."""
        check_length(sample, self.n_inputs, self)
        if not is_recording():
            return [Value(y, requires_grad=False) for y in self.evaluate([x.data for x in sample])]
        for layer in self.layers:
            sample = layer.forward(sample)
        return sample

    def evaluate(self, xs: Sequence[float]) -> list[float]:
        """The outputs for plain floats, layer by layer, with no graph.

        What `no_grad` evaluation (plotting a decision boundary) runs: no node
        is made between the input and the output.
        """
        values = list(xs)
        for layer in self.layers:
            values = layer.evaluate(values)
        return values

    def to_torch(self) -> Any:
        """An equal `torch.nn.Sequential` of Linear and activation modules, in float64.

        Needs PyTorch (imported here only); handy to check gradients against it.
        """
        torch = _import_torch()
        modules = [m for layer in self.layers for m in layer._torch_modules(torch)]
        return torch.nn.Sequential(*modules)

    def __repr__(self) -> str:
        extra = (
            "" if self.output_activation == "linear"
            else f", output_activation={self.output_activation!r}"
        )
        return f"MLP({self.n_inputs}, {self.sizes}, activation={self.activation!r}{extra})"


class Dropout(Module):
    """Inverted dropout: in training, zero each input with probability `p` and
    scale the survivors by 1/(1-p), so the expected activation is unchanged;
    in evaluation, pass inputs through untouched.

    Each output is the input times its mask, 0 or 1/(1-p), so a dropped input
    gets gradient 0. `seed` makes the masks reproducible.
    """

    def __init__(self, p: float = 0.5, seed: Seed = None) -> None:
        super().__init__()
        self.p = checks.in_range("dropout probability p", p, 0.0, 1.0, include_high=False)
        self._rng = rng_from(seed)

    def forward(self, sample: list[Value]) -> list[Value]:
        """The sample with inputs dropped and survivors scaled (in training)."""
        if not self.training or self.p == 0.0:
            return list(sample)
        keep = 1.0 / (1.0 - self.p)
        return [x * (0.0 if self._rng.random() < self.p else keep) for x in sample]

    def __repr__(self) -> str:
        return f"Dropout(p={self.p!r})"


class BatchNorm1d(Module):
    """Batch normalisation of each feature over a batch (Ioffe and Szegedy, 2015).

    In training, each feature is normalised with the batch's mean and biased
    variance, ``(x - mean) / sqrt(var + eps)``, then scaled by `weight` (gamma,
    starting at 1) and shifted by `bias` (beta, starting at 0); the running
    statistics move towards the batch's with `momentum`, using the unbiased
    variance (momentum None: a plain average of all batches). In evaluation
    the running statistics are used instead. This is PyTorch's BatchNorm1d.
    """

    weight: list[Value] | None
    bias: list[Value] | None

    def __init__(
        self,
        num_features: int,
        eps: float = 1e-5,
        momentum: float | None = 0.1,
        affine: bool = True,
    ) -> None:
        super().__init__()
        self.num_features = checks.whole("num_features", num_features)
        self.eps = checks.non_negative("eps", eps)
        self.momentum = None if momentum is None else checks.in_range("momentum", momentum, 0, 1)
        self.affine = checks.flag("affine", affine)
        features = range(1, num_features + 1)
        self.weight = [Value(1.0, label=f"gamma{c}") for c in features] if affine else None
        self.bias = [Value(0.0, label=f"beta{c}") for c in features] if affine else None
        self.running_mean = [0.0] * num_features
        self.running_var = [1.0] * num_features
        self.num_batches_tracked = 0

    def input_size(self) -> int:
        """Each sample has one input per feature."""
        return self.num_features

    def forward(self, sample: list[Value]) -> list[Value]:
        """One sample normalised as a batch of one (in training this raises, as
        one sample has no variance)."""
        return self.forward_batch([sample])[0]

    def forward_batch(self, batch: list[list[Value]]) -> list[list[Value]]:
        """The batch normalised feature by feature."""
        self._check_batch(batch)
        columns: list[list[Value]] = []
        batch_stats: list[tuple[float, float]] = []
        for c in range(self.num_features):
            column = [sample[c] for sample in batch]
            if self.training:
                normalised, stats = self._normalise_by_batch(column)
                batch_stats.append(stats)
            else:
                mean, std = self.running_mean[c], math.sqrt(self.running_var[c] + self.eps)
                normalised = [(x - mean) / std for x in column]
            if self.weight is not None and self.bias is not None:
                gamma, beta = self.weight[c], self.bias[c]
                normalised = [x * gamma + beta for x in normalised]
            columns.append(normalised)
        if self.training:
            self._update_running_stats(batch_stats, len(batch))
        return [list(row) for row in zip(*columns)]

    def _check_batch(self, batch: list[list[Value]]) -> None:
        n = len(batch)
        if n == 0:
            raise ValueError(f"{self!r} got an empty batch")
        for i, sample in enumerate(batch):
            if len(sample) != self.num_features:
                raise ValueError(f"{self!r} expects {self.num_features} features per sample, "
                                 f"got {len(sample)} in sample {i}")
        if self.training and n < 2:
            raise ValueError(
                f"{self!r} in training needs more than 1 sample per batch to compute a "
                f"variance, got {n} (call .eval() to use the running statistics)"
            )

    def _normalise_by_batch(self, column: list[Value]) -> tuple[list[Value], tuple[float, float]]:
        """One feature normalised with its batch mean and biased variance, and those two."""
        mean = mean_values(column)
        centred = [x - mean for x in column]
        variance = sum_values([d * d for d in centred]) / len(column)
        inverse_std = (variance + self.eps) ** -0.5
        return [d * inverse_std for d in centred], (mean.data, variance.data)

    def running_statistics(self) -> tuple[list[float], list[float], int]:
        """A copy of the running mean, variance and batch count (to put back later)."""
        return list(self.running_mean), list(self.running_var), self.num_batches_tracked

    def restore_running_statistics(self, saved: tuple[list[float], list[float], int]) -> None:
        """Put back what `running_statistics` returned (undoing a batch that failed)."""
        mean, var, self.num_batches_tracked = saved
        self.running_mean, self.running_var = list(mean), list(var)

    def _update_running_stats(self, batch_stats: list[tuple[float, float]], n: int) -> None:
        self.num_batches_tracked += 1
        factor = 1.0 / self.num_batches_tracked if self.momentum is None else self.momentum
        for c, (mean, variance) in enumerate(batch_stats):
            unbiased = variance * n / (n - 1)
            self.running_mean[c] = (1.0 - factor) * self.running_mean[c] + factor * mean
            self.running_var[c] = (1.0 - factor) * self.running_var[c] + factor * unbiased

    def _own_parameters(self) -> list[Value]:
        if self.weight is None or self.bias is None:
            return []
        return [*self.weight, *self.bias]

    def _own_state(self) -> State:
        state: State = {}
        if self.weight is not None and self.bias is not None:
            state["weight"] = [g.data for g in self.weight]
            state["bias"] = [b.data for b in self.bias]
        state["running_mean"] = list(self.running_mean)
        state["running_var"] = list(self.running_var)
        state["num_batches_tracked"] = self.num_batches_tracked
        return state

    def _check_own_state(self, state: State, where: str) -> None:
        for c, variance in enumerate(state["running_var"]):
            if variance < 0:
                place = f"{join(where, 'running_var')}[{c}]"
                raise ValueError(f"{place}: a variance cannot be negative, got {variance!r}")

    def _load_own_state(self, state: State) -> None:
        if self.weight is not None and self.bias is not None:
            for g, x in zip(self.weight, state["weight"]):
                g.data = float(x)
            for b, x in zip(self.bias, state["bias"]):
                b.data = float(x)
        self.running_mean = [float(x) for x in state["running_mean"]]
        self.running_var = [float(x) for x in state["running_var"]]
        self.num_batches_tracked = int(state["num_batches_tracked"])

    def __repr__(self) -> str:
        return (f"BatchNorm1d({self.num_features}, eps={self.eps!r}, "
                f"momentum={self.momentum!r}, affine={self.affine!r})")


class Sequential(Module):
    """Modules applied one after another; a batch passes through each in turn,
    so batch-level modules (BatchNorm1d) can sit between sample-level ones."""

    _children_key = "layers"
    _repr_brackets = ("Sequential(", ")")
    layers: list[Module]

    def __init__(self, *modules: Module) -> None:
        super().__init__()
        self.layers = members("Sequential", modules, "module")

    def children(self) -> list[Module]:
        return list(self.layers)

    def forward(self, sample: list[Value]) -> list[Value]:
        """The sample through each module in turn."""
        for module in self.layers:
            sample = module.forward(sample)
        return sample

    def forward_batch(self, batch: list[list[Value]]) -> list[list[Value]]:
        """The batch through each module in turn."""
        for module in self.layers:
            batch = module.forward_batch(batch)
        return batch

    def __getitem__(self, index: int) -> Module:
        return self.layers[index]

    def __len__(self) -> int:
        return len(self.layers)



class Ensemble(Module):
    """The average of several models' outputs.

    Models trained separately make different mistakes; averaging them is
    (as the lectures put it) an almost guaranteed improvement.
    """

    _children_key = "models"
    _repr_brackets = ("Ensemble([", "])")
    models: list[Module]

    def __init__(self, models: Iterable[Module]) -> None:
        super().__init__()
        self.models = members("Ensemble", models, "model")

    def children(self) -> list[Module]:
        return list(self.models)

    def _average(self, outputs: list[list[Value]]) -> list[Value]:
        sizes = {len(out) for out in outputs}
        if len(sizes) != 1:
            raise ValueError(f"Ensemble: the models give different numbers of outputs "
                             f"{[len(out) for out in outputs]}")
        return [mean_values(column) for column in zip(*outputs)]

    def forward(self, sample: list[Value]) -> list[Value]:
        """The members' outputs for the sample, averaged output by output."""
        return self._average([model.forward(sample) for model in self.models])

    def forward_batch(self, batch: list[list[Value]]) -> list[list[Value]]:
        """The members' outputs for each sample, averaged."""
        per_model = [model.forward_batch(batch) for model in self.models]
        return [self._average([outs[i] for outs in per_model]) for i in range(len(batch))]

