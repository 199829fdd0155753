"""What the benchmark measures, written once for each engine on the same data.

The training step is micrograd's own moons demo: an MLP(2, [16, 16, 1]) (relu
hidden layers, linear output) scores 100 moons points, the loss is the mean
max-margin loss relu(1 - y*score) plus 1e-4 times the sum of squared
parameters, then backward and a plain SGD update. Both models start from the
same weights, so the two engines compute the same numbers step after step and
the benchmark checks that they do.
"""

from __future__ import annotations

import gc
import random
import time
import tracemalloc
from collections.abc import Callable
from typing import Any, cast

from micrograd.engine import Value as MicroValue
from micrograd.nn import MLP as MicroMLP

from autograd_nn import Value, no_grad, sum_values, topological_sort
from autograd_nn.data import make_moons
from autograd_nn.nn import MLP

SIZES = [16, 16, 1]
N_SAMPLES = 100
LEARNING_RATE = 0.05
L2 = 1e-4

Points = list[list[float]]


def moons(n_samples: int = N_SAMPLES, seed: int = 0) -> tuple[Points, list[float]]:
    """The moons points, generated once for both engines; labels -1 and +1 as in the demo."""
    X, y = make_moons(n_samples, noise=0.1, seed=seed)
    return X, [2.0 * label - 1.0 for label in y]


def twin_models(seed: int = 1337) -> tuple[MLP, Any]:
    """micrograd's MLP seeded as its demo seeds it, and ours holding the same weights."""
    random.seed(seed)  # micrograd draws its weights from the global generator
    theirs = MicroMLP(2, SIZES)
    ours = MLP(2, SIZES, activation="relu", output_activation="linear", seed=seed)
    for mine, its in zip(ours.parameters(), theirs.parameters(), strict=True):
        mine.data = float(its.data)
    return ours, theirs


# One training step ------------------------------------------------------------


def our_loss(model: MLP, X: Points, Y: list[float]) -> Value:
    """The step's forward pass and loss with autograd_nn: the graph backward walks."""
    scores = [cast(Value, model(x)) for x in X]
    losses = [(1 + -y * score).relu() for y, score in zip(Y, scores)]
    data_loss = sum_values(losses) * (1.0 / len(losses))
    reg_loss = L2 * sum_values([p * p for p in model.parameters()])
    return data_loss + reg_loss


def our_step(model: MLP, X: Points, Y: list[float]) -> float:
    """Forward, loss, backward and SGD update with autograd_nn; returns the loss."""
    params = model.parameters()
    total = our_loss(model, X, Y)
    model.zero_grad()
    total.backward()
    for p in params:
        p.data -= LEARNING_RATE * p.grad
    return total.data


def micrograd_loss(model: Any, X: Points, Y: list[float]) -> Any:
    """The same forward pass and loss with micrograd, as its demo notebook writes it."""
    inputs = [list(map(MicroValue, row)) for row in X]
    scores = list(map(model, inputs))
    losses = [(1 + -yi * scorei).relu() for yi, scorei in zip(Y, scores)]
    data_loss = sum(losses) * (1.0 / len(losses))
    reg_loss = L2 * sum(p * p for p in model.parameters())
    return data_loss + reg_loss


def micrograd_step(model: Any, X: Points, Y: list[float]) -> float:
    """The same step with micrograd, written as its demo notebook writes it."""
    params = model.parameters()
    total = micrograd_loss(model, X, Y)
    model.zero_grad()
    total.backward()
    for p in params:
        p.data -= LEARNING_RATE * p.grad
    return float(total.data)


