"""Drawings of the forward and backward pass with graphviz.

`draw_graph` draws a recorded graph: a value node per `Value`, an op node per
operation showing the op table's symbol. What each drawing mode shows is one
entry of `MODE_TABLE`: "forward" has arrows in evaluation order and values on
the nodes; "backward" keeps the layout, reverses the arrows and puts the
gradient each wire sends on it; "both" shows values (green) and gradients
(red) on nodes and wires, as the CS231n notes draw them. Node ids come from
positions in the evaluation order, so identical graphs give identical DOT text;
each node's SVG `<g>` carries the id ``node_<DOT id>`` (`svg_id`).
Given the nn model the graph came from, each neuron's nodes form a cluster
inside its layer's, and the first layer's inputs stand inside that layer.

A constant gets no gradient cell: one without a label is written inside the op
node that uses it (``^2``, ``+ 5``), a labelled one (data, a target) is a grey
leaf. Number cells have a fixed size (`cell_widths`) and a highlight changes
only colours, so drawings sharing a `Layout` are placed alike by Graphviz.

Every string a user gave (a label, the title) reaches DOT only inside an
HTML-like label, HTML-escaped, cut to `LABEL_LIMIT` (`TITLE_LIMIT`) characters
and with the characters Graphviz rejects shown as pictures (`visible`): no
label can add a node, and none can make `dot` fail. When `dot` does fail, the
`Drawing` raises one `RenderError` saying which format and what `dot` said.
"""

from __future__ import annotations

import html
import math
import os
import re
import subprocess
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import graphviz

from .. import checks
from ..engine import Value
from ..explain.notation import format_number
from ..files import write_atomically
from ..graph import backward_pass, consumers, evaluation_order, is_constant, node_names, op_of
from ..nn import Module, Neuron, activation_named

__all__ = [
    "DEFAULT_MAX_NODES", "GRADIENT_COLOR", "GRADIENT_COLOUR", "HIGHLIGHT_COLOR", "LABEL_LIMIT",
    "MODES", "MODE_TABLE", "TITLE_LIMIT", "UPDATE_COLOR", "VALUE_COLOR", "VALUE_COLOUR",
    "Drawing", "GraphvizNotFoundError", "Mode", "RenderError", "draw_graph", "save_drawing",
]

VALUE_COLOR = "#1a7f37"
"""Values are drawn green, as in the CS231n notes."""
GRADIENT_COLOR = "#cf222e"
"""Gradients are drawn red, as in the CS231n notes."""
HIGHLIGHT_COLOR = "#ffe680"
"""The background of highlighted nodes (the current step of a step-through)."""
HIGHLIGHT_BORDER = "#9a6700"
"""The border of a highlighted value node."""
UPDATE_COLOR = "#0550ae"
"""Values after a gradient-descent step are drawn blue."""
CONSTANT_COLOR = "#8c959f"
"""Constants (leaves that get no gradient) are drawn grey."""
LAYER_COLOR = "#888888"
NEURON_COLOR = "#3060c0"
VALUE_COLOUR = VALUE_COLOR
"""The old spelling of `VALUE_COLOR`."""
GRADIENT_COLOUR = GRADIENT_COLOR
"""The old spelling of `GRADIENT_COLOR`."""

DEFAULT_MAX_NODES = 2000
"""Largest graph `draw_graph` draws unless told otherwise: one sample through an
MLP(2, [16, 16, 1]) and its loss is about 700 nodes; Graphviz lays out 2,000
in seconds, and takes minutes over graphs many times that size."""
NUMBER_CELL_WIDTH = 52
"""Minimum width in points of a number's cell, so layouts hardly move between frames."""
RANKDIRS = ("LR", "RL", "TB", "BT")
LABEL_LIMIT = 200
"""Longest node label drawn in full; a longer one is cut, with "…" and its length."""
TITLE_LIMIT = 500
"""Longest title drawn in full (it spans the picture, so it may be longer than a label)."""

INSTALL_GRAPHVIZ = (
    "install Graphviz: `apt-get install graphviz` (Debian/Ubuntu), "
    "`brew install graphviz` (macOS), or see https://graphviz.org/download/"
)


# Modes ------------------------------------------------------------------


