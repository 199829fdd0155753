"""Value and backward: the lectures' worked example and the contract's behaviours."""

import gc
import math
import tracemalloc
from fractions import Fraction

import pytest

from autograd_nn import Value, is_recording, no_grad, sum_values, topological_sort


def worked_example():
    x, y, z = Value(3.0, "x"), Value(-4.0, "y"), Value(2.0, "z")
    f = x * y
    g = f + z
    return x, y, z, f, g


def test_worked_example_forward_backward_and_one_step():
    x, y, z, f, g = worked_example()
    assert (f.data, g.data) == (-12.0, -10.0)
    g.backward()
    assert (g.grad, z.grad, f.grad, x.grad, y.grad) == (1.0, 1.0, 1.0, -4.0, 3.0)
    lr = 0.1
    x2, y2, z2 = (Value(v.data - lr * v.grad) for v in (x, y, z))
    assert (x2.data, y2.data, z2.data) == pytest.approx((3.4, -4.3, 1.9), abs=1e-15)
    g2 = x2 * y2 + z2
    assert g2.data == pytest.approx(-12.72, abs=1e-12)
    assert g.data - g2.data == pytest.approx(2.72, abs=1e-12)


def test_attributes_op_and_inputs():
    x, y, z, f, g = worked_example()
    assert (x.op, f.op, g.op) == ("", "*", "+")
    assert f.inputs == (x, y) and g.inputs == (f, z) and x.inputs == ()
    assert x.label == "x" and f.label == ""
    assert x.grad == 0.0 and isinstance(Value(3).data, float)


def test_numbers_on_either_side_become_leaves():
    x = Value(2.0, "x")
    cases = {
        "+": (x + 3, 3 + x, 5.0, 5.0),
        "-": (x - 3, 3 - x, -1.0, 1.0),
        "*": (x * 3, 3 * x, 6.0, 6.0),
        "/": (x / 4, 4 / x, 0.5, 2.0),
        "**": (x**3, 3**x, 8.0, 9.0),
    }
    for op, (right, left, right_value, left_value) in cases.items():
        assert (right.op, left.op) == (op, op)
        assert (right.data, left.data) == (right_value, left_value)
        assert right.inputs[0] is x and right.inputs[1].op == ""
        assert left.inputs[1] is x and left.inputs[0].op == ""
    assert (x * 3).inputs[1].data == 3.0
    assert (-x).op == "neg" and (-x).data == -2.0
    assert abs(Value(-2.5)).data == 2.5


def test_value_exponent_gets_a_gradient():
    a, b = Value(2.0), Value(3.0)
    (a**b).backward()
    assert a.grad == pytest.approx(12.0) and b.grad == pytest.approx(8 * math.log(2))


@pytest.mark.parametrize(
    ("method", "x", "value", "grad"),
    [
        ("exp", 1.0, math.e, math.e),
        ("log", 2.0, math.log(2), 0.5),
        ("sqrt", 4.0, 2.0, 0.25),
        ("sin", 0.5, math.sin(0.5), math.cos(0.5)),
        ("cos", 0.5, math.cos(0.5), -math.sin(0.5)),
        ("tanh", 0.5, math.tanh(0.5), 1 - math.tanh(0.5) ** 2),
        ("sigmoid", 0.0, 0.5, 0.25),
        ("relu", -1.0, 0.0, 0.0),
        ("relu", 2.0, 2.0, 1.0),
    ],
)
def test_methods(method, x, value, grad):
    v = Value(x)
    out = getattr(v, method)()
    out.backward()
    assert out.op == method
    assert out.data == pytest.approx(value) and v.grad == pytest.approx(grad)


def test_leaky_relu_slope_is_a_constant_input():
    v = Value(-2.0)
    out = v.leaky_relu(0.1)
    assert out.data == pytest.approx(-0.2) and out.inputs[1].data == 0.1
    out.backward()
    assert v.grad == 0.1
    assert Value(-3.0).leaky_relu().data == pytest.approx(-0.03)


