"""What a model is made of, as data: the ``architecture`` of a model file, and `load`.

`Module.save` writes, beside the numbers, how to build the model again: a
flat table with one entry per built-in module the model is made of, e.g.

    [{"class": "Layer", "args": {"n_inputs": 2, "n_outputs": 3,
      "activation": "relu", "bias": true}, "training": true},
     {"class": "Dropout", "args": {"p": 0.2}, "training": true},
     {"class": "Sequential", "args": {}, "training": true, "members": [0, 1]}]

Each entry gives the class, the constructor arguments that shape it, its
train/eval mode and, for a container, its members: entries earlier in the
table (a module used twice is one entry, used twice). The last entry is the
model. A flat table, not nested objects, so a model of any depth adds no JSON
nesting beyond its state's. What is not recorded: the initialiser (the
weights are in the state) and random generators (a rebuilt `Dropout` draws
fresh masks, as one built without a seed).

`load(path)` rebuilds the model from the table and loads its numbers into it.
The table is data, never code: only the classes of `BUILDERS` are built (by
exact name), every argument is checked as the constructor checks it, and the
model's size is bounded (`MAX_MODULES`, `MAX_NUMBERS`, `MAX_DEPTH`) before
anything is built. Anything wrong raises `ValueError` naming the file and the
entry, and builds nothing that is returned.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar, cast

from .. import checks
from .activations import ACTIVATION_TABLE
from .layers import MLP, BatchNorm1d, Dropout, Ensemble, Layer, Neuron, Sequential
from .module import Module
from .perceptron import Perceptron
from .state import clip, count_numbers, read_model_document

__all__ = [
    "BUILDERS",
    "MAX_DEPTH",
    "MAX_MODULES",
    "MAX_NUMBERS",
    "Argument",
    "Builder",
    "architecture_of",
    "check_architecture_of",
    "describe",
    "load",
    "load_as",
]

M = TypeVar("M", bound=Module)
Args = dict[str, Any]
Entry = dict[str, object]

MAX_NUMBERS = 10_000_000
"""The most numbers (parameters and buffers) a model `load` builds may hold: about
what a model file of `state.MAX_MODEL_BYTES` (256 MB) can hold at full precision."""

MAX_MODULES = 100_000
"""The most modules `load` builds, each neuron counted: far beyond any model a
scalar engine trains, small enough to build safely."""

MAX_DEPTH = 1000
"""The deepest nesting of containers `load` builds: deeper than a model file's
state can be (JSON's own nesting limit is reached first)."""


# Checks of one argument read from a file: (name, value) -> the value to build with.


def _activation(name: str, x: object) -> str:
    if not isinstance(x, str) or x not in ACTIVATION_TABLE:
        raise ValueError(f"{name} must be one of {', '.join(ACTIVATION_TABLE)}, "
                         f"got {checks.describe(x)}")
    return x


def _sizes(name: str, x: object) -> list[int]:
    if not isinstance(x, list) or not x:
        raise ValueError(f"{name} must be a non-empty list of layer sizes, "
                         f"got {checks.describe(x)}")
    return [checks.whole(f"each of {name}", size) for size in x]


def _probability(name: str, x: object) -> float:
    return checks.in_range(name, x, 0.0, 1.0, include_high=False)


def _momentum(name: str, x: object) -> float | None:
    return None if x is None else checks.in_range(name, x, 0.0, 1.0)


def _has_bias(module: Any) -> bool:
    return cast(Neuron, module).bias is not None


@dataclass(frozen=True)
class Argument:
    """One constructor argument: its name, its check, and where a module keeps it.

    `check(name, value)` raises TypeError or ValueError for a value the
    constructor would refuse and returns the value to build with; `read`
    gets the value from a built module (by default its attribute `name`).
    """

    name: str
    check: Callable[[str, object], object]
    read: Callable[[Any], object] | None = None

    def value_of(self, module: Module) -> object:
        """What `module` was built with, as JSON data."""
        value = getattr(module, self.name) if self.read is None else self.read(module)
        return list(value) if isinstance(value, list) else value


def _nothing(args: Args) -> int:
    return 0


def _one(args: Args) -> int:
    return 1


@dataclass(frozen=True)
class Builder:
    """How one built-in class is recorded and rebuilt.

    `build(args, members)` makes the module from checked arguments (and, for
    a `container`, its members, already built); `numbers(args)` and
    `modules(args)` say, before building, how many numbers (parameters and
    buffers) it holds and how many modules it makes (itself and its neurons).
    """

    cls: type[Module]
    arguments: tuple[Argument, ...]
    build: Callable[[Args, list[Module]], Module]
    numbers: Callable[[Args], int] = _nothing
    modules: Callable[[Args], int] = _one
    container: bool = False


def _mlp_numbers(args: Args) -> int:
    fans = [args["n_inputs"], *args["sizes"]]
    return sum((fans[i] + 1) * fans[i + 1] for i in range(len(fans) - 1))


_N_INPUTS = Argument("n_inputs", checks.whole)
_ACTIVATION = Argument("activation", _activation)

BUILDERS: dict[str, Builder] = {
    b.cls.__name__: b
    for b in (
        Builder(Neuron, (_N_INPUTS, _ACTIVATION, Argument("bias", checks.flag, _has_bias)),
                lambda a, _: Neuron(**a, init="zeros"),
                numbers=lambda a: a["n_inputs"] + int(a["bias"])),
        Builder(Layer, (_N_INPUTS, Argument("n_outputs", checks.whole), _ACTIVATION,
                        Argument("bias", checks.flag, lambda m: m.has_bias)),
                lambda a, _: Layer(**a, init="zeros"),
                numbers=lambda a: a["n_outputs"] * (a["n_inputs"] + int(a["bias"])),
                modules=lambda a: 1 + a["n_outputs"]),
        Builder(MLP, (_N_INPUTS, Argument("sizes", _sizes), _ACTIVATION,
                      Argument("output_activation", _activation)),
                lambda a, _: MLP(**a, init="zeros"), numbers=_mlp_numbers,
                modules=lambda a: 1 + len(a["sizes"]) + sum(a["sizes"])),
        Builder(Dropout, (Argument("p", _probability),), lambda a, _: Dropout(**a)),
        Builder(BatchNorm1d, (Argument("num_features", checks.whole),
                              Argument("eps", checks.non_negative),
                              Argument("momentum", _momentum), Argument("affine", checks.flag)),
                lambda a, _: BatchNorm1d(**a),
                numbers=lambda a: (4 if a["affine"] else 2) * a["num_features"] + 1),
        Builder(Perceptron, (_N_INPUTS, Argument("lr", checks.positive)),
                lambda a, _: Perceptron(**a), numbers=lambda a: a["n_inputs"] + 1),
        Builder(Sequential, (), lambda _, members: Sequential(*members), container=True),
        Builder(Ensemble, (), lambda _, members: Ensemble(members), container=True),
    )
}
"""The whitelist: every class `load` builds, by name. A new built-in module
gets one entry here, or its models save without an architecture."""

_BY_CLASS = {builder.cls: builder for builder in BUILDERS.values()}


# Writing: a model's table ----------------------------------------------------------


def _entry(module: Module, builder: Builder, index: dict[int, int]) -> Entry:
    entry: Entry = {
        "class": builder.cls.__name__,
        "args": {argument.name: argument.value_of(module) for argument in builder.arguments},
        "training": module.training,
    }
    if builder.container:
        entry["members"] = [index[id(child)] for child in module.children()]
    return entry


def describe(model: Module) -> list[Entry] | None:
    """The architecture table of `model`, members before containers, the model last.

    None if any of its modules is not of a class in `BUILDERS` (a subclass
    is not its base class). Built without recursion, so any depth works.
    """
    table: list[Entry] = []
    index: dict[int, int] = {}
    under_way: set[int] = set()
    stack: list[tuple[Module, bool]] = [(model, False)]
    while stack:
        module, members_done = stack.pop()
        builder = _BY_CLASS.get(type(module))
        if builder is None:
            return None
        if members_done:
            index[id(module)] = len(table)
            table.append(_entry(module, builder, index))
        elif id(module) in under_way:
            if id(module) not in index:
                raise ValueError(f"a {type(module).__name__} contains itself")
        else:
            under_way.add(id(module))
            stack.append((module, True))
            if builder.container:
                stack.extend((child, False) for child in reversed(module.children()))
    return table


def architecture_of(model: Module, state: object) -> list[Entry] | None:
    """The table `save` writes for `model` (whose state is `state`), or None.

    None when the model is not made of built-in modules only, or when the
    table would not rebuild it (a module changed after it was built, e.g. a
    neuron removed from a `Layer`): then the file records no architecture.
    """
    table = describe(model)
    if table is None:
        return None
    try:
        nodes = _check_table(table)
    except ValueError:
        return None
    numbers, _, _ = _totals(nodes, cap=None)
    return table if numbers == count_numbers(state) else None


# Reading: check the table, bound its size, build --------------------------------------


@dataclass(frozen=True)
class _Node:
    builder: Builder
    args: Args
    training: bool
    members: tuple[int, ...]


def _check_args(args: object, builder: Builder, place: str) -> Args:
    names = [argument.name for argument in builder.arguments]
    if not isinstance(args, dict) or sorted(args) != sorted(names):
        got = sorted(args) if isinstance(args, dict) else checks.describe(args)
        raise ValueError(f"{place}: args must be an object with the keys {names}, "
                         f"got {clip(str(got))}")
    checked: Args = {}
    for argument in builder.arguments:
        try:
            checked[argument.name] = argument.check(argument.name, args[argument.name])
        except (TypeError, ValueError) as error:
            raise ValueError(f"{place}: {clip(str(error), 160)}") from None
    return checked


def _check_members(members: object, i: int, place: str) -> tuple[int, ...]:
    if not isinstance(members, list) or not members:
        raise ValueError(f"{place}: members must be a non-empty list of entries, "
                         f"got {checks.describe(members)}")
    for member in members:
        if type(member) is not int or not 0 <= member < i:
            raise ValueError(f"{place}: each member must be the index of an earlier entry "
                             f"(0 to {i - 1}), got {clip(checks.describe(member))}")
    return tuple(members)


def _check_entry(entry: object, i: int) -> _Node:
    place = f"architecture[{i}]"
    if not isinstance(entry, dict):
        raise ValueError(f"{place}: expected an object, got {checks.describe(entry)}")
    name = entry.get("class")
    if not isinstance(name, str) or name not in BUILDERS:
        raise ValueError(f"{place}: unknown module class {checks.describe(name)}; "
                         f"load builds only {', '.join(BUILDERS)}")
    builder = BUILDERS[name]
    place = f"{place} ({name})"
    keys = ["class", "args", "training", *(["members"] if builder.container else [])]
    if sorted(entry) != sorted(keys):
        raise ValueError(f"{place}: expected the keys {keys}, got {clip(str(sorted(entry)))}")
    args = _check_args(entry["args"], builder, place)
    training = entry["training"]
    if not isinstance(training, bool):
        raise ValueError(f"{place}: training must be true or false, "
                         f"got {checks.describe(training)}")
    members = _check_members(entry["members"], i, place) if builder.container else ()
    return _Node(builder, args, training, members)


def _without_modes(table: list[Entry]) -> list[Entry]:
    return [{key: value for key, value in entry.items() if key != "training"} for entry in table]


def check_architecture_of(model: Module, table: object) -> None:
    """Raise ValueError unless `table` is well formed and describes `model`.

    Train/eval modes aside, as loading into a model keeps its modes. A model
    with modules that are not built in cannot be compared and is not refused
    here (its repr and state are checked as before).
    """
    _check_table(table)
    own = describe(model)
    if own is None:
        return
    theirs = _without_modes(cast(list[Entry], table))
    for i, (mine, other) in enumerate(zip(_without_modes(own), theirs)):
        if mine != other:
            raise ValueError(f"architecture[{i}] is {clip(str(other))}, but this model's "
                             f"is {clip(str(mine))}")
    if len(own) != len(theirs):
        raise ValueError(f"the architecture has {len(theirs)} entries, but this model's "
                         f"has {len(own)}")


def _check_table(table: object) -> list[_Node]:
    if not isinstance(table, list) or not table:
        raise ValueError(f"architecture: expected a non-empty list of modules, "
                         f"got {checks.describe(table)}")
    if len(table) > MAX_MODULES:
        raise ValueError(f"architecture: {len(table):,} entries; load builds at most "
                         f"{MAX_MODULES:,} modules")
    nodes = [_check_entry(entry, i) for i, entry in enumerate(table)]
    used = {member for node in nodes for member in node.members}
    for i in range(len(nodes) - 1):
        if i not in used:
            raise ValueError(f"architecture[{i}]: not a member of any later entry (the last "
                             "entry is the model; every other one must be part of it)")
    return nodes


def _totals(nodes: list[_Node], cap: int | None) -> tuple[int, int, int]:
    """The model's numbers, modules (each use of a shared one counted) and depth.

    With `cap`, counts stop growing past it, so a table that reuses entries
    many times over cannot make numbers of millions of digits.
    """
    numbers: list[int] = []
    modules: list[int] = []
    depths: list[int] = []
    for node in nodes:
        n = node.builder.numbers(node.args) + sum(numbers[m] for m in node.members)
        k = node.builder.modules(node.args) + sum(modules[m] for m in node.members)
        numbers.append(n if cap is None else min(n, cap))
        modules.append(k if cap is None else min(k, cap))
        depths.append(1 + max((depths[m] for m in node.members), default=0))
    return numbers[-1], modules[-1], depths[-1]


def _check_size(nodes: list[_Node]) -> None:
    """Refuse, before building anything, a model too big or too deep to build safely."""
    numbers, modules, depth = _totals(nodes, cap=max(MAX_NUMBERS, MAX_MODULES) + 1)
    if numbers > MAX_NUMBERS:
        raise ValueError(f"architecture: the model would hold more than {MAX_NUMBERS:,} "
                         "numbers (parameters and buffers), more than a model file holds; "
                         "refused before building anything")
    if modules > MAX_MODULES:
        raise ValueError(f"architecture: the model would have more than {MAX_MODULES:,} "
                         "modules (neurons counted); refused before building anything")
    if depth > MAX_DEPTH:
        raise ValueError(f"architecture: containers nested more than {MAX_DEPTH:,} deep, "
                         "deeper than a model file's state can be")


def _build(nodes: list[_Node]) -> Module:
    """The model the checked table describes, each entry built once, in order."""
    built: list[Module] = []
    for i, node in enumerate(nodes):
        try:
            module = node.builder.build(node.args, [built[m] for m in node.members])
        except (TypeError, ValueError) as error:
            raise ValueError(f"architecture[{i}]: {clip(str(error), 160)}") from None
        for part in [module] if node.builder.container else module.modules():
            part.training = node.training
        built.append(module)
    return built[-1]


def _no_architecture(document: dict[str, object]) -> str:
    return ("the file records no architecture (it was saved before model files recorded "
            "one, or from a model with modules that are not built in); build the model "
            f"it holds, {clip(str(document['module']))}, then call model.load(path)")


def load_as(cls: type[M], path: str | os.PathLike[str]) -> M:
    """The model saved in `path`, rebuilt and loaded; it must be a `cls`.

    What `MLP.load(path)` (called on a class) runs; see `load`.
    """
    document = read_model_document(path)
    try:
        if "architecture" not in document:
            raise ValueError(_no_architecture(document))
        nodes = _check_table(document["architecture"])
        if not issubclass(nodes[-1].builder.cls, cls):
            raise ValueError(f"holds {clip(str(document['module']))}, not a model of class "
                             f"{cls.__name__}; autograd_nn.nn.load(path) loads any class")
        _check_size(nodes)
        model = _build(nodes)
        if repr(model) != document["module"]:
            raise ValueError(f"the architecture builds {clip(repr(model))}, but the file "
                             f"holds {clip(str(document['module']))}")
        model.load_state_dict(document["state"])
    except ValueError as error:
        raise ValueError(f"{os.fspath(path)}: {error}") from None
    return cast(M, model)


def load(path: str | os.PathLike[str]) -> Module:
    """The model saved in `path` by `Module.save`, rebuilt and ready (architecture and numbers).

    ``autograd_nn.nn.load("moons.json")`` returns e.g. the `MLP` that was
    saved, with the same weights, buffers and train/eval mode. Everything is
    checked before the model is returned: the file as `Module.load` checks it
    (a regular file under 256 MB, strict JSON, format and version), the
    architecture (built-in classes only, checked arguments, at most
    `MAX_NUMBERS` numbers and `MAX_MODULES` modules) and the state. A file
    saved before architectures were recorded raises `ValueError` saying how
    to load it into a model you build.
    """
    return load_as(Module, path)

