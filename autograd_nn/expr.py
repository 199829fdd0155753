"""Safe parsing of expressions typed on the command line (no `eval`).

The parser lives with the command that reads it, in `autograd_nn.cli.expr`;
this module keeps the names importable where they have always been.
"""

from __future__ import annotations

from .cli.expr import MAX_DEPTH, MAX_LENGTH, Expression, ExpressionError, check_variable, parse

__all__ = ["MAX_DEPTH", "MAX_LENGTH", "Expression", "ExpressionError", "check_variable", "parse"]
