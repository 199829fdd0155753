"""Step-by-step frames of the forward pass, the backward pass and one gradient step.

`step_frames` draws one `Frame` per forward step, per backward step and per
record of a gradient-descent step. Each highlights its node and shows exactly
the numbers that its caption and the earlier ones state: a value from the
step that computes it, a gradient and the wires into its node from the step
that sums it, a new value from its update. All frames share one layout: every
number cell is as wide as the widest number it will ever show, so Graphviz
places every node of every frame at the same point.

`render_steps` writes the frames as files with an `index.html` (`page_html`)
that plays them with no server, and a `FRAMES_MARKER` file naming them, by which
it knows a directory of its own frames (which it may replace) from the user's.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from .. import checks
from ..engine import Value
from ..explain.steps import backward_steps, forward_steps, update_steps
from ..files import directory_to_replace, replace_directory
from ..graph import backward_pass, is_constant, node_names
from ..nn import Module
from .draw import (
    MODE_TABLE,
    Drawing,
    Known,
    Layout,
    cell_widths,
    checked_order,
    clusters,
    draw,
    svg_id,
)
from .page import page_html

__all__ = [
    "DEFAULT_MAX_FRAME_NODES", "FRAMES_MARKER", "FRAME_FORMATS", "Frame",
    "check_frames_directory", "render_steps", "step_frames",
]

DEFAULT_MAX_FRAME_NODES = 200
"""Largest graph `step_frames` makes frames of (about two frames per node)."""
FRAME_FORMATS = ("svg", "png")
FRAME_MODE = MODE_TABLE["both"]
"""Frames show values and gradients, so a frame can show what each step knows."""


@dataclass(frozen=True)
class Frame:
    """One step of a walk as the page shows it: its words and its picture."""

    kind: str
    """"forward", "backward" or "update" (the gradient-descent step)."""
    title: str
    """A short heading, e.g. "Backward step 3 of 10: f"."""
    caption: str
    """The step's explanation as plain text (may contain newlines)."""
    svg: str
    """The picture: one ``<svg ...>...</svg>`` element (no XML prolog, no DOCTYPE)."""
    focus: str
    """The id of the current node's ``<g>`` element inside `svg` ("" if none)."""


def svg_element(svg: str) -> str:
    """The ``<svg>`` element of a Graphviz SVG document, without prolog and DOCTYPE."""
    return svg[svg.index("<svg"):].strip()


@dataclass(frozen=True)
class _Step:
    """One frame to draw: the step's words, its node and what is known after it."""

    kind: str
    title: str
    explanation: str
    node: Value
    known: Known


def _forward(root: Value) -> list[_Step]:
    """One frame per forward step: the values computed so far."""
    forward = forward_steps(root)
    computed: set[Value] = set()
    frames = []
    for step in forward:
        # A constant has no step: its first user's equation states its value.
        computed.update([step.node, *[i for i in step.inputs if is_constant(i)]])
        title = f"Forward step {step.index + 1} of {len(forward)}: {step.name}"
        frames.append(
            _Step("forward", title, step.explanation, step.node, Known(data=set(computed)))
        )
    return frames


def _backward(root: Value) -> list[_Step]:
    """One frame per backward step: every value, and the gradients and wire
    contributions that this step's and earlier steps' equations state.

    A node's step sums what its consumers sent it, so the wires into a node
    get their numbers at that node's step, not at the sender's.
    """
    backward = backward_steps(root)
    uses = backward_pass(root).uses
    known = Known()
    frames = []
    for step in backward:
        wires = dict(known.wires)
        wires.update((use, term.product) for use, term in zip(uses[step.node], step.terms))
        known = Known(grads={**known.grads, step.node: step.upstream}, wires=wires)
        title = f"Backward step {step.index + 1} of {len(backward)}: {step.name}"
        frames.append(_Step("backward", title, step.explanation, step.node, known))
    return frames


def _update(root: Value, params: Sequence[Value], lr: float, last: Known) -> list[_Step]:
    """One frame per parameter of a gradient-descent step, with its new value,
    then one with the new output; every gradient stays shown."""
    updates = update_steps(root, params, lr)
    new: dict[Value, float] = {}
    frames = []
    for step in updates:
        new[step.node] = step.new
        known = Known(grads=last.grads, wires=last.wires, new=dict(new))
        title = (
            f"Gradient step: new output {step.name}" if step.is_output
            else f"Gradient step {step.index + 1} of {len(updates) - 1}: {step.name}"
        )
        frames.append(_Step("update", title, step.explanation, step.node, known))
    return frames


