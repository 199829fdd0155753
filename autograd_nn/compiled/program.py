"""`Program`: one sample's recorded graph as a flat list of instructions.

A program has *slots* (numbered places for a number) and *instructions*
(``out = op(inputs...)``, an op of the table). The first slots are the leaves:
the inputs and targets, which hold one number per sample of a batch, then the
parameters, read from their `Value` at each replay, then the constants, fixed
when the program was traced. Each instruction fills one more slot, in an
order where every input is filled first: the graph's evaluation order.

Printed, a program reads like the lecture's evaluation table::

    input      x1
    input      x2
    parameter  w1
    ...
    n5 = w1 · x1
    h1 = tanh(u1)

A *select* is the one instruction that is not an op: where programs traced
for different target values differ only in which slot an op reads (the
class score cross-entropy picks), one program serves them all and the select
picks, sample by sample, the slot its target's program reads.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from ..engine import Value
from ..explain.notation import format_number, written
from ..ops import Op

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

__all__ = ["KINDS", "Instruction", "Program", "Slot", "TargetKey"]

KINDS = ("input", "target", "parameter", "constant", "computed")
"""What a slot holds: a leaf of one of the first four kinds, or an instruction's result."""

TargetKey = tuple[float, ...]
"""One sample's target values, as a key to the program traced with them."""


@dataclass(frozen=True)
class Slot:
    """One numbered place of a program: what it holds and what it is called."""

    kind: str
    name: str
    batched: bool
    """Whether it holds one number per sample (it depends on an input or a target)."""
    value: float = 0.0
    """A constant's value (fixed when traced); 0 for every other kind."""


@dataclass(frozen=True)
class Instruction:
    """``slots[out] = op(slots[inputs[0]], ...)``; a select when `op` is None.

    A select's inputs are one slot per target value the program knows, in
    `Program.target_keys` order: each sample gets the slot of its target's.
    """

    op: Op | None
    out: int
    inputs: tuple[int, ...]


@dataclass(frozen=True)
class Program:
    """One sample's graph as instructions, to replay over a batch (see the module)."""

    slots: tuple[Slot, ...]
    instructions: tuple[Instruction, ...]
    outputs: tuple[int, ...]
    parameters: tuple[Value, ...]
    """The parameter slots' Values, in slot order (`parameter_slots`)."""
    input_shape: tuple[int | None, ...]
    """Per argument of the traced function: None for one number, else its length."""
    target_shape: int | None = None
    """None for one number per sample, else the target's length."""
    has_target: bool = False
    single_output: bool = True
    """Whether the traced function returned one Value (not a list of them)."""
    target_reads: tuple[str, ...] = ()
    """Where the traced function read a target's value (file:line), if it did."""
    target_keys: tuple[TargetKey, ...] = ()
    """The target values its selects choose by (empty: the program has no select)."""
    _kinds: dict[str, tuple[int, ...]] = field(default_factory=dict, repr=False, compare=False)

    def __post_init__(self) -> None:
        for kind in KINDS:
            self._kinds[kind] = tuple(i for i, s in enumerate(self.slots) if s.kind == kind)

    def slots_of(self, kind: str) -> tuple[int, ...]:
        """The numbers of the slots of one kind ("input", "parameter", ...), in order."""
        return self._kinds[kind]

    @property
    def input_slots(self) -> tuple[int, ...]:
        """The inputs' slots, one per number of a sample, in the arguments' order."""
        return self._kinds["input"]

    @property
    def target_slots(self) -> tuple[int, ...]:
        """The targets' slots (none when the function was traced without a target)."""
        return self._kinds["target"]

    @property
    def parameter_slots(self) -> tuple[int, ...]:
        """The parameters' slots, in the order of `parameters`."""
        return self._kinds["parameter"]

    def __len__(self) -> int:
        """The number of instructions."""
        return len(self.instructions)

    def __repr__(self) -> str:
        counts = ", ".join(
            f"{len(self._kinds[k])} {k}s" for k in KINDS[:4] if self._kinds[k]
        )
        return f"<Program: {len(self)} instructions; {counts}>"

    def __str__(self) -> str:
        """The evaluation table: the leaves, then one line per instruction."""
        lines = [f"program: {len(self)} instructions, output "
                 + ", ".join(self.slots[i].name for i in self.outputs)]
        for slot in self.slots:
            if slot.kind == "constant":
                shown = format_number(slot.value)
                named = shown if slot.name == shown else f"{slot.name} = {shown}"
                lines.append(f"  constant   {named}")
            elif slot.kind != "computed":
                lines.append(f"  {slot.kind:<10} {slot.name}")
        lines.extend(f"  {self.slots[ins.out].name} = {self.expression(ins)}"
                     for ins in self.instructions)
        return "\n".join(lines)

    def expression(self, instruction: Instruction) -> str:
        """The right-hand side of one instruction, e.g. ``w1 · x1`` or ``tanh(u1)``."""
        names = [self.slots[i].name for i in instruction.inputs]
        if instruction.op is not None:
            return written(instruction.op, names)
        target = self.slots[self.target_slots[0]].name if self.target_slots else "target"
        return ", ".join(f"{name} if {target} = {_key_text(key)}"
                         for name, key in zip(names, self.target_keys))

    def forward(self, *batch: Any, target: Any = None) -> list[npt.NDArray[np.float64]]:
        """The outputs for a whole batch: one array of N values per output.

        `batch` holds, per argument of the traced function, its N samples
        (an array of N numbers, or N rows of the argument's length); `target`
        the N targets if the function took one. Parameters are read now.
        """
        from .replay import evaluate_program

        return evaluate_program(self, batch, target)


