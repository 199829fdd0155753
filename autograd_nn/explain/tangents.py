"""Forward mode, step by step: each node's tangent in evaluation order.

Forward mode differentiates along one input at a time. Every node carries,
beside its value, its tangent: its derivative with respect to that input,
written with a dot (ẋ). The inputs start at ẋ = 1 for the chosen one and 0
for the others; each node's tangent is then the sum of its inputs' tangents
times the same local derivatives backpropagation uses, from the op table:

    ḟ = ẋ · y + ẏ · x = 1 · (-4) + 0 · 3 = -4

One pass gives the output's derivative along one input; n inputs take n
passes, where reverse mode takes one backward pass for all of them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from ..engine import Value, tangent_sum
from ..graph import evaluation_order, is_constant, node_names, op_of
from .notation import PRODUCT, format_number, operand_names, signed, substitute

__all__ = ["TangentStep", "dotted", "explain_forward_mode", "tangent_steps"]

_DOT = "\u0307"  # combining dot above: x + it reads ẋ


def dotted(name: str) -> str:
    """The tangent's name: a dot above the name's first letter (ẋ, ḟ, ṅ3)."""
    return name[:1] + _DOT + name[1:]


@dataclass(frozen=True)
class TangentStep:
    """One node of a forward-mode pass: its tangent and how it was summed."""

    index: int
    node: Value
    name: str
    tangent: float
    explanation: str
    """One line, e.g. ``ḟ = ẋ · y + ẏ · x = 1 · (-4) + 0 · 3 = -4``."""


def _terms(node: Value, names: dict[Value, str], operands: dict[Value, str],
           tangents: dict[Value, float]) -> tuple[list[str], list[str], float]:
    """The chain rule's terms by name and by value, and their sum (the node's tangent)."""
    op = op_of(node)
    inputs = node.inputs
    local = op.derivatives(node.data, *[i.data for i in inputs])
    input_names = [operands[i] for i in inputs]
    by_name: list[str] = []
    by_value: list[str] = []
    for position, (child, derivative) in enumerate(zip(inputs, local)):
        if is_constant(child):
            continue
        tangent = tangents[child]
        formula = substitute(op, op.formula(position), input_names, names[node])
        if formula == "1":
            by_name.append(dotted(names[child]))
            by_value.append(signed(format_number(tangent), bare=not by_value))
        else:
            by_name.append(f"{dotted(names[child])}{PRODUCT}{_factor(formula)}")
            by_value.append(f"{signed(format_number(tangent), bare=not by_value)}{PRODUCT}"
                            f"{signed(format_number(derivative))}")
    carried = [None if is_constant(child) else tangents[child] for child in inputs]
    return by_name, by_value, tangent_sum(local, carried)


def _factor(formula: str) -> str:
    return formula if formula.replace(".", "").isalnum() else f"({formula})"


def _sum(terms: Sequence[str]) -> str:
    return " + ".join(terms) if terms else "0"


def tangent_steps(root: Value, along: Value) -> list[TangentStep]:
    """One step per node of root's graph (constants aside), in evaluation order, with
    its tangent along the input `along` (whose tangent is 1; every other input's 0)."""
    order = evaluation_order(root)
    if not any(node is along for node in order):
        raise ValueError(f"tangent_steps: {along.label or 'that Value'} is not in the graph")
    names, operands = node_names(order), operand_names(order)
    tangents: dict[Value, float] = {}
    steps: list[TangentStep] = []
    for node in order:
        if is_constant(node):
            tangents[node] = 0.0
            continue
        if not node.inputs:
            tangents[node] = 1.0 if node is along else 0.0
            text = f"{dotted(names[node])} = {format_number(tangents[node])}"
        else:
            by_name, by_value, tangents[node] = _terms(node, names, operands, tangents)
            result = format_number(tangents[node])
            text = f"{dotted(names[node])} = {_sum(by_name)} = {_sum(by_value)} = {result}"
            if len(by_value) == 1 and by_value[0] == result:
                text = f"{dotted(names[node])} = {by_name[0]} = {result}"
        steps.append(TangentStep(len(steps), node, names[node], tangents[node], text))
    return steps


def explain_forward_mode(root: Value, inputs: Sequence[Value], title: str = "") -> str:
    """The forward pass, then one forward-mode pass per input, as text."""
    order = evaluation_order(root)
    names = node_names(order)
    top = names[root]
    lines = [title, "=" * len(title), ""] if title else []
    lines += ["Forward mode: one pass per input. Each node carries its tangent, its",
              f"derivative along that input (written with a dot: {dotted('f')} = df/dx "
              "in the pass along x),", "beside its value."]
    derivatives = []
    for number, along in enumerate(inputs, 1):
        lines += ["", f"Pass {number} of {len(inputs)}, along {names[along]} "
                      f"({dotted(names[along])} = 1, every other input's tangent 0)"]
        steps = tangent_steps(root, along)
        lines += [f"  {step.index + 1}. {step.explanation}" for step in steps]
        derivatives.append(f"d{top}/d{names[along]} = {format_number(steps[-1].tangent)}")
        lines.append(f"  so d{top}/d{names[along]} = {dotted(top)} = "
                     f"{format_number(steps[-1].tangent)}")
    gradient = ", ".join(derivatives)
    lines += ["", f"The gradient, {gradient}, took {len(inputs)} forward "
                  f"pass{'es' if len(inputs) != 1 else ''}; reverse mode "
                  "(autograd-nn walk) gets it from one backward pass.", ""]
    return "\n".join(lines)