@pytest.mark.parametrize(
    ("bad", "name"),
    [(True, "bool"), ("3", "str"), (None, "NoneType"), (1j, "complex"), ([1.0], "list"),
     ((1.0,), "tuple")],
)
def test_value_rejects_non_real_data_naming_the_type(bad, name):
    with pytest.raises(TypeError, match=f"Value needs a real number, got {name}"):
        Value(bad)
    with pytest.raises(TypeError, match=f"got {name}"):
        Value(1.0) + bad


def test_value_accepts_real_numbers():
    assert Value(Fraction(1, 4)).data == 0.25
    assert Value(7).data == 7.0


def test_value_of_a_number_beyond_the_floats_says_so():
    with pytest.raises(OverflowError, match=r"fits a float \(.*\); this int is too large"):
        Value(10**400)
    with pytest.raises(OverflowError, match="fits a float"):
        Value(2.0) * Fraction(10**400, 3)


def test_node_used_twice_accumulates():
    a = Value(3.0)
    out = a * a + a
    out.backward()
    assert out.data == 12.0 and a.grad == 7.0


def test_backward_twice_doubles_leaves_and_sets_interior():
    x, y, z, f, g = worked_example()
    g.backward()
    g.backward()
    assert (x.grad, y.grad, z.grad) == (-8.0, 6.0, 2.0)
    assert (f.grad, g.grad) == (1.0, 1.0)


def test_backward_on_a_leaf_accumulates_one():
    x = Value(2.0)
    x.backward()
    x.backward()
    assert x.grad == 2.0


def test_topological_sort_orders_inputs_first_root_last_each_once():
    a = Value(1.0, "a")
    b = a * a
    c = b + a
    d = c * b
    order = topological_sort(d)
    assert order[-1] is d
    assert len(order) == len({id(n) for n in order}) == 4
    position = {id(n): i for i, n in enumerate(order)}
    for node in order:
        for child in node.inputs:
            assert position[id(child)] < position[id(node)]


def test_no_grad_records_no_inputs_and_restores():
    x = Value(2.0)
    with no_grad():
        assert not is_recording()
        y = (x * 3).tanh()
    assert is_recording()
    assert y.inputs == () and y.op == "" and y.data == pytest.approx(math.tanh(6))
    assert (x * 3).inputs != ()


def test_no_grad_restores_after_an_error():
    with pytest.raises(ValueError), no_grad():
        Value(-1.0).log()
    assert is_recording()


def test_million_op_chain_builds_and_backpropagates_without_recursion():
    x = Value(0.5)
    y = x
    for _ in range(1_000_000):
        y = y * 1.0 + 0.0
    y.backward()
    assert y.data == 0.5 and x.grad == 1.0


def test_wide_sums_of_100000_terms():
    xs = [Value(float(i)) for i in range(100_000)]
    total = sum_values(xs)
    assert len(total.inputs) == 100_000 and total.op == "sum"
    total.backward()
    assert total.data == sum(range(100_000)) and all(x.grad == 1.0 for x in xs)
    chained = xs[0]
    for x in xs[1:]:
        chained = chained + x * 2
    chained.backward()
    assert xs[0].grad == 2.0 and xs[-1].grad == 3.0


def test_sum_values_of_nothing_and_of_numbers():
    assert sum_values([]).data == 0.0
    s = sum_values([1, Value(2.0), 3.5])
    assert s.data == 6.5 and len(s.inputs) == 3


def _bytes_held(build):
    """Bytes that `build` allocated and still holds when it returns."""
    gc.collect()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        kept = build()
        return tracemalloc.get_traced_memory()[0] - before
    finally:
        del kept
        tracemalloc.stop()


def test_a_node_of_one_or_two_inputs_holds_them_without_a_tuple():
    """A recorded result costs no more than a leaf holding the same new number: its
    inputs are slots, not a tuple each (one more object per node to allocate, free
    and have the cycle collector scan; 168 bytes a node instead of 129)."""
    xs = [Value(i + 0.5) for i in range(20_000)]
    leaves = _bytes_held(lambda: [Value(x.data * 3.0) for x in xs])
    products = _bytes_held(lambda: [x * x for x in xs])
    tanhs = _bytes_held(lambda: [x.tanh() for x in xs])
    assert products <= 1.02 * leaves and tanhs <= 1.02 * leaves


