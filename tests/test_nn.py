"""Neurons, layers, MLPs and friends: structure, gradients, PyTorch parity, files."""

import json
import math
import os
import random
import sys

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from autograd_nn import Value, gradcheck, sum_values, topological_sort
from autograd_nn.nn import (
    ACTIVATIONS,
    MLP,
    BatchNorm1d,
    Dropout,
    Ensemble,
    Layer,
    Module,
    Neuron,
    Perceptron,
    Sequential,
    softmax,
)


def close(a, b, tol=1e-10):
    return math.isclose(a, b, rel_tol=tol, abs_tol=tol)


def numbers_of(module):
    """Every number of a module's state, as exact hex strings, in order."""
    out = []
    stack = [module.state_dict()]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            stack.extend(reversed(list(item.values())))
        elif isinstance(item, list):
            stack.extend(reversed(item))
        else:
            out.append(float(item).hex())
    return out


# Structure ------------------------------------------------------------------


def test_mlp_parameters_in_micrograds_order():
    model = MLP(2, [16, 16, 1], seed=0)
    params = model.parameters()
    assert len(params) == 337 == (2 + 1) * 16 + (16 + 1) * 16 + (16 + 1) * 1
    expected = [
        p
        for layer in model.layers
        for neuron in layer.neurons
        for p in [*neuron.weights, neuron.bias]
    ]
    assert all(a is b for a, b in zip(params, expected)) and len(expected) == 337
    assert params[0].label == "L1.n1.w1" and params[2].label == "L1.n1.b"
    assert params[-1].label == "L3.n1.b" and params[-2].label == "L3.n1.w16"


@given(st.integers(1, 5), st.lists(st.integers(1, 5), min_size=1, max_size=3))
@settings(max_examples=30)
def test_parameter_count_for_any_shape(n_inputs, sizes):
    model = MLP(n_inputs, sizes, seed=0)
    fans = [n_inputs, *sizes]
    assert len(model.parameters()) == sum((fans[i] + 1) * fans[i + 1] for i in range(len(sizes)))
    assert [len(layer.neurons) for layer in model.layers] == sizes
    assert all(len(n.weights) == fan for layer, fan in zip(model.layers, fans)
               for n in layer.neurons)


def test_neuron_with_and_without_bias():
    neuron = Neuron(3, seed=0)
    assert neuron.parameters() == [*neuron.weights, neuron.bias]
    no_bias = Neuron(3, bias=False, seed=0)
    assert no_bias.bias is None and no_bias.parameters() == no_bias.weights
    layer = Layer(3, 2, bias=False, seed=0)
    assert layer.parameters() == [w for n in layer.neurons for w in n.weights]
    assert len(layer.parameters()) == 6
    out = no_bias([1.0, 2.0, 3.0])
    assert out.op == "relu" and len(out.inputs[0].inputs) == 3


def test_neuron_forward_is_one_sum_node_then_the_activation():
    neuron = Neuron(3, activation="tanh", seed=1)
    x = [Value(0.5), Value(-1.0), Value(2.0)]
    out = neuron(x)
    assert isinstance(out, Value) and out.op == "tanh"
    (total,) = out.inputs
    assert total.op == "sum" and len(total.inputs) == 4
    assert [t.op for t in total.inputs] == ["*", "*", "*", ""]
    assert total.inputs[3] is neuron.bias
    for term, w, xi in zip(total.inputs, neuron.weights, x):
        assert term.inputs == (w, xi)
    expected = math.tanh(sum(w.data * xi.data for w, xi in zip(neuron.weights, x)))
    assert out.data == pytest.approx(expected, abs=1e-15)


@pytest.mark.parametrize(
    ("activation", "op"),
    [("linear", "sum"), ("relu", "relu"), ("leaky_relu", "leaky_relu"), ("tanh", "tanh"),
     ("sigmoid", "sigmoid")],
)
def test_activations_by_name_use_the_op_table(activation, op):
    neuron = Neuron(2, activation=activation, init="uniform", seed=3)
    neuron.bias.data = -0.25
    out = neuron([-1.0, 0.5])
    assert out.op == op
    z = sum(w.data * x for w, x in zip(neuron.weights, [-1.0, 0.5])) - 0.25
    expected = {
        "linear": z, "relu": max(z, 0.0), "leaky_relu": z if z > 0 else 0.01 * z,
        "tanh": math.tanh(z), "sigmoid": 1 / (1 + math.exp(-z)),
    }[activation]
    assert out.data == pytest.approx(expected, abs=1e-15)
    assert set(ACTIVATIONS) == {"linear", "relu", "leaky_relu", "tanh", "sigmoid"}


def test_unknown_activation_lists_the_names():
    with pytest.raises(ValueError, match="unknown activation 'elu'; known: linear, relu"):
        MLP(2, [3], activation="elu")
    with pytest.raises(ValueError, match="unknown activation"):
        Layer(2, 3, activation="softmax")


def test_one_output_gives_a_value_several_give_a_list():
    assert isinstance(MLP(2, [4, 1], seed=0)([1.0, 2.0]), Value)
    outs = MLP(2, [4, 3], seed=0)([1.0, 2.0])
    assert isinstance(outs, list) and len(outs) == 3
    assert isinstance(Layer(2, 1, seed=0)([1.0, 2.0]), Value)
    assert len(Layer(2, 5, seed=0)((1, 2))) == 5
    batch = MLP(2, [4, 1], seed=0)([[1.0, 2.0], [0.0, 1.0], [3.0, -1.0]])
    assert len(batch) == 3 and all(isinstance(v, Value) for v in batch)


