"""`viz.step_through` with real ipywidgets objects (no browser), and its fallback without them.

The fallback's page is tested in headless Chromium in tests/test_pager_browser.py.
"""

import html
import shutil
import sys

import pytest

from autograd_nn.examples import EXAMPLES
from autograd_nn.viz import page_html, step_frames, step_through
from autograd_nn.viz.widget import InlinePage

pytestmark = pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz's dot is missing")
widgets = pytest.importorskip("ipywidgets")


@pytest.fixture(scope="module")
def xyz_frames():
    return step_frames(EXAMPLES["xyz"]().output)


@pytest.fixture
def widget():
    return step_through(EXAMPLES["xyz"]().output)


def parts(box):
    """The widget's parts by role: heading, picture, caption and the controls."""
    heading, picture, controls, caption = box.children
    play, previous, slider, following, fit = controls.children
    return heading, picture, caption, play, previous, slider, following, fit


def test_the_widget_is_a_box_of_real_widgets(widget, xyz_frames):
    assert isinstance(widget, widgets.VBox)
    heading, picture, caption, play, previous, slider, following, fit = parts(widget)
    assert isinstance(play, widgets.Play) and isinstance(slider, widgets.IntSlider)
    assert isinstance(previous, widgets.Button) and isinstance(following, widgets.Button)
    assert isinstance(fit, widgets.ToggleButton) and not fit.value
    assert (slider.min, slider.max, slider.value) == (1, len(xyz_frames), 1)
    assert (play.min, play.max) == (1, len(xyz_frames))
    # The first frame: its picture, its title and its caption below it.
    assert xyz_frames[0].svg in picture.value
    assert html.escape(xyz_frames[0].title) in heading.value
    assert html.escape(xyz_frames[0].caption) in caption.value
    assert previous.disabled and not following.disabled


def test_play_and_slider_are_linked_in_the_browser(widget):
    _, _, _, play, _, slider, _, _ = parts(widget)
    from ipywidgets.widgets.widget import _instances
    from ipywidgets.widgets.widget_link import Link

    # Every live widget, by model id (Widget.widgets is the deprecated public name).
    links = [w for w in _instances.values() if isinstance(w, Link)]
    assert any(
        {link.source, link.target} == {(play, "value"), (slider, "value")} for link in links
    )


def test_moving_the_slider_changes_picture_and_caption(widget, xyz_frames):
    heading, picture, caption, _, previous, slider, following, _ = parts(widget)
    for k in (5, 8, len(xyz_frames), 1):
        slider.value = k
        frame = xyz_frames[k - 1]
        assert frame.svg in picture.value
        assert html.escape(frame.caption) in caption.value
        assert html.escape(frame.title) in heading.value
        assert previous.disabled == (k == 1)
        assert following.disabled == (k == len(xyz_frames))
    # Frames differ, so a picture that did not change would fail above.
    assert len({f.svg for f in xyz_frames}) == len(xyz_frames)


def test_next_and_previous_buttons_step_and_stop_at_the_ends(widget, xyz_frames):
    _, picture, caption, _, previous, slider, following, _ = parts(widget)
    following.click()
    following.click()
    assert slider.value == 3 and xyz_frames[2].svg in picture.value
    previous.click()
    assert slider.value == 2 and html.escape(xyz_frames[1].caption) in caption.value
    previous.click()
    previous.click()
    assert slider.value == 1
    for _ in range(len(xyz_frames) + 3):
        following.click()
    assert slider.value == len(xyz_frames) and following.disabled


def test_fit_scales_the_picture_to_the_box_and_back(widget, xyz_frames):
    _, picture, _, _, _, slider, _, fit = parts(widget)
    slider.value = 4
    assert "max-width:100%" not in picture.value
    fit.value = True
    assert '<svg style="max-width:100%;height:auto"' in picture.value
    slider.value = 5
    assert '<svg style="max-width:100%;height:auto"' in picture.value
    fit.value = False
    assert xyz_frames[4].svg in picture.value and "max-width:100%" not in picture.value


def test_the_widget_follows_lr_and_model():
    worked = EXAMPLES["mlp"]()
    box = step_through(worked.output, model=worked.model, lr=0.5)
    frames = step_frames(worked.output, model=worked.model, lr=0.5)
    _, picture, caption, _, _, slider, _, _ = parts(box)
    assert slider.max == len(frames)
    slider.value = len(frames)
    assert frames[-1].svg in picture.value
    assert html.escape(frames[-1].caption) in caption.value


def test_without_ipywidgets_the_page_is_shown_inline(monkeypatch, xyz_frames):
    monkeypatch.setitem(sys.modules, "ipywidgets", None)
    shown = step_through(EXAMPLES["xyz"]().output)
    assert isinstance(shown, InlinePage)
    assert shown.page == page_html(xyz_frames, "Backpropagation step by step: g")
    inline = shown._repr_html_()
    assert inline.startswith('<iframe srcdoc="') and inline.endswith("></iframe>")
    # The page is escaped into the attribute: no raw quote or tag ends it early.
    srcdoc = inline[len('<iframe srcdoc="'):inline.index('" title=')]
    assert '"' not in srcdoc and "<" not in srcdoc
    assert html.unescape(srcdoc) == shown.page


def test_step_through_checks_its_root():
    with pytest.raises(TypeError, match="needs a Value"):
        step_through(3.0)
