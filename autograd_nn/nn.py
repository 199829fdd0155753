"""Neural networks built from `Value` nodes: neurons, layers, MLPs and friends.

A neuron computes ``act(w1*x1 + ... + wn*xn + b)``, recorded as one n-ary
``sum`` node followed by the activation, so `backward` trains it through the
op table like any other expression. A `Layer` is a list of neurons fed the
same inputs, an `MLP` a list of layers, each fed the previous one's outputs:

    >>> model = MLP(2, [16, 16, 1], activation="relu", seed=0)
    >>> out = model([0.5, -1.0])        # one Value: the network's output
    >>> out.backward()                  # d out / d every weight, in .grad
    >>> len(model.parameters())
    337

How modules compose. Every module transforms a *sample* (a list of numbers or
Values) with ``forward(sample) -> list[Value]`` and a *batch* (a list of
samples) with ``forward_batch(batch)``. Sample-wise modules (`Neuron`,
`Layer`, `MLP`, `Dropout`) treat a batch one sample at a time; `BatchNorm1d`
needs the whole batch, so it overrides `forward_batch`. `Sequential` passes a
batch through its modules in turn, so a `BatchNorm1d` between two `Layer` s
sees the whole batch. Calling any module, ``module(x)``, accepts a sample or a
batch and returns, for each sample, a list of Values, or the single Value
when there is one output.

`Module` also holds what every piece shares: `parameters`, `zero_grad`, the
`train`/`eval` switch, and a JSON state that `save` writes and `load` reads
back bit for bit (never pickle).
"""

from __future__ import annotations

import json
import math
import numbers
import os
import random
from collections.abc import Callable, Iterable, Sequence
from typing import Any, ClassVar, TypeVar, cast, overload

from . import init as initialisers
from .engine import Value, is_recording, sum_values
from .files import write_atomically
from .init import Initialiser
from .ops import LEAKY_RELU_SLOPE, OPS

__all__ = [
    "ACTIVATIONS",
    "FLOAT_ACTIVATIONS",
    "LEAKY_RELU_SLOPE",
    "MLP",
    "BatchNorm1d",
    "Dropout",
    "Ensemble",
    "Layer",
    "Module",
    "Neuron",
    "Perceptron",
    "Sequential",
    "softmax",
]

Scalar = Value | float
Sample = Iterable[Scalar]
Batch = Iterable[Iterable[Scalar]]
Output = Value | list[Value]
State = dict[str, Any]
Seed = int | random.Random | None
M = TypeVar("M", bound="Module")

ACTIVATIONS: dict[str, Callable[[Value], Value]] = {
    "linear": lambda v: v,
    "relu": Value.relu,
    "leaky_relu": lambda v: v.leaky_relu(LEAKY_RELU_SLOPE),
    "tanh": Value.tanh,
    "sigmoid": Value.sigmoid,
}
"""Activation functions by name; each applies the op table's Value method."""

FLOAT_ACTIVATIONS: dict[str, Callable[[float], float]] = {
    "linear": lambda a: a,
    "relu": OPS["relu"].forward,
    "leaky_relu": lambda a: OPS["leaky_relu"].forward(a, LEAKY_RELU_SLOPE),
    "tanh": OPS["tanh"].forward,
    "sigmoid": OPS["sigmoid"].forward,
}
"""The same activations on plain floats (the op table's forward functions), for `no_grad`."""

_MUL = OPS["*"].forward
_SUM = OPS["sum"].forward

FILE_FORMAT = "autograd_nn model"
FILE_VERSION = 1


# Checking arguments and inputs ---------------------------------------------


def _describe(x: object) -> str:
    """A short description of `x` for error messages, in JSON's words."""
    if x is None:
        return "null"
    if isinstance(x, bool):
        return f"the boolean {x!r}"
    if isinstance(x, str):
        return f"the string {x[:40]!r}"
    if isinstance(x, dict):
        return "an object"
    if isinstance(x, list):
        return f"a list of {len(x)} entries"
    if isinstance(x, numbers.Real):
        return repr(x)
    return f"a {type(x).__name__}"


def _count(name: str, n: object) -> int:
    if isinstance(n, bool) or not isinstance(n, int):
        raise TypeError(f"{name} must be a whole number, got {_describe(n)}")
    if n < 1:
        raise ValueError(f"{name} must be at least 1, got {n}")
    return n


