"""The step-through page: every frame of a walk inline in one self-contained HTML file.

`page_html` fills the `player.html` template (package data next to this file)
with the frames' SVG pictures, titles and captions. The page shows a frame at
its natural size (Graphviz's points as CSS points) with pan and zoom, keeps the
current node in view, plays the steps at a chosen speed, and keeps the step in
the URL (`index.html#step=17`). It needs no server and loads nothing.
"""

from __future__ import annotations

import html
import json
from collections.abc import Sequence
from functools import cache
from importlib.resources import files
from string import Template
from typing import TYPE_CHECKING

from .draw import GRADIENT_COLOR, UPDATE_COLOR, VALUE_COLOR

if TYPE_CHECKING:
    from .frames import Frame

__all__ = ["GRAPH_KEY", "page_html", "script_json"]

_SCRIPT_ESCAPES = str.maketrans({
    "<": "\\u003c",
    ">": "\\u003e",
    "&": "\\u0026",
    "\u2028": "\\u2028",
    "\u2029": "\\u2029",
})
"""Characters that could end or confuse a `<script>` block, as JSON escapes."""


def script_json(data: object) -> str:
    """`data` as JSON that is safe inside an HTML `<script>` element.

    No label can close the element (`</script>`), open a comment (`<!--`) or
    end a line in older JavaScript (U+2028, U+2029): each becomes a `\\uXXXX`
    escape, which `JSON.parse` turns back into the same character.
    """
    text = json.dumps(data, ensure_ascii=False)
    return text.translate(_SCRIPT_ESCAPES)


@cache
def _template() -> Template:
    """The step-through page, a template shipped as package data."""
    return Template(files("autograd_nn.viz").joinpath("player.html").read_text(encoding="utf-8"))


GRAPH_KEY = (
    'Values in <span class="value">green</span>, gradients in\n'
    '<span class="gradient">red</span>, new values in <span class="update">blue</span>.'
)
"""What the colours of a computation graph's frames mean (trusted HTML)."""


def page_html(frames: Sequence[Frame], title: str, *, key_html: str = GRAPH_KEY) -> str:
    """One self-contained page playing `frames`, each frame's SVG inline.

    Inline SVG keeps the text crisp at any zoom and lets a student select and
    copy a number. The first frame is also in the markup, so the page shows
    something without JavaScript. `key_html`, this library's own markup and
    never user text, says what the frames' colours mean.
    """
    if not frames:
        raise ValueError("page_html needs at least one frame")
    steps = script_json(
        [
            {"kind": f.kind, "title": f.title, "caption": f.caption, "svg": f.svg,
             "focus": f.focus}
            for f in frames
        ]
    )
    listing = "\n".join(
        f'<li><a href="#step={k}">{html.escape(f.title)}</a>: '
        f"<code>{html.escape(f.caption)}</code></li>"
        for k, f in enumerate(frames, start=1)
    )
    first = frames[0]
    return _template().substitute(
        title=html.escape(title),
        help=key_html,
        value_color=VALUE_COLOR,
        gradient_color=GRADIENT_COLOR,
        update_color=UPDATE_COLOR,
        count=len(frames),
        first_kind=html.escape(first.kind),
        first_title=html.escape(first.title),
        first_svg=first.svg,
        first_explanation=html.escape(first.caption),
        listing=listing,
        steps=steps,
    )
