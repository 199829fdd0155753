"""The lectures' worked examples: their numbers, gradients and chain-rule paths."""

import math

import pytest

from autograd_nn import Value, gradcheck, numerical_grad, topological_sort
from autograd_nn.examples import EXAMPLES, Example, Worked, example


def test_registry():
    assert list(EXAMPLES) == ["xyz", "sigmoid", "sin", "network", "mlp"]
    for name, entry in EXAMPLES.items():
        assert isinstance(entry, Example) and entry.name == name and entry.title
        worked = entry()
        assert isinstance(worked, Worked) and isinstance(worked.output, Value)
        assert worked.params and all(p in topological_sort(worked.output) for p in worked.params)
        assert all(worked[label].label == label for label in worked)
    with pytest.raises(ValueError, match="unknown example 'nope'; known examples: xyz, "):
        example("nope")
    with pytest.raises(KeyError):  # like an unknown op: a ValueError and a KeyError
        example("nope")


def test_each_call_builds_a_fresh_graph():
    first, second = EXAMPLES["xyz"](), EXAMPLES["xyz"]()
    first.output.backward()
    assert first["x"].grad == -4.0 and second["x"].grad == 0.0


def test_xyz_is_the_lecture_example():
    worked = EXAMPLES["xyz"]()
    assert list(worked) == ["x", "y", "f", "z", "g"]
    assert [worked[n].data for n in "xyzfg"] == [3.0, -4.0, 2.0, -12.0, -10.0]
    worked.output.backward()
    assert [worked[n].grad for n in "xyz"] == [-4.0, 3.0, 1.0]


def test_sigmoid_neuron():
    worked = EXAMPLES["sigmoid"]()
    assert worked["u"].data == 1.0
    assert worked.output.data == pytest.approx(1 / (1 + math.exp(-1)), abs=1e-15)
    assert worked["u"].op == "sum" and worked.output.op == "sigmoid"
    worked.output.backward()
    s = worked.output.data
    assert worked["w1"].grad == pytest.approx(-s * (1 - s), rel=1e-15)
    assert [p.label for p in worked.params] == ["w1", "w2", "b"]


def test_sine_of_a_square():
    worked = EXAMPLES["sin"]()
    worked.output.backward()
    x = worked["x"].data
    assert worked.output.data == math.sin(x**2 + 5)
    assert worked["x"].grad == pytest.approx(math.cos(x**2 + 5) * 2 * x, rel=1e-14)
    assert gradcheck(lambda v: (v[0] ** 2 + 5).sin(), [x])


def network_loss(ws, names, fixed):
    """The example's loss rebuilt independently, parameters `ws` named `names`."""
    v = {**{k: Value(x) for k, x in fixed.items()}, **dict(zip(names, ws))}
    s1 = (v["w11"] * v["x1"] + v["w21"] * v["x2"]).sigmoid()
    s2 = (v["w12"] * v["x1"] + v["w22"] * v["x2"]).sigmoid()
    out = (v["v1"] * s1 + v["v2"] * s2).sigmoid()
    return (v["t"] - out) ** 2


def test_network_gradients_match_finite_differences():
    worked = EXAMPLES["network"]()
    names = [p.label for p in worked.params]
    assert names == ["w11", "w21", "w12", "w22", "v1", "v2"]
    fixed = {k: worked[k].data for k in ("x1", "x2", "t")}
    xs = [p.data for p in worked.params]
    worked.output.backward()
    assert network_loss([Value(x) for x in xs], names, fixed).data == worked.output.data
    numeric = numerical_grad(lambda ws: network_loss(ws, names, fixed), xs)
    for param, estimate in zip(worked.params, numeric):
        assert param.grad == pytest.approx(estimate, rel=1e-6, abs=1e-9)


def test_network_matches_pytorch():
    torch = pytest.importorskip("torch")
    worked = EXAMPLES["network"]()
    worked.output.backward()
    t = {k: torch.tensor(v.data, dtype=torch.float64, requires_grad=v.requires_grad)
         for k, v in worked.items() if not v.inputs}
    s1 = torch.sigmoid(t["w11"] * t["x1"] + t["w21"] * t["x2"])
    s2 = torch.sigmoid(t["w12"] * t["x1"] + t["w22"] * t["x2"])
    loss = (t["t"] - torch.sigmoid(t["v1"] * s1 + t["v2"] * s2)) ** 2
    loss.backward()
    assert worked.output.data == pytest.approx(loss.item(), rel=1e-15)
    for name, tensor in t.items():
        if tensor.grad is None:  # data and target: constants, as in PyTorch
            assert name in ("x1", "x2", "t") and worked[name].grad == 0.0
        else:
            assert worked[name].grad == pytest.approx(tensor.grad.item(), rel=1e-12, abs=1e-15)
    assert sum(tensor.grad is None for tensor in t.values()) == 3


def test_data_and_targets_are_constants_and_no_variable_is_e():
    for name, entry in EXAMPLES.items():
        worked = entry()
        assert "e" not in worked, name  # would read as Euler's number in e^2
        constants = {label for label, value in worked.items() if not value.requires_grad}
        assert constants == ({"x1", "x2", "t"} if name in ("network", "mlp") else set()), name
        assert not constants & {p.label for p in worked.params}
        worked.output.backward()
        assert all(worked[label].grad == 0.0 for label in constants)
    xyz = EXAMPLES["xyz"]()
    assert all(xyz[n].requires_grad for n in "xyz")  # the lecture steps x, y, z themselves


def test_network_paths_are_the_lectures():
    worked = EXAMPLES["network"]()
    assert worked.paths == [("L", "u1", "w11"), ("L", "σ", "y", "σ1", "u1")]
    worked.output.backward()
    w11, u1 = worked.chains()
    assert w11.value == pytest.approx(worked["w11"].grad, rel=1e-14)
    assert u1.value == pytest.approx(worked["u1"].grad, rel=1e-14)
    assert w11.nodes == (worked["L"], worked["u1"], worked["w11"])


def test_mlp_example_comes_with_its_model():
    from autograd_nn.nn import MLP

    worked = EXAMPLES["mlp"]()
    assert isinstance(worked.model, MLP)
    assert worked.params == worked.model.parameters()
    assert worked["L"] is worked.output and worked["err"].inputs[1] is worked["out"]
    assert [worked[n].requires_grad for n in ("x1", "x2", "t")] == [False] * 3
    again = EXAMPLES["mlp"]()
    assert [p.data for p in again.params] == [p.data for p in worked.params]  # seeded
    worked.output.backward()
    xs = [p.data for p in worked.params]

    def loss(ws):
        """The same network with the parameters' values taken from ws."""
        model = MLP(2, [3, 1], activation="tanh", seed=1)
        for p, w in zip(model.parameters(), ws):
            p.data = w.data
        return (1.0 - model([0.5, -1.5])) ** 2

    numeric = numerical_grad(loss, xs)
    for p, estimate in zip(worked.params, numeric):
        assert p.grad == pytest.approx(estimate, rel=1e-5, abs=1e-8)
