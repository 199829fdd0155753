"""The frames of a step-through: one still layout, pictures in step with their captions,
the gradient-descent step, constants without gradients, legible text.

Every frame is rendered for real with Graphviz's `dot` and read back from its SVG.
"""

import re
import shutil
import subprocess

import pytest

from autograd_nn import Value
from autograd_nn.examples import EXAMPLES
from autograd_nn.explain.steps import backward_steps, forward_steps, update_steps
from autograd_nn.graph import evaluation_order
from autograd_nn.viz import GRADIENT_COLOR, VALUE_COLOR, Frame, draw_graph, step_frames
from autograd_nn.viz.draw import UPDATE_COLOR
from autograd_nn.viz.frames import _Options, _walk

pytestmark = pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz's dot is missing")

NUMBER = re.compile(r"(?<![\w.])-?\d+(?:\.\d+)?(?:e[-+]?\d+)?")
"""A number in a caption, not the digits of a name such as w11 or σ1."""


@pytest.fixture(scope="module")
def walks():
    """Each example's frames (and its Worked), drawn once for the module."""
    built = {}
    for name in ("xyz", "sin", "network", "mlp"):
        worked = EXAMPLES[name]()
        built[name] = (worked, step_frames(worked.output, model=worked.model))
    return built


def node_boxes(svg):
    """Each node's box from its drawn shapes: cell borders and ellipses (a
    highlight's background fill is left out), by the node's id."""
    boxes = {}
    for node_id, body in re.findall(r'<g id="([^"]+)" class="node">(.*?)</g>', svg, re.S):
        xs, ys = [], []
        for points in re.findall(r'<polygon fill="none"[^>]* points="([^"]+)"', body):
            for point in points.split():
                x, y = point.split(",")
                xs.append(float(x))
                ys.append(float(y))
        for cx, cy, rx, ry in re.findall(
            r'<ellipse[^>]* cx="([^"]+)" cy="([^"]+)" rx="([^"]+)" ry="([^"]+)"', body
        ):
            xs += [float(cx) - float(rx), float(cx) + float(rx)]
            ys += [float(cy) - float(ry), float(cy) + float(ry)]
        boxes[node_id] = (min(xs), max(xs), min(ys), max(ys))
    return boxes


def svg_size(svg):
    return re.search(r'<svg width="([\d.]+)pt" height="([\d.]+)pt"', svg).groups()


def coloured(svg, color):
    """The numbers drawn in `color` (the legend's words left out)."""
    drawing = re.sub(r'<g id="legend" class="node">.*?</g>', "", svg, flags=re.S)
    return [
        text.replace("&#45;", "-")
        for text in re.findall(rf'<text[^>]*fill="{color}"[^>]*>([^<]*)</text>', drawing)
    ]


def stated(captions):
    return {number for caption in captions for number in NUMBER.findall(caption)}


# The interface the page builds on -----------------------------------------


def test_frames_are_the_steps_in_order_with_svg_and_focus(walks):
    worked, frames = walks["xyz"]
    root = worked.output
    kinds = [f.kind for f in frames]
    assert kinds == ["forward"] * 5 + ["backward"] * 5 + ["update"] * 4
    captions = [
        *[s.explanation for s in forward_steps(root)],
        *[s.explanation for s in backward_steps(root)],
        *[s.explanation for s in update_steps(root, worked.params)],
    ]
    assert [f.caption for f in frames] == captions
    assert frames[7].title == "Backward step 3 of 5: f"
    assert frames[-1].title == "Gradient step: new output g"
    for frame in frames:
        assert isinstance(frame, Frame)
        assert frame.svg.startswith("<svg") and frame.svg.endswith("</svg>")
        assert "<?xml" not in frame.svg and "DOCTYPE" not in frame.svg
        # The focus names the current node's <g>, which is the highlighted one.
        match = re.search(rf'<g id="{frame.focus}" class="node">(.*?)</g>', frame.svg, re.S)
        assert match and "#ffe680" in match.group(1)
    assert [f.focus for f in frames[:5]] == [f"node_v{k}" for k in range(5)]
    assert frames[5].focus == frames[-1].focus == "node_v4"  # g: first back, new output


# A still picture -----------------------------------------------------------


