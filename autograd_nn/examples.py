"""The worked examples' old address: re-exports `autograd_nn.explain.examples`."""

from .explain.examples import EXAMPLES, Example, Worked, example

__all__ = ["EXAMPLES", "Example", "Worked", "example"]
