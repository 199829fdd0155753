"""`Module`, what every network piece shares, and how samples get into one.

A module transforms a *sample* (a list of numbers or Values) with
``forward(sample) -> list[Value]`` and a *batch* (a list of samples) with
``forward_batch(batch)``; calling it, ``module(x)``, accepts either. It holds
its parameters, the `train`/`eval` switch and its numbers as a JSON state
that `save` writes and `load` reads back bit for bit (the file format is in
`state.py`); ``MLP.load(path)`` on a class, or `autograd_nn.nn.load`,
rebuilds the model from the architecture the file records (`architecture.py`).

The helpers below turn what a caller passes (a sample, a seed, a list of
members) into what a module works with, with one wording for every module.
"""

from __future__ import annotations

import os
import random
from collections.abc import Callable, Iterable, Sequence
from itertools import chain
from types import MethodType
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar, cast, overload

from .. import checks
from ..engine import Value
from .state import check_like, check_module, join, read_model_document, write_model_file

if TYPE_CHECKING:
    from .layers import Neuron

__all__ = [
    "Batch",
    "Module",
    "Output",
    "Sample",
    "Scalar",
    "Seed",
    "State",
    "as_values",
    "check_length",
    "members",
    "rng_from",
]

Scalar = Value | float
Sample = Iterable[Scalar]
Batch = Iterable[Iterable[Scalar]]
Output = Value | list[Value]
State = dict[str, Any]
Seed = int | random.Random | None
M = TypeVar("M", bound="Module")


# What callers pass in ---------------------------------------------------------


def rng_from(seed: Seed) -> random.Random:
    """A private random generator: seeded, shared (a Random given), or fresh."""
    if seed is None:
        return random.Random()
    if isinstance(seed, random.Random):
        return seed
    if isinstance(seed, int) and not isinstance(seed, bool):
        return random.Random(seed)
    raise TypeError(
        f"seed must be an int, a random.Random or None, got {checks.describe(seed)}"
    )


def _is_row(x: object) -> bool:
    """Whether `x` is a list-like of entries (a sample), not a single number or Value."""
    return isinstance(x, Iterable) and not isinstance(x, (str, bytes, Value, dict))


def _who(who: object) -> str:
    return who if isinstance(who, str) else repr(who)


def as_values(sample: object, who: object) -> list[Value]:
    """The sample's entries as Values; numbers become leaves labelled x1, x2, ...

    `who` (a module or a function's name) starts any error message.
    """
    if not _is_row(sample):
        raise TypeError(f"{_who(who)} expects a sample (a list of numbers or Values), "
                        f"got {checks.describe(sample)}")
    values: list[Value] = []
    for i, x in enumerate(cast(Iterable[object], sample)):
        if isinstance(x, Value):
            values.append(x)
        elif checks.is_number(x):
            values.append(Value(float(x), label=f"x{i + 1}", requires_grad=False))
        else:
            raise TypeError(f"{_who(who)}: input {i} of the sample is {checks.describe(x)}; "
                            "expected a number or a Value")
    return values


def check_length(sample: Sequence[object], expected: int, who: object) -> None:
    """Raise ValueError unless the sample has `expected` inputs."""
    if len(sample) != expected:
        raise ValueError(f"{_who(who)} expects {expected} inputs, got {len(sample)}")


def members(owner: str, given: Iterable[object], noun: str) -> list[Module]:
    """The modules a container is made of: at least one, each a `Module`."""
    found = list(given)
    if not found:
        raise ValueError(f"{owner} needs at least one {noun}")
    for i, member in enumerate(found):
        if not isinstance(member, Module):
            raise TypeError(f"{owner}: {noun} {i} is {checks.describe(member)}, not a Module")
    return cast(list[Module], found)


def _unwrap(outputs: list[Value]) -> Output:
    return outputs[0] if len(outputs) == 1 else outputs


# The module ---------------------------------------------------------------------


PathArg = str | os.PathLike[str]


class _Load:
    """`load`, which does two things by where it is called.

    On a class, ``MLP.load(path)`` (or ``Module.load(path)``) returns a new
    model rebuilt from the file's architecture, which must be of that class
    (`autograd_nn.nn.load` takes any). On a model, ``model.load(path)`` reads
    the file's numbers into that model, which must be built as the saved one
    was; it returns None. A descriptor rather than a method, so one name
    serves both, as users of both habits expect.
    """

    @overload
    def __get__(self, instance: None, owner: type[M]) -> Callable[[PathArg], M]: ...

    @overload
    def __get__(self, instance: Module, owner: type[Module]) -> Callable[[PathArg], None]: ...

    def __get__(self, instance: Module | None, owner: type[Module]) -> Callable[[PathArg], Any]:
        if instance is not None:
            return instance._load_into
        from .architecture import load_as  # it imports the layers, which import us

        return MethodType(load_as, owner)


