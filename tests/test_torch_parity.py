"""Float64 parity with PyTorch on random expressions (skipped without torch)."""

import math

import pytest
from hypothesis import given

from autograd_nn import Value
from autograd_nn.testing import expressions

torch = pytest.importorskip("torch")


def _torch_primitives():
    F = torch.nn.functional
    return {
        "+": torch.add, "-": torch.sub, "*": torch.mul, "/": torch.div, "**": torch.pow,
        "neg": torch.neg, "abs": torch.abs, "exp": torch.exp, "log": torch.log,
        "sqrt": torch.sqrt, "sin": torch.sin, "cos": torch.cos, "tanh": torch.tanh,
        "sigmoid": torch.sigmoid, "relu": torch.relu,
        "leaky_relu": lambda a, slope: F.leaky_relu(a, float(slope)),
        "sum": lambda *xs: torch.stack(xs).sum(),
        "softplus": F.softplus,
        "clamp": lambda a, lo, hi: torch.clamp(a, min=lo, max=hi),
        "logsumexp": lambda *xs: torch.logsumexp(torch.stack(xs), 0),
        "const": lambda c: torch.tensor(c, dtype=torch.float64),
    }


PRIMITIVES = _torch_primitives()


def _close(a, b):
    return math.isclose(a, b, rel_tol=1e-10, abs_tol=1e-12)


@given(expressions(n_inputs=3))
def test_values_and_gradients_equal_pytorch_float64(case):
    f, xs = case
    ours = [Value(x) for x in xs]
    out = f(ours)
    out.backward()
    theirs = [torch.tensor(x, dtype=torch.float64, requires_grad=True) for x in xs]
    reference = f.evaluate(theirs, PRIMITIVES)
    if reference.requires_grad:
        reference.backward()
    assert _close(out.data, reference.item())
    for mine, tensor in zip(ours, theirs):
        expected = 0.0 if tensor.grad is None else tensor.grad.item()
        assert _close(mine.grad, expected), (mine.grad, expected, str(f))


def test_worked_example_against_pytorch():
    x, y, z = (torch.tensor(v, dtype=torch.float64, requires_grad=True) for v in (3.0, -4.0, 2.0))
    g = x * y + z
    g.backward()
    assert (g.item(), x.grad.item(), y.grad.item(), z.grad.item()) == (-10.0, -4.0, 3.0, 1.0)
