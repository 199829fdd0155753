"""`autograd-nn walk`: a worked example's forward pass, backward pass and one gradient step."""

from __future__ import annotations

import argparse

from ..explain.examples import EXAMPLES, example
from ..explain.render import explain
from ..viz import render_steps
from .common import Subparsers, add_command

__all__ = ["add_walk", "run_walk"]

SUMMARY = "step through a worked example: forward, backward, one gradient step"
"""The line `autograd-nn --help` shows for `walk`."""
DESCRIPTION = """\
Print a worked example's forward pass, its backward pass step by step in chain-rule
form (totals dL/dx from local derivatives ∂f/∂x), and one gradient-descent step with
the new output. Data, targets and plain numbers are constants: no step lists them.
With --out, also write one picture per step, the gradient-descent step included, and
an index.html that pages through them in a browser.
"""
"""What `autograd-nn walk --help` starts with."""


def add_walk(commands: Subparsers) -> None:
    """`walk`: the worked example, forward, backward and one gradient-descent step."""
    parser = add_command(commands, "walk", run_walk, SUMMARY, DESCRIPTION)
    parser.add_argument("example", nargs="?", default="xyz",
                        help=f"one of: {', '.join(EXAMPLES)} (default: xyz)")
    parser.add_argument("--lr", type=float, default=0.1, help="learning rate (default: 0.1)")
    parser.add_argument("--out", metavar="DIR",
                        help="write the step frames and index.html into DIR")
    parser.add_argument("--format", choices=("svg", "png"), default="svg",
                        help="frame format (default: svg)")
    parser.add_argument("--markdown", action="store_true",
                        help="print Markdown with LaTeX instead of text")


def run_walk(args: argparse.Namespace) -> int:
    """Print the walk-through; with --out, write the step frames and their page."""
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
            title=f"{chosen.name}: {chosen.title}", lr=args.lr, params=worked.params,
        )
        print(f"\nWrote the step frames and {index}: open it in a browser "
              "and page with the arrow keys.")
    return 0