def _flag(name: str, x: object) -> bool:
    if not isinstance(x, bool):
        raise TypeError(f"{name} must be True or False, got {_describe(x)}")
    return x


def _real(name: str, x: object) -> float:
    if isinstance(x, bool) or not isinstance(x, numbers.Real):
        raise TypeError(f"{name} must be a number, got {_describe(x)}")
    value = float(x)
    if not math.isfinite(value):
        raise ValueError(f"{name} must be finite, got {value!r}")
    return value


def _activation(name: object) -> str:
    if not isinstance(name, str) or name not in ACTIVATIONS:
        raise ValueError(f"unknown activation {name!r}; known: {', '.join(ACTIVATIONS)}")
    return name


def _rng(seed: Seed) -> random.Random:
    """A private random generator: seeded, shared (a Random given), or fresh."""
    if seed is None:
        return random.Random()
    if isinstance(seed, random.Random):
        return seed
    if isinstance(seed, int) and not isinstance(seed, bool):
        return random.Random(seed)
    raise TypeError(f"seed must be an int, a random.Random or None, got {_describe(seed)}")


def _is_row(x: object) -> bool:
    """Whether `x` is a list-like of entries (a sample), not a single number or Value."""
    return isinstance(x, Iterable) and not isinstance(x, (str, bytes, Value, dict))


def _who(who: object) -> str:
    return who if isinstance(who, str) else repr(who)


def _as_values(sample: object, who: object) -> list[Value]:
    """The sample's entries as Values; numbers become leaves labelled x1, x2, ..."""
    if not isinstance(sample, Iterable) or isinstance(sample, (str, bytes, Value, dict)):
        raise TypeError(f"{_who(who)} expects a sample (a list of numbers or Values), "
                        f"got {_describe(sample)}")
    values: list[Value] = []
    for i, x in enumerate(sample):
        if isinstance(x, Value):
            values.append(x)
        elif isinstance(x, numbers.Real) and not isinstance(x, bool):
            values.append(Value(float(x), label=f"x{i + 1}"))
        else:
            raise TypeError(f"{_who(who)}: input {i} of the sample is {_describe(x)}; "
                            "expected a number or a Value")
    return values


def _check_length(sample: Sequence[object], expected: int, who: object) -> None:
    if len(sample) != expected:
        raise ValueError(f"{_who(who)} expects {expected} inputs, got {len(sample)}")


def _unwrap(outputs: list[Value]) -> Output:
    return outputs[0] if len(outputs) == 1 else outputs


def _mean(values: Sequence[Value]) -> Value:
    return sum_values(values) / len(values)


# The state: checking a JSON-like structure against a model's own --------------


def _join(where: str, key: str) -> str:
    return f"{where}.{key}" if where else key


def _check_like(given: object, template: object, where: str = "") -> None:
    """Raise ValueError at the first place `given` differs from `template`.

    Same keys, same list lengths; where the template holds a float, a finite
    number; where it holds an int (a counter), a whole number >= 0.
    """
    stack: list[tuple[object, object, str]] = [(given, template, where)]
    while stack:
        got, expected, at = stack.pop()
        place = at or "the state"
        if isinstance(expected, dict):
            if not isinstance(got, dict):
                raise ValueError(
                    f"{place}: expected an object with keys {sorted(expected)}, "
                    f"got {_describe(got)}"
                )
            missing = [key for key in expected if key not in got]
            if missing:
                raise ValueError(f"{place}: missing key(s) {missing}")
            unexpected = [key for key in got if key not in expected]
            if unexpected:
                raise ValueError(
                    f"{place}: unexpected key(s) {unexpected}; expected {sorted(expected)}"
                )
            stack.extend((got[k], expected[k], _join(at, k)) for k in reversed(list(expected)))
        elif isinstance(expected, list):
            if not isinstance(got, list):
                raise ValueError(
                    f"{place}: expected a list of {len(expected)} entries, got {_describe(got)}"
                )
            if len(got) != len(expected):
                raise ValueError(
                    f"{place}: expected a list of {len(expected)} entries, got {len(got)}"
                )
            stack.extend((got[i], expected[i], f"{at}[{i}]") for i in reversed(range(len(got))))
        elif isinstance(expected, int) and not isinstance(expected, bool):
            if isinstance(got, bool) or not isinstance(got, int) or got < 0:
                raise ValueError(f"{place}: expected a whole number >= 0, got {_describe(got)}")
        else:
            if isinstance(got, bool) or not isinstance(got, (int, float)):
                raise ValueError(f"{place}: expected a number, got {_describe(got)}")
            try:
                finite = math.isfinite(got)
            except OverflowError:
                finite = False
            if not finite:
                raise ValueError(f"{place}: expected a finite number, got {got!r}")