def test_floats_and_values_give_the_same_result_and_values_get_gradients():
    model = MLP(3, [4, 4, 1], activation="tanh", seed=2)
    xs = [Value(0.1), Value(-0.7), Value(1.3)]
    out = model(xs)
    assert out.data == model([0.1, -0.7, 1.3]).data
    out.backward()
    assert all(x.grad != 0.0 for x in xs)


@pytest.mark.parametrize(
    ("module", "sample", "message"),
    [
        (MLP(2, [16, 16, 1], seed=0), [1.0, 2.0, 3.0],
         r"MLP\(2, \[16, 16, 1\], activation='relu'\) expects 2 inputs, got 3"),
        (MLP(2, [3], seed=0), [1.0], "expects 2 inputs, got 1"),
        (Layer(3, 2, seed=0), [1.0, 2.0],
         r"Layer\(3, 2, activation='relu'\) expects 3 inputs, got 2"),
        (Neuron(4, seed=0), [], r"Neuron\(4, activation='relu'\) expects 4 inputs, got 0"),
        (MLP(2, [3], seed=0), [[1.0, 2.0], [1.0]], "expects 2 inputs, got 1"),
    ],
)
def test_wrong_input_lengths_are_rejected(module, sample, message):
    with pytest.raises(ValueError, match=message):
        module(sample)


def test_non_numbers_in_a_sample_are_rejected():
    model = MLP(2, [3], seed=0)
    with pytest.raises(TypeError, match="input 1 of the sample is the string '2'"):
        model([1.0, "2"])
    with pytest.raises(TypeError, match="input 0 of the sample is the boolean True"):
        model([True, 1.0])
    with pytest.raises(TypeError, match="expects a sample"):
        model(3.0)
    with pytest.raises(TypeError, match="expects a sample"):
        model("12")


@pytest.mark.parametrize(
    ("make", "error", "message"),
    [
        (lambda: MLP(0, [3]), ValueError, "n_inputs must be at least 1"),
        (lambda: MLP(2, []), ValueError, "sizes must be a non-empty list"),
        (lambda: MLP(2, [3, 0]), ValueError, "layer size must be at least 1, got 0"),
        (lambda: MLP(2, 3), ValueError, "sizes must be a non-empty list"),
        (lambda: Layer(2.5, 3), TypeError, "n_inputs must be a whole number"),
        (lambda: Neuron(2, bias=1), TypeError, "bias must be True or False"),
        (lambda: Neuron(2, seed="x"), TypeError, "seed must be an int"),
        (lambda: Neuron(2, init="xavier"), ValueError, "unknown initialiser 'xavier'"),
    ],
)
def test_bad_construction_arguments_say_what_is_wrong(make, error, message):
    with pytest.raises(error, match=message):
        make()


def test_seeding_is_reproducible_and_private():
    random.seed(99)
    before = random.getstate()
    a, b = MLP(2, [8, 1], seed=5), MLP(2, [8, 1], seed=5)
    c = MLP(2, [8, 1], seed=6)
    fresh = MLP(2, [8, 1]), MLP(2, [8, 1])
    assert random.getstate() == before
    assert numbers_of(a) == numbers_of(b) != numbers_of(c)
    assert numbers_of(fresh[0]) != numbers_of(fresh[1])
    # One random.Random can be shared: layers built from it continue its stream.
    rng = random.Random(5)
    assert numbers_of(Layer(2, 8, seed=rng)) == numbers_of(a.layers[0])


def test_reprs():
    assert repr(MLP(2, [16, 16, 1], seed=0)) == "MLP(2, [16, 16, 1], activation='relu')"
    assert repr(MLP(2, [4, 1], activation="tanh", output_activation="sigmoid", seed=0)) == (
        "MLP(2, [4, 1], activation='tanh', output_activation='sigmoid')"
    )
    assert repr(Layer(3, 2, activation="linear", bias=False, seed=0)) == (
        "Layer(3, 2, activation='linear', bias=False)"
    )
    assert repr(Neuron(3, seed=0)) == "Neuron(3, activation='relu')"
    assert repr(Dropout(0.25)) == "Dropout(p=0.25)"
    assert repr(BatchNorm1d(3)) == "BatchNorm1d(3, eps=1e-05, momentum=0.1, affine=True)"
    assert repr(Perceptron(2)) == "Perceptron(2, lr=1.0)"
    assert repr(Sequential(Layer(2, 3, seed=0), Dropout())) == (
        "Sequential(Layer(2, 3, activation='relu'), Dropout(p=0.5))"
    )
    assert repr(Ensemble([Neuron(1, seed=0)])) == "Ensemble([Neuron(1, activation='relu')])"


def test_node_count_of_one_forward_pass():
    # 2 inputs + 337 parameters + per neuron: a '*' per input, one 'sum', one
    # activation (none for the linear output): 32+16+16 + 256+16+16 + 16+1 = 369.
    model = MLP(2, [16, 16, 1], seed=0)
    out = model([0.5, -1.5])
    nodes = topological_sort(out)
    assert len(nodes) == 708
    ops = [n.op for n in nodes]
    assert ops.count("sum") == 33 and ops.count("*") == 304 and ops.count("relu") == 32
    assert ops.count("") == 339 and out.op == "sum"