class Module:
    """What every network piece shares: parameters, train/eval, state, files.

    A subclass with sub-modules lists them in `children` and names the key
    under which their states sit (`_children_key`); a subclass with its own
    numbers implements `_own_parameters`, `_own_state` and `_load_own_state`.
    """

    _children_key: ClassVar[str] = ""
    _repr_brackets: ClassVar[tuple[str, str] | None] = None
    """A container's repr: its members' reprs between these, e.g. ("Sequential(", ")")."""
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

        A `Neuron` is one layer of itself and a `Layer` one layer of its
        neurons (they override this); a container gives the layers of its
        members in turn, a module without neurons none.
        """
        return [layer for child in self.children() for layer in child.neuron_layers()]

    def modules(self) -> list[Module]:
        """This module and every sub-module, parents before children, each once."""
        # A module hashes by identity, so the dict keeps each once, in the order reached.
        reached: dict[Module, None] = {}
        stack: list[Module] = [self]
        while stack:
            module = stack.pop()
            if module not in reached:
                reached[module] = None
                children = module.children()
                if children:  # (most modules, the neurons, have none: skip the reversal)
                    stack += children[::-1]
        return list(reached)

    def _own_parameters(self) -> list[Value]:
        return []

    def parameters(self) -> list[Value]:
        """Every trainable Value: layer by layer, neuron by neuron, weights then bias."""
        # A Value hashes by identity, so dict.fromkeys keeps the first of each
        # shared parameter, in order (in C: this runs before every step).
        owned = chain.from_iterable(module._own_parameters() for module in self.modules())
        return list(dict.fromkeys(owned))

    def zero_grad(self) -> None:
        """Reset every parameter's gradient to 0 (leaves accumulate across passes)."""
        for module in self.modules():  # a shared parameter is reset twice: no harm
            for p in module._own_parameters():
                p.grad = 0.0

    def train(self: M, mode: bool = True) -> M:
        """Switch this module and all sub-modules to training (or evaluation) mode."""
        mode = checks.flag("mode", mode)
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
                            f"or a batch (a list of samples), got {checks.describe(x)}")
        items = list(x)
        if items and _is_row(items[0]):
            batch = [as_values(row, self) for row in items]
            return [_unwrap(out) for out in self.forward_batch(batch)]
        return _unwrap(self.forward(as_values(items, self)))

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
                stack.append((child, part[key][i], f"{join(where, key)}[{i}]"))
        return parts

    def load_state_dict(self, state: object) -> None:
        """Set the model's numbers from `state` (as made by `state_dict`).

        Everything is checked before anything is assigned: a state of the wrong
        shape, with missing or unknown keys, or holding anything but finite
        numbers raises `ValueError` saying where, and leaves the model as it was.
        """
        check_like(state, self.state_dict())
        parts = self._parts(cast(State, state))
        for module, part, where in parts:
            module._check_own_state(part, where)
        for module, part, _ in parts:
            module._load_own_state(part)

    def save(self, path: str | os.PathLike[str]) -> None:
        """Write the model to a JSON file, atomically, floats exact.

        The file holds the numbers and, for a model made of built-in modules,
        its architecture, so `autograd_nn.nn.load(path)` (or ``MLP.load(path)``)
        rebuilds it. A symbolic link is followed (the file it points to is
        replaced); a temporary that an interrupted save left beside the file
        is removed.
        """
        from .architecture import architecture_of  # it imports the layers, which import us

        state = self.state_dict()
        write_model_file(path, repr(self), state, architecture_of(self, state))

    def _load_into(self, path: str | os.PathLike[str]) -> None:
        """Read a file written by `save` into this model (which must be built the same way).

        A file that is not such a model file, or was saved from a different
        architecture, raises `ValueError` and the model is left unchanged.
        Anything but a regular file (a FIFO, a device, a directory) and files
        over `state.MAX_MODEL_BYTES` (256 MB) are refused before they are opened.
        The file's architecture, if it has one, must be this model's (train and
        eval modes aside); a file without one (an older one) loads the same way.
        """
        from .architecture import check_architecture_of  # it imports the layers, which import us

        document = read_model_document(path)
        try:
            check_module(document, repr(self))
            if "architecture" in document:
                check_architecture_of(self, document["architecture"])
            self.load_state_dict(document["state"])
        except ValueError as error:
            raise ValueError(f"{os.fspath(path)}: {error}") from None

    load = _Load()
    """``model.load(path)`` loads a file into this model; ``MLP.load(path)`` returns a new one."""

    def __repr__(self) -> str:
        """The call that builds this module; a container's is its members' reprs
        between its `_repr_brackets`, built without recursion (any depth works)."""
        if self._repr_brackets is None:
            return f"{type(self).__name__}()"
        return _nested_repr(self)


def _expands(module: Module) -> bool:
    """Whether `module`'s repr is made of its members' (so `_nested_repr` builds it)."""
    return module._repr_brackets is not None and type(module).__repr__ is Module.__repr__


def _nested_repr(root: Module) -> str:
    """`repr(root)` with an explicit stack: members first, then each container."""
    done: dict[int, str] = {}
    under_way: set[int] = set()
    stack: list[tuple[Module, bool]] = [(root, False)]
    while stack:
        module, members_done = stack.pop()
        if members_done:
            opening, closing = cast(tuple[str, str], module._repr_brackets)
            inner = ", ".join(done[id(child)] for child in module.children())
            done[id(module)] = opening + inner + closing
            under_way.discard(id(module))
        elif id(module) in under_way:
            raise ValueError(f"a {type(module).__name__} contains itself")
        elif id(module) not in done:
            if not _expands(module):
                done[id(module)] = repr(module)
                continue
            under_way.add(id(module))
            stack.append((module, True))
            stack.extend((child, False) for child in module.children())
    return done[id(root)]
