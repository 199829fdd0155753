"""`autograd-nn train`: an MLP fitted to a toy data set; its accuracy, pictures and weights."""

from __future__ import annotations

import argparse
import io
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from .. import checks
from ..callbacks import Snapshot
from ..data import DATASETS, train_test_split
from ..files import replace_directory, write_atomically
from ..nn import ACTIVATIONS, MLP
from ..optim import OPTIMIZERS
from ..train import History, fit
from .common import CommandError, Subparsers, add_command, interrupts_held, say

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = ["TRAIN_DPI", "add_train", "run_train"]

TRAIN_DPI = 100
"""Pixels per inch of figure size in the pictures `train` writes."""


SUMMARY = "train an MLP on a toy data set and draw its decision boundary"
"""The line `autograd-nn --help` shows for `train`."""
DESCRIPTION = """\
Make a seeded 2-D data set, split it into training and test points, train a multi-layer
perceptron on it (one logit output for two classes, one output per class for more) and
print its accuracy. Writes into DIR: boundary.png (the decision boundary, training
points as circles, test points as triangles), history.png (loss and accuracy per epoch)
and model.json (the trained weights, read back with MLP.load): all three or none, and
nothing if training fails or is interrupted.
"""
"""What `autograd-nn train --help` starts with."""


def add_train(commands: Subparsers) -> None:
    """`train`: an MLP fitted to a toy data set, its accuracy, boundary and curves."""
    parser = add_command(commands, "train", run_train, SUMMARY, DESCRIPTION)
    option = parser.add_argument
    option("--data", choices=list(DATASETS), default="moons", help="the data set (default: moons)")
    option("--samples", type=int, default=200, help="number of points (default: 200)")
    option("--noise", type=float, help="noise of the data set (default: the data set's own)")
    option("--test-size", type=float, default=0.25,
           help="fraction of the points held out for testing (default: 0.25)")
    option("--hidden", default="16,16", metavar="SIZES",
           help="hidden layer sizes, comma separated (default: 16,16; '' for none, a linear model)")
    option("--activation", choices=list(ACTIVATIONS), default="relu",
           help="activation of the hidden layers (default: relu)")
    option("--optimizer", choices=list(OPTIMIZERS), default="adam",
           help="the optimiser (default: adam)")
    option("--lr", type=float, default=0.01, help="learning rate (default: 0.01)")
    option("--epochs", type=int, default=100, help="passes over the training points (default: 100)")
    option("--batch-size", type=int, default=20,
           help="training points per optimiser step (default: 20)")
    option("--seed", type=int, default=0,
           help="seed of the data, the split, the weights and the batches (default: 0)")
    option("--scalar", action="store_true",
           help="train on the scalar engine, a graph per sample (default: the compiled "
                "engine, one traced program replayed over each batch, when numpy is installed)")
    option("--animate", action="store_true",
           help="also write training.gif and training.html: the decision boundary and the "
                "loss as training went, about 20 frames")
    option("--out", metavar="DIR", required=True,
           help="directory for boundary.png, history.png and model.json, and with --animate "
                "training.gif and training.html (created if missing)")


# Checking what was typed ------------------------------------------------------------


def _layer_sizes(text: str) -> list[int]:
    """`--hidden`'s comma-separated sizes, e.g. "16,16" -> [16, 16]; "" -> []."""
    if not text.strip():
        return []
    sizes = []
    for part in text.split(","):
        try:
            size = int(part)
        except ValueError:
            raise CommandError(
                f"bad --hidden {text!r}: {part.strip()!r} is not a whole number; "
                "write the layer sizes like 16,16"
            ) from None
        if size < 1:
            raise CommandError(f"bad --hidden {text!r}: a layer needs at least 1 neuron")
        sizes.append(size)
    return sizes


