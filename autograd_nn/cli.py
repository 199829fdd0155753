"""The `autograd-nn` command."""

from __future__ import annotations

import argparse
from collections.abc import Sequence

from .engine import Value


def _walk_xyz(lr: float) -> None:
    x, y, z = Value(3.0, "x"), Value(-4.0, "y"), Value(2.0, "z")
    f = x * y
    f.label = "f"
    g = f + z
    g.label = "g"
    print("forward:")
    print(f"  f = x * y = {x.data:g} * {y.data:g} = {f.data:g}")
    print(f"  g = f + z = {f.data:g} + {z.data:g} = {g.data:g}")
    g.backward()
    print("backward:")
    print(f"  dg/dg = {g.grad:g}")
    print(f"  dg/dz = {z.grad:g}, dg/df = {f.grad:g}")
    print(f"  dg/dx = dg/df * y = {x.grad:g}, dg/dy = dg/df * x = {y.grad:g}")
    new = [v.data - lr * v.grad for v in (x, y, z)]
    g_new = new[0] * new[1] + new[2]
    print(f"gradient-descent step (lr {lr:g}):")
    print(f"  x = {new[0]:.6g}, y = {new[1]:.6g}, z = {new[2]:.6g}; g = {g_new:.6g}")


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of `autograd-nn` and `python -m autograd_nn`."""
    parser = argparse.ArgumentParser(prog="autograd-nn", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    walk = commands.add_parser("walk", help="step through the worked example")
    walk.add_argument("--lr", type=float, default=0.1)
    args = parser.parse_args(argv)
    _walk_xyz(args.lr)
    return 0
