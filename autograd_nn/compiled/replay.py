"""Replaying a `Program` over a batch with numpy: forward, then backward.

Each slot that depends on an input or a target holds a float64 array of N
samples; a slot that depends only on parameters and constants holds one
float, computed with the op's float form (what the scalar engine runs).
Every op runs its one rule from the op table (`arrays.array_rule`), forward
and derivatives, so the replay never states a derivative of its own.

Backward walks the steps in reverse, multiplying each slot's upstream
gradient by the rule's local derivatives, as `Value.backward` does for one
sample. A gradient leaving the batch (reaching a parameter, or a slot that
holds one float) is summed over the samples there, so a parameter's gradient
is the batch sum of its per-sample gradients.

Errors: the forward runs with numpy raising on overflow; any overflow or
refused operand sends the batch through the single instructions again, each
result checked as the scalar engine checks a node, so the error is the
engine's own, naming the op, the operands and the sample.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from ..engine import Value
from ..ops import check_overflow as check_float_overflow
from .arrays import array_rule, check_overflow
from .fusion import Block, find_blocks, schedule, uses
from .program import Instruction, Program

__all__ = ["Replay", "evaluate_program"]

Array = npt.NDArray[np.float64]
_data = operator.attrgetter("data")


@dataclass(frozen=True)
class _Single:
    """One instruction, ready to run: its functions bound once."""

    instruction: Instruction
    forward: Callable[..., Any]
    derivatives: Callable[..., tuple[Any, ...]]
    batched: bool


@dataclass(frozen=True)
class _Fused:
    """A block, ready to run: its activation's functions bound and its neighbours known."""

    block: Block
    forward: Callable[..., Any] | None
    derivatives: Callable[..., tuple[Any, ...]] | None
    source: int | None
    """The step of the block whose outputs are exactly this block's inputs (-1: the
    program's inputs, in order), or None: the inputs are stacked row by row."""
    export: tuple[tuple[int, int], ...]
    """(row, slot) of the outputs that single instructions or the caller read."""
    weight_values: tuple[Value, ...]
    bias_values: tuple[Value, ...]


