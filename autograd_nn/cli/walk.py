"""`autograd-nn walk`: a worked example's forward pass, backward pass and one gradient step."""

from __future__ import annotations

import argparse

from ..explain.examples import EXAMPLES, example
from ..explain.render import explain
from ..explain.tangents import explain_forward_mode
from ..viz import render_steps
from ..viz.frames import check_frames_directory
from .common import CommandError, Subparsers, add_command, say

__all__ = ["add_walk", "run_walk"]

SUMMARY = "step through a worked example: forward, backward, one gradient step"
"""The line `autograd-nn --help` shows for `walk`."""
DESCRIPTION = """\
Print a worked example's forward pass, its backward pass step by step in chain-rule
form (totals dL/dx from local derivatives ∂f/∂x), and one gradient-descent step with
the new output. Data, targets and plain numbers are constants: no step lists them.
With --out, also write one picture per step, the gradient-descent step included, and
an index.html that pages through them in a browser. DIR is replaced as a whole (no
frame of an earlier run is left; an interrupted run leaves it as it was); a directory
that holds anything but frames walk wrote is refused unless --force is given, which
deletes everything in it.
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
    parser.add_argument("--force", action="store_true",
                        help="with --out: replace DIR even if it holds files walk did not "
                        "write (they are deleted)")
    parser.add_argument("--markdown", action="store_true",
                        help="print Markdown with LaTeX instead of text")
    parser.add_argument("--mode", choices=("reverse", "forward-ad"), default="reverse",
                        help="reverse: the backward pass, as the lectures do it (default); "
                        "forward-ad: forward mode instead, one pass per input carrying "
                        "each node's tangent (text only)")


def run_walk(args: argparse.Namespace) -> int:
    """Print the walk-through; with --out, write the step frames and their page.

    --out is checked before anything is printed; the text is flushed before the
    frames are drawn, so it shows while they render.
    """
    chosen = example(args.example)
    if args.mode == "forward-ad":
        if args.out or args.markdown:
            raise CommandError("--mode forward-ad prints text only: leave out --out and "
                               "--markdown")
        worked = chosen()
        title = f"Worked example {chosen.name}: {chosen.title} ({chosen.description})"
        say(explain_forward_mode(worked.output, worked.params, title), end="")
        return 0
    if args.out:
        check_frames_directory(args.out, overwrite=args.force, remedy="add --force")
    worked = chosen()
    title = f"Worked example {chosen.name}: {chosen.title} ({chosen.description})"
    text = explain(
        worked.output, args.lr, params=worked.params, chains=worked.chains(),
        markdown=args.markdown, title=title,
    )
    say(text, end="", flush=True)
    if args.out:
        index = render_steps(
            worked.output, args.out, args.format, model=worked.model,
            title=f"{chosen.name}: {chosen.title}", lr=args.lr, params=worked.params,
            overwrite=args.force,
        )
        say(f"\nWrote the step frames and {index}: open it in a browser "
            "and page with the arrow keys.")
    return 0