def _key_text(key: TargetKey) -> str:
    if len(key) == 1:
        return format_number(key[0])
    return "(" + ", ".join(map(format_number, key)) + ")"


def unique_names(names: Sequence[str]) -> list[str]:
    """`names` with repeats told apart: the second ``h`` becomes ``h#2`` ("" stays "")."""
    seen: dict[str, int] = {}
    out: list[str] = []
    for name in names:
        if not name:
            out.append(name)
            continue
        seen[name] = seen.get(name, 0) + 1
        out.append(name if seen[name] == 1 else f"{name}#{seen[name]}")
    return out


# Comparing and merging the programs traced for different targets ----------------


def first_difference(a: Program, b: Program, *, selectable: bool) -> str:
    """Where two traces differ ("" if nowhere). With `selectable`, a different
    input slot or constant value is allowed: a select can serve both."""
    if len(a.slots) != len(b.slots) or len(a) != len(b):
        return (f"{len(a)} instructions over {len(a.slots)} slots against "
                f"{len(b)} over {len(b.slots)}")
    for x, y in zip(a.slots, b.slots):
        if x.kind != y.kind or x.batched != y.batched:
            return f"slot {x.name} is a {x.kind} in one and a {y.kind} in the other"
        if x.kind == "constant" and x.value != y.value and not selectable:
            return f"constant {x.name}: {format_number(x.value)} against {format_number(y.value)}"
    if any(p is not q for p, q in zip(a.parameters, b.parameters)):
        return "they use different parameters"
    for x_ins, y_ins in zip(a.instructions, b.instructions):
        if x_ins.op is not y_ins.op or len(x_ins.inputs) != len(y_ins.inputs):
            return f"instruction {a.slots[x_ins.out].name} = {a.expression(x_ins)}"
        if x_ins.inputs != y_ins.inputs and not selectable:
            return (f"{a.slots[x_ins.out].name} = {a.expression(x_ins)} against "
                    f"{b.expression(y_ins)}")
    return ""


def merged(variants: Sequence[tuple[TargetKey, Program]]) -> Program:
    """One program for all `variants` (programs of the same shape, see
    `first_difference`), with a select wherever they read different slots.

    A constant whose value differs between variants becomes the result of a
    select of constants, one per variant, placed before the first instruction.
    """
    keys = tuple(key for key, _ in variants)
    programs = [program for _, program in variants]
    base = programs[0]
    slots = list(base.slots)
    instructions: list[Instruction] = []
    for i, slot in enumerate(base.slots):
        values = [p.slots[i].value for p in programs]
        if slot.kind == "constant" and len(set(values)) > 1:
            unlabelled = slot.name == format_number(slot.value)
            choices = []
            for key, value in zip(keys, values):
                choices.append(len(slots))
                name = format_number(value) if unlabelled else f"{slot.name}[{_key_text(key)}]"
                slots.append(Slot("constant", name, False, value))
            slots[i] = Slot("computed", f"n{i}" if unlabelled else slot.name, True)
            instructions.append(Instruction(None, i, tuple(choices)))
    selects = len(instructions)
    for position, ins in enumerate(base.instructions):
        inputs = list(ins.inputs)
        for j in range(len(inputs)):
            picked = [p.instructions[position].inputs[j] for p in programs]
            if len(set(picked)) > 1:
                inputs[j] = len(slots)
                slots.append(Slot("computed", f"{slots[ins.out].name}.{j + 1}", True))
                instructions.append(Instruction(None, inputs[j], tuple(picked)))
        instructions.append(Instruction(ins.op, ins.out, tuple(inputs)))
    if not selects and len(instructions) == len(base.instructions):
        return base
    batched = _batched(slots, instructions)
    return replace(base, slots=tuple(batched), instructions=tuple(instructions),
                   target_keys=keys, _kinds={})


def _batched(slots: list[Slot], instructions: list[Instruction]) -> list[Slot]:
    """The slots with `batched` recomputed: a select is batched, and so is what reads it."""
    out = list(slots)
    for ins in instructions:
        is_batched = ins.op is None or any(out[i].batched for i in ins.inputs)
        out[ins.out] = replace(out[ins.out], batched=is_batched)
    return out

