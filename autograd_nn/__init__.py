"""autograd_nn: backpropagation you can step through, on a scalar autodiff engine.

    >>> from autograd_nn import Value
    >>> x, y, z = Value(3.0, "x"), Value(-4.0, "y"), Value(2.0, "z")
    >>> g = x * y + z
    >>> g.backward()
    >>> g.data, x.grad, y.grad, z.grad
    (-10.0, -4.0, 3.0, 1.0)
"""

from importlib import metadata

from . import data, forward_ad, init, losses, nn, optim
from .engine import Value, is_recording, no_grad, sum_values, topological_sort
from .gradcheck import GradcheckError, gradcheck, gradgradcheck, numerical_grad
from .higher import grad, hessian, hvp, jvp
from .ops import OPS, Op

__all__ = [
    "OPS",
    "GradcheckError",
    "Op",
    "Value",
    "data",
    "forward_ad",
    "grad",
    "gradcheck",
    "gradgradcheck",
    "hessian",
    "hvp",
    "init",
    "is_recording",
    "jvp",
    "losses",
    "nn",
    "no_grad",
    "numerical_grad",
    "optim",
    "sum_values",
    "topological_sort",
]
try:  # the one place the version is written is pyproject.toml
    __version__ = metadata.version("autograd_nn")
except metadata.PackageNotFoundError:  # run from a source tree that was never installed
    __version__ = "0+unknown"
