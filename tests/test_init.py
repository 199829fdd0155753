"""Weight initialisation: the lectures' formulas, statistics, defaults, seeding."""

import math
import random
import statistics

import pytest
from hypothesis import given
from hypothesis import strategies as st

from autograd_nn import init
from autograd_nn.nn import Layer, Neuron

FAN_IN, FAN_OUT = 100, 200  # a 200x100 layer: 200 neurons of 100 inputs

EXPECTED_STD = {
    "glorot_normal": math.sqrt(2 / (FAN_IN + FAN_OUT)),
    "glorot_uniform": math.sqrt(2 / (FAN_IN + FAN_OUT)),
    "he_normal": math.sqrt(2 / FAN_IN),
    "he_uniform": math.sqrt(2 / FAN_IN),
    "normal": 1.0,
    "uniform": 1 / math.sqrt(3),
}
UNIFORM_BOUND = {
    "glorot_uniform": math.sqrt(6 / (FAN_IN + FAN_OUT)),
    "he_uniform": math.sqrt(6 / FAN_IN),
    "uniform": 1.0,
}


def layer_weights(layer):
    return [w.data for neuron in layer.neurons for w in neuron.weights]


@pytest.mark.parametrize("name", sorted(EXPECTED_STD))
def test_layer_weights_have_the_formula_std(name):
    weights = layer_weights(Layer(FAN_IN, FAN_OUT, init=name, seed=1))
    assert len(weights) == 20_000
    assert statistics.pstdev(weights) == pytest.approx(EXPECTED_STD[name], rel=0.05)
    assert abs(statistics.fmean(weights)) < 0.05 * EXPECTED_STD[name]


@pytest.mark.parametrize("name", sorted(UNIFORM_BOUND))
def test_uniform_schemes_respect_their_bound_and_reach_it(name):
    bound = UNIFORM_BOUND[name]
    weights = layer_weights(Layer(FAN_IN, FAN_OUT, init=name, seed=2))
    assert max(abs(w) for w in weights) <= bound
    assert max(weights) > 0.99 * bound and min(weights) < -0.99 * bound


def test_zeros_are_all_zero_and_biases_start_at_zero():
    layer = Layer(FAN_IN, 20, init="zeros", seed=0)
    assert all(w == 0.0 for w in layer_weights(layer))
    for name in EXPECTED_STD:
        layer = Layer(3, 4, init=name, seed=0)
        assert all(n.bias.data == 0.0 for n in layer.neurons)


def test_std_helpers_are_the_lectures_formulas():
    assert init.glorot_std(100, 200) == math.sqrt(2 / 300)
    assert init.he_std(100) == math.sqrt(2 / 100)


def test_normal_and_uniform_take_their_parameter():
    rng = random.Random(3)
    draws = [init.normal(0.1)(5, 5, rng) for _ in range(20_000)]
    assert statistics.pstdev(draws) == pytest.approx(0.1, rel=0.05)
    draws = [init.uniform(0.3)(5, 5, rng) for _ in range(20_000)]
    assert max(abs(d) for d in draws) <= 0.3 and max(draws) > 0.29
    assert statistics.pstdev(draws) == pytest.approx(0.3 / math.sqrt(3), rel=0.05)
    assert init.normal(0.1).__name__ == "normal(std=0.1)"


@pytest.mark.parametrize(
    ("bad", "fact"),
    [(0, "positive, got 0.0"), (-1.0, "positive, got -1.0"), (math.inf, "finite, got inf"),
     (math.nan, "finite, got nan")],
)
def test_normal_and_uniform_reject_bad_parameters(bad, fact):
    with pytest.raises(ValueError, match=f"std must be {fact}"):
        init.normal(bad)
    with pytest.raises(ValueError, match=f"a must be {fact}"):
        init.uniform(bad)
    with pytest.raises(TypeError, match="std must be a number"):
        init.normal("0.1")


def test_get_by_name_or_function_and_unknown_names_are_listed():
    assert init.get("he_normal") is init.he_normal
    assert init.get(init.zeros) is init.zeros
    assert set(init.INITIALISERS) == {
        "zeros", "normal", "uniform", "glorot_uniform", "glorot_normal", "he_uniform",
        "he_normal",
    }
    with pytest.raises(ValueError, match=r"unknown initialiser 'xavier'; known: zeros, .*he_"):
        init.get("xavier")
    with pytest.raises(TypeError, match="init must be a name"):
        init.get(3)
    with pytest.raises(TypeError, match=r"pass init.normal\(...\) or the name 'normal'"):
        Layer(2, 2, init=init.normal)