def test_train_eval_propagate_and_zero_grad():
    model = Sequential(Layer(2, 3, seed=0), Dropout(0.5, seed=0), BatchNorm1d(3))
    assert all(m.training for m in model.modules())
    assert model.eval() is model
    assert not any(m.training for m in model.modules()) and len(model.modules()) == 7
    model.train()
    assert all(m.training for m in model.modules())
    mlp = MLP(2, [4, 1], activation="tanh", seed=0)
    mlp([1.0, 2.0]).backward()
    assert any(p.grad != 0.0 for p in mlp.parameters())
    mlp.zero_grad()
    assert all(p.grad == 0.0 for p in mlp.parameters())


def test_modules_lists_each_once_parents_first_and_zero_grad_reaches_a_shared_layer():
    shared = Layer(2, 2, seed=1)
    model = Sequential(shared, Layer(2, 2, seed=2), shared)
    found = model.modules()
    assert found[0] is model and found[1] is shared
    assert len(found) == len({id(m) for m in found}) == 1 + 2 + 2 * 2
    assert found.index(shared) < found.index(shared.neurons[0])
    model([1.0, -1.0])[0].backward()
    assert any(p.grad != 0.0 for p in shared.parameters())
    model.zero_grad()
    assert all(p.grad == 0.0 for p in model.parameters())


# Gradients ------------------------------------------------------------------


@given(st.lists(st.floats(-2.0, 2.0), min_size=3, max_size=3), st.integers(0, 1000))
@settings(max_examples=25)
def test_mlp_input_gradients_match_finite_differences(xs, seed):
    model = MLP(3, [4, 3, 1], activation="tanh", seed=seed)
    assert gradcheck(lambda v: model(v), xs)


def test_parameter_gradients_match_finite_differences():
    model = MLP(2, [3, 1], activation="sigmoid", output_activation="tanh", seed=4)
    params = model.parameters()

    def loss_at(values):
        for p, v in zip(params, values):
            p.data = v
        return sum((model(x) - t) ** 2 for x, t in [([1.0, -2.0], 0.5), ([0.3, 0.7], -0.2)])

    start = [p.data for p in params]
    loss = loss_at(start)
    model.zero_grad()
    loss.backward()
    analytic = [p.grad for p in params]
    eps = 1e-6
    for i in range(len(params)):
        up, down = list(start), list(start)
        up[i] += eps
        down[i] -= eps
        numeric = (loss_at(up).data - loss_at(down).data) / (2 * eps)
        assert analytic[i] == pytest.approx(numeric, abs=1e-7)


# PyTorch parity ---------------------------------------------------------------


SAMPLES = [[0.5, -1.2, 2.0], [-0.3, 0.8, 0.1], [1.5, 1.5, -2.5], [0.0, -0.4, 0.9]]
TARGETS = [[1.0, -1.0], [0.5, 0.0], [-0.5, 2.0], [0.0, 0.3]]


@pytest.mark.parametrize("activation", ["relu", "tanh", "sigmoid", "leaky_relu"])
def test_mlp_forward_and_every_parameter_gradient_equal_pytorch(activation):
    torch = pytest.importorskip("torch")
    model = MLP(3, [5, 4, 2], activation=activation, seed=11)
    reference = model.to_torch()
    loss = sum_values(
        (o - t) ** 2 for x, ts in zip(SAMPLES, TARGETS) for o, t in zip(model(x), ts)
    )
    loss.backward()
    x = torch.tensor(SAMPLES, dtype=torch.float64)
    out = reference(x)
    ref_loss = ((out - torch.tensor(TARGETS, dtype=torch.float64)) ** 2).sum()
    ref_loss.backward()
    assert close(loss.data, ref_loss.item())
    for sample, row in zip(SAMPLES, out.tolist()):
        assert all(close(o.data, r) for o, r in zip(model(sample), row))
    linears = [m for m in reference if isinstance(m, torch.nn.Linear)]
    assert len(linears) == 3
    theirs = []
    for linear in linears:
        for j in range(linear.out_features):
            theirs.extend(linear.weight.grad[j].tolist())
            theirs.append(linear.bias.grad[j].item())
    ours = [p.grad for p in model.parameters()]
    assert len(ours) == len(theirs) == 3 * 5 + 5 + 5 * 4 + 4 + 4 * 2 + 2
    assert all(close(a, b) for a, b in zip(ours, theirs))
    assert any(abs(g) > 1e-3 for g in ours)


def test_to_torch_copies_weights_exactly_with_the_activations():
    torch = pytest.importorskip("torch")
    model = MLP(2, [3, 1], activation="leaky_relu", output_activation="sigmoid", seed=1)
    seq = model.to_torch()
    kinds = [type(m).__name__ for m in seq]
    assert kinds == ["Linear", "LeakyReLU", "Linear", "Sigmoid"]
    assert seq[1].negative_slope == 0.01
    assert seq[0].weight.dtype == torch.float64
    assert seq[0].weight.tolist() == [[w.data for w in n.weights] for n in model.layers[0].neurons]
    assert seq[2].bias.tolist() == [model.layers[1].neurons[0].bias.data]
    layer = Layer(2, 2, activation="linear", bias=False, seed=0).to_torch()
    assert [type(m).__name__ for m in layer] == ["Linear"] and layer[0].bias is None