class Replay:
    """A program made ready to run on batches, fused into blocks or not."""

    def __init__(self, program: Program, fuse: bool = True) -> None:
        self.program = program
        blocks = find_blocks(program) if fuse else []
        order = schedule(program, blocks) if blocks else None
        if order is None:
            blocks, order = [], list(range(len(program)))
        self.blocks = blocks
        at = {id(step): index for index, step in enumerate(order) if isinstance(step, Block)}
        readers = uses(program)
        self.steps: list[_Single | _Fused] = [
            self._fused(step, blocks, at, readers) if isinstance(step, Block)
            else self._single(step)
            for step in order
        ]
        self.needs_grad = _needs_grad(program)
        self._batched = [s.batched for s in program.slots]
        self._leaves: list[Any] = [s.value if s.kind == "constant" else None
                                   for s in program.slots]
        used_by_singles = {i for s in self.steps if isinstance(s, _Single)
                           for i in s.instruction.inputs}
        self._single_parameters = tuple(
            (slot, value) for slot, value in zip(program.parameter_slots, program.parameters)
            if slot in used_by_singles or slot in program.outputs
        )
        self._careful: Replay | None = None if fuse and blocks else self
        self._buffers: dict[tuple[int, str], Array] = {}

    def _single(self, position: int) -> _Single:
        ins = self.program.instructions[position]
        batched = self.program.slots[ins.out].batched
        if ins.op is None:
            return _Single(ins, _no_function, _no_derivatives, True)
        if batched:
            forward, derivatives = array_rule(ins.op)
            return _Single(ins, forward, derivatives, True)
        return _Single(ins, ins.op.forward, ins.op.derivatives, False)

    def _fused(
        self, block: Block, blocks: Sequence[Block], at: dict[int, int], readers: list[list[int]]
    ) -> _Fused:
        forward = derivatives = None
        if block.activation is not None:
            forward, derivatives = array_rule(block.activation)
        source = next((at[id(b)] for b in blocks if b.outs == block.xs), None)
        if source is None and block.xs == self.program.input_slots:
            source = -1
        fed = {p for b in blocks if b.xs == block.outs for p in b.members}
        export = tuple((row, slot) for row, slot in enumerate(block.outs)
                       if any(p not in fed for p in readers[slot]))  # -1: an output
        parameters = dict(zip(self.program.parameter_slots, self.program.parameters))
        return _Fused(block, forward, derivatives, source, export,
                      tuple(parameters[s] for s in block.weights),
                      tuple(parameters[s] for s in block.biases))

    def _buffer(self, index: int, name: str, shape: tuple[int, int]) -> Array:
        """A block's work array, kept from call to call: a fresh megabyte-sized
        array per step costs more in page faults than its arithmetic."""
        buffer = self._buffers.get((index, name))
        if buffer is None or buffer.shape != shape:
            buffer = self._buffers[(index, name)] = np.empty(shape)
        return buffer

    def _upstream(
        self, index: int, block: Block, grads: list[Any], g: Array | None,
        shape: tuple[int, int],
    ) -> Array | None:
        """A block's upstream gradient, one row per output: what the blocks it
        feeds sent (`g`, ours to change) plus what single instructions sent."""
        for row, slot in enumerate(block.outs):
            if grads[slot] is not None:
                if g is None:
                    g = self._buffer(index, "g", shape)
                    g.fill(0.0)
                g[row] += grads[slot]
        return g

    @property
    def careful(self) -> Replay:
        """The same program as single instructions: slower, each result checked."""
        if self._careful is None:
            self._careful = Replay(self.program, fuse=False)
        return self._careful

    # Forward ----------------------------------------------------------------------

    def leaves(self, inputs: Array, targets: Array | None) -> tuple[list[Any], dict[int, Any]]:
        """The slots' starting values: inputs (rows of samples), targets, parameters now."""
        values = list(self._leaves)
        for slot, row in zip(self.program.input_slots, inputs):
            values[slot] = row
        if targets is not None:
            for slot, row in zip(self.program.target_slots, targets):
                values[slot] = row
        for slot, parameter in self._single_parameters:
            values[slot] = parameter.data
        return values, {-1: inputs}

    def forward(
        self, values: list[Any], matrices: dict[int, Any], variant: Any, check: bool
    ) -> None:
        """Fill every slot of `values`; `check`: test each result as the engine does."""
        for index, step in enumerate(self.steps):
            if isinstance(step, _Fused):
                matrices[index] = self._block_forward(step, index, values, matrices)
                continue
            ins = step.instruction
            operands = [values[i] for i in ins.inputs]
            if ins.op is None:
                values[ins.out] = _pick(variant, operands)
                continue
            out = values[ins.out] = step.forward(*operands)
            if not step.batched:
                if out - out != 0.0:
                    check_float_overflow(ins.op, operands, out)
            elif check and not np.all(np.isfinite(out)):
                check_overflow(ins.op, operands, out)

    def _block_forward(
        self, step: _Fused, index: int, values: list[Any], matrices: dict[int, Any]
    ) -> tuple[Array, Array, Array, Array]:
        """``h = activation(W x + b)`` for the whole batch; its rows go where singles read them."""
        block = step.block
        if step.source is None:
            x = np.stack([np.broadcast_to(values[s], values[block.xs[0]].shape)
                          for s in block.xs])
        else:
            x = matrices[step.source][3] if step.source >= 0 else matrices[-1]
        m = len(block.sums)
        w = np.fromiter(map(_data, step.weight_values), np.float64, m * len(block.xs))
        w = w.reshape(m, len(block.xs))
        u = np.matmul(w, x, out=self._buffer(index, "u", (m, x.shape[1])))
        if step.bias_values:
            u += np.fromiter(map(_data, step.bias_values), np.float64, m)[:, None]
        h = u
        if step.forward is not None:
            h = step.forward(u, *[values[s] for s in block.extra])
        if not math.isfinite(float(u.sum())):  # numpy flags overflow too; this is cheap
            raise FloatingPointError("a block's sums are not all finite")
        for row, slot in step.export:
            values[slot] = h[row]
        return x, w, u, h

    # Backward ---------------------------------------------------------------------

    def backward(
        self, values: list[Any], matrices: dict[int, Any], seeds: Sequence[tuple[int, Any]],
        masks: Sequence[Array], n: int,
    ) -> None:
        """Add d(outputs·seeds)/d parameter, summed over the batch, to each parameter's grad.

        A batched slot's gradient is an array (or one float for every sample);
        an unbatched slot's is one float, the batch's sum.
        """
        grads: list[Any] = [None] * len(values)
        for slot, seed in seeds:
            grads[slot] = seed
        batched = self._batched
        from_blocks: dict[int, Any] = {}
        for index in range(len(self.steps) - 1, -1, -1):
            step = self.steps[index]
            if isinstance(step, _Fused):
                self._block_backward(step, index, values, grads, matrices, from_blocks)
                continue
            ins = step.instruction
            upstream = grads[ins.out]
            if upstream is None:
                continue
            if ins.op is None:
                local: Sequence[Any] = masks
            else:
                local = step.derivatives(values[ins.out], *[values[i] for i in ins.inputs])
            for slot, derivative in zip(ins.inputs, local):
                if not self.needs_grad[slot]:
                    continue
                part = upstream if type(derivative) is float and derivative == 1.0 else (
                    upstream * derivative)
                if step.batched and not batched[slot]:
                    part = float(np.sum(part)) if isinstance(part, np.ndarray) else part * n
                grads[slot] = part if grads[slot] is None else grads[slot] + part
        for slot, parameter in self._single_parameters:
            if grads[slot] is not None:
                parameter.grad += float(grads[slot])

    def _block_backward(
        self, step: _Fused, index: int, values: list[Any], grads: list[Any],
        matrices: dict[int, Any], from_blocks: dict[int, Any],
    ) -> None:
        """Through one block: the weights' and biases' batch sums, then its inputs."""
        block = step.block
        x, w, u, h = matrices[index]
        g = self._upstream(index, block, grads, from_blocks.pop(index, None), h.shape)
        if g is None:
            return
        if step.derivatives is not None:  # g is ours (made here or by `dx` below): in place
            g *= step.derivatives(h, u, *[values[s] for s in block.extra])[0]
        for parameter, part in zip(step.weight_values, (g @ x.T).ravel().tolist()):
            parameter.grad += part
        if step.bias_values:
            for parameter, part in zip(step.bias_values, g.sum(axis=1).tolist()):
                parameter.grad += part
        if not any(self.needs_grad[s] for s in block.xs):
            return
        dx = np.matmul(w.T, g, out=self._buffer(index, "dx", (w.shape[1], g.shape[1])))
        if step.source is not None and step.source >= 0:
            before = from_blocks.get(step.source)
            from_blocks[step.source] = dx if before is None else before + dx
            return
        for row, slot in enumerate(block.xs):
            if self.needs_grad[slot]:
                grads[slot] = dx[row] if grads[slot] is None else grads[slot] + dx[row]


