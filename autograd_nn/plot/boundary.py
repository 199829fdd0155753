"""What a classifier decides over the input plane: decision boundaries and neuron maps.

Both evaluate the model on a grid over the plane, in evaluation mode and
without a graph (see `_shared.evaluate`), and draw the data on top.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from matplotlib.artist import Artist
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from .. import checks
from ..nn import MLP, Module, Sequential
from ..ops import OPS
from ._shared import (
    TWO_CLASSES,
    Limits,
    Point,
    class_color,
    evaluate,
    evenly_spaced,
    finish_axes,
    grid_samples,
    labels,
    limits,
    new_axes,
    new_figure,
    plane_model,
    points,
    rows,
    scatter_classes,
    span,
)

__all__ = ["plot_decision_boundary", "plot_neuron_maps"]

_sigmoid = OPS["sigmoid"].forward
# A few distinct shades read as well as a continuum and keep pictures small.
_NEURON_SHADES = TWO_CLASSES.resampled(17)
_DEFAULT_PLANE: Limits = (-1.5, 1.5)


# Decision boundaries ---------------------------------------------------------


@dataclass(frozen=True)
class BoundaryData:
    """Checked training points and labels, and the test ones (empty if none)."""

    points: list[Point]
    labels: list[int]
    test_points: list[Point]
    test_labels: list[int]


def boundary_data(
    who: str, X: object, y: object, X_test: object, y_test: object
) -> BoundaryData:
    train = points(who, "X", X)
    train_labels = labels(who, "y", y, len(train), "X")
    if (X_test is None) != (y_test is None):
        raise ValueError(f"{who}: give both X_test and y_test, or neither")
    if X_test is None:
        return BoundaryData(train, train_labels, [], [])
    test = points(who, "X_test", X_test)
    test_labels = labels(who, "y_test", y_test, len(test), "X_test")
    return BoundaryData(train, train_labels, test, test_labels)


def _shade_logit(
    ax: Axes, xs: list[float], ys: list[float], logits: list[float], probability: bool
) -> None:
    """One output read as a logit: shade by sigmoid(logit) (or the class), line at 0."""
    width = len(xs)
    classes = [1.0 if z > 0.0 else 0.0 for z in logits]
    if probability:
        shade, levels = [_sigmoid(z) for z in logits], evenly_spaced(0.0, 1.0, 11)
    else:
        shade, levels = classes, [-0.5, 0.5, 1.5]
    ax.contourf(xs, ys, rows(shade, width), levels=levels, cmap=TWO_CLASSES,
                vmin=0.0, vmax=1.0, alpha=0.6)
    # The logit's zero line is smooth; a step output (a perceptron's 0 or 1)
    # has no negative side, so its boundary is traced on the classes.
    if min(logits) < 0.0 < max(logits):
        ax.contour(xs, ys, rows(logits, width), levels=[0.0], colors="black", linewidths=1.2)
    elif 0.0 < sum(classes) < len(classes):
        ax.contour(xs, ys, rows(classes, width), levels=[0.5], colors="black", linewidths=1.2)


def _shade_classes(ax: Axes, xs: list[float], ys: list[float], outputs: list[list[float]]) -> None:
    """Several outputs: each class's region (its arg-max) in its colour, outlined."""
    # Class k wins where its margin z_k - max(other z) is positive; filling
    # each margin above 0 gives boundaries as smooth as the outputs.
    for k in range(len(outputs[0])):
        margins = [out[k] - max(out[:k] + out[k + 1 :]) for out in outputs]
        if max(margins) <= 0.0:
            continue
        grid = rows(margins, len(xs))
        ax.contourf(xs, ys, grid, levels=[0.0, max(margins) + 1.0],
                    colors=[class_color(k)], alpha=0.35)
        ax.contour(xs, ys, grid, levels=[0.0], colors="black", linewidths=0.8)


