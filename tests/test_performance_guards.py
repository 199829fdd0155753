"""Guards on the engine's cost that do not depend on the clock.

Graph size, memory per node, garbage left for the cycle collector, and the
collector's state around `backward`: each catches a slowdown before anyone
times it. The timings themselves are in `benchmarks/` (`python -m benchmarks`).
"""

import gc
import sys
import threading
import tracemalloc

import pytest

from autograd_nn import Value, no_grad, sum_values, topological_sort
from autograd_nn.ops import Op


def mlp():
    nn = pytest.importorskip("autograd_nn.nn")
    return nn.MLP(2, [16, 16, 1], activation="relu", output_activation="linear", seed=0)


def training_step(model, points, labels):
    """micrograd's demo step: max-margin loss plus L2, backward, SGD update."""
    params = model.parameters()
    scores = [model(p) for p in points]
    losses = [(1 + -y * s).relu() for y, s in zip(labels, scores)]
    total = sum_values(losses) * (1.0 / len(losses)) + 1e-4 * sum_values([p * p for p in params])
    model.zero_grad()
    total.backward()
    for p in params:
        p.data -= 0.05 * p.grad
    return total


POINTS = [[0.02 * i - 1.0, (-1.0) ** i * 0.01 * i] for i in range(100)]
LABELS = [1.0 if p[1] > 0 else -1.0 for p in POINTS]


def test_one_mlp_forward_records_708_nodes():
    model = mlp()
    order = topological_sort(model([0.5, -1.0]))
    # 2 inputs; per neuron its weights, bias, a product per weight, one sum node,
    # and the relu of the hidden layers: 16*(2+1+2+1+1) + 16*(16+1+16+1+1) + (16+1+16+1).
    assert len(order) == 2 + 16 * 7 + 16 * 35 + 34 == 708
    ops = [node.op for node in order]
    counts = (ops.count("*"), ops.count("sum"), ops.count("relu"), ops.count(""))
    assert counts == (304, 33, 32, 339)


def test_one_mlp_forward_under_no_grad_records_nothing():
    model = mlp()
    with no_grad():
        out = model([0.5, -1.0])
    assert out.inputs == () and topological_sort(out) == [out]


def test_a_recorded_node_takes_at_most_250_bytes():
    gc.collect()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        y = Value(0.5)
        for _ in range(25_000):
            y = y * 1.0 + 0.0
        used = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    nodes = len(topological_sort(y))
    assert nodes == 100_001
    assert used / nodes <= 250


def test_a_training_step_leaves_nothing_for_the_cycle_collector():
    model = mlp()
    gc.collect()
    gc.disable()
    try:
        loss = training_step(model, POINTS, LABELS)
        assert loss.inputs and loss.grad == 1.0
        del loss
        assert gc.collect() == 0
    finally:
        gc.enable()


def test_memory_comes_back_when_the_loss_goes():
    model = mlp()
    training_step(model, POINTS, LABELS)  # the model's gradients exist from now on
    gc.collect()
    gc.disable()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        loss = training_step(model, POINTS, LABELS)
        graph_bytes = tracemalloc.get_traced_memory()[0] - before
        assert graph_bytes > 5_000_000
        del loss
        # Left over: the parameters' new floats and CPython's free lists, which
        # keep up to 2,000 spare tuples of each small size (under a megabyte).
        assert tracemalloc.get_traced_memory()[0] - before < 1_000_000
    finally:
        tracemalloc.stop()
        gc.enable()


@pytest.mark.parametrize("enabled", [True, False])
def test_backward_restores_the_collector_as_it_found_it(enabled):
    x = Value(2.0)
    loss = (x * x).tanh() + x
    (gc.enable if enabled else gc.disable)()
    try:
        loss.backward()
        assert gc.isenabled() is enabled
    finally:
        gc.enable()


def test_backward_restores_the_collector_after_an_error():
    failing = Op("fail", "fail", 1, lambda a: a, lambda out, a: (1.0 / 0.0,), ("?",))
    loss = Value(1.0).apply(failing)
    assert gc.isenabled()
    with pytest.raises(ZeroDivisionError):
        loss.backward()
    assert gc.isenabled()


def test_each_arity_backpropagates_the_same_as_the_generic_rule():
    xs = [Value(0.3 * i - 0.7) for i in range(5)]
    out = sum_values([xs[0].tanh(), xs[1] * xs[2], xs[3].leaky_relu(0.2), xs[4], xs[0] * 2.5])
    out.backward()
    expected = {id(n): 0.0 for n in topological_sort(out)}
    expected[id(out)] = 1.0
    for node in reversed(topological_sort(out)):
        local = node._op.derivatives(node.data, *[i.data for i in node.inputs])
        for child, derivative in zip(node.inputs, local):
            expected[id(child)] += expected[id(node)] * derivative
    assert [x.grad for x in xs] == [expected[id(x)] for x in xs]


def test_threads_sorting_one_graph_each_get_every_node_once():
    shared = [Value(float(i)) for i in range(50)]
    roots = []
    for k in range(4):
        total = Value(0.0)
        for i in range(3_000):
            total = total + shared[(i * 7 + k) % 50] * 0.5
        roots.append(total)
    expected = [len(topological_sort(root)) for root in roots]
    results: list[list[int]] = [[] for _ in roots]

    def sort_repeatedly(k):
        for _ in range(5):
            order = topological_sort(roots[k])
            results[k].append(len({id(n) for n in order}) if len(order) == expected[k] else -1)

    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # switch threads as often as possible
    try:
        threads = [threading.Thread(target=sort_repeatedly, args=(k,)) for k in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    finally:
        sys.setswitchinterval(interval)
    assert results == [[n] * 5 for n in expected]