def torch_step(model: MLP, X: Points, Y: list[float]) -> Callable[[], float] | None:
    """The same step with PyTorch tensors in float64, or None without PyTorch."""
    try:
        import torch
    except ImportError:
        return None
    torch.set_num_threads(1)  # tiny tensors: threads only add noise on a busy machine
    net = model.to_torch()
    inputs = torch.tensor(X, dtype=torch.float64)
    targets = torch.tensor(Y, dtype=torch.float64)
    optimiser = torch.optim.SGD(net.parameters(), lr=LEARNING_RATE)

    def step() -> float:
        scores = net(inputs).squeeze(1)
        data_loss = torch.relu(1 - targets * scores).mean()
        total = data_loss + L2 * sum((p * p).sum() for p in net.parameters())
        optimiser.zero_grad()
        total.backward()
        optimiser.step()
        return float(total.item())

    return step


def cyclic_garbage_after_a_step(step: Callable[[], object]) -> int:
    """Objects only the cycle collector can free after one step, and that it then frees.

    The collector is paused during the step so none of them is freed early.
    """
    gc.collect()
    gc.disable()
    try:
        step()
        return gc.collect()
    finally:
        gc.enable()


# Memory per recorded node -----------------------------------------------------


def _traced_bytes(build: Callable[[], object]) -> tuple[int, object]:
    """The bytes `build` allocated that are still held when it returns, and its result."""
    gc.collect()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        result = build()
        return tracemalloc.get_traced_memory()[0] - before, result
    finally:
        tracemalloc.stop()


def our_chain(steps: int) -> Value:
    """`y = y*1.0 + 0.0`, `steps` times: four new nodes per step."""
    y = Value(0.5)
    for _ in range(steps):
        y = y * 1.0 + 0.0
    return y


def micrograd_chain(steps: int) -> Any:
    """The same chain with micrograd."""
    y = MicroValue(0.5)
    for _ in range(steps):
        y = y * 1.0 + 0.0
    return y


def _count_micrograd_nodes(root: Any) -> int:
    seen = {id(root)}
    stack = [root]
    while stack:
        for child in stack.pop()._prev:
            if id(child) not in seen:
                seen.add(id(child))
                stack.append(child)
    return len(seen)


