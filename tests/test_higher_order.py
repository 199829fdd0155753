"""Derivatives of derivatives (create_graph, grad, hessian, hvp, gradgradcheck) and
forward mode (jvp): against analytic values, finite differences and PyTorch float64."""

from __future__ import annotations

import math

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from test_ops import DOMAINS, KINKED

from autograd_nn import (
    OPS,
    GradcheckError,
    Value,
    grad,
    gradgradcheck,
    hessian,
    hvp,
    jvp,
    sum_values,
)
from autograd_nn.gradcheck import analytic_grad
from autograd_nn.nn import MLP
from autograd_nn.ops import Op
from autograd_nn.testing import expressions


def _applied(name):
    return lambda v: v[0].apply(name, *v[1:])


def _point(data, name):
    xs = [data.draw(st.floats(lo, hi), label=f"x{i}") for i, (lo, hi) in enumerate(DOMAINS[name])]
    if name in KINKED:
        assume(abs(xs[0]) > 1e-3)
    if name == "clamp":
        assume(abs(xs[0] - xs[1]) > 1e-3 and abs(xs[0] - xs[2]) > 1e-3)
    if name == "**":
        assume(abs(xs[1]) > 1e-3)  # at b = 0 d/da is held at 0, as PyTorch holds it
    return xs


# The functional grad, first order ---------------------------------------------------


def test_grad_gives_floats_and_leaves_dot_grad_alone():
    x, y, z = Value(3.0, "x"), Value(-4.0, "y"), Value(2.0, "z")
    g = x * y + z
    assert grad(g, [x, y, z]) == [-4.0, 3.0, 1.0]
    assert (x.grad, y.grad, z.grad) == (0.0, 0.0, 0.0)
    assert grad([g, g], [x], grad_outputs=[1.0, 2.0]) == [-12.0]


def test_an_unused_input_is_refused_unless_allowed():
    x, unused = Value(1.0, "x"), Value(2.0, "w")
    with pytest.raises(ValueError, match=r"inputs\[1\] \(w\) is not used.*allow_unused=True"):
        grad(x * 2.0, [x, unused])
    assert grad(x * 2.0, [x, unused], allow_unused=True) == [2.0, None]


def test_bad_arguments_say_what_is_wrong():
    x = Value(1.0)
    with pytest.raises(TypeError, match=r"outputs\[0\] must be a Value"):
        grad([1.0], [x])
    with pytest.raises(ValueError, match="1 outputs but 2 grad_outputs"):
        grad(x * 2, [x], grad_outputs=[1.0, 2.0])
    with pytest.raises(TypeError, match="create_graph must be True or False"):
        grad(x * 2, [x], create_graph=1)
    with pytest.raises(TypeError, match="create_graph must be True or False"):
        (x * 2).backward(create_graph="yes")


# Second derivatives ----------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(OPS))
@settings(deadline=None, max_examples=25)
@given(data=st.data())
def test_every_ops_second_derivatives_match_differences_of_its_gradient(name, data):
    xs = _point(data, name)
    assert gradgradcheck(_applied(name), xs, atol=1e-4, rtol=1e-3)


def test_piecewise_ops_have_zero_second_derivative_as_in_pytorch():
    for name, xs in [("relu", [0.7]), ("abs", [-0.7]), ("leaky_relu", [-0.7, 0.1]),
                     ("clamp", [0.5, -1.0, 1.0])]:
        assert hessian(_applied(name), xs)[0][0] == 0.0, name


def test_third_derivatives_of_sin_and_exp_are_exact():
    for a in (-2.0, 0.3, 1.7):
        x = Value(a)
        (d1,) = grad(x.sin(), [x], create_graph=True)
        (d2,) = grad(d1, [x], create_graph=True)
        (d3,) = grad(d2, [x])
        assert (d1.data, d2.data, d3) == (math.cos(a), -math.sin(a), -math.cos(a))
        x = Value(a)
        (e1,) = grad(x.exp(), [x], create_graph=True)
        (e2,) = grad(e1, [x], create_graph=True)
        (e3,) = grad(e2, [x])
        assert e1.data == e2.data == e3 == math.exp(a)


def test_backward_with_create_graph_leaves_gradients_that_differentiate_again():
    x, y = Value(3.0, "x"), Value(-4.0, "y")
    f = x * x * y
    f.backward(create_graph=True)
    assert isinstance(x.grad, Value) and x.grad.data == 2 * 3.0 * -4.0
    (dxx, dxy) = grad(x.grad, [x, y])      # d/dx (2xy) = 2y, d/dy (2xy) = 2x
    assert (dxx, dxy) == (-8.0, 6.0)