def test_to_torch_without_torch_says_how_to_install_it(monkeypatch):
    monkeypatch.setitem(sys.modules, "torch", None)
    with pytest.raises(ImportError, match="to_torch needs PyTorch: pip install torch"):
        MLP(2, [1], seed=0).to_torch()


def test_softmax_values_and_gradients_equal_pytorch():
    torch = pytest.importorskip("torch")
    for inputs in ([1.0, 2.0, 3.0], [1000.0, 1001.0, 999.0], [-5.0, 0.0, 5.0, 0.5], [7.0]):
        xs = [Value(x) for x in inputs]
        probs = softmax(xs)
        weights = [0.3 * (i + 1) - 0.5 for i in range(len(xs))]
        sum_values(p * w for p, w in zip(probs, weights)).backward()
        t = torch.tensor(inputs, dtype=torch.float64, requires_grad=True)
        ref = torch.softmax(t, dim=0)
        (ref * torch.tensor(weights, dtype=torch.float64)).sum().backward()
        assert all(close(p.data, r) for p, r in zip(probs, ref.tolist()))
        assert all(close(x.grad, g) for x, g in zip(xs, t.grad.tolist()))
    with pytest.raises(ValueError, match="at least one value"):
        softmax([])


@given(st.lists(st.floats(-30.0, 30.0), min_size=1, max_size=6), st.floats(-500.0, 500.0))
def test_softmax_sums_to_one_and_ignores_a_shift(xs, shift):
    probs = [p.data for p in softmax(xs)]
    shifted = [p.data for p in softmax([x + shift for x in xs])]
    assert math.fsum(probs) == pytest.approx(1.0, abs=1e-12)
    assert all(0.0 <= p <= 1.0 for p in probs)
    assert all(a == pytest.approx(b, abs=1e-9) for a, b in zip(probs, shifted))


# Dropout ----------------------------------------------------------------------


@pytest.mark.parametrize("p", [-0.1, 1.0, 1.5, math.nan])
def test_dropout_probability_must_be_in_zero_one(p):
    with pytest.raises(ValueError, match="p must be"):
        Dropout(p)


def test_dropout_is_the_identity_in_eval_and_for_p_zero():
    xs = [Value(float(i)) for i in range(10)]
    drop = Dropout(0.5, seed=0).eval()
    assert all(a is b for a, b in zip(drop(xs), xs))
    assert all(a is b for a, b in zip(Dropout(0.0)(xs), xs))


@pytest.mark.parametrize("p", [0.2, 0.5, 0.8])
def test_dropout_in_training_drops_a_fraction_p_and_scales_by_one_over_one_minus_p(p):
    n = 20_000
    xs = [Value(1.0) for _ in range(n)]
    out = Dropout(p, seed=1)(xs)
    kept = [o.data for o in out if o.data != 0.0]
    assert all(k == 1.0 / (1.0 - p) for k in kept)
    assert (n - len(kept)) / n == pytest.approx(p, abs=0.02)
    assert sum(o.data for o in out) / n == pytest.approx(1.0, abs=0.05)
    sum_values(out).backward()
    assert all(x.grad == (0.0 if o.data == 0.0 else 1.0 / (1.0 - p)) for x, o in zip(xs, out))


def test_dropout_is_reproducible_with_a_seed_and_fresh_each_call():
    def mask(drop):
        return [o.data == 0.0 for o in drop([1.0] * 64)]

    a, b = Dropout(0.5, seed=3), Dropout(0.5, seed=3)
    first = mask(a)
    assert first == mask(b)
    assert mask(a) != first


def test_dropout_statistics_match_pytorch():
    torch = pytest.importorskip("torch")
    p, n = 0.3, 20_000
    torch.manual_seed(0)
    reference = torch.nn.Dropout(p)
    theirs = reference(torch.ones(n, dtype=torch.float64)).tolist()
    ours = [o.data for o in Dropout(p, seed=0)([1.0] * n)]
    assert set(ours) == set(theirs) == {0.0, 1.0 / (1.0 - p)}
    dropped = [sum(1 for v in values if v == 0.0) / n for values in (ours, theirs)]
    assert dropped[0] == pytest.approx(dropped[1], abs=0.02)
    reference.eval()
    assert reference(torch.ones(3, dtype=torch.float64)).tolist() == [1.0, 1.0, 1.0]


# BatchNorm1d ------------------------------------------------------------------


def _batch(rng, n, c):
    return [[rng.uniform(-2, 3) for _ in range(c)] for _ in range(n)]


