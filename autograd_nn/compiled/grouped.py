"""Replaying a program of parameters alone (a penalty) one array call per group.

A penalty such as ``alpha * Σ p²`` holds no batch: every slot is one float.
Run node by node it costs a Python call per parameter. Here the slots are
one float64 vector, and the instructions that have the same op and the same
level (the longest path from a leaf) run as one array call on the entries
they read: the 337 squares of an MLP's parameters are one multiplication.
An op with any number of inputs (`sum`) runs once, with its float form, on
its inputs' entries. Each op's forward and derivatives are still its one rule
from the op table, on arrays (`arrays.array_rule`) or floats.

Should numpy overflow or an op refuse an operand, the program runs again one
instruction at a time (`replay.Replay`), which raises the scalar engine's error.
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from ..ops import Op
from ..ops import check_overflow as check_float_overflow
from .arrays import array_rule
from .program import Program
from .replay import Replay, run_forward

__all__ = ["GroupedReplay"]

Indices = npt.NDArray[np.intp]
_data = operator.attrgetter("data")


@dataclass(frozen=True)
class _Group:
    """Instructions of one op and level: ``values[outs] = op(values[ins[0]], ...)``."""

    op: Op
    outs: Indices
    ins: tuple[Indices, ...]
    forward: Callable[..., Any]
    derivatives: Callable[..., tuple[Any, ...]]
    wide: bool
    """An op of any number of inputs: one instruction, run on floats."""


class GroupedReplay:
    """A program with no batched slot, run one array call per group (see the module)."""

    def __init__(self, program: Program) -> None:
        if any(slot.batched for slot in program.slots):
            raise ValueError("GroupedReplay runs programs of parameters and constants only")
        self.program = program
        self._constants = np.array([s.value for s in program.slots])
        self._parameters = np.array(program.parameter_slots, dtype=np.intp)
        self.groups = _groups(program)

    def run(self) -> float:
        """The program's one output; its gradient is added to each parameter's grad."""
        values = self._constants.copy()
        values[self._parameters] = np.fromiter(
            map(_data, self.program.parameters), np.float64, len(self._parameters))
        try:
            with np.errstate(over="raise", divide="ignore", invalid="ignore", under="ignore"):
                self._forward(values)
        except (ArithmeticError, ValueError):
            return self._one_by_one()
        out = self.program.outputs[0]
        with np.errstate(all="ignore"):
            grads = self._backward(values, out)
        for parameter, grad in zip(self.program.parameters, grads[self._parameters].tolist()):
            parameter.grad += grad
        return float(values[out])

    def _forward(self, values: npt.NDArray[np.float64]) -> None:
        for group in self.groups:
            operands = [values[i] for i in group.ins]
            if group.wide:
                floats = operands[0].tolist()
                result = group.forward(*floats)
                if result - result != 0.0:
                    check_float_overflow(group.op, floats, result)
            else:
                result = group.forward(*operands)
            values[group.outs] = result

    def _backward(self, values: npt.NDArray[np.float64], out: int) -> npt.NDArray[np.float64]:
        grads = np.zeros(len(values))
        grads[out] = 1.0
        for group in reversed(self.groups):
            upstream = grads[group.outs]
            if group.wide:
                local = group.derivatives(float(values[group.outs[0]]),
                                          *values[group.ins[0]].tolist())
                np.add.at(grads, group.ins[0], upstream * np.array(local))
                continue
            local = group.derivatives(values[group.outs], *[values[i] for i in group.ins])
            for indices, derivative in zip(group.ins, local):
                np.add.at(grads, indices, upstream * derivative)
        return grads

    def _one_by_one(self) -> float:
        """The program one instruction at a time: the scalar engine's errors, or its result."""
        replay, values, matrices = run_forward(
            Replay(self.program, fuse=False), np.empty((0, 1)), None, None)
        out = self.program.outputs[0]
        with np.errstate(all="ignore"):
            replay.backward(values, matrices, [(out, 1.0)], [], 1)
        return float(values[out])


def _groups(program: Program) -> list[_Group]:
    """The instructions grouped by level and op, lowest level first."""
    level = [0] * len(program.slots)
    members: dict[tuple[int, int, int], list[int]] = {}
    for position, ins in enumerate(program.instructions):
        if ins.op is None:
            raise ValueError("GroupedReplay runs programs without selects")
        level[ins.out] = 1 + max((level[i] for i in ins.inputs), default=0)
        wide = ins.op.arity is None
        key = (level[ins.out], id(ins.op), position if wide else -1)
        members.setdefault(key, []).append(position)
    groups = []
    for key in sorted(members):
        found = [program.instructions[p] for p in members[key]]
        op = found[0].op
        assert op is not None
        wide = op.arity is None
        outs = np.array([ins.out for ins in found], dtype=np.intp)
        if wide:
            wide_inputs = (np.array(found[0].inputs, dtype=np.intp),)
            groups.append(_Group(op, outs, wide_inputs, op.forward, op.derivatives, True))
            continue
        columns = tuple(np.array(column, dtype=np.intp)
                        for column in zip(*(i.inputs for i in found)))
        forward, derivatives = array_rule(op)
        groups.append(_Group(op, outs, columns, forward, derivatives, False))
    return groups
