"""Check backpropagated gradients against finite differences.

The lectures' numerical method, (f(x+h) - f(x-h)) / 2h for each input in turn,
is too slow to train with but a fine referee for the analytic gradient.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from . import checks
from .engine import Value

__all__ = ["GradcheckError", "analytic_grad", "gradcheck", "gradgradcheck", "numerical_grad"]

Function = Callable[[list[Value]], Value]


class GradcheckError(AssertionError):
    """Backpropagated and numerical gradients disagree; the message lists where."""

    def __init__(self, message: str, failures: list[tuple[Any, float, float]]) -> None:
        super().__init__(message)
        self.failures = failures
        """(input index, analytic, numeric) for each failing input; for
        `gradgradcheck`, the index is the pair (i, j) of d²f/dxᵢdxⱼ."""


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


def _gradient_at(f: Function, point: list[float]) -> list[float]:
    """The backpropagated gradient at a point (no `.grad` of the caller's is touched)."""
    from .higher import grad  # it builds on the engine, as this module does

    inputs, out = _evaluate(f, point)
    return [0.0 if g is None else g for g in grad(out, inputs, allow_unused=True)]


def gradgradcheck(
    f: Function,
    xs: Sequence[float],
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
) -> bool:
    """Second derivatives by double backward against finite differences of the gradient.

    Column j of the numerical Hessian is (∇f(x + eps·eⱼ) − ∇f(x − eps·eⱼ)) / 2eps,
    the gradient itself backpropagated, as `torch.autograd.gradgradcheck`
    checks. True when every entry passes |analytic − numeric| <= atol +
    rtol·|numeric|; otherwise `GradcheckError` lists each failing (i, j).
    """
    from .higher import hessian

    atol = checks.non_negative("atol", atol)
    rtol = checks.non_negative("rtol", rtol)
    eps = checks.positive("eps", eps)
    point = _point(xs)
    analytic = hessian(f, point)
    failures: list[tuple[Any, float, float]] = []
    for j, x in enumerate(point):
        above, below = list(point), list(point)
        above[j], below[j] = x + eps, x - eps
        column = [(a - b) / (2 * eps)
                  for a, b in zip(_gradient_at(f, above), _gradient_at(f, below))]
        failures += [((i, j), analytic[i][j], n) for i, n in enumerate(column)
                     if not abs(analytic[i][j] - n) <= atol + rtol * abs(n)]
    if failures:
        rows = "\n".join(f"  d2f/dx{i}dx{j}  {a:>14.6g} {n:>14.6g} {abs(a - n):>12.3g}"
                         for (i, j), a, n in failures)
        raise GradcheckError(
            f"gradgradcheck failed for {len(failures)} of {len(point) ** 2} second "
            f"derivative(s) at {point} (atol={atol}, rtol={rtol}, eps={eps}):\n"
            f"  {'entry':<13} {'analytic':>14} {'numeric':>14} {'error':>12}\n{rows}",
            failures,
        )
    return True