@pytest.mark.parametrize(("momentum", "affine"), [(0.1, True), (None, True), (0.5, False)])
def test_batchnorm_equals_pytorch_in_train_and_eval(momentum, affine):
    torch = pytest.importorskip("torch")
    rng = random.Random(7)
    n, c = 6, 3
    ours = BatchNorm1d(c, momentum=momentum, affine=affine)
    theirs = torch.nn.BatchNorm1d(c, momentum=momentum, affine=affine, dtype=torch.float64)
    if affine:
        gammas = [rng.uniform(0.5, 2) for _ in range(c)]
        betas = [rng.uniform(-1, 1) for _ in range(c)]
        with torch.no_grad():
            theirs.weight.copy_(torch.tensor(gammas, dtype=torch.float64))
            theirs.bias.copy_(torch.tensor(betas, dtype=torch.float64))
        for g, b, gv, bv in zip(ours.weight, ours.bias, gammas, betas):
            g.data, b.data = gv, bv
    coefficients = [[rng.uniform(-1, 1) for _ in range(c)] for _ in range(n)]

    def step(batch):
        xs = [[Value(v) for v in row] for row in batch]
        out = ours(xs)
        if affine:
            ours.zero_grad()
        terms = (o * k for row, krow in zip(out, coefficients) for o, k in zip(row, krow))
        sum_values(terms).backward()
        t = torch.tensor(batch, dtype=torch.float64, requires_grad=True)
        if affine:
            theirs.zero_grad()
        ref = theirs(t)
        (ref * torch.tensor(coefficients[: len(batch)], dtype=torch.float64)).sum().backward()
        for row, ref_row in zip(out, ref.tolist()):
            assert all(close(o.data, r) for o, r in zip(row, ref_row))
        for row, grad_row in zip(xs, t.grad.tolist()):
            assert all(close(x.grad, g) for x, g in zip(row, grad_row))
        if affine:
            assert all(close(g.grad, r) for g, r in zip(ours.weight, theirs.weight.grad.tolist()))
            assert all(close(b.grad, r) for b, r in zip(ours.bias, theirs.bias.grad.tolist()))
        assert all(close(a, b) for a, b in zip(ours.running_mean, theirs.running_mean.tolist()))
        assert all(close(a, b) for a, b in zip(ours.running_var, theirs.running_var.tolist()))
        assert ours.num_batches_tracked == theirs.num_batches_tracked.item()

    for _ in range(3):
        step(_batch(rng, n, c))
    assert ours.num_batches_tracked == 3 and ours.running_var != [1.0] * c
    ours.eval()
    theirs.eval()
    step(_batch(rng, 4, c))
    assert ours.num_batches_tracked == 3
    single = ours([[0.5, 0.1, -0.2]])  # a batch of one is fine in eval
    assert len(single) == 1 and len(single[0]) == 3


def test_batchnorm_needs_more_than_one_sample_in_training_like_pytorch():
    bn = BatchNorm1d(3)
    with pytest.raises(ValueError, match="more than 1 sample per batch"):
        bn([[1.0, 2.0, 3.0]])
    with pytest.raises(ValueError, match="more than 1 sample"):
        bn([1.0, 2.0, 3.0])  # one sample is a batch of one
    assert bn.num_batches_tracked == 0 and bn.running_mean == [0.0] * 3
    torch = pytest.importorskip("torch")
    with pytest.raises(ValueError, match="more than 1 value per channel"):
        torch.nn.BatchNorm1d(3, dtype=torch.float64)(torch.ones(1, 3, dtype=torch.float64))


def test_batchnorm_rejects_bad_batches_and_arguments():
    bn = BatchNorm1d(2)
    with pytest.raises(ValueError, match="expects 2 features per sample, got 3 in sample 1"):
        bn([[1.0, 2.0], [1.0, 2.0, 3.0]])
    with pytest.raises(ValueError, match="momentum must be in"):
        BatchNorm1d(2, momentum=1.5)
    with pytest.raises(ValueError, match="eps must be zero or positive, got -1e-05"):
        BatchNorm1d(2, eps=-1e-5)
    assert BatchNorm1d(2, affine=False).parameters() == []
    assert len(bn.parameters()) == 4 and bn.parameters()[0] is bn.weight[0]


def test_batchnorm_output_has_zero_mean_unit_variance_per_feature():
    out = BatchNorm1d(2, eps=0.0)([[1.0, 10.0], [2.0, 20.0], [3.0, 60.0], [6.0, 30.0]])
    for c in range(2):
        column = [row[c].data for row in out]
        assert sum(column) == pytest.approx(0.0, abs=1e-12)
        assert sum(v * v for v in column) / 4 == pytest.approx(1.0, abs=1e-12)


# Composition ----------------------------------------------------------------------


def test_sequential_passes_a_batch_through_batchnorm_between_layers():
    first, bn, last = Layer(2, 3, seed=0), BatchNorm1d(3), Layer(3, 1, activation="linear", seed=1)
    model = Sequential(first, bn, last)
    batch = [[1.0, 2.0], [0.5, -1.0], [-2.0, 0.3], [1.5, 1.5]]
    outs = model(batch)
    assert len(outs) == 4 and all(isinstance(o, Value) for o in outs)
    by_hand = [last([v.data for v in row]) for row in BatchNorm1d(3)([first(x) for x in batch])]
    assert [o.data for o in outs] == pytest.approx([o.data for o in by_hand], abs=1e-12)
    assert model[1] is bn and len(model) == 3
    assert model.parameters() == [*first.parameters(), *bn.parameters(), *last.parameters()]
    model.eval()
    assert isinstance(model([1.0, 2.0]), Value)  # one sample, running statistics
    with pytest.raises(TypeError, match="not a Module"):
        Sequential(Layer(2, 2, seed=0), "relu")


def test_perceptron_can_be_an_ensemble_member_but_passes_no_gradient():
    p = Perceptron(1)
    p.weights = [1.0]
    assert p([2.0]).data == 1.0 and p([-2.0]).data == 0.0 and p([2.0]).inputs == ()


