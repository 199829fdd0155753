"""Drawings of the forward and backward pass with graphviz, and step-by-step frames.

`draw_graph` draws a recorded graph: a value node per `Value`, an op node per
operation showing the op table's symbol. Forward mode has arrows in evaluation
order; backward mode keeps the layout and reverses the arrows, each carrying
the gradient it sends; "both" shows values (green) and gradients (red) on the
wires, as the CS231n notes draw them. Node ids come from topological positions,
so identical graphs give identical DOT text.

`render_steps` writes one frame per forward step and per backward step, and an
`index.html` that pages through them with no server.
"""

from __future__ import annotations

import html
import json
import os
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import graphviz

from .engine import Value
from .files import write_atomically
from .steps import (
    backward_steps,
    evaluation_order,
    format_number,
    forward_steps,
    node_names,
    op_of,
)

__all__ = [
    "DEFAULT_MAX_NODES",
    "GRADIENT_COLOUR",
    "MODES",
    "VALUE_COLOUR",
    "Drawing",
    "GraphvizNotFoundError",
    "draw_graph",
    "render_steps",
    "save_drawing",
]

MODES = ("forward", "backward", "both")
VALUE_COLOUR = "#1a7f37"
"""Values are drawn green, as in the CS231n notes."""
GRADIENT_COLOUR = "#cf222e"
"""Gradients are drawn red, as in the CS231n notes."""
HIGHLIGHT_COLOUR = "#ffe680"
DEFAULT_MAX_NODES = 2000
"""Largest graph `draw_graph` draws unless told otherwise: one sample through an
MLP(2, [16, 16, 1]) and its loss is about 700 nodes; Graphviz lays out 2,000
in seconds, and takes minutes over graphs many times that size."""
DEFAULT_MAX_FRAME_NODES = 200
"""Largest graph `render_steps` makes frames of (two frames per node)."""
NUMBER_CELL_WIDTH = 52
"""Minimum width in points of a number's cell, so layouts hardly move between frames."""

INSTALL_GRAPHVIZ = (
    "install Graphviz: `apt-get install graphviz` (Debian/Ubuntu), "
    "`brew install graphviz` (macOS), or see https://graphviz.org/download/"
)


class GraphvizNotFoundError(graphviz.ExecutableNotFound):  # type: ignore[misc]
    """Graphviz's `dot` program is missing; the message says how to install it."""

    def __init__(self, command: object = "dot") -> None:
        RuntimeError.__init__(
            self,
            f"cannot render the graph: Graphviz's {command!r} program is not on PATH "
            f"(the DOT text is still in `.source`); {INSTALL_GRAPHVIZ}",
        )


class Drawing(graphviz.Digraph):  # type: ignore[misc]
    """A `graphviz.Digraph` whose rendering says how to install Graphviz when it is missing.

    Displays itself in Jupyter (as SVG); `.source` is the DOT text.
    """

    def pipe(self, *args: Any, **kwargs: Any) -> Any:
        try:
            return super().pipe(*args, **kwargs)
        except graphviz.ExecutableNotFound as missing:
            raise GraphvizNotFoundError() from missing

    def render(self, *args: Any, **kwargs: Any) -> Any:
        try:
            return super().render(*args, **kwargs)
        except graphviz.ExecutableNotFound as missing:
            raise GraphvizNotFoundError() from missing

    def view(self, *args: Any, **kwargs: Any) -> Any:
        try:
            return super().view(*args, **kwargs)
        except graphviz.ExecutableNotFound as missing:
            raise GraphvizNotFoundError() from missing


@dataclass
class _Known:
    """What a drawing shows: which values, gradients and wire gradients are known."""

    data: set[Value] | None = None
    """Nodes whose value is shown (None: all)."""
    grads: dict[Value, float] = field(default_factory=dict)
    wires: dict[tuple[Value, int], float] = field(default_factory=dict)
    """(consumer, input position) -> gradient sent along that wire."""

    def has_data(self, node: Value) -> bool:
        return self.data is None or node in self.data


