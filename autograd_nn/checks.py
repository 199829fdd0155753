"""The one set of argument checks: every module asks here whether an argument is right.

Each check returns the argument converted (a float, an int, a bool) or raises
a `TypeError` (wrong kind of thing) or `ValueError` (right kind, wrong value)
whose message starts with the argument's name as the caller gives it, e.g.
``"lr must be a number, got the string 'fast'"``. Callers that speak for a
function prefix that function's name to the argument's: ``"plot_history: width"``.

`describe` says what a wrong argument was in a few words, the same way in
every message; long strings are cut, so a message never echoes a huge input.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Iterable
from typing import TypeGuard

__all__ = [
    "UnknownNameError",
    "describe",
    "flag",
    "in_range",
    "is_number",
    "non_negative",
    "one_of",
    "positive",
    "real",
    "whole",
]

_QUOTE_LIMIT = 40


def describe(x: object) -> str:
    """A short description of `x` for error messages, in JSON's words."""
    if x is None:
        return "null"
    if isinstance(x, bool):
        return f"the boolean {x!r}"
    if isinstance(x, str):
        shown = x if len(x) <= _QUOTE_LIMIT else x[:_QUOTE_LIMIT] + "..."
        return f"the string {shown!r}"
    if isinstance(x, dict):
        return "an object"
    if isinstance(x, (list, tuple)):
        return f"a list of {len(x)} entries"
    if isinstance(x, numbers.Real):
        return repr(x)
    name = type(x).__name__
    return f"{'an' if name[:1].lower() in 'aeiou' else 'a'} {name}"


def is_number(x: object) -> TypeGuard[float]:
    """Whether `x` is a real number; a bool, though an int to Python, is not one here."""
    return isinstance(x, numbers.Real) and not isinstance(x, bool)


def real(name: str, x: object, *, finite: bool = True) -> float:
    """`x` as a float; a bool, a string or anything but a real number is refused.

    With `finite` (the default) infinity and NaN are refused too.
    """
    if not is_number(x):
        raise TypeError(f"{name} must be a number, got {describe(x)}")
    try:
        value = float(x)
    except OverflowError:
        raise ValueError(f"{name} must fit a float (at most about 1.8e308)") from None
    if finite and not math.isfinite(value):
        raise ValueError(f"{name} must be finite, got {value!r}")
    return value


def positive(name: str, x: object) -> float:
    """`x` as a finite float greater than 0."""
    value = real(name, x)
    if not value > 0.0:
        raise ValueError(f"{name} must be positive, got {value!r}")
    return value


def non_negative(name: str, x: object) -> float:
    """`x` as a finite float of at least 0."""
    value = real(name, x)
    if not value >= 0.0:
        raise ValueError(f"{name} must be zero or positive, got {value!r}")
    return value


def in_range(
    name: str, x: object, low: float, high: float, *, include_high: bool = True
) -> float:
    """`x` as a float in [low, high] (or [low, high) without `include_high`)."""
    value = real(name, x)
    inside = low <= value <= high if include_high else low <= value < high
    if not inside:
        closing = "]" if include_high else ")"
        raise ValueError(f"{name} must be in [{low:g}, {high:g}{closing}, got {value!r}")
    return value


def whole(name: str, x: object, *, at_least: int = 1) -> int:
    """`x` as an int of at least `at_least`; a float such as 2.0 is refused, as is a bool."""
    if isinstance(x, bool) or not isinstance(x, numbers.Integral):
        raise TypeError(f"{name} must be a whole number, got {describe(x)}")
    if x < at_least:
        raise ValueError(f"{name} must be at least {at_least}, got {x}")
    return int(x)


def flag(name: str, x: object) -> bool:
    """`x` if it is True or False; 0, 1, "no" and the like are refused."""
    if not isinstance(x, bool):
        raise TypeError(f"{name} must be True or False, got {describe(x)}")
    return x


class UnknownNameError(ValueError, KeyError):
    """A name that is not one of the known ones (an op, an activation, an example).

    It is a `ValueError` (a wrong value) and a `KeyError` (a failed look-up),
    so either ``except`` catches it; its message lists the known names.
    """

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""


def one_of(name: str, x: object, known: Iterable[str], what: str = "") -> str:
    """`x` if it is one of the `known` names; else an `UnknownNameError` listing them.

    `what` names the kind of thing in the message ("activation", "loss"); it
    defaults to `name`.
    """
    names = list(known)
    if not isinstance(x, str) or x not in names:
        raise UnknownNameError(f"unknown {what or name} {x!r}; known: {', '.join(names)}")
    return x
