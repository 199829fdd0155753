"""`pairwise` and `sum_nodes`, the neuron's fast paths: the same nodes and numbers
as the operators and `sum_values`, in every mode, with the same errors."""

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from autograd_nn import OPS, Value, no_grad, sum_values, topological_sort
from autograd_nn.engine import pairwise, sum_nodes
from autograd_nn.forward_ad import dual_level, make_dual, unpack_dual
from autograd_nn.nn import MLP

floats = st.floats(-1e3, 1e3, allow_nan=False)


def _shape(node):
    return [(n.op, n.data, len(n.inputs), n.requires_grad) for n in topological_sort(node)]


@settings(deadline=None, max_examples=50)
@given(st.lists(st.tuples(floats, floats), min_size=1, max_size=20))
def test_products_are_the_operators_nodes(pairs):
    ws = [Value(w) for w, _ in pairs]
    xs = [Value(x, requires_grad=False) for _, x in pairs]
    fast = pairwise(OPS["*"], ws, xs)
    slow = [w * x for w, x in zip(ws, xs)]
    assert [(n.data, n.op, n.inputs) for n in fast] == [(n.data, n.op, n.inputs) for n in slow]
    assert _shape(sum_nodes(fast)) == _shape(sum_values(slow))
    sum_nodes(fast).backward()
    grads = [w.grad for w in ws]
    for w in ws:
        w.grad = 0.0
    sum_values(slow).backward()
    assert grads == [w.grad for w in ws]


def test_a_plain_number_on_the_right_becomes_a_constant():
    w = [Value(2.0), Value(3.0)]
    out = pairwise(OPS["*"], w, [Value(4.0), 0.5])
    assert [o.data for o in out] == [8.0, 1.5]
    assert not out[1].inputs[1].requires_grad


def test_lengths_that_differ_are_refused():
    with pytest.raises(ValueError, match="pairwise: 2 left operands but 1 right ones"):
        pairwise(OPS["*"], [Value(1.0), Value(2.0)], [Value(1.0)])


def test_overflow_names_the_op_as_the_operator_does():
    with pytest.raises(OverflowError) as fast:
        pairwise(OPS["*"], [Value(1.0), Value(1e200)], [Value(1.0), Value(1e200)])
    with pytest.raises(OverflowError) as slow:
        Value(1e200) * Value(1e200)
    assert str(fast.value) == str(slow.value)


def test_under_no_grad_and_in_a_dual_level_it_follows_the_mode():
    w, x = Value(2.0), Value(3.0)
    with no_grad():
        (product,) = pairwise(OPS["*"], [w], [x])
    assert product.data == 6.0 and product.inputs == () and not product.requires_grad
    with dual_level():
        make_dual(x, 1.0)
        (product,) = pairwise(OPS["*"], [w], [x])
        assert unpack_dual(product) == (6.0, 2.0)


def test_sum_nodes_of_nothing_is_a_constant_zero():
    empty = sum_nodes([])
    assert empty.data == 0.0 and not empty.requires_grad


def test_a_network_built_with_them_matches_one_built_by_the_operators():
    """An MLP's graph (pairwise products, unchecked sums) against the same
    network written out with the operators and sum_values: same nodes, same order,
    same gradients."""
    model = MLP(3, [5, 4, 1], seed=2)
    sample = [0.5, -1.0, 2.0]
    fast = model(sample)
    x = [Value(v, label=f"x{i + 1}", requires_grad=False) for i, v in enumerate(sample)]
    layer_input = x
    for layer in model.layers:
        outs = []
        for neuron in layer.neurons:
            s = sum_values([w * v for w, v in zip(neuron.weights, layer_input)] + [neuron.bias])
            outs.append(s.relu() if neuron.activation == "relu" else s)
        layer_input = outs
    slow = layer_input[0]
    assert _shape(fast) == _shape(slow)
    assert fast.data == slow.data and math.isfinite(fast.data)