def test_inputs_is_a_tuple_of_the_values_in_order_for_every_kind_of_node():
    x, y, z = Value(1.0, "x"), Value(2.0, "y"), Value(3.0, "z")
    leaky = x.leaky_relu(0.2)
    cases = [
        (x, ()), (x.tanh(), (x,)), (x * y, (x, y)), (y * y, (y, y)),
        (leaky, (x, leaky.inputs[1])), (sum_values([z]), (z,)),
        (sum_values([x, y]), (x, y)), (sum_values([x, y, z, x]), (x, y, z, x)),
        (x.apply("clamp", y, z), (x, y, z)), (x.apply("*", y), (x, y)),
    ]
    assert leaky.inputs[1].data == 0.2 and not leaky.inputs[1].requires_grad
    for node, inputs in cases:
        assert type(node.inputs) is tuple and len(node.inputs) == len(inputs)
        assert all(a is b for a, b in zip(node.inputs, inputs, strict=True)), node
        assert set(topological_sort(node)) == {node, *inputs}
    with no_grad():
        assert (x * y).inputs == () and sum_values([x, y, z]).inputs == ()


def test_inputs_can_be_set_to_make_a_root_over_several_outputs():
    """What `compiled`'s tracer does to walk several outputs at once."""
    x, y, z = Value(1.0), Value(2.0), Value(3.0)
    outputs = (x * y, y + z, z.relu())
    for chosen in ((), outputs[:1], outputs[:2], outputs):
        root = Value(0.0)
        root.inputs = chosen
        assert root.inputs == chosen
        order = topological_sort(root)
        assert order[-1] is root
        assert set(order) == {root}.union(*(topological_sort(out) for out in chosen))


def test_graph_has_no_reference_cycles():
    gc.collect()
    gc.disable()
    tracemalloc.start()
    try:
        x = Value(1.0)
        before = tracemalloc.get_traced_memory()[0]
        loss = x
        for _ in range(50_000):
            loss = (loss * 0.5 + 1).tanh() * x
        loss.backward()
        graph_bytes = tracemalloc.get_traced_memory()[0] - before
        assert graph_bytes > 10_000_000
        del loss
        # What stays is only the interpreter's small free lists of floats and tuples.
        assert tracemalloc.get_traced_memory()[0] - before < graph_bytes / 50
        assert gc.collect() == 0
    finally:
        tracemalloc.stop()
        gc.enable()


def test_repr_is_readable():
    assert repr(Value(3.0)) == "Value(3.0)"
    x = Value(3.0, "x")
    y = x * 2
    y.backward()
    assert repr(y) == "Value(6.0, op='*', grad=1.0)"
    assert repr(x) == "Value(3.0, label='x', grad=2.0)"
    assert float(x) == 3.0


def test_apply_checks_arity_and_names():
    x = Value(1.0)
    assert x.apply("sin").data == pytest.approx(math.sin(1.0))
    with pytest.raises(TypeError, match="tanh takes 1 input"):
        x.apply("tanh", 2.0)
    with pytest.raises(KeyError, match="no op named"):
        x.apply("tan")


# Constants: plain numbers get no gradient -------------------------------------


def test_a_plain_number_operand_is_a_constant_without_gradient():
    x = Value(-1.5, "x")
    y = x * 3
    constant = y.inputs[1]
    assert constant.data == 3.0 and constant.op == "" and constant.inputs == ()
    assert constant.requires_grad is False and x.requires_grad is True and y.requires_grad
    y.backward()
    assert x.grad == 3.0 and constant.grad == 0.0


@pytest.mark.parametrize(
    "build",
    [lambda x: 2 * x, lambda x: 2 - x, lambda x: 2 / x, lambda x: 2**x, lambda x: x + 5,
     lambda x: x**2, lambda x: x.leaky_relu(0.2), lambda x: x.apply("*", 4),
     lambda x: sum_values([x, 1.0, 2])],
)
def test_every_way_of_writing_a_number_makes_a_constant(build):
    x = Value(0.75, "x")
    out = build(x)
    out.backward()
    constants = [node for node in topological_sort(out) if not node.inputs and node is not x]
    assert constants and all(not c.requires_grad and c.grad == 0.0 for c in constants)
    assert x.grad != 0.0


