"""Pictures of learning with matplotlib: decision boundaries, curves, optimiser paths.

    from autograd_nn.plot import plot_decision_boundary, plot_history

    history = fit(model, X, y, X_test=X_test, y_test=y_test, epochs=40)
    plot_history(history).savefig("loss.png")
    plot_decision_boundary(model, X, y, X_test, y_test).savefig("boundary.png")

Every function returns the matplotlib `Figure` it drew on and never calls
`show()`: in Jupyter a returned figure displays itself, elsewhere `savefig`
writes it. Figures are made with the object-oriented API, so nothing lands in
pyplot's global list of open figures; functions that draw one picture also
take `ax=` to draw into an axes of your own figure.

Models are evaluated under `no_grad` and in evaluation mode (Dropout off,
BatchNorm on its running statistics); each module's mode is restored after.
Nothing here draws random numbers.

Needs matplotlib: ``pip install "autograd_nn[plot]"``.
"""

from __future__ import annotations

import io
import math
import numbers
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

try:
    from matplotlib import colormaps
    from matplotlib.axes import Axes
    from matplotlib.colors import BoundaryNorm, LinearSegmentedColormap
    from matplotlib.figure import Figure, SubFigure
except ImportError as error:
    raise ImportError(
        'autograd_nn.plot needs matplotlib: pip install "autograd_nn[plot]"'
    ) from error

from .engine import Value, no_grad
from .nn import Module, _real
from .ops import OPS
from .optim import Optimizer
from .train import History

__all__ = [
    "CLASS_COLORS",
    "OptimizerPath",
    "optimizer_paths",
    "plot_decision_boundary",
    "plot_gradient_norms",
    "plot_history",
    "plot_neuron_maps",
    "plot_optimizer_paths",
    "plot_optimizer_values",
]

Limits = tuple[float, float]
Function2D = Callable[[Value, Value], Value]
OptimizerFactory = Callable[[list[Value]], Optimizer]

CLASS_COLORS = (
    "#e66101", "#0571b0", "#4dac26", "#7b3294", "#d01c8b", "#a6611a", "#018571", "#404040",
)
"""The colour of each class (orange and blue first, as TensorFlow Playground draws them)."""

_sigmoid = OPS["sigmoid"].forward
_NEUTRAL = "#f7f7f7"
_TWO_CLASSES = LinearSegmentedColormap.from_list(
    "autograd_nn_two_classes", [CLASS_COLORS[0], _NEUTRAL, CLASS_COLORS[1]]
)
_LANDSCAPE = LinearSegmentedColormap.from_list("autograd_nn_landscape", ["#f2f6f9", "#9fb8cf"])
# A few distinct shades read as well as a continuum and keep pictures small.
_NEURON_SHADES = _TWO_CLASSES.resampled(17)


# Checking arguments ------------------------------------------------------------


def _describe(x: object) -> str:
    if isinstance(x, (bool, str)) or x is None:
        return repr(x)
    if isinstance(x, numbers.Real):
        return repr(x)
    return f"a {type(x).__name__}"


def _number(who: str, what: str, x: object) -> float:
    return _real(f"{who}: {what}", x)


def _whole(who: str, what: str, x: object, at_least: int) -> int:
    if isinstance(x, bool) or not isinstance(x, int):
        raise TypeError(f"{who}: {what} must be a whole number, got {_describe(x)}")
    if x < at_least:
        raise ValueError(f"{who}: {what} must be at least {at_least}, got {x}")
    return x


def _point(who: str, what: str, p: object) -> tuple[float, float]:
    if not isinstance(p, Sequence) or isinstance(p, (str, bytes)):
        raise TypeError(f"{who}: {what} must be an (x, y) pair, got {_describe(p)}")
    if len(p) != 2:
        raise ValueError(
            f"{who}: {what} has {len(p)} coordinates; these plots draw the 2-D plane, "
            "so each point needs exactly 2"
        )
    return _number(who, f"{what}[0]", p[0]), _number(who, f"{what}[1]", p[1])


