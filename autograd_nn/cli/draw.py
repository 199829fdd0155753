"""`autograd-nn draw`: a worked example's computation graph as a picture."""

from __future__ import annotations

import argparse

from ..explain.examples import EXAMPLES, example
from ..viz import MODES, check_drawing_path, draw_graph, save_drawing
from .common import Subparsers, add_command, say

__all__ = ["add_draw", "run_draw"]

SUMMARY = "draw a worked example's graph to a file"
"""The line `autograd-nn --help` shows for `draw`."""
DESCRIPTION = """\
Draw a worked example's computation graph: forward (values), backward (gradients along
reversed arrows) or both. The picture format follows the file's suffix: .svg, .png,
.pdf, or .gv for the DOT text.
"""
"""What `autograd-nn draw --help` starts with."""


def add_draw(commands: Subparsers) -> None:
    """`draw`: a worked example's graph as a picture."""
    parser = add_command(commands, "draw", run_draw, SUMMARY, DESCRIPTION)
    parser.add_argument("example", help=f"one of: {', '.join(EXAMPLES)}")
    parser.add_argument("--mode", choices=MODES, default="forward",
                        help="what to draw (default: forward)")
    parser.add_argument("-o", "--output", required=True, metavar="FILE",
                        help="the picture to write")
    parser.add_argument("--rankdir", choices=("LR", "TB", "RL", "BT"), default="LR",
                        help="layout direction (default: LR, left to right)")


def run_draw(args: argparse.Namespace) -> int:
    """Draw the example and say where the picture went."""
    chosen = example(args.example)
    check_drawing_path(args.output)
    worked = chosen()
    drawing = draw_graph(worked.output, args.mode, rankdir=args.rankdir, model=worked.model)
    say(f"drew {args.example} ({args.mode}) to {save_drawing(drawing, args.output)}")
    return 0