def _reject_constant(name: str) -> object:
    raise ValueError(f"{name} is not a finite number")


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise ValueError(f"duplicate key {key!r}")
        result[key] = value
    return result


# Modules ----------------------------------------------------------------------


class Module:
    """What every network piece shares: parameters, train/eval, state, files.

    A subclass with sub-modules lists them in `children` and names the key
    under which their states sit (`_children_key`); a subclass with its own
    numbers implements `_own_parameters`, `_own_state` and `_load_own_state`.
    """

    _children_key: ClassVar[str] = ""
    training: bool

    def __init__(self) -> None:
        self.training = True

    # Structure

    def children(self) -> list[Module]:
        """The sub-modules this module is made of, in order."""
        return []

    def input_size(self) -> int | None:
        """How many inputs a sample must have, or None if this module takes any number.

        A container takes what its first member takes.
        """
        fixed = getattr(self, "n_inputs", None)
        if isinstance(fixed, int):
            return fixed
        children = self.children()
        return children[0].input_size() if children else None

    def neuron_layers(self) -> list[list[Neuron]]:
        """The neurons of each layer, in order, for drawings and plots.

        A `Neuron` is one layer of itself; a `Layer` one layer of its neurons;
        a container, the layers of its members in turn.
        """
        if isinstance(self, Neuron):
            return [[self]]
        if isinstance(self, Layer):
            return [list(self.neurons)]
        return [layer for child in self.children() for layer in child.neuron_layers()]

    def modules(self) -> list[Module]:
        """This module and every sub-module, parents before children, each once."""
        order: list[Module] = []
        seen: set[int] = set()
        stack: list[Module] = [self]
        while stack:
            module = stack.pop()
            if id(module) in seen:
                continue
            seen.add(id(module))
            order.append(module)
            stack.extend(reversed(module.children()))
        return order

    def _own_parameters(self) -> list[Value]:
        return []

    def parameters(self) -> list[Value]:
        """Every trainable Value: layer by layer, neuron by neuron, weights then bias."""
        params: list[Value] = []
        seen: set[int] = set()
        for module in self.modules():
            for p in module._own_parameters():
                if id(p) not in seen:
                    seen.add(id(p))
                    params.append(p)
        return params

    def zero_grad(self) -> None:
        """Reset every parameter's gradient to 0 (leaves accumulate across passes)."""
        for p in self.parameters():
            p.grad = 0.0

    def train(self: M, mode: bool = True) -> M:
        """Switch this module and all sub-modules to training (or evaluation) mode."""
        mode = _flag("mode", mode)
        for module in self.modules():
            module.training = mode
        return self

    def eval(self: M) -> M:
        """Switch to evaluation mode: Dropout passes inputs through, BatchNorm uses
        its running statistics."""
        return self.train(False)

    # Computing

    def forward(self, sample: list[Value]) -> list[Value]:
        """The outputs for one sample, always as a list."""
        raise TypeError(f"{type(self).__name__} does not transform a sample")

    def forward_batch(self, batch: list[list[Value]]) -> list[list[Value]]:
        """The outputs for each sample of a batch (sample by sample by default)."""
        return [self.forward(sample) for sample in batch]

    @overload
    def __call__(self, x: Sample) -> Output: ...

    @overload
    def __call__(self, x: Batch) -> list[Output]: ...

    def __call__(self, x: Sample | Batch) -> Output | list[Output]:
        """Run a sample (a list of numbers or Values) or a batch (a list of samples).

        A sample gives a list of Values, or the single Value when there is one
        output; a batch gives one such result per sample.
        """
        if not _is_row(x):
            raise TypeError(f"{self!r} expects a sample (a list of numbers or Values) "
                            f"or a batch (a list of samples), got {_describe(x)}")
        items = list(x)
        if items and _is_row(items[0]):
            batch = [_as_values(row, self) for row in items]
            return [_unwrap(out) for out in self.forward_batch(batch)]
        return _unwrap(self.forward(_as_values(items, self)))

    # State and files

    def _own_state(self) -> State:
        return {}

    def _check_own_state(self, state: State, where: str) -> None:
        """Checks beyond shape and finiteness (e.g. a variance is not negative)."""

    def _load_own_state(self, state: State) -> None:
        """Assign this module's own numbers from an already checked state."""

    def state_dict(self) -> State:
        """All numbers that define the model (parameters and buffers) as JSON-able data.

        Nested like the model: e.g. ``state["layers"][0]["neurons"][3]["weights"]``.
        """
        root = self._own_state()
        stack: list[tuple[Module, State]] = [(self, root)]
        while stack:
            module, state = stack.pop()
            children = module.children()
            if children:
                child_states = [child._own_state() for child in children]
                state[module._children_key] = child_states
                stack.extend(zip(children, child_states))
        return root

    def _parts(self, state: State) -> list[tuple[Module, State, str]]:
        """Each module of the tree with its part of a (shape-checked) state and its place."""
        parts: list[tuple[Module, State, str]] = []
        stack: list[tuple[Module, State, str]] = [(self, state, "")]
        while stack:
            module, part, where = stack.pop()
            parts.append((module, part, where))
            key = module._children_key
            for i, child in reversed(list(enumerate(module.children()))):
                stack.append((child, part[key][i], f"{_join(where, key)}[{i}]"))
        return parts

    def load_state_dict(self, state: object) -> None:
        """Set the model's numbers from `state` (as made by `state_dict`).

        Everything is checked before anything is assigned: a state of the wrong
        shape, with missing or unknown keys, or holding anything but finite
        numbers raises `ValueError` saying where, and leaves the model as it was.
        """
        _check_like(state, self.state_dict())
        parts = self._parts(cast(State, state))
        for module, part, where in parts:
            module._check_own_state(part, where)
        for module, part, _ in parts:
            module._load_own_state(part)

    def save(self, path: str | os.PathLike[str]) -> None:
        """Write the model's state to a JSON file, atomically, floats exactly."""
        state = self.state_dict()
        try:
            _check_like(state, state)
        except ValueError as error:
            raise ValueError(f"cannot save {self!r}: {error}") from None
        document = {
            "format": FILE_FORMAT,
            "version": FILE_VERSION,
            "module": repr(self),
            "state": state,
        }
        write_atomically(path, json.dumps(document, indent=1, allow_nan=False) + "\n")

    def load(self, path: str | os.PathLike[str]) -> None:
        """Read a file written by `save` into this model (which must be built the same way).

        A file that is not such a model file, or was saved from a different
        architecture, raises `ValueError` and the model is left unchanged.
        """
        where = os.fspath(path)
        with open(where, "rb") as file:
            raw = file.read()
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as error:
            raise ValueError(f"{where}: not a UTF-8 text file (byte {error.start})") from None
        try:
            document = json.loads(
                text, parse_constant=_reject_constant, object_pairs_hook=_unique_keys
            )
        except json.JSONDecodeError as error:
            raise ValueError(
                f"{where}: not valid JSON: {error.msg} at line {error.lineno} "
                f"column {error.colno}"
            ) from None
        except (ValueError, RecursionError) as error:
            raise ValueError(f"{where}: not a model file: {error}") from None
        if not isinstance(document, dict) or document.get("format") != FILE_FORMAT:
            raise ValueError(f"{where}: not an autograd_nn model file "
                             f"(no \"format\": \"{FILE_FORMAT}\")")
        if document.get("version") != FILE_VERSION:
            raise ValueError(f"{where}: unsupported model file version "
                             f"{document.get('version')!r} (this version reads {FILE_VERSION})")
        unexpected = sorted(set(document) - {"format", "version", "module", "state"})
        if unexpected or "state" not in document:
            raise ValueError(f"{where}: a model file has the keys format, version, module "
                             f"and state; got {sorted(document)}")
        if document.get("module") != repr(self):
            raise ValueError(
                f"{where}: holds {document.get('module')!s}, but this model is {self!r}"
            )
        try:
            self.load_state_dict(document["state"])
        except ValueError as error:
            raise ValueError(f"{where}: {error}") from None

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