def test_ensemble_averages_its_members():
    a, b = MLP(2, [4, 2], activation="tanh", seed=1), MLP(2, [4, 2], activation="tanh", seed=2)
    ensemble = Ensemble([a, b])
    x = [0.3, -0.8]
    out = ensemble(x)
    expected = [(p.data + q.data) / 2 for p, q in zip(a(x), b(x))]
    assert [o.data for o in out] == pytest.approx(expected, abs=1e-15)
    assert ensemble.parameters() == a.parameters() + b.parameters()
    ensemble.zero_grad()
    out[0].backward()
    lone = MLP(2, [4, 2], activation="tanh", seed=1)
    lone(x)[0].backward()
    assert [p.grad for p in a.parameters()] == pytest.approx(
        [p.grad / 2 for p in lone.parameters()], abs=1e-15
    )
    batch = ensemble([x, [1.0, 1.0]])
    assert len(batch) == 2 and [o.data for o in batch[0]] == pytest.approx(expected, abs=1e-15)
    with pytest.raises(ValueError, match="different numbers of outputs"):
        Ensemble([a, MLP(2, [3], seed=0)])(x)
    with pytest.raises(ValueError, match="at least one model"):
        Ensemble([])


def test_ensemble_of_models_with_one_output_gives_one_value():
    models = [MLP(2, [3, 1], seed=s) for s in range(3)]
    out = Ensemble(models)([1.0, -1.0])
    assert isinstance(out, Value)
    assert out.data == pytest.approx(sum(m([1.0, -1.0]).data for m in models) / 3, abs=1e-15)


# Perceptron -------------------------------------------------------------------------


def test_perceptron_rule_by_hand():
    p = Perceptron(2, lr=0.5, seed=0)
    assert p.predict([3.0, 4.0]) == 0  # w.x + b = 0 is not > 0
    assert p.fit([[1.0, 2.0]], [1], epochs=5, shuffle=False) == [1, 0]
    assert p.weights == [0.5, 1.0] and p.bias == 0.5
    assert p.predict([1.0, 2.0]) == 1 and p.predict([-1.0, -2.0]) == 0


def test_perceptron_learns_a_linearly_separable_set():
    rng = random.Random(0)
    X, y = [], []
    while len(X) < 60:
        x = [rng.uniform(-1, 1), rng.uniform(-1, 1)]
        margin = 2 * x[0] - x[1] + 0.3
        if abs(margin) > 0.1:
            X.append(x)
            y.append(1 if margin > 0 else 0)
    p = Perceptron(2, seed=1)
    errors = p.fit(X, y, epochs=200)
    assert errors[-1] == 0 and errors[0] > 0 and len(errors) < 200
    assert [p.predict(x) for x in X] == y


def test_perceptron_never_converges_on_xor():
    X, y = [[0, 0], [0, 1], [1, 0], [1, 1]], [0, 1, 1, 0]
    errors = Perceptron(2, seed=0).fit(X, y, epochs=100)
    assert len(errors) == 100 and min(errors) > 0


def test_perceptron_and_gate_and_bad_input():
    p = Perceptron(2, seed=3)
    errors = p.fit([[0, 0], [0, 1], [1, 0], [1, 1]], [0, 0, 0, 1], epochs=50)
    assert errors[-1] == 0
    assert [p.predict(x) for x in ([0, 0], [0, 1], [1, 0], [1, 1])] == [0, 0, 0, 1]
    with pytest.raises(ValueError, match="needs 0 or 1"):
        p.fit([[0, 0]], [2])
    with pytest.raises(ValueError, match="2 samples but y has 1"):
        p.fit([[0, 0], [1, 1]], [1])
    with pytest.raises(ValueError, match="expects 2 inputs, got 3"):
        p.predict([1, 2, 3])
    with pytest.raises(ValueError, match="lr must be positive"):
        Perceptron(2, lr=0)


# State, save and load ----------------------------------------------------------------


def test_save_load_round_trip_is_bit_exact(tmp_path):
    source, target = MLP(2, [16, 16, 1], seed=1), MLP(2, [16, 16, 1], seed=2)
    source.layers[0].neurons[0].weights[0].data = 0.1 + 0.2  # not a short decimal
    source.layers[2].neurons[0].bias.data = 5e-324
    path = tmp_path / "model.json"
    source.save(path)
    assert numbers_of(source) != numbers_of(target)
    params_before = target.parameters()
    target.load(path)
    assert numbers_of(target) == numbers_of(source)
    assert all(a is b for a, b in zip(target.parameters(), params_before))  # same Values
    document = json.loads(path.read_text())
    assert document["format"] == "autograd_nn model" and document["version"] == 1
    assert document["module"] == "MLP(2, [16, 16, 1], activation='relu')"
    assert document["state"] == source.state_dict()


def test_buffers_and_every_module_kind_round_trip(tmp_path):
    def build(seed):
        bn = BatchNorm1d(3, momentum=None)
        model = Sequential(Layer(2, 3, seed=seed), bn, Dropout(0.2, seed=seed),
                           Ensemble([Neuron(3, seed=seed), Neuron(3, bias=False, seed=seed + 1)]))
        return model, bn

    source, bn = build(1)
    source([[1.0, 2.0], [0.5, 0.1], [3.0, -1.0]])
    source([[0.0, 2.0], [0.7, 0.1]])
    assert bn.num_batches_tracked == 2
    target, target_bn = build(2)
    source.save(tmp_path / "m.json")
    target.load(tmp_path / "m.json")
    assert numbers_of(target) == numbers_of(source)
    assert target_bn.running_var == bn.running_var and target_bn.num_batches_tracked == 2
    perceptron = Perceptron(2)
    perceptron.weights, perceptron.bias = [0.1 + 0.2, -3.5], 1 / 3
    perceptron.save(tmp_path / "p.json")
    other = Perceptron(2)
    other.load(tmp_path / "p.json")
    assert other.weights == perceptron.weights and other.bias == perceptron.bias != 0.0


