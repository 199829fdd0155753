"""`autograd-nn examples`: the worked examples `walk` and `draw` take, one a line."""

from __future__ import annotations

import argparse

from ..explain.examples import EXAMPLES
from .common import Subparsers, add_command, say

__all__ = ["add_examples", "run_examples"]

SUMMARY = "list the worked examples"
"""The line `autograd-nn --help` shows for `examples`."""
DESCRIPTION = """\
List the worked examples that walk and draw take.
"""
"""What `autograd-nn examples --help` starts with."""


def add_examples(commands: Subparsers) -> None:
    """`examples`: list the worked examples."""
    add_command(commands, "examples", run_examples, SUMMARY, DESCRIPTION)


def run_examples(args: argparse.Namespace) -> int:
    """Print each example's name, title and description."""
    width = max(len(name) for name in EXAMPLES)
    for name, entry in EXAMPLES.items():
        say(f"{name:<{width}}  {entry.title}: {entry.description}")
    return 0
