"""The forward and backward pass step by step, in the chain rule's own words.

`forward_steps` lists each node in evaluation order with the values that went
in and the value that came out. `backward_steps` lists each node in backward
order with the gradient that reached it, how that gradient was summed from the
nodes it feeds (the running sum, when it feeds several), and what it sends on
to each of its inputs. `chain_rule` writes one derivative through named
intermediate nodes; `evaluate_at` re-runs a graph with other leaf values.

Every local derivative, as a number and as a formula, comes from the op table
(`Op.derivatives` and `Op.formula`), each computed once per node by
`graph.backward_pass`; nothing here restates one.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from itertools import pairwise

from ..engine import Value
from ..graph import BackwardPass, backward_pass, evaluation_order, gradients, node_names, op_of
from .notation import (
    Factor,
    Partial,
    Stage,
    equation,
    factor_text,
    format_number,
    operand_names,
    operand_number,
    substitute,
    to_latex,
    written,
)

__all__ = [
    "BackwardStep", "ChainRule", "Contribution", "ForwardStep", "Send",
    "backward_steps", "chain_rule", "evaluate_at", "forward_steps",
]


# Forward ----------------------------------------------------------------


@dataclass(frozen=True)
class _NodeStep:
    """What every step names first: its place in the pass and its node."""

    index: int
    """Position in the pass: evaluation order forward, from the root (0) backward."""
    node: Value
    name: str
    """The node's label, or ``n<position in evaluation order>``."""


@dataclass(frozen=True)
class ForwardStep(_NodeStep):
    """One node of the forward pass: what went in and what came out."""

    op: str
    """The op table's name ("" for an input or constant)."""
    symbol: str
    inputs: tuple[Value, ...]
    input_names: tuple[str, ...]
    """The inputs as formulas name them (an unlabelled constant by its number)."""
    input_values: tuple[float, ...]
    value: float
    explanation: str
    """One line, e.g. ``f = x * y = 3 * -4 = -12``."""
    latex: str
    """The same line in LaTeX (without the surrounding ``$``)."""


def _forward_equation(name: str, node: Value, operands: Sequence[str]) -> tuple[str, str]:
    """``name = x * y = 3 * -4 = -12`` (just ``name = 3`` for a leaf), as text and LaTeX."""
    result = format_number(node.data)
    if not node.inputs:
        return f"{name} = {result}", f"{to_latex(name)} = {result}"
    op = op_of(node)
    by_name = written(op, operands)
    by_value = written(op, [operand_number(op, i.data) for i in node.inputs])
    text = f"{name} = {by_name} = {by_value} = {result}"
    latex = f"{to_latex(name)} = {to_latex(by_name)} = {to_latex(by_value)} = {result}"
    return text, latex


def forward_steps(root: Value) -> list[ForwardStep]:
    """Each node of root's graph in evaluation order, inputs and constants first."""
    order = evaluation_order(root)
    names = node_names(order)
    operands = operand_names(order)
    steps = []
    for index, node in enumerate(order):
        input_names = tuple(operands[i] for i in node.inputs)
        text, latex = _forward_equation(names[node], node, input_names)
        steps.append(
            ForwardStep(
                index, node, names[node], node.op, op_of(node).symbol, node.inputs,
                input_names, tuple(i.data for i in node.inputs), node.data, text, latex,
            )
        )
    return steps


# Backward ---------------------------------------------------------------


@dataclass(frozen=True)
class Send:
    """What a node sends to one of its inputs: upstream times local derivative."""

    input: Value
    name: str
    formula: str
    """The local derivative's formula with the inputs' names, e.g. ``y``."""
    local: float
    """The local derivative's value, from the op table."""
    product: float
    """upstream * local: this input's share of the gradient along this wire."""


@dataclass(frozen=True)
class Contribution:
    """One term of a node's gradient: what one consumer sent it."""

    consumer: Value
    consumer_name: str
    upstream: float
    """d root / d consumer."""
    formula: str
    local: float
    product: float
    running_sum: float
    """The node's gradient after adding this term."""


@dataclass(frozen=True)
class BackwardStep(_NodeStep):
    """One node of the backward pass, after every node it feeds."""

    upstream: float
    """d root / d node: the gradient that reached this node (its `.grad` this pass)."""
    terms: tuple[Contribution, ...]
    """How `upstream` was summed, one term per use of this node (none for the root)."""
    sends: tuple[Send, ...]
    """The local derivative of this node for each input and the product sent to it."""
    explanation: str
    """One line, e.g. ``dg/dx = dg/df * df/dx = 1 * y = 1 * -4 = -4``."""
    latex: str

    @property
    def grad(self) -> float:
        """Alias of `upstream`: d root / d node."""
        return self.upstream


class _Formulas:
    """Local-derivative formulas with the graph's names, each node's operands listed once
    (a wide sum has many inputs)."""

    def __init__(self, order: Sequence[Value]) -> None:
        self.names = node_names(order)
        self.operands = operand_names(order)
        self._inputs: dict[Value, list[str]] = {}

    def __call__(self, consumer: Value, position: int) -> str:
        """d consumer / d its input at `position`, e.g. ``y`` for x's share of ``x * y``."""
        inputs = self._inputs.get(consumer)
        if inputs is None:
            inputs = self._inputs[consumer] = [self.operands[i] for i in consumer.inputs]
        op = op_of(consumer)
        return substitute(op, op.formula(position), inputs, self.names[consumer])


