"""Graph utilities: reading order, node names, the op of a node, gradients without text.

The step-through, the drawings and the worked examples all walk a recorded
graph the same few ways; each way is written here once:

- `evaluation_order(root)`: the nodes in reading order (inputs first, left to
  right), the order drawings number nodes and explanations list them;
- `node_names(order)`: each node's label, or ``n<position>`` for an unlabelled one;
- `op_of(node)`: the op table's entry that made a node (read-only);
- `consumers(order)`: for each node, the nodes that take it as an input;
- `backward_pass(root)`: d root / d node for every node, each node's local
  derivatives (computed once) and each node's uses in the engine's order;
- `gradients(root)`: just the numbers, equal to what `root.backward()` sets.

Standard library only, like the engine.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from .engine import Value, topological_sort
from .ops import Op

__all__ = [
    "BackwardPass",
    "backward_pass",
    "consumers",
    "evaluation_order",
    "gradients",
    "is_constant",
    "node_names",
    "op_of",
]

Use = tuple[Value, int]
"""One use of a node: (the consumer, the node's position among its inputs)."""


def op_of(node: Value) -> Op:
    """The op table's entry for the op that made `node` (`ops.LEAF` for a leaf)."""
    return node._op


def is_constant(node: Value) -> bool:
    """Whether `node` is a constant: a leaf that gets no gradient (the 2 in ``x**2``)."""
    return not node.requires_grad


def evaluation_order(root: Value) -> list[Value]:
    """The nodes of root's graph, each after its inputs, in reading order.

    Like `topological_sort`, without recursion. Computed inputs are visited
    before leaves, each group left to right, so that `x * y + z` reads x, y,
    x*y, z, g and a weight appears next to the product that uses it.
    Positions in this list name unlabelled nodes and number drawn nodes.
    """
    order: list[Value] = []
    seen: set[Value] = set()
    stack: list[tuple[Value, bool]] = [(root, False)]
    while stack:
        node, inputs_done = stack.pop()
        if inputs_done:
            order.append(node)
            continue
        if node in seen:
            continue
        seen.add(node)
        stack.append((node, True))
        computed = [child for child in node.inputs if child.inputs]
        leaves = [child for child in node.inputs if not child.inputs]
        stack.extend((child, False) for child in reversed(computed + leaves) if child not in seen)
    return order


def node_names(order: Sequence[Value]) -> dict[Value, str]:
    """Each node's label, or `n<position>` for an unlabelled one."""
    return {node: node.label or f"n{position}" for position, node in enumerate(order)}


def consumers(order: Sequence[Value]) -> dict[Value, list[Value]]:
    """For each node of `order`, the nodes that take it as an input, in `order`'s order.

    A node used twice by one consumer (``x * x``) lists that consumer twice.
    """
    users: dict[Value, list[Value]] = {node: [] for node in order}
    for node in order:
        for child in node.inputs:
            users[child].append(node)
    return users


@dataclass(frozen=True)
class BackwardPass:
    """One backward pass over a graph, computed from the op table without touching `.grad`."""

    gradients: dict[Value, float]
    """d root / d node for every node (0 for a constant); equal to what `root.backward()` sets."""
    local: dict[Value, tuple[float, ...]]
    """For each computed node, d node / d input for each of its inputs."""
    uses: dict[Value, list[Use]]
    """For each node, (consumer, position) in the order the engine adds their terms;
    none for a constant, which receives nothing."""

    def sent(self, consumer: Value, position: int) -> float:
        """What `consumer` sends its input at `position`: upstream times local derivative."""
        return self.gradients[consumer] * self.local[consumer][position]


def backward_pass(root: Value) -> BackwardPass:
    """d root / d node for every node, each local derivative computed once, and the uses.

    Walks `topological_sort(root)` backwards and sums each gradient in the
    engine's order, so every number equals `backward()`'s bit for bit.
    """
    order = topological_sort(root)
    grads = dict.fromkeys(order, 0.0)
    grads[root] = 1.0
    local: dict[Value, tuple[float, ...]] = {}
    uses: dict[Value, list[Use]] = {node: [] for node in order}
    for node in reversed(order):
        inputs = node.inputs
        if not inputs:
            continue
        upstream = grads[node]
        derivatives = local[node] = node._op.derivatives(node.data, *[i.data for i in inputs])
        for position, (child, derivative) in enumerate(zip(inputs, derivatives)):
            if child.requires_grad:
                grads[child] += upstream * derivative
                uses[child].append((node, position))
    return BackwardPass(grads, local, uses)


def gradients(root: Value) -> dict[Value, float]:
    """d root / d node for every node of root's graph, as `root.backward()` would set them.

    Nothing is written to any `.grad`, and no text is built.
    """
    return backward_pass(root).gradients