def _full_knowledge(root: Value) -> _Known:
    known = _Known()
    for step in backward_steps(root):
        known.grads[step.node] = step.upstream
        for position, send in enumerate(step.sends):
            known.wires[(step.node, position)] = send.product
    return known


def _checked_order(root: Value, max_nodes: int, who: str) -> list[Value]:
    if not isinstance(root, Value):
        raise TypeError(f"{who} needs a Value, got {type(root).__name__}")
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
    model: object | None = None,
    max_nodes: int = DEFAULT_MAX_NODES,
    title: str | None = None,
) -> Drawing:
    """Draw root's graph: "forward", "backward" (arrows reversed, carrying
    gradients) or "both" (values green, gradients red, with a legend).

    Gradients are this graph's d root / d node from the op table, whether or
    not `root.backward()` was called. `highlight` marks nodes; `model` (an
    nn `MLP`, `Layer` or `Neuron` the graph came from) groups each neuron's
    nodes into a cluster and each layer's neurons into another.
    """
    order = _checked_order(root, max_nodes, "draw_graph")
    return _draw(
        order, mode, _full_knowledge(root), _highlights(highlight), rankdir,
        _clusters(order, model), title,
    )


def _highlights(highlight: Value | Iterable[Value] | None) -> set[Value]:
    if highlight is None:
        return set()
    if isinstance(highlight, Value):
        return {highlight}
    return set(highlight)


def _number_cell(text: str, colour: str | None) -> str:
    content = html.escape(text)
    if colour and content:
        content = f'<font color="{colour}">{content}</font>'
    return f'<td width="{NUMBER_CELL_WIDTH}">{content}</td>'


def _value_label(
    name: str, node: Value, mode: str, known: _Known, highlighted: bool
) -> str:
    cells = [f"<td><b>{html.escape(name)}</b></td>"]
    if mode in ("forward", "both"):
        shown = format_number(node.data) if known.has_data(node) else ""
        cells.append(_number_cell(shown, VALUE_COLOUR if mode == "both" else None))
    if mode in ("backward", "both"):
        grad = known.grads.get(node)
        cells.append(_number_cell("" if grad is None else format_number(grad), GRADIENT_COLOUR))
    background = f' bgcolor="{HIGHLIGHT_COLOUR}"' if highlighted else ""
    border = "3" if highlighted else "0"
    return (
        f'<<table border="{border}" cellborder="1" cellspacing="0" cellpadding="4"'
        f"{background}><tr>{''.join(cells)}</tr></table>>"
    )


def _wire_label(value: float | None, grad: float | None, mode: str) -> str | None:
    """An edge's numbers: value above (green) and gradient below (red)."""
    rows = []
    if mode == "both":
        shown = "" if value is None else format_number(value)
        rows.append(f"<tr>{_number_cell(shown, VALUE_COLOUR)}</tr>")
    if mode in ("backward", "both"):
        shown = "" if grad is None else format_number(grad)
        rows.append(f"<tr>{_number_cell(shown, GRADIENT_COLOUR)}</tr>")
    if not rows:
        return None
    return (
        '<<table border="0" cellborder="0" cellspacing="0" cellpadding="1">'
        f"{''.join(rows)}</table>>"
    )


