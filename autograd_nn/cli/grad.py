"""`autograd-nn grad`: value and gradient of an expression typed on the command line."""

from __future__ import annotations

import argparse
import math
from collections.abc import Callable, Sequence

from ..engine import Value
from ..gradcheck import numerical_grad
from ..higher import jvp
from ..viz import MODES, check_drawing_path, draw_graph, save_drawing
from .common import CommandError, Subparsers, add_command, error_line, say
from .expr import check_variable, normalised_names, parse

__all__ = ["DIFFERENTIATION_MODES", "add_grad", "run_grad"]

DIFFERENTIATION_MODES = ("reverse", "forward", "numeric")
"""`grad --mode`: backpropagation, forward mode (tangents), or finite differences."""

SUMMARY = "value and gradient of an expression, e.g. grad \"x*y + z\" x=3 y=-4 z=2"
"""The line `autograd-nn --help` shows for `grad`."""
DESCRIPTION = """\
Evaluate an expression at the given point and backpropagate through it. The expression
may use numbers, the variables given as NAME=VALUE, + - * / ** and the functions of the
op table; nothing else is accepted. An expression may start with a minus sign:
grad "-x*y" x=1 y=2.
"""
"""What `autograd-nn grad --help` starts with."""


def add_grad(commands: Subparsers) -> None:
    """`grad`: value and gradient of an expression typed on the command line."""
    parser = add_command(commands, "grad", run_grad, SUMMARY, DESCRIPTION)
    parser.add_argument("expression", help='the expression, quoted, e.g. "sin(x**2 + 5)"')
    parser.add_argument("assignments", nargs="*", metavar="NAME=VALUE",
                        help="the point, e.g. x=3 y=-4")
    parser.add_argument("--check", action=argparse.BooleanOptionalAction, default=None,
                        help="compare with central finite differences (default: on; "
                        "--check makes a check that cannot be done at the point an error)")
    parser.add_argument("--mode", choices=DIFFERENTIATION_MODES, default="reverse",
                        help="how to differentiate: reverse (backpropagation, one backward "
                        "pass), forward (one forward-mode pass per variable) or numeric "
                        "(central differences, two evaluations per variable); each says "
                        "what it cost (default: reverse)")
    parser.add_argument("--draw", metavar="FILE",
                        help="draw the graph to FILE (.svg, .png, .pdf or .gv)")
    parser.add_argument("--draw-mode", choices=MODES, default="both",
                        help="what --draw shows (default: both)")


def _assignments(texts: Sequence[str]) -> dict[str, float]:
    """The point typed as NAME=VALUE words, e.g. ["x=3", "y=-4"] -> {"x": 3.0, "y": -4.0}."""
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
    normalised_names(values)  # x and ｘ are one variable to Python: refused
    return values


def _function_name(names: dict[str, float]) -> str:
    """A name for the expression's value that is none of the variables' (f, out, g, ...)."""
    taken = set(names) | set(normalised_names(names))
    candidates = ["f", "out", "g", "h", *(f"f{i}" for i in range(1, len(taken) + 2))]
    return next(name for name in candidates if name not in taken)


def run_grad(args: argparse.Namespace) -> int:
    """Print the value and gradient; 1 if the finite-difference check disagrees."""
    if args.draw:
        check_drawing_path(args.draw)
    point = _assignments(args.assignments)
    expression = parse(args.expression, point)
    leaves = {name: Value(value, name) for name, value in point.items()}
    out = expression.build(leaves)
    top = _function_name(point)
    if not out.label:
        out.label = top
    say(f"{top} = {expression.text.strip()}")
    if point:
        say("at " + ", ".join(f"{n} = {v:.10g}" for n, v in point.items()))
    say(f"value: {out.data:.10g}")
    if not point:
        return 0
    gradient, cost = _differentiate(args.mode, expression, leaves, out)
    say(f"gradient ({args.mode} mode: {cost}):")
    for name, derivative in zip(leaves, gradient):
        say(f"  d{top}/d{name} = {derivative:.10g}")
    status = 0
    if args.check is not False and args.mode != "numeric":
        status = _compare_with_finite_differences(
            expression, dict(zip(leaves, gradient)), [leaf.data for leaf in leaves.values()],
            top, required=args.check is True,
        )
    if args.draw:
        if args.mode != "reverse":
            out.backward()  # the backward drawing shows the gradients backpropagation sends
        save_drawing(draw_graph(out, args.draw_mode), args.draw)
        say(f"drew the graph to {args.draw}")
    return status


def _differentiate(
    mode: str, expression: Callable[[list[Value]], Value], leaves: dict[str, Value], out: Value
) -> tuple[list[float], str]:
    """The gradient by `mode`, and what it cost in passes over the graph."""
    n = len(leaves)
    if mode == "reverse":
        out.backward()
        return [leaf.grad for leaf in leaves.values()], "1 forward pass, 1 backward pass"
    if mode == "forward":
        point = [leaf.data for leaf in leaves.values()]
        gradient = [jvp(expression, point, [float(i == j) for j in range(n)])[1]
                    for i in range(n)]
        return gradient, (f"{n} forward pass{'es' if n != 1 else ''} on dual numbers, "
                          "one per variable")
    gradient = numerical_grad(expression, [leaf.data for leaf in leaves.values()])
    return gradient, (f"{2 * n} evaluations, two per variable "
                      "((f(x + eps) - f(x - eps)) / 2eps, eps 1e-06)")


def _compare_with_finite_differences(
    expression: Callable[[list[Value]], Value],
    gradient: dict[str, float],
    point: list[float],
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
        numeric = numerical_grad(expression, point, eps)
    except (ValueError, ArithmeticError) as error:
        if required:
            raise
        say(f"finite-difference check skipped: {error_line(error)}")
        return 0
    say(f"finite-difference check (central differences, eps {eps:g}; "
          f"ok when |analytic - numeric| <= {atol:g} + {rtol:g} * |numeric|):")
    failed = False
    for (name, analytic), estimate in zip(gradient.items(), numeric):
        ok = abs(analytic - estimate) <= atol + rtol * abs(estimate)
        failed |= not ok
        say(f"  d{top}/d{name}: analytic {analytic:.10g}, numeric {estimate:.10g}, "
              f"{'ok' if ok else 'MISMATCH'}")
    if failed:
        say("  (at a kink, such as relu or abs at 0, there is no derivative and the two differ)")
    return 1 if failed else 0