def _pick(variant: npt.NDArray[np.intp], operands: Sequence[Any]) -> Array:
    """A select: each sample's value from the operand its variant names (any number of them)."""
    table = np.empty((len(operands), variant.shape[0]))
    for row, operand in enumerate(operands):
        table[row] = operand
    picked: Array = np.take_along_axis(table, variant[None, :], axis=0)[0]
    return picked


def _no_function(*operands: Any) -> Any:
    raise AssertionError("a select has no function")  # never called: selects are special


def _no_derivatives(*operands: Any) -> tuple[Any, ...]:
    raise AssertionError("a select has no derivatives")


def _needs_grad(program: Program) -> list[bool]:
    """Whether each slot leads to a parameter (so backward has to reach it)."""
    needs = [s.kind == "parameter" for s in program.slots]
    for ins in program.instructions:
        needs[ins.out] = any(needs[i] for i in ins.inputs)
    return needs


def run_forward(
    replay: Replay, inputs: Array, targets: Array | None, variant: Any
) -> tuple[Replay, list[Any], dict[int, Any]]:
    """The forward pass over a batch (`inputs` and `targets` one row per slot,
    `inputs` of shape (0, N) for a function of no input):
    the replay that ran it, the slots' values and the blocks' matrices.

    Numpy raises on overflow; then, as on any error, the single instructions
    run again with each result checked, so the error raised is the scalar
    engine's (op, operands, sample). Should they find nothing wrong (an
    intermediate overflow inside a matrix product), their values are used.
    """
    values, matrices = replay.leaves(inputs, targets)
    try:
        with np.errstate(over="raise", divide="ignore", invalid="ignore", under="ignore"):
            replay.forward(values, matrices, variant, check=False)
        return replay, values, matrices
    except (ArithmeticError, ValueError):
        careful = replay.careful
        values, matrices = careful.leaves(inputs, targets)
        with np.errstate(all="ignore"):
            careful.forward(values, matrices, variant, check=True)
        return careful, values, matrices


