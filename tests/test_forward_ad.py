"""Forward mode on dual numbers (`dual_level`, `make_dual`, `unpack_dual`): each op's
tangent from the op table, against PyTorch's forward AD, and the level's rules."""

from __future__ import annotations

import math
import threading

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from test_higher_order import PRIMITIVES, _applied, _point

from autograd_nn import OPS, Value, grad, jvp, no_grad, sum_values
from autograd_nn.forward_ad import UnpackedDual, dual_level, make_dual, unpack_dual
from autograd_nn.nn import MLP


def _dual_result(name, xs, tangents):
    with dual_level():
        inputs = [make_dual(Value(x), t) for x, t in zip(xs, tangents)]
        return unpack_dual(_applied(name)(inputs))


@pytest.mark.parametrize("name", sorted(OPS))
@settings(deadline=None, max_examples=25)
@given(data=st.data())
def test_each_ops_tangent_is_its_table_derivatives_times_the_input_tangents(name, data):
    xs = _point(data, name)
    tangents = [data.draw(st.floats(-3, 3), label=f"t{i}") for i in range(len(xs))]
    primal, tangent = _dual_result(name, xs, tangents)
    op = OPS[name]
    assert primal == op.forward(*xs)
    local = op.derivatives(primal, *xs)
    expected = 0.0
    for d, t in zip(local, tangents):
        expected += d * t
    assert tangent == expected or (math.isnan(tangent) and math.isnan(expected))


@pytest.mark.parametrize("name", sorted(OPS))
@settings(deadline=None, max_examples=15)
@given(data=st.data())
def test_each_ops_tangent_equals_pytorchs_forward_ad(name, data):
    torch = pytest.importorskip("torch")
    xs = _point(data, name)
    if name == "softplus":
        assume(xs[0] < 19.0)  # beyond its threshold 20, PyTorch's softplus is x itself
    tangents = [data.draw(st.floats(-3, 3), label=f"t{i}") for i in range(len(xs))]
    if name == "leaky_relu":
        tangents[1] = 0.0  # PyTorch takes the slope as a plain number
    primal, tangent = _dual_result(name, xs, tangents)
    function = PRIMITIVES[name]
    point = tuple(torch.tensor(x, dtype=torch.float64) for x in xs)
    direction = tuple(torch.tensor(t, dtype=torch.float64) for t in tangents)
    if name == "leaky_relu":
        value, ref = torch.func.jvp(lambda a: function(a, xs[1]), point[:1], direction[:1])
    else:
        value, ref = torch.func.jvp(function, point, direction)
    assert math.isclose(primal, value.item(), rel_tol=1e-12, abs_tol=1e-15)
    assert math.isclose(tangent, ref.item(), rel_tol=1e-9, abs_tol=1e-12), (name, xs, tangents)


def test_the_worked_example_on_dual_numbers():
    """g = x*y + z at x=3, y=-4, z=2 with x's tangent 1: ġ = dg/dx = -4, in one evaluation."""
    with dual_level():
        x = make_dual(Value(3.0, "x"), 1.0)
        y, z = Value(-4.0, "y"), Value(2.0, "z")
        n = x * y
        g = n + z
        assert unpack_dual(n) == UnpackedDual(-12.0, -4.0)
        assert unpack_dual(g) == (-10.0, -4.0)
        assert unpack_dual(y) == (-4.0, None)  # y and z carry none: their tangents are 0
    assert unpack_dual(g) == (-10.0, None)  # the level has ended


def test_a_plain_number_becomes_a_dual_leaf():
    with dual_level():
        x = make_dual(2.0, 0.5)
        assert isinstance(x, Value) and x.requires_grad
        assert unpack_dual(x.exp()) == (math.exp(2.0), math.exp(2.0) * 0.5)


