"""The forward and backward pass step by step, in the chain rule's own words.

`forward_steps` lists each node in evaluation order with the values that went
in and the value that came out. `backward_steps` lists each node in backward
order with the gradient that reached it, how that gradient was summed from the
nodes it feeds (the running sum, when it feeds several), and what it sends on
to each of its inputs. `explain` renders a whole worked solution as text or as
Markdown with LaTeX, optionally ending with one gradient-descent step.

Every local derivative, as a number and as a formula, comes from the op table
(`Op.derivatives` and `Op.formula`); nothing here restates one.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from itertools import pairwise

from .engine import Value, topological_sort
from .ops import LEAF, OPS, Op

__all__ = [
    "BackwardStep",
    "ChainRule",
    "Contribution",
    "ForwardStep",
    "Send",
    "backward_steps",
    "chain_rule",
    "evaluate_at",
    "evaluation_order",
    "explain",
    "format_number",
    "forward_steps",
    "node_names",
    "op_of",
    "to_latex",
]

NUMBER_FORMAT = ".4g"
"""How every number is written in explanations and drawings: short and fixed."""


def format_number(x: float) -> str:
    """`x` in the fixed short format (4 significant digits); -0 is written 0."""
    return "0" if x == 0.0 else format(x, NUMBER_FORMAT)


def op_of(node: Value) -> Op:
    """The op table's entry for the op that made `node` (`LEAF` for a leaf)."""
    return OPS[node.op] if node.op else LEAF


def evaluation_order(root: Value) -> list[Value]:
    """The nodes of root's graph, each after its inputs, in reading order.

    Like `topological_sort`, without recursion. Computed inputs are visited
    before leaves, each group left to right, so that `x * y + z` reads x, y,
    x*y, z, g and a weight appears next to the product that uses it.
    Positions in this list name unlabelled nodes and number drawn nodes.
    """
    order: list[Value] = []
    seen: set[Value] = set()
    stack: list[tuple[Value, bool]] = [(root, False)]
    while stack:
        node, inputs_done = stack.pop()
        if inputs_done:
            order.append(node)
            continue
        if node in seen:
            continue
        seen.add(node)
        stack.append((node, True))
        computed = [child for child in node.inputs if child.inputs]
        leaves = [child for child in node.inputs if not child.inputs]
        stack.extend((child, False) for child in reversed(computed + leaves) if child not in seen)
    return order


def node_names(order: Sequence[Value]) -> dict[Value, str]:
    """Each node's label, or `n<position>` for an unlabelled one."""
    return {node: node.label or f"n{position}" for position, node in enumerate(order)}


def _operand_names(order: Sequence[Value]) -> dict[Value, str]:
    """Names used inside formulas: an unlabelled constant is written as its number."""
    names = node_names(order)
    for node in order:
        if not node.label and not node.inputs:
            names[node] = format_number(node.data)
    return names


_WORD = re.compile(r"[^\W\d]\w*")
_NARY_INPUT = re.compile(r"x(\d+)")
_ATOM = re.compile(r"\w+(\.\w+)*")


def _wrap(name: str) -> str:
    """`name` as an operand: parenthesised unless it is one word or a plain number."""
    return name if _ATOM.fullmatch(name) else f"({name})"


def _substitute(op: Op, formula: str, inputs: Sequence[str], output: str) -> str:
    """The formula with the op's placeholders (a, b, x1.., out) replaced by names."""

    def replace(match: re.Match[str]) -> str:
        word = match.group()
        if word == "out":
            return _wrap(output)
        if word in ("a", "b") and "ab".index(word) < len(inputs):
            return _wrap(inputs["ab".index(word)])
        numbered = _NARY_INPUT.fullmatch(word)
        if op.arity is None and numbered and 0 < int(numbered.group(1)) <= len(inputs):
            return _wrap(inputs[int(numbered.group(1)) - 1])
        return word

    return _WORD.sub(replace, formula)