def _points(who: str, name: str, X: object) -> list[tuple[float, float]]:
    if not isinstance(X, Sequence) or isinstance(X, (str, bytes)):
        raise TypeError(f"{who}: {name} must be a list of (x, y) points, got {_describe(X)}")
    if not X:
        raise ValueError(f"{who}: {name} has no points")
    return [_point(who, f"{name}[{i}]", p) for i, p in enumerate(X)]


def _labels(who: str, name: str, y: object, n_points: int, points_name: str) -> list[int]:
    """Class labels as ints; -1 (the hinge loss's label) counts as class 0, as in `accuracy`."""
    if not isinstance(y, Sequence) or isinstance(y, (str, bytes)):
        raise TypeError(f"{who}: {name} must be a list of class labels, got {_describe(y)}")
    if len(y) != n_points:
        raise ValueError(
            f"{who}: {points_name} has {n_points} points but {name} has {len(y)} labels"
        )
    labels = []
    for i, label in enumerate(y):
        if (isinstance(label, bool) or not isinstance(label, numbers.Real)
                or not float(label).is_integer() or label < -1):
            raise ValueError(
                f"{who}: {name}[{i}] is {_describe(label)}; a class label is a whole number >= 0"
            )
        labels.append(max(int(float(label)), 0))
    return labels


def _limits(who: str, what: str, limits: object) -> Limits:
    low, high = _point(who, what, limits)
    if not low < high:
        raise ValueError(f"{who}: {what} must be (low, high) with low < high, got {limits!r}")
    return low, high


def _module(who: str, model: object) -> Module:
    """The model, checked to be a Module that takes 2 inputs (the plane's coordinates)."""
    if not isinstance(model, Module):
        raise TypeError(f"{who} needs an autograd_nn model (a Module), got {_describe(model)}")
    layers = getattr(model, "layers", None)
    first = layers[0] if isinstance(layers, list) and layers else model
    n_inputs = getattr(model, "n_inputs", getattr(first, "n_inputs", 2))
    if n_inputs != 2:
        raise ValueError(f"{who} draws the input plane, so the model needs 2 inputs; "
                         f"{model!r} takes {n_inputs}")
    return model


# Shared pieces -----------------------------------------------------------------


class _Figure(Figure):
    """A Figure that shows itself in Jupyter even where pyplot was never imported."""

    def _repr_png_(self) -> bytes:
        buffer = io.BytesIO()
        self.savefig(buffer, format="png", bbox_inches="tight")
        return buffer.getvalue()


def _new_axes(ax: Axes | None, figsize: tuple[float, float] = (5.0, 4.0)) -> tuple[Figure, Axes]:
    """The axes to draw on (a new figure's, when none is given) and its figure."""
    if ax is None:
        figure = _Figure(figsize=figsize, layout="constrained")
        return figure, figure.add_subplot()
    if not isinstance(ax, Axes):
        raise TypeError(f"ax must be a matplotlib Axes, got {_describe(ax)}")
    return _root_figure(ax), ax


def _root_figure(ax: Axes) -> Figure:
    parent: Any = ax.figure
    while isinstance(parent, SubFigure):
        parent = parent.figure
    if not isinstance(parent, Figure):
        raise TypeError("ax belongs to no figure")
    return parent


def _spaced(low: float, high: float, count: int) -> list[float]:
    return [low + (high - low) * i / (count - 1) for i in range(count)]


def _span(values: Sequence[float], margin: float) -> Limits:
    return min(values) - margin, max(values) + margin


def _class_color(k: int) -> str:
    return CLASS_COLORS[k % len(CLASS_COLORS)]


def _evaluate(
    model: Module, samples: list[list[Value]], stages: Sequence[Module] | None = None
) -> list[list[float]]:
    """Each sample's outputs in evaluation mode without a graph; modes restored after.

    `stages` (some of the model's layers, in order) are run instead of the whole model.
    """
    modes = [(module, module.training) for module in model.modules()]
    model.eval()
    try:
        with no_grad():
            outputs = samples
            for stage in stages if stages is not None else [model]:
                outputs = stage.forward_batch(outputs)
    finally:
        for module, training in modes:
            module.training = training
    return [[v.data for v in out] for out in outputs]


