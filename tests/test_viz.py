"""Drawings and step frames, rendered for real with Graphviz's `dot`.

The page that plays the frames is tested in a browser in test_pager_browser.py.

DOT snapshots live in tests/snapshots/; after an intended change of the
drawings, rewrite them with `UPDATE_SNAPSHOTS=1 python -m pytest tests/test_viz.py`.
"""

import os
import re
import shutil
from pathlib import Path

import graphviz
import pytest

from autograd_nn import Value
from autograd_nn.examples import EXAMPLES
from autograd_nn.explain.steps import update_steps
from autograd_nn.losses import mse_loss
from autograd_nn.nn import MLP
from autograd_nn.steps import backward_steps, evaluation_order, forward_steps
from autograd_nn.viz import (
    GRADIENT_COLOUR,
    MODES,
    VALUE_COLOUR,
    Drawing,
    GraphvizNotFoundError,
    draw_graph,
    render_steps,
    save_drawing,
    step_frames,
)

SNAPSHOTS = Path(__file__).parent / "snapshots"
needs_dot = pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz's dot is missing")


def xyz():
    return EXAMPLES["xyz"]().output


def svg_texts(svg):
    """The text shown in an SVG picture, one entry per <text> element."""
    return [t.replace("&#45;", "-") for t in re.findall(r"<text[^>]*>([^<]*)</text>", svg)]


@pytest.mark.parametrize("mode", MODES)
def test_dot_snapshot_of_the_worked_example(mode):
    source = draw_graph(xyz(), mode).source
    snapshot = SNAPSHOTS / f"xyz_{mode}.gv"
    if os.environ.get("UPDATE_SNAPSHOTS"):
        snapshot.write_text(source, encoding="utf-8")
    assert source == snapshot.read_text(encoding="utf-8")


def test_dot_is_deterministic_and_numbered_by_topological_position():
    first, second = draw_graph(xyz(), "both").source, draw_graph(xyz(), "both").source
    assert first == second
    assert "0x" not in first
    ids = re.findall(r"^\t(v\d+|op\d+) \[", first, flags=re.MULTILINE)
    assert ids == ["v0", "v1", "v2", "op0", "v3", "v4", "op1"]


def test_forward_backward_and_both_say_what_they_should():
    forward = draw_graph(xyz(), "forward").source
    assert "v0 -> op0" in forward and "op1 -> v4" in forward
    assert "dir=back" not in forward and GRADIENT_COLOUR not in forward
    assert 'label="*"' in forward and 'label="+"' in forward
    backward = draw_graph(xyz(), "backward").source
    # Same edges (so the same layout), drawn pointing back, carrying gradients.
    assert backward.count("dir=back") == 6 and "v0 -> op0" in backward
    edge_x = next(line for line in backward.splitlines() if "v0 -> op0" in line)
    assert f'<font color="{GRADIENT_COLOUR}">-4</font>' in edge_x
    both = draw_graph(xyz(), "both").source
    assert "legend" in both and VALUE_COLOUR in both and GRADIENT_COLOUR in both
    edge_x = next(line for line in both.splitlines() if "v0 -> op0" in line)
    assert f'<font color="{VALUE_COLOUR}">3</font>' in edge_x
    assert f'<font color="{GRADIENT_COLOUR}">-4</font>' in edge_x


@needs_dot
@pytest.mark.parametrize(
    ("mode", "numbers"),
    [
        ("forward", {"3", "-4", "-12", "2", "-10", "*", "+"}),
        ("backward", {"1", "-4", "3"}),
        ("both", {"3", "-4", "-12", "-10", "1", "value (forward)", "gradient (backward)"}),
    ],
)
def test_rendered_svg_shows_the_numbers(mode, numbers):
    svg = draw_graph(xyz(), mode).pipe(format="svg", encoding="utf-8")
    texts = set(svg_texts(svg))
    assert numbers <= texts
    assert {"x", "y", "z", "f", "g"} <= texts
    if mode == "forward":
        assert "-10" in texts and "1" not in texts


@needs_dot
def test_displays_itself_in_jupyter():
    bundle = draw_graph(xyz(), "backward")._repr_mimebundle_()
    assert bundle["image/svg+xml"].lstrip().startswith("<?xml")
    assert "-4" in svg_texts(bundle["image/svg+xml"])


def test_highlight_and_rankdir():
    worked = EXAMPLES["xyz"]()
    source = draw_graph(worked.output, "forward", highlight=worked["f"], rankdir="TB").source
    assert "rankdir=TB" in source
    highlighted = [line.split()[0] for line in source.splitlines() if "#ffe680" in line]
    assert highlighted == ["v2", "op0"]
    with pytest.raises(ValueError, match="rankdir"):
        draw_graph(worked.output, rankdir="sideways")
    with pytest.raises(ValueError, match="unknown mode 'upwards'; known: forward, backward, both"):
        draw_graph(worked.output, "upwards")
    with pytest.raises(TypeError, match="needs a Value"):
        draw_graph(3.0)


