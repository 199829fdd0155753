"""The op table: every primitive operation, defined once.

Each `Op` carries its name, the symbol drawings show, its arity, the forward
function, the local derivatives with respect to each input, and those
derivatives as text. The engine, the step-through, the renderer and the
gradient checks all read this table; none of them restates a derivative.

Forward functions take the inputs' data; derivative functions take the
output's data first, then the inputs' data, and return one local derivative
per input. Formula text names the inputs ``a``, ``b`` (or ``x1, x2, ...`` for
an n-ary op, whose one shared formula calls its own input ``x_i``) and the
output ``out``.

Each entry is written once, as a *rule*: a function of a namespace of
primitives (`autograd_nn.primitives`) returning the forward and derivatives
functions. `Op.forward` and `Op.derivatives` are the rule on floats;
``autograd_nn.compiled.arrays.array_rule`` is the same rule on numpy arrays.
Adding an operation is one `Op.from_rule(...)` entry below plus its tests.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from .checks import UnknownNameError
from .primitives import FLOATS, Primitives, Refusal, Rule, number_text

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
    "overflow_message",
]

LEAKY_RELU_SLOPE = 0.01
"""leaky_relu's negative slope when none is given (PyTorch's default)."""

_OWN_INPUT = re.compile(r"\bx_i\b")


@dataclass(frozen=True, slots=True)
class Op:
    """One primitive: how to compute it and how it differentiates.

    Build a table entry with `Op.from_rule`, which writes forward and
    derivatives once for floats and arrays. An `Op` given float functions
    directly works everywhere on the scalar engine but has no array form.
    """

    name: str
    symbol: str
    arity: int | None  # None: any number of inputs (n-ary)
    forward: Callable[..., float]
    derivatives: Callable[..., tuple[float, ...]]
    formulas: tuple[str, ...]
    description: str = ""
    defaults: tuple[float, ...] = ()  # values of trailing inputs a caller may leave out
    rule: Callable[[Primitives], Rule] | None = None  # forward and derivatives, from primitives

    @classmethod
    def from_rule(
        cls,
        name: str,
        symbol: str,
        arity: int | None,
        rule: Callable[[Primitives], Rule],
        formulas: tuple[str, ...],
        description: str = "",
        defaults: tuple[float, ...] = (),
    ) -> Op:
        """The op whose forward and derivatives are `rule` on floats (`primitives.FLOATS`)."""
        forward, derivatives = rule(FLOATS)
        return cls(name, symbol, arity, forward, derivatives, formulas, description, defaults, rule)

    def formula(self, index: int) -> str:
        """Text of d out / d input[index] (an n-ary op shares one formula, in
        which ``x_i`` is written as that input, e.g. ``x2`` for index 1)."""
        text = self.formulas[min(index, len(self.formulas) - 1)]
        return _OWN_INPUT.sub(f"x{index + 1}", text) if self.arity is None else text


def overflow_message(op: Op, operands: Sequence[float], sample: int | None = None) -> str:
    """``1e+200 * 1e+200: result too large for a float (overflow)``, naming op and
    operands (the first four of an n-ary op) and, in a batch, the sample."""
    if op.arity == 2:
        shown = f" {op.symbol} ".join(map(number_text, operands))
    else:
        listed = ", ".join(map(number_text, operands[:4])) + (", ..." if len(operands) > 4 else "")
        count = f" of {len(operands)} inputs" if len(operands) > 4 else ""
        shown = f"{op.name}{count}({listed})"
    at = "" if sample is None else f" at sample {sample}"
    return f"{shown}{at}: result too large for a float (overflow)"


def check_overflow(op: Op, operands: Sequence[float], result: float) -> None:
    """Raise `OverflowError` if finite operands gave an infinite result.

    The engine calls this only for a result that is not finite. Python's
    ``*`` and ``+`` overflow to inf without a word, while ``math.exp`` and
    ``**`` raise: every op raises, naming op and operands, so a number too
    large for a float is never carried on silently. An infinite or NaN
    operand propagates as in PyTorch.
    """
    if math.isinf(result) and all(math.isfinite(x) for x in operands):
        raise OverflowError(overflow_message(op, operands))


# The rules ------------------------------------------------------------------------
# Each takes the primitives `p` and returns (forward, derivatives). Hot ops keep
# their float forward a single function: p.add is operator.add, p.tanh math.tanh.


def _division(p: Primitives) -> Rule:
    forward = p.guarded(
        p.div, "div({} / {})", [Refusal(ZeroDivisionError, lambda a, b: p.is_zero(b),
                                        "division by zero")],
    )
    return forward, lambda out, a, b: (1.0 / b, -out / b)


def _power(p: Primitives) -> Rule:
    forward = p.guarded(
        p.pow, "pow({}, {})",
        [
            Refusal(ZeroDivisionError, lambda a, b: p.is_zero(a) & (b < 0.0),
                    "zero cannot be raised to a negative power"),
            Refusal(ValueError, lambda a, b: (a < 0.0) & p.not_(p.is_whole(b)),
                    "a negative base needs a whole-number exponent"),
        ],
        overflow="result too large",
    )

    def derivatives(out: Any, a: Any, b: Any) -> tuple[Any, Any]:
        # PyTorch's formulas: d/da = b * a**(b-1), 0 where b = 0 (infinite beyond the
        # floats); d/db = a**b * ln a (nan for a < 0), 0 where a = 0 and b >= 0.
        d_base = p.where(p.is_zero(b), 0.0, b * p.pow(a, b - 1.0))
        return d_base, p.where(p.is_zero(a) & (b >= 0.0), 0.0, out * p.log(a))

    return forward, derivatives


def _finite_only(p: Primitives, name: str) -> Callable[..., Any]:
    """sin or cos, refusing an infinite input."""
    function = p.sin if name == "sin" else p.cos
    return p.guarded(function, f"{name}({{}})",
                     [Refusal(ValueError, p.is_inf, f"{name} needs a finite input")])


def _absolute(p: Primitives) -> Rule:
    return p.abs, lambda out, a: (p.where(a > 0.0, 1.0, p.where(a < 0.0, -1.0, 0.0)),)


def _square_root(p: Primitives) -> Rule:
    forward = p.guarded(p.sqrt, "sqrt({})",
                        [Refusal(ValueError, lambda a: a < 0.0, "sqrt needs a non-negative input")])
    # |out| so that sqrt(-0.0) = -0.0 also has slope +inf.
    return forward, lambda out, a: (p.div(0.5, p.abs(out)),)


def _relu(p: Primitives) -> Rule:
    # NaN passes through, with slope 1, as in PyTorch (NaN <= 0 is False).
    return p.relu, lambda out, a: (p.where(a <= 0.0, 0.0, 1.0),)


def _leaky_relu(p: Primitives) -> Rule:
    return (
        lambda a, slope: p.where(a > 0.0, a, slope * a),
        lambda out, a, slope: (p.where(a > 0.0, 1.0, slope), p.where(a > 0.0, 0.0, a)),
    )


def _softplus(p: Primitives) -> Rule:
    # log(1 + e^a) = max(a, 0) + log1p(e^-|a|): no overflow, no loss for large |a|.
    return (lambda a: p.where(a < 0.0, 0.0, a) + p.log1p(p.exp(-p.abs(a))),
            lambda out, a: (p.sigmoid(a),))


def _clamp(p: Primitives) -> Rule:
    def forward(a: Any, lo: Any, hi: Any) -> Any:
        at_least_lo = p.where(a < lo, lo, a)
        return p.where(at_least_lo > hi, hi, at_least_lo)  # min(max(a, lo), hi), as PyTorch

    def derivatives(out: Any, a: Any, lo: Any, hi: Any) -> tuple[Any, Any, Any]:
        # Each input's slope is 1 where the output follows it (the formulas' text).
        d_a = p.where(lo <= a, p.where(a <= out, 1.0, 0.0), 0.0)
        d_lo = p.where(a < lo, p.where(lo <= out, 1.0, 0.0), 0.0)
        d_hi = p.where(out < a, 1.0, p.where(out < lo, 1.0, 0.0))
        return d_a, d_lo, d_hi

    return forward, derivatives


def _logsumexp(p: Primitives) -> Rule:
    def forward(*xs: Any) -> Any:
        top = p.max_of(*xs)
        shift = p.where(p.is_finite(top), top, 0.0)  # the max shift keeps exp <= 1
        return shift + p.log(p.sum_of(*[p.exp(x - shift) for x in xs]))

    return forward, lambda out, *xs: tuple(p.exp(x - out) for x in xs)


_TABLE = (
    Op.from_rule("+", "+", 2, lambda p: (p.add, lambda out, a, b: (1.0, 1.0)), ("1", "1"),
                 "addition"),
    Op.from_rule("-", "-", 2, lambda p: (p.sub, lambda out, a, b: (1.0, -1.0)), ("1", "-1"),
                 "subtraction"),
    Op.from_rule("*", "*", 2, lambda p: (p.mul, lambda out, a, b: (b, a)), ("b", "a"),
                 "multiplication"),
    Op.from_rule("/", "/", 2, _division, ("1/b", "-a/b^2"), "division"),
    Op.from_rule("**", "**", 2, _power, ("b*a^(b-1)", "a^b*log(a)"), "power"),
    Op.from_rule("neg", "-", 1, lambda p: (p.neg, lambda out, a: (-1.0,)), ("-1",), "negation"),
    Op.from_rule("abs", "abs", 1, _absolute, ("sign(a)",), "absolute value"),
    Op.from_rule(
        "exp", "exp", 1,
        lambda p: (p.guarded(p.exp, "exp({})", overflow="result too large for a float"),
                   lambda out, a: (out,)),
        ("exp(a)",),
        "exponential",
    ),
    Op.from_rule(
        "log", "log", 1,
        lambda p: (p.guarded(p.log, "log({})", [Refusal(ValueError, lambda a: a <= 0.0,
                                                         "log needs a positive input")]),
                   lambda out, a: (1.0 / a,)),
        ("1/a",),
        "natural logarithm",
    ),
    Op.from_rule("sqrt", "sqrt", 1, _square_root, ("1/(2*sqrt(a))",), "square root"),
    Op.from_rule("sin", "sin", 1, lambda p: (_finite_only(p, "sin"), lambda out, a: (p.cos(a),)),
                 ("cos(a)",), "sine"),
    Op.from_rule("cos", "cos", 1, lambda p: (_finite_only(p, "cos"), lambda out, a: (-p.sin(a),)),
                 ("-sin(a)",), "cosine"),
    Op.from_rule("tanh", "tanh", 1, lambda p: (p.tanh, lambda out, a: (1.0 - out * out,)),
                 ("1 - tanh(a)^2",), "hyperbolic tangent"),
    Op.from_rule(
        "sigmoid", "σ", 1, lambda p: (p.sigmoid, lambda out, a: (out * (1.0 - out),)),
        ("σ(a)(1-σ(a))",),
        "logistic sigmoid s(a) = 1/(1+exp(-a))",
    ),
    Op.from_rule("relu", "relu", 1, _relu, ("1 if a > 0 else 0",), "rectified linear unit"),
    Op.from_rule(
        "leaky_relu", "leaky_relu", 2, _leaky_relu,
        ("1 if a > 0 else b", "0 if a > 0 else a"),
        "leaky ReLU with negative slope b",
        defaults=(LEAKY_RELU_SLOPE,),
    ),
    Op.from_rule(
        "sum", "Σ", None, lambda p: (p.sum_of, lambda out, *xs: (1.0,) * len(xs)),
        ("1",),
        "sum of any number of terms",
    ),
    Op.from_rule("softplus", "softplus", 1, _softplus, ("σ(a)",),
                 "softplus log(1 + exp(a)), computed without overflow"),
    Op.from_rule(
        "clamp", "clamp", 3, _clamp,
        ("1 if b <= a <= out else 0", "1 if a < b <= out else 0",
         "1 if out < a or out < b else 0"),
        "a clamped to [b, c]: min(max(a, b), c), bounds usually constants",
    ),
    Op.from_rule(
        "logsumexp", "logsumexp", None, _logsumexp,
        ("exp(x_i - out)",),
        "log of the sum of the inputs' exponentials, shifted by their maximum (no overflow)",
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