def _grid_samples(xs: Sequence[float], ys: Sequence[float]) -> list[list[Value]]:
    """The grid's points row by row (y outer, x inner), as a batch of samples."""
    return [[Value(x), Value(y)] for y in ys for x in xs]


def _rows(values: Sequence[float], width: int) -> list[list[float]]:
    return [list(values[i : i + width]) for i in range(0, len(values), width)]


def _scatter_classes(
    ax: Axes,
    points: Sequence[tuple[float, float]],
    labels: Sequence[int] | None,
    marker: str,
    label: str,
    size: float = 30.0,
    edge: float = 0.6,
    antialiased: bool = True,
) -> None:
    colors = ["#202020"] * len(points) if labels is None else [_class_color(k) for k in labels]
    ax.scatter(
        [p[0] for p in points], [p[1] for p in points], c=colors, marker=marker, s=size,
        edgecolors="black", linewidths=edge, label=label, zorder=3, antialiased=antialiased,
    )


# Decision boundaries ---------------------------------------------------------


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
    Training points are circles, test points triangles. `resolution` is the
    number of grid points along each axis; the plane spans the data plus
    `margin` on each side. Labels are whole numbers from 0 (a hinge loss's -1
    counts as class 0, as in `train.accuracy`).
    """
    who = "plot_decision_boundary"
    model = _module(who, model)
    points = _points(who, "X", X)
    labels = _labels(who, "y", y, len(points), "X")
    test_points: list[tuple[float, float]] = []
    test_labels: list[int] = []
    if (X_test is None) != (y_test is None):
        raise ValueError(f"{who}: give both X_test and y_test, or neither")
    if X_test is not None and y_test is not None:
        test_points = _points(who, "X_test", X_test)
        test_labels = _labels(who, "y_test", y_test, len(test_points), "X_test")
    resolution = _whole(who, "resolution", resolution, 2)
    margin = _number(who, "margin", margin)
    if margin < 0:
        raise ValueError(f"{who}: margin must not be negative, got {margin!r}")

    every = points + test_points
    xs = _spaced(*_span([p[0] for p in every], margin), resolution)
    ys = _spaced(*_span([p[1] for p in every], margin), resolution)
    outputs = _evaluate(model, _grid_samples(xs, ys))
    n_outputs = len(outputs[0])

    figure, ax = _new_axes(ax)
    if n_outputs == 1:
        logits = [out[0] for out in outputs]
        classes = [1.0 if z > 0.0 else 0.0 for z in logits]
        if probability:
            shade = [_sigmoid(z) for z in logits]
            levels = _spaced(0.0, 1.0, 11)
        else:
            shade, levels = classes, [-0.5, 0.5, 1.5]
        ax.contourf(xs, ys, _rows(shade, resolution), levels=levels, cmap=_TWO_CLASSES,
                    vmin=0.0, vmax=1.0, alpha=0.6)
        # The logit's zero line is smooth; a step output (a perceptron's 0 or 1)
        # has no negative side, so its boundary is traced on the classes.
        if min(logits) < 0.0 < max(logits):
            ax.contour(xs, ys, _rows(logits, resolution), levels=[0.0], colors="black",
                       linewidths=1.2)
        elif 0.0 < sum(classes) < len(classes):
            ax.contour(xs, ys, _rows(classes, resolution), levels=[0.5], colors="black",
                       linewidths=1.2)
    else:
        # Class k wins where its margin z_k - max(other z) is positive; filling
        # each margin above 0 gives boundaries as smooth as the outputs.
        for k in range(n_outputs):
            margins = [out[k] - max(out[:k] + out[k + 1 :]) for out in outputs]
            if max(margins) <= 0.0:
                continue
            grid = _rows(margins, resolution)
            ax.contourf(xs, ys, grid, levels=[0.0, max(margins) + 1.0],
                        colors=[_class_color(k)], alpha=0.35)
            ax.contour(xs, ys, grid, levels=[0.0], colors="black", linewidths=0.8)
    _scatter_classes(ax, points, labels, "o", "train")
    if test_points:
        _scatter_classes(ax, test_points, test_labels, "^", "test", size=40.0)
        ax.legend(loc="best", fontsize="small")
    ax.set_xlim(xs[0], xs[-1])
    ax.set_ylim(ys[0], ys[-1])
    ax.set_xlabel("x1")
    ax.set_ylabel("x2")
    if title is not None:
        ax.set_title(title)
    return figure


# Training curves ---------------------------------------------------------------


def _history(who: str, history: object) -> History:
    if not isinstance(history, History):
        raise TypeError(f"{who} needs a train.History (what fit returns), got {_describe(history)}")
    if not history.train_loss:
        raise ValueError(f"{who}: the history has no epochs to draw")
    return history


def plot_history(
    history: History, *, title: str | None = None, figsize: tuple[float, float] | None = None
) -> Figure:
    """Loss (left) and accuracy (right) per epoch, training solid and test dashed.

    A history without accuracies (a regression loss) gets the loss axes only.
    """
    history = _history("plot_history", history)
    panels = 2 if history.train_accuracy else 1
    figure = _Figure(figsize=figsize or (4.5 * panels, 3.5), layout="constrained")
    axes = figure.subplots(1, panels, squeeze=False)[0]
    series = [("loss", history.train_loss, history.test_loss)]
    if panels == 2:
        series.append(("accuracy", history.train_accuracy, history.test_accuracy))
    for ax, (name, train, test) in zip(axes, series):
        epochs = list(range(1, len(train) + 1))
        ax.plot(epochs, train, color=CLASS_COLORS[1], label=f"train {name}")
        if test:
            ax.plot(list(range(1, len(test) + 1)), test, color=CLASS_COLORS[0],
                    linestyle="--", label=f"test {name}")
        ax.set_xlabel("epoch")
        ax.set_ylabel(name)
        ax.legend(fontsize="small")
        ax.grid(alpha=0.3)
    if title is not None:
        figure.suptitle(title)
    return figure


def _layer_norms(model: Module) -> list[float]:
    """The L2 norm of each layer's parameter gradients, grouped as `History.grad_norms`."""
    groups = model.children() or [model]
    return [math.sqrt(math.fsum(p.grad * p.grad for p in m.parameters())) for m in groups]


