"""`trace`: run a function once on one sample and keep its graph as a `Program`.

The function gets leaf Values made from the example (inputs, and a target if
one is given) and builds its graph as usual; the graph's evaluation order
becomes the program. Parameters are the leaves that get gradients (a
model's weights, reached through the function's closure); constants are the
other leaves (the 2 of ``x**2``), fixed from then on.

A trace is one path through the function. If the function reads a traced
value, ``if z.data < delta:`` or ``max(s.data for s in scores)``, that read
picks the path for this one sample, and replaying the program on other
samples (or after a training step) would silently follow the same path. So
while the function runs, reads of ``Value.data`` outside the engine are
recorded (the slot is briefly a property), and `trace` raises `TraceError`,
naming the file and line, for a read of anything that depends on an input or
a parameter.

Reads that depend only on the target are allowed (a loss checks that labels
are -1 or 1, cross-entropy picks the score of the labelled class): the
program is then a function of the target's value alone, and `compile` traces
it once per distinct target and checks that the programs agree (up to which
slot an op reads, which a select resolves per sample). Reads of constants
are allowed: they cannot change.
"""

from __future__ import annotations

import inspect
import linecache
import sys
import threading
from collections.abc import Callable, Sequence
from types import CodeType, FrameType
from typing import Any

from .. import checks, engine
from ..engine import Value, collector_paused, is_recording
from ..explain.notation import format_number
from ..graph import evaluation_order, op_of
from .program import Instruction, Program, Slot, unique_names

__all__ = ["NO_TARGET", "TraceError", "trace"]

NO_TARGET: Any = object()
"""`trace`'s default `target`: the function takes none."""

_INPUT, _TARGET, _PARAMETER = 1, 2, 4  # what a node depends on, as bits


class TraceError(ValueError):
    """A function cannot be traced into one program: it branches on a traced value
    (the message names the file and line), or its traces disagree."""

    def __init__(self, message: str, filename: str = "", lineno: int = 0) -> None:
        super().__init__(message)
        self.filename = filename
        self.lineno = lineno


# Watching reads of Value.data ----------------------------------------------------

_SLOT = Value.__dict__["data"]  # the member descriptor of `Value`'s `data` slot
_ENGINE_FILE = engine._binary.__code__.co_filename


def _with_nested(code: CodeType) -> list[CodeType]:
    """`code` and the code nested in it: closures, and comprehensions (their own
    frames before Python 3.12)."""
    found, stack = [], [code]
    while stack:
        current = stack.pop()
        found.append(current)
        stack.extend(c for c in current.co_consts if isinstance(c, CodeType))
    return found


def _computing_code() -> frozenset[CodeType]:
    """The engine's code that reads operands' data to compute new nodes, never to
    branch: its private functions (the node makers `_binary`, `_unary`, `_make`
    and the operators they build) and the public builders. The rest of `Value`
    (``float(v)``, ``repr(v)``) hands the value to its caller, whose read it is."""
    codes = [f.__code__ for name, f in vars(engine).items()
             if name.startswith("_") and inspect.isfunction(f) and f.__module__ == engine.__name__]
    codes += [engine.sum_values.__code__, engine.mean_values.__code__, Value.apply.__code__]
    return frozenset(c for code in codes for c in _with_nested(code))


_COMPUTING = _computing_code()


class _Read:
    """One read of a node's data: the node and where the function read it."""

    __slots__ = ("caller", "filename", "lineno", "node", "where")

    def __init__(self, node: Value, frame: FrameType) -> None:
        while frame.f_code.co_filename == _ENGINE_FILE and frame.f_back is not None:
            frame = frame.f_back  # float(v), repr(v): the engine reads for its caller
        self.node = node
        self.filename = frame.f_code.co_filename
        self.lineno = frame.f_lineno
        self.where = f"{self.filename}:{self.lineno} in {frame.f_code.co_name}"
        back = frame.f_back
        self.caller = "" if back is None else (
            f" (called from {back.f_code.co_filename}:{back.f_lineno} in {back.f_code.co_name})"
        )


class _Watch:
    """The reads one trace records, on the tracing thread only."""

    def __init__(self) -> None:
        self.thread = threading.get_ident()
        self.reads: list[_Read] = []


_watching: _Watch | None = None
_ONE_TRACE_AT_A_TIME = threading.Lock()


def _read_data(node: Value) -> float:
    """`node.data` while a trace runs: the slot's value, noting reads from outside the engine."""
    watch = _watching
    if watch is not None and watch.thread == threading.get_ident():
        frame = sys._getframe(1)
        if frame.f_code not in _COMPUTING:
            watch.reads.append(_Read(node, frame))
    value: float = _SLOT.__get__(node, Value)
    return value


_WATCHED_DATA = property(_read_data, _SLOT.__set__, doc=_SLOT.__doc__)