@dataclass(frozen=True)
class Mode:
    """What a drawing mode shows. Adding a mode is one `MODE_TABLE` entry."""

    values: bool = False
    """Each value node shows its data."""
    gradients: bool = False
    """Each value node shows d root / d node."""
    wire_values: bool = False
    """Each wire shows the value flowing forward along it."""
    wire_gradients: bool = False
    """Each wire shows the gradient sent back along it."""
    arrows_back: bool = False
    """Arrows point from outputs to inputs (red), the way gradients flow."""
    legend: bool = False
    """A note says which colour is which; values are then drawn green."""

    @property
    def needs_gradients(self) -> bool:
        """Whether the drawing shows any gradient (only then are they computed)."""
        return self.gradients or self.wire_gradients

    @property
    def value_color(self) -> str | None:
        """The colour of values: green beside red gradients, plain otherwise."""
        return VALUE_COLOR if self.legend else None


MODE_TABLE: dict[str, Mode] = {
    "forward": Mode(values=True),
    "backward": Mode(gradients=True, wire_gradients=True, arrows_back=True),
    "both": Mode(values=True, gradients=True, wire_values=True, wire_gradients=True, legend=True),
}
"""Every drawing mode by name: `draw_graph(root, mode)` and the `--mode` option read it."""

MODES = tuple(MODE_TABLE)
"""The drawing modes' names."""


# Drawings that say how to install Graphviz --------------------------------


class GraphvizNotFoundError(graphviz.ExecutableNotFound):  # type: ignore[misc]
    """Graphviz's `dot` program is missing; the message says how to install it."""

    def __init__(self, command: object = "dot") -> None:
        RuntimeError.__init__(
            self,
            f"cannot render the graph: Graphviz's {command!r} program is not on PATH "
            f"(the DOT text is still in `.source`); {INSTALL_GRAPHVIZ}",
        )


class RenderError(RuntimeError):
    """Graphviz is installed but could not render a drawing: the message names the
    format and the first line `dot` wrote on stderr (`.stderr` keeps all of it)."""

    def __init__(self, message: str, stderr: str = "") -> None:
        super().__init__(message)
        self.stderr = stderr


def _render_error(fmt: str, failure: Exception) -> RenderError:
    """Our one error for a failed `dot` run: exit status, broken pipe or OS error."""
    stderr = ""
    if isinstance(failure, subprocess.CalledProcessError):
        said = failure.stderr or b""
        stderr = said.decode("utf-8", "replace") if isinstance(said, bytes) else str(said)
        first = next((line.strip() for line in stderr.splitlines() if line.strip()), "")
        status = failure.returncode
        how = f"was killed by signal {-status}" if status < 0 else f"exited with status {status}"
        reason = f"dot {how}" + (f": {visible(first, LABEL_LIMIT)}" if first else "")
    elif isinstance(failure, BrokenPipeError):
        reason = "dot stopped reading the drawing before its end (broken pipe)"
    else:
        reason = visible(str(failure), LABEL_LIMIT) or type(failure).__name__
    return RenderError(f"Graphviz could not render the drawing as {fmt}: {reason}", stderr)


@contextmanager
def _graphviz_needed(fmt: str) -> Iterator[None]:
    """Turn graphviz's missing-executable error into one that says how to install it,
    and any failure of `dot` (exit status, broken pipe, OS error) into a `RenderError`."""
    try:
        yield
    except (GraphvizNotFoundError, RenderError):
        raise
    except graphviz.ExecutableNotFound as missing:
        raise GraphvizNotFoundError() from missing
    except (subprocess.CalledProcessError, OSError) as failed:
        raise _render_error(fmt, failed) from failed


