"""The `autograd-nn` command: worked examples, gradients of typed expressions, drawings, training.

    autograd-nn walk [EXAMPLE] [--lr 0.1] [--out DIR] [--format svg|png] [--markdown]
    autograd-nn grad "EXPR" x=3 y=-4 [--draw FILE] [--no-check]
    autograd-nn examples
    autograd-nn draw EXAMPLE [--mode forward|backward|both] -o FILE
    autograd-nn train --data moons [--hidden 16,16] [--epochs 100] ... --out DIR

Each subcommand is one `add_<name>` function, listed in `SUBCOMMANDS`, that
registers its parser and sets `run` to the function carrying it out. A mistake
in what was typed ends with one line on stderr and exit code 2.
"""

from __future__ import annotations

import argparse
import io
import math
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, NoReturn

from .data import DATASETS, train_test_split
from .engine import Value
from .examples import EXAMPLES, example
from .expr import ExpressionError, check_variable, parse
from .files import write_atomically
from .gradcheck import numerical_grad
from .nn import ACTIVATIONS, MLP
from .steps import explain
from .train import OPTIMIZERS, fit
from .viz import (
    MODES,
    GraphvizNotFoundError,
    draw_graph,
    render_steps,
    save_drawing,
)

__all__ = ["SUBCOMMANDS", "CommandError", "build_parser", "main"]

Subparsers = Any
"""The object `add_subparsers` returns (argparse gives it no public type)."""


class CommandError(ValueError):
    """A mistake in what was typed; the command prints it as one line."""


