"""Drawings of the forward and backward pass with graphviz.

`draw_graph` draws a recorded graph: a value node per `Value`, an op node per
operation showing the op table's symbol. What each drawing mode shows is one
entry of `MODE_TABLE`: "forward" has arrows in evaluation order and values on
the nodes; "backward" keeps the layout, reverses the arrows and puts the
gradient each wire sends on it; "both" shows values (green) and gradients
(red) on nodes and wires, as the CS231n notes draw them. Node ids come from
positions in the evaluation order, so identical graphs give identical DOT text.
Given the nn model the graph came from, each neuron's nodes form a cluster
inside its layer's.
"""

from __future__ import annotations

import html
import os
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
from ..graph import backward_pass, consumers, evaluation_order, node_names, op_of
from ..nn import Module, Neuron, activation_named

__all__ = [
    "DEFAULT_MAX_NODES", "GRADIENT_COLOR", "GRADIENT_COLOUR", "HIGHLIGHT_COLOR", "MODES",
    "MODE_TABLE", "VALUE_COLOR", "VALUE_COLOUR", "Drawing", "GraphvizNotFoundError", "Mode",
    "draw_graph", "save_drawing",
]

VALUE_COLOR = "#1a7f37"
"""Values are drawn green, as in the CS231n notes."""
GRADIENT_COLOR = "#cf222e"
"""Gradients are drawn red, as in the CS231n notes."""
HIGHLIGHT_COLOR = "#ffe680"
"""The background of highlighted nodes (the current step of a step-through)."""
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


@contextmanager
def _graphviz_needed() -> Iterator[None]:
    """Turn graphviz's missing-executable error into one that says how to install it."""
    try:
        yield
    except graphviz.ExecutableNotFound as missing:
        raise GraphvizNotFoundError() from missing


class Drawing(graphviz.Digraph):  # type: ignore[misc]
    """A `graphviz.Digraph` whose rendering says how to install Graphviz when it is missing.

    Displays itself in Jupyter (as SVG); `.source` is the DOT text.
    """

    def pipe(self, *args: Any, **kwargs: Any) -> Any:
        with _graphviz_needed():
            return super().pipe(*args, **kwargs)

    def render(self, *args: Any, **kwargs: Any) -> Any:
        with _graphviz_needed():
            return super().render(*args, **kwargs)

    def view(self, *args: Any, **kwargs: Any) -> Any:
        with _graphviz_needed():
            return super().view(*args, **kwargs)


# What is known ------------------------------------------------------------


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

    def has_data(self, node: Value) -> bool:
        return self.data is None or node in self.data


def _full_knowledge(root: Value, order: Sequence[Value], mode: Mode) -> Known:
    """Every value, and every gradient if the mode shows any (from the op table, no text)."""
    if not mode.needs_gradients:
        return Known()
    backward = backward_pass(root)
    wires = {
        (node, position): backward.sent(node, position)
        for node in order
        for position in range(len(node.inputs))
    }
    return Known(grads=backward.gradients, wires=wires)


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
    return order


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
    nodes into a cluster and each layer's neurons into another.
    """
    order = checked_order(root, max_nodes, "draw_graph")
    shown = MODE_TABLE[checks.one_of("mode", mode, MODE_TABLE)]
    return draw(
        order, shown, _full_knowledge(root, order, shown), _highlights(highlight), rankdir,
        clusters(order, model), title,
    )


def _highlights(highlight: Value | Iterable[Value] | None) -> set[Value]:
    if highlight is None:
        return set()
    if isinstance(highlight, Value):
        return {highlight}
    return set(highlight)


# Labels -------------------------------------------------------------------


def _number_cell(text: str, color: str | None) -> str:
    content = html.escape(text)
    if color and content:
        content = f'<font color="{color}">{content}</font>'
    return f'<td width="{NUMBER_CELL_WIDTH}">{content}</td>'


def _shown(number: float | None) -> str:
    return "" if number is None else format_number(number)


def _value_label(name: str, node: Value, mode: Mode, known: Known, highlighted: bool) -> str:
    """A value node: its name, then its value and gradient as the mode shows them."""
    cells = [f"<td><b>{html.escape(name)}</b></td>"]
    if mode.values:
        value = node.data if known.has_data(node) else None
        cells.append(_number_cell(_shown(value), mode.value_color))
    if mode.gradients:
        cells.append(_number_cell(_shown(known.grads.get(node)), GRADIENT_COLOR))
    background = f' bgcolor="{HIGHLIGHT_COLOR}"' if highlighted else ""
    border = "3" if highlighted else "0"
    return (
        f'<<table border="{border}" cellborder="1" cellspacing="0" cellpadding="4"'
        f"{background}><tr>{''.join(cells)}</tr></table>>"
    )


def _wire_label(value: float | None, grad: float | None, mode: Mode) -> str | None:
    """An edge's numbers: value above (green) and gradient below (red)."""
    rows = []
    if mode.wire_values:
        rows.append(f"<tr>{_number_cell(_shown(value), VALUE_COLOR)}</tr>")
    if mode.wire_gradients:
        rows.append(f"<tr>{_number_cell(_shown(grad), GRADIENT_COLOR)}</tr>")
    if not rows:
        return None
    return (
        '<<table border="0" cellborder="0" cellspacing="0" cellpadding="1">'
        f"{''.join(rows)}</table>>"
    )


