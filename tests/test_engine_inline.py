"""`backward`'s inline derivatives are the op table's, bit for bit.

For speed, `backward` writes the local derivatives of ``+``, ``*``, ``sum``
and ``relu`` inline instead of calling `Op.derivatives` (see its docstring).
Each test here compares `backward` with `table_gradients`, a backward written
from the op table alone, in the same order, so an inline rule and its table
entry cannot drift apart: change either and these fail.
"""

import itertools
import math
import struct

import pytest
from hypothesis import given, reject, settings
from hypothesis import strategies as st

from autograd_nn import Value, engine, sum_values, topological_sort
from autograd_nn.graph import op_of
from autograd_nn.losses import binary_cross_entropy_with_logits, hinge_loss, mse_loss
from autograd_nn.nn import MLP
from autograd_nn.ops import OPS, Op
from autograd_nn.testing import expressions

INLINE = {
    "+": (2, lambda xs: xs[0] + xs[1]),
    "*": (2, lambda xs: xs[0] * xs[1]),
    "relu": (1, lambda xs: xs[0].relu()),
    "sum": (None, sum_values),
}
"""The ops `backward` handles inline: how many inputs, and how the forward pass records one."""

EDGES = [0.0, -0.0, 5e-324, -1.0, 1.0, 2.0, math.inf, -math.inf, math.nan]
any_float = st.one_of(st.sampled_from(EDGES), st.floats(allow_nan=True, allow_infinity=True))
"""Any float, the edges (relu's kink, signed zeros, infinities, NaN) often."""


def table_gradients(root: Value) -> dict[int, float]:
    """What `root.backward()` sets each node's `.grad` to (by id), from `Op.derivatives`
    alone: nothing inline.

    Leaves start from their `.grad` (they accumulate), other nodes from 0. The
    same order of additions as `backward` (its topological order, each node's
    inputs in order), so equal rules give equal bits.
    """
    order = topological_sort(root)
    grads = {id(node): 0.0 if node.inputs else node.grad for node in order}
    grads[id(root)] += 1.0
    for node in reversed(order):
        inputs = node.inputs
        if not inputs:
            continue
        local = op_of(node).derivatives(node.data, *[i.data for i in inputs])
        for child, derivative in zip(inputs, local, strict=True):
            if child.requires_grad:
                grads[id(child)] += grads[id(node)] * derivative
    return grads


def bits(x: float) -> bytes:
    """The float's eight bytes: tells 0.0 from -0.0, and compares NaN with NaN."""
    return struct.pack("<d", x)


def assert_backward_is_the_tables(root: Value) -> None:
    """`root.backward()` sets every node's gradient to `table_gradients`' bits."""
    expected = table_gradients(root)
    root.backward()
    for node in topological_sort(root):
        assert bits(node.grad) == bits(expected[id(node)]), (node, expected[id(node)])


def leaf(data: st.DataObject) -> Value:
    """A parameter (its `.grad` what earlier passes left) or a constant, at any float."""
    if data.draw(st.booleans(), label="constant"):
        return Value(data.draw(any_float), requires_grad=False)
    parameter = Value(data.draw(any_float))
    parameter.grad = data.draw(any_float, label="grad so far")
    return parameter


@settings(max_examples=400)
@given(st.sampled_from(sorted(INLINE)), st.data())
def test_each_inline_rule_gives_the_tables_numbers_anywhere(name, data):
    """Any floats (infinities, NaN, -0.0, subnormals), any upstream gradient, inputs
    shared or constant, and a sum of one, two or more terms (kept differently)."""
    arity, record = INLINE[name]
    count = arity or data.draw(st.integers(1, 5), label="terms")
    pool = [leaf(data) for _ in range(data.draw(st.integers(1, count), label="distinct"))]
    inputs = [pool[data.draw(st.integers(0, len(pool) - 1))] for _ in range(count)]
    upstream = Value(data.draw(any_float, label="upstream"))
    try:
        root = record(inputs) * upstream  # the node's upstream gradient is upstream.data
    except OverflowError:
        reject()
    assert root.inputs[0].op == name
    assert_backward_is_the_tables(root)


@pytest.mark.parametrize("name", sorted(INLINE))
def test_each_inline_rule_gives_the_tables_numbers_at_every_edge(name):
    """Every combination of the edges as operands (sums of one, two and three terms), as
    upstream gradient and as what a parameter's `.grad` held; the first operand a
    parameter or a constant."""
    arity, record = INLINE[name]
    counts = [arity] if arity else [1, 2, 3]
    every = itertools.chain.from_iterable(itertools.product(EDGES, repeat=n) for n in counts)
    for operands in every:
        for upstream, so_far, constant in itertools.product(
            [1.0, -0.0, 3.5, -math.inf, math.nan], [0.0, -0.0], [False, True]
        ):
            inputs = [Value(x) for x in operands]
            inputs[0].requires_grad = not constant
            for parameter in inputs:
                parameter.grad = so_far
            assert_backward_is_the_tables(record(inputs) * Value(upstream))


def test_the_ops_backward_handles_inline_are_those_tested_here():
    """An op given inline handling later is tested here too, or this fails."""
    code = engine._propagate.__code__
    named = [getattr(engine, name, None) for name in code.co_names]
    assert {op.name for op in named if isinstance(op, Op) and OPS.get(op.name) is op} == set(INLINE)


def test_the_inline_rules_are_still_the_tables_rules():
    """What the inline code assumes of each entry, at a few points."""
    for a, b in [(3.0, -4.0), (0.0, math.inf), (-2.5, math.nan)]:
        assert OPS["+"].derivatives(a + b, a, b) == (1.0, 1.0)
        assert [bits(d) for d in OPS["*"].derivatives(a * b, a, b)] == [bits(b), bits(a)]
        assert OPS["sum"].derivatives(a + b + 1.0, a, b, 1.0) == (1.0, 1.0, 1.0)
    for a in [-1.0, -0.0, 0.0, 5e-324, 2.0, math.nan, math.inf, -math.inf]:
        assert OPS["relu"].derivatives(OPS["relu"].forward(a), a) == (0.0 if a <= 0.0 else 1.0,)


@given(expressions(n_inputs=3, max_leaves=10))
def test_backward_is_the_tables_on_random_expressions_of_every_op(case):
    """Inline and table ops mixed, inputs used more than once, constants among them."""
    f, xs = case
    assert_backward_is_the_tables(f([Value(x) for x in xs]))


@given(
    st.integers(0, 2**32 - 1),
    st.lists(st.tuples(st.floats(-3, 3), st.floats(-3, 3), st.booleans()), min_size=1,
             max_size=6),
    st.sampled_from(["mse", "hinge", "bce"]),
)
def test_backward_is_the_tables_on_a_relu_networks_loss(seed, samples, loss):
    """The graph a training step records: products, sums, relus, the loss's own ops."""
    model = MLP(2, [4, 4, 1], activation="relu", seed=seed)
    scores = [model([x, y]) for x, y, _ in samples]
    labels = [1.0 if label else 0.0 for _, _, label in samples]
    if loss == "mse":
        total = mse_loss(scores, labels)
    elif loss == "hinge":
        total = hinge_loss(scores, [2.0 * t - 1.0 for t in labels])
    else:
        total = binary_cross_entropy_with_logits(scores, labels)
    assert_backward_is_the_tables(total)