class Neuron(Module):
    """``act(w1*x1 + ... + wn*xn + b)``: one n-ary sum node, then the activation.

    Weights are drawn by `init` (a name from `autograd_nn.init` or a function
    ``(fan_in, fan_out, rng) -> float``; by default He for relu/leaky_relu,
    Glorot otherwise); the bias starts at 0. `seed` is an int for a
    reproducible draw, a `random.Random` to draw from, or None for fresh
    randomness. `fan_out` is the size of the layer the neuron belongs to.
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
        self.n_inputs = _count("n_inputs", n_inputs)
        self.activation = _activation(activation)
        fan_out = _count("fan_out", fan_out)
        draw = initialisers.for_activation(activation) if init is None else initialisers.get(init)
        rng = _rng(seed)
        self.weights = [
            Value(_draw(draw, n_inputs, fan_out, rng), label=f"w{i + 1}")
            for i in range(n_inputs)
        ]
        self.bias = Value(0.0, label="b") if _flag("bias", bias) else None
        self._activate = ACTIVATIONS[activation]

    def _relabel(self, prefix: str) -> None:
        for i, w in enumerate(self.weights):
            w.label = f"{prefix}w{i + 1}"
        if self.bias is not None:
            self.bias.label = f"{prefix}b"

    def output(self, sample: Sequence[Value]) -> Value:
        """The neuron's output for a sample of Values."""
        _check_length(sample, self.n_inputs, self)
        if not is_recording():
            return Value(self.evaluate([x.data for x in sample]))
        return self._record(sample)

    def _record(self, sample: Sequence[Value]) -> Value:
        """The recorded graph of the output, for a sample already checked."""
        terms = [w * x for w, x in zip(self.weights, sample)]
        if self.bias is not None:
            terms.append(self.bias)
        return self._activate(sum_values(terms))

    def evaluate(self, xs: Sequence[float]) -> float:
        """The output for plain floats, with no graph: what `no_grad` evaluation runs.

        The same op-table forward functions in the same order as the recorded
        graph, so the result is bit-for-bit the same, without a node per step.
        """
        terms = list(map(_MUL, [w.data for w in self.weights], xs))
        if self.bias is not None:
            terms.append(self.bias.data)
        return FLOAT_ACTIVATIONS[self.activation](_SUM(*terms))

    def forward(self, sample: list[Value]) -> list[Value]:
        """The neuron's output as a one-entry list."""
        return [self.output(sample)]

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
    if isinstance(x, bool) or not isinstance(x, numbers.Real) or not math.isfinite(x):
        name = getattr(draw, "__name__", repr(draw))
        raise ValueError(f"initialiser {name} returned {_describe(x)}, not a finite number")
    return float(x)


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
        self.n_inputs = _count("n_inputs", n_inputs)
        self.n_outputs = _count("n_outputs", n_outputs)
        self.activation = _activation(activation)
        self.has_bias = _flag("bias", bias)
        rng = _rng(seed)
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

    def forward(self, sample: list[Value]) -> list[Value]:
        """Each neuron's output for the sample."""
        _check_length(sample, self.n_inputs, self)
        if not is_recording():
            return [Value(y) for y in self.evaluate([x.data for x in sample])]
        return [neuron._record(sample) for neuron in self.neurons]

    def evaluate(self, xs: Sequence[float]) -> list[float]:
        """Each neuron's output for plain floats, with no graph (see `Neuron.evaluate`)."""
        return [neuron.evaluate(xs) for neuron in self.neurons]

    def to_torch(self) -> Any:
        """An equal `torch.nn.Sequential` (Linear, then the activation) in float64."""
        torch = _import_torch()
        return torch.nn.Sequential(*self._torch_modules(torch))

    def _torch_modules(self, torch: Any) -> list[Any]:
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
        modules = [linear]
        if self.activation == "relu":
            modules.append(torch.nn.ReLU())
        elif self.activation == "leaky_relu":
            modules.append(torch.nn.LeakyReLU(LEAKY_RELU_SLOPE))
        elif self.activation == "tanh":
            modules.append(torch.nn.Tanh())
        elif self.activation == "sigmoid":
            modules.append(torch.nn.Sigmoid())
        return modules

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
        self.n_inputs = _count("n_inputs", n_inputs)
        if isinstance(sizes, (str, bytes)) or not isinstance(sizes, Sequence) or not sizes:
            raise ValueError(f"sizes must be a non-empty list of layer sizes, got {sizes!r}")
        self.sizes = [_count("each layer size", size) for size in sizes]
        self.activation = _activation(activation)
        self.output_activation = _activation(output_activation)
        rng = _rng(seed)
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
        _check_length(sample, self.n_inputs, self)
        if not is_recording():
            return [Value(y) for y in self.evaluate([x.data for x in sample])]
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
        p = _real("p", p)
        if not 0.0 <= p < 1.0:
            raise ValueError(f"dropout probability p must be in [0, 1), got {p!r}")
        self.p = p
        self._rng = _rng(seed)

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
        self.num_features = _count("num_features", num_features)
        self.eps = _real("eps", eps)
        if self.eps < 0:
            raise ValueError(f"eps must not be negative, got {eps!r}")
        if momentum is not None:
            momentum = _real("momentum", momentum)
            if not 0.0 <= momentum <= 1.0:
                raise ValueError(f"momentum must be in [0, 1] or None, got {momentum!r}")
        self.momentum = momentum
        self.affine = _flag("affine", affine)
        features = range(1, num_features + 1)
        self.weight = [Value(1.0, label=f"gamma{c}") for c in features] if affine else None
        self.bias = [Value(0.0, label=f"beta{c}") for c in features] if affine else None
        self.running_mean = [0.0] * num_features
        self.running_var = [1.0] * num_features
        self.num_batches_tracked = 0

    def forward(self, sample: list[Value]) -> list[Value]:
        """One sample normalised as a batch of one (in training this raises, as
        one sample has no variance)."""
        return self.forward_batch([sample])[0]

    def forward_batch(self, batch: list[list[Value]]) -> list[list[Value]]:
        """The batch normalised feature by feature."""
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
        columns: list[list[Value]] = []
        batch_stats: list[tuple[float, float]] = []
        for c in range(self.num_features):
            column = [sample[c] for sample in batch]
            if self.training:
                mean = _mean(column)
                centred = [x - mean for x in column]
                variance = sum_values([d * d for d in centred]) / n
                inverse_std = (variance + self.eps) ** -0.5
                normalised = [d * inverse_std for d in centred]
                batch_stats.append((mean.data, variance.data))
            else:
                mean_c = self.running_mean[c]
                std = math.sqrt(self.running_var[c] + self.eps)
                normalised = [(x - mean_c) / std for x in column]
            if self.weight is not None and self.bias is not None:
                gamma, beta = self.weight[c], self.bias[c]
                normalised = [x * gamma + beta for x in normalised]
            columns.append(normalised)
        if self.training:
            self._update_running_stats(batch_stats, n)
        return [list(row) for row in zip(*columns)]

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
                place = f"{_join(where, 'running_var')}[{c}]"
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
    layers: list[Module]

    def __init__(self, *modules: Module) -> None:
        super().__init__()
        if not modules:
            raise ValueError("Sequential needs at least one module")
        for i, module in enumerate(modules):
            if not isinstance(module, Module):
                raise TypeError(f"Sequential: argument {i} is {_describe(module)}, not a Module")
        self.layers = list(modules)

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

    def __repr__(self) -> str:
        return f"Sequential({', '.join(repr(m) for m in self.layers)})"