def test_labels_are_escaped():
    a = Value(1.0, "<b>&")
    source = draw_graph(a * 2).source
    assert "&lt;b&gt;&amp;" in source and "<b>&<" not in source


def test_cap_on_graph_size():
    x = Value(0.1, "x")
    node = x
    for _ in range(2000):
        node = node.sin()
    with pytest.raises(ValueError) as error:
        draw_graph(node)
    assert str(error.value) == (
        "graph has 2,001 nodes; draw_graph draws at most 2,000 "
        "(pass max_nodes=... to raise the cap)"
    )
    assert draw_graph(node, max_nodes=2001).source.count("->") == 2 * 2000
    big = sum(Value(float(i)) for i in range(10_000))  # 0 + ...: 20,001 nodes
    with pytest.raises(ValueError, match="graph has 20,001 nodes"):
        draw_graph(big)


@needs_dot
def test_one_sample_through_the_demo_network_draws_within_the_cap():
    model = MLP(2, [16, 16, 1], seed=0)
    loss = mse_loss([model([0.5, -0.25])], [1.0])
    svg = draw_graph(loss, "both", model=model).pipe(format="svg").decode()
    order = evaluation_order(loss)
    # Plain numbers (the target, the exponent, the mean's divisor) are written in
    # their op nodes; the labelled inputs x1, x2 are grey leaves.
    folded = [node for node in order if not node.requires_grad and not node.label]
    assert len(folded) == 3
    assert svg.count('class="node"') == len(order) - len(folded) + sum(
        1 for node in order if node.inputs
    ) + 1  # value nodes, op nodes, the legend


def _cluster_block(source, name):
    """The text of one subgraph block in DOT source (nested blocks included)."""
    start = source.index(f"subgraph {name} {{")
    depth = 0
    for index in range(start, len(source)):
        if source[index] == "{":
            depth += 1
        elif source[index] == "}":
            depth -= 1
            if depth == 0:
                return source[start:index]
    raise AssertionError(f"unclosed {name}")


def test_mlp_graph_is_drawn_with_neuron_and_layer_clusters():
    worked = EXAMPLES["mlp"]()
    model, root = worked.model, worked.output
    source = draw_graph(root, "both", model=model).source
    ids = {node: f"v{i}" for i, node in enumerate(evaluation_order(root))}

    def declared(block, node):
        return re.search(rf"^\s*{ids[node]} \[", block, flags=re.MULTILINE) is not None

    for i, layer in enumerate(model.layers):
        layer_block = _cluster_block(source, f"cluster_layer{i}")
        for j, neuron in enumerate(layer.neurons):
            block = _cluster_block(layer_block, f"cluster_layer{i}_neuron{j}")
            for param in neuron.parameters():
                assert declared(block, param), param.label
            products = [n for n in ids if n.op == "*" and n.inputs[0] in neuron.weights]
            sums = [n for n in ids if n.op == "sum" and neuron.bias in n.inputs]
            assert len(products) == len(neuron.weights) and len(sums) == 1
            assert all(declared(block, n) for n in [*products, *sums])
            activations = [n for n in ids if n.inputs and n.inputs[0] is sums[0]
                           and n.op == neuron.activation]
            assert len(activations) == (0 if neuron.activation == "linear" else 1)
            assert all(declared(block, n) for n in activations)
    # The inputs stand in the first layer's box, in no neuron's; target and loss outside.
    outside = source[: source.index("subgraph")]
    for label in ("t", "L"):
        assert declared(outside, worked[label])
    first_layer = _cluster_block(source, "cluster_layer0")
    before_neurons = first_layer[: first_layer.index("subgraph cluster_layer0_neuron")]
    for label in ("x1", "x2"):
        assert declared(before_neurons, worked[label]) and not declared(outside, worked[label])
    with pytest.raises(TypeError, match="MLP, Layer or Neuron"):
        draw_graph(root, model=object())


def test_a_single_neuron_is_one_cluster():
    from autograd_nn.nn import Neuron

    neuron = Neuron(2, activation="sigmoid", seed=0)
    out = neuron([1.0, 2.0])
    source = draw_graph(out, model=neuron).source
    block = _cluster_block(source, "cluster_neuron0")
    assert "cluster_layer" not in source
    assert block.count("shape=plain") == 7  # w1, w2, b, the two products, sum, activation
    assert 'label="σ"' in block


@pytest.fixture
def no_dot(tmp_path, monkeypatch):
    """A PATH on which there is no Graphviz: the binary is really missing."""
    empty = tmp_path / "empty-bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    return tmp_path