class Drawing(graphviz.Digraph):  # type: ignore[misc]
    """A `graphviz.Digraph` whose rendering says how to install Graphviz when it is
    missing and raises a `RenderError` when `dot` fails.

    `dot` runs quietly unless told otherwise (``quiet=False``): what it says on a
    failure is in the error, so a command prints one line. Displays itself in
    Jupyter (as SVG); `.source` is the DOT text.
    """

    def _rendered_format(
        self, args: tuple[Any, ...], kwargs: dict[str, Any], position: int
    ) -> str:
        """The format a call renders to: given by position or keyword, else the drawing's."""
        given = args[position] if len(args) > position else kwargs.get("format")
        return str(given or self.format)

    def pipe(self, *args: Any, **kwargs: Any) -> Any:
        if len(args) <= 4:  # pipe(format, renderer, formatter, neato_no_op, quiet)
            kwargs.setdefault("quiet", True)
        with _graphviz_needed(self._rendered_format(args, kwargs, 0)):
            return super().pipe(*args, **kwargs)

    def render(self, *args: Any, **kwargs: Any) -> Any:
        if len(args) <= 8:  # render(filename, directory, view, cleanup, format, ..., quiet)
            kwargs.setdefault("quiet", True)
        with _graphviz_needed(self._rendered_format(args, kwargs, 4)):
            return super().render(*args, **kwargs)

    def view(self, *args: Any, **kwargs: Any) -> Any:
        if len(args) <= 3:  # view(filename, directory, cleanup, quiet)
            kwargs.setdefault("quiet", True)
        with _graphviz_needed(str(self.format)):
            return super().view(*args, **kwargs)


# What is known ------------------------------------------------------------

CellKey = tuple[str, Value, int]
"""A number cell: ("value", node, -1), ("grad", node, -1) or ("wire", consumer, position)."""


@dataclass
class Known:
    """What a drawing can show: which values, gradients and wire gradients are known.

    A step-through frame knows only what the steps so far computed.
    """

    data: set[Value] | None = None
    """Nodes whose value is shown (None: all)."""
    grads: dict[Value, float] = field(default_factory=dict)
    wires: dict[tuple[Value, int], float] = field(default_factory=dict)
    """(consumer, input position) -> gradient sent along that wire."""
    new: dict[Value, float] = field(default_factory=dict)
    """Values after a gradient-descent step, shown instead of `.data` (in `UPDATE_COLOR`)."""

    def value(self, node: Value) -> float | None:
        """The value shown on `node`: its new value, its data, or None while unknown."""
        if node in self.new:
            return self.new[node]
        return node.data if self.data is None or node in self.data else None


_EMS = {**dict.fromkeys("0123456789", 0.64), "-": 0.37, ".": 0.32, "e": 0.62, "+": 0.84}
"""Generous advance widths in ems of the characters of a number (Helvetica's and
DejaVu Sans's, whichever is wider), so a cell sized by them holds its text."""


def text_ems(text: str) -> float:
    """An upper estimate of `text`'s width in ems (0.7 for a character not listed)."""
    return sum(_EMS.get(char, 0.7) for char in text)


def cell_widths(order: Sequence[Value], knowns: Iterable[Known]) -> dict[CellKey, float]:
    """The widest number, in ems, that each cell shows in any of `knowns`.

    Every frame of a walk draws each cell this wide, so that no node or label
    changes size between frames and Graphviz lays every frame out alike.
    """
    widest: dict[CellKey, float] = {}

    def fit(key: CellKey, number: float | None) -> None:
        if number is not None:
            widest[key] = max(widest.get(key, 0.0), text_ems(format_number(number)))

    for known in knowns:
        for node in order:
            fit(("value", node, -1), known.value(node))
            fit(("grad", node, -1), known.grads.get(node))
        for (consumer, position), grad in known.wires.items():
            fit(("wire", consumer, position), grad)
    return widest


def _full_knowledge(root: Value, order: Sequence[Value], mode: Mode) -> Known:
    """Every value, and every gradient if the mode shows any (from the op table, no text);
    a constant receives none."""
    if not mode.needs_gradients:
        return Known()
    backward = backward_pass(root)
    wires = {
        (node, position): backward.sent(node, position)
        for node in order
        for position, child in enumerate(node.inputs)
        if not is_constant(child)
    }
    grads = {node: g for node, g in backward.gradients.items() if not is_constant(node)}
    return Known(grads=grads, wires=wires)


def checked_order(root: Value, max_nodes: int, who: str) -> list[Value]:
    """root's evaluation order, refused with a message past `max_nodes` nodes."""
    if not isinstance(root, Value):
        raise TypeError(f"{who} needs a Value, got {type(root).__name__}")
    max_nodes = checks.whole("max_nodes", max_nodes)
    order = evaluation_order(root)
    if len(order) > max_nodes:
        raise ValueError(
            f"graph has {len(order):,} nodes; {who} draws at most {max_nodes:,} "
            f"(pass max_nodes=... to raise the cap)"
        )
    _check_labels(order)
    return order


