"""Forward-mode automatic differentiation on dual numbers, as ``torch.autograd.forward_ad``.

Inside `dual_level`, a Value given a tangent by `make_dual` is a dual number
(value, tangent), and so is every result made from it: each op computes its
tangent as it is made, the sum of its inputs' tangents times the op table's
local derivatives. One evaluation gives one directional derivative.

    >>> from autograd_nn import Value
    >>> from autograd_nn.forward_ad import dual_level, make_dual, unpack_dual
    >>> with dual_level():
    ...     x = make_dual(Value(3.0, "x"), 1.0)   # ẋ = 1: the direction along x
    ...     g = x * Value(-4.0, "y") + Value(2.0, "z")
    ...     unpack_dual(g)
    UnpackedDual(primal=-10.0, tangent=-4.0)

`autograd_nn.jvp` is this for a function of a list of inputs.
"""

from .engine import UnpackedDual, dual_level, make_dual, unpack_dual

__all__ = ["UnpackedDual", "dual_level", "make_dual", "unpack_dual"]
