"""Graph utilities: reading order, names, the op of a node, gradients without text."""

import math

from hypothesis import given

from autograd_nn import OPS, Value, topological_sort
from autograd_nn import steps as old_steps
from autograd_nn.examples import EXAMPLES
from autograd_nn.graph import (
    backward_pass,
    consumers,
    evaluation_order,
    gradients,
    node_names,
    op_of,
)
from autograd_nn.ops import LEAF
from autograd_nn.testing import expressions


def engine_grads(root):
    for node in topological_sort(root):
        node.grad = 0.0
    root.backward()
    return {node: node.grad for node in topological_sort(root)}


def same(a, b):
    return a == b or (math.isnan(a) and math.isnan(b))


def test_the_old_addresses_still_work():
    assert old_steps.evaluation_order is evaluation_order
    assert old_steps.node_names is node_names
    assert old_steps.op_of is op_of


def test_op_of_is_the_engines_table_entry():
    x = Value(2.0, "x")
    y = x.tanh() * 3
    assert op_of(y) is OPS["*"] and op_of(y.inputs[0]) is OPS["tanh"]
    assert op_of(x) is LEAF


def test_reading_order_names_and_consumers():
    worked = EXAMPLES["xyz"]()
    order = evaluation_order(worked.output)
    assert [node.label for node in order] == ["x", "y", "f", "z", "g"]
    c = Value(2.0)
    square = worked["x"] * worked["x"] + c
    order = evaluation_order(square)
    names = node_names(order)
    assert [names[node] for node in order] == ["x", "n1", "n2", "n3"]
    users = consumers(order)
    product = order[1]
    assert users[worked["x"]] == [product, product]  # used twice by one node
    assert users[c] == [square] and users[square] == []


@given(expressions(n_inputs=2))
def test_gradients_equal_backward_bit_for_bit(case):
    f, xs = case
    root = f([Value(x) for x in xs])
    computed = gradients(root)
    expected = engine_grads(root)
    assert computed.keys() == expected.keys()
    assert all(same(computed[node], expected[node]) for node in expected)


def test_gradients_leave_every_grad_alone_and_equal_backward_on_the_examples():
    for name, entry in EXAMPLES.items():
        root = entry().output
        computed = gradients(root)
        assert all(node.grad == 0.0 for node in topological_sort(root)), name
        assert computed == engine_grads(root), name


def test_backward_pass_computes_each_local_derivative_once():
    calls = []
    table = OPS["*"]

    def counted(out, a, b):
        calls.append((a, b))
        return table.derivatives(out, a, b)

    from dataclasses import replace

    mul = replace(table, derivatives=counted)
    x, y = Value(3.0, "x"), Value(-4.0, "y")
    f = x.apply(mul, y)
    g = f.apply(mul, f)  # f used twice
    result = backward_pass(g)
    assert len(calls) == 2
    assert result.local[f] == (-4.0, 3.0) and result.local[g] == (-12.0, -12.0)
    assert result.uses[f] == [(g, 0), (g, 1)]
    assert result.sent(f, 0) == result.gradients[f] * -4.0
    assert result.gradients[x] == 2 * -12.0 * -4.0

    from autograd_nn.steps import backward_steps

    calls.clear()
    steps = backward_steps(g)
    assert len(calls) == 2  # backward_steps asks the table once per node too
    assert [s.upstream for s in steps] == [result.gradients[s.node] for s in steps]