def test_defaults_per_activation():
    assert init.for_activation("relu") is init.he_normal
    assert init.for_activation("leaky_relu") is init.he_normal
    for activation in ("tanh", "sigmoid", "linear"):
        assert init.for_activation(activation) is init.glorot_normal
    with pytest.raises(ValueError, match="unknown activation 'elu'"):
        init.for_activation("elu")
    relu = layer_weights(Layer(FAN_IN, FAN_OUT, activation="relu", seed=4))
    tanh = layer_weights(Layer(FAN_IN, FAN_OUT, activation="tanh", seed=4))
    assert statistics.pstdev(relu) == pytest.approx(EXPECTED_STD["he_normal"], rel=0.05)
    assert statistics.pstdev(tanh) == pytest.approx(EXPECTED_STD["glorot_normal"], rel=0.05)


def test_a_custom_initialiser_gets_fan_in_fan_out_and_the_rng():
    calls = []

    def scheme(fan_in, fan_out, rng):
        calls.append((fan_in, fan_out, type(rng)))
        return fan_in + fan_out / 1000

    layer = Layer(3, 2, init=scheme, seed=0)
    assert calls == [(3, 2, random.Random)] * 6
    assert layer_weights(layer) == [3.002] * 6
    assert Neuron(4, init=scheme).weights[0].data == 4.001  # a lone neuron: fan_out 1

    def bad(fan_in, fan_out, rng):
        return math.nan

    with pytest.raises(ValueError, match="initialiser bad returned nan, not a finite number"):
        Layer(2, 2, init=bad, seed=0)


def test_seeding_is_reproducible_and_leaves_the_global_random_state_alone():
    random.seed(123)
    before = random.getstate()
    a = layer_weights(Layer(10, 10, init="glorot_uniform", seed=7))
    b = layer_weights(Layer(10, 10, init="glorot_uniform", seed=7))
    c = layer_weights(Layer(10, 10, init="glorot_uniform", seed=8))
    fresh = [layer_weights(Layer(10, 10, init="he_normal")) for _ in range(2)]
    assert random.getstate() == before
    assert a == b and a != c and fresh[0] != fresh[1]


@given(st.integers(1, 50), st.integers(1, 50), st.integers(0, 2**32))
def test_draws_stay_within_uniform_bounds_for_any_fans(fan_in, fan_out, seed):
    rng = random.Random(seed)
    glorot = math.sqrt(6 / (fan_in + fan_out))
    he = math.sqrt(6 / fan_in)
    for _ in range(20):
        assert abs(init.glorot_uniform(fan_in, fan_out, rng)) <= glorot
        assert abs(init.he_uniform(fan_in, fan_out, rng)) <= he


# PyTorch: the same schemes are xavier_*_(gain=1) and kaiming_*_(nonlinearity="relu").

def _torch_weights(scheme):
    torch = pytest.importorskip("torch")
    torch.manual_seed(0)
    w = torch.empty(FAN_OUT, FAN_IN, dtype=torch.float64)
    if scheme == "glorot_normal":
        torch.nn.init.xavier_normal_(w, gain=1.0)
    elif scheme == "glorot_uniform":
        torch.nn.init.xavier_uniform_(w, gain=1.0)
    elif scheme == "he_normal":
        torch.nn.init.kaiming_normal_(w, nonlinearity="relu")
    else:
        torch.nn.init.kaiming_uniform_(w, nonlinearity="relu")
    return w.flatten().tolist()


@pytest.mark.parametrize("scheme", ["glorot_normal", "glorot_uniform", "he_normal", "he_uniform"])
def test_same_spread_as_pytorch(scheme):
    theirs = _torch_weights(scheme)
    ours = layer_weights(Layer(FAN_IN, FAN_OUT, init=scheme, seed=5))
    assert statistics.pstdev(ours) == pytest.approx(statistics.pstdev(theirs), rel=0.05)
    if scheme in UNIFORM_BOUND:
        bound = UNIFORM_BOUND[scheme]
        assert max(abs(w) for w in theirs) <= bound + 1e-12
        assert max(abs(w) for w in theirs) > 0.99 * bound
