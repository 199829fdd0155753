"""The lectures' worked examples, by name.

Each entry of `EXAMPLES` is called to build a fresh graph and returns a
`Worked`: its labelled Values by label (``EXAMPLES["xyz"]()["g"]``), the output
as `.output`, the values a gradient-descent step changes as `.params`, and the
chain-rule paths the lecture writes out as `.paths`.

Data and targets are constants (``Value(..., requires_grad=False)``), as the
lectures treat them ("we can't change our input data; instead we weight the
incoming signals"): the network's and the MLP's inputs x1, x2 and target t
get no gradient. In the first example x, y and z are the inputs the lecture
itself steps down the gradient, so they keep theirs. No variable is called
``e``, which would read as Euler's number in ``e^2``: the error is ``err``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from ..checks import UnknownNameError
from ..engine import Value, sum_values
from ..graph import evaluation_order
from ..nn import MLP, Module
from .steps import ChainRule, chain_rule

__all__ = ["EXAMPLES", "Example", "Worked", "example"]


class Worked(dict[str, Value]):
    """A worked example's labelled Values by label, in the order they were made."""

    output: Value
    """The example's result: the root of its graph."""
    params: list[Value]
    """The Values a gradient-descent step updates."""
    paths: list[tuple[str, ...]]
    """Chain-rule paths to write out: labels from the output down to a node."""
    model: Module | None
    """The nn model the graph came from, for drawing its neurons as clusters."""

    def __init__(
        self,
        output: Value,
        params: Sequence[Value],
        paths: Iterable[tuple[str, ...]] = (),
        model: Module | None = None,
    ) -> None:
        super().__init__(
            (node.label, node) for node in evaluation_order(output) if node.label
        )
        self.output = output
        self.params = list(params)
        self.paths = list(paths)
        self.model = model

    def chains(self) -> list[ChainRule]:
        """The chain rule written out along each of `paths`."""
        return [
            chain_rule(self[path[0]], self[path[-1]], [self[label] for label in path[1:-1]])
            for path in self.paths
        ]


@dataclass(frozen=True)
class Example:
    """A worked example: call it for a fresh graph."""

    name: str
    title: str
    description: str
    build: Callable[[], Worked]

    def __call__(self) -> Worked:
        return self.build()


def _labelled(value: Value, label: str) -> Value:
    value.label = label
    return value


def _data(x: float, label: str) -> Value:
    """A data point or target: a labelled constant, which gets no gradient."""
    return Value(x, label, requires_grad=False)


def xyz() -> Worked:
    """g = x*y + z at x = 3, y = -4, z = 2: the lecture's first backprop example."""
    x, y, z = Value(3.0, "x"), Value(-4.0, "y"), Value(2.0, "z")
    f = _labelled(x * y, "f")
    g = _labelled(f + z, "g")
    return Worked(g, [x, y, z])


def sigmoid_neuron() -> Worked:
    """s = σ(w1*x1 + w2*x2 + b) at w = (2, -3), x = (-1, -2), b = -3."""
    w1, x1 = Value(2.0, "w1"), Value(-1.0, "x1")
    w2, x2 = Value(-3.0, "w2"), Value(-2.0, "x2")
    b = Value(-3.0, "b")
    u = _labelled(sum_values([w1 * x1, w2 * x2, b]), "u")
    s = _labelled(u.sigmoid(), "s")
    return Worked(s, [w1, w2, b], paths=[("s", "u", "w1")])


def sine() -> Worked:
    """f = sin(x^2 + 5) at x = 1: the chain rule through two functions."""
    x = Value(1.0, "x")
    u = _labelled(x**2, "u")
    t = _labelled(u + 5, "t")
    f = _labelled(t.sin(), "f")
    return Worked(f, [x], paths=[("f", "t", "x")])


def network() -> Worked:
    """A two-input, two-hidden-neuron sigmoid network with a squared loss.

    u1 = w11*x1 + w21*x2, u2 = w12*x1 + w22*x2, σ1 = σ(u1), σ2 = σ(u2),
    y = v1*σ1 + v2*σ2, σ = σ(y), err = t - σ, L = err^2. The lecture writes
    dL/dw11 = dL/du1 · x1 and dL/du1 = dL/dσ · ∂σ/∂y · ∂y/∂σ1 · ∂σ1/∂u1.
    The data x1, x2 and the target t are constants.
    """
    x1, x2 = _data(0.5, "x1"), _data(-1.0, "x2")
    w11, w21 = Value(0.8, "w11"), Value(0.2, "w21")
    w12, w22 = Value(-0.4, "w12"), Value(0.6, "w22")
    v1, v2 = Value(1.0, "v1"), Value(-0.5, "v2")
    t = _data(1.0, "t")
    u1 = _labelled(w11 * x1 + w21 * x2, "u1")
    u2 = _labelled(w12 * x1 + w22 * x2, "u2")
    s1 = _labelled(u1.sigmoid(), "σ1")
    s2 = _labelled(u2.sigmoid(), "σ2")
    y = _labelled(v1 * s1 + v2 * s2, "y")
    s = _labelled(y.sigmoid(), "σ")
    err = _labelled(t - s, "err")
    loss = _labelled(err**2, "L")
    return Worked(
        loss,
        [w11, w21, w12, w22, v1, v2],
        paths=[("L", "u1", "w11"), ("L", "σ", "y", "σ1", "u1")],
    )


def mlp() -> Worked:
    """A tiny MLP's squared loss: 2 inputs, 3 tanh neurons, 1 linear output; the
    data x1, x2 and the target t are constants."""
    model = MLP(2, [3, 1], activation="tanh", seed=1)
    x1, x2 = _data(0.5, "x1"), _data(-1.5, "x2")
    target = _data(1.0, "t")
    out = model([x1, x2])
    assert isinstance(out, Value)
    out.label = "out"
    error = _labelled(target - out, "err")
    loss = _labelled(error**2, "L")
    return Worked(loss, model.parameters(), model=model)


EXAMPLES: dict[str, Example] = {
    e.name: e
    for e in [
        Example("xyz", "g = x·y + z", "the lecture's first example, at x=3, y=-4, z=2", xyz),
        Example("sigmoid", "s = σ(w1·x1 + w2·x2 + b)", "a sigmoid neuron", sigmoid_neuron),
        Example("sin", "f = sin(x^2 + 5)", "the chain rule through two functions", sine),
        Example(
            "network", "L = (t - σ(v1·σ(u1) + v2·σ(u2)))^2",
            "the lectures' small two-layer sigmoid network with a squared loss", network,
        ),
        Example("mlp", "L = (t - MLP(x))^2", "a tiny MLP's loss, drawn with clusters", mlp),
    ]
}
"""The worked examples by name."""


def example(name: str) -> Example:
    """The example called `name`; an `UnknownNameError` (a ValueError and a KeyError)
    lists the known names."""
    try:
        return EXAMPLES[name]
    except KeyError:
        raise UnknownNameError(
            f"unknown example {name!r}; known examples: {', '.join(EXAMPLES)}"
        ) from None