def default_params(order: Sequence[Value]) -> list[Value]:
    """What the gradient-descent frames update unless told: the leaves that require
    gradients (every leaf that is not a constant)."""
    return [node for node in order if not node.inputs and node.requires_grad]


@dataclass(frozen=True)
class _Walk:
    """A walk's steps and the drawing of each (not yet rendered)."""

    order: list[Value]
    steps: list[_Step]
    drawings: list[Drawing]


@dataclass(frozen=True)
class _Options:
    """How to draw a walk: the arguments `step_frames` and `render_steps` share."""

    lr: float
    params: Sequence[Value] | None
    model: Module | None
    rankdir: str
    max_nodes: int


def _walk(root: Value, options: _Options, who: str) -> _Walk:
    """The steps of root's walk and one drawing per step, all on one layout."""
    order = checked_order(root, options.max_nodes, who)
    if is_constant(root):
        raise ValueError(
            f"{who} needs a root that gets a gradient; {node_names(order)[root]} is a constant"
        )
    params = default_params(order) if options.params is None else list(options.params)
    steps = [*_forward(root), *_backward(root)]
    steps += _update(root, params, options.lr, steps[-1].known)
    widths = cell_widths(order, [step.known for step in steps])
    layout = Layout(options.rankdir, clusters(order, options.model), None, widths, True)
    drawings = [draw(order, FRAME_MODE, step.known, {step.node}, layout) for step in steps]
    return _Walk(order, steps, drawings)


def _render_all(drawings: Sequence[Drawing], fmt: str) -> list[bytes]:
    """Every drawing rendered, the first alone (so a missing Graphviz fails at once).

    On an error or Ctrl-C the drawings not yet started are dropped, so it ends
    as soon as the few renders under way are done.
    """
    first = drawings[0].pipe(format=fmt)
    pool = ThreadPoolExecutor(max_workers=os.cpu_count() or 1)
    try:
        rest = list(pool.map(lambda d: d.pipe(format=fmt), drawings[1:]))
    finally:
        pool.shutdown(wait=False, cancel_futures=True)
    return [first, *rest]


def _frames(walk: _Walk, svgs: Sequence[bytes]) -> list[Frame]:
    ids = {node: svg_id(f"v{position}") for position, node in enumerate(walk.order)}
    return [
        Frame(step.kind, step.title, step.explanation, svg_element(svg.decode("utf-8")),
              ids[step.node])
        for step, svg in zip(walk.steps, svgs)
    ]


def step_frames(
    root: Value,
    *,
    lr: float = 0.1,
    model: Module | None = None,
    rankdir: str = "LR",
    max_nodes: int = DEFAULT_MAX_FRAME_NODES,
    params: Sequence[Value] | None = None,
) -> list[Frame]:
    """One `Frame` per forward step, per backward step and per record of one
    gradient-descent step on `params` (default: every leaf that is not a
    constant) with learning rate `lr`.

    Each frame highlights its node and shows exactly the numbers its own and
    earlier captions state. Every frame is drawn on one layout: the nodes stand
    still from frame to frame. `model` (the nn model the graph came from) draws
    each neuron as a cluster.
    """
    options = _Options(lr, params, model, rankdir, max_nodes)
    walk = _walk(root, options, "step_frames")
    return _frames(walk, _render_all(walk.drawings, "svg"))


FRAMES_MARKER = ".autograd-nn-frames"
"""The file `render_steps` writes beside the frames, naming every file it wrote. A
directory holding it and nothing else but those files is frames of ours, which
`render_steps` replaces without being told to."""
_MARKER_HEADING = "# autograd-nn step frames"


def _marker_text(names: Sequence[str]) -> str:
    """The marker's text: what wrote the directory, that it will be replaced, the files."""
    return (
        f"{_MARKER_HEADING}, written by autograd_nn.viz.render_steps (autograd-nn walk --out).\n"
        "# Writing frames here again replaces this whole directory: keep your own files\n"
        "# elsewhere. The files it wrote:\n" + "".join(f"{name}\n" for name in names)
    )


def _our_names(marker: Path) -> set[str] | None:
    """The files a frame directory's marker names, or None if it is no marker of ours."""
    try:
        text = marker.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None
    if not text.startswith(_MARKER_HEADING):
        return None
    return {line for line in text.splitlines() if line and not line.startswith("#")}


