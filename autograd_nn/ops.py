"""The op table: every primitive operation, defined once.

Each `Op` carries its name, the symbol drawings show, its arity, the forward
function, the local derivatives with respect to each input, and those
derivatives as text. The engine, the step-through, the renderer and the
gradient checks all read this table; none of them restates a derivative.

Forward functions take the inputs' data; derivative functions take the
output's data first, then the inputs' data, and return one local derivative
per input. Formula text names the inputs ``a``, ``b`` (or ``x1, x2, ...`` for
an n-ary op) and the output ``out``.

Adding an operation is one `Op(...)` entry below plus its tests.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from .checks import UnknownNameError

__all__ = [
    "CONSTANT",
    "FUNCTIONS",
    "LEAF",
    "LEAKY_RELU_SLOPE",
    "OPS",
    "UNARY_FUNCTIONS",
    "Op",
    "check_overflow",
    "op_named",
]

LEAKY_RELU_SLOPE = 0.01
"""leaky_relu's negative slope when none is given (PyTorch's default)."""


@dataclass(frozen=True, slots=True)
class Op:
    """One primitive: how to compute it and how it differentiates."""

    name: str
    symbol: str
    arity: int | None  # None: any number of inputs (n-ary)
    forward: Callable[..., float]
    derivatives: Callable[..., tuple[float, ...]]
    formulas: tuple[str, ...]
    description: str = ""
    defaults: tuple[float, ...] = ()  # values of trailing inputs a caller may leave out

    def formula(self, index: int) -> str:
        """Text of d out / d input[index] (an n-ary op shares one formula)."""
        return self.formulas[min(index, len(self.formulas) - 1)]


def _num(x: float) -> str:
    return repr(float(x))


def check_overflow(op: Op, operands: Sequence[float], result: float) -> None:
    """Raise `OverflowError` if finite operands gave an infinite result.

    The engine calls this only for a result that is not finite. Python's
    ``*`` and ``+`` overflow to inf without a word, while ``math.exp`` and
    ``**`` raise: every op raises, naming op and operands, so a number too
    large for a float is never carried on silently. An infinite or NaN
    operand propagates as in PyTorch.
    """
    if math.isinf(result) and all(math.isfinite(x) for x in operands):
        if op.arity == 2:
            shown = f" {op.symbol} ".join(map(_num, operands))
        else:
            listed = ", ".join(map(_num, operands[:4])) + (", ..." if len(operands) > 4 else "")
            count = f" of {len(operands)} inputs" if len(operands) > 4 else ""
            shown = f"{op.name}{count}({listed})"
        raise OverflowError(f"{shown}: result too large for a float (overflow)")


def _div(a: float, b: float) -> float:
    if b == 0.0:
        raise ZeroDivisionError(f"div({_num(a)} / {_num(b)}): division by zero")
    return a / b


def _pow(a: float, b: float) -> float:
    if a == 0.0 and b < 0.0:
        raise ZeroDivisionError(
            f"pow({_num(a)}, {_num(b)}): zero cannot be raised to a negative power"
        )
    if a < 0.0 and not b.is_integer():
        raise ValueError(
            f"pow({_num(a)}, {_num(b)}): a negative base needs a whole-number exponent"
        )
    try:
        return float(a**b)
    except OverflowError:
        raise OverflowError(f"pow({_num(a)}, {_num(b)}): result too large") from None


def _pow_derivatives(out: float, a: float, b: float) -> tuple[float, float]:
    # d/da a**b = b * a**(b-1); d/db a**b = a**b * ln a, defined for a > 0.
    # At a == 0 PyTorch's convention gives 0 for b >= 0; below zero it is undefined.
    if a == 0.0:
        d_base = 0.0 if b > 1.0 or b == 0.0 else (1.0 if b == 1.0 else math.inf)
        return d_base, 0.0 if b >= 0.0 else math.nan
    try:
        d_base = b * a ** (b - 1.0)
    except OverflowError:  # beyond the floats: infinite, as PyTorch gives it
        odd_power_of_negative = a < 0.0 and (b - 1.0) % 2.0 == 1.0
        d_base = math.copysign(math.inf, -b if odd_power_of_negative else b) if b else 0.0
    return d_base, out * math.log(a) if a > 0.0 else math.nan


def _exp(a: float) -> float:
    try:
        return math.exp(a)
    except OverflowError:
        raise OverflowError(f"exp({_num(a)}): result too large for a float") from None


def _log(a: float) -> float:
    if a <= 0.0:
        raise ValueError(f"log({_num(a)}): log needs a positive input")
    return math.log(a)


def _sqrt(a: float) -> float:
    if a < 0.0:
        raise ValueError(f"sqrt({_num(a)}): sqrt needs a non-negative input")
    return math.sqrt(a)


def _sin(a: float) -> float:
    if math.isinf(a):
        raise ValueError(f"sin({_num(a)}): sin needs a finite input")
    return math.sin(a)


def _cos(a: float) -> float:
    if math.isinf(a):
        raise ValueError(f"cos({_num(a)}): cos needs a finite input")
    return math.cos(a)


def _sigmoid(a: float) -> float:
    if a >= 0.0:
        return 1.0 / (1.0 + math.exp(-a))
    e = math.exp(a)
    return e / (1.0 + e)


def _leaky_relu(a: float, slope: float) -> float:
    return a if a > 0.0 else slope * a


_TABLE = (
    Op("+", "+", 2, operator.add, lambda out, a, b: (1.0, 1.0), ("1", "1"), "addition"),
    Op("-", "-", 2, operator.sub, lambda out, a, b: (1.0, -1.0), ("1", "-1"), "subtraction"),
    Op("*", "*", 2, operator.mul, lambda out, a, b: (b, a), ("b", "a"), "multiplication"),
    Op(
        "/", "/", 2, _div,
        lambda out, a, b: (1.0 / b, -out / b),
        ("1/b", "-a/b^2"),
        "division",
    ),
    Op("**", "**", 2, _pow, _pow_derivatives, ("b*a^(b-1)", "a^b*log(a)"), "power"),
    Op("neg", "-", 1, lambda a: -a, lambda out, a: (-1.0,), ("-1",), "negation"),
    Op(
        "abs", "abs", 1, abs,
        lambda out, a: (1.0 if a > 0.0 else -1.0 if a < 0.0 else 0.0,),
        ("sign(a)",),
        "absolute value",
    ),
    Op("exp", "exp", 1, _exp, lambda out, a: (out,), ("exp(a)",), "exponential"),
    Op("log", "log", 1, _log, lambda out, a: (1.0 / a,), ("1/a",), "natural logarithm"),
    Op(
        "sqrt", "sqrt", 1, _sqrt,
        lambda out, a: (0.5 / out if out else math.inf,),
        ("1/(2*sqrt(a))",),
        "square root",
    ),
    Op("sin", "sin", 1, _sin, lambda out, a: (math.cos(a),), ("cos(a)",), "sine"),
    Op("cos", "cos", 1, _cos, lambda out, a: (-math.sin(a),), ("-sin(a)",), "cosine"),
    Op(
        "tanh", "tanh", 1, math.tanh,
        lambda out, a: (1.0 - out * out,),
        ("1 - tanh(a)^2",),
        "hyperbolic tangent",
    ),
    Op(
        "sigmoid", "σ", 1, _sigmoid,
        lambda out, a: (out * (1.0 - out),),
        ("σ(a)(1-σ(a))",),
        "logistic sigmoid s(a) = 1/(1+exp(-a))",
    ),
    Op(
        # Written so that NaN passes through, as in PyTorch (NaN <= 0 is False).
        "relu", "relu", 1, lambda a: 0.0 if a <= 0.0 else a,
        lambda out, a: (0.0 if a <= 0.0 else 1.0,),
        ("1 if a > 0 else 0",),
        "rectified linear unit",
    ),
    Op(
        "leaky_relu", "leaky_relu", 2, _leaky_relu,
        lambda out, a, slope: (1.0 if a > 0.0 else slope, 0.0 if a > 0.0 else a),
        ("1 if a > 0 else b", "0 if a > 0 else a"),
        "leaky ReLU with negative slope b",
        defaults=(LEAKY_RELU_SLOPE,),
    ),
    Op(
        "sum", "Σ", None, lambda *xs: sum(xs, 0.0),
        lambda out, *xs: (1.0,) * len(xs),
        ("1",),
        "sum of any number of terms",
    ),
)

OPS: dict[str, Op] = {op.name: op for op in _TABLE}
"""Every primitive by name."""

LEAF = Op("", "", 0, lambda: 0.0, lambda out: (), (), "input or parameter")
"""The pseudo-op of a leaf that gets gradients: an input or a parameter."""

CONSTANT = Op("", "", 0, lambda: 0.0, lambda out: (), (), "constant")
"""The pseudo-op of a constant: a leaf that gets no gradient, e.g. the 2 in ``x**2``."""

UNARY_FUNCTIONS: tuple[str, ...] = tuple(
    op.name for op in _TABLE if op.arity == 1 and op.name.isidentifier() and op.name != "neg"
)
"""Names of the ops that take one input and are called as functions, e.g. ``tanh``."""

FUNCTIONS: tuple[str, ...] = tuple(
    op.name for op in _TABLE if op.name.isidentifier() and op.name != "neg"
)
"""Names callable as functions, e.g. by the expression parser: ``tanh(x)``,
``leaky_relu(x, 0.2)``, ``sum(x, y, z)``."""


def op_named(name: str) -> Op:
    """The table's op called `name`; an `UnknownNameError` (a KeyError and a
    ValueError) lists the known names."""
    try:
        return OPS[name]
    except KeyError:
        raise UnknownNameError(f"no op named {name!r}; known ops: {', '.join(OPS)}") from None
