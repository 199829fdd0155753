"""A whole worked solution, written out: `explain` as plain text or Markdown with LaTeX.

The solution is a forward table, the backward steps, chosen chain rules and,
with a learning rate, one gradient-descent step. Each part is said once to a
renderer (`_Text` or `_Markdown`), which picks the plain or the LaTeX wording.
"""

from __future__ import annotations

from collections.abc import Sequence

from ..engine import Value
from ..graph import evaluation_order, node_names
from .notation import PRODUCT, format_number, signed, to_latex
from .steps import ChainRule, UpdateStep, backward_steps, forward_steps, update_steps

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
    leaves that are not constants) with the new output and the predicted
    change -lr · Σ grad² beside the actual one (`update_steps`). Plain text,
    or Markdown with LaTeX.
    """
    forward = forward_steps(root)
    backward = backward_steps(root)
    top = node_names(evaluation_order(root))[root]
    updates = None if lr is None else update_steps(root, params, lr)
    render = _Markdown() if markdown else _Text()
    render.heading(title or f"Worked solution for {top}")
    render.section("Forward pass (evaluation order)")
    render.table(
        ["step", "node", "computation"],
        [[str(s.index + 1), s.name, s.explanation] for s in forward],
        [[str(s.index + 1), f"${to_latex(s.name)}$", f"${s.latex}$"] for s in forward],
    )
    render.section(f"Backward pass (chain rule, from {top} back to the inputs)")
    render.numbered([s.explanation for s in backward], [f"${s.latex}$" for s in backward])
    if chains:
        render.section("Chain rule along a path")
        render.bullets([c.explanation for c in chains], [f"${c.latex}$" for c in chains])
    if updates is not None and lr is not None:
        _gradient_step(render, top, updates, lr)
    return render.result()


def _gradient_step(render: _Text, top: str, updates: Sequence[UpdateStep], lr: float) -> None:
    """The table of updated params, then the new output and the predicted change."""
    *params, output = updates
    rate = signed(format_number(lr))
    render.section(
        f"One gradient-descent step, learning rate {format_number(lr)}: "
        f"p' = p - {rate}{PRODUCT}d{top}/dp"
    )
    render.table(
        ["param", "value", f"d{top}/dp", "new value"],
        [[u.name, format_number(u.old), format_number(u.grad), u.explanation] for u in params],
        [[f"${to_latex(u.name)}$", format_number(u.old), format_number(u.grad), f"${u.latex}$"]
         for u in params],
    )
    render.paragraph(output.explanation, output.latex)