def _check_labels(order: Sequence[Value]) -> None:
    """Refuse a label that is not a str, naming the node by its position (its default name)."""
    for position, node in enumerate(order):
        if not isinstance(node.label, str):
            raise TypeError(
                f"label of node {position} (data {format_number(node.data)}) must be str, "
                f"got {type(node.label).__name__}"
            )


def draw_graph(
    root: Value,
    mode: str = "forward",
    *,
    highlight: Value | Iterable[Value] | None = None,
    rankdir: str = "LR",
    model: Module | None = None,
    max_nodes: int = DEFAULT_MAX_NODES,
    title: str | None = None,
) -> Drawing:
    """Draw root's graph in a mode of `MODE_TABLE`: "forward", "backward" (arrows
    reversed, carrying gradients) or "both" (values green, gradients red, with a legend).

    Gradients are this graph's d root / d node from the op table, whether or
    not `root.backward()` was called. `highlight` marks nodes; `model` (an
    nn `MLP`, `Layer` or `Neuron` the graph came from) groups each neuron's
    nodes into a cluster and each layer's neurons into another. A constant
    without a label is written inside the op node that uses it (``^2``,
    ``+ 5``); a labelled one is a grey leaf without a gradient.
    """
    order = checked_order(root, max_nodes, "draw_graph")
    shown = MODE_TABLE[checks.one_of("mode", mode, MODE_TABLE)]
    if title is not None and not isinstance(title, str):
        raise TypeError(f"title must be str or None, got {type(title).__name__}")
    known = _full_knowledge(root, order, shown)
    layout = Layout(rankdir, clusters(order, model), title, cell_widths(order, [known]))
    return draw(order, shown, known, _highlights(highlight), layout)


def _highlights(highlight: Value | Iterable[Value] | None) -> set[Value]:
    if highlight is None:
        return set()
    if isinstance(highlight, Value):
        return {highlight}
    return set(highlight)


# Labels -------------------------------------------------------------------

_REJECTED = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")
"""Characters a label cannot show as they are. `dot` fails on NUL, on the other C0
controls, U+FFFE and U+FFFF in an HTML label (XML forbids them) and writes invalid
SVG from a quoted one; it drops tab and newline; a lone surrogate cannot be encoded;
DEL and the C1 controls are invisible or break lines. Every other character,
emoji and right-to-left marks included, renders (dot 2.43, tried one by one)."""


def _picture(match: re.Match[str]) -> str:
    """A rejected character's visible stand-in: its control picture (␀, ␉, ␡) or U+FFFD."""
    code = ord(match.group())
    if code < 0x20:
        return chr(0x2400 + code)
    return "\u2421" if code == 0x7F else "\ufffd"


def visible(text: str, limit: int) -> str:
    """`text` as a drawing shows it: cut to `limit` characters with "…" and its length,
    and each character Graphviz rejects replaced by a visible stand-in (`_REJECTED`)."""
    if type(text) is not str:
        text = str.__str__(text)  # a plain str: a subclass's own methods play no part
    if len(text) > limit:
        text = f"{text[:limit]}… ({len(text):,} characters)"
    # Printable text (most labels) has none of them: a check in C, no regex needed.
    return text if text.isprintable() else _REJECTED.sub(_picture, text)


_HTML_SPECIAL = re.compile(r"[&<>\"'\\\]]")
"""Characters `html_text` escapes."""


def html_text(text: str, limit: int) -> str:
    """`text` (`visible`) escaped for an HTML-like label: no `<`, `>`, `&` or quote
    of it can end the label or start markup. Its backslashes are doubled, since `dot`
    expands escapes in HTML text too (``\\N`` would show the node's id), and `]` is
    written ``&#93;``: a text of just ``]`` or ``]]`` is a syntax error to `dot`."""
    text = visible(text, limit)
    if _HTML_SPECIAL.search(text) is None:  # most labels: nothing to escape
        return text
    return html.escape(text.replace("\\", "\\\\")).replace("]", "&#93;")


