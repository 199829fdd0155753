"""Drawings of the forward and backward pass with graphviz, and step-by-step frames.

- `draw.py`: `draw_graph` and its modes (`MODE_TABLE`: what each mode shows),
  the neuron and layer clusters, `Drawing`, `save_drawing`, the colours;
- `frames.py`: `render_steps`, one frame per step and the page that plays them;
- `player.html`: that page, a `string.Template` shipped as package data.
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
    draw_graph,
    save_drawing,
)
from .frames import DEFAULT_MAX_FRAME_NODES, render_steps

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
    "GraphvizNotFoundError",
    "Mode",
    "draw_graph",
    "render_steps",
    "save_drawing",
]