def _legend(ax: Axes, data: BoundaryData) -> None:
    """Colour is the class, shape the split: neutral shapes first, then one swatch per class."""
    def shape(marker: str, size: float, label: str) -> Line2D:
        return Line2D([], [], marker=marker, markersize=size, label=label, linestyle="none",
                      markerfacecolor="white", markeredgecolor="black")

    handles: list[Artist] = [shape("o", 6.0, "train")]
    if data.test_points:
        handles.append(shape("^", 7.0, "test"))
    for k in sorted(set(data.labels + data.test_labels)):
        handles.append(Patch(facecolor=class_color(k), edgecolor="black", label=f"class {k}"))
    ax.legend(handles=handles, loc="best", fontsize="small",
              title="shape: split, colour: class", title_fontsize="small")


def plot_decision_boundary(
    model: Module,
    X: Sequence[Sequence[float]],
    y: Sequence[int],
    X_test: Sequence[Sequence[float]] | None = None,
    y_test: Sequence[int] | None = None,
    *,
    resolution: int = 80,
    margin: float = 0.5,
    probability: bool = True,
    title: str | None = None,
    ax: Axes | None = None,
) -> Figure:
    """The model's classes over the input plane, with the data on top.

    One output is read as a logit (class 1 where it is above 0, as `train.predict`
    does): the plane is shaded by the probability sigmoid(output), or by the
    class alone when `probability` is False (e.g. for a `Perceptron`), and the
    boundary is drawn as a black line. Several outputs: each point's class is
    the arg-max, each class region shaded in its colour and outlined in black.
    Training points are circles, test points triangles, each in its class's
    colour; the legend says so with neutral shapes and one swatch per class.
    `resolution` is the number of grid points along each axis; the plane spans
    the data plus `margin` on each side. Labels are whole numbers from 0 (a hinge loss's -1
    counts as class 0, as in `train.accuracy`).
    """
    who = "plot_decision_boundary"
    model = plane_model(who, model)
    data = boundary_data(who, X, y, X_test, y_test)
    resolution = checks.whole(f"{who}: resolution", resolution, at_least=2)
    margin = checks.non_negative(f"{who}: margin", margin)

    plane = data_plane(data, resolution, margin)
    figure, ax = new_axes(ax)
    draw_boundary(ax, plane, evaluate(model, grid_samples(*plane)), data, probability)
    finish_axes(ax, "x1", "x2", title, grid=False)
    return figure


Plane = tuple[list[float], list[float]]
"""A grid's x and y coordinates."""


def data_plane(data: BoundaryData, resolution: int, margin: float) -> Plane:
    """The grid's x and y coordinates: the data's span plus `margin`, `resolution` each."""
    every = data.points + data.test_points
    xs = evenly_spaced(*span([p[0] for p in every], margin), resolution)
    ys = evenly_spaced(*span([p[1] for p in every], margin), resolution)
    return xs, ys


def draw_boundary(
    ax: Axes, plane: Plane, outputs: list[list[float]], data: BoundaryData, probability: bool
) -> None:
    """The regions of `outputs` (the model on the plane's grid), the data and the legend."""
    xs, ys = plane
    if len(outputs[0]) == 1:
        _shade_logit(ax, xs, ys, [out[0] for out in outputs], probability)
    else:
        _shade_classes(ax, xs, ys, outputs)
    scatter_classes(ax, data.points, data.labels, "o", "_train")
    if data.test_points:
        scatter_classes(ax, data.test_points, data.test_labels, "^", "_test", size=40.0)
    _legend(ax, data)
    ax.set_xlim(xs[0], xs[-1])
    ax.set_ylim(ys[0], ys[-1])


# Neuron maps -------------------------------------------------------------------


def _stages(who: str, model: Module, layer: object) -> tuple[list[Module], int]:
    """The model's layers up to the chosen one, and how many layers it has."""
    if not isinstance(model, (MLP, Sequential)) or not model.layers:
        raise TypeError(f"{who} needs a model with layers (an MLP or Sequential), got {model!r}")
    count = len(model.layers)
    index = checks.whole(f"{who}: layer", layer, at_least=-count)
    if index >= count:
        raise ValueError(f"{who}: layer {index} does not exist; {model!r} has "
                         f"{count} layers (0 to {count - 1}, or negative from the end)")
    return list(model.layers[: index % count + 1]), count