_LEGEND = (
    '<<table border="0" cellborder="0" cellspacing="2">'
    f'<tr><td><font color="{VALUE_COLOR}">value (forward)</font></td></tr>'
    f'<tr><td><font color="{GRADIENT_COLOR}">gradient (backward)</font></td></tr>'
    "</table>>"
)


# Drawing ------------------------------------------------------------------

ClusterKey = tuple[int | None, int]
"""(layer index or None for a lone neuron, neuron index)."""
Declaration = tuple[str, str, dict[str, str]]
"""A node to declare: (id, label, attributes)."""


def draw(
    order: Sequence[Value],
    mode: Mode,
    known: Known,
    highlighted: set[Value],
    rankdir: str,
    cluster_of: dict[Value, ClusterKey],
    title: str | None,
) -> Drawing:
    """The drawing of the graph in `order` showing what `mode` asks and `known` knows."""
    checks.one_of("rankdir", rankdir, RANKDIRS)
    scene = _Scene(order, mode, known, highlighted)
    drawing = Drawing(name="autograd_nn", format="svg")
    drawing.attr(rankdir=rankdir, fontname="Helvetica", fontsize="12", nodesep="0.25")
    drawing.attr("node", fontname="Helvetica", fontsize="11")
    drawing.attr("edge", fontname="Helvetica", fontsize="10", arrowsize="0.7")
    if title:
        drawing.attr(label=title, labelloc="t")
    if mode.legend:
        drawing.node("legend", _LEGEND, shape="note")
    _add_nodes(drawing, scene.declarations(cluster_of))
    scene.add_edges(drawing)
    return drawing


class _Scene:
    """One graph as drawn: its node ids, its labels and its edges in a given mode."""

    def __init__(
        self, order: Sequence[Value], mode: Mode, known: Known, highlighted: set[Value]
    ) -> None:
        self.order = order
        self.mode = mode
        self.known = known
        self.highlighted = highlighted
        self.names = node_names(order)
        self.value_id = {node: f"v{position}" for position, node in enumerate(order)}
        computed = [node for node in order if node.inputs]
        self.op_id = {node: f"op{k}" for k, node in enumerate(computed)}

    def declarations(self, cluster_of: dict[Value, ClusterKey]) -> dict[
        ClusterKey | None, list[Declaration]
    ]:
        """Each node's declaration, grouped by the cluster it belongs to (None: none)."""
        grouped: dict[ClusterKey | None, list[Declaration]] = {}
        for node in self.order:
            lit = node in self.highlighted
            label = _value_label(self.names[node], node, self.mode, self.known, lit)
            group = grouped.setdefault(cluster_of.get(node), [])
            group.append((self.value_id[node], label, {"shape": "plain"}))
            if node.inputs:
                attrs = {"shape": "ellipse", "margin": "0.05"}
                if lit:
                    attrs.update(style="filled,bold", fillcolor=HIGHLIGHT_COLOR)
                group.append((self.op_id[node], op_of(node).symbol, attrs))
        return grouped

    def add_edges(self, drawing: Drawing) -> None:
        """Inputs to op node, op node to output, each wire with its numbers."""
        known = self.known
        for node in self.order:
            if not node.inputs:
                continue
            op_id, bold = self.op_id[node], node in self.highlighted
            for position, child in enumerate(node.inputs):
                value = child.data if known.has_data(child) else None
                label = _wire_label(value, known.wires.get((node, position)), self.mode)
                self.edge(drawing, self.value_id[child], op_id, label, bold)
            value = node.data if known.has_data(node) else None
            label = _wire_label(value, known.grads.get(node), self.mode)
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
            for neuron in neurons:
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


def clusters(order: Sequence[Value], model: Module | None) -> dict[Value, ClusterKey]:
    """Each clustered node's (layer, neuron); a node two neurons share goes to the first."""
    if model is None:
        return {}
    users = consumers(order)
    cluster: dict[Value, ClusterKey] = {}
    for layer, index, neuron in _neurons_of(model):
        for node in _neuron_nodes(neuron, users):
            cluster.setdefault(node, (layer, index))
    return cluster


# Files ------------------------------------------------------------------


def save_drawing(drawing: graphviz.Digraph, path: str | os.PathLike[str]) -> Path:
    """Render `drawing` to `path`, the format taken from its suffix (.svg, .png,
    .pdf, ...; .gv or .dot write the DOT text). Written atomically."""
    target = Path(path)
    fmt = target.suffix.lstrip(".").lower()
    if not fmt:
        raise ValueError(f"{target}: give the file a suffix such as .svg, .png or .gv")
    if fmt in ("gv", "dot"):
        data = drawing.source.encode("utf-8")
    elif fmt in graphviz.FORMATS:
        data = drawing.pipe(format=fmt)
    else:
        raise ValueError(f"{target}: unknown picture format {fmt!r} (try .svg, .png or .pdf)")
    write_atomically(target, data)
    return target