def test_a_wrong_second_derivative_fails_gradgradcheck_naming_the_entry(monkeypatch):
    # cube's first derivative is right (3a²), its rule's second is not (3a² taken as 3a).
    cube = Op.from_rule("cube", "cube", 1,
                        lambda p: (lambda a: a * a * a, lambda out, a: (3.0 * p.abs(a) * a,)),
                        ("3a^2",), "a cubed, with a sign error in its derivative below 0")
    monkeypatch.setitem(OPS, "cube", cube)
    assert gradgradcheck(_applied("cube"), [1.5])
    with pytest.raises(GradcheckError, match=r"d2f/dx0dx0"):
        gradgradcheck(lambda v: v[0].apply("cube") * v[0].apply("cube"), [-1.5])


def test_double_backward_through_a_100000_deep_chain():
    x = Value(0.5, "x")
    y = x
    for _ in range(100_000):
        y = y * 1.0 + 0.0
    y = y * y
    (dy,) = grad(y, [x], create_graph=True)
    (d2y,) = grad(dy, [x])
    assert (dy.data, d2y) == (1.0, 2.0)


# Against PyTorch -----------------------------------------------------------------------


try:
    from test_torch_parity import PRIMITIVES
except pytest.skip.Exception:  # no PyTorch: its comparisons skip themselves
    PRIMITIVES = {}


def _torch():
    return pytest.importorskip("torch")


@settings(deadline=None, max_examples=40)
@given(expressions(n_inputs=2))
def test_hessians_of_random_expressions_equal_pytorchs(case):
    torch = _torch()
    f, xs = case
    try:
        ours = hessian(f, xs)
    except (ArithmeticError, ValueError):
        assume(False)
    point = torch.tensor(xs, dtype=torch.float64)

    def theirs(t):
        out = f.evaluate(list(t.unbind()), PRIMITIVES)
        return out if out.requires_grad else out + 0.0 * t.sum()

    reference = torch.autograd.functional.hessian(theirs, point).tolist()
    for row, expected in zip(ours, reference):
        for a, b in zip(row, expected):
            if math.isnan(b):
                continue
            assert math.isclose(a, b, rel_tol=1e-8, abs_tol=1e-9), (ours, reference, str(f))


def _mlp_loss(model, X, y):
    """A function of the parameters (as a list of Values): the model's squared error."""
    params = model.parameters()

    def loss(values):
        for p, v in zip(params, values):
            p.data = v.data
        # rebuild the forward with the given Values as weights
        out = []
        for x in X:
            h = x
            index = 0
            for layer in model.layers:
                nxt = []
                for neuron in layer.neurons:
                    n_w = len(neuron.weights)
                    w = values[index : index + n_w]
                    b = values[index + n_w]
                    index += n_w + 1
                    s = sum_values([wi * hi for wi, hi in zip(w, h)]) + b
                    nxt.append(s.tanh() if layer is not model.layers[-1] else s)
                h = nxt
            out.append(h[0])
        return sum_values([(o - t) ** 2 for o, t in zip(out, y)]) * (1.0 / len(y))

    return loss, [p.data for p in params]


def test_hessian_and_hvp_of_a_small_mlp_loss_equal_pytorchs():
    torch = _torch()
    model = MLP(2, [3, 1], activation="tanh", seed=0)
    X, y = [[0.5, -1.0], [1.5, 0.25], [-0.3, 0.8]], [1.0, -1.0, 0.5]
    loss, weights = _mlp_loss(model, X, y)
    ours = hessian(loss, weights)
    net = model.to_torch()
    shapes = [p.shape for p in net.parameters()]
    inputs = torch.tensor(X, dtype=torch.float64)
    targets = torch.tensor(y, dtype=torch.float64)

    def theirs(flat):
        chunks, start = [], 0
        for shape in shapes:
            size = math.prod(shape)
            chunks.append(flat[start : start + size].reshape(shape))
            start += size
        w1, b1, w2, b2 = chunks
        hidden = torch.tanh(inputs @ w1.T + b1)
        return ((hidden @ w2.T + b2).squeeze(1) - targets).pow(2).mean()

    flat = torch.cat([p.detach().reshape(-1) for p in net.parameters()])
    reference = torch.autograd.functional.hessian(theirs, flat)
    order = _torch_order(model)
    for i, row in enumerate(ours):
        for j, value in enumerate(row):
            assert math.isclose(value, reference[order[i], order[j]].item(), rel_tol=1e-9,
                                abs_tol=1e-12)
    v = [0.1 * k - 0.4 for k in range(len(weights))]
    product = hvp(loss, weights, v)
    expected = reference @ torch.tensor([v[order.index(k)] for k in range(len(v))],
                                        dtype=torch.float64)
    for i, value in enumerate(product):
        assert math.isclose(value, expected[order[i]].item(), rel_tol=1e-9, abs_tol=1e-12)


def _torch_order(model):
    """Where each of our parameters (neuron by neuron: weights, then bias) sits in
    PyTorch's flat order (layer by layer: the weight matrix, then the bias vector)."""
    order, start = [], 0
    for layer in model.layers:
        n_out, n_in = len(layer.neurons), len(layer.neurons[0].weights)
        for k in range(n_out):
            order += [start + k * n_in + j for j in range(n_in)]
            order.append(start + n_out * n_in + k)
        start += n_out * n_in + n_out
    return order