def _applied(op: Op, args: Sequence[str]) -> str:
    """`op` applied to `args` as written: infix, prefix or function call."""
    symbol = op.symbol
    if symbol.isidentifier() or op.arity is None:
        return f"{symbol}({', '.join(args)})"
    if len(args) == 1:
        return f"{symbol}{args[0]}"
    return f" {symbol} ".join(args)


def _operand_number(op: Op, value: float) -> str:
    """A number as an operand: a negative one in parentheses where `-` would bind
    differently (a power's base, a negation's operand)."""
    text = format_number(value)
    prefix = op.arity == 1 and not op.symbol.isidentifier()
    if text.startswith("-") and (op.symbol == "**" or prefix):
        return f"({text})"
    return text


def _needs_parens(text: str) -> bool:
    """Whether `text` must be parenthesised as a factor of a product."""
    depth = 0
    for position, char in enumerate(text):
        if char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
        elif depth == 0 and position > 0 and char in "+- ":
            return True
    return False


# Explanations are built as stages joined by " = "; each stage is a sum of
# products of factors, rendered as plain text or as LaTeX.


@dataclass(frozen=True)
class _Partial:
    top: str
    bottom: str


_Factor = _Partial | str | float
_Stage = tuple[tuple[_Factor, ...], ...]


def _factor_text(factor: _Factor) -> str:
    if isinstance(factor, _Partial):
        return f"d{factor.top}/d{factor.bottom}"
    if isinstance(factor, float):
        return format_number(factor)
    return f"({factor})" if _needs_parens(factor) else factor


def _factor_latex(factor: _Factor, alone: bool) -> str:
    if isinstance(factor, _Partial):
        return rf"\frac{{\partial {to_latex(factor.top)}}}{{\partial {to_latex(factor.bottom)}}}"
    if isinstance(factor, float):
        number = format_number(factor)
        return number if alone or not number.startswith("-") else f"({number})"
    return rf"\left({to_latex(factor)}\right)" if _needs_parens(factor) else to_latex(factor)


def _stage_text(stage: _Stage) -> str:
    return " + ".join(" * ".join(_factor_text(f) for f in product) for product in stage)


def _stage_latex(stage: _Stage) -> str:
    alone = len(stage) == 1
    return " + ".join(
        r" \cdot ".join(_factor_latex(f, alone and len(product) == 1) for f in product)
        for product in stage
    )


def _equation(stages: Sequence[_Stage]) -> tuple[str, str]:
    """Text and LaTeX of `stage0 = stage1 = ...`, skipping a stage equal to the last."""
    texts: list[str] = []
    latexes: list[str] = []
    for stage in stages:
        text = _stage_text(stage)
        if texts and text == texts[-1]:
            continue
        texts.append(text)
        latexes.append(_stage_latex(stage))
    return " = ".join(texts), " = ".join(latexes)


# Forward ----------------------------------------------------------------


@dataclass(frozen=True)
class ForwardStep:
    """One node of the forward pass: what went in and what came out."""

    index: int
    node: Value
    name: str
    op: str
    """The op table's name ("" for an input or constant)."""
    symbol: str
    inputs: tuple[Value, ...]
    input_names: tuple[str, ...]
    input_values: tuple[float, ...]
    value: float
    explanation: str
    """One line, e.g. ``f = x * y = 3 * -4 = -12``."""
    latex: str
    """The same line in LaTeX (without the surrounding ``$``)."""


