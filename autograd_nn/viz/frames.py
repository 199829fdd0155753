"""Step-by-step frames of the forward and backward pass, and a page that plays them.

`render_steps` draws one frame per forward step and one per backward step,
each highlighting the current node with only the numbers known so far, and
writes them with an `index.html` (the `player.html` template next to this
file) that pages through them with no server.
"""

from __future__ import annotations

import html
import json
import os
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import cache
from importlib.resources import files
from pathlib import Path
from string import Template

from .. import checks
from ..engine import Value
from ..explain.steps import backward_steps, forward_steps
from ..files import write_atomically
from ..graph import node_names
from ..nn import Module
from .draw import (
    GRADIENT_COLOR,
    MODE_TABLE,
    VALUE_COLOR,
    Drawing,
    Known,
    checked_order,
    clusters,
    draw,
)

__all__ = ["DEFAULT_MAX_FRAME_NODES", "FRAME_FORMATS", "render_steps"]

DEFAULT_MAX_FRAME_NODES = 200
"""Largest graph `render_steps` makes frames of (two frames per node)."""
FRAME_FORMATS = ("svg", "png")
FRAME_MODE = MODE_TABLE["both"]
"""Frames show values and gradients, so a frame can show what each step knows."""


@dataclass(frozen=True)
class _Step:
    """One frame to draw: the step's words, its node and what is known after it."""

    title: str
    explanation: str
    node: Value
    known: Known


@dataclass(frozen=True)
class _Frame:
    file: str
    title: str
    explanation: str


def _forward(root: Value) -> list[_Step]:
    """One frame per forward step: the values computed so far."""
    forward = forward_steps(root)
    computed: set[Value] = set()
    frames = []
    for step in forward:
        computed.add(step.node)
        title = f"Forward step {step.index + 1} of {len(forward)}: {step.name}"
        frames.append(_Step(title, step.explanation, step.node, Known(data=set(computed))))
    return frames


def _backward(root: Value) -> list[_Step]:
    """One frame per backward step: every value, the gradients and wires reached so far."""
    backward = backward_steps(root)
    known = Known()
    frames = []
    for step in backward:
        wires = dict(known.wires)
        wires.update(((step.node, k), send.product) for k, send in enumerate(step.sends))
        known = Known(grads={**known.grads, step.node: step.upstream}, wires=wires)
        title = f"Backward step {step.index + 1} of {len(backward)}: {step.name}"
        frames.append(_Step(title, step.explanation, step.node, known))
    return frames


def render_steps(
    root: Value,
    out_dir: str | os.PathLike[str],
    fmt: str = "svg",
    *,
    rankdir: str = "LR",
    model: Module | None = None,
    max_nodes: int = DEFAULT_MAX_FRAME_NODES,
    title: str | None = None,
) -> Path:
    """Write one frame per forward step, then one per backward step, into
    `out_dir`, each highlighting the current node with the numbers known so
    far, and an `index.html` that pages through them (buttons, arrow keys, the
    step's explanation); it works from the file system. Returns its path.
    """
    checks.one_of("fmt", fmt, FRAME_FORMATS, "frame format")
    order = checked_order(root, max_nodes, "render_steps")
    cluster_of = clusters(order, model)
    steps = [*_forward(root), *_backward(root)]
    drawings = [
        draw(order, FRAME_MODE, step.known, {step.node}, rankdir, cluster_of, title)
        for step in steps
    ]
    digits = max(3, len(str(len(steps) - 1)))
    frames = [
        _Frame(f"frame_{k:0{digits}d}.{fmt}", step.title, step.explanation)
        for k, step in enumerate(steps)
    ]
    directory = _write_frames(Path(out_dir), frames, drawings, fmt)
    page = player_page(title or f"Backpropagation step by step: {node_names(order)[root]}", frames)
    index = directory / "index.html"
    write_atomically(index, page.encode("utf-8"))
    return index


def _write_frames(
    directory: Path, frames: Sequence[_Frame], drawings: Sequence[Drawing], fmt: str
) -> Path:
    """Render every frame into `directory`, several at a time.

    The first frame is rendered before anything is written: without Graphviz
    nothing changes on disk.
    """
    first = drawings[0].pipe(format=fmt)
    directory.mkdir(parents=True, exist_ok=True)
    write_atomically(directory / frames[0].file, first)

    def write(index: int) -> None:
        write_atomically(directory / frames[index].file, drawings[index].pipe(format=fmt))

    with ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
        list(pool.map(write, range(1, len(frames))))
    return directory


@cache
def _player() -> Template:
    """The step-through page, a template shipped as package data."""
    return Template(files("autograd_nn.viz").joinpath("player.html").read_text(encoding="utf-8"))


def player_page(title: str, frames: Sequence[_Frame]) -> str:
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
    return _player().substitute(
        title=html.escape(title),
        value_color=VALUE_COLOR,
        gradient_color=GRADIENT_COLOR,
        count=len(frames),
        first_title=html.escape(first.title),
        first_file=html.escape(first.file),
        first_explanation=html.escape(first.explanation),
        listing=listing,
        steps=steps,
    )