def _dot_string(text: str) -> str:
    """`text` for a quoted DOT string: backslashes literal, never taken as HTML."""
    text = visible(text, LABEL_LIMIT)
    if "\\" in text or text.startswith("<"):
        return graphviz.escape(text)  # type: ignore[no-any-return]
    return text


NODE_FONT_SIZE = 11
"""Points: 14.7 CSS px when the SVG is shown at its natural size."""
EDGE_FONT_SIZE = 10
"""Points: 13.3 CSS px at natural size, above the 11 px a page must keep."""


@dataclass(frozen=True)
class _Cell:
    """How one number cell is drawn: its size is fixed, whatever it shows."""

    width: int
    height: int

    @classmethod
    def sized(cls, ems: float, font_size: int, padding: int, least: int) -> _Cell:
        """A cell `ems` wide in `font_size` points, with `padding` on each side."""
        width = max(least, math.ceil(ems * font_size) + 2 * padding + 2)
        return cls(width, math.ceil(font_size * 1.3) + 2 * padding)

    def html(self, text: str, color: str | None, border: str | None = None) -> str:
        """The cell showing `text` in `color`, its border in colour `border`."""
        content = html.escape(text)
        if color and content:
            content = f'<font color="{color}">{content}</font>'
        ink = f' color="{border}"' if border else ""
        return (
            f'<td width="{self.width}" height="{self.height}" fixedsize="true"{ink}>'
            f"{content}</td>"
        )


def _shown(number: float | None) -> str:
    return "" if number is None else format_number(number)


_LEGEND_ROWS = (
    (VALUE_COLOR, "value (forward)"),
    (GRADIENT_COLOR, "gradient (backward)"),
    (UPDATE_COLOR, "new value (gradient step)"),
)


def _legend(update: bool) -> str:
    """The note saying which colour is which (the new values' colour if `update`)."""
    rows = "".join(
        f'<tr><td><font color="{color}">{words}</font></td></tr>'
        for color, words in _LEGEND_ROWS[: 3 if update else 2]
    )
    return f'<<table border="0" cellborder="0" cellspacing="2">{rows}</table>>'


def _bracketed(number: str) -> str:
    """A negative number in brackets, as it reads after an operator: ``+ (-1)``."""
    return f"({number})" if number.startswith("-") else number


def _infix(symbol: str, constants: Sequence[str | None]) -> str:
    """An op node's label with its constants written in: ``^2``, ``+ 5``, ``1 -``."""
    if symbol == "**":
        left, right = constants
        return f"{left or ''}^{_bracketed(right) if right else ''}"
    if len(constants) == 2:
        left, right = constants
        parts = [left, symbol, _bracketed(right) if right else None]
        return " ".join(part for part in parts if part)
    if symbol.isidentifier():
        return f"{symbol}({', '.join(c or '·' for c in constants)})"
    return " + ".join([symbol, *[_bracketed(c) for c in constants if c]])


def op_label(node: Value, folded: set[Value]) -> str:
    """The op node's label: the op table's symbol, with folded constants written in."""
    symbol = op_of(node).symbol
    constants = [format_number(i.data) if i in folded else None for i in node.inputs]
    if not any(constants):
        return symbol
    return _infix(symbol, constants)


# Drawing ------------------------------------------------------------------

ClusterKey = tuple[int | None, int]
"""(layer index or None for a lone neuron, neuron index)."""
Declaration = tuple[str, str, dict[str, str]]
"""A node to declare: (id, label, attributes)."""


@dataclass(frozen=True)
class Layout:
    """What every drawing of one graph shares, so a walk's frames draw alike."""

    rankdir: str = "LR"
    cluster_of: Mapping[Value, ClusterKey] = field(default_factory=dict)
    """Each clustered node's (layer, neuron): see `clusters`."""
    title: str | None = None
    widths: Mapping[CellKey, float] = field(default_factory=dict)
    """Each number cell's width in ems (`cell_widths`); a cell not listed is narrow."""
    update_legend: bool = False
    """The legend also names the colour of values after a gradient-descent step."""