class _Parser(argparse.ArgumentParser):
    """An ArgumentParser whose errors are one line: the message and where to look."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


# walk -------------------------------------------------------------------


def add_walk(commands: Subparsers) -> None:
    """`walk`: the worked example, forward, backward and one gradient-descent step."""
    parser = commands.add_parser(
        "walk",
        help="step through a worked example: forward, backward, one gradient step",
        description="Print a worked example's forward pass, its backward pass step by "
        "step in chain-rule form, and one gradient-descent step with the new output. "
        "With --out, also write one picture per step and an index.html that pages "
        "through them in a browser.",
    )
    parser.add_argument(
        "example", nargs="?", default="xyz",
        help=f"one of: {', '.join(EXAMPLES)} (default: xyz)",
    )
    parser.add_argument("--lr", type=float, default=0.1, help="learning rate (default: 0.1)")
    parser.add_argument(
        "--out", metavar="DIR", help="write the step frames and index.html into DIR"
    )
    parser.add_argument(
        "--format", choices=("svg", "png"), default="svg", help="frame format (default: svg)"
    )
    parser.add_argument(
        "--markdown", action="store_true", help="print Markdown with LaTeX instead of text"
    )
    parser.set_defaults(run=run_walk)


def run_walk(args: argparse.Namespace) -> int:
    chosen = example(args.example)
    worked = chosen()
    title = f"Worked example {chosen.name}: {chosen.title} ({chosen.description})"
    print(
        explain(
            worked.output, args.lr, params=worked.params, chains=worked.chains(),
            markdown=args.markdown, title=title,
        ),
        end="",
    )
    if args.out:
        index = render_steps(
            worked.output, args.out, args.format, model=worked.model,
            title=f"{chosen.name}: {chosen.title}",
        )
        print(f"\nWrote the step frames and {index}: open it in a browser "
              "and page with the arrow keys.")
    return 0


# grad -------------------------------------------------------------------


def add_grad(commands: Subparsers) -> None:
    """`grad`: value and gradient of an expression typed on the command line."""
    parser = commands.add_parser(
        "grad",
        help="value and gradient of an expression, e.g. grad \"x*y + z\" x=3 y=-4 z=2",
        description="Evaluate an expression at the given point and backpropagate through "
        "it. The expression may use numbers, the variables given as NAME=VALUE, "
        "+ - * / ** and the functions of the op table; nothing else is accepted. "
        "(An expression starting with '-' needs a space in front: \" -x*y\".)",
    )
    parser.add_argument("expression", help='the expression, quoted, e.g. "sin(x**2 + 5)"')
    parser.add_argument(
        "assignments", nargs="*", metavar="NAME=VALUE", help="the point, e.g. x=3 y=-4"
    )
    parser.add_argument("--check", action=argparse.BooleanOptionalAction, default=None,
                        help="compare with central finite differences (default: on; "
                        "--check makes a check that cannot be done at the point an error)")
    parser.add_argument("--draw", metavar="FILE",
                        help="draw the graph to FILE (.svg, .png, .pdf or .gv)")
    parser.add_argument("--mode", choices=MODES, default="both",
                        help="what --draw shows (default: both)")
    parser.set_defaults(run=run_grad)


def _assignments(texts: Sequence[str]) -> dict[str, float]:
    values: dict[str, float] = {}
    for text in texts:
        name, equals, number = text.partition("=")
        if not equals:
            raise CommandError(f"bad assignment {text!r}: write NAME=VALUE, e.g. x=3")
        name = check_variable(name.strip())
        try:
            value = float(number)
        except ValueError:
            raise CommandError(f"bad value in {text!r}: {number!r} is not a number") from None
        if not math.isfinite(value):
            raise CommandError(f"bad value in {text!r}: give a finite number")
        if name in values:
            raise CommandError(f"{name} is given twice")
        values[name] = value
    return values


def run_grad(args: argparse.Namespace) -> int:
    point = _assignments(args.assignments)
    expression = parse(args.expression, point)
    leaves = {name: Value(value, name) for name, value in point.items()}
    out = expression.build(leaves)
    top = "out" if "f" in point else "f"
    if not out.label:
        out.label = top
    out.backward()
    print(f"{top} = {expression.text.strip()}")
    if point:
        print("at " + ", ".join(f"{n} = {v:.10g}" for n, v in point.items()))
    print(f"value: {out.data:.10g}")
    if not point:
        return 0
    print("gradient:")
    for name, leaf in leaves.items():
        print(f"  d{top}/d{name} = {leaf.grad:.10g}")
    status = 0
    if args.check is not False:
        status = _check(expression, leaves, point, top, required=args.check is True)
    if args.draw:
        save_drawing(draw_graph(out, args.mode), args.draw)
        print(f"drew the graph to {args.draw}")
    return status


def _check(
    expression: Callable[[list[Value]], Value],
    leaves: dict[str, Value],
    point: dict[str, float],
    top: str,
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
    *,
    required: bool = False,
) -> int:
    """Print analytic against central-difference gradients; 1 if any disagree.

    A point within `eps` of the edge of a function's domain (log at 1e-7) has
    no central difference: that raises if the check was `required`, else it
    is said and skipped.
    """
    try:
        numeric = numerical_grad(expression, list(point.values()), eps)
    except (ValueError, ArithmeticError) as error:
        if required:
            raise
        print(f"finite-difference check skipped: {_one_line(error)}")
        return 0
    print(f"finite-difference check (central differences, eps {eps:g}; "
          f"ok when |analytic - numeric| <= {atol:g} + {rtol:g} * |numeric|):")
    failed = False
    for (name, leaf), estimate in zip(leaves.items(), numeric):
        ok = abs(leaf.grad - estimate) <= atol + rtol * abs(estimate)
        failed |= not ok
        print(f"  d{top}/d{name}: analytic {leaf.grad:.10g}, numeric {estimate:.10g}, "
              f"{'ok' if ok else 'MISMATCH'}")
    if failed:
        print("  (at a kink, such as relu or abs at 0, there is no derivative and the two differ)")
    return 1 if failed else 0


# examples, draw -----------------------------------------------------------


def add_examples(commands: Subparsers) -> None:
    """`examples`: list the worked examples."""
    parser = commands.add_parser(
        "examples", help="list the worked examples",
        description="List the worked examples that walk and draw take.",
    )
    parser.set_defaults(run=run_examples)


def run_examples(args: argparse.Namespace) -> int:
    width = max(len(name) for name in EXAMPLES)
    for name, entry in EXAMPLES.items():
        print(f"{name:<{width}}  {entry.title}: {entry.description}")
    return 0


def add_draw(commands: Subparsers) -> None:
    """`draw`: a worked example's graph as a picture."""
    parser = commands.add_parser(
        "draw", help="draw a worked example's graph to a file",
        description="Draw a worked example's computation graph: forward (values), "
        "backward (gradients along reversed arrows) or both. The picture format "
        "follows the file's suffix: .svg, .png, .pdf, or .gv for the DOT text.",
    )
    parser.add_argument("example", help=f"one of: {', '.join(EXAMPLES)}")
    parser.add_argument("--mode", choices=MODES, default="forward",
                        help="what to draw (default: forward)")
    parser.add_argument("-o", "--output", required=True, metavar="FILE",
                        help="the picture to write")
    parser.add_argument("--rankdir", choices=("LR", "TB", "RL", "BT"), default="LR",
                        help="layout direction (default: LR, left to right)")
    parser.set_defaults(run=run_draw)


