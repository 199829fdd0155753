"""The forward and backward pass step by step, in the chain rule's own words.

`forward_steps` lists each node in evaluation order with the values that went
in and the value that came out. `backward_steps` lists each node in backward
order with the gradient that reached it, how that gradient was summed from the
nodes it feeds (the running sum, when it feeds several), and what it sends on
to each of its inputs. `chain_rule` writes one derivative through named
intermediate nodes; `update_steps` is one gradient-descent step, parameter by
parameter, then the new output; `evaluate_at` and `values_at` re-run a graph
with other leaf values.

A constant (a plain number such as the 2 in ``err**2``, or a
``Value(..., requires_grad=False)`` such as data and targets) gets no gradient,
so no step lists it: it appears only by its value inside the formulas of the
nodes that use it (``u = x^2``).

Every local derivative, as a number and as a formula, comes from the op table
(`Op.derivatives` and `Op.formula`), each computed once per node by
`graph.backward_pass`; nothing here restates one.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from itertools import pairwise

from ..checks import real
from ..engine import Value
from ..graph import (
    BackwardPass,
    backward_pass,
    evaluation_order,
    gradients,
    is_constant,
    node_names,
    op_of,
)
from .notation import (
    PRODUCT,
    Factor,
    Partial,
    Stage,
    equation,
    factor_text,
    format_number,
    operand_names,
    signed,
    substitute,
    to_latex,
    written,
)

__all__ = [
    "BackwardStep", "ChainRule", "Contribution", "ForwardStep", "Send", "UpdateStep",
    "backward_steps", "chain_rule", "default_params", "evaluate_at", "forward_steps",
    "update_steps", "values_at",
]


# Forward ----------------------------------------------------------------


@dataclass(frozen=True)
class _NodeStep:
    """What every step names first: its place in the pass and its node."""

    index: int
    """Position among the steps: evaluation order forward, from the root (0) backward
    (constants, which have no step of their own, are not counted)."""
    node: Value
    name: str
    """The node's label, or ``n<position in evaluation order>``."""


@dataclass(frozen=True)
class ForwardStep(_NodeStep):
    """One node of the forward pass: what went in and what came out."""

    op: str
    """The op table's name ("" for an input or parameter)."""
    symbol: str
    inputs: tuple[Value, ...]
    input_names: tuple[str, ...]
    """The inputs as formulas name them (an unlabelled constant by its number)."""
    input_values: tuple[float, ...]
    value: float
    explanation: str
    """One line, e.g. ``f = x · y = 3 · (-4) = -12``."""
    latex: str
    """The same line in LaTeX (without the surrounding ``$``)."""


def _forward_equation(name: str, node: Value, operands: Sequence[str]) -> tuple[str, str]:
    """``name = x · y = 3 · (-4) = -12`` (just ``name = 3`` for a leaf), as text and LaTeX."""
    result = format_number(node.data)
    if not node.inputs:
        return f"{name} = {result}", f"{to_latex(name)} = {result}"
    op = op_of(node)
    by_name = written(op, operands)
    by_value = written(op, [format_number(i.data) for i in node.inputs])
    text = f"{name} = {by_name} = {by_value} = {result}"
    latex = f"{to_latex(name)} = {to_latex(by_name)} = {to_latex(by_value)} = {result}"
    return text, latex


