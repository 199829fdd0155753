"""`step_through`: a walk's frames in Jupyter, as a widget or as the page inline.

With ipywidgets (the `widgets` extra) it is a widget: the picture, a Play button
and a slider linked in the browser, Previous and Next, the step's explanation
below. Without it, the same step-through page that `render_steps` writes is
shown inline in an iframe. Both show the frames of `step_frames`: the same
pictures, on the same layout, as the page.
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from typing import Any

from ..engine import Value
from ..graph import evaluation_order, node_names
from ..nn import Module
from .frames import Frame, step_frames
from .page import page_html

__all__ = ["InlinePage", "step_through"]

PICTURE_STYLE = "overflow:auto;max-height:36em;border:1px solid #ddd;background:#fff"
"""The picture's box in the widget: the frame at its natural size, scrolled."""
FIT_STYLE = "max-width:100%;height:auto"
"""The SVG's style when the widget's Fit button is down: the frame's width fits the box."""
PLAY_INTERVAL_MS = 1000
"""Time per step when the widget plays."""
_SVG_TAG = re.compile(r"<svg\b")


class InlinePage:
    """The step-through page inline in a notebook: an iframe whose `srcdoc` is the page.

    The iframe keeps the page's script, ids and keys apart from the notebook's.
    `page` is the page's HTML, as `render_steps` writes it to `index.html`.
    """

    def __init__(self, page: str, height: int = 720) -> None:
        self.page = page
        self.height = height

    def _repr_html_(self) -> str:
        return (
            f'<iframe srcdoc="{html.escape(self.page, quote=True)}" '
            f'title="step-through" style="width:100%;height:{self.height}px;'
            f'border:1px solid #ddd"></iframe>'
        )


def step_through(
    root: Value, *, model: Module | None = None, lr: float = 0.1, title: str | None = None
) -> Any:
    """root's walk, one frame per step, to page through in Jupyter.

    Returns an ipywidgets `VBox` (children: the step's title, the picture, the
    controls — Play, Previous, the step slider, Next, Fit — and the caption);
    without ipywidgets, an `InlinePage` that shows the HTML page inline.
    `model` (the nn model the graph came from) draws each neuron as a cluster.
    """
    frames = step_frames(root, lr=lr, model=model)
    try:
        import ipywidgets
    except ImportError:
        name = node_names(evaluation_order(root))[root]
        return InlinePage(page_html(frames, title or f"Backpropagation step by step: {name}"))
    return _widget(ipywidgets, frames)


def _picture(frame: Frame, fit: bool) -> str:
    """The frame's SVG in a scrolling box; with `fit`, scaled to the box's width."""
    svg = _SVG_TAG.sub(f'<svg style="{FIT_STYLE}"', frame.svg, count=1) if fit else frame.svg
    return f'<div style="{PICTURE_STYLE}">{svg}</div>'


def _caption(frame: Frame) -> str:
    return (
        '<pre style="white-space:pre-wrap;font-size:1.05em;margin:0.4em 0">'
        f"{html.escape(frame.caption)}</pre>"
    )


def _heading(frame: Frame, count: int, index: int) -> str:
    return f"<b>{html.escape(frame.title)}</b> <span>({index} / {count})</span>"


def _widget(widgets: Any, frames: Sequence[Frame]) -> Any:
    """The widget: Play and the slider linked in the browser, the buttons in Python."""
    count = len(frames)
    heading = widgets.HTML(_heading(frames[0], count, 1))
    picture = widgets.HTML(_picture(frames[0], fit=False))
    caption = widgets.HTML(_caption(frames[0]))
    play = widgets.Play(value=1, min=1, max=count, step=1, interval=PLAY_INTERVAL_MS,
                        description="Play", tooltip="play the steps")
    slider = widgets.IntSlider(value=1, min=1, max=count, step=1, description="step",
                               continuous_update=True)
    widgets.jslink((play, "value"), (slider, "value"))
    previous = widgets.Button(description="Previous", icon="arrow-left",
                              tooltip="previous step", disabled=True)
    following = widgets.Button(description="Next", icon="arrow-right",
                               tooltip="next step", disabled=count == 1)
    fit = widgets.ToggleButton(value=False, description="Fit", tooltip="fit the picture's width")

    def show(_change: object = None) -> None:
        frame = frames[slider.value - 1]
        heading.value = _heading(frame, count, slider.value)
        picture.value = _picture(frame, fit.value)
        caption.value = _caption(frame)
        previous.disabled = slider.value == 1
        following.disabled = slider.value == count

    def move(by: int) -> None:
        slider.value = max(1, min(count, slider.value + by))

    slider.observe(show, names="value")
    fit.observe(show, names="value")
    previous.on_click(lambda _button: move(-1))
    following.on_click(lambda _button: move(1))
    controls = widgets.HBox([play, previous, slider, following, fit])
    return widgets.VBox([heading, picture, controls, caption])