@pytest.mark.parametrize("name", ["xyz", "network", "mlp"])
def test_nodes_stand_still_across_every_frame(walks, name):
    _, frames = walks[name]
    first = node_boxes(frames[0].svg)
    assert len(first) > 5
    for frame in frames:
        assert svg_size(frame.svg) == svg_size(frames[0].svg), frame.title
        boxes = node_boxes(frame.svg)
        assert boxes.keys() == first.keys()
        for node_id, box in boxes.items():
            assert max(abs(a - b) for a, b in zip(box, first[node_id])) <= 0.5, (
                frame.title, node_id
            )


def test_boxes_would_see_a_node_move():
    # The check above can fail: two layouts of different graphs differ.
    a = step_frames(EXAMPLES["xyz"]().output)[0].svg
    x, y = Value(30.0, "x"), Value(-4.0, "y")
    b = step_frames(x * y + Value(2.0, "z"))[0].svg
    assert node_boxes(a) != node_boxes(b)


# Caption and picture in step -----------------------------------------------


def test_every_number_drawn_was_stated_by_this_or_an_earlier_caption(walks):
    _, frames = walks["network"]
    for k, frame in enumerate(frames):
        done = frames[: k + 1]
        values = stated(f.caption for f in done)
        gradients = stated(f.caption for f in done if f.kind != "forward")
        updates = stated(f.caption for f in done if f.kind == "update")
        shown_gradients = coloured(frame.svg, GRADIENT_COLOR)
        assert set(shown_gradients) <= gradients, frame.title
        assert set(coloured(frame.svg, VALUE_COLOR)) <= values, frame.title
        assert set(coloured(frame.svg, UPDATE_COLOR)) <= updates, frame.title
        assert bool(shown_gradients) == (frame.kind != "forward"), frame.title


def test_gradients_and_wires_appear_at_the_step_that_sums_them(walks):
    worked, _ = walks["network"]
    root = worked.output
    walk = _walk(root, _Options(0.1, None, None, "LR", 200), "test")
    backward = [step for step in walk.steps if step.kind == "backward"]
    done = set()
    for step in backward:
        done.add(step.node)
        assert set(step.known.grads) == done
        # A wire's number is what the consumer sent the input: stated in the
        # input's own equation, so it appears at the input's step.
        assert {node.inputs[position] for node, position in step.known.wires} <= done
        assert set(step.known.wires) == {
            (consumer, position)
            for consumer in evaluation_order(root)
            for position, child in enumerate(consumer.inputs)
            if child in done
        }


def test_the_picture_no_longer_runs_ahead_of_the_caption(walks):
    # At backward step "f" the caption says dg/df = 1: the -4 and 3 that "*"
    # sends to x and y wait for their own steps.
    _, frames = walks["xyz"]
    at_f = frames[7]
    assert at_f.title == "Backward step 3 of 5: f"
    assert set(coloured(at_f.svg, GRADIENT_COLOR)) == {"1"}
    assert coloured(frames[8].svg, GRADIENT_COLOR).count("3") == 2  # y's node and wire
    assert coloured(frames[9].svg, GRADIENT_COLOR).count("-4") == 2  # x's node and wire


def test_the_gradient_step_shows_new_values_and_the_new_output(walks):
    _worked, frames = walks["xyz"]
    updates = [f for f in frames if f.kind == "update"]
    assert [f.title for f in updates] == [
        "Gradient step 1 of 3: x", "Gradient step 2 of 3: y", "Gradient step 3 of 3: z",
        "Gradient step: new output g",
    ]
    # x' = 3 - 0.1 * (-4) = 3.4, y' = -4 - 0.1 * 3 = -4.3, z' = 2 - 0.1 = 1.9, g' = -12.72.
    assert sorted(coloured(updates[0].svg, UPDATE_COLOR)) == ["3.4", "3.4"]
    assert sorted(set(coloured(updates[2].svg, UPDATE_COLOR))) == ["-4.3", "1.9", "3.4"]
    assert "-12.72" in coloured(updates[3].svg, UPDATE_COLOR)
    assert "New output" in updates[3].caption and "prediction" in updates[3].caption
    # Gradients stay shown through the step: it moves against them.
    assert "-4" in coloured(updates[3].svg, GRADIENT_COLOR)