def test_a_networks_output_along_an_input_direction_equals_reverse_mode():
    """An MLP made before the level: its weights carry no tangent, so they are
    constants of the directional derivative, which is ∇ₓ out · v."""
    model = MLP(3, [8, 8, 1], seed=5)
    point, direction = [0.3, -1.2, 0.7], [1.0, -0.5, 2.0]
    with dual_level():
        inputs = [make_dual(Value(x), v) for x, v in zip(point, direction)]
        primal, tangent = unpack_dual(model(inputs))
    leaves = [Value(x) for x in point]
    gradient = grad(model(leaves), leaves)
    assert tangent == pytest.approx(sum(g * v for g, v in zip(gradient, direction)), rel=1e-12)
    assert primal == model([Value(x) for x in point]).data


def test_jvp_evaluates_f_once_per_direction():
    calls = []

    def f(v):
        calls.append(1)
        return (v[0] * v[1]).sin() + v[2] ** 2

    value, derivative = jvp(f, [1.0, 2.0, 3.0], [0.0, 1.0, 0.0])
    assert len(calls) == 1
    assert value == pytest.approx(math.sin(2.0) + 9.0)
    assert derivative == pytest.approx(math.cos(2.0))


def test_a_deep_chain_carries_its_tangent_without_recursion():
    with dual_level():
        x = make_dual(Value(1.0), 1.0)
        y = x
        for _ in range(200_000):
            y = y * 1.0 + 0.0
        assert unpack_dual(y) == (1.0, 1.0)


def test_no_grad_inside_a_level_records_nothing_but_still_carries_tangents():
    with dual_level():
        x = make_dual(Value(0.5), 2.0)
        with no_grad():
            y = x.tanh()
        assert y.inputs == () and not y.requires_grad
        assert unpack_dual(y).tangent == pytest.approx(2.0 * (1 - math.tanh(0.5) ** 2))
        z = x * 3.0
        assert z.inputs[0] is x  # outside no_grad the level records as usual


def test_a_graph_made_in_a_level_backpropagates_as_usual():
    with dual_level():
        x = make_dual(Value(3.0), 1.0)
        y = Value(-4.0)
        g = x * y + sum_values([x, y])
        g.backward()
    assert (x.grad, y.grad) == (-3.0, 4.0)


def test_levels_do_not_nest_and_make_dual_needs_one():
    with dual_level():
        with pytest.raises(RuntimeError, match="do not nest"), dual_level():
            pass
        make_dual(Value(1.0), 1.0)  # the outer level survived the refusal
    with pytest.raises(RuntimeError, match="inside `with dual_level\\(\\):`"):
        make_dual(Value(1.0), 1.0)


@pytest.mark.parametrize("bad", ["1.0", None, [1.0], Value(1.0)])
def test_a_tangent_that_is_not_a_number_is_refused(bad):
    with dual_level(), pytest.raises(TypeError, match="make_dual: the tangent must be"):
        make_dual(Value(1.0), bad)


def test_unpack_dual_needs_a_value():
    with pytest.raises(TypeError, match="unpack_dual needs a Value, got float"):
        unpack_dual(1.0)


def test_nan_and_inf_tangents_propagate():
    with dual_level():
        x = make_dual(Value(2.0), math.nan)
        y = make_dual(Value(2.0), math.inf)
        assert math.isnan(unpack_dual(x * 3.0).tangent)
        assert unpack_dual(y * 3.0).tangent == math.inf


def test_a_level_is_its_threads_alone():
    """While one thread is inside a level, another builds and differentiates a
    graph that carries no tangents and whose gradients are unchanged."""
    inside, done = threading.Event(), threading.Event()
    seen = {}

    def in_level():
        with dual_level():
            x = make_dual(Value(2.0), 1.0)
            inside.set()
            done.wait(10)
            seen["tangent"] = unpack_dual(x * x).tangent

    worker = threading.Thread(target=in_level)
    worker.start()
    assert inside.wait(10)
    try:
        a, b = Value(3.0), Value(-4.0)
        out = a * b + a.tanh()
        assert unpack_dual(out) == (out.data, None)
        assert out.inputs and out.requires_grad
        out.backward()
        assert a.grad == pytest.approx(-4.0 + 1 - math.tanh(3.0) ** 2)
    finally:
        done.set()
        worker.join(10)
    assert seen["tangent"] == 4.0