def as_rows(
    batch: Sequence[Any], shapes: Sequence[int | None], what: str
) -> tuple[Array, int]:
    """Arguments' batches as one row per slot (k x N), checked: numbers, finite, N each."""
    rows: list[Array] = []
    n = -1
    for position, (items, shape) in enumerate(zip(batch, shapes, strict=True)):
        name = f"{what}[{position}]" if len(shapes) > 1 else what
        array = checked_batch(items, shape, name)
        if n not in (-1, array.shape[0]):
            raise ValueError(f"{name} has {array.shape[0]} samples, the one before {n}")
        n = array.shape[0]
        rows.extend(array.reshape(n, -1).T)
    if n == -1:
        raise ValueError(f"{what}: no samples")
    return np.ascontiguousarray(np.array(rows).reshape(len(rows), n)), n


def checked_batch(items: Any, shape: int | None, name: str) -> Array:
    """`items` as a float64 array of N samples of `shape` (None: one number each).

    Refused with a message naming the sample: anything but real numbers (a
    bool included), a sample of the wrong length, NaN or infinity.
    """
    try:
        raw = np.asarray(items)
    except ValueError:
        raise ValueError(f"{name}: samples of different lengths") from None
    if raw.dtype == np.bool_ or raw.dtype.kind not in "iuf":
        raise TypeError(f"{name} must hold real numbers, got {raw.dtype.name} data"
                        + (" (booleans are not numbers here)" if raw.dtype == np.bool_ else ""))
    expected = (raw.shape[0],) if shape is None else (raw.shape[0], shape)
    if raw.ndim == 0 or raw.shape != expected or raw.shape[0] == 0:
        each = "one number" if shape is None else f"{shape} numbers"
        raise ValueError(f"{name} must hold at least one sample of {each}, "
                         f"got an array of shape {raw.shape}")
    array = raw.astype(np.float64, copy=False)
    bad = ~np.isfinite(array)
    if bad.any():
        sample = int(np.flatnonzero(bad.reshape(array.shape[0], -1).any(axis=1))[0])
        raise ValueError(f"{name}: sample {sample} holds {array[sample].tolist()!r}, "
                         "not finite numbers")
    return array


def evaluate_program(program: Program, batch: Sequence[Any], target: Any) -> list[Array]:
    """`Program.forward`: the outputs over a batch, one array of N values each."""
    if len(batch) != len(program.input_shape):
        raise TypeError(f"Program.forward: the program was traced with "
                        f"{len(program.input_shape)} arguments, got {len(batch)}")
    inputs, n = as_rows(batch, program.input_shape, "batch")
    targets = None
    if program.has_target:
        if target is None:
            raise TypeError("Program.forward: the program was traced with a target; pass target=")
        targets, _ = as_rows([target], [program.target_shape], "target")
        if targets.shape[1] != n:
            raise ValueError(f"target has {targets.shape[1]} samples but the batch {n}")
    if program.target_keys:
        raise TypeError("Program.forward: this program selects by target; run it with compile")
    replay = Replay(program)
    _, values, _ = run_forward(replay, inputs, targets, None)
    return [np.broadcast_to(np.asarray(values[slot], dtype=np.float64), (n,)).copy()
            for slot in program.outputs]