def _check_training_numbers(args: argparse.Namespace) -> None:
    """Reject numbers that cannot work, before any data is made."""
    checks.whole("--samples", args.samples, at_least=4)
    if args.noise is not None:
        checks.non_negative("--noise", args.noise)
    checks.positive("--test-size", args.test_size)
    checks.in_range("--test-size", args.test_size, 0.0, 1.0, include_high=False)
    checks.positive("--lr", args.lr)
    checks.whole("--epochs", args.epochs)
    checks.whole("--batch-size", args.batch_size)


def _require_matplotlib() -> None:
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        raise CommandError(
            'train draws its pictures with matplotlib: pip install "autograd_nn[plot]"'
        ) from None


def _output_directory(text: str) -> Path:
    """--out, checked before any training: a directory, or one that can be made, writable.

    Nothing is created here (a missing directory is made when the results are
    written); a probe directory made and removed at once proves it writable.
    """
    out_dir = Path(text)
    if out_dir.exists() and not out_dir.is_dir():
        raise CommandError(f"--out {out_dir}: exists and is not a directory")
    base = out_dir
    while not base.exists() and base != base.parent:
        base = base.parent
    if not base.is_dir():
        raise CommandError(f"--out {out_dir}: {base} is not a directory")
    try:
        os.rmdir(tempfile.mkdtemp(prefix=".autograd-nn-probe-", dir=base))
    except OSError as error:
        raise CommandError(f"--out {out_dir}: cannot write in {base} ({error.strerror})") from None
    return out_dir


# Training ---------------------------------------------------------------------------


@dataclass(frozen=True)
class _Split:
    """The data set cut into training and test points."""

    X_train: list[list[float]]
    X_test: list[list[float]]
    y_train: list[int]
    y_test: list[int]
    n_classes: int


def _split_data(args: argparse.Namespace) -> _Split:
    noise = {} if args.noise is None else {"noise": args.noise}
    X, y = DATASETS[args.data](args.samples, seed=args.seed, **noise)
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=args.test_size, seed=args.seed
    )
    split = _Split(X_train, X_test, y_train, y_test, max(y) + 1)
    say(f"{args.data}: {len(X)} points in {split.n_classes} classes, {len(X_train)} for "
          f"training and {len(X_test)} for testing (seed {args.seed})")
    return split


def _accuracy_line(name: str, fraction: float, total: int) -> str:
    return f"{name} accuracy: {fraction:.1%} ({round(fraction * total)} of {total} correct)"


def _engine_line(history: History) -> str:
    """Which engine trained, and why not the compiled one (its reason's first sentence)."""
    if history.engine == "compiled":
        return "engine: compiled (one traced program replayed over each batch with numpy)"
    reason = "--scalar" if history.engine_reason == "compiled=False" else history.engine_reason
    return f"engine: scalar ({reason.split('; ')[0]})"


def _train(
    args: argparse.Namespace, model: MLP, split: _Split, snapshots: Snapshot | None
) -> History:
    """Fit the model, saying how before and how well after; `snapshots` (for
    --animate) keeps its parameters every few epochs."""
    say(f"model: {model!r}, {len(model.parameters())} parameters")
    say(f"training: {args.optimizer}, lr {args.lr:g}, {args.epochs} epochs, "
          f"batches of {args.batch_size}", flush=True)
    history = fit(
        model, split.X_train, split.y_train, X_test=split.X_test, y_test=split.y_test,
        optimizer=args.optimizer, lr=args.lr, epochs=args.epochs,
        batch_size=args.batch_size, seed=args.seed, compiled=False if args.scalar else None,
        callbacks=[] if snapshots is None else [snapshots],
    )
    say(_engine_line(history))
    say(_accuracy_line("train", history.train_accuracy[-1], len(split.X_train)))
    say(_accuracy_line("test", history.test_accuracy[-1], len(split.X_test)))
    say(f"final loss: train {history.train_loss[-1]:.4g}, test {history.test_loss[-1]:.4g}")
    return history


# Writing the results ----------------------------------------------------------------


def _png(figure: Figure) -> bytes:
    """A matplotlib figure as PNG bytes, at its own size and `TRAIN_DPI`."""
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=TRAIN_DPI)
    return buffer.getvalue()