def _draw(
    order: Sequence[Value],
    mode: str,
    known: _Known,
    highlighted: set[Value],
    rankdir: str,
    clusters: dict[Value, tuple[int | None, int]],
    title: str | None,
) -> Drawing:
    if mode not in MODES:
        raise ValueError(f"mode must be one of {', '.join(MODES)}; got {mode!r}")
    if rankdir not in ("LR", "RL", "TB", "BT"):
        raise ValueError(f"rankdir must be LR, RL, TB or BT; got {rankdir!r}")
    names = node_names(order)
    position = {node: index for index, node in enumerate(order)}
    op_ids: dict[Value, str] = {}
    for node in order:
        if node.inputs:
            op_ids[node] = f"op{len(op_ids)}"

    drawing = Drawing(name="autograd_nn", format="svg")
    drawing.attr(rankdir=rankdir, fontname="Helvetica", fontsize="12", nodesep="0.25")
    drawing.attr("node", fontname="Helvetica", fontsize="11")
    drawing.attr("edge", fontname="Helvetica", fontsize="10", arrowsize="0.7")
    if title:
        drawing.attr(label=title, labelloc="t")
    if mode == "both":
        drawing.node(
            "legend",
            f'<<table border="0" cellborder="0" cellspacing="2">'
            f'<tr><td><font color="{VALUE_COLOUR}">value (forward)</font></td></tr>'
            f'<tr><td><font color="{GRADIENT_COLOUR}">gradient (backward)</font></td></tr>'
            "</table>>",
            shape="note",
        )

    grouped: dict[tuple[int | None, int] | None, list[tuple[str, str, dict[str, str]]]] = {}
    for node in order:
        node_id = f"v{position[node]}"
        label = _value_label(names[node], node, mode, known, node in highlighted)
        grouped.setdefault(clusters.get(node), []).append((node_id, label, {"shape": "plain"}))
        if node.inputs:
            attrs = {"shape": "ellipse", "margin": "0.05"}
            if node in highlighted:
                attrs.update(style="filled,bold", fillcolor=HIGHLIGHT_COLOUR)
            grouped[clusters.get(node)].append((op_ids[node], op_of(node).symbol, attrs))
    _add_nodes(drawing, grouped)

    backward = mode == "backward"
    for node in order:
        if not node.inputs:
            continue
        op_id = op_ids[node]
        for index, child in enumerate(node.inputs):
            value = child.data if known.has_data(child) else None
            _edge(drawing, f"v{position[child]}", op_id, backward,
                  _wire_label(value, known.wires.get((node, index)), mode),
                  node in highlighted)
        value = node.data if known.has_data(node) else None
        _edge(drawing, op_id, f"v{position[node]}", backward,
              _wire_label(value, known.grads.get(node), mode), node in highlighted)
    return drawing


def _edge(
    drawing: Drawing, tail: str, head: str, backward: bool, label: str | None, bold: bool
) -> None:
    attrs: dict[str, str] = {}
    if backward:
        attrs["dir"] = "back"
        attrs["color"] = GRADIENT_COLOUR
    if bold:
        attrs["penwidth"] = "2.5"
    drawing.edge(tail, head, label=label, **attrs)