def plot_gradient_norms(
    source: History | Module,
    *,
    log: bool = True,
    title: str | None = None,
    ax: Axes | None = None,
) -> Figure:
    """How large each layer's gradient is: the vanishing-gradient picture.

    Given a `History`, one line per layer over the epochs (from `grad_norms`);
    given a model, one bar per layer from its parameters' current `.grad`
    (call `backward` first). Layers are a model's children, as `fit` groups
    them. The y axis is logarithmic when `log` and every norm is positive (a
    zero cannot be drawn on a log axis).
    """
    who = "plot_gradient_norms"
    if isinstance(source, History):
        if not source.grad_norms:
            raise ValueError(f"{who}: the history has no epochs to draw")
        figure, ax = _new_axes(ax)
        n_layers = len(source.grad_norms[0])
        epochs = list(range(1, len(source.grad_norms) + 1))
        every: list[float] = []
        for layer in range(n_layers):
            norms = [per_epoch[layer] for per_epoch in source.grad_norms]
            every += norms
            ax.plot(epochs, norms, color=_depth_color(layer, n_layers), label=f"layer {layer + 1}")
        ax.set_xlabel("epoch")
        ax.legend(fontsize="small", ncols=2 if n_layers > 5 else 1)
    elif isinstance(source, Module):
        norms = _layer_norms(source)
        every = norms
        figure, ax = _new_axes(ax)
        positions = list(range(1, len(norms) + 1))
        ax.bar(positions, norms, color=[_depth_color(i, len(norms)) for i in range(len(norms))])
        ax.set_xticks(positions, [str(p) for p in positions])
        ax.set_xlabel("layer (input side first)")
    else:
        raise TypeError(f"{who} needs a train.History or a model, got {_describe(source)}")
    if log and all(v > 0.0 for v in every):
        ax.set_yscale("log")
    ax.set_ylabel("gradient norm ‖∂L/∂w‖")
    ax.grid(alpha=0.3)
    if title is not None:
        ax.set_title(title)
    return figure