def _run_name(args: argparse.Namespace, model: MLP) -> str:
    return f"{args.data}: MLP {'-'.join(str(n) for n in [2, *model.sizes])} {args.activation}"


def _animation(
    args: argparse.Namespace, model: MLP, split: _Split, history: History, snapshots: Snapshot
) -> dict[str, bytes]:
    """training.gif and training.html: one frame per snapshot, boundary and loss so far."""
    from ..plot import animate_training

    animation = animate_training(model, split.X_train, split.y_train, snapshots, history,
                                 split.X_test, split.y_test, title=_run_name(args, model))
    return {"training.gif": animation.gif(), "training.html": animation.page().encode("utf-8")}


def _pictures(
    args: argparse.Namespace, model: MLP, split: _Split, history: History
) -> dict[str, Figure]:
    """The decision boundary and the training curves, titled with the run's settings."""
    from ..plot import plot_decision_boundary, plot_history

    name = _run_name(args, model)
    return {
        "boundary.png": plot_decision_boundary(
            model, split.X_train, split.y_train, split.X_test, split.y_test,
            title=f"{name}, test accuracy {history.test_accuracy[-1]:.1%}",
        ),
        "history.png": plot_history(history, title=f"{name}, {args.optimizer} lr {args.lr:g}"),
    }


def _stage(staging: Path, pictures: dict[str, bytes], model: MLP) -> list[str]:
    """Write the pictures and model.json into `staging`; their names."""
    for name, data in pictures.items():
        write_atomically(staging / name, data)
    model.save(staging / "model.json")
    return [*pictures, "model.json"]


def _write_as_unit(out_dir: Path, pictures: dict[str, bytes], model: MLP) -> list[str]:
    """The files into `out_dir` all together or not at all; their names.

    A new `out_dir` is made whole by `replace_directory` (written as a
    temporary sibling, then renamed to it). In an existing one, which may hold
    the user's other files, they are written into a temporary directory inside
    it and then each renamed into place. A failure or Ctrl-C before the renames
    leaves nothing new; Ctrl-C during them is held until they are done.
    """
    names = [*pictures, "model.json"]
    kept = f"interrupted after writing all of {', '.join(names)} to {out_dir}"
    if not out_dir.exists():
        replace_directory(out_dir, lambda staging: _stage(staging, pictures, model), kept=kept)
        return names
    staging = Path(tempfile.mkdtemp(prefix=".autograd-nn-train-", dir=out_dir))
    try:
        _stage(staging, pictures, model)
        with interrupts_held(kept):
            for name in names:
                os.replace(staging / name, out_dir / name)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return names


def _write(
    out_dir: Path, pictures: dict[str, Figure], model: MLP, more: dict[str, bytes]
) -> None:
    """The pictures, `more` files and model.json into `out_dir` as one unit, and how
    to load the model."""
    images = {name: _png(figure) for name, figure in pictures.items()} | more
    names = _write_as_unit(out_dir, images, model)
    model_file = out_dir / "model.json"
    say(f"wrote {', '.join(str(out_dir / name) for name in names)}")
    say(f"load it in Python: from autograd_nn import nn; model = nn.load({str(model_file)!r})")


def run_train(args: argparse.Namespace) -> int:
    """Check, make the data, train, print the accuracy, write the pictures and weights."""
    hidden = _layer_sizes(args.hidden)
    _check_training_numbers(args)
    _require_matplotlib()
    out_dir = _output_directory(args.out)
    split = _split_data(args)
    outputs = 1 if split.n_classes == 2 else split.n_classes
    model = MLP(2, [*hidden, outputs], activation=args.activation, seed=args.seed)
    snapshots = Snapshot(every=max(1, args.epochs // 20)) if args.animate else None
    history = _train(args, model, split, snapshots)
    more = {} if snapshots is None else _animation(args, model, split, history, snapshots)
    _write(out_dir, _pictures(args, model, split, history), model, more)
    return 0
