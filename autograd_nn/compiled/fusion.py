"""Fusion: the program's neurons, a layer at a time, as matrix products.

A neuron is recorded as ``u = Σ(w1 · x1, ..., wk · xk, b)`` followed by its
activation ``h = tanh(u)``. The neurons of one layer read the same inputs
``x1..xk``, so their sums are one matrix product ``U = W X + b`` (W holding
a row of weights per neuron, X a row per input, a column per sample), and
their activations one array call ``H = tanh(U)``. `find_blocks` finds such
groups in any program (it looks at the instructions, not at the model);
`schedule` orders the blocks and the remaining single instructions so each
runs after what it reads. The replay (`replay.py`) runs them.

The numbers differ from the single instructions' only in rounding (a matrix
product adds in its own order); a value that is not finite sends the replay
back to single instructions, which raise the scalar engine's errors.
"""

from __future__ import annotations

import heapq
from collections.abc import Sequence
from dataclasses import dataclass

from ..ops import OPS, Op
from .program import Instruction, Program

__all__ = ["Block", "find_blocks", "schedule", "uses"]

_SUM, _MUL = OPS["sum"], OPS["*"]


@dataclass(frozen=True)
class Block:
    """One layer of neurons: ``outs = activation(W @ xs + b)``, fused."""

    xs: tuple[int, ...]
    """The input slots, k of them, shared by every neuron of the block."""
    sums: tuple[int, ...]
    """The m sum slots, one per neuron."""
    outs: tuple[int, ...]
    """What the block gives: the activations' slots, or the sums' if none is fused."""
    weights: tuple[int, ...]
    """The m*k weight slots (parameters), neuron by neuron."""
    biases: tuple[int, ...]
    """The m bias slots, or none."""
    activation: Op | None
    extra: tuple[int, ...]
    """The activation's other inputs (constant slots, e.g. leaky_relu's slope)."""
    members: tuple[int, ...]
    """The positions of the instructions the block replaces."""


@dataclass(frozen=True)
class _Neuron:
    sum_position: int
    xs: tuple[int, ...]
    weights: tuple[int, ...]
    bias: int | None
    products: tuple[int, ...]


def uses(program: Program) -> list[list[int]]:
    """For each slot, the positions of the instructions that read it (-1: an output)."""
    readers: list[list[int]] = [[] for _ in program.slots]
    for position, ins in enumerate(program.instructions):
        for slot in ins.inputs:
            readers[slot].append(position)
    for slot in program.outputs:
        readers[slot].append(-1)
    return readers


def _neuron(
    program: Program, position: int, producer: dict[int, int], readers: list[list[int]]
) -> _Neuron | None:
    """The sum at `position` as ``Σ(w·x, ..., b)`` with parameter weights, or None."""
    parameters = set(program.parameter_slots)
    xs: list[int] = []
    weights: list[int] = []
    products: list[int] = []
    bias = None
    for slot in program.instructions[position].inputs:
        if slot in parameters and bias is None:
            bias = slot
            continue
        at = producer.get(slot)
        if at is None or len(readers[slot]) != 1:
            return None
        product = program.instructions[at]
        if product.op is not _MUL:
            return None
        a, b = product.inputs
        weight, x = (a, b) if a in parameters else (b, a)
        if weight not in parameters or x in parameters or not program.slots[x].batched:
            return None
        xs.append(x)
        weights.append(weight)
        products.append(at)
    if not xs:
        return None
    return _Neuron(position, tuple(xs), tuple(weights), bias, tuple(products))


def _activation(
    program: Program, neurons: Sequence[_Neuron], readers: list[list[int]]
) -> tuple[Op, tuple[int, ...], list[int]] | None:
    """The one activation every neuron's sum goes into (same op and constants), or None."""
    found: list[Instruction] = []
    positions: list[int] = []
    for neuron in neurons:
        out = program.instructions[neuron.sum_position].out
        reading = readers[out]
        if len(reading) != 1 or reading[0] < 0:
            return None
        ins = program.instructions[reading[0]]
        extra = ins.inputs[1:]
        if (ins.op is None or ins.inputs[0] != out
                or any(program.slots[s].kind != "constant" for s in extra)):
            return None
        found.append(ins)
        positions.append(reading[0])
    first = found[0]
    if first.op is None:
        return None
    values = [program.slots[s].value for s in first.inputs[1:]]
    for ins in found:
        if ins.op is not first.op or [program.slots[s].value for s in ins.inputs[1:]] != values:
            return None
    return first.op, first.inputs[1:], positions


def find_blocks(program: Program) -> list[Block]:
    """The program's layers: sums of weighted inputs grouped by the inputs they share."""
    readers = uses(program)
    producer = {ins.out: position for position, ins in enumerate(program.instructions)}
    groups: dict[tuple[tuple[int, ...], bool], list[_Neuron]] = {}
    for position, ins in enumerate(program.instructions):
        if ins.op is _SUM and program.slots[ins.out].batched:
            neuron = _neuron(program, position, producer, readers)
            if neuron is not None:
                groups.setdefault((neuron.xs, neuron.bias is not None), []).append(neuron)
    blocks = []
    for (xs, _), neurons in groups.items():
        sums = tuple(program.instructions[n.sum_position].out for n in neurons)
        members = [p for n in neurons for p in (*n.products, n.sum_position)]
        fused = _activation(program, neurons, readers)
        outs: tuple[int, ...] = sums
        op: Op | None = None
        extra: tuple[int, ...] = ()
        if fused is not None:
            op, extra, positions = fused
            outs = tuple(program.instructions[p].out for p in positions)
            members.extend(positions)
        blocks.append(Block(
            xs, sums, outs, tuple(w for n in neurons for w in n.weights),
            tuple(n.bias for n in neurons if n.bias is not None), op, extra, tuple(members),
        ))
    return blocks


Step = Block | int
"""What the replay runs: a block, or a single instruction by its position."""


def schedule(program: Program, blocks: Sequence[Block]) -> list[Step] | None:
    """Blocks and the remaining instructions in an order where each runs after
    what it reads (near the program's own order); None if there is none."""
    covered = {p: b for b in blocks for p in b.members}
    steps: list[Step] = [*blocks, *(p for p in range(len(program)) if p not in covered)]
    made_by: dict[int, int] = {}
    for index, step in enumerate(steps):
        for slot in _writes(program, step):
            made_by[slot] = index
    waiting = [0] * len(steps)
    readers: list[list[int]] = [[] for _ in steps]
    for index, step in enumerate(steps):
        for source in {made_by[s] for s in _reads(program, step) if s in made_by} - {index}:
            waiting[index] += 1
            readers[source].append(index)
    first = [min(s.members) if isinstance(s, Block) else s for s in steps]
    ready = [(first[i], i) for i in range(len(steps)) if waiting[i] == 0]
    heapq.heapify(ready)
    order: list[Step] = []
    while ready:
        _, index = heapq.heappop(ready)
        order.append(steps[index])
        for reader in readers[index]:
            waiting[reader] -= 1
            if waiting[reader] == 0:
                heapq.heappush(ready, (first[reader], reader))
    return order if len(order) == len(steps) else None


def _writes(program: Program, step: Step) -> tuple[int, ...]:
    return step.outs if isinstance(step, Block) else (program.instructions[step].out,)


def _reads(program: Program, step: Step) -> tuple[int, ...]:
    if isinstance(step, Block):
        return (*step.xs, *step.weights, *step.biases, *step.extra)
    return program.instructions[step].inputs
