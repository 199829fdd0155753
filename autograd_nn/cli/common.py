"""What every subcommand shares: the one-line error, the parser, registering a command,
holding Ctrl-C, and printing on a terminal that cannot show every symbol."""

from __future__ import annotations

import argparse
import sys
import unicodedata
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, NoReturn

from ..files import interrupts_held

if TYPE_CHECKING:
    from _typeshed import SupportsWrite

__all__ = ["ASCII_SYMBOLS", "CommandError", "OneLineParser", "Runner", "Subparsers",
           "add_command", "ascii_text", "error_line", "interrupts_held", "say"]

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

    def print_help(self, file: SupportsWrite[str] | None = None) -> None:
        """The help, on stdout through `say` (so a terminal without ∂ gets d)."""
        if file is None:
            say(self.format_help(), end="")
        else:
            super().print_help(file)


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


ASCII_SYMBOLS = {
    "∂": "d", "·": "*", "×": "x", "−": "-", "–": "-", "—": "--", "→": "->", "←": "<-",
    "Σ": "sum", "√": "sqrt", "∞": "inf", "≤": "<=", "≥": ">=", "≠": "!=", "≈": "~=",
    "…": "...", "‘": "'", "’": "'", "“": '"', "”": '"', "\u00a0": " ",
    "\u0307": "'",  # the dot of forward mode's tangents: ẋ reads x'
}
"""How `ascii_text` writes the symbols the walk-through and the op table use:
∂f/∂x reads df/dx, x · y reads x * y, Σ(a, b) reads sum(a, b). Greek letters
are spelled out (σ1 reads sigma1), superscripts follow ^ (x² reads x^2)."""


def ascii_text(text: str) -> str:
    """`text` in ASCII: `ASCII_SYMBOLS`, Greek letters by name, superscripts after ^,
    accents dropped (é reads e), fullwidth letters narrowed; "?" for anything else."""
    return "".join(char if char.isascii() else _ascii_symbol(char) for char in text)


def _ascii_symbol(char: str) -> str:
    """One non-ASCII character as ASCII (see `ascii_text`)."""
    if char in ASCII_SYMBOLS:
        return ASCII_SYMBOLS[char]
    name = unicodedata.name(char, "")
    for case, title in (("GREEK SMALL LETTER ", False), ("GREEK CAPITAL LETTER ", True)):
        if name.startswith(case):
            letter = name.removeprefix(case).split(" WITH ")[0].split()[-1].lower()
            return letter.title() if title else letter
    plain = "".join(c for c in unicodedata.normalize("NFKD", char) if c.isascii())
    if not plain:
        return "?"
    return f"^{plain}" if name.startswith("SUPERSCRIPT ") else plain


def say(text: str = "", *, end: str = "\n", flush: bool = False) -> None:
    """Print `text` on stdout as `print` would, but never fail for want of a symbol.

    A character stdout's encoding cannot write (PYTHONIOENCODING=ascii, an old
    Windows console) is written as `ascii_text` would write it, so the walk-through
    reads df/dx = ... instead of ending in a UnicodeEncodeError.
    """
    stream = sys.stdout
    whole = text + end
    encoding = getattr(stream, "encoding", None) or "utf-8"
    try:
        whole.encode(encoding)
    except UnicodeEncodeError:
        whole = _encodable(whole, encoding)
    stream.write(whole)
    if flush:
        stream.flush()


def _encodable(text: str, encoding: str) -> str:
    """`text` with each character `encoding` cannot write replaced by its ASCII reading
    (and, failing that, by the encoding's replacement character)."""
    readable = "".join(c if _writable(c, encoding) else _ascii_symbol(c) for c in text)
    return readable.encode(encoding, errors="replace").decode(encoding)


def _writable(char: str, encoding: str) -> bool:
    """Whether `encoding` can write `char`."""
    try:
        char.encode(encoding)
    except UnicodeEncodeError:
        return False
    return True