def forward_steps(root: Value) -> list[ForwardStep]:
    """Each node of root's graph in evaluation order, inputs and constants first."""
    order = evaluation_order(root)
    names = node_names(order)
    operands = _operand_names(order)
    steps = []
    for index, node in enumerate(order):
        op = op_of(node)
        input_names = tuple(operands[i] for i in node.inputs)
        values = tuple(i.data for i in node.inputs)
        if node.inputs:
            by_name = _applied(op, input_names)
            by_value = _applied(op, [_operand_number(op, v) for v in values])
            text = f"{names[node]} = {by_name} = {by_value} = {format_number(node.data)}"
            latex = (
                f"{to_latex(names[node])} = {to_latex(by_name)} = "
                f"{to_latex(by_value)} = {format_number(node.data)}"
            )
        else:
            text = f"{names[node]} = {format_number(node.data)}"
            latex = f"{to_latex(names[node])} = {format_number(node.data)}"
        steps.append(
            ForwardStep(
                index, node, names[node], node.op, op.symbol, node.inputs,
                input_names, values, node.data, text, latex,
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
class BackwardStep:
    """One node of the backward pass, after every node it feeds."""

    index: int
    node: Value
    name: str
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


def _gradients(root: Value) -> tuple[dict[Value, float], dict[Value, list[tuple[Value, int]]]]:
    """d root / d node for every node, and each node's uses (consumer, input position).

    Sums in the engine's order, so the numbers equal `backward()`'s bit for bit.
    """
    order = topological_sort(root)
    grads = dict.fromkeys(order, 0.0)
    grads[root] = 1.0
    uses: dict[Value, list[tuple[Value, int]]] = {node: [] for node in order}
    for node in reversed(order):
        if not node.inputs:
            continue
        upstream = grads[node]
        local = op_of(node).derivatives(node.data, *[i.data for i in node.inputs])
        for position, (child, derivative) in enumerate(zip(node.inputs, local)):
            grads[child] += upstream * derivative
            uses[child].append((node, position))
    return grads, uses


def backward_steps(root: Value) -> list[BackwardStep]:
    """Each node of root's graph in backward order, root first.

    The gradients are this pass's d root / d node, computed from the op table
    without touching any `.grad`; they equal what `root.backward()` sets.
    """
    order = evaluation_order(root)
    names = node_names(order)
    operands = _operand_names(order)
    grads, uses = _gradients(root)
    local_of: dict[Value, tuple[float, ...]] = {
        node: op_of(node).derivatives(node.data, *[i.data for i in node.inputs])
        for node in order
        if node.inputs
    }

    input_names: dict[Value, list[str]] = {}  # made once per node: a wide sum has many inputs

    def formula(consumer: Value, position: int) -> str:
        op = op_of(consumer)
        inputs = input_names.get(consumer)
        if inputs is None:
            inputs = input_names[consumer] = [operands[i] for i in consumer.inputs]
        return _substitute(op, op.formula(position), inputs, names[consumer])

    top = names[root]
    steps = []
    for index, node in enumerate(reversed(order)):
        terms: list[Contribution] = []
        running = 0.0
        for consumer, position in uses[node]:
            local = local_of[consumer][position]
            product = grads[consumer] * local
            running += product
            terms.append(
                Contribution(
                    consumer, names[consumer], grads[consumer], formula(consumer, position),
                    local, product, running,
                )
            )
        sends = tuple(
            Send(child, names[child], formula(node, position), local,
                 grads[node] * local)
            for position, (child, local) in enumerate(zip(node.inputs, local_of.get(node, ())))
        )
        text, latex = _backward_equation(top, names[node], node is root, grads[node], terms)
        steps.append(
            BackwardStep(index, node, names[node], grads[node], tuple(terms), sends, text, latex)
        )
    return steps


def _backward_equation(
    top: str, name: str, is_root: bool, grad: float, terms: Sequence[Contribution]
) -> tuple[str, str]:
    if is_root:
        return _equation([((_Partial(top, name),),), ((1.0,),)])
    stages: list[_Stage] = [
        ((_Partial(top, name),),),
        tuple((_Partial(top, t.consumer_name), _Partial(t.consumer_name, name)) for t in terms),
        tuple((t.upstream, t.formula) for t in terms),
        tuple((t.upstream, t.local) for t in terms),
    ]
    if len(terms) > 1:
        stages.append(tuple((t.product,) for t in terms))
    stages.append(((grad,),))
    text, latex = _equation(stages)
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


def _derivatives_from(top: Value) -> dict[Value, float]:
    grads, _ = _gradients(top)
    return grads


def _single_path_formula(
    upper: Value, lower: Value, operands: Mapping[Value, str], names: Mapping[Value, str]
) -> str | None:
    """The product of local-derivative formulas along the one path upper -> lower.

    None when there are several paths (then only the number is meaningful).
    Factors equal to "1" are left out; a path of ones gives "1".
    """
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
    factors = []
    for consumer, position in path:
        op = op_of(consumer)
        inputs = [operands[i] for i in consumer.inputs]
        text = _substitute(op, op.formula(position), inputs, names[consumer])
        if text != "1":
            factors.append(_factor_text(text))
    return " * ".join(factors) or "1"


def chain_rule(root: Value, node: Value, via: Sequence[Value] = ()) -> ChainRule:
    """d root / d node as a product of derivatives through the nodes `via`.

    `via` are intermediate nodes, root-side first, that every path from root to
    node passes through in turn (e.g. the lecture's `u1` for dL/dw11). Factors
    after the first are also written as formulas when a single path joins
    their two nodes, so that the lecture's `dL/du1 * x1` appears.
    """
    nodes = (root, *via, node)
    order = evaluation_order(root)
    names = node_names(order)
    operands = _operand_names(order)
    factors = []
    for upper, lower in pairwise(nodes):
        derivatives = _derivatives_from(upper)
        if lower not in derivatives:
            raise ValueError(
                f"{names.get(lower, 'that node')} is not in the graph of "
                f"{names.get(upper, 'that node')}; list `via` from the root towards the node"
            )
        factors.append(derivatives[lower])
    value = math.prod(factors)
    partials = [_Partial(names[a], names[b]) for a, b in pairwise(nodes)]
    formulas: list[_Factor] = [partials[0]]
    for (upper, lower), partial in zip(pairwise(nodes[1:]), partials[1:]):
        text = _single_path_formula(upper, lower, operands, names)
        formulas.append(partial if text is None else text)
    stages: list[_Stage] = [
        ((_Partial(names[root], names[node]),),),
        (tuple(partials),),
        (tuple(formulas),),
        (tuple(factors),),
        ((value,),),
    ]
    text, latex = _equation(stages)
    return ChainRule(nodes, tuple(factors), value, text, latex)


# Re-evaluation and the worked solution -----------------------------------


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


def _default_params(order: Sequence[Value]) -> list[Value]:
    return [node for node in order if not node.inputs and node.label]


def explain(
    root: Value,
    lr: float | None = None,
    *,
    params: Sequence[Value] | None = None,
    chains: Sequence[ChainRule] = (),
    markdown: bool = False,
    title: str | None = None,
) -> str:
    """The whole worked solution: forward table, backward steps, chain rules, and
    with `lr` one gradient-descent step on `params` (default: the labelled
    leaves) with the new output and the predicted change -lr * sum(grad^2)
    beside the actual one. Plain text, or Markdown with LaTeX.
    """
    forward = forward_steps(root)
    backward = backward_steps(root)
    order = [step.node for step in forward]
    names = node_names(order)
    grads = {step.node: step.upstream for step in backward}
    step_params = _default_params(order) if params is None else list(params)
    if lr is not None:
        if not math.isfinite(lr):
            raise ValueError(f"the learning rate must be a finite number, got {lr!r}")
        missing = [p for p in step_params if p not in grads]
        if missing:
            raise ValueError(
                f"{len(missing)} of the params are not in the graph of {names[root]}"
            )
    render = _Markdown() if markdown else _Text()
    render.heading(title or f"Worked solution for {names[root]}")
    render.section("Forward pass (evaluation order)")
    render.table(
        ["step", "node", "computation"],
        [[str(s.index + 1), s.name, s.explanation] for s in forward],
        [[str(s.index + 1), f"${to_latex(s.name)}$", f"${s.latex}$"] for s in forward],
    )
    render.section(f"Backward pass (chain rule, from {names[root]} back to the inputs)")
    render.numbered([s.explanation for s in backward], [f"${s.latex}$" for s in backward])
    if chains:
        render.section("Chain rule along a path")
        render.bullets([c.explanation for c in chains], [f"${c.latex}$" for c in chains])
    if lr is not None:
        _gradient_step(render, root, names, grads, step_params, lr)
    return render.result()


def _gradient_step(
    render: _Text,
    root: Value,
    names: Mapping[Value, str],
    grads: Mapping[Value, float],
    params: Sequence[Value],
    lr: float,
) -> None:
    top = names[root]
    new_data = {p: p.data - lr * grads[p] for p in params}
    render.section(
        f"One gradient-descent step, learning rate {format_number(lr)}: "
        f"p' = p - {format_number(lr)} * d{top}/dp"
    )
    rows = [
        [names[p], format_number(p.data), format_number(grads[p]),
         f"{names[p]}' = {format_number(p.data)} - {format_number(lr)} * "
         f"{format_number(grads[p])} = {format_number(new_data[p])}"]
        for p in params
    ]
    latex_rows = [
        [f"${to_latex(names[p])}$", format_number(p.data), format_number(grads[p]),
         f"${to_latex(names[p])}' = {format_number(p.data)} - {format_number(lr)} \\cdot "
         f"{_factor_latex(grads[p], False)} = {format_number(new_data[p])}$"]
        for p in params
    ]
    render.table(["param", "value", f"d{top}/dp", "new value"], rows, latex_rows)
    new_output = evaluate_at(root, new_data)
    actual = new_output - root.data
    predicted = -lr * sum(grads[p] ** 2 for p in params)
    direction = (
        f" (a decrease of {format_number(-actual)})" if actual < 0
        else f" (an increase of {format_number(actual)})" if actual > 0 else ""
    )
    render.paragraph(
        f"New output: {top} = {format_number(new_output)} (was {format_number(root.data)}).\n"
        f"Change: actual {format_number(actual)}{direction}; first-order prediction "
        f"-lr * sum((d{top}/dp)^2) = {format_number(predicted)}.",
        f"New output: ${to_latex(top)} = {format_number(new_output)}$ "
        f"(was ${format_number(root.data)}$).\n\n"
        f"Change: actual ${format_number(actual)}${direction}; first-order prediction "
        rf"$-\eta \sum_p \left(\frac{{\partial {to_latex(top)}}}{{\partial p}}\right)^2"
        f" = {format_number(predicted)}$.",
    )


class _Text:
    """Plain-text rendering of a worked solution."""

    def __init__(self) -> None:
        self.lines: list[str] = []

    def heading(self, text: str) -> None:
        self.lines += [text, "=" * len(text)]

    def section(self, text: str) -> None:
        self.lines += ["", text]

    def table(self, header: list[str], rows: list[list[str]], latex_rows: list[list[str]]) -> None:
        widths = [max(len(r[c]) for r in [header, *rows]) for c in range(len(header))]
        for row in [header, *rows]:
            self.lines.append(
                "  " + "  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip()
            )

    def numbered(self, items: list[str], latex_items: list[str]) -> None:
        width = len(str(len(items)))
        self.lines += [f"  {k:>{width}}. {item}" for k, item in enumerate(items, 1)]

    def bullets(self, items: list[str], latex_items: list[str]) -> None:
        self.lines += [f"  - {item}" for item in items]

    def paragraph(self, text: str, latex_text: str) -> None:
        self.lines += ["  " + line for line in text.splitlines()]

    def result(self) -> str:
        return "\n".join(self.lines) + "\n"


class _Markdown(_Text):
    """Markdown rendering, formulas in LaTeX between dollar signs."""

    def heading(self, text: str) -> None:
        self.lines += [f"# {text}"]

    def section(self, text: str) -> None:
        self.lines += ["", f"## {text}", ""]

    def table(self, header: list[str], rows: list[list[str]], latex_rows: list[list[str]]) -> None:
        self.lines.append("| " + " | ".join(header) + " |")
        self.lines.append("|" + "|".join("---" for _ in header) + "|")
        self.lines += ["| " + " | ".join(row) + " |" for row in latex_rows]

    def numbered(self, items: list[str], latex_items: list[str]) -> None:
        self.lines += [f"{k}. {item}" for k, item in enumerate(latex_items, 1)]

    def bullets(self, items: list[str], latex_items: list[str]) -> None:
        self.lines += [f"- {item}" for item in latex_items]

    def paragraph(self, text: str, latex_text: str) -> None:
        self.lines += ["", latex_text]


# LaTeX ------------------------------------------------------------------

_TOKEN = re.compile(r"\s+|\*\*|\d+(?:\.\d*)?(?:[eE][+-]?\d+)?|[^\W\d]\w*|.")
_FUNCTIONS = {*OPS, "sign", "exp", "log", "sqrt", "sin", "cos", "tanh"}
_WORDS = {"if", "else", "and", "or"}
_SYMBOLS = {
    "#": r"\#", "$": r"\$", "%": r"\%", "&": r"\&", "_": r"\_", "{": r"\{", "}": r"\}",
    "~": r"\sim", "\\": r"\backslash", "*": r" \cdot ", "Σ": r"\Sigma",
}


def _letter_latex(char: str) -> str:
    """A Greek letter as its LaTeX command, any other character unchanged."""
    try:
        name = unicodedata.name(char)
    except ValueError:
        return char
    if name.startswith("GREEK SMALL LETTER "):
        return "\\" + name.removeprefix("GREEK SMALL LETTER ").lower() + " "
    if name.startswith("GREEK CAPITAL LETTER "):
        return "\\" + name.removeprefix("GREEK CAPITAL LETTER ").capitalize() + " "
    return char


def _word_latex(word: str) -> str:
    """x -> x, w11 -> w_{11}, tanh -> \\operatorname{tanh}, w_out -> w_{out}."""
    if word in _FUNCTIONS:
        return rf"\operatorname{{{word}}}"
    if word in _WORDS:
        return rf"\text{{ {word} }}"
    if word.startswith("_"):
        return word.replace("_", r"\_")
    base, underscore, subscript = word.partition("_")
    numbered = None if underscore else re.fullmatch(r"(\D+?)(\d+)", word)
    if numbered:
        base, subscript = numbered.groups()
    letters = "".join(_letter_latex(c) for c in base).strip()
    if len(base) > 1 and any(_letter_latex(c) == c for c in base):
        letters = rf"\mathrm{{{letters}}}"
    if subscript:
        return f"{letters}_{{{subscript.replace('_', ',')}}}"
    return letters


def to_latex(text: str) -> str:
    """A formula or expression in the op table's notation (``b*a^(b-1)``) as LaTeX.

    Handles names with numeric subscripts, Greek letters, ``*`` and ``**``/``^``
    with a parenthesised or single exponent; anything else passes through
    escaped.
    """
    out: list[str] = []
    parens: list[bool] = []  # True where "(" opened an exponent group
    exponent_next = False
    for token in _TOKEN.findall(text):
        if token.isspace():
            if not exponent_next:
                out.append(" ")
            continue
        if token in ("**", "^"):
            exponent_next = True
            while out and out[-1] == " ":
                out.pop()
            out.append("^")
            continue
        if exponent_next:
            exponent_next = False
            if token == "(":
                parens.append(True)
                out.append("{")
                continue
            out.append("{" + _token_latex(token) + "}")
            continue
        if token == "(":
            parens.append(False)
            out.append("(")
        elif token == ")":
            out.append("}" if parens and parens.pop() else ")")
        else:
            out.append(_token_latex(token))
    return re.sub(r" {2,}", " ", "".join(out)).strip()


def _token_latex(token: str) -> str:
    if token[0].isdigit():
        return token
    if _WORD.fullmatch(token):
        return _word_latex(token)
    return _SYMBOLS.get(token, token)
