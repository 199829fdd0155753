"""Drawing modes as data, drawings that build no text, the player page as package data.

`test_adding_a_drawing_mode_is_one_table_entry` keeps CONTRIBUTING's recipe
"How to add a drawing mode" true.
"""

import cProfile
import pstats
import re
import shutil
from importlib.resources import files

import pytest

from autograd_nn import Value
from autograd_nn import viz as viz_package
from autograd_nn.examples import EXAMPLES
from autograd_nn.losses import mse_loss
from autograd_nn.nn import ACTIVATION_TABLE, MLP, Activation, Neuron
from autograd_nn.viz import (
    GRADIENT_COLOR,
    GRADIENT_COLOUR,
    MODE_TABLE,
    MODES,
    VALUE_COLOR,
    VALUE_COLOUR,
    Mode,
    draw_graph,
    render_steps,
)

needs_dot = pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz's dot is missing")


def xyz():
    return EXAMPLES["xyz"]().output


def svg_texts(svg):
    return {t.replace("&#45;", "-") for t in re.findall(r"<text[^>]*>([^<]*)</text>", svg)}


def test_modes_are_the_table_and_colours_have_one_spelling():
    assert MODES == tuple(MODE_TABLE) == ("forward", "backward", "both")
    assert all(isinstance(mode, Mode) for mode in MODE_TABLE.values())
    assert (VALUE_COLOUR, GRADIENT_COLOUR) == (VALUE_COLOR, GRADIENT_COLOR)
    for name in ("MODE_TABLE", "Mode", "VALUE_COLOR", "render_steps", "draw_graph"):
        assert name in viz_package.__all__


@needs_dot
@pytest.mark.parametrize("name", list(MODE_TABLE))
def test_every_mode_in_the_table_draws_and_renders(name):
    mode = MODE_TABLE[name]
    drawing = draw_graph(xyz(), name)
    texts = svg_texts(drawing.pipe(format="svg", encoding="utf-8"))
    assert {"x", "y", "z", "f", "g", "*", "+"} <= texts
    assert ("-10" in texts) == mode.values  # g's value
    assert ("-4" in texts) == (mode.values or mode.gradients or mode.wire_gradients)
    assert ("dir=back" in drawing.source) == mode.arrows_back
    assert ("legend" in drawing.source) == mode.legend


@needs_dot
def test_adding_a_drawing_mode_is_one_table_entry(monkeypatch):
    # Gradients on the wires only, arrows forward: one entry, nothing else.
    monkeypatch.setitem(MODE_TABLE, "wires", Mode(wire_gradients=True))
    drawing = draw_graph(xyz(), "wires")
    source = drawing.source
    assert "dir=back" not in source and "legend" not in source
    edge_x = next(line for line in source.splitlines() if "v0 -> op0" in line)
    assert f'<font color="{GRADIENT_COLOR}">-4</font>' in edge_x  # dg/dx on x's wire
    texts = svg_texts(drawing.pipe(format="svg", encoding="utf-8"))
    assert {"-4", "3", "1"} <= texts and "-10" not in texts


def _functions_called(action):
    profile = cProfile.Profile()
    profile.enable()
    action()
    profile.disable()
    return {(file, name) for file, _, name in pstats.Stats(profile).stats}


def test_draw_graph_builds_no_text_it_does_not_draw():
    model = MLP(2, [16, 16, 1], activation="relu", seed=0)
    loss = mse_loss([model([0.5, -0.25])], [1.0])
    for mode in MODES:
        called = _functions_called(lambda mode=mode: draw_graph(loss, mode))
        text = {
            name for file, name in called
            if "explain" in file.replace("\\", "/") and name != "format_number"
        }
        assert text == set(), mode
        computed = {name for _, name in called if name == "backward_pass"}
        assert computed == ({"backward_pass"} if mode != "forward" else set()), mode


def test_clusters_read_the_activations_op_not_its_name(monkeypatch):
    wave = Activation.from_op("wave", "sin", torch_class=None, default_init="glorot_normal")
    monkeypatch.setitem(ACTIVATION_TABLE, "wave", wave)
    neuron = Neuron(2, activation="wave", seed=0)
    out = neuron([Value(1.0, "x1"), Value(2.0, "x2")])
    source = draw_graph(out, model=neuron).source
    block = source[source.index("subgraph cluster_neuron0"):source.index("\t}")]
    assert re.search(r"\bop\d+ \[label=sin\b", block)
    assert block.count("shape=plain") == 7  # w1, w2, b, the two products, sum, sin


def test_worked_model_is_a_module():
    from autograd_nn.nn import Module

    assert isinstance(EXAMPLES["mlp"]().model, Module)
    assert EXAMPLES["xyz"]().model is None


def test_the_player_page_is_package_data():
    template = files("autograd_nn.viz").joinpath("player.html")
    assert template.is_file()
    text = template.read_text(encoding="utf-8")
    assert "${steps}" in text and "${value_color}" in text and "ArrowRight" in text


@needs_dot
def test_the_page_is_filled_in_with_the_drawings_colours(tmp_path):
    page = render_steps(xyz(), tmp_path).read_text(encoding="utf-8")
    assert "${" not in page and "$" not in page
    assert f".value {{ color: {VALUE_COLOR}; }}" in page
    assert f".gradient {{ color: {GRADIENT_COLOR}; }}" in page
    assert "<title>Backpropagation step by step: g</title>" in page