@given(st.integers(1, 4), st.lists(st.integers(1, 4), min_size=1, max_size=3),
       st.integers(0, 100))
@settings(max_examples=25)
def test_state_dict_round_trips_through_json_exactly(n_inputs, sizes, seed):
    source, target = MLP(n_inputs, sizes, seed=seed), MLP(n_inputs, sizes, seed=seed + 1)
    target.load_state_dict(json.loads(json.dumps(source.state_dict())))
    assert numbers_of(target) == numbers_of(source)


def test_save_is_atomic(tmp_path):
    path = tmp_path / "model.json"
    model = MLP(2, [3, 1], seed=0)
    model.save(path)
    first_inode, first_text = os.stat(path).st_ino, path.read_text()
    model.layers[0].neurons[0].bias.data = 1.5
    model.save(path)
    assert os.stat(path).st_ino != first_inode  # a new file renamed over the old one
    assert path.read_text() != first_text
    assert sorted(os.listdir(tmp_path)) == ["model.json"]
    good = path.read_bytes()
    model.layers[1].neurons[0].weights[2].data = math.nan
    with pytest.raises(ValueError, match=r"cannot save .*layers\[1\]\.neurons\[0\]\.weights\[2\]"):
        model.save(path)
    assert path.read_bytes() == good and sorted(os.listdir(tmp_path)) == ["model.json"]


def _saved(tmp_path):
    path = tmp_path / "model.json"
    MLP(2, [3, 2], seed=1).save(path)
    return path, json.loads(path.read_text())


def _edit(change):
    def apply(document):
        change(document)
        return json.dumps(document)
    return apply


def _last_neuron(document):
    return document["state"]["layers"][1]["neurons"][1]


MALFORMED = {
    "not JSON": (lambda d: "{not json", "not valid JSON"),
    "truncated": (lambda d: json.dumps(d)[:-40], "not valid JSON"),
    "NaN": (lambda d: json.dumps(d).replace(repr(_last_neuron(d)["weights"][2]), "NaN"),
            "NaN is not a finite number"),
    "Infinity": (lambda d: json.dumps(d).replace(repr(_last_neuron(d)["weights"][2]), "-Infinity"),
                 "-Infinity is not a finite number"),
    "overflowing float": (lambda d: json.dumps(d).replace(repr(_last_neuron(d)["weights"][2]),
                                                          "1e999"),
                          r"layers\[1\]\.neurons\[1\]\.weights\[2\]: expected a finite number"),
    "huge int": (lambda d: json.dumps(d).replace(repr(_last_neuron(d)["weights"][2]), "9" * 400),
                 "expected a finite number"),
    "top-level list": (lambda d: "[1, 2]", "not an autograd_nn model file"),
    "wrong format": (_edit(lambda d: d.update(format="pickle")), "not an autograd_nn model file"),
    "wrong version": (_edit(lambda d: d.update(version=2)), "unsupported model file version 2"),
    "no state": (_edit(lambda d: d.pop("state")), "keys format, version, module and state"),
    "extra key": (_edit(lambda d: d.update(extra=1)), "keys format, version, module and state"),
    "other architecture": (_edit(lambda d: d.update(module="MLP(2, [3, 2], activation='tanh')")),
                           r"holds MLP\(2, \[3, 2\], activation='tanh'\), but this model is"),
    "missing key": (_edit(lambda d: _last_neuron(d).pop("bias")),
                    r"layers\[1\]\.neurons\[1\]: missing key\(s\) \['bias'\]"),
    "unexpected key": (_edit(lambda d: _last_neuron(d).update(gain=1.0)),
                       r"layers\[1\]\.neurons\[1\]: unexpected key\(s\) \['gain'\]"),
    "too many weights": (_edit(lambda d: _last_neuron(d)["weights"].append(0.5)),
                         r"neurons\[1\]\.weights: expected a list of 3 entries, got 4"),
    "too few neurons": (_edit(lambda d: d["state"]["layers"][1]["neurons"].pop()),
                        r"layers\[1\]\.neurons: expected a list of 2 entries, got 1"),
    "string": (_edit(lambda d: _last_neuron(d).update(bias="0.5")),
               "bias: expected a number, got the string '0.5'"),
    "boolean": (_edit(lambda d: _last_neuron(d)["weights"].__setitem__(2, True)),
                "expected a number, got the boolean True"),
    "null": (_edit(lambda d: _last_neuron(d)["weights"].__setitem__(2, None)),
             "expected a number, got null"),
    "list for a number": (_edit(lambda d: _last_neuron(d).update(bias=[0.5])),
                          "expected a number, got a list of 1 entries"),
    "list for an object": (_edit(lambda d: d["state"]["layers"].__setitem__(1, [])),
                           r"layers\[1\]: expected an object"),
    "state not an object": (_edit(lambda d: d.update(state=[])), "the state: expected an object"),
    "duplicate key": (lambda d: json.dumps(d)[:-1] + ', "version": 1}', "duplicate key 'version'"),
    "nested too deeply": (lambda d: "[" * 200_000 + "]" * 200_000, "not a model file"),
}