def draw(
    order: Sequence[Value], mode: Mode, known: Known, highlighted: set[Value], layout: Layout
) -> Drawing:
    """The drawing of the graph in `order` showing what `mode` asks and `known` knows.

    Every number cell has the fixed size `layout.widths` gives it and a
    highlight changes only colours, so drawings with the same `layout` differ
    in their text and colours and Graphviz places their nodes alike.
    """
    checks.one_of("rankdir", layout.rankdir, RANKDIRS)
    scene = _Scene(order, mode, known, highlighted, layout)
    drawing = Drawing(name="autograd_nn", format="svg")
    drawing.attr(rankdir=layout.rankdir, fontname="Helvetica", fontsize="12", nodesep="0.25")
    drawing.attr("node", fontname="Helvetica", fontsize=str(NODE_FONT_SIZE))
    drawing.attr("edge", fontname="Helvetica", fontsize=str(EDGE_FONT_SIZE), arrowsize="0.7")
    if layout.title:
        # An HTML-like label: a quoted one would still read "&lt;" as "<", and worse.
        drawing.attr(label=f"<{html_text(layout.title, TITLE_LIMIT)}>", labelloc="t")
    if mode.legend:
        drawing.node("legend", _legend(layout.update_legend), shape="note", id="legend")
    _add_nodes(drawing, scene.declarations())
    scene.add_edges(drawing)
    return drawing


def svg_id(node_id: str) -> str:
    """The id of a drawn node's `<g>` element in the SVG: ``node_`` and its DOT id."""
    return f"node_{node_id}"


def folded_constants(order: Sequence[Value]) -> set[Value]:
    """The constants written inside their op node: those without a label (not the root)."""
    return {node for node in order[:-1] if is_constant(node) and not node.label}


class _Scene:
    """One graph as drawn: its node ids, its labels and its edges in a given mode."""

    def __init__(
        self, order: Sequence[Value], mode: Mode, known: Known, highlighted: set[Value],
        layout: Layout,
    ) -> None:
        self.order = order
        self.mode = mode
        self.known = known
        self.highlighted = highlighted
        self.layout = layout
        self.names = node_names(order)
        self.folded = folded_constants(order)
        self.value_id = {node: f"v{position}" for position, node in enumerate(order)}
        computed = [node for node in order if node.inputs]
        self.op_id = {node: f"op{k}" for k, node in enumerate(computed)}

    def cell(self, key: CellKey, wire: bool) -> _Cell:
        ems = self.layout.widths.get(key, 0.0)
        if wire:
            return _Cell.sized(ems, EDGE_FONT_SIZE, 1, 8)
        return _Cell.sized(ems, NODE_FONT_SIZE, 4, NUMBER_CELL_WIDTH)

    def value_color(self, node: Value) -> str | None:
        return UPDATE_COLOR if node in self.known.new else self.mode.value_color

    def value_label(self, node: Value) -> str:
        """A value node: its name, then its value and gradient as the mode shows them;
        a constant is grey and has no gradient."""
        constant = is_constant(node)
        ink = CONSTANT_COLOR if constant else "black"
        name = html_text(self.names[node], LABEL_LIMIT)
        name = f'<font color="{ink}">{name}</font>' if constant else f"<b>{name}</b>"
        cells = [f'<td color="{ink}">{name}</td>']
        if self.mode.values:
            cell = self.cell(("value", node, -1), False)
            cells.append(cell.html(_shown(self.known.value(node)), self.value_color(node), ink))
        if self.mode.gradients and not constant:
            cell = self.cell(("grad", node, -1), False)
            cells.append(cell.html(_shown(self.known.grads.get(node)), GRADIENT_COLOR, ink))
        # The border is always drawn, transparent unless highlighted: same size.
        lit = node in self.highlighted
        border = f'color="{HIGHLIGHT_BORDER}" bgcolor="{HIGHLIGHT_COLOR}"' if lit else (
            'color="transparent"'
        )
        return (
            f'<<table border="2" {border} cellborder="1" cellspacing="0" cellpadding="4">'
            f'<tr>{"".join(cells)}</tr></table>>'
        )

    def wire_label(self, node: Value, key: CellKey, gradient_row: bool) -> str | None:
        """An edge's numbers: node's value above (green), the gradient in cell `key`
        below (red) if the wire carries one."""
        rows = []
        if self.mode.wire_values:
            cell = self.cell(("value", node, -1), True)
            text = _shown(self.known.value(node))
            rows.append(f"<tr>{cell.html(text, self.value_color(node))}</tr>")
        if self.mode.wire_gradients and gradient_row:
            kind, consumer, position = key
            known = self.known
            wire = known.wires.get((consumer, position))
            grad = wire if kind == "wire" else known.grads.get(node)
            rows.append(f"<tr>{self.cell(key, True).html(_shown(grad), GRADIENT_COLOR)}</tr>")
        if not rows:
            return None
        return (
            '<<table border="0" cellborder="0" cellspacing="0" cellpadding="1">'
            f"{''.join(rows)}</table>>"
        )

    def declarations(self) -> dict[ClusterKey | None, list[Declaration]]:
        """Each node's declaration, grouped by the cluster it belongs to (None: none)."""
        grouped: dict[ClusterKey | None, list[Declaration]] = {}
        for node in self.order:
            if node in self.folded:
                continue
            lit = node in self.highlighted
            group = grouped.setdefault(self.layout.cluster_of.get(node), [])
            value_id = self.value_id[node]
            attrs = {"shape": "plain", "id": svg_id(value_id)}
            group.append((value_id, self.value_label(node), attrs))
            if node.inputs:
                op_id = self.op_id[node]
                # Filled in every drawing, only the colours change: a bold
                # outline would make the node bigger and move its neighbours.
                attrs = {
                    "shape": "ellipse", "margin": "0.05", "id": svg_id(op_id), "style": "filled",
                    "fillcolor": HIGHLIGHT_COLOR if lit else "white",
                    "color": HIGHLIGHT_BORDER if lit else "black",
                }
                group.append((op_id, _dot_string(op_label(node, self.folded)), attrs))
        return grouped

    def add_edges(self, drawing: Drawing) -> None:
        """Inputs to op node, op node to output, each wire with its numbers."""
        for node in self.order:
            if not node.inputs:
                continue
            op_id, bold = self.op_id[node], node in self.highlighted
            for position, child in enumerate(node.inputs):
                if child not in self.folded:
                    label = self.wire_label(
                        child, ("wire", node, position), not is_constant(child)
                    )
                    self.edge(drawing, self.value_id[child], op_id, label, bold)
            label = self.wire_label(node, ("grad", node, -1), True)
            self.edge(drawing, op_id, self.value_id[node], label, bold)

    def edge(self, drawing: Drawing, tail: str, head: str, label: str | None, bold: bool) -> None:
        attrs: dict[str, str] = {}
        if self.mode.arrows_back:
            attrs["dir"] = "back"
            attrs["color"] = GRADIENT_COLOR
        if bold:
            attrs["penwidth"] = "2.5"
        drawing.edge(tail, head, label=label, **attrs)


