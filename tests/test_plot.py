"""Plots: real matplotlib figures with the expected artists, data and colours."""

import itertools
import math
import random
import subprocess
import sys

import pytest

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib.backends.backend_agg import FigureCanvasAgg  # noqa: E402
from matplotlib.collections import PathCollection  # noqa: E402
from matplotlib.colors import to_rgba  # noqa: E402
from matplotlib.contour import QuadContourSet  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.image import AxesImage  # noqa: E402

from autograd_nn import Value  # noqa: E402
from autograd_nn.data import make_moons  # noqa: E402
from autograd_nn.nn import (  # noqa: E402
    MLP,
    BatchNorm1d,
    Dropout,
    Layer,
    Neuron,
    Perceptron,
    Sequential,
)
from autograd_nn.optim import SGD, Adam, NAdam, RMSprop  # noqa: E402
from autograd_nn.plot import (  # noqa: E402
    CLASS_COLORS,
    OptimizerPath,
    optimizer_paths,
    plot_decision_boundary,
    plot_gradient_norms,
    plot_history,
    plot_neuron_maps,
    plot_optimizer_paths,
    plot_optimizer_values,
)
from autograd_nn.train import History, fit  # noqa: E402


@pytest.fixture(autouse=True)
def no_global_side_effects():
    """No plot touches the global random state or leaves a pyplot figure open."""
    state = random.getstate()
    figures = plt.get_fignums()
    yield
    assert random.getstate() == state
    assert plt.get_fignums() == figures


@pytest.fixture(scope="module")
def moons():
    return make_moons(40, noise=0.1, seed=0)


@pytest.fixture(scope="module")
def trained(moons):
    X, y = moons
    model = MLP(2, [6, 6, 1], seed=0)
    history = fit(model, X[:30], y[:30], X_test=X[30:], y_test=y[30:], epochs=4, seed=0)
    return model, history


def linear_neuron(w1, w2, b=0.0):
    """A neuron whose output is w1*x1 + w2*x2 + b, for boundaries known in advance."""
    neuron = Neuron(2, activation="linear")
    neuron.weights[0].data, neuron.weights[1].data = w1, w2
    assert neuron.bias is not None
    neuron.bias.data = b
    return neuron


def contour_sets(ax, filled):
    return [c for c in ax.collections if isinstance(c, QuadContourSet) and c.filled == filled]


def scatters(ax):
    return [c for c in ax.collections if isinstance(c, PathCollection)
            and not isinstance(c, QuadContourSet)]


def rendered(figure):
    """The figure drawn by Agg, as an RGBA pixel array (top row first)."""
    canvas = FigureCanvasAgg(figure)
    canvas.draw()
    return np.asarray(canvas.buffer_rgba())


def pixel(figure, image, ax, x, y):
    px, py = ax.transData.transform((x, y))
    return image[round(figure.bbox.height - py), round(px)][:3] / 255.0


def assert_png(figure, path):
    figure.savefig(path, format="png", dpi=50)
    data = path.read_bytes()
    assert data.startswith(b"\x89PNG\r\n\x1a\n") and len(data) > 1000


# Decision boundaries -------------------------------------------------------------


def test_decision_boundary_draws_regions_boundary_and_points(moons, trained, tmp_path):
    X, y = moons
    model, _ = trained
    figure = plot_decision_boundary(model, X[:30], y[:30], X[30:], y[30:], resolution=30)
    assert isinstance(figure, Figure)
    (ax,) = figure.axes
    assert len(contour_sets(ax, filled=True)) == 1
    assert len(contour_sets(ax, filled=False)) == 1
    train, test = scatters(ax)
    assert train.get_offsets().tolist() == X[:30]
    assert test.get_offsets().tolist() == X[30:]
    colours = [tuple(c) for c in train.get_facecolors()]
    assert colours == [to_rgba(CLASS_COLORS[k]) for k in y[:30]]
    assert [t.get_text() for t in ax.get_legend().get_texts()] == [
        "train", "test", "class 0", "class 1"]
    assert_png(figure, tmp_path / "boundary.png")