class Ensemble(Module):
    """The average of several models' outputs.

    Models trained separately make different mistakes; averaging them is
    (as the lectures put it) an almost guaranteed improvement.
    """

    _children_key = "models"
    models: list[Module]

    def __init__(self, models: Iterable[Module]) -> None:
        super().__init__()
        members = list(models)
        if not members:
            raise ValueError("Ensemble needs at least one model")
        for i, model in enumerate(members):
            if not isinstance(model, Module):
                raise TypeError(f"Ensemble: model {i} is {_describe(model)}, not a Module")
        self.models = members

    def children(self) -> list[Module]:
        return list(self.models)

    def _average(self, outputs: list[list[Value]]) -> list[Value]:
        sizes = {len(out) for out in outputs}
        if len(sizes) != 1:
            raise ValueError(f"Ensemble: the models give different numbers of outputs "
                             f"{[len(out) for out in outputs]}")
        return [_mean(column) for column in zip(*outputs)]

    def forward(self, sample: list[Value]) -> list[Value]:
        """The members' outputs for the sample, averaged output by output."""
        return self._average([model.forward(sample) for model in self.models])

    def forward_batch(self, batch: list[list[Value]]) -> list[list[Value]]:
        """The members' outputs for each sample, averaged."""
        per_model = [model.forward_batch(batch) for model in self.models]
        return [self._average([outs[i] for outs in per_model]) for i in range(len(batch))]

    def __repr__(self) -> str:
        return f"Ensemble([{', '.join(repr(m) for m in self.models)}])"


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
        self.n_inputs = _count("n_inputs", n_inputs)
        self.lr = _real("lr", lr)
        if self.lr <= 0:
            raise ValueError(f"lr must be positive, got {lr!r}")
        self.weights = [0.0] * n_inputs
        self.bias = 0.0
        self._rng = _rng(seed)

    def _features(self, x: object) -> list[float]:
        features = [v.data for v in _as_values(x, self)]
        _check_length(features, self.n_inputs, self)
        return features

    def _predict(self, x: list[float]) -> int:
        activation = math.fsum([w * xi for w, xi in zip(self.weights, x)]) + self.bias
        return 1 if activation > 0.0 else 0

    def predict(self, x: Sample) -> int:
        """1 if w·x + b > 0, else 0."""
        return self._predict(self._features(x))

    def forward(self, sample: list[Value]) -> list[Value]:
        """The prediction as a constant Value (the step passes no gradient)."""
        _check_length(sample, self.n_inputs, self)
        return [Value(self._predict([v.data for v in sample]))]

    def fit(self, X: Batch, y: Iterable[int], epochs: int = 100, shuffle: bool = True) -> list[int]:
        """Apply the perceptron rule sample by sample for up to `epochs` passes.

        Returns the number of misclassified samples in each epoch; training
        stops after the first epoch without mistakes, so a last entry of 0
        means it converged.
        """
        rows = [self._features(x) for x in X]
        labels = list(y)
        if len(labels) != len(rows):
            raise ValueError(f"X has {len(rows)} samples but y has {len(labels)} labels")
        for i, label in enumerate(labels):
            if isinstance(label, bool) or label not in (0, 1):
                raise ValueError(f"label {i} is {_describe(label)}; a perceptron needs 0 or 1")
        epochs = _count("epochs", epochs)
        shuffle = _flag("shuffle", shuffle)
        order = list(range(len(rows)))
        errors_per_epoch: list[int] = []
        for _ in range(epochs):
            if shuffle:
                self._rng.shuffle(order)
            errors = 0
            for i in order:
                error = labels[i] - self._predict(rows[i])
                if error:
                    errors += 1
                    step = self.lr * error
                    self.weights = [w + step * xi for w, xi in zip(self.weights, rows[i])]
                    self.bias += step
            errors_per_epoch.append(errors)
            if errors == 0:
                break
        return errors_per_epoch

    def _own_state(self) -> State:
        return {"weights": [float(w) for w in self.weights], "bias": float(self.bias)}

    def _load_own_state(self, state: State) -> None:
        self.weights = [float(w) for w in state["weights"]]
        self.bias = float(state["bias"])

    def __repr__(self) -> str:
        return f"Perceptron({self.n_inputs}, lr={self.lr!r})"


def softmax(values: Iterable[Scalar]) -> list[Value]:
    """exp(x_i) / sum_j exp(x_j), built from Value ops.

    The largest input is subtracted first, as a constant, so no exp overflows;
    the result (and its gradient) is unchanged by the shift.
    """
    xs = _as_values(values, "softmax")
    if not xs:
        raise ValueError("softmax needs at least one value")
    shift = max(x.data for x in xs)
    exps = [(x - shift).exp() for x in xs]
    total = sum_values(exps)
    return [e / total for e in exps]