def _add_nodes(
    drawing: Drawing, grouped: dict[ClusterKey | None, list[Declaration]]
) -> None:
    """Declare nodes, each neuron's in its cluster and each layer's neurons in another."""
    for node_id, label, attrs in grouped.get(None, []):
        drawing.node(node_id, label, **attrs)
    keys = [key for key in grouped if key is not None]
    layers = sorted({layer for layer, _ in keys}, key=lambda layer: -1 if layer is None else layer)
    for layer in layers:
        neurons = sorted(neuron for lay, neuron in keys if lay == layer)
        if layer is None:
            for neuron in neurons:
                _add_neuron(drawing, None, neuron, grouped[(None, neuron)])
            continue
        with drawing.subgraph(name=f"cluster_layer{layer}") as layer_graph:
            layer_graph.attr(label=f"layer {layer + 1}", style="rounded", color=LAYER_COLOR)
            for node_id, label, attrs in grouped.get((layer, INPUTS), []):
                layer_graph.node(node_id, label, **attrs)
            for neuron in neurons:
                if neuron != INPUTS:
                    _add_neuron(layer_graph, layer, neuron, grouped[(layer, neuron)])


def _add_neuron(
    parent: graphviz.Digraph, layer: int | None, neuron: int, nodes: list[Declaration]
) -> None:
    prefix = "" if layer is None else f"layer{layer}_"
    name = f"neuron {neuron + 1}" if layer is None else f"neuron {layer + 1}.{neuron + 1}"
    with parent.subgraph(name=f"cluster_{prefix}neuron{neuron}") as neuron_graph:
        neuron_graph.attr(label=name, style="rounded,dashed", color=NEURON_COLOR)
        for node_id, label, attrs in nodes:
            neuron_graph.node(node_id, label, **attrs)