def test_squaring_a_negative_error_shows_no_nan():
    """The exponent's d/db = a^b log(a) is NaN for a < 0; a constant never receives it."""
    x = Value(0.25, "x")
    error = 1 - (x * 8).sigmoid() - 1  # negative
    loss = error**2
    loss.backward()
    assert error.data < 0
    grads = [node.grad for node in topological_sort(loss)]
    assert all(math.isfinite(g) for g in grads)


def test_requires_grad_false_makes_a_constant_explicitly():
    w = Value(2.0, "w")
    t = Value(1.0, "t", requires_grad=False)
    loss = (w - t) ** 2
    loss.backward()
    assert w.grad == 2.0 and t.grad == 0.0 and not t.requires_grad
    assert "requires_grad=False" in repr(t)


def test_requires_grad_can_be_switched_on_a_leaf_only():
    x = Value(1.0, "x")
    x.requires_grad = False
    (x * 2).backward()
    assert x.grad == 0.0
    x.requires_grad = True
    (x * 2).backward()
    assert x.grad == 2.0
    with pytest.raises(ValueError, match="only be set on a leaf"):
        (x * 2).requires_grad = False
    with pytest.raises(TypeError, match="requires_grad must be True or False"):
        Value(1.0, requires_grad=0)  # type: ignore[arg-type]


def test_results_under_no_grad_are_constants():
    x = Value(1.0, "x")
    with no_grad():
        y = x * 2
    assert y.inputs == () and not y.requires_grad


def test_constants_match_pytorch_which_gives_numbers_no_gradient():
    torch = pytest.importorskip("torch")
    x = Value(-0.7, "x")
    out = (x - 3) ** 2 + 2 ** x
    out.backward()
    tx = torch.tensor(-0.7, dtype=torch.float64, requires_grad=True)
    ((tx - 3) ** 2 + 2**tx).backward()
    assert x.grad == pytest.approx(tx.grad.item(), rel=1e-15)


def test_a_leaf_copies_and_pickles_and_a_model_deep_copies():
    import copy
    import pickle

    from autograd_nn.nn import MLP

    w = Value(1.5, "w")
    w.grad = 0.25
    for clone in (copy.copy(w), copy.deepcopy(w), pickle.loads(pickle.dumps(w))):
        assert clone is not w
        assert (clone.data, clone.label, clone.grad, clone.requires_grad) == (1.5, "w", 0.25, True)
    constant = copy.deepcopy(Value(2.0, requires_grad=False))
    assert not constant.requires_grad
    model = MLP(2, [3, 1], seed=0)
    twin = copy.deepcopy(model)
    assert [p.data for p in twin.parameters()] == [p.data for p in model.parameters()]
    twin.parameters()[0].data += 1.0
    assert twin.parameters()[0].data != model.parameters()[0].data


def test_a_node_with_inputs_refuses_to_be_copied_with_a_clear_message():
    import copy
    import pickle

    y = Value(2.0, "x") * 3
    for attempt in (copy.copy, copy.deepcopy, pickle.dumps):
        with pytest.raises(TypeError, match=r"only a leaf Value .* made by '\*'"):
            attempt(y)


def test_clamp_and_softplus_methods_are_their_table_entries():
    """x.clamp(lo, hi) and x.softplus(): values and slopes as torch.clamp and softplus."""
    for x, expected, slope in [(3.0, 1.0, 0.0), (0.5, 0.5, 1.0), (-2.0, 0.0, 0.0)]:
        v = Value(x)
        out = v.clamp(0.0, 1.0)
        out.backward()
        assert (out.data, v.grad, out.op) == (expected, slope, "clamp")
    v = Value(-800.0)
    out = v.softplus()
    out.backward()
    assert (out.data, v.grad, out.op) == (0.0, 0.0, "softplus")
    assert Value(2.0).clamp(max=1.5).data == 1.5 and Value(-9.0).clamp(min=-1).data == -1.0