def _add_nodes(
    drawing: Drawing,
    grouped: dict[tuple[int | None, int] | None, list[tuple[str, str, dict[str, str]]]],
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
            layer_graph.attr(label=f"layer {layer + 1}", style="rounded", color="#888888")
            for neuron in neurons:
                _add_neuron(layer_graph, layer, neuron, grouped[(layer, neuron)])


def _add_neuron(
    parent: graphviz.Digraph,
    layer: int | None,
    neuron: int,
    nodes: list[tuple[str, str, dict[str, str]]],
) -> None:
    prefix = "" if layer is None else f"layer{layer}_"
    name = f"neuron {neuron + 1}" if layer is None else f"neuron {layer + 1}.{neuron + 1}"
    with parent.subgraph(name=f"cluster_{prefix}neuron{neuron}") as neuron_graph:
        neuron_graph.attr(label=name, style="rounded,dashed", color="#3060c0")
        for node_id, label, attrs in nodes:
            neuron_graph.node(node_id, label, **attrs)


# Clusters of the nn layer ---------------------------------------------


def _neurons_of(model: object) -> list[tuple[int | None, int, Any]]:
    """(layer index or None, neuron index, neuron) for an MLP, a Layer or a Neuron."""
    if hasattr(model, "layers"):
        found: list[tuple[int | None, int, Any]] = []
        numbered = [layer for layer in model.layers if hasattr(layer, "neurons")]
        for index, layer in enumerate(numbered):
            found += [(index, j, neuron) for j, neuron in enumerate(layer.neurons)]
        return found
    if hasattr(model, "neurons"):
        return [(0, j, neuron) for j, neuron in enumerate(model.neurons)]
    if hasattr(model, "weights"):
        return [(None, 0, model)]
    raise TypeError(
        f"model must be an nn MLP, Layer or Neuron (with .layers, .neurons or .weights), "
        f"got {type(model).__name__}"
    )


def _clusters(order: Sequence[Value], model: object | None) -> dict[Value, tuple[int | None, int]]:
    """Each clustered node's (layer, neuron): the neuron's parameters, the nodes
    that use them directly (the w*x products and the sum that takes the bias),
    the sum of those products, and the activation applied to that sum."""
    if model is None:
        return {}
    consumers: dict[Value, list[Value]] = {node: [] for node in order}
    for node in order:
        for child in node.inputs:
            consumers[child].append(node)
    cluster: dict[Value, tuple[int | None, int]] = {}
    for layer, index, neuron in _neurons_of(model):
        key = (layer, index)
        weights = list(neuron.weights)
        bias = getattr(neuron, "bias", None)
        params = [p for p in [*weights, bias] if isinstance(p, Value) and p in consumers]
        for param in params:
            cluster.setdefault(param, key)
            for user in consumers[param]:
                cluster.setdefault(user, key)
        products = [user for w in weights if w in consumers for user in consumers[w]]
        sums = {user for p in products for user in consumers[p] if user.op == "sum"}
        if bias in consumers:
            sums.update(user for user in consumers[bias] if user.op == "sum")
        # The nn layer names activations after the op they apply ("linear" is none).
        activation = getattr(neuron, "activation", None)
        for total in sums:
            cluster.setdefault(total, key)
            for user in consumers[total]:
                if user.op == activation and user.inputs[0] is total:
                    cluster.setdefault(user, key)
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


@dataclass(frozen=True)
class _Frame:
    file: str
    phase: str
    title: str
    explanation: str


def render_steps(
    root: Value,
    out_dir: str | os.PathLike[str],
    fmt: str = "svg",
    *,
    rankdir: str = "LR",
    model: object | None = None,
    max_nodes: int = DEFAULT_MAX_FRAME_NODES,
    title: str | None = None,
) -> Path:
    """Write one frame per forward step, then one per backward step, into
    `out_dir`, each highlighting the current node with the numbers known so
    far, and an `index.html` that pages through them (buttons, arrow keys, the
    step's explanation); it works from the file system. Returns its path.
    """
    if fmt not in ("svg", "png"):
        raise ValueError(f"frame format must be svg or png; got {fmt!r}")
    order = _checked_order(root, max_nodes, "render_steps")
    clusters = _clusters(order, model)
    forward = forward_steps(root)
    backward = backward_steps(root)
    digits = max(3, len(str(len(forward) + len(backward) - 1)))
    frames: list[_Frame] = []
    drawings: list[Drawing] = []

    known_data: set[Value] = set()
    for step in forward:
        known_data.add(step.node)
        known = _Known(data=set(known_data))
        drawings.append(_draw(order, "both", known, {step.node}, rankdir, clusters, title))
        frames.append(_Frame(
            f"frame_{len(frames):0{digits}d}.{fmt}", "forward",
            f"Forward step {step.index + 1} of {len(forward)}: {step.name}", step.explanation,
        ))
    known = _Known()
    for back in backward:
        known = _Known(grads={**known.grads, back.node: back.upstream}, wires=dict(known.wires))
        for position, send in enumerate(back.sends):
            known.wires[(back.node, position)] = send.product
        drawings.append(_draw(order, "both", known, {back.node}, rankdir, clusters, title))
        frames.append(_Frame(
            f"frame_{len(frames):0{digits}d}.{fmt}", "backward",
            f"Backward step {back.index + 1} of {len(backward)}: {back.name}", back.explanation,
        ))

    # The first frame is rendered before anything is written: without Graphviz
    # nothing changes on disk.
    first = drawings[0].pipe(format=fmt)
    directory = Path(out_dir)
    directory.mkdir(parents=True, exist_ok=True)
    write_atomically(directory / frames[0].file, first)

    def write(index: int) -> None:
        write_atomically(directory / frames[index].file, drawings[index].pipe(format=fmt))

    with ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
        list(pool.map(write, range(1, len(frames))))
    names = node_names(order)
    page = _index_html(title or f"Backpropagation step by step: {names[root]}", frames)
    index = directory / "index.html"
    write_atomically(index, page.encode("utf-8"))
    return index


_PAGE_STYLE = """
body { font-family: system-ui, sans-serif; margin: 1.5em; color: #222; }
nav { display: flex; gap: 1em; align-items: center; margin-bottom: 1em; }
button { font-size: 1em; padding: 0.3em 1em; }
#phase { color: #555; }
figure { margin: 0; overflow-x: auto; }
#frame { max-width: 100%; border: 1px solid #ddd; }
#explanation { font-family: ui-monospace, monospace; font-size: 1.15em; margin-top: 1em; }
.value { color: #1a7f37; } .gradient { color: #cf222e; }
"""

_PAGE_SCRIPT = """
const steps = STEPS;
let current = 0;
function show(k) {
  current = Math.max(0, Math.min(steps.length - 1, k));
  const step = steps[current];
  document.getElementById("frame").src = step.file;
  document.getElementById("frame").alt = step.title;
  document.getElementById("counter").textContent = (current + 1) + " / " + steps.length;
  document.getElementById("phase").textContent = step.title;
  document.getElementById("explanation").textContent = step.explanation;
  document.getElementById("prev").disabled = current === 0;
  document.getElementById("next").disabled = current === steps.length - 1;
}
document.getElementById("prev").addEventListener("click", () => show(current - 1));
document.getElementById("next").addEventListener("click", () => show(current + 1));
document.addEventListener("keydown", (event) => {
  if (event.key === "ArrowRight" || event.key === "PageDown") show(current + 1);
  else if (event.key === "ArrowLeft" || event.key === "PageUp") show(current - 1);
  else if (event.key === "Home") show(0);
  else if (event.key === "End") show(steps.length - 1);
  else return;
  event.preventDefault();
});
show(0);
"""


def _index_html(title: str, frames: Sequence[_Frame]) -> str:
    """A self-contained page (inline CSS and script) paging through the frames."""
    steps = json.dumps(
        [{"file": f.file, "title": f.title, "explanation": f.explanation} for f in frames]
    ).replace("</", "<\\/")
    listing = "\n".join(
        f'<li><a href="{html.escape(f.file)}">{html.escape(f.title)}</a>: '
        f"<code>{html.escape(f.explanation)}</code></li>"
        for f in frames
    )
    first = frames[0]
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>{html.escape(title)}</title>
<style>{_PAGE_STYLE}</style>
</head>
<body>
<h1>{html.escape(title)}</h1>
<p>Values in <span class="value">green</span>, gradients in
<span class="gradient">red</span>. Use the buttons or the arrow keys.</p>
<nav>
<button id="prev" type="button">&larr; Previous</button>
<span id="counter">1 / {len(frames)}</span>
<button id="next" type="button">Next &rarr;</button>
<span id="phase">{html.escape(first.title)}</span>
</nav>
<figure><img id="frame" src="{html.escape(first.file)}" alt="{html.escape(first.title)}"></figure>
<p id="explanation">{html.escape(first.explanation)}</p>
<details><summary>All steps</summary>
<ol>
{listing}
</ol>
</details>
<script>{_PAGE_SCRIPT.replace("STEPS", steps)}</script>
</body>
</html>
"""
