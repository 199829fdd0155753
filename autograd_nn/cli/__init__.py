"""The `autograd-nn` command: worked examples, gradients of typed expressions, drawings, training.

    autograd-nn walk [EXAMPLE] [--lr 0.1] [--out DIR] [--format svg|png] [--markdown]
    autograd-nn grad "EXPR" x=3 y=-4 [--draw FILE] [--no-check]
    autograd-nn examples
    autograd-nn draw EXAMPLE [--mode forward|backward|both] -o FILE
    autograd-nn train --data moons [--hidden 16,16] [--epochs 100] ... --out DIR

Each subcommand is one module here with an `add_<name>` function, listed in
`SUBCOMMANDS`, that registers its parser (with `common.add_command`) and the
`run_<name>` function carrying it out. `expr` is the safe parser of what
`grad` is given. A mistake in what was typed ends with one line on stderr and
exit code 2; Ctrl-C ends with one line (what was kept, by default "interrupted;
nothing written": a command writes its files only when done) and exit code 130.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence

from .. import __version__
from ..viz import GraphvizNotFoundError, RenderError
from .common import CommandError, OneLineParser, Subparsers, error_line
from .draw import add_draw, run_draw
from .examples import add_examples, run_examples
from .expr import ExpressionError
from .grad import add_grad, run_grad
from .train import TRAIN_DPI, add_train, run_train
from .walk import add_walk, run_walk

__all__ = [
    "INTERRUPTED",
    "SUBCOMMANDS",
    "TRAIN_DPI",
    "CommandError",
    "add_draw",
    "add_examples",
    "add_grad",
    "add_train",
    "add_walk",
    "build_parser",
    "main",
    "run_draw",
    "run_examples",
    "run_grad",
    "run_train",
    "run_walk",
]

INTERRUPTED = 130
"""The exit code after Ctrl-C (128 + SIGINT, as shells report it)."""

SUBCOMMANDS: list[Callable[[Subparsers], None]] = [
    add_walk, add_grad, add_examples, add_draw, add_train,
]
"""Each registers one subcommand; add one function here to add a subcommand."""


def build_parser() -> argparse.ArgumentParser:
    """The `autograd-nn` argument parser with every subcommand of `SUBCOMMANDS`."""
    parser = OneLineParser(
        prog="autograd-nn",
        description="Backpropagation you can step through: worked examples, gradients "
        "of expressions you type, and drawings of the forward and backward pass.",
    )
    parser.add_argument("--version", action="version", version=f"autograd-nn {__version__}")
    commands = parser.add_subparsers(
        dest="command", required=True, metavar="COMMAND", parser_class=OneLineParser
    )
    for add in SUBCOMMANDS:
        add(commands)
    return parser


def _expressions_kept(argv: list[str]) -> list[str]:
    """`grad`'s arguments with an expression that starts with a minus sign ("-x*y")
    kept as the expression: argparse would take it for an option. grad has no
    one-dash option but -h, so such a word is given a leading space, which the
    expression parser ignores and argparse does not."""
    if not argv or argv[0] != "grad":
        return argv
    return [argv[0], *(f" {word}" if word.startswith("-") and not word.startswith("--")
                       and word != "-h" else word for word in argv[1:])]


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of `autograd-nn` and `python -m autograd_nn`; returns the exit code.

    With no arguments it prints the help, as a newcomer typing the bare command expects.
    """
    parser = build_parser()
    words = list(sys.argv[1:] if argv is None else argv)
    if not words:
        parser.print_help()
        return 0
    try:
        args = parser.parse_args(_expressions_kept(words))
    except SystemExit as done:
        return done.code if isinstance(done.code, int) else 0 if done.code is None else 2
    try:
        code: int = args.run(args)
    except (ExpressionError, ValueError, ArithmeticError, OSError,
            GraphvizNotFoundError, RenderError) as error:
        print(f"autograd-nn {args.command}: error: {error_line(error)}", file=sys.stderr)
        return 2
    except KeyboardInterrupt as interrupt:
        kept = error_line(interrupt) if interrupt.args else "interrupted; nothing written"
        print(f"autograd-nn {args.command}: {kept}", file=sys.stderr)
        return INTERRUPTED
    return code