def test_the_legend_tells_split_by_shape_and_class_by_colour():
    # Three classes: the train/test entries must not take a class's colour.
    X = [[0.0, 0.0], [1.0, 0.0], [0.0, 1.0], [1.0, 1.0]]
    figure = plot_decision_boundary(MLP(2, [3]), X[:3], [0, 1, 2], X[3:], [1], resolution=5)
    legend = figure.axes[0].get_legend()
    assert legend.get_title().get_text() == "shape: split, colour: class"
    train, test, *swatches = legend.legend_handles
    for handle, marker in ((train, "o"), (test, "^")):
        assert handle.get_marker() == marker
        assert to_rgba(handle.get_markerfacecolor()) == to_rgba("white")
    assert [to_rgba(s.get_facecolor()) for s in swatches] == [
        to_rgba(CLASS_COLORS[k]) for k in range(3)]


def test_the_boundary_line_is_where_the_logit_is_zero():
    # Output x1 - 0.3: class 1 right of the line x1 = 0.3.
    model = linear_neuron(1.0, 0.0, -0.3)
    X, y = [[-1.0, -1.0], [1.0, 1.0]], [0, 1]
    figure = plot_decision_boundary(model, X, y, resolution=21)
    (line,) = contour_sets(figure.axes[0], filled=False)
    vertices = np.concatenate([p.vertices for p in line.get_paths()])
    assert len(vertices) >= 2
    assert np.allclose(vertices[:, 0], 0.3)
    filled = contour_sets(figure.axes[0], filled=True)[0]
    assert filled.levels[0] == 0.0 and filled.levels[-1] == 1.0


def test_regions_are_coloured_by_the_predicted_class():
    model = linear_neuron(1.0, 0.0)
    X, y = [[-1.0, 0.0], [1.0, 0.0]], [0, 1]
    figure = plot_decision_boundary(model, X, y, resolution=41, probability=False)
    ax = figure.axes[0]
    image = rendered(figure)
    left, right = pixel(figure, image, ax, -1.2, 0.4), pixel(figure, image, ax, 1.2, 0.4)
    orange, blue = to_rgba(CLASS_COLORS[0])[:3], to_rgba(CLASS_COLORS[1])[:3]
    assert left[0] > left[2] and right[2] > right[0]
    # Each region is a pale (translucent) version of its class's colour.
    assert np.argmax(left) == np.argmax(orange) and np.argmax(right) == np.argmax(blue)


def test_several_outputs_shade_the_arg_max_class():
    # Outputs (-x1, x1, 3*x2): class 0 on the left, 1 on the right, 2 at the top.
    layer = Layer(2, 3, activation="linear", seed=0)
    for neuron, weights in zip(layer.neurons, [(-1.0, 0.0), (1.0, 0.0), (0.0, 3.0)]):
        neuron.weights[0].data, neuron.weights[1].data = weights
        neuron.bias.data = 0.0
    X, y = [[-1.0, -1.0], [1.0, -1.0], [0.0, 1.0]], [0, 1, 2]
    figure = plot_decision_boundary(layer, X, y, resolution=41)
    ax = figure.axes[0]
    # One filled region and one outline per class, where its margin over the others is > 0.
    regions, outlines = contour_sets(ax, filled=True), contour_sets(ax, filled=False)
    assert len(regions) == len(outlines) == 3
    assert all(region.levels[0] == 0.0 for region in regions)
    # Classes 0 and 1 meet on the line x1 = 0 (below the region of class 2).
    border = np.concatenate([p.vertices for p in outlines[0].get_paths()])
    lower = border[border[:, 1] < -0.5]
    assert len(lower) >= 2 and np.allclose(lower[:, 0], 0.0, atol=1e-9)
    assert scatters(ax)[0].get_offsets().tolist() == X
    image = rendered(figure)
    pale = [np.array(to_rgba(c)[:3]) for c in CLASS_COLORS[:3]]
    for k, (x, y_) in enumerate([(-1.3, -1.2), (1.3, -1.2), (0.3, 1.3)]):
        colour = pixel(figure, image, ax, x, y_)
        # A translucent region over white: nearest to its own class's tint.
        distances = [np.linalg.norm((1 - colour) / np.linalg.norm(1 - colour)
                                    - (1 - c) / np.linalg.norm(1 - c)) for c in pale]
        assert int(np.argmin(distances)) == k


