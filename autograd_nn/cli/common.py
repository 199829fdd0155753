"""What every subcommand shares: the one-line error, the parser, registering a command."""

from __future__ import annotations

import argparse
import contextlib
import signal
import threading
from collections.abc import Callable, Iterator
from typing import Any, NoReturn

__all__ = ["CommandError", "OneLineParser", "Runner", "Subparsers", "add_command", "error_line",
           "interrupts_held"]

Subparsers = Any
"""The object `add_subparsers` returns (argparse gives it no public type)."""

Runner = Callable[[argparse.Namespace], int]
"""What carries a subcommand out: the parsed arguments in, the exit code out."""


class CommandError(ValueError):
    """A mistake in what was typed; the command prints it as one line."""


class OneLineParser(argparse.ArgumentParser):
    """An ArgumentParser whose errors are one line: the message and where to look."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def add_command(
    commands: Subparsers, name: str, run: Runner, summary: str, description: str
) -> argparse.ArgumentParser:
    """Register subcommand `name`, carried out by `run`; its parser, for the arguments.

    `summary` is the line `autograd-nn --help` lists; `description` heads
    `autograd-nn NAME --help`.
    """
    parser: argparse.ArgumentParser = commands.add_parser(
        name, help=summary, description=description
    )
    parser.set_defaults(run=run)
    return parser


def error_line(error: BaseException) -> str:
    """The error's message on one line (its type's name if it has no message)."""
    return " ".join(str(error).split()) or type(error).__name__


@contextlib.contextmanager
def interrupts_held(kept: str) -> Iterator[None]:
    """Hold Ctrl-C until the block (a few renames that belong together) has run.

    A Ctrl-C that came meanwhile is raised afterwards as ``KeyboardInterrupt(kept)``,
    so the command says what was kept. Only the main thread can hold signals;
    elsewhere the block runs as it is.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    caught: list[int] = []
    previous = signal.signal(signal.SIGINT, lambda number, _frame: caught.append(number))
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
    if caught:
        raise KeyboardInterrupt(kept)