def _run_watched(fn: Callable[..., Any], arguments: Sequence[Any]) -> tuple[Any, list[_Read]]:
    """fn(*arguments) with reads of `Value.data` recorded."""
    global _watching
    if _watching is not None and _watching.thread == threading.get_ident():
        raise TraceError("trace: the traced function called trace itself; trace the outer one")
    with _ONE_TRACE_AT_A_TIME:
        watch = _Watch()
        _watching = watch
        setattr(Value, "data", _WATCHED_DATA)  # noqa: B010 - a slot's descriptor, swapped
        try:
            result = fn(*arguments)
        finally:
            setattr(Value, "data", _SLOT)  # noqa: B010
            _watching = None
    return result, watch.reads


# Judging the reads ---------------------------------------------------------------


def _dependencies(nodes: Sequence[Value], inputs: set[int], targets: set[int]) -> dict[int, int]:
    """For each node reachable from `nodes` (by id), the bits of what it depends on."""
    memo: dict[int, int] = {}
    for start in nodes:
        stack = [(start, False)]
        while stack:
            node, ready = stack.pop()
            key = id(node)
            if key in memo:
                continue
            if not node.inputs:
                memo[key] = (_INPUT if key in inputs else _TARGET if key in targets
                             else _PARAMETER if node.requires_grad else 0)
            elif ready:
                bits = 0
                for child in node.inputs:
                    bits |= memo[id(child)]
                memo[key] = bits
            else:
                stack.append((node, True))
                stack.extend((child, False) for child in node.inputs if id(child) not in memo)
    return memo


def _what(node: Value, bits: int) -> str:
    name = (f"{node.label!r}" if node.label
            else f"a node made by {node.op!r}" if node.inputs else "an unlabelled leaf")
    if not node.inputs and bits & _PARAMETER:
        return f"the parameter {name}, which training changes"
    if not node.inputs and bits & _INPUT:
        return f"the input {name}, which differs from sample to sample"
    varies = "the inputs" if bits & _INPUT else "the parameters"
    return f"{name}, which depends on {varies}"


def _judge(reads: list[_Read], inputs: set[int], targets: set[int]) -> tuple[str, ...]:
    """Raise `TraceError` for the first read that could branch; the target reads' places."""
    if not reads:
        return ()
    memo = _dependencies([r.node for r in reads], inputs, targets)
    target_reads: list[str] = []
    for read in reads:
        bits = memo[id(read.node)]
        if bits & (_INPUT | _PARAMETER):
            line = linecache.getline(read.filename, read.lineno).strip()
            raise TraceError(
                f"trace: the function reads the value of {_what(read.node, bits)}, at "
                f"{read.where}{read.caller}: {line!r}. A Python branch on it (if, max, "
                "min, a comparison) would be frozen into the program for every sample and "
                "every step; write it with the op table (relu, abs, clamp, softplus, "
                "logsumexp, ...) or run this function on the scalar engine",
                read.filename, read.lineno,
            )
        if bits & _TARGET and read.where not in target_reads:
            target_reads.append(read.where)
    return tuple(target_reads)


# Leaves from the example ------------------------------------------------------------