def test_a_perceptron_boundary_and_an_axes_of_your_own():
    X = [[-1.0, -1.0], [-0.5, -1.0], [1.0, 1.0], [0.5, 1.2]]
    y = [0, 0, 1, 1]
    perceptron = Perceptron(2, seed=0)
    assert perceptron.fit(X, y)[-1] == 0
    figure, (left, right) = plt.subplots(1, 2)
    try:
        returned = plot_decision_boundary(perceptron, X, y, probability=False, ax=right)
        assert returned is figure
        assert len(left.collections) == 0 and len(contour_sets(right, filled=False)) == 1
    finally:
        plt.close(figure)


def test_model_modes_and_buffers_are_left_as_they_were(moons):
    X, y = moons
    model = Sequential(Layer(2, 4, seed=0), BatchNorm1d(4), Dropout(0.5, seed=1),
                       Layer(4, 1, activation="linear", seed=2))
    batch_norm, dropout = model.layers[1], model.layers[2]
    before = (list(batch_norm.running_mean), batch_norm.num_batches_tracked)
    dropout_rng = dropout._rng.getstate()
    plot_decision_boundary(model, X, y, resolution=10)
    plot_neuron_maps(model, X, y, layer=2, resolution=8)
    assert all(m.training for m in model.modules())
    # In evaluation mode BatchNorm keeps its statistics and Dropout draws nothing.
    assert (batch_norm.running_mean, batch_norm.num_batches_tracked) == before
    assert dropout._rng.getstate() == dropout_rng
    model.eval()
    plot_decision_boundary(model, X, y, resolution=10)
    assert not any(m.training for m in model.modules())
    assert all(p.grad == 0.0 for p in model.parameters())


@pytest.mark.parametrize(
    ("arguments", "error", "message"),
    [
        (("model", [[0.0, 0.0]], [0]), TypeError, "needs an autograd_nn model"),
        ((None, [[0.0, 0.0, 1.0]], [0]), ValueError, r"X\[0\] has 3 coordinates"),
        ((None, [[0.0, 0.0]], [0, 1]), ValueError, "1 points but y has 2 labels"),
        ((None, [[0.0, 0.0]], [0.5]), ValueError, r"y\[0\] is 0.5"),
        ((None, [], []), ValueError, "X has no points"),
        ((None, [[0.0, "a"]], [0]), TypeError, r"X\[0\]\[1\] must be a number"),
        ((None, [[0.0, math.nan]], [0]), ValueError, "must be finite"),
        ((None, [[0.0, 0.0]], [0], [[1.0, 1.0]]), ValueError, "both X_test and y_test"),
    ],
)
def test_decision_boundary_rejects_bad_input(arguments, error, message):
    model = linear_neuron(1.0, 1.0)
    arguments = tuple(model if a is None else a for a in arguments)
    with pytest.raises(error, match=message):
        plot_decision_boundary(*arguments)


def test_decision_boundary_rejects_bad_options():
    model = linear_neuron(1.0, 1.0)
    with pytest.raises(ValueError, match=r"needs 2 inputs; .* takes 3"):
        plot_decision_boundary(MLP(3, [2, 1], seed=0), [[0.0, 0.0]], [0])
    with pytest.raises(ValueError, match="resolution must be at least 2"):
        plot_decision_boundary(model, [[0.0, 0.0]], [0], resolution=1)
    with pytest.raises(ValueError, match="margin must be zero or positive"):
        plot_decision_boundary(model, [[0.0, 0.0]], [0], margin=-1)
    with pytest.raises(TypeError, match="ax must be a matplotlib Axes"):
        plot_decision_boundary(model, [[0.0, 0.0]], [0], ax="left")


