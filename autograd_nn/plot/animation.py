"""Training you can watch: the decision boundary and the loss curve, epoch by epoch.

    from autograd_nn.callbacks import Snapshot
    from autograd_nn.plot import animate_training

    snapshots = Snapshot(every=5)
    history = fit(model, X, y, X_test=X_test, y_test=y_test, epochs=100,
                  callbacks=[snapshots])
    movie = animate_training(model, X, y, snapshots, history, X_test, y_test)
    movie.save("training.gif")      # an animated GIF (Pillow)
    movie.save("training.html")     # the step-through pager: play, pause, step
    movie                           # in Jupyter: the GIF, inline

Each frame is one snapshot: the regions the model decided at that epoch, the
data on top, and the losses up to that epoch on axes fixed for the whole run,
so what moves between frames is what training changed.
"""

from __future__ import annotations

import base64
import html
import io
import math
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from matplotlib.axes import Axes
from PIL import Image

from .. import checks
from ..callbacks import Snapshot
from ..files import write_atomically
from ..nn import Module
from ..train import History
from ..viz.frames import Frame
from ..viz.page import page_html
from ._shared import CLASS_COLORS, evaluate, finish_axes, grid_samples, new_figure, plane_model
from .boundary import BoundaryData, Plane, boundary_data, data_plane, draw_boundary

__all__ = ["TrainingAnimation", "animate_training"]

_KEY = ("Each frame is the model after one more stretch of training: its decision "
        "regions (colour = class) and the loss so far.")


@dataclass(frozen=True)
class TrainingAnimation:
    """The frames of a training run as PNG pictures, one per snapshot, with their words."""

    epochs: list[int]
    """The epoch each frame shows (0: before training)."""
    frames: list[bytes]
    """Each frame as PNG bytes, all the same size."""
    captions: list[str]
    """Each frame's losses and accuracies in words."""
    title: str

    def __len__(self) -> int:
        return len(self.frames)

    def gif(self, *, fps: float = 4.0, hold_last: float = 2.0) -> bytes:
        """An animated GIF that loops, `fps` frames a second, the last held `hold_last` s."""
        fps = checks.positive("TrainingAnimation.gif: fps", fps)
        hold_last = checks.non_negative("TrainingAnimation.gif: hold_last", hold_last)
        images = [
            Image.open(io.BytesIO(png)).convert("RGB").quantize(
                colors=255, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE)
            for png in self.frames
        ]
        durations = [round(1000 / fps)] * len(images)
        durations[-1] = max(durations[-1], round(1000 * hold_last))
        buffer = io.BytesIO()
        images[0].save(buffer, format="GIF", save_all=True, append_images=images[1:],
                       duration=durations, loop=0)
        return buffer.getvalue()

    def page(self) -> str:
        """One self-contained HTML page that plays the frames (the step-through pager)."""
        frames = [
            Frame("training", f"Epoch {epoch} of {self.epochs[-1]}", caption, _svg(png), "")
            for epoch, caption, png in zip(self.epochs, self.captions, self.frames)
        ]
        return page_html(frames, self.title, key_html=html.escape(_KEY))

    def save(self, path: str | os.PathLike[str]) -> Path:
        """Write the GIF (`.gif`) or the page (`.html`) to `path` atomically; the path."""
        target = Path(path)
        suffix = target.suffix.lower()
        if suffix not in (".gif", ".html", ".htm"):
            raise ValueError(f"TrainingAnimation.save: {str(target)!r} must end in .gif or "
                             ".html (an animated GIF or a page that plays the frames)")
        write_atomically(target, self.gif() if suffix == ".gif" else self.page())
        return target

    def _repr_html_(self) -> str:
        """In Jupyter, the GIF inline."""
        data = base64.b64encode(self.gif()).decode("ascii")
        return f'<img src="data:image/gif;base64,{data}" alt="{html.escape(self.title)}">'


def _svg(png: bytes) -> str:
    """A PNG as an SVG element of its own pixel size, for the pager."""
    width, height = Image.open(io.BytesIO(png)).size
    data = base64.b64encode(png).decode("ascii")
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
            f'viewBox="0 0 {width} {height}"><image width="{width}" height="{height}" '
            f'href="data:image/png;base64,{data}"/></svg>')


def _caption(history: History, epoch: int) -> str:
    """The losses and accuracies after `epoch`, in words."""
    if epoch == 0:
        return "epoch 0: before training"
    i = epoch - 1
    words = [f"train loss {history.train_loss[i]:.4g}"]
    if history.test_loss:
        words.append(f"test loss {history.test_loss[i]:.4g}")
    if history.train_accuracy:
        words.append(f"train accuracy {history.train_accuracy[i]:.1%}")
    if history.test_accuracy:
        words.append(f"test accuracy {history.test_accuracy[i]:.1%}")
    return f"epoch {epoch}: " + ", ".join(words)