def test_the_update_follows_params_and_lr():
    worked = EXAMPLES["network"]()
    frames = step_frames(worked.output)
    updated = [f.title.rsplit(": ", 1)[1] for f in frames if f.kind == "update"][:-1]
    # By default the leaves that need gradients, in evaluation order.
    assert sorted(updated) == sorted(p.label for p in worked.params)
    chosen = worked["w11"]
    few = step_frames(worked.output, params=[chosen], lr=0.5)
    assert next(f.title for f in few if f.kind == "update") == "Gradient step 1 of 1: w11"
    new = chosen.data - 0.5 * update_steps(worked.output, [chosen], 0.5)[0].grad
    assert f"{new:.4g}" in coloured(few[-2].svg, UPDATE_COLOR)
    with pytest.raises(ValueError):
        step_frames(worked.output, lr=float("nan"))


# Constants -----------------------------------------------------------------


def test_constants_are_written_in_their_op_node_and_get_no_gradient(walks):
    worked, frames = walks["sin"]
    last = frames[-1].svg
    texts = re.findall(r"<text[^>]*>([^<]*)</text>", last)
    assert "^2" in texts and "+ 5" in texts
    constants = [n for n in evaluation_order(worked.output) if not n.requires_grad]
    assert len(constants) == 2
    assert all(f"node_v{evaluation_order(worked.output).index(c)}" not in last for c in constants)


def test_a_labelled_constant_is_a_grey_leaf_without_a_gradient(walks):
    worked, frames = walks["network"]
    order = evaluation_order(worked.output)
    target = worked["t"]
    assert not target.requires_grad
    last = frames[-1].svg
    body = re.search(rf'<g id="node_v{order.index(target)}" class="node">(.*?)</g>', last, re.S)
    cells = re.findall(r'<polygon fill="none" stroke="#8c959f"', body.group(1))
    assert len(cells) == 2  # its name and its value: no gradient cell
    assert GRADIENT_COLOR not in body.group(1)


def negative_error():
    """(t - σ)^2 with t below σ: d/d(exponent) of err^2 would be NaN."""
    y = Value(0.8, "y")
    sigma = y.sigmoid()
    sigma.label = "σ"
    err = Value(0.0, "t", requires_grad=False) - sigma
    err.label = "err"
    loss = err**2
    loss.label = "L"
    return loss


def test_a_negative_error_shows_no_nan_anywhere():
    loss = negative_error()
    pictures = [f.svg for f in step_frames(loss)]
    pictures += [draw_graph(loss, mode).pipe(format="svg", encoding="utf-8")
                 for mode in ("forward", "backward", "both")]
    pictures += [draw_graph(loss, "both").source]
    for picture in pictures:
        assert "nan" not in picture.lower()
    assert "^2" in pictures[0]


# Legible at natural size -----------------------------------------------------


@pytest.mark.parametrize("name", ["xyz", "network", "mlp"])
def test_text_is_at_least_11_css_px_at_natural_size(walks, name):
    _, frames = walks[name]
    for frame in frames[:3] + frames[-3:]:
        width_pt = float(svg_size(frame.svg)[0])
        view_width = float(re.search(r'viewBox="[\d.-]+ [\d.-]+ ([\d.]+)', frame.svg).group(1))
        assert abs(width_pt - view_width) < 1  # one SVG unit is one point
        sizes = {float(size) for size in re.findall(r'font-size="([\d.]+)"', frame.svg)}
        assert min(sizes) * 4 / 3 >= 11


def test_small_graphs_and_a_constant_root():
    x = Value(3.0, "x")
    assert [f.kind for f in step_frames(x)] == ["forward", "backward", "update", "update"]
    square = x * x  # one input on two wires: both get their number at x's step
    frames = step_frames(square)
    assert coloured(frames[2].svg, GRADIENT_COLOR).count("3") == 0
    assert coloured(frames[3].svg, GRADIENT_COLOR).count("3") == 2
    with pytest.raises(ValueError, match="c is a constant"):
        step_frames(Value(2.0, "c", requires_grad=False))
    with pytest.raises(TypeError, match="needs a Value"):
        step_frames(3.0)


def test_number_cells_hold_the_widest_numbers():
    # Cells have a fixed size; Graphviz says when a text does not fit.
    x, y = Value(-1.234e-05, "x"), Value(-987654321.0, "y")
    loss = (x * y - 0.000_123_4) ** 2
    drawings = _walk(loss, _Options(0.1, None, None, "LR", 200), "test").drawings
    drawings.append(draw_graph(loss, "both"))
    for drawing in drawings:
        rendered = subprocess.run(
            ["dot", "-Tsvg"], input=drawing.source.encode(), capture_output=True, check=True
        )
        assert rendered.stderr == b""
    assert "-1.234e-05" in drawings[-1].source
