"""Check backpropagated gradients against finite differences.

The lectures' numerical method, (f(x+h) - f(x-h)) / 2h for each input in turn,
is too slow to train with but a fine referee for the analytic gradient.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from . import checks
from .engine import Value

__all__ = ["GradcheckError", "analytic_grad", "gradcheck", "numerical_grad"]

Function = Callable[[list[Value]], Value]


class GradcheckError(AssertionError):
    """Backpropagated and numerical gradients disagree; the message lists where."""

    def __init__(self, message: str, failures: list[tuple[int, float, float]]) -> None:
        super().__init__(message)
        self.failures = failures
        """(input index, analytic, numeric) for each failing input."""


def _evaluate(f: Function, xs: Sequence[float]) -> tuple[list[Value], Value]:
    """Fresh leaves x0, x1, ... at xs, and f of them."""
    inputs = [Value(x, label=f"x{i}") for i, x in enumerate(xs)]
    out = f(inputs)
    if not isinstance(out, Value):
        raise TypeError(f"f must return a Value, got {type(out).__name__}")
    return inputs, out


def _point(xs: Sequence[float]) -> list[float]:
    """The inputs as floats, each checked to be a finite number."""
    return [checks.real(f"xs[{i}]", x) for i, x in enumerate(xs)]


def numerical_grad(f: Function, xs: Sequence[float], eps: float = 1e-6) -> list[float]:
    """Central differences (f(x + eps) - f(x - eps)) / (2 eps), one input at a time."""
    eps = checks.positive("eps", eps)
    point = _point(xs)
    grads = []
    for i, x in enumerate(point):
        shifted = list(point)
        results = []
        for step in (eps, -eps):
            shifted[i] = x + step
            try:
                results.append(_evaluate(f, shifted)[1].data)
            except (ArithmeticError, ValueError) as error:
                raise type(error)(
                    f"numerical_grad: f failed at x{i} = {x} {'+' if step > 0 else '-'} "
                    f"{eps}: {error}"
                ) from error
        grads.append((results[0] - results[1]) / (2 * eps))
    return grads


def analytic_grad(f: Function, xs: Sequence[float]) -> list[float]:
    """The backpropagated gradient of f at xs, one entry per input."""
    inputs, out = _evaluate(f, xs)
    out.backward()
    return [v.grad for v in inputs]


def gradcheck(
    f: Function,
    xs: Sequence[float],
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
) -> bool:
    """True when every input passes |analytic - numeric| <= atol + rtol*|numeric|.

    Otherwise raises `GradcheckError` with a table of each failing input.
    """
    atol = checks.non_negative("atol", atol)
    rtol = checks.non_negative("rtol", rtol)
    analytic = analytic_grad(f, xs)
    numeric = numerical_grad(f, xs, eps)
    failures = [
        (i, a, n)
        for i, (a, n) in enumerate(zip(analytic, numeric))
        if not abs(a - n) <= atol + rtol * abs(n)
    ]
    if failures:
        rows = "\n".join(
            f"  x{i:<5} {float(xs[i]):>14.6g} {a:>14.6g} {n:>14.6g} {abs(a - n):>12.3g}"
            for i, a, n in failures
        )
        raise GradcheckError(
            f"gradcheck failed for {len(failures)} of {len(analytic)} input(s) "
            f"(atol={atol}, rtol={rtol}, eps={eps}):\n"
            f"  {'input':<6} {'at':>14} {'analytic':>14} {'numeric':>14} {'error':>12}\n"
            f"{rows}",
            failures,
        )
    return True
