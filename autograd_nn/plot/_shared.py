"""What the plot modules share: class colours, argument checks, figures, grids.

The checks here are the plot-specific shapes (points of the plane, class
labels, axis limits, a model of the plane); each number inside them is
checked by `autograd_nn.checks`, so messages read as everywhere else:
``"plot_decision_boundary: X[0][1] must be a number, got the string 'a'"``.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import Any

from matplotlib import colormaps
from matplotlib.axes import Axes
from matplotlib.colors import LinearSegmentedColormap
from matplotlib.figure import Figure, SubFigure

from .. import checks
from ..engine import Value, no_grad
from ..nn import Module

Limits = tuple[float, float]
Point = tuple[float, float]

CLASS_COLORS = (
    "#e66101", "#0571b0", "#4dac26", "#7b3294", "#d01c8b", "#a6611a", "#018571", "#404040",
)
"""The colour of each class (orange and blue first, as TensorFlow Playground draws them)."""

NEUTRAL = "#f7f7f7"
"""The colour between two classes: where a model is undecided."""
TWO_CLASSES = LinearSegmentedColormap.from_list(
    "autograd_nn_two_classes", [CLASS_COLORS[0], NEUTRAL, CLASS_COLORS[1]]
)
"""Class 0's colour to class 1's through `NEUTRAL`."""


def class_color(k: int) -> str:
    """The colour of class `k`; the colours repeat after the eighth class."""
    return CLASS_COLORS[k % len(CLASS_COLORS)]


def depth_color(layer: int, n_layers: int) -> Any:
    """Layers coloured from dark (input side) to light (output side)."""
    return colormaps["viridis"](0.85 * layer / max(n_layers - 1, 1))


# Checking arguments ------------------------------------------------------------


def _is_list(x: object) -> bool:
    return isinstance(x, Sequence) and not isinstance(x, (str, bytes))


def point(who: str, what: str, p: object) -> Point:
    """`p` as an (x, y) pair of finite floats."""
    if not _is_list(p):
        raise TypeError(f"{who}: {what} must be an (x, y) pair, got {checks.describe(p)}")
    assert isinstance(p, Sequence)
    if len(p) != 2:
        raise ValueError(
            f"{who}: {what} has {len(p)} coordinates; these plots draw the 2-D plane, "
            "so each point needs exactly 2"
        )
    return checks.real(f"{who}: {what}[0]", p[0]), checks.real(f"{who}: {what}[1]", p[1])


def points(who: str, name: str, X: object) -> list[Point]:
    """`X` as a non-empty list of (x, y) pairs."""
    if not _is_list(X):
        raise TypeError(
            f"{who}: {name} must be a list of (x, y) points, got {checks.describe(X)}"
        )
    assert isinstance(X, Sequence)
    if not X:
        raise ValueError(f"{who}: {name} has no points")
    return [point(who, f"{name}[{i}]", p) for i, p in enumerate(X)]


def _class_label(who: str, what: str, label: object) -> int:
    if (not checks.is_number(label)
            or not float(label).is_integer() or label < -1):
        raise ValueError(
            f"{who}: {what} is {checks.describe(label)}; a class label is a whole number >= 0"
        )
    return max(int(float(label)), 0)


def labels(who: str, name: str, y: object, n_points: int, points_name: str) -> list[int]:
    """Class labels as ints; -1 (the hinge loss's label) counts as class 0, as in `accuracy`."""
    if not _is_list(y):
        raise TypeError(
            f"{who}: {name} must be a list of class labels, got {checks.describe(y)}"
        )
    assert isinstance(y, Sequence)
    if len(y) != n_points:
        raise ValueError(
            f"{who}: {points_name} has {n_points} points but {name} has {len(y)} labels"
        )
    return [_class_label(who, f"{name}[{i}]", label) for i, label in enumerate(y)]


def limits(who: str, what: str, given: object) -> Limits:
    """`given` as (low, high) with low < high."""
    low, high = point(who, what, given)
    if not low < high:
        raise ValueError(f"{who}: {what} must be (low, high) with low < high, got {given!r}")
    return low, high


def plane_model(who: str, model: object) -> Module:
    """The model, checked to be a Module that takes 2 inputs (the plane's coordinates)."""
    if not isinstance(model, Module):
        raise TypeError(
            f"{who} needs an autograd_nn model (a Module), got {checks.describe(model)}"
        )
    n_inputs = model.input_size()
    if n_inputs not in (None, 2):
        raise ValueError(f"{who} draws the input plane, so the model needs 2 inputs; "
                         f"{model!r} takes {n_inputs}")
    return model


# Figures -----------------------------------------------------------------------


class PlotFigure(Figure):
    """A Figure that shows itself in Jupyter even where pyplot was never imported."""

    def _repr_png_(self) -> bytes:
        buffer = io.BytesIO()
        self.savefig(buffer, format="png", bbox_inches="tight")
        return buffer.getvalue()


def new_figure(figsize: tuple[float, float]) -> Figure:
    """A figure of its own (outside pyplot's list of open figures), laid out to fit."""
    return PlotFigure(figsize=figsize, layout="constrained")


def new_axes(ax: Axes | None, figsize: tuple[float, float] = (5.0, 4.0)) -> tuple[Figure, Axes]:
    """The axes to draw on (a new figure's, when none is given) and its figure."""
    if ax is None:
        figure = new_figure(figsize)
        return figure, figure.add_subplot()
    if not isinstance(ax, Axes):
        raise TypeError(f"ax must be a matplotlib Axes, got {checks.describe(ax)}")
    return _root_figure(ax), ax


def _root_figure(ax: Axes) -> Figure:
    parent: Any = ax.figure
    while isinstance(parent, SubFigure):
        parent = parent.figure
    if not isinstance(parent, Figure):
        raise TypeError("ax belongs to no figure")
    return parent


def finish_axes(ax: Axes, xlabel: str, ylabel: str, title: str | None, grid: bool) -> None:
    """Label the axes, add the title if one is given and a faint grid if asked."""
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    if grid:
        ax.grid(alpha=0.3)
    if title is not None:
        ax.set_title(title)


# Grids over the plane ------------------------------------------------------------


def evenly_spaced(low: float, high: float, count: int) -> list[float]:
    """`count` numbers from `low` to `high`, both included, evenly apart."""
    return [low + (high - low) * i / (count - 1) for i in range(count)]


def span(values: Sequence[float], margin: float) -> Limits:
    """From the smallest value to the largest, `margin` wider on each side."""
    return min(values) - margin, max(values) + margin


def rows(values: Sequence[float], width: int) -> list[list[float]]:
    """A flat list of a grid's values cut into rows of `width`."""
    return [list(values[i : i + width]) for i in range(0, len(values), width)]


def grid_samples(xs: Sequence[float], ys: Sequence[float]) -> list[list[Value]]:
    """The grid's points row by row (y outer, x inner), as a batch of samples."""
    return [[Value(x), Value(y)] for y in ys for x in xs]


def evaluate(
    model: Module, samples: list[list[Value]], stages: Sequence[Module] | None = None
) -> list[list[float]]:
    """Each sample's outputs in evaluation mode without a graph; modes restored after.

    `stages` (some of the model's layers, in order) are run instead of the whole model.
    """
    modes = [(module, module.training) for module in model.modules()]
    model.eval()
    chain = list(stages) if stages is not None else [model]
    try:
        compiled = _evaluate_compiled(chain, samples)
        if compiled is not None:
            return compiled
        with no_grad():
            outputs = samples
            for stage in chain:
                outputs = stage.forward_batch(outputs)
    finally:
        for module, training in modes:
            module.training = training
    return [[v.data for v in out] for out in outputs]


def _evaluate_compiled(chain: list[Module], samples: list[list[Value]]) -> list[list[float]] | None:
    """`evaluate` by one traced program replayed over all samples (`autograd_nn.compiled`):
    the same numbers, far faster; None without numpy or where the stages do not trace."""
    try:
        from ..compiled import TraceError, trace
    except ImportError:
        return None

    def through(sample: list[Value]) -> list[Value]:
        outputs = sample
        for stage in chain:
            outputs = stage.forward(outputs)
        return outputs

    points = [[v.data for v in sample] for sample in samples]
    try:
        program = trace(through, points[0])
    except TraceError:
        return None
    columns = [column.tolist() for column in program.forward(points)]
    return [list(row) for row in zip(*columns)]


def scatter_classes(
    ax: Axes,
    where: Sequence[Point],
    classes: Sequence[int] | None,
    marker: str,
    label: str,
    *,
    size: float = 30.0,
    edge: float = 0.6,
    antialiased: bool = True,
) -> None:
    """The points, each in its class's colour (dark grey without classes)."""
    colors = ["#202020"] * len(where) if classes is None else [class_color(k) for k in classes]
    ax.scatter(
        [p[0] for p in where], [p[1] for p in where], c=colors, marker=marker, s=size,
        edgecolors="black", linewidths=edge, label=label, zorder=3, antialiased=antialiased,
    )