# Forward mode -------------------------------------------------------------------------


@settings(deadline=None, max_examples=60)
@given(expressions(n_inputs=3), st.lists(st.floats(-2, 2), min_size=3, max_size=3))
def test_jvp_equals_the_gradient_dotted_with_the_direction(case, direction):
    f, xs = case
    value, derivative = jvp(f, xs, direction)
    gradient = analytic_grad(f, xs)
    expected = sum(g * d for g, d in zip(gradient, direction))
    assert value == f([Value(x) for x in xs]).data
    assert math.isclose(derivative, expected, rel_tol=1e-9, abs_tol=1e-9) or (
        math.isnan(derivative) and math.isnan(expected))


@settings(deadline=None, max_examples=30)
@given(expressions(n_inputs=2), st.lists(st.floats(-2, 2), min_size=2, max_size=2))
def test_jvp_equals_torch_func_jvp(case, direction):
    torch = _torch()
    f, xs = case
    value, derivative = jvp(f, xs, direction)

    def theirs(*t):
        out = f.evaluate(list(t), PRIMITIVES)
        return out if isinstance(out, torch.Tensor) else torch.tensor(out, dtype=torch.float64)

    point = tuple(torch.tensor(x, dtype=torch.float64) for x in xs)
    tangent = tuple(torch.tensor(d, dtype=torch.float64) for d in direction)
    ref_value, ref_derivative = torch.func.jvp(theirs, point, tangent)
    assert math.isclose(value, ref_value.item(), rel_tol=1e-10, abs_tol=1e-12)
    if not math.isnan(ref_derivative.item()):
        assert math.isclose(derivative, ref_derivative.item(), rel_tol=1e-9, abs_tol=1e-9)


def test_jvp_of_the_worked_example():
    def g(v):
        return v[0] * v[1] + v[2]

    assert jvp(g, [3.0, -4.0, 2.0], [1.0, 0.0, 0.0]) == (-10.0, -4.0)
    assert jvp(g, [3.0, -4.0, 2.0], [0.0, 1.0, 0.0]) == (-10.0, 3.0)
    assert jvp(g, [3.0, -4.0, 2.0], [0.0, 0.0, 1.0]) == (-10.0, 1.0)
    with pytest.raises(ValueError, match="xs has 3 entries but vs has 2"):
        jvp(g, [3.0, -4.0, 2.0], [1.0, 0.0])


def test_a_gradients_graph_draws_and_steps_like_any_other():
    """d tanh(xy)/dx, built by create_graph, is an ordinary graph: the step-through
    explains its backward pass (reaching d²f/dx²) and Graphviz renders it for real."""
    from autograd_nn.steps import backward_steps, forward_steps
    from autograd_nn.viz import draw_graph

    x, y = Value(0.5, "x"), Value(2.0, "y")
    f = (x * y).tanh()
    (dfdx,) = grad(f, [x], create_graph=True)
    dfdx.label = "g"
    assert len(forward_steps(dfdx)) == len(backward_steps(dfdx)) >= 5
    (second,) = grad(dfdx, [x])
    dfdx.backward()
    assert x.grad == second == pytest.approx(-2 * y.data**2 * f.data * (1 - f.data**2))
    drawing = draw_graph(dfdx, mode="both")
    assert "tanh" in drawing.source
    assert drawing.pipe(format="png")[:8] == b"\x89PNG\r\n\x1a\n"


def test_jvp_through_a_constant_power_of_a_negative_base_is_finite():
    """d/db of a**b is nan for a < 0; the exponent 2 is a constant, so, as in
    backward, its nan never enters the tangent."""
    assert jvp(lambda v: v[0] ** 2, [-3.0], [1.0]) == (9.0, -6.0)


@pytest.mark.parametrize("name", sorted(OPS))
@settings(deadline=None, max_examples=15)
@given(data=st.data())
def test_every_ops_second_derivatives_equal_pytorchs(name, data):
    torch = _torch()
    xs = _point(data, name)
    if name == "softplus":
        assume(xs[0] < 19.0)  # beyond its threshold 20, PyTorch's softplus is x itself
    ours = hessian(_applied(name), xs)
    function = PRIMITIVES[name]

    def theirs(t):
        out = function(*t.unbind())
        return out if out.requires_grad else out + 0.0 * t.sum()

    reference = torch.autograd.functional.hessian(theirs, torch.tensor(xs, dtype=torch.float64))
    # PyTorch's leaky_relu takes its slope as a plain number: only d²/da² compares.
    size = 1 if name == "leaky_relu" else len(xs)
    for i in range(size):
        for j in range(size):
            assert math.isclose(ours[i][j], reference[i, j].item(), rel_tol=1e-9,
                                abs_tol=1e-12), (name, xs, ours, reference.tolist())
