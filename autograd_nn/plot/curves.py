"""How training went: loss and accuracy per epoch, gradient norms per layer."""

from __future__ import annotations

from matplotlib.axes import Axes
from matplotlib.figure import Figure

from .. import checks
from ..nn import Module
from ..train import History, layer_grad_norms
from ._shared import CLASS_COLORS, depth_color, finish_axes, new_axes, new_figure

__all__ = ["plot_gradient_norms", "plot_history"]

_NORM_LABEL = "gradient norm ‖∂L/∂w‖"


def _history(who: str, history: object) -> History:
    if not isinstance(history, History):
        raise TypeError(
            f"{who} needs a train.History (what fit returns), got {checks.describe(history)}"
        )
    if not history.train_loss:
        raise ValueError(f"{who}: the history has no epochs to draw")
    return history


def _epochs(values: list[float]) -> list[int]:
    return list(range(1, len(values) + 1))


def plot_history(
    history: History, *, title: str | None = None, figsize: tuple[float, float] | None = None
) -> Figure:
    """Loss (left) and accuracy (right) per epoch, training solid and test dashed.

    A history without accuracies (a regression loss) gets the loss axes only.
    """
    history = _history("plot_history", history)
    panels = 2 if history.train_accuracy else 1
    figure = new_figure(figsize or (4.5 * panels, 3.5))
    axes = figure.subplots(1, panels, squeeze=False)[0]
    series = [("loss", history.train_loss, history.test_loss)]
    if panels == 2:
        series.append(("accuracy", history.train_accuracy, history.test_accuracy))
    for ax, (name, train, test) in zip(axes, series):
        ax.plot(_epochs(train), train, color=CLASS_COLORS[1], label=f"train {name}")
        if test:
            ax.plot(_epochs(test), test, color=CLASS_COLORS[0], linestyle="--",
                    label=f"test {name}")
        ax.legend(fontsize="small")
        finish_axes(ax, "epoch", name, None, grid=True)
    if title is not None:
        figure.suptitle(title)
    return figure


def _norm_lines(ax: Axes, history: History) -> list[float]:
    """One line per layer over the epochs; every norm drawn."""
    n_layers = len(history.grad_norms[0])
    every: list[float] = []
    for layer in range(n_layers):
        norms = [per_epoch[layer] for per_epoch in history.grad_norms]
        every += norms
        ax.plot(_epochs(norms), norms, color=depth_color(layer, n_layers),
                label=f"layer {layer + 1}")
    ax.legend(fontsize="small", ncols=2 if n_layers > 5 else 1)
    return every


def _norm_bars(ax: Axes, model: Module) -> list[float]:
    """One bar per layer from the parameters' current gradients; every norm drawn."""
    norms = layer_grad_norms(model)
    positions = _epochs(norms)
    ax.bar(positions, norms, color=[depth_color(i, len(norms)) for i in range(len(norms))])
    ax.set_xticks(positions, [str(p) for p in positions])
    return norms


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
    (call `backward` first), as `train.layer_grad_norms` computes them. Layers
    are a model's children, as `fit` groups them. The y axis is logarithmic
    when `log` and every norm is positive (a zero cannot be drawn on a log axis).
    """
    who = "plot_gradient_norms"
    if isinstance(source, History):
        if not source.grad_norms:
            raise ValueError(f"{who}: the history has no epochs to draw")
        figure, ax = new_axes(ax)
        every, xlabel = _norm_lines(ax, source), "epoch"
    elif isinstance(source, Module):
        figure, ax = new_axes(ax)
        every, xlabel = _norm_bars(ax, source), "layer (input side first)"
    else:
        raise TypeError(f"{who} needs a train.History or a model, got {checks.describe(source)}")
    if log and all(v > 0.0 for v in every):
        ax.set_yscale("log")
    finish_axes(ax, xlabel, _NORM_LABEL, title, grid=True)
    return figure