# Clusters of the nn layer ---------------------------------------------


def _neurons_of(model: object) -> list[tuple[int | None, int, Neuron]]:
    """(layer index or None, neuron index, neuron) for an MLP, a Layer or a Neuron."""
    if isinstance(model, Neuron):
        return [(None, 0, model)]
    if isinstance(model, Module):
        return [
            (layer, index, neuron)
            for layer, neurons in enumerate(model.neuron_layers())
            for index, neuron in enumerate(neurons)
        ]
    raise TypeError(
        f"model must be an nn MLP, Layer or Neuron (a Module), got {type(model).__name__}"
    )


def _neuron_nodes(neuron: Neuron, users: Mapping[Value, list[Value]]) -> list[Value]:
    """A neuron's nodes in the graph: its parameters, the nodes that use them directly
    (the w*x products and the sum that takes the bias), the sum of the products,
    and the activation's op node applied to that sum."""
    weights = [w for w in neuron.weights if w in users]
    biases = [b for b in (neuron.bias,) if b is not None and b in users]
    direct = [user for param in [*weights, *biases] for user in users[param]]
    products = [user for w in weights for user in users[w]]
    sums = {user for node in [*products, *biases] for user in users[node] if user.op == "sum"}
    activation = activation_named(neuron.activation).op  # None adds no node ("linear")
    applied = [
        user for total in sums for user in users[total]
        if user.op == activation and user.inputs[0] is total
    ]
    return [*weights, *biases, *direct, *sums, *applied]


INPUTS = -1
"""The neuron index of a layer's inputs: inside the layer's cluster, in no neuron's."""


def clusters(order: Sequence[Value], model: Module | None) -> dict[Value, ClusterKey]:
    """Each clustered node's (layer, neuron); a node two neurons share goes to the first.

    The first layer's inputs (leaves that feed its neurons' products) are in
    that layer's cluster as (0, INPUTS), beside the neurons they feed: outside
    it Graphviz routes their many edges around the whole layer.
    """
    if model is None:
        return {}
    users = consumers(order)
    cluster: dict[Value, ClusterKey] = {}
    for layer, index, neuron in _neurons_of(model):
        for node in _neuron_nodes(neuron, users):
            cluster.setdefault(node, (layer, index))
    for node in order:
        first = [cluster[user] for user in users.get(node, []) if user in cluster]
        if not node.inputs and node not in cluster and first and first[0][0] == 0:
            cluster[node] = (0, INPUTS)
    return cluster


# Files ------------------------------------------------------------------


def check_drawing_path(path: str | os.PathLike[str]) -> str:
    """The picture format `path`'s suffix names, after checking that a drawing can
    be written there: a known suffix, an existing directory to hold it, and no
    directory of that name. The command line checks this before any work."""
    target = Path(path)
    fmt = target.suffix.lstrip(".").lower()
    if not fmt:
        raise ValueError(f"{target}: give the file a suffix such as .svg, .png or .gv")
    if fmt not in ("gv", "dot") and fmt not in graphviz.FORMATS:
        raise ValueError(f"{target}: unknown picture format {fmt!r} (try .svg, .png or .pdf)")
    if target.is_dir():
        raise ValueError(f"{target} is a directory; give a file name such as "
                         f"{target / 'graph.svg'}")
    folder = target.parent
    if not folder.is_dir():
        what = "is not a directory" if folder.exists() else "does not exist"
        raise ValueError(f"{target}: the folder {folder} {what}")
    return fmt


def save_drawing(drawing: graphviz.Digraph, path: str | os.PathLike[str]) -> Path:
    """Render `drawing` to `path`, the format taken from its suffix (.svg, .png,
    .pdf, ...; .gv or .dot write the DOT text). Written atomically."""
    target = Path(path)
    fmt = check_drawing_path(target)
    if fmt in ("gv", "dot"):
        data = drawing.source.encode("utf-8")
    else:
        with _graphviz_needed(fmt):  # a plain Digraph too
            data = drawing.pipe(format=fmt, quiet=True)
    write_atomically(target, data)
    return target
