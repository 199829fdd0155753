"""A whole worked solution, written out: `explain` as plain text or Markdown with LaTeX.

The solution is a forward table, the backward steps, chosen chain rules and,
with a learning rate, one gradient-descent step. Each part is said once to a
renderer (`_Text` or `_Markdown`), which picks the plain or the LaTeX wording.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

from ..engine import Value
from ..graph import node_names
from .notation import factor_latex, format_number, to_latex
from .steps import ChainRule, backward_steps, evaluate_at, forward_steps

__all__ = ["explain"]


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


def _default_params(order: Sequence[Value]) -> list[Value]:
    """The labelled leaves: what a gradient-descent step updates unless told otherwise."""
    return [node for node in order if not node.inputs and node.label]


def _checked_step(
    lr: float, params: Sequence[Value], grads: Mapping[Value, float], root_name: str
) -> None:
    """Refuse a learning rate that is not finite and params outside the graph."""
    if not math.isfinite(lr):
        raise ValueError(f"the learning rate must be a finite number, got {lr!r}")
    missing = [p for p in params if p not in grads]
    if missing:
        raise ValueError(f"{len(missing)} of the params are not in the graph of {root_name}")


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
        _checked_step(lr, step_params, grads, names[root])
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
    """The table of updated params, the new output and the predicted change."""
    top = names[root]
    rate = format_number(lr)
    new_data = {p: p.data - lr * grads[p] for p in params}
    render.section(f"One gradient-descent step, learning rate {rate}: p' = p - {rate} * d{top}/dp")
    rows = [
        [names[p], format_number(p.data), format_number(grads[p]),
         f"{names[p]}' = {format_number(p.data)} - {rate} * "
         f"{format_number(grads[p])} = {format_number(new_data[p])}"]
        for p in params
    ]
    latex_rows = [
        [f"${to_latex(names[p])}$", format_number(p.data), format_number(grads[p]),
         f"${to_latex(names[p])}' = {format_number(p.data)} - {rate} \\cdot "
         f"{factor_latex(grads[p], False)} = {format_number(new_data[p])}$"]
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
    was, now = format_number(root.data), format_number(new_output)
    prediction = "first-order prediction"
    render.paragraph(
        f"New output: {top} = {now} (was {was}).\n"
        f"Change: actual {format_number(actual)}{direction}; {prediction} "
        f"-lr * sum((d{top}/dp)^2) = {format_number(predicted)}.",
        f"New output: ${to_latex(top)} = {now}$ (was ${was}$).\n\n"
        f"Change: actual ${format_number(actual)}${direction}; {prediction} "
        rf"$-\eta \sum_p \left(\frac{{\partial {to_latex(top)}}}{{\partial p}}\right)^2"
        f" = {format_number(predicted)}$.",
    )