def test_missing_dot_says_how_to_install_graphviz(no_dot):
    drawing = draw_graph(xyz(), "both")
    assert isinstance(drawing, Drawing) and isinstance(drawing, graphviz.Digraph)
    assert "v0 -> op0" in drawing.source
    for render in (
        lambda: drawing.pipe(format="svg"),
        lambda: drawing._repr_mimebundle_(),
        lambda: drawing.render(directory=no_dot / "out"),
        lambda: save_drawing(drawing, no_dot / "picture.svg"),
    ):
        with pytest.raises(GraphvizNotFoundError) as error:
            render()
        message = str(error.value)
        assert "apt-get install graphviz" in message and "brew install graphviz" in message
        assert "https://graphviz.org/download/" in message and "\n" not in message
        assert isinstance(error.value, graphviz.ExecutableNotFound)
    assert not (no_dot / "picture.svg").exists()


def test_missing_dot_leaves_the_frame_directory_untouched(no_dot):
    with pytest.raises(GraphvizNotFoundError):
        render_steps(xyz(), no_dot / "frames")
    assert not (no_dot / "frames").exists()


@needs_dot
def test_save_drawing_by_suffix(tmp_path):
    drawing = draw_graph(xyz(), "backward")
    assert save_drawing(drawing, tmp_path / "g.svg").read_text().lstrip().startswith("<?xml")
    assert (save_drawing(drawing, tmp_path / "g.png").read_bytes()[:8]
            == b"\x89PNG\r\n\x1a\n")
    assert save_drawing(drawing, tmp_path / "g.gv").read_text() == drawing.source
    with pytest.raises(ValueError, match="unknown picture format"):
        save_drawing(drawing, tmp_path / "g.docx")
    with pytest.raises(ValueError, match="suffix"):
        save_drawing(drawing, tmp_path / "g")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["g.gv", "g.png", "g.svg"]
    # Written atomically, yet with the permissions a plain open() would give.
    plain = tmp_path / "plain"
    plain.write_text("")
    assert (tmp_path / "g.svg").stat().st_mode == plain.stat().st_mode


@needs_dot
def test_render_steps_writes_one_frame_per_step_and_an_index(tmp_path):
    root = xyz()
    index = render_steps(root, tmp_path / "frames")
    files = sorted(p.name for p in index.parent.glob("frame_*.svg"))
    n_steps = len(forward_steps(root)) + len(backward_steps(root)) + len(update_steps(root))
    assert n_steps == 5 + 5 + 4 and len(files) == n_steps
    assert files[0] == "frame_000.svg" and files[-1] == "frame_013.svg"
    frames = step_frames(root)
    for frame, file in zip(frames, files):
        # Each file is its frame's picture, to open alone, and it is inline in the page.
        assert (index.parent / file).read_text(encoding="utf-8") == frame.svg
    page = index.read_text(encoding="utf-8")
    assert "dg/dx = dg/df · ∂f/∂x = 1 · y = 1 · (-4) = -4" in page
    assert page.count("<svg") >= 1 and "<img" not in page
    # Nothing is loaded: the only addresses are the SVG's XML namespaces.
    assert "<script src" not in page
    assert set(re.findall(r"https?://[\w./-]*\w", page)) <= {
        "http://www.w3.org/2000/svg", "http://www.w3.org/1999/xlink",
    }

    def texts(k):
        return svg_texts((index.parent / files[k]).read_text(encoding="utf-8"))

    assert "-12" not in texts(1) and "-12" in texts(2)  # f is computed at step 3
    # y = -4 shows on its node and its wire from step 2; dg/dx = -4 reaches x's
    # node and its wire only at x's own backward step, the last (frame 9).
    assert "-10" in texts(4)
    assert [texts(k).count("-4") for k in range(1, 10)] == [2] * 8 + [4]
    # The gradient step: x' = 3 - 0.1 * (-4) = 3.4 shows from its frame on.
    assert "3.4" not in texts(9) and texts(10).count("3.4") == 2
    assert not list(index.parent.glob(".*.tmp"))


@needs_dot
def test_render_steps_png_and_checks(tmp_path):
    worked = EXAMPLES["sigmoid"]()
    root = worked.output
    index = render_steps(root, tmp_path, "png")
    frames = sorted(tmp_path.glob("frame_*.png"))
    assert len(frames) == len(step_frames(root)) > 10
    assert all(f.read_bytes()[:4] == b"\x89PNG" for f in frames)
    assert index == tmp_path / "index.html"
    with pytest.raises(ValueError, match="unknown frame format 'gif'; known: svg, png"):
        render_steps(root, tmp_path, "gif")
    with pytest.raises(ValueError, match="render_steps draws at most 5"):
        render_steps(root, tmp_path / "small", max_nodes=5)
    with pytest.raises(ValueError, match="step_frames draws at most 5"):
        step_frames(root, max_nodes=5)
