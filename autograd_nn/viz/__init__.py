"""Drawings of the forward and backward pass with graphviz, and step-by-step frames.

- `draw.py`: `draw_graph` and its modes (`MODE_TABLE`: what each mode shows),
  the neuron and layer clusters, `Drawing`, `save_drawing`, the colours, the
  escaping of labels and titles, and `RenderError` when `dot` fails;
- `frames.py`: `step_frames` (one `Frame` per step, all on one layout) and
  `render_steps` (the frames as files and the page that plays them);
- `page.py`: `page_html`, that page: every frame inline, pan and zoom, play,
  `#step=N`; `player.html` is its `string.Template`, shipped as package data;
- `widget.py`: `step_through`, the same frames as a Jupyter widget.
"""

from .draw import (
    DEFAULT_MAX_NODES,
    GRADIENT_COLOR,
    GRADIENT_COLOUR,
    HIGHLIGHT_COLOR,
    MODE_TABLE,
    MODES,
    VALUE_COLOR,
    VALUE_COLOUR,
    Drawing,
    GraphvizNotFoundError,
    Mode,
    RenderError,
    check_drawing_path,
    draw_graph,
    save_drawing,
)
from .frames import DEFAULT_MAX_FRAME_NODES, Frame, render_steps, step_frames
from .page import page_html
from .widget import step_through

__all__ = [
    "DEFAULT_MAX_FRAME_NODES",
    "DEFAULT_MAX_NODES",
    "GRADIENT_COLOR",
    "GRADIENT_COLOUR",
    "HIGHLIGHT_COLOR",
    "MODES",
    "MODE_TABLE",
    "VALUE_COLOR",
    "VALUE_COLOUR",
    "Drawing",
    "Frame",
    "GraphvizNotFoundError",
    "Mode",
    "RenderError",
    "check_drawing_path",
    "draw_graph",
    "page_html",
    "render_steps",
    "save_drawing",
    "step_frames",
    "step_through",
]