# Training curves -------------------------------------------------------------------


def test_history_lines_hold_each_epoch(trained, tmp_path):
    _, history = trained
    figure = plot_history(history, title="moons")
    loss_ax, accuracy_ax = figure.axes
    epochs = [1, 2, 3, 4]
    train_loss, test_loss = loss_ax.get_lines()
    assert list(train_loss.get_xdata()) == epochs
    assert list(train_loss.get_ydata()) == history.train_loss
    assert list(test_loss.get_ydata()) == history.test_loss
    train_acc, test_acc = accuracy_ax.get_lines()
    assert list(train_acc.get_ydata()) == history.train_accuracy
    assert list(test_acc.get_ydata()) == history.test_accuracy
    assert (loss_ax.get_ylabel(), accuracy_ax.get_ylabel()) == ("loss", "accuracy")
    assert figure.get_suptitle() == "moons"
    assert_png(figure, tmp_path / "history.png")


def test_a_returned_figure_shows_itself_in_jupyter(trained):
    # IPython displays an object through its _repr_png_, with or without pyplot.
    png = plot_history(trained[1])._repr_png_()
    assert png.startswith(b"\x89PNG\r\n\x1a\n") and len(png) > 1000


def test_without_matplotlib_the_error_says_what_to_install():
    code = ("import sys\nsys.modules['matplotlib'] = None\n"
            "try:\n    import autograd_nn.plot\nexcept ImportError as error:\n    print(error)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    expected = 'autograd_nn.plot needs matplotlib: pip install "autograd_nn[plot]"'
    assert out.stdout.strip() == expected


def test_a_regression_history_has_the_loss_axes_only():
    history = History(train_loss=[3.0, 2.0, 1.5])
    figure = plot_history(history)
    (ax,) = figure.axes
    (line,) = ax.get_lines()
    assert list(line.get_ydata()) == [3.0, 2.0, 1.5]


def test_history_errors():
    with pytest.raises(TypeError, match=r"needs a train\.History"):
        plot_history({"train_loss": [1.0]})
    with pytest.raises(ValueError, match="no epochs"):
        plot_history(History())


# Gradient norms --------------------------------------------------------------------


def test_gradient_norms_over_epochs_one_line_per_layer(trained):
    _, history = trained
    figure = plot_gradient_norms(history)
    ax = figure.axes[0]
    lines = ax.get_lines()
    assert [line.get_label() for line in lines] == ["layer 1", "layer 2", "layer 3"]
    for layer, line in enumerate(lines):
        assert list(line.get_ydata()) == [norms[layer] for norms in history.grad_norms]
    assert ax.get_yscale() == "log"


def test_gradient_norm_bars_are_the_layers_current_gradients(moons, trained):
    model, history = trained
    # fit leaves the last batch's gradients in place: the bars equal its last record.
    figure = plot_gradient_norms(model)
    heights = [bar.get_height() for bar in figure.axes[0].patches]
    expected = [math.sqrt(sum(p.grad ** 2 for p in layer.parameters())) for layer in model.layers]
    assert heights == pytest.approx(expected, rel=1e-12)
    assert heights == pytest.approx(history.grad_norms[-1], rel=1e-12)


def test_sigmoid_gradients_vanish_towards_the_input():
    model = MLP(2, [4, 4, 4, 4, 4, 1], activation="sigmoid", seed=0)
    model([0.5, -0.5]).backward()
    heights = [bar.get_height() for bar in plot_gradient_norms(model).axes[0].patches]
    assert heights[0] < heights[-1] / 10


def test_zero_gradients_get_a_linear_axis():
    model = MLP(2, [3, 1], seed=0)
    figure = plot_gradient_norms(model)
    assert [bar.get_height() for bar in figure.axes[0].patches] == [0.0, 0.0]
    assert figure.axes[0].get_yscale() == "linear"
    with pytest.raises(TypeError, match="History or a model"):
        plot_gradient_norms([1.0, 2.0])
    with pytest.raises(ValueError, match="no epochs"):
        plot_gradient_norms(History())


# Neuron maps -------------------------------------------------------------------------


def test_neuron_maps_show_each_neurons_output(moons, tmp_path):
    X, y = moons
    model = MLP(2, [5, 3, 1], activation="tanh", seed=0)
    figure = plot_neuron_maps(model, X, y, resolution=9, xlim=(-1.0, 2.0), ylim=(-0.5, 1.5))
    assert len(figure.axes) == 5
    for k, ax in enumerate(figure.axes):
        (image,) = [a for a in ax.get_images() if isinstance(a, AxesImage)]
        grid = np.asarray(image.get_array())
        assert grid.shape == (9, 9)
        neuron = model.layers[0].neurons[k]
        # Row 0 is the bottom edge (y = -0.5), column 0 the left edge (x = -1).
        assert grid[0][0] == pytest.approx(neuron.output([Value(-1.0), Value(-0.5)]).data)
        assert grid[8][4] == pytest.approx(neuron.output([Value(0.5), Value(1.5)]).data)
        assert len(scatters(ax)[0].get_offsets()) == len(X)
    second = plot_neuron_maps(model, layer=1, resolution=5)
    assert len(second.axes) == 3
    corner = model.layers[1].forward(model.layers[0].forward([Value(-1.5), Value(-1.5)]))
    assert np.asarray(second.axes[2].get_images()[0].get_array())[0][0] == pytest.approx(
        corner[2].data)
    assert len(plot_neuron_maps(model, layer=-1, resolution=4).axes) == 1
    assert len(plot_neuron_maps(model, max_neurons=2, resolution=4).axes) == 2
    assert_png(figure, tmp_path / "neurons.png")


def test_neuron_maps_errors():
    model = MLP(2, [3, 1], seed=0)
    with pytest.raises(ValueError, match="layer 2 does not exist"):
        plot_neuron_maps(model, layer=2)
    with pytest.raises(TypeError, match="needs a model with layers"):
        plot_neuron_maps(linear_neuron(1.0, 1.0))
    with pytest.raises(ValueError, match="low < high"):
        plot_neuron_maps(model, xlim=(1.0, -1.0))
    with pytest.raises(ValueError, match="needs 2 inputs"):
        plot_neuron_maps(MLP(4, [3, 1], seed=0))


# Optimiser paths ---------------------------------------------------------------------


def bowl(x, y):
    return x ** 2 + 10 * y ** 2


def beale(x, y):
    return ((1.5 - x + x * y) ** 2 + (2.25 - x + x * y ** 2) ** 2
            + (2.625 - x + x * y ** 3) ** 2)


def test_sgd_path_on_a_bowl_is_the_closed_form():
    # d/dx = 2x, d/dy = 20y: each SGD step multiplies x by (1 - 2 lr), y by (1 - 20 lr).
    lr = 0.04
    (path,) = optimizer_paths(bowl, {"SGD": lambda p: SGD(p, lr=lr)}, (1.5, -1.0), 10).values()
    assert isinstance(path, OptimizerPath)
    assert len(path.points) == len(path.values) == 11
    for k, (x, y) in enumerate(path.points):
        assert x == pytest.approx(1.5 * (1 - 2 * lr) ** k, rel=1e-12)
        assert y == pytest.approx(-1.0 * (1 - 20 * lr) ** k, rel=1e-12)
    assert path.values == pytest.approx([x * x + 10 * y * y for x, y in path.points], rel=1e-12)
    assert path.xs == [p[0] for p in path.points] and path.ys == [p[1] for p in path.points]


@pytest.mark.parametrize(
    "factory",
    [
        lambda p: SGD(p, lr=0.001, momentum=0.9, nesterov=True),
        lambda p: Adam(p, lr=0.05),
        lambda p: NAdam(p, lr=0.05),
    ],
)
def test_paths_equal_stepping_the_optimiser_by_hand(factory):
    paths = optimizer_paths(beale, {"opt": factory}, (1.0, 1.5), 25)
    x, y = Value(1.0), Value(1.5)
    optimizer = factory([x, y])
    points = [(1.0, 1.5)]
    for _ in range(25):
        optimizer.zero_grad()
        beale(x, y).backward()
        optimizer.step()
        points.append((x.data, y.data))
    assert paths["opt"].points == points


def test_plot_draws_contours_and_each_path(tmp_path):
    optimizers = {"SGD": lambda p: SGD(p, lr=0.001), "Adam": lambda p: Adam(p, lr=0.05)}
    figure = plot_optimizer_paths(beale, optimizers, (1.0, 1.5), 30, xlim=(-4.5, 4.5),
                                  ylim=(-4.5, 4.5), resolution=40, levels=12, log_levels=True,
                                  minimum=(3.0, 0.5), title="Beale")
    ax = figure.axes[0]
    (contours,) = contour_sets(ax, filled=True)
    levels = list(contours.levels)
    assert len(levels) == 12 and levels == sorted(levels)
    # Log-spaced above the minimum: each gap between levels grows by the same ratio.
    gaps = [b - a for a, b in itertools.pairwise(levels)]
    ratios = [b / a for a, b in itertools.pairwise(gaps)]
    assert max(ratios) == pytest.approx(min(ratios), rel=1e-6) and ratios[0] > 1
    paths = optimizer_paths(beale, optimizers, (1.0, 1.5), 30)
    lines = {line.get_label(): line for line in ax.get_lines()}
    for name, path in paths.items():
        assert list(lines[name].get_xdata()) == path.xs
        assert list(lines[name].get_ydata()) == path.ys
    assert list(lines["_minimum"].get_xdata()) == [3.0]
    assert ax.get_xlim() == (-4.5, 4.5) and ax.get_title() == "Beale"
    assert_png(figure, tmp_path / "paths.png")


def test_values_per_step(tmp_path):
    paths = optimizer_paths(bowl, {"SGD": lambda p: SGD(p, lr=0.04),
                                   "momentum": lambda p: SGD(p, lr=0.04, momentum=0.5)},
                            (1.0, 1.0), 8)
    figure = plot_optimizer_values(paths)
    lines = figure.axes[0].get_lines()
    assert [line.get_label() for line in lines] == ["SGD", "momentum"]
    assert list(lines[0].get_xdata()) == list(range(9))
    assert list(lines[1].get_ydata()) == paths["momentum"].values
    logged = plot_optimizer_values(paths, log=True, floor=0.5).axes[0]
    shown = list(logged.get_lines()[0].get_ydata())
    expected = [v - 0.5 if v > 0.5 else None for v in paths["SGD"].values]
    assert None in expected and None not in expected[:2]
    assert [None if math.isnan(v) else v for v in shown] == expected
    assert logged.get_yscale() == "log"


def test_optimizer_path_errors():
    sgd = {"SGD": lambda p: SGD(p, lr=0.1)}
    with pytest.raises(ValueError, match="SGD at step"):
        optimizer_paths(lambda x, y: x ** 4 + y ** 2, {"SGD": lambda p: SGD(p, lr=10.0)},
                        (1.0, 1.0), 50)
    with pytest.raises(ValueError, match=r"SGD at step 1, .*result too large for a float"):
        optimizer_paths(lambda x, y: x * x * 1e300, sgd, (1.0, 1.0), 5)
    with pytest.raises(ValueError, match="diverged at step 1"):
        optimizer_paths(lambda x, y: x * x * 1e300, {"SGD": lambda p: SGD(p, lr=1e10)},
                        (1.0, 1.0), 5)
    with pytest.raises(TypeError, match="must return a Value"):
        optimizer_paths(lambda x, y: 1.0, sgd, (0.0, 0.0), 3)
    with pytest.raises(TypeError, match="non-empty dict"):
        optimizer_paths(bowl, {}, (0.0, 0.0))
    with pytest.raises(TypeError, match=r"optimizers\['SGD'\] must be a function"):
        optimizer_paths(bowl, {"SGD": 0.1}, (0.0, 0.0))
    with pytest.raises(TypeError, match="not an optimiser"):
        optimizer_paths(bowl, {"SGD": lambda p: p}, (0.0, 0.0))
    with pytest.raises(ValueError, match="start has 3 coordinates"):
        optimizer_paths(bowl, sgd, (0.0, 0.0, 0.0))
    with pytest.raises(ValueError, match="steps must be at least 1"):
        optimizer_paths(bowl, sgd, (0.0, 0.0), 0)
    with pytest.raises(ValueError, match="undefined everywhere"):
        plot_optimizer_paths(lambda x, y: (x - 10).log() + y * y, sgd, (11.0, 0.0), 1)
    with pytest.raises(TypeError, match="not an OptimizerPath"):
        plot_optimizer_values({"SGD": [1.0, 2.0]})


def test_paths_that_share_a_stretch_stay_told_apart():
    # RMSprop and Adam both step along the gradient's sign at first (the README's gallery).
    valley = {"RMSprop": lambda p: RMSprop(p, lr=0.05), "Adam": lambda p: Adam(p, lr=0.1),
              "SGD": lambda p: SGD(p, lr=0.4)}
    figure = plot_optimizer_paths(lambda x, y: 0.1 * x**2 + 2 * y**2, valley, (-1.8, 0.8), 40,
                                  resolution=20)
    lines = [line for line in figure.axes[0].get_lines() if not line.get_label().startswith("_")]
    assert [line.get_label() for line in lines] == list(valley)
    assert len({(line.get_marker(), line.get_linestyle()) for line in lines}) == 3
    widths = [line.get_linewidth() for line in lines]
    assert widths == sorted(widths, reverse=True) and widths[0] > widths[-1]


def test_undefined_regions_are_left_blank():
    # log(x) is undefined for x <= 0: the contour still draws the right half.
    figure = plot_optimizer_paths(lambda x, y: x.log() + y * y,
                                  {"SGD": lambda p: SGD(p, lr=0.1)}, (1.0, 1.0), 3,
                                  resolution=20, levels=5)
    (contours,) = contour_sets(figure.axes[0], filled=True)
    # Evenly spaced from the lowest to the highest finite value on the grid.
    gaps = [b - a for a, b in itertools.pairwise(contours.levels)]
    assert len(gaps) == 4 and max(gaps) == pytest.approx(min(gaps))
    ax = figure.axes[0]
    ax.get_legend().remove()
    image = rendered(figure)
    assert list(pixel(figure, image, ax, -1.0, -1.5)) == [1.0, 1.0, 1.0]
    assert list(pixel(figure, image, ax, 1.9, -1.5)) != [1.0, 1.0, 1.0]


def test_grids_are_evaluated_by_a_traced_program_with_the_scalar_engines_numbers():
    """plot_decision_boundary and the neuron maps replay one traced program over the
    grid; each value equals the scalar engine's (no_grad, sample by sample) to 1e-12."""
    pytest.importorskip("numpy")
    from autograd_nn import no_grad
    from autograd_nn.nn import MLP
    from autograd_nn.plot import _shared

    model = MLP(2, [6, 5, 3], activation="tanh", seed=4)
    samples = _shared.grid_samples([-1.5, 0.0, 0.25, 2.0], [-1.0, 0.5, 3.0])
    for stages in (None, model.layers[:1], model.layers[:2]):
        chain = [model] if stages is None else list(stages)
        compiled = _shared._evaluate_compiled(chain, samples)
        assert compiled is not None
        with no_grad():
            outputs = samples
            for stage in chain:
                outputs = stage.forward_batch(outputs)
        expected = [[v.data for v in out] for out in outputs]
        assert len(compiled) == len(expected) == 12
        for got, want in zip(compiled, expected):
            assert got == pytest.approx(want, rel=1e-12, abs=1e-300)
        assert _shared.evaluate(model, samples, stages) == compiled