def _plane(
    who: str, data: list[Point], xlim: object, ylim: object, margin: float
) -> tuple[Limits, Limits]:
    """The limits asked for, or by default the data plus `margin` ([-1.5, 1.5] without data)."""
    if xlim is None:
        xlim = span([p[0] for p in data], margin) if data else _DEFAULT_PLANE
    if ylim is None:
        ylim = span([p[1] for p in data], margin) if data else _DEFAULT_PLANE
    return limits(who, "xlim", xlim), limits(who, "ylim", ylim)


def _grid_shape(who: str, n_neurons: int, ncols: int | None) -> tuple[int, int]:
    """(rows, columns) of small maps: 4 columns up to 8 neurons, else 6, unless told."""
    columns = min(n_neurons, ncols if ncols is not None else 4 if n_neurons <= 8 else 6)
    columns = checks.whole(f"{who}: ncols", columns)
    return -(-n_neurons // columns), columns


def _neuron_map(
    ax: Axes, values: list[float], width: int, plane: tuple[Limits, Limits],
    data: list[Point], classes: list[int] | None,
) -> None:
    """One neuron's outputs as an image on its own symmetric scale, the data on top."""
    xlim, ylim = plane
    scale = max(max(abs(v) for v in values), 1e-12)
    ax.imshow(rows(values, width), origin="lower", extent=(*xlim, *ylim),
              cmap=_NEURON_SHADES, vmin=-scale, vmax=scale, aspect="auto",
              interpolation="nearest")
    if data:
        # Dots without anti-aliasing: on many small maps they make a PNG a third the size.
        scatter_classes(ax, data, classes, "o", "data", size=4.0, edge=0.0, antialiased=False)
    ax.set_xlim(*xlim)
    ax.set_ylim(*ylim)
    ax.set_xticks([])
    ax.set_yticks([])


def plot_neuron_maps(
    model: Module,
    X: Sequence[Sequence[float]] | None = None,
    y: Sequence[int] | None = None,
    *,
    layer: int = 0,
    resolution: int = 40,
    xlim: Limits | None = None,
    ylim: Limits | None = None,
    margin: float = 0.5,
    max_neurons: int | None = None,
    ncols: int | None = None,
) -> Figure:
    """Each neuron's output of one layer over the input plane, a small map each.

    As TensorFlow Playground shows its hidden units: orange where a neuron's
    output is negative, blue where positive, white at 0 (each map on its own
    symmetric scale). `model` is an `MLP` or a `Sequential` of 2-input models;
    `layer` indexes its `.layers` (0 is the first hidden layer, -1 the last).
    The data, if given, is drawn on each map. The plane is `xlim` x `ylim`,
    by default the data plus `margin`, or [-1.5, 1.5]^2 without data.
    """
    who = "plot_neuron_maps"
    stages, n_layers = _stages(who, plane_model(who, model), layer)
    data = points(who, "X", X) if X is not None else []
    classes = labels(who, "y", y, len(data), "X") if y is not None else None
    resolution = checks.whole(f"{who}: resolution", resolution, at_least=2)
    plane = _plane(who, data, xlim, ylim, checks.non_negative(f"{who}: margin", margin))

    xs, ys = evenly_spaced(*plane[0], resolution), evenly_spaced(*plane[1], resolution)
    outputs = evaluate(model, grid_samples(xs, ys), stages)
    n_neurons = len(outputs[0])
    if max_neurons is not None:
        n_neurons = min(n_neurons, checks.whole(f"{who}: max_neurons", max_neurons))
    n_rows, columns = _grid_shape(who, n_neurons, ncols)
    figure = new_figure((1.7 * columns, 1.7 * n_rows + 0.4))
    for k in range(n_neurons):
        ax = figure.add_subplot(n_rows, columns, k + 1)
        _neuron_map(ax, [out[k] for out in outputs], resolution, plane, data, classes)
        ax.set_title(f"neuron {k + 1}", fontsize=8)
    figure.suptitle(f"layer {len(stages)} of {n_layers}: each neuron's output", fontsize=10)
    return figure
