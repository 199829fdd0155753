"""What an activation is, written once: one `Activation` record per name.

A record says which op node the activation adds to the graph (`op`, None for
"linear", which adds none), how it applies to a `Value` (`apply`) and to a
plain float (`evaluate`, the op table's forward, for `no_grad`), which
PyTorch module equals it (`torch_class`, e.g. "ReLU"), and which weight
initialiser a layer with it uses when given none (`default_init`, a name in
`init.INITIALISERS`). Everything that needs to know about activations reads
`ACTIVATION_TABLE`: the neurons, the PyTorch export, the default
initialisers, the command line's choices and the graph drawings.

How to add an activation: add one record to `ACTIVATION_TABLE` below, for
an op already in the op table (add the op first if needed, see `ops.py`):

    ACTIVATION_TABLE["sin"] = Activation.from_op(
        "sin", "sin", torch_class=None, default_init="glorot_normal")

`from_op` builds both functions from the op table (the op's `defaults` fill
its extra inputs, as leaky_relu's slope); pass ``shorthand=Value.sin`` where
the engine has a method for the op (the same node, recorded faster), and
``torch_class=None`` where PyTorch has no such module (`to_torch` then says
so rather than leave the activation out). From then on ``Neuron``, ``Layer``
and ``MLP`` accept ``activation="sin"``, `no_grad` evaluation matches the
recorded graph, and models save and load. The test
``tests/test_nn_recipes.py::test_adding_an_activation_is_one_record`` does
exactly this and checks each of those.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

from .. import checks
from ..engine import Value
from ..ops import LEAKY_RELU_SLOPE, op_named
from .init import INITIALISERS, Initialiser

__all__ = [
    "ACTIVATIONS",
    "ACTIVATION_TABLE",
    "DEFAULT_FOR_ACTIVATION",
    "FLOAT_ACTIVATIONS",
    "LEAKY_RELU_SLOPE",
    "Activation",
    "activation_named",
    "for_activation",
]

T = TypeVar("T")


def _identity(x: T) -> T:
    return x


@dataclass(frozen=True)
class Activation:
    """One activation: its op node, its functions, its PyTorch twin, its default init.

    `apply` and `evaluate` must compute the same numbers (the recorded graph
    and the float path of `no_grad` agree bit for bit); `from_op` builds both
    from the op table so they do.
    """

    name: str
    op: str | None  # the op table's name of the node it adds; None adds no node
    apply: Callable[[Value], Value] = field(repr=False)
    evaluate: Callable[[float], float] = field(repr=False)
    torch_class: str | None  # a class of torch.nn, built with `torch_args`
    default_init: str  # a name in init.INITIALISERS
    torch_args: tuple[float, ...] = ()

    def __post_init__(self) -> None:
        if self.op is not None:
            op_named(self.op)
        checks.one_of("default_init", self.default_init, INITIALISERS, "initialiser")

    @classmethod
    def from_op(
        cls,
        name: str,
        op: str,
        *,
        torch_class: str | None,
        default_init: str,
        shorthand: Callable[[Value], Value] | None = None,
    ) -> Activation:
        """The activation that is the op table's unary use of `op`.

        The op's `defaults` fill its other inputs (leaky_relu's slope) in the
        graph, on floats and in the PyTorch module alike. `shorthand` is the
        engine's method for the op (``Value.relu``), which records the same
        node as the generic ``Value.apply`` but faster; it is optional.
        """
        entry = op_named(op)
        extra = entry.defaults

        def apply(x: Value) -> Value:
            return x.apply(entry, *extra)

        def evaluate(a: float) -> float:
            return entry.forward(a, *extra)

        return cls(name, op, shorthand or apply, evaluate if extra else entry.forward,
                   torch_class, default_init, extra)

    def torch_modules(self, torch: Any) -> list[Any]:
        """The PyTorch modules that follow a Linear layer for this activation."""
        if self.op is None:
            return []
        if self.torch_class is None:
            raise ValueError(f"activation {self.name!r} has no PyTorch module to export to")
        return [getattr(torch.nn, self.torch_class)(*self.torch_args)]


def _linear() -> Activation:
    return Activation("linear", None, _identity, _identity, None, "glorot_normal")


ACTIVATION_TABLE: dict[str, Activation] = {
    a.name: a
    for a in (
        _linear(),
        Activation.from_op(
            "relu", "relu", torch_class="ReLU", default_init="he_normal", shorthand=Value.relu
        ),
        Activation.from_op(
            "leaky_relu", "leaky_relu", torch_class="LeakyReLU", default_init="he_normal",
            shorthand=Value.leaky_relu,
        ),
        Activation.from_op(
            "tanh", "tanh", torch_class="Tanh", default_init="glorot_normal", shorthand=Value.tanh
        ),
        Activation.from_op(
            "sigmoid", "sigmoid", torch_class="Sigmoid", default_init="glorot_normal",
            shorthand=Value.sigmoid,
        ),
    )
}
"""Every activation by name: the one place that says what an activation is."""


def activation_named(name: object) -> Activation:
    """The record of the activation called `name`.

    An unknown name raises `checks.UnknownNameError` (a ValueError and a
    KeyError) listing the known ones.
    """
    return ACTIVATION_TABLE[checks.one_of("activation", name, ACTIVATION_TABLE)]


class _Column(Mapping[str, T]):
    """One field of every record, by activation name: a live, read-only view of the table."""

    def __init__(self, read: Callable[[Activation], T], what: str) -> None:
        self._read = read
        self._what = what

    def __getitem__(self, name: str) -> T:
        return self._read(ACTIVATION_TABLE[name])

    def __iter__(self) -> Iterator[str]:
        return iter(ACTIVATION_TABLE)

    def __len__(self) -> int:
        return len(ACTIVATION_TABLE)

    def __repr__(self) -> str:
        return f"<{self._what} of {', '.join(ACTIVATION_TABLE)}>"


ACTIVATIONS: Mapping[str, Callable[[Value], Value]] = _Column(
    lambda a: a.apply, "the Value function"
)
"""Each activation's Value function by name (a view of `ACTIVATION_TABLE`)."""

FLOAT_ACTIVATIONS: Mapping[str, Callable[[float], float]] = _Column(
    lambda a: a.evaluate, "the float function"
)
"""Each activation on plain floats, for `no_grad` (a view of `ACTIVATION_TABLE`)."""

DEFAULT_FOR_ACTIVATION: Mapping[str, str] = _Column(
    lambda a: a.default_init, "the default initialiser"
)
"""The scheme a layer uses when it is given none, by activation (a view of the table)."""


def for_activation(activation: str) -> Initialiser:
    """The default initialiser for a layer with this activation."""
    return INITIALISERS[activation_named(activation).default_init]