def _argument_names(fn: Callable[..., Any], count: int, has_target: bool) -> tuple[list[str], str]:
    """Names for the inputs of each argument and for the target: fn's parameter
    names where it has enough positional ones, else x (x1_, x2_, ...) and y."""
    try:
        parameters = list(inspect.signature(fn).parameters.values())
    except (TypeError, ValueError):
        parameters = []
    names = [p.name for p in parameters if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    if len(names) >= count + has_target:
        return names[:count], names[count] if has_target else ""
    return (["x"] if count == 1 else [f"x{k + 1}_" for k in range(count)]), "y"


def _leaves_for(item: object, name: str, what: str) -> tuple[Any, list[Value], int | None]:
    """One argument as leaf Values (a Value, or a list of them) and its shape."""
    if checks.is_number(item):
        leaf = Value(float(item), label=name, requires_grad=False)
        return leaf, [leaf], None
    if isinstance(item, (str, bytes, dict)) or not hasattr(item, "__iter__"):
        raise TypeError(f"trace: {what} must be a number or a list of numbers, "
                        f"got {checks.describe(item)}")
    leaves = []
    for j, x in enumerate(item):
        if not checks.is_number(x):
            raise TypeError(f"trace: {what}[{j}] must be a number, got {checks.describe(x)}")
        leaves.append(Value(float(x), label=f"{name}{j + 1}", requires_grad=False))
    return leaves, leaves, len(leaves)


# The trace ----------------------------------------------------------------------------


def trace(fn: Callable[..., Any], *example: Any, target: Any = NO_TARGET) -> Program:
    """Run `fn` once on one sample and return its graph as a `Program`.

    Each argument of `example` (a number, or a list of numbers) becomes leaf
    Values passed to `fn` in its place, named after fn's parameters (``x``
    gives ``x1, x2, ...``); these are the program's inputs, one number per
    sample in a replay. A `target` (a number or a list) is passed last and
    becomes the program's target slots. `fn` returns a Value (a loss) or a
    list of Values (a model's outputs). Every other leaf of its graph is a
    parameter (requires_grad, read at each replay) or a constant.

    Raises `TraceError` where `fn` reads a value that depends on an input or
    a parameter (see the module), naming the file and line.
    """
    if not callable(fn):
        raise TypeError(f"trace: fn must be callable, got {checks.describe(fn)}")
    if not is_recording():
        raise TraceError("trace: called inside no_grad(), where no graph is recorded")
    has_target = target is not NO_TARGET
    names, target_name = _argument_names(fn, len(example), has_target)
    arguments, inputs, shapes = [], [], []
    for position, item in enumerate(example):
        argument, leaves, shape = _leaves_for(item, names[position], f"example[{position}]")
        arguments.append(argument)
        inputs.extend(leaves)
        shapes.append(shape)
    targets: list[Value] = []
    target_shape = None
    if has_target:
        argument, targets, target_shape = _leaves_for(target, target_name, "target")
        arguments.append(argument)
    with collector_paused():
        result, reads = _run_watched(fn, arguments)
        outputs, single = _outputs_of(result)
        target_reads = _judge(reads, {id(v) for v in inputs}, {id(v) for v in targets})
        slots, instructions, parameters, slot_of = _slots_of(outputs, inputs, targets)
    return Program(slots, instructions, tuple(slot_of[id(v)] for v in outputs), parameters,
                   tuple(shapes), target_shape, has_target, single, target_reads)


def _outputs_of(result: object) -> tuple[list[Value], bool]:
    if isinstance(result, Value):
        return [result], True
    if isinstance(result, (list, tuple)) and result and all(isinstance(v, Value) for v in result):
        return list(result), False
    raise TypeError("trace: the function must return a Value (a loss) or a list of Values "
                    f"(a model's outputs), got {checks.describe(result)}")


def _leaf_kind(node: Value, inputs: set[int], targets: set[int]) -> str:
    if id(node) in inputs:
        return "input"
    if id(node) in targets:
        return "target"
    return "parameter" if node.requires_grad else "constant"


def _slots_of(
    outputs: list[Value], inputs: list[Value], targets: list[Value]
) -> tuple[tuple[Slot, ...], tuple[Instruction, ...], tuple[Value, ...], dict[int, int]]:
    """The graph that ends in `outputs` as slots and instructions, with the
    parameters' Values and each node's slot (by id)."""
    root = Value(0.0)
    root.inputs = tuple(outputs)
    order = evaluation_order(root)[:-1]
    input_ids, target_ids = {id(v) for v in inputs}, {id(v) for v in targets}
    leaves: dict[str, list[Value]] = {"input": list(inputs), "target": list(targets),
                                      "parameter": [], "constant": []}
    for node in order:
        if not node.inputs:
            kind = _leaf_kind(node, input_ids, target_ids)
            if kind in ("parameter", "constant"):
                leaves[kind].append(node)
    nodes = [*leaves["input"], *leaves["target"], *leaves["parameter"], *leaves["constant"]]
    nodes.extend(node for node in order if node.inputs)
    slot_of = {id(node): i for i, node in enumerate(nodes)}
    slots, instructions = _slots(nodes, leaves, slot_of)
    return tuple(slots), tuple(instructions), tuple(leaves["parameter"]), slot_of


def _slots(
    nodes: list[Value], leaves: dict[str, list[Value]], slot_of: dict[int, int]
) -> tuple[list[Slot], list[Instruction]]:
    """Each node's slot (kind, unique name, batched) and each computed node's instruction."""
    kinds = [kind for kind in ("input", "target", "parameter", "constant") for _ in leaves[kind]]
    names = unique_names([
        node.label or (f"n{i}" if node.inputs else f"p{i}" if kinds[i] == "parameter" else "")
        for i, node in enumerate(nodes)
    ])
    slots: list[Slot] = []
    instructions: list[Instruction] = []
    for i, node in enumerate(nodes):
        if not node.inputs:
            kind = kinds[i]
            name = names[i] or format_number(node.data)
            value = node.data if kind == "constant" else 0.0
            slots.append(Slot(kind, name, kind in ("input", "target"), value))
            continue
        op = op_of(node)
        if op.rule is None:
            raise TraceError(f"trace: op {op.name!r} has no array form (it was not written "
                             "with Op.from_rule), so it cannot be replayed on a batch")
        ins = tuple(slot_of[id(child)] for child in node.inputs)
        slots.append(Slot("computed", names[i], any(slots[j].batched for j in ins)))
        instructions.append(Instruction(op, i, ins))
    return slots, instructions