@pytest.mark.parametrize("case", sorted(MALFORMED))
def test_malformed_files_are_rejected_and_change_nothing(tmp_path, case):
    make_text, message = MALFORMED[case]
    path, document = _saved(tmp_path)
    path.write_text(make_text(document))
    model = MLP(2, [3, 2], seed=2)
    before = numbers_of(model)
    with pytest.raises(ValueError, match=message):
        model.load(path)
    assert numbers_of(model) == before


def test_non_utf8_and_missing_files(tmp_path):
    model = MLP(2, [3], seed=0)
    before = numbers_of(model)
    path = tmp_path / "binary.json"
    path.write_bytes(b"\xff\xfe\x00garbage")
    with pytest.raises(ValueError, match="not a UTF-8 text file"):
        model.load(path)
    with pytest.raises(FileNotFoundError):
        model.load(tmp_path / "absent.json")
    assert numbers_of(model) == before


def test_load_state_dict_checks_shapes_and_values_before_assigning():
    model = MLP(2, [3, 2], seed=0)
    before = numbers_of(model)
    with pytest.raises(ValueError, match="layers: expected a list of 2 entries, got 3"):
        model.load_state_dict(MLP(2, [3, 2, 1], seed=1).state_dict())
    with pytest.raises(ValueError, match="the state: expected an object"):
        model.load_state_dict([1.0])
    bn = Sequential(Layer(2, 2, seed=0), BatchNorm1d(2))
    state = bn.state_dict()
    state["layers"][1]["running_var"][1] = -0.5
    state["layers"][0]["neurons"][0]["bias"] = 9.0
    with pytest.raises(ValueError, match=r"layers\[1\]\.running_var\[1\]: a variance cannot be"):
        bn.load_state_dict(state)
    state["layers"][1]["running_var"][1] = 0.5
    state["layers"][1]["num_batches_tracked"] = 1.5
    with pytest.raises(ValueError, match="num_batches_tracked: expected a whole number"):
        bn.load_state_dict(state)
    assert numbers_of(model) == before and bn[0].neurons[0].bias.data == 0.0


def test_module_base_class():
    class Scale(Module):
        def forward(self, sample):
            return [x * 2 for x in sample]

    assert Scale()([1.0, 2.0])[1].data == 4.0
    assert Scale().parameters() == [] and Scale().state_dict() == {}
    with pytest.raises(TypeError, match="does not transform a sample"):
        Module()([1.0])
    assert Scale().input_size() is None and Scale().neuron_layers() == []


def test_input_size_is_what_a_sample_must_have():
    assert MLP(3, [4, 1], seed=0).input_size() == 3
    assert Layer(2, 5, seed=0).input_size() == 2
    assert Neuron(4, seed=0).input_size() == 4
    assert Perceptron(6).input_size() == 6
    assert BatchNorm1d(3).input_size() == 3
    assert Dropout().input_size() is None  # takes any number of inputs
    assert Sequential(Layer(2, 3, seed=0), BatchNorm1d(3)).input_size() == 2
    assert Sequential(BatchNorm1d(5), Layer(5, 1, seed=0)).input_size() == 5
    assert Ensemble([MLP(7, [2], seed=0), MLP(7, [2], seed=1)]).input_size() == 7


def test_neuron_layers_lists_the_neurons_of_each_layer_in_order():
    model = MLP(2, [3, 1], seed=0)
    assert model.neuron_layers() == [model.layers[0].neurons, model.layers[1].neurons]
    neuron, layer = Neuron(2, seed=0), Layer(2, 4, seed=0)
    assert neuron.neuron_layers() == [[neuron]]
    assert layer.neuron_layers() == [layer.neurons]
    first, last = Layer(2, 3, seed=0), Layer(3, 1, seed=1)
    stacked = Sequential(first, BatchNorm1d(3), Dropout(0.1), last)
    assert stacked.neuron_layers() == [first.neurons, last.neurons]
    members = [Neuron(2, seed=0), Neuron(2, seed=1)]
    assert Ensemble(members).neuron_layers() == [[members[0]], [members[1]]]
    assert Perceptron(2).neuron_layers() == [] and Dropout().neuron_layers() == []


@pytest.mark.parametrize("activation", ["linear", "relu", "leaky_relu", "tanh", "sigmoid"])
def test_no_grad_evaluation_equals_the_recorded_graph_bit_for_bit(activation):
    from autograd_nn import no_grad

    model = MLP(3, [5, 4, 2], activation=activation, output_activation=activation, seed=7)
    samples = [[0.3, -1.2, 2.5], [-0.7, 0.0, 1e-3], [4.0, -4.0, 0.5]]
    recorded = [[v.data for v in model(x)] for x in samples]
    with no_grad():
        evaluated = [model(x) for x in samples]
        single = model.layers[0].neurons[2](samples[0])
    assert [[v.data for v in out] for out in evaluated] == recorded
    assert all(v.inputs == () for out in evaluated for v in out)
    assert single.data == model.layers[0].neurons[2](samples[0]).data
    assert model.evaluate(samples[1]) == recorded[1]


def test_numbers_fed_to_a_model_are_constants():
    """Data is not a parameter: the sample's numbers get no gradient, as in PyTorch."""
    model = MLP(2, [3, 1], seed=0)
    out = model([0.5, -1.0])
    out.backward()
    inputs = [n for n in topological_sort(out) if n.label in ("x1", "x2")]
    assert len(inputs) == 2 and all(not x.requires_grad and x.grad == 0.0 for x in inputs)
    assert all(p.requires_grad for p in model.parameters())
    assert any(p.grad != 0.0 for p in model.parameters())
