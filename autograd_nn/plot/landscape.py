"""Optimisers on a loss landscape: the paths they take over fn(x, y) and fn along them."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from matplotlib.axes import Axes
from matplotlib.colors import BoundaryNorm, LinearSegmentedColormap
from matplotlib.figure import Figure

from .. import checks
from ..engine import Value, no_grad
from ..optim import Optimizer
from ._shared import Limits, Point, evenly_spaced, finish_axes, limits, new_axes, point, rows

__all__ = ["OptimizerPath", "optimizer_paths", "plot_optimizer_paths", "plot_optimizer_values"]

Function2D = Callable[[Value, Value], Value]
OptimizerFactory = Callable[[list[Value]], Optimizer]

_LANDSCAPE = LinearSegmentedColormap.from_list("autograd_nn_landscape", ["#f2f6f9", "#9fb8cf"])


@runtime_checkable
class _Stepping(Protocol):
    """What `optimizer_paths` needs of an optimiser."""

    def step(self) -> None: ...

    def zero_grad(self) -> None: ...


@dataclass(frozen=True)
class OptimizerPath:
    """Where an optimiser went: the points it visited (the start first) and fn at each."""

    points: list[Point]
    values: list[float]

    @property
    def xs(self) -> list[float]:
        """The first coordinate of each point."""
        return [p[0] for p in self.points]

    @property
    def ys(self) -> list[float]:
        """The second coordinate of each point."""
        return [p[1] for p in self.points]


def _built_optimizer(who: str, name: str, factory: object, params: list[Value]) -> _Stepping:
    if not callable(factory):
        raise TypeError(f"{who}: optimizers[{name!r}] must be a function params -> "
                        f"optimiser, got {checks.describe(factory)}")
    optimizer = factory(params)
    if not isinstance(optimizer, _Stepping):
        raise TypeError(f"{who}: optimizers[{name!r}] returned {checks.describe(optimizer)}, "
                        "not an optimiser with step() and zero_grad()")
    return optimizer


def _value_at(who: str, fn: Function2D, name: str, step: int, x: Value, y: Value) -> Value:
    try:
        out = fn(x, y)
    except (ArithmeticError, ValueError) as error:
        raise ValueError(f"{who}: {name} at step {step}, point {(x.data, y.data)}: "
                         f"{error}") from error
    if not isinstance(out, Value):
        raise TypeError(f"{who}: fn must return a Value built from x and y, "
                        f"got {checks.describe(out)}")
    return out


def _follow(
    who: str, fn: Function2D, name: str, factory: object, start: Point, steps: int
) -> OptimizerPath:
    """`steps` steps of the optimiser `factory` builds, from `start`."""
    x, y = Value(start[0], "x"), Value(start[1], "y")
    optimizer = _built_optimizer(who, name, factory, [x, y])
    visited = [start]
    values: list[float] = []
    for step in range(steps + 1):
        out = _value_at(who, fn, name, step, x, y)
        values.append(out.data)
        if step == steps:
            break
        optimizer.zero_grad()
        out.backward()
        optimizer.step()
        if not (math.isfinite(x.data) and math.isfinite(y.data)):
            raise ValueError(f"{who}: {name} diverged at step {step + 1} to "
                             f"({x.data}, {y.data}); try a smaller learning rate")
        visited.append((x.data, y.data))
    return OptimizerPath(visited, values)


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
        raise TypeError(f"{who}: fn must be a function of two Values, got {checks.describe(fn)}")
    if not isinstance(optimizers, Mapping) or not optimizers:
        raise TypeError(f"{who}: optimizers must be a non-empty dict of name -> factory, "
                        f"e.g. {{'SGD': lambda params: SGD(params, lr=0.1)}}; "
                        f"got {checks.describe(optimizers)}")
    origin = point(who, "start", start)
    steps = checks.whole(f"{who}: steps", steps)
    return {
        name: _follow(who, fn, name, factory, origin, steps)
        for name, factory in optimizers.items()
    }


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
    return rows(values, len(xs))


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
        return evenly_spaced(low, high, count)
    smallest = spread * 1e-4
    return [low + smallest * (spread / smallest) ** (i / (count - 1)) for i in range(count)]


_PATH_MARKERS = ("o", "s", "^", "D", "v", "P", "X", "*")
_PATH_DASHES = ("-", "--", "-.", ":")


def _path_style(i: int, count: int) -> tuple[str, str, float]:
    """Marker, dash and relative width of the i-th path, so overlapping paths stay apart.

    Optimisers often share a stretch of path (RMSprop and Adam both take the
    sign of the gradient at first); the earlier a path is drawn, the wider
    its line and larger its markers, so a later one on top leaves it visible.
    """
    wider = 1.0 + 0.5 * (count - 1 - i) / max(count - 1, 1)
    return _PATH_MARKERS[i % len(_PATH_MARKERS)], _PATH_DASHES[i % len(_PATH_DASHES)], wider


def _mark_start_and_minimum(
    ax: Axes, who: str, start: Sequence[float], minimum: Sequence[float] | None
) -> None:
    x0, y0 = point(who, "start", start)
    ax.plot([x0], [y0], "ko", markersize=5, label="_start")
    if minimum is not None:
        mx, my = point(who, "minimum", minimum)
        ax.plot([mx], [my], marker="*", color="gold", markeredgecolor="black", markersize=14,
                linestyle="none", label="_minimum")


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
    xlim, ylim = limits(who, "xlim", xlim), limits(who, "ylim", ylim)
    resolution = checks.whole(f"{who}: resolution", resolution, at_least=2)
    levels = checks.whole(f"{who}: levels", levels, at_least=2)
    xs, ys = evenly_spaced(*xlim, resolution), evenly_spaced(*ylim, resolution)
    surface = _surface(fn, xs, ys)
    if not any(math.isfinite(v) for row in surface for v in row):
        raise ValueError(f"{who}: fn is undefined everywhere on xlim={xlim} x ylim={ylim}")

    figure, ax = new_axes(ax, figsize=(5.5, 4.5))
    heights = _levels(surface, levels, log_levels)
    # One shade per band between levels, however unevenly the levels are spaced.
    ax.contourf(xs, ys, surface, levels=heights, cmap=_LANDSCAPE, extend="both",
                norm=BoundaryNorm(heights, _LANDSCAPE.N, extend="both"))
    for i, (name, path) in enumerate(paths.items()):
        marker, dash, width = _path_style(i, len(paths))
        ax.plot(path.xs, path.ys, color=f"C{i % 10}", marker=marker, linestyle=dash,
                linewidth=1.2 * width, markersize=3.0 * width, label=name)
    _mark_start_and_minimum(ax, who, start, minimum)
    ax.set_xlim(*xlim)
    ax.set_ylim(*ylim)
    ax.legend(fontsize="small", loc="best")
    finish_axes(ax, "x", "y", title, grid=False)
    return figure


def _paths(who: str, paths: object) -> Mapping[str, OptimizerPath]:
    if not isinstance(paths, Mapping) or not paths:
        raise TypeError(
            f"{who} needs the dict optimizer_paths returns, got {checks.describe(paths)}"
        )
    for name, path in paths.items():
        if not isinstance(path, OptimizerPath):
            raise TypeError(
                f"{who}: paths[{name!r}] is {checks.describe(path)}, not an OptimizerPath"
            )
    return paths


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
    paths = _paths(who, paths)
    floor = checks.real(f"{who}: floor", floor)
    figure, ax = new_axes(ax, figsize=(5.0, 3.5))
    for i, (name, path) in enumerate(paths.items()):
        steps = list(range(len(path.values)))
        above = [v - floor if v > floor else math.nan for v in path.values]
        ax.plot(steps, above if log else path.values, color=f"C{i}", label=name)
    if log:
        ax.set_yscale("log")
    ax.legend(fontsize="small")
    finish_axes(ax, "step", "f − minimum" if log and floor else "f", title, grid=True)
    return figure