def check_frames_directory(
    out_dir: str | os.PathLike[str], *, overwrite: bool = False,
    remedy: str = "pass overwrite=True",
) -> Path:
    """`out_dir` if `render_steps` may write its frames there; else a clear error.

    It may if `out_dir` is missing (it is made), empty, or holds frames that
    `render_steps` wrote and nothing else (`FRAMES_MARKER` names them); or, with
    `overwrite`, any directory, whose contents are then all replaced. A file is
    a `NotADirectoryError`, the working directory a `ValueError`
    (`directory_to_replace`); any other directory a `FileExistsError` naming
    it and saying how to proceed (`remedy`, e.g. "pass overwrite=True").
    """
    directory = Path(out_dir)
    directory_to_replace(directory)
    if overwrite or not directory.exists():
        return directory
    present = set(os.listdir(directory))
    ours = _our_names(directory / FRAMES_MARKER)
    if ours is None and present:
        raise FileExistsError(
            f"{directory} is not empty and holds no frames written by autograd-nn (no "
            f"{FRAMES_MARKER} file); {remedy} to replace all of its contents, or choose "
            "another directory"
        )
    strangers = sorted(present - (ours or set()) - {FRAMES_MARKER})
    if strangers:
        listed = ", ".join(strangers[:3]) + (f" and {len(strangers) - 3} more"
                                             if len(strangers) > 3 else "")
        raise FileExistsError(
            f"{directory} holds autograd-nn frames and files autograd-nn did not write ({listed}): "
            f"move those away, or {remedy} to replace all of its contents"
        )
    return directory


def _write_file(path: Path, data: bytes) -> None:
    """`data` into `path`; an error names the file (a failed write names none)."""
    try:
        path.write_bytes(data)
    except OSError as error:
        if error.filename is not None or error.errno is None:
            raise
        raise type(error)(error.errno, error.strerror, str(path)) from None


def render_steps(
    root: Value,
    out_dir: str | os.PathLike[str],
    fmt: str = "svg",
    *,
    rankdir: str = "LR",
    model: Module | None = None,
    max_nodes: int = DEFAULT_MAX_FRAME_NODES,
    title: str | None = None,
    lr: float = 0.1,
    params: Sequence[Value] | None = None,
    overwrite: bool = False,
) -> Path:
    """Write `step_frames` into `out_dir`: one ``frame_NNN.svg`` (or .png) per
    frame, to open alone, an `index.html` that plays them all (`page_html`; it
    works from the file system) and `FRAMES_MARKER`. Returns the page's path.

    `out_dir` is replaced as a whole, so no frame of an earlier run is left:
    the files are written into a temporary sibling directory that then takes
    its place, and a failure or Ctrl-C before that leaves it as it was. Only a
    missing or empty directory or one of frames that `render_steps` wrote is
    replaced unless `overwrite` is True: otherwise a `FileExistsError` says
    so before anything is drawn (`check_frames_directory`). With `overwrite`,
    everything in `out_dir` is deleted.
    """
    checks.one_of("fmt", fmt, FRAME_FORMATS, "frame format")
    check_frames_directory(out_dir, overwrite=checks.flag("overwrite", overwrite))
    walk = _walk(root, _Options(lr, params, model, rankdir, max_nodes), "render_steps")
    frames = _frames(walk, _render_all(walk.drawings, "svg"))
    pictures = (
        [f.svg.encode("utf-8") for f in frames] if fmt == "svg"
        else _render_all(walk.drawings, fmt)
    )
    digits = max(3, len(str(len(frames) - 1)))
    files = {f"frame_{k:0{digits}d}.{fmt}": picture for k, picture in enumerate(pictures)}
    heading = title or f"Backpropagation step by step: {node_names(walk.order)[root]}"
    files["index.html"] = page_html(frames, heading).encode("utf-8")
    index = Path(out_dir) / "index.html"

    def fill(staging: Path) -> None:
        for name, data in files.items():
            _write_file(staging / name, data)
        _write_file(staging / FRAMES_MARKER, _marker_text(list(files)).encode("utf-8"))
        check_frames_directory(out_dir, overwrite=overwrite)  # as it is now, after drawing

    replace_directory(out_dir, fill, kept=f"interrupted after writing the frames and {index}")
    return index