def _loss_limits(history: History) -> tuple[float, float]:
    """One vertical range for every frame: all finite losses of the run, with a margin."""
    finite = [v for v in history.train_loss + history.test_loss if math.isfinite(v)]
    low, high = (min(finite), max(finite)) if finite else (0.0, 1.0)
    pad = 0.05 * (high - low) or 0.5
    return low - pad, high + pad


def _draw_losses(ax: Axes, history: History, epoch: int, limits: tuple[float, float]) -> None:
    """The whole run's losses faint, the part up to `epoch` strong, and a line at `epoch`."""
    series = [("train", history.train_loss, "-", CLASS_COLORS[1])]
    if history.test_loss:
        series.append(("test", history.test_loss, "--", CLASS_COLORS[0]))
    for name, losses, dash, color in series:
        epochs = list(range(1, len(losses) + 1))
        ax.plot(epochs, losses, linestyle=dash, color=color, alpha=0.2)
        ax.plot(epochs[:epoch], losses[:epoch], linestyle=dash, color=color, label=f"{name} loss")
    ax.axvline(epoch, color="black", linewidth=0.8)
    ax.set_xlim(0, max(history.epochs, 1))
    ax.set_ylim(*limits)
    ax.legend(fontsize="small", loc="upper right")
    finish_axes(ax, "epoch", "loss", None, grid=True)


@dataclass(frozen=True)
class _Scene:
    """What every frame shares: the data, the grid, the history and the looks."""

    data: BoundaryData
    plane: Plane
    history: History
    loss_limits: tuple[float, float]
    probability: bool
    title: str
    dpi: float


def _frame(scene: _Scene, epoch: int, outputs: list[list[float]]) -> bytes:
    """One frame: the boundary at `epoch` (left) and the losses up to it (right), as PNG."""
    figure = new_figure((9.0, 3.8))
    boundary, losses = figure.subplots(1, 2, width_ratios=[1.1, 1.0])
    draw_boundary(boundary, scene.plane, outputs, scene.data, scene.probability)
    finish_axes(boundary, "x1", "x2", f"epoch {epoch}", grid=False)
    _draw_losses(losses, scene.history, epoch, scene.loss_limits)
    figure.suptitle(scene.title)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=scene.dpi)
    return buffer.getvalue()


def _checked_run(who: str, snapshots: object, history: object) -> tuple[Snapshot, History]:
    if not isinstance(snapshots, Snapshot):
        raise TypeError(f"{who} needs the Snapshot callback fit ran with, got "
                        f"{checks.describe(snapshots)}")
    if not isinstance(history, History):
        raise TypeError(f"{who} needs the History fit returned, got {checks.describe(history)}")
    if not snapshots.epochs:
        raise ValueError(f"{who}: the Snapshot holds no snapshots; pass it to "
                         "fit(..., callbacks=[snapshot]) first")
    if snapshots.epochs[-1] > history.epochs:
        raise ValueError(f"{who}: the snapshots reach epoch {snapshots.epochs[-1]} but the "
                         f"history has {history.epochs} epochs; give both from the same fit")
    return snapshots, history


def animate_training(
    model: Module,
    X: Sequence[Sequence[float]],
    y: Sequence[int],
    snapshots: Snapshot,
    history: History,
    X_test: Sequence[Sequence[float]] | None = None,
    y_test: Sequence[int] | None = None,
    *,
    resolution: int = 60,
    margin: float = 0.5,
    probability: bool = True,
    title: str = "Training",
    dpi: float = 80.0,
) -> TrainingAnimation:
    """One frame per snapshot of `fit`'s `Snapshot` callback: boundary and loss so far.

    The model is set to each snapshot's parameters in turn to evaluate its
    grid, and given its own parameters back at the end, whatever happens.
    `resolution`, `margin` and `probability` are `plot_decision_boundary`'s.
    """
    who = "animate_training"
    snapshots, history = _checked_run(who, snapshots, history)
    model = plane_model(who, model)
    data = boundary_data(who, X, y, X_test, y_test)
    resolution = checks.whole(f"{who}: resolution", resolution, at_least=2)
    margin = checks.non_negative(f"{who}: margin", margin)
    scene = _Scene(data, data_plane(data, resolution, margin), history, _loss_limits(history),
                   checks.flag(f"{who}: probability", probability), str(title),
                   checks.positive(f"{who}: dpi", dpi))
    samples = grid_samples(*scene.plane)
    own = model.state_dict()
    try:
        grids = []
        for state in snapshots.states:
            model.load_state_dict(state)
            grids.append(evaluate(model, samples))
    finally:
        model.load_state_dict(own)
    frames = [_frame(scene, epoch, grid) for epoch, grid in zip(snapshots.epochs, grids)]
    captions = [_caption(history, epoch) for epoch in snapshots.epochs]
    return TrainingAnimation(list(snapshots.epochs), frames, captions, scene.title)
