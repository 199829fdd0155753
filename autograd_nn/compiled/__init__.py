"""Trace one sample's graph once and replay it over a whole batch with numpy.

The scalar engine builds a graph node by node for every sample; a training
step of a small MLP on 1,000 points makes about a million nodes. Yet every
sample runs the same operations: only the numbers differ. So:

- `trace(fn, *example)` runs `fn` once on one sample and keeps its graph as a
  `Program`, a flat list of instructions ``out = op(inputs)`` over numbered
  slots (``print(program)`` shows it as the lecture's evaluation table);
- the program is replayed over N samples at once, each slot holding an
  array of N numbers, forward and backward, with each op's one rule from the
  op table run on arrays (`arrays.array_rule`); the neurons of a layer run
  as one matrix product (`fusion.py`);
- `compile(loss_fn, model)` wraps this as a loss: called on a batch (X, y) it
  returns the mean loss and adds the gradients to the parameters' `.grad`,
  as ``loss.backward()`` would, so optimisers work unchanged.

This is what `vmap` and graph compilers do. A trace is one path through the
function, so a function that branches on a traced value cannot be traced:
`TraceError` names the file and line of the read. numpy (the ``fast``
extra: ``pip install autograd_nn[fast]``) is imported here only.
"""

from .compiling import Compiled, compile
from .program import Instruction, Program, Slot
from .tracing import TraceError, trace

__all__ = ["Compiled", "Instruction", "Program", "Slot", "TraceError", "compile", "trace"]
