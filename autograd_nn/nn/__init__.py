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

``model.save(path)`` writes it to JSON; ``nn.load(path)`` (or ``MLP.load(path)``)
rebuilds it from the file, and ``model.load(path)`` reads a file into a model
already built the same way.

How modules compose. Every module transforms a *sample* (a list of numbers or
Values) with ``forward(sample) -> list[Value]`` and a *batch* (a list of
samples) with ``forward_batch(batch)``. Sample-wise modules (`Neuron`,
`Layer`, `MLP`, `Dropout`) treat a batch one sample at a time; `BatchNorm1d`
needs the whole batch, so it overrides `forward_batch`. `Sequential` passes a
batch through its modules in turn, so a `BatchNorm1d` between two `Layer` s
sees the whole batch. Calling any module, ``module(x)``, accepts a sample or a
batch and returns, for each sample, a list of Values, or the single Value
when there is one output.

Where things are, one concept per file:

- `module.py`: `Module` (parameters, train/eval, state, save/load) and how
  samples, seeds and members are taken in;
- `layers.py`: `Neuron`, `Layer`, `MLP`, `Dropout`, `BatchNorm1d`,
  `Sequential`, `Ensemble`;
- `activations.py`: the `Activation` records, the one place that says what
  an activation is (its op, float function, PyTorch class, default init);
- `init.py`: the weight initialisation schemes (also ``autograd_nn.init``);
- `perceptron.py`: Rosenblatt's `Perceptron` and its own learning rule;
- `state.py`: the JSON structure check and the model file format (never pickle);
- `architecture.py`: what a model is made of, as data in its file, and `load`,
  which rebuilds a model from it (built-in classes only, arguments checked);
- `functional.py`: `softmax`.
"""

from __future__ import annotations

from .activations import (
    ACTIVATION_TABLE,
    ACTIVATIONS,
    FLOAT_ACTIVATIONS,
    LEAKY_RELU_SLOPE,
    Activation,
    activation_named,
)
from .architecture import load
from .functional import softmax
from .layers import MLP, BatchNorm1d, Dropout, Ensemble, Layer, Neuron, Sequential
from .module import Module
from .perceptron import Perceptron
from .state import FILE_FORMAT, FILE_VERSION

__all__ = [
    "ACTIVATIONS",
    "ACTIVATION_TABLE",
    "FILE_FORMAT",
    "FILE_VERSION",
    "FLOAT_ACTIVATIONS",
    "LEAKY_RELU_SLOPE",
    "MLP",
    "Activation",
    "BatchNorm1d",
    "Dropout",
    "Ensemble",
    "Layer",
    "Module",
    "Neuron",
    "Perceptron",
    "Sequential",
    "activation_named",
    "load",
    "softmax",
]