def run_draw(args: argparse.Namespace) -> int:
    worked = example(args.example)()
    drawing = draw_graph(worked.output, args.mode, rankdir=args.rankdir, model=worked.model)
    print(f"drew {args.example} ({args.mode}) to {save_drawing(drawing, args.output)}")
    return 0


# train ------------------------------------------------------------------

TRAIN_DPI = 100
"""Pixels per inch of figure size in the pictures `train` writes."""


def add_train(commands: Subparsers) -> None:
    """`train`: an MLP fitted to a toy data set, its accuracy, boundary and curves."""
    parser = commands.add_parser(
        "train",
        help="train an MLP on a toy data set and draw its decision boundary",
        description="Make a seeded 2-D data set, split it into training and test points, "
        "train a multi-layer perceptron on it (one logit output for two classes, one "
        "output per class for more) and print its accuracy. Writes into DIR: "
        "boundary.png (the decision boundary, training points as circles, test points "
        "as triangles), history.png (loss and accuracy per epoch) and model.json (the "
        "trained weights, read back with MLP.load).",
    )
    parser.add_argument("--data", choices=list(DATASETS), default="moons",
                        help="the data set (default: moons)")
    parser.add_argument("--samples", type=int, default=200,
                        help="number of points (default: 200)")
    parser.add_argument("--noise", type=float,
                        help="noise of the data set (default: the data set's own)")
    parser.add_argument("--test-size", type=float, default=0.25,
                        help="fraction of the points held out for testing (default: 0.25)")
    parser.add_argument("--hidden", default="16,16", metavar="SIZES",
                        help="hidden layer sizes, comma separated (default: 16,16; "
                        "'' for none, a linear model)")
    parser.add_argument("--activation", choices=list(ACTIVATIONS), default="relu",
                        help="activation of the hidden layers (default: relu)")
    parser.add_argument("--optimizer", choices=list(OPTIMIZERS), default="adam",
                        help="the optimiser (default: adam)")
    parser.add_argument("--lr", type=float, default=0.01, help="learning rate (default: 0.01)")
    parser.add_argument("--epochs", type=int, default=100,
                        help="passes over the training points (default: 100)")
    parser.add_argument("--batch-size", type=int, default=20,
                        help="training points per optimiser step (default: 20)")
    parser.add_argument("--seed", type=int, default=0,
                        help="seed of the data, the split, the weights and the batches "
                        "(default: 0)")
    parser.add_argument("--out", metavar="DIR", required=True,
                        help="directory for boundary.png, history.png and model.json "
                        "(created if missing)")
    parser.set_defaults(run=run_train)


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
    if args.samples < 4:
        raise CommandError(f"--samples must be at least 4, got {args.samples}")
    if args.noise is not None and not (math.isfinite(args.noise) and args.noise >= 0):
        raise CommandError(f"--noise must be zero or a positive number, got {args.noise}")
    if not 0 < args.test_size < 1:
        raise CommandError(f"--test-size must be a fraction between 0 and 1, got {args.test_size}")
    if not (math.isfinite(args.lr) and args.lr > 0):
        raise CommandError(f"--lr must be a positive number, got {args.lr}")
    if args.epochs < 1:
        raise CommandError(f"--epochs must be at least 1, got {args.epochs}")
    if args.batch_size < 1:
        raise CommandError(f"--batch-size must be at least 1, got {args.batch_size}")


def _png(figure: Any) -> bytes:
    """A matplotlib figure as PNG bytes, at its own size and `TRAIN_DPI`."""
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=TRAIN_DPI)
    return buffer.getvalue()