def _depth_color(layer: int, n_layers: int) -> Any:
    """Layers coloured from dark (input side) to light (output side)."""
    return colormaps["viridis"](0.85 * layer / max(n_layers - 1, 1))


# Neuron maps -------------------------------------------------------------------


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
    model = _module(who, model)
    layers = getattr(model, "layers", None)
    if not isinstance(layers, list) or not layers:
        raise TypeError(f"{who} needs a model with layers (an MLP or Sequential), got {model!r}")
    if isinstance(layer, bool) or not isinstance(layer, int):
        raise TypeError(f"{who}: layer must be a whole number, got {_describe(layer)}")
    if not -len(layers) <= layer < len(layers):
        raise ValueError(f"{who}: layer {layer} does not exist; {model!r} has "
                         f"{len(layers)} layers (0 to {len(layers) - 1}, or negative from the end)")
    points = _points(who, "X", X) if X is not None else []
    labels = _labels(who, "y", y, len(points), "X") if y is not None else None
    resolution = _whole(who, "resolution", resolution, 2)
    margin = _number(who, "margin", margin)
    if xlim is None:
        xlim = _span([p[0] for p in points], margin) if points else (-1.5, 1.5)
    if ylim is None:
        ylim = _span([p[1] for p in points], margin) if points else (-1.5, 1.5)
    xlim, ylim = _limits(who, "xlim", xlim), _limits(who, "ylim", ylim)

    xs, ys = _spaced(*xlim, resolution), _spaced(*ylim, resolution)
    upto = layer % len(layers)
    outputs = _evaluate(model, _grid_samples(xs, ys), layers[: upto + 1])
    n_neurons = len(outputs[0])
    if max_neurons is not None:
        n_neurons = min(n_neurons, _whole(who, "max_neurons", max_neurons, 1))
    columns = min(n_neurons, ncols if ncols is not None else 4 if n_neurons <= 8 else 6)
    columns = _whole(who, "ncols", columns, 1)
    rows = -(-n_neurons // columns)
    figure = _Figure(figsize=(1.7 * columns, 1.7 * rows + 0.4), layout="constrained")
    for k in range(n_neurons):
        ax = figure.add_subplot(rows, columns, k + 1)
        values = [out[k] for out in outputs]
        scale = max(max(abs(v) for v in values), 1e-12)
        ax.imshow(_rows(values, resolution), origin="lower", extent=(*xlim, *ylim),
                  cmap=_NEURON_SHADES, vmin=-scale, vmax=scale, aspect="auto",
                  interpolation="nearest")
        if points:
            # Dots without anti-aliasing: on many small maps they make a PNG a third the size.
            _scatter_classes(ax, points, labels, "o", "data", size=4.0, edge=0.0,
                             antialiased=False)
        ax.set_xlim(*xlim)
        ax.set_ylim(*ylim)
        ax.set_xticks([])
        ax.set_yticks([])
        ax.set_title(f"neuron {k + 1}", fontsize=8)
    figure.suptitle(f"layer {upto + 1} of {len(layers)}: each neuron's output", fontsize=10)
    return figure


# Optimiser paths ---------------------------------------------------------------


@dataclass(frozen=True)
class OptimizerPath:
    """Where an optimiser went: the points it visited (the start first) and fn at each."""

    points: list[tuple[float, float]]
    values: list[float]

    @property
    def xs(self) -> list[float]:
        """The first coordinate of each point."""
        return [p[0] for p in self.points]

    @property
    def ys(self) -> list[float]:
        """The second coordinate of each point."""
        return [p[1] for p in self.points]


def optimizer_paths(
    fn: Function2D,
    optimizers: Mapping[str, OptimizerFactory],
    start: Sequence[float],
    steps: int = 100,
) -> dict[str, OptimizerPath]:
    """Minimise `fn(x, y)` from `start` with each optimiser; the path each takes.

    `fn` builds its result from the two Values it is given, e.g.
    ``lambda x, y: x**2 + 10*y**2``. `optimizers` maps a name to a factory
    that builds an optimiser over ``[x, y]``, e.g.
    ``{"momentum": lambda params: SGD(params, lr=0.01, momentum=0.9)}``.
    Each path holds ``steps + 1`` points: the start, then the point after
    each `step()`, with fn's value there.
    """
    who = "optimizer_paths"
    if not callable(fn):
        raise TypeError(f"{who}: fn must be a function of two Values, got {_describe(fn)}")
    if not isinstance(optimizers, Mapping) or not optimizers:
        raise TypeError(f"{who}: optimizers must be a non-empty dict of name -> factory, "
                        f"e.g. {{'SGD': lambda params: SGD(params, lr=0.1)}}; "
                        f"got {_describe(optimizers)}")
    x0, y0 = _point(who, "start", start)
    steps = _whole(who, "steps", steps, 1)
    paths: dict[str, OptimizerPath] = {}
    for name, factory in optimizers.items():
        if not callable(factory):
            raise TypeError(f"{who}: optimizers[{name!r}] must be a function params -> "
                            f"optimiser, got {_describe(factory)}")
        x, y = Value(x0, "x"), Value(y0, "y")
        optimizer = factory([x, y])
        if not (callable(getattr(optimizer, "step", None))
                and callable(getattr(optimizer, "zero_grad", None))):
            raise TypeError(f"{who}: optimizers[{name!r}] returned {_describe(optimizer)}, "
                            "not an optimiser with step() and zero_grad()")
        points = [(x0, y0)]
        values: list[float] = []
        for step in range(steps + 1):
            try:
                out = fn(x, y)
            except (ArithmeticError, ValueError) as error:
                raise ValueError(f"{who}: {name} at step {step}, point {points[-1]}: "
                                 f"{error}") from error
            if not isinstance(out, Value):
                raise TypeError(f"{who}: fn must return a Value built from x and y, "
                                f"got {_describe(out)}")
            values.append(out.data)
            if step == steps:
                break
            optimizer.zero_grad()
            out.backward()
            optimizer.step()
            if not (math.isfinite(x.data) and math.isfinite(y.data)):
                raise ValueError(f"{who}: {name} diverged at step {step + 1} to "
                                 f"({x.data}, {y.data}); try a smaller learning rate")
            points.append((x.data, y.data))
        paths[name] = OptimizerPath(points, values)
    return paths


def _surface(fn: Function2D, xs: Sequence[float], ys: Sequence[float]) -> list[list[float]]:
    """fn on the grid, NaN where it is undefined or overflows."""
    values: list[float] = []
    with no_grad():
        for y in ys:
            for x in xs:
                try:
                    values.append(float(fn(Value(x), Value(y)).data))
                except (ArithmeticError, ValueError):
                    values.append(math.nan)
    return _rows(values, len(xs))


def _levels(surface: list[list[float]], count: int, log: bool) -> list[float]:
    """`count` contour levels from the surface's minimum to its maximum.

    Spaced evenly, or with `log` evenly on a log scale of the height above the
    minimum, so that a steep function's flat valley floor still shows.
    """
    finite = [v for row in surface for v in row if math.isfinite(v)]
    low, high = min(finite), max(finite)
    spread = high - low
    if spread <= 0.0:
        return [low, low + 1.0]
    if not log:
        return _spaced(low, high, count)
    smallest = spread * 1e-4
    return [low + smallest * (spread / smallest) ** (i / (count - 1)) for i in range(count)]


def plot_optimizer_paths(
    fn: Function2D,
    optimizers: Mapping[str, OptimizerFactory],
    start: Sequence[float],
    steps: int = 100,
    *,
    xlim: Limits = (-2.0, 2.0),
    ylim: Limits = (-2.0, 2.0),
    resolution: int = 100,
    levels: int = 20,
    log_levels: bool = False,
    minimum: Sequence[float] | None = None,
    title: str | None = None,
    ax: Axes | None = None,
) -> Figure:
    """Filled contours of `fn(x, y)` and each optimiser's path from `start` over them.

    The paths are `optimizer_paths(fn, optimizers, start, steps)`: this
    library's Values and optimisers, step by step. The shading changes at
    `levels` heights, darker uphill, spaced evenly or, with `log_levels`,
    evenly on a log scale above the minimum (for functions as steep as Beale's).
    `minimum`, if given, is marked with a star.
    """
    who = "plot_optimizer_paths"
    paths = optimizer_paths(fn, optimizers, start, steps)
    xlim, ylim = _limits(who, "xlim", xlim), _limits(who, "ylim", ylim)
    resolution = _whole(who, "resolution", resolution, 2)
    levels = _whole(who, "levels", levels, 2)
    xs, ys = _spaced(*xlim, resolution), _spaced(*ylim, resolution)
    surface = _surface(fn, xs, ys)
    if not any(math.isfinite(v) for row in surface for v in row):
        raise ValueError(f"{who}: fn is undefined everywhere on xlim={xlim} x ylim={ylim}")

    figure, ax = _new_axes(ax, figsize=(5.5, 4.5))
    heights = _levels(surface, levels, log_levels)
    # One shade per band between levels, however unevenly the levels are spaced.
    ax.contourf(xs, ys, surface, levels=heights, cmap=_LANDSCAPE, extend="both",
                norm=BoundaryNorm(heights, _LANDSCAPE.N, extend="both"))
    for i, (name, path) in enumerate(paths.items()):
        ax.plot(path.xs, path.ys, color=f"C{i}", marker="o", markersize=2.0, linewidth=1.2,
                label=name)
    x0, y0 = _point(who, "start", start)
    ax.plot([x0], [y0], "ko", markersize=5, label="_start")
    if minimum is not None:
        mx, my = _point(who, "minimum", minimum)
        ax.plot([mx], [my], marker="*", color="gold", markeredgecolor="black", markersize=14,
                linestyle="none", label="_minimum")
    ax.set_xlim(*xlim)
    ax.set_ylim(*ylim)
    ax.set_xlabel("x")
    ax.set_ylabel("y")
    ax.legend(fontsize="small", loc="best")
    if title is not None:
        ax.set_title(title)
    return figure


def plot_optimizer_values(
    paths: Mapping[str, OptimizerPath],
    *,
    log: bool = False,
    floor: float = 0.0,
    title: str | None = None,
    ax: Axes | None = None,
) -> Figure:
    """fn's value at each step of each path (from `optimizer_paths`): the loss per step.

    With `log`, the y axis shows the distance above `floor` (fn's minimum, if
    known) on a log scale, so slow and fast convergence can be told apart;
    values at or below the floor are left out.
    """
    who = "plot_optimizer_values"
    if not isinstance(paths, Mapping) or not paths:
        raise TypeError(f"{who} needs the dict optimizer_paths returns, got {_describe(paths)}")
    for name, path in paths.items():
        if not isinstance(path, OptimizerPath):
            raise TypeError(f"{who}: paths[{name!r}] is {_describe(path)}, not an OptimizerPath")
    floor = _number(who, "floor", floor)
    figure, ax = _new_axes(ax, figsize=(5.0, 3.5))
    for i, (name, path) in enumerate(paths.items()):
        steps = list(range(len(path.values)))
        above = [v - floor if v > floor else math.nan for v in path.values]
        ax.plot(steps, above if log else path.values, color=f"C{i}", label=name)
    if log:
        ax.set_yscale("log")
        ax.set_ylabel("f − minimum" if floor else "f")
    else:
        ax.set_ylabel("f")
    ax.set_xlabel("step")
    ax.legend(fontsize="small")
    ax.grid(alpha=0.3)
    if title is not None:
        ax.set_title(title)
    return figure