def backward_steps(root: Value) -> list[BackwardStep]:
    """Each node of root's graph in backward order, root first.

    The gradients are this pass's d root / d node, computed from the op table
    without touching any `.grad`; they equal what `root.backward()` sets.
    """
    order = evaluation_order(root)
    formula = _Formulas(order)
    names = formula.names
    backward = backward_pass(root)
    steps = []
    for index, node in enumerate(reversed(order)):
        grad = backward.gradients[node]
        terms = _terms(node, backward, formula)
        sends = tuple(
            Send(child, names[child], formula(node, position), backward.local[node][position],
                 backward.sent(node, position))
            for position, child in enumerate(node.inputs)
        )
        text, latex = _backward_equation(names[root], names[node], node is root, grad, terms)
        steps.append(BackwardStep(index, node, names[node], grad, terms, sends, text, latex))
    return steps


def _terms(node: Value, backward: BackwardPass, formula: _Formulas) -> tuple[Contribution, ...]:
    """How node's gradient was summed: one term per use, with the running sum."""
    terms: list[Contribution] = []
    running = 0.0
    for consumer, position in backward.uses[node]:
        product = backward.sent(consumer, position)
        running += product
        terms.append(Contribution(
            consumer, formula.names[consumer], backward.gradients[consumer],
            formula(consumer, position), backward.local[consumer][position], product, running,
        ))
    return tuple(terms)


def _backward_equation(
    top: str, name: str, is_root: bool, grad: float, terms: Sequence[Contribution]
) -> tuple[str, str]:
    if is_root:
        return equation([((Partial(top, name),),), ((1.0,),)])
    stages: list[Stage] = [
        ((Partial(top, name),),),
        tuple((Partial(top, t.consumer_name), Partial(t.consumer_name, name)) for t in terms),
        tuple((t.upstream, t.formula) for t in terms),
        tuple((t.upstream, t.local) for t in terms),
    ]
    if len(terms) > 1:
        stages.append(tuple((t.product,) for t in terms))
    stages.append(((grad,),))
    text, latex = equation(stages)
    if len(terms) > 1:
        sums = " -> ".join(format_number(t.running_sum) for t in terms)
        text += f" (running sum {sums})"
        latex += rf" \quad \text{{(running sum {sums.replace('->', '→')})}}"
    return text, latex


# Along a path -----------------------------------------------------------


@dataclass(frozen=True)
class ChainRule:
    """d root / d node written through named intermediate nodes, e.g. the lecture's
    dL/dw11 = dL/du1 * du1/dw11 = dL/du1 * x1."""

    nodes: tuple[Value, ...]
    """root, the intermediate nodes, node."""
    factors: tuple[float, ...]
    """d nodes[k] / d nodes[k+1] for each consecutive pair."""
    value: float
    """The product of the factors: d root / d node along these waypoints."""
    explanation: str
    latex: str


def _single_path(upper: Value, lower: Value) -> list[tuple[Value, int]] | None:
    """(consumer, input position) along the one path upper -> lower; None if several."""
    reaches = {lower}
    for node in evaluation_order(upper):
        if any(i in reaches for i in node.inputs):
            reaches.add(node)
    path: list[tuple[Value, int]] = []
    node = upper
    while node is not lower:
        branches = [(p, i) for p, i in enumerate(node.inputs) if i in reaches]
        if len(branches) != 1:
            return None
        position, child = branches[0]
        path.append((node, position))
        node = child
    return path


def _single_path_formula(upper: Value, lower: Value, formula: _Formulas) -> str | None:
    """The product of local-derivative formulas along the one path upper -> lower.

    None when there are several paths (then only the number is meaningful).
    Factors equal to "1" are left out; a path of ones gives "1".
    """
    path = _single_path(upper, lower)
    if path is None:
        return None
    factors = [formula(consumer, position) for consumer, position in path]
    return " * ".join(factor_text(f) for f in factors if f != "1") or "1"


def chain_rule(root: Value, node: Value, via: Sequence[Value] = ()) -> ChainRule:
    """d root / d node as a product of derivatives through the nodes `via`.

    `via` are intermediate nodes, root-side first, that every path from root to
    node passes through in turn (e.g. the lecture's `u1` for dL/dw11). Factors
    after the first are also written as formulas when a single path joins
    their two nodes, so that the lecture's `dL/du1 * x1` appears.
    """
    nodes = (root, *via, node)
    formula = _Formulas(evaluation_order(root))
    names = formula.names
    factors = []
    for upper, lower in pairwise(nodes):
        derivatives = gradients(upper)
        if lower not in derivatives:
            raise ValueError(
                f"{names.get(lower, 'that node')} is not in the graph of "
                f"{names.get(upper, 'that node')}; list `via` from the root towards the node"
            )
        factors.append(derivatives[lower])
    value = math.prod(factors)
    partials = [Partial(names[a], names[b]) for a, b in pairwise(nodes)]
    formulas: list[Factor] = [partials[0]]
    for (upper, lower), partial in zip(pairwise(nodes[1:]), partials[1:]):
        text = _single_path_formula(upper, lower, formula)
        formulas.append(partial if text is None else text)
    text, latex = equation([
        ((Partial(names[root], names[node]),),),
        (tuple(partials),),
        (tuple(formulas),),
        (tuple(factors),),
        ((value,),),
    ])
    return ChainRule(nodes, tuple(factors), value, text, latex)


# Re-evaluation ----------------------------------------------------------


def evaluate_at(root: Value, data: Mapping[Value, float]) -> float:
    """root's value with some leaves' data replaced, without building a new graph.

    Runs the op table's forward functions over the recorded graph; domain
    errors are the table's (e.g. ``log(-2.0): log needs a positive input``).
    """
    results: dict[Value, float] = {}
    for node in evaluation_order(root):
        if node.inputs:
            results[node] = op_of(node).forward(*[results[i] for i in node.inputs])
        else:
            results[node] = float(data.get(node, node.data))
    return results[root]