def _accuracy_line(name: str, fraction: float, total: int) -> str:
    return f"{name} accuracy: {fraction:.1%} ({round(fraction * total)} of {total} correct)"


def run_train(args: argparse.Namespace) -> int:
    hidden = _layer_sizes(args.hidden)
    _check_training_numbers(args)
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        raise CommandError(
            'train draws its pictures with matplotlib: pip install "autograd_nn[plot]"'
        ) from None
    from .plot import plot_decision_boundary, plot_history

    out_dir = Path(args.out)
    if out_dir.exists() and not out_dir.is_dir():
        raise CommandError(f"--out {out_dir}: exists and is not a directory")
    out_dir.mkdir(parents=True, exist_ok=True)

    make = DATASETS[args.data]
    noise = {} if args.noise is None else {"noise": args.noise}
    X, y = make(args.samples, seed=args.seed, **noise)
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=args.test_size, seed=args.seed
    )
    n_classes = max(y) + 1
    sizes = [*hidden, 1 if n_classes == 2 else n_classes]
    model = MLP(2, sizes, activation=args.activation, seed=args.seed)
    print(f"{args.data}: {len(X)} points in {n_classes} classes, {len(X_train)} for "
          f"training and {len(X_test)} for testing (seed {args.seed})")
    print(f"model: {model!r}, {len(model.parameters())} parameters")
    print(f"training: {args.optimizer}, lr {args.lr:g}, {args.epochs} epochs, "
          f"batches of {args.batch_size}", flush=True)
    history = fit(
        model, X_train, y_train, X_test=X_test, y_test=y_test,
        optimizer=args.optimizer, lr=args.lr, epochs=args.epochs,
        batch_size=args.batch_size, seed=args.seed,
    )
    train_accuracy, test_accuracy = history.train_accuracy[-1], history.test_accuracy[-1]
    print(_accuracy_line("train", train_accuracy, len(X_train)))
    print(_accuracy_line("test", test_accuracy, len(X_test)))
    print(f"final loss: train {history.train_loss[-1]:.4g}, test {history.test_loss[-1]:.4g}")

    layers = "-".join(str(n) for n in [2, *sizes])
    pictures = {
        "boundary.png": plot_decision_boundary(
            model, X_train, y_train, X_test, y_test,
            title=f"{args.data}: MLP {layers} {args.activation}, "
            f"test accuracy {test_accuracy:.1%}",
        ),
        "history.png": plot_history(
            history, title=f"{args.data}: MLP {layers} {args.activation}, "
            f"{args.optimizer} lr {args.lr:g}",
        ),
    }
    for name, figure in pictures.items():
        write_atomically(out_dir / name, _png(figure))
    model_file = out_dir / "model.json"
    model.save(model_file)
    written = ", ".join(str(out_dir / name) for name in [*pictures, "model.json"])
    print(f"wrote {written}")
    print(f"load it in Python: from autograd_nn.nn import MLP; model = {model!r}; "
          f"model.load({str(model_file)!r})")
    return 0


SUBCOMMANDS: list[Callable[[Subparsers], None]] = [
    add_walk, add_grad, add_examples, add_draw, add_train,
]
"""Each registers one subcommand; add one function here to add a subcommand."""


def build_parser() -> argparse.ArgumentParser:
    """The `autograd-nn` argument parser with every subcommand of `SUBCOMMANDS`."""
    parser = _Parser(
        prog="autograd-nn",
        description="Backpropagation you can step through: worked examples, gradients "
        "of expressions you type, and drawings of the forward and backward pass.",
    )
    commands = parser.add_subparsers(
        dest="command", required=True, metavar="COMMAND", parser_class=_Parser
    )
    for add in SUBCOMMANDS:
        add(commands)
    return parser


def _one_line(error: BaseException) -> str:
    return " ".join(str(error).split()) or type(error).__name__


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of `autograd-nn` and `python -m autograd_nn`; returns the exit code."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as done:
        return done.code if isinstance(done.code, int) else 0 if done.code is None else 2
    try:
        code: int = args.run(args)
    except (ExpressionError, ValueError, ArithmeticError, OSError,
            GraphvizNotFoundError) as error:
        print(f"autograd-nn {args.command}: error: {_one_line(error)}", file=sys.stderr)
        return 2
    return code