def forward_steps(root: Value) -> list[ForwardStep]:
    """Each node of root's graph in evaluation order, inputs first; no step for a
    constant, whose value its users' formulas show."""
    order = evaluation_order(root)
    names = node_names(order)
    operands = operand_names(order)
    steps: list[ForwardStep] = []
    for node in order:
        if is_constant(node):
            continue
        input_names = tuple(operands[i] for i in node.inputs)
        text, latex = _forward_equation(names[node], node, input_names)
        steps.append(
            ForwardStep(
                len(steps), node, names[node], node.op, op_of(node).symbol, node.inputs,
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
    """upstream · local: this input's share of the gradient along this wire."""
    position: int
    """The input's position among the node's inputs: which wire (``x * x`` has two)."""


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
    """The local derivative of this node for each input that is not a constant, and
    the product sent to it: what this step adds to the picture's wires."""
    explanation: str
    """One line, e.g. ``dg/dx = dg/df · ∂f/∂x = 1 · y = 1 · (-4) = -4``."""
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
    """Each node of root's graph in backward order, root first; no step for a constant.

    The gradients are this pass's d root / d node, computed from the op table
    without touching any `.grad`; they equal what `root.backward()` sets.
    """
    order = evaluation_order(root)
    formula = _Formulas(order)
    names = formula.names
    backward = backward_pass(root)
    steps: list[BackwardStep] = []
    for node in reversed(order):
        if is_constant(node):
            continue
        grad = backward.gradients[node]
        terms = _terms(node, backward, formula)
        sends = tuple(
            Send(child, names[child], formula(node, position), backward.local[node][position],
                 backward.sent(node, position), position)
            for position, child in enumerate(node.inputs)
            if not is_constant(child)
        )
        text, latex = _backward_equation(names[root], names[node], node is root, grad, terms)
        steps.append(BackwardStep(len(steps), node, names[node], grad, terms, sends, text, latex))
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
        tuple(
            (Partial(top, t.consumer_name), Partial(t.consumer_name, name, local=True))
            for t in terms
        ),
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
    dL/dw11 = dL/du1 · ∂u1/∂w11 = dL/du1 · x1."""

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
    return PRODUCT.join(factor_text(f) for f in factors if f != "1") or "1"


def chain_rule(root: Value, node: Value, via: Sequence[Value] = ()) -> ChainRule:
    """d root / d node as a product of derivatives through the nodes `via`.

    `via` are intermediate nodes, root-side first, that every path from root to
    node passes through in turn (e.g. the lecture's `u1` for dL/dw11). The
    first factor is a total derivative (``dL/du1``); each later one is written
    as a local derivative (``∂u1/∂w11``) and then as its formula when a single
    path joins its two nodes, so that the lecture's ``dL/du1 · x1`` appears,
    and as a total derivative when several paths do. A constant has no
    gradient and is refused.
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
        if is_constant(lower):
            raise ValueError(f"{names[lower]} is a constant: it has no gradient")
        factors.append(derivatives[lower])
    value = math.prod(factors)
    partials: list[Factor] = [Partial(names[root], names[nodes[1]])]
    formulas: list[Factor] = [partials[0]]
    for upper, lower in pairwise(nodes[1:]):
        text = _single_path_formula(upper, lower, formula)
        partials.append(Partial(names[upper], names[lower], local=text is not None))
        formulas.append(partials[-1] if text is None else text)
    text, latex = equation([
        ((Partial(names[root], names[node]),),),
        (tuple(partials),),
        (tuple(formulas),),
        (tuple(factors),),
        ((value,),),
    ])
    return ChainRule(nodes, tuple(factors), value, text, latex)


# Re-evaluation ----------------------------------------------------------


def values_at(root: Value, data: Mapping[Value, float]) -> dict[Value, float]:
    """Every node's value with some leaves' data replaced, without building a new
    graph or changing any node.

    Runs the op table's forward functions over the recorded graph; domain
    errors are the table's (e.g. ``log(-2.0): log needs a positive input``).
    """
    results: dict[Value, float] = {}
    for node in evaluation_order(root):
        if node.inputs:
            results[node] = op_of(node).forward(*[results[i] for i in node.inputs])
        else:
            results[node] = float(data.get(node, node.data))
    return results


def evaluate_at(root: Value, data: Mapping[Value, float]) -> float:
    """root's value with some leaves' data replaced (see `values_at`)."""
    return values_at(root, data)[root]


# One gradient-descent step ----------------------------------------------


@dataclass(frozen=True)
class UpdateStep(_NodeStep):
    """One record of a gradient-descent step: a parameter's update, or (the last
    record, `is_output`) the output evaluated at the new values."""

    old: float
    """The value before the step."""
    grad: float
    """d root / d node, what the step moves against (1 for the output record)."""
    new: float
    """The value after the step: old - lr · grad, or the output at the new values."""
    explanation: str
    """E.g. ``x' = x - 0.1 · dg/dx = 3 - 0.1 · (-4) = 3.4``; for the output, its new
    value and the actual change beside the first-order prediction (two lines)."""
    latex: str
    predicted: float | None = None
    """The output record only: the first-order prediction of the change, -lr · Σ grad²."""

    @property
    def change(self) -> float:
        """new - old."""
        return self.new - self.old

    @property
    def is_output(self) -> bool:
        """Whether this is the last record, the output at the new values."""
        return self.predicted is not None


def default_params(root: Value) -> list[Value]:
    """What a gradient-descent step updates unless told otherwise: the labelled
    leaves that are not constants, in evaluation order."""
    return [
        node for node in evaluation_order(root)
        if not node.inputs and node.label and not is_constant(node)
    ]


def update_steps(
    root: Value, params: Sequence[Value] | None = None, lr: float = 0.1
) -> list[UpdateStep]:
    """One gradient-descent step p' = p - lr · d root/dp on `params` (default:
    `default_params`), one record per parameter, then the output at the new
    values with the actual change and the first-order prediction -lr · Σ grad².

    Nothing is changed: the new output is computed on the recorded graph
    (`values_at`), and no `.data` or `.grad` is touched.
    """
    rate = real("the learning rate", lr)
    order = evaluation_order(root)
    names = node_names(order)
    chosen = default_params(root) if params is None else list(params)
    grads = backward_pass(root).gradients
    _check_params(chosen, grads, names, names[root])
    new = {p: p.data - rate * grads[p] for p in chosen}
    steps = [
        UpdateStep(k, p, names[p], p.data, grads[p], new[p],
                   *_update_equation(names[p], names[root], p.data, grads[p], new[p], rate))
        for k, p in enumerate(chosen)
    ]
    output = evaluate_at(root, new)
    squares = math.fsum(grads[p] ** 2 for p in chosen)
    text, latex = _output_change(names[root], root.data, output, rate, squares)
    steps.append(UpdateStep(
        len(steps), root, names[root], root.data, 1.0, output, text, latex, -rate * squares,
    ))
    return steps


def _check_params(
    params: Sequence[Value], grads: Mapping[Value, float], names: Mapping[Value, str], top: str
) -> None:
    """Refuse params outside the graph and constants, which have no gradient."""
    missing = [p for p in params if p not in grads]
    if missing:
        raise ValueError(f"{len(missing)} of the params are not in the graph of {top}")
    constants = [names[p] for p in params if is_constant(p)]
    if constants:
        raise ValueError(
            f"{', '.join(constants)}: a constant has no gradient and is not a parameter"
        )


def _update_equation(
    name: str, top: str, old: float, grad: float, new: float, rate: float
) -> tuple[str, str]:
    """``x' = x - 0.1 · dg/dx = 3 - 0.1 · (-4) = 3.4``, as text and LaTeX."""
    lr, partial = signed(format_number(rate)), Partial(top, name)
    was, slope, now = format_number(old), signed(format_number(grad)), format_number(new)
    text = f"{name}' = {name} - {lr}{PRODUCT}{partial.text} = {was} - {lr}{PRODUCT}{slope} = {now}"
    symbol = to_latex(name)
    latex = (
        rf"{symbol}' = {symbol} - {lr} \cdot {partial.latex}"
        rf" = {was} - {lr} \cdot {slope} = {now}"
    )
    return text, latex


def _output_change(
    top: str, was: float, now: float, rate: float, squares: float
) -> tuple[str, str]:
    """The new output, and the actual change beside the first-order prediction
    -lr · Σ (d top/dp)^2 with its numbers."""
    actual = now - was
    direction = (
        f" (a decrease of {format_number(-actual)})" if actual < 0
        else f" (an increase of {format_number(actual)})" if actual > 0 else ""
    )
    lr, total = signed(format_number(rate)), format_number(squares)
    predicted = format_number(-rate * squares)
    text = (
        f"New output: {top} = {format_number(now)} (was {format_number(was)}).\n"
        f"Change: actual {format_number(actual)}{direction}; first-order prediction "
        f"-lr{PRODUCT}Σ (d{top}/dp)^2 = -{lr}{PRODUCT}{total} = {predicted}."
    )
    latex = (
        f"New output: ${to_latex(top)} = {format_number(now)}$ (was ${format_number(was)}$).\n\n"
        f"Change: actual ${format_number(actual)}${direction}; first-order prediction "
        rf"$-\eta \sum_p \left({Partial(top, 'p').latex}\right)^2 = -{lr} \cdot {total}"
        f" = {predicted}$."
    )
    return text, latex