def our_bytes_per_node(nodes: int) -> tuple[float, int]:
    """Traced bytes per node of a recorded chain of about `nodes` nodes, and the count."""
    used, root = _traced_bytes(lambda: our_chain(nodes // 4))
    count = len(topological_sort(cast(Value, root)))
    return used / count, count


def micrograd_bytes_per_node(nodes: int) -> tuple[float, int]:
    """The same for micrograd."""
    used, root = _traced_bytes(lambda: micrograd_chain(nodes // 4))
    count = _count_micrograd_nodes(root)
    del root
    gc.collect()  # micrograd's graph is a web of cycles: only the collector frees it
    return used / count, count


# Deep chains ------------------------------------------------------------------


def our_chain_seconds(steps: int, pause_collector: bool = False) -> tuple[float, float]:
    """Seconds to build a chain of `steps` steps and to backpropagate through it.

    `pause_collector` keeps Python's cycle collector off while the chain is
    built, to time the engine alone (`backward` pauses it by itself).
    """
    collecting = gc.isenabled()
    if pause_collector:
        gc.disable()
    try:
        start = time.perf_counter()
        root = our_chain(steps)
        built = time.perf_counter()
    finally:
        if collecting:
            gc.enable()
    root.backward()
    done = time.perf_counter()
    return built - start, done - built


class PlainNode:
    """A bare slotted Python object holding a number and its inputs: no engine."""

    __slots__ = ("data", "inputs")

    def __init__(self, data: float, inputs: tuple[PlainNode, ...] = ()) -> None:
        self.data = data
        self.inputs = inputs


def plain_chain_seconds(steps: int) -> float:
    """Seconds to allocate the chain's objects without any engine, collector on.

    Per step the same objects `our_chain` keeps: two leaves, two results and
    their two input pairs. This is the control: what CPython's cycle collector
    costs any program that keeps this many objects alive.
    """
    start = time.perf_counter()
    y = PlainNode(0.5)
    for _ in range(steps):
        y = PlainNode(y.data * 1.0, (y, PlainNode(1.0)))
        y = PlainNode(y.data + 0.0, (y, PlainNode(0.0)))
    return time.perf_counter() - start


def micrograd_backpropagates(steps: int) -> bool:
    """Whether micrograd's recursive backward gets through a chain of `steps` steps."""
    root = micrograd_chain(steps)
    try:
        root.backward()
    except RecursionError:
        return False
    finally:
        del root
        gc.collect()
    return True


def micrograd_deepest_chain(limit: int = 4096) -> int:
    """The longest chain micrograd backpropagates (bisection), or `limit` if that works."""
    if micrograd_backpropagates(limit):
        return limit
    works, fails = 0, limit
    while fails - works > 1:
        middle = (works + fails) // 2
        if micrograd_backpropagates(middle):
            works = middle
        else:
            fails = middle
    return works


# Decision-boundary grid -------------------------------------------------------


def grid(X: Points, n: int) -> Points:
    """n x n points covering the data with a margin of 1, as the demo's plot does."""
    xs = [row[0] for row in X]
    ys = [row[1] for row in X]
    x0, x1 = min(xs) - 1.0, max(xs) + 1.0
    y0, y1 = min(ys) - 1.0, max(ys) + 1.0
    steps = max(n - 1, 1)
    return [
        [x0 + (x1 - x0) * i / steps, y0 + (y1 - y0) * j / steps]
        for j in range(n)
        for i in range(n)
    ]


def grid_rows(points: Points, n: int) -> list[Points]:
    """The grid's points `n` at a time: one row per call, as a plotting function would."""
    return [points[i : i + n] for i in range(0, len(points), n)]


def our_grid_scores(model: MLP, rows: list[Points], record: bool) -> list[float]:
    """The model's score at each point, recording the graphs or under `no_grad`."""
    if record:
        return [cast(Value, score).data for row in rows for score in model(row)]
    with no_grad():
        return [cast(Value, score).data for row in rows for score in model(row)]


def micrograd_grid_scores(model: Any, rows: list[Points]) -> list[float]:
    """The same with micrograd (which always records)."""
    return [float(model(list(map(MicroValue, p))).data) for row in rows for p in row]


# The compiled engine: one traced program replayed over the batch ------------------


def compiled_step(model: MLP, X: Points, Y: list[float], fuse: bool) -> Callable[[], float]:
    """`our_step` on the compiled engine (`autograd_nn.compiled`): the same loss, L2
    penalty and SGD update, each batch one replay of the traced per-sample program.
    The points are made an array once, as PyTorch's step makes them a tensor once."""
    import numpy as np

    from autograd_nn import losses
    from autograd_nn.compiled import compile as compile_loss

    params = model.parameters()
    compiled = compile_loss(losses.hinge_loss, model, fuse=fuse,
                            penalty=lambda: L2 * sum_values([p * p for p in params]))
    points, targets = np.array(X, dtype=np.float64), np.array(Y, dtype=np.float64)

    def step() -> float:
        model.zero_grad()
        total = compiled(points, targets)
        for p in params:
            p.data -= LEARNING_RATE * p.grad
        return total

    return step


def compiled_grid_scores(model: MLP, points: Points) -> Callable[[], list[float]]:
    """The grid's scores by the compiled forward: all points in one replay."""
    import numpy as np

    from autograd_nn import losses
    from autograd_nn.compiled import compile as compile_loss

    compiled = compile_loss(losses.hinge_loss, model)
    array = np.array(points, dtype=np.float64)
    return lambda: cast(list[float], compiled.forward(array).tolist())


def torch_grid_scores(model: MLP, points: Points) -> Callable[[], list[float]] | None:
    """The grid's scores by PyTorch, float64, one thread, without autograd."""
    try:
        import torch
    except ImportError:
        return None
    torch.set_num_threads(1)
    net = model.to_torch()
    inputs = torch.tensor(points, dtype=torch.float64)

    def scores() -> list[float]:
        with torch.no_grad():
            return cast(list[float], net(inputs).squeeze(1).tolist())

    return scores
