"""CONTRIBUTING's "add an activation" recipe stays true: one record is the whole change.

Also the contract the rest of the library relies on: every activation is one
`Activation` record in `ACTIVATION_TABLE`, and everything else (the name
views, the default initialisers, the PyTorch export, the op node a drawing
looks for) is read from it.
"""

import math

import pytest

from autograd_nn import Value, gradcheck, init, no_grad
from autograd_nn.checks import UnknownNameError
from autograd_nn.nn import (
    ACTIVATION_TABLE,
    ACTIVATIONS,
    FLOAT_ACTIVATIONS,
    MLP,
    Activation,
    Layer,
    Neuron,
    activation_named,
)
from autograd_nn.ops import OPS

SAMPLES = [[0.3, -1.2], [-0.7, 0.0], [4.0, -4.0], [1e-3, 2.5]]


@pytest.fixture
def activation_table():
    """The registry, restored to its built-in records after the test."""
    saved = dict(ACTIVATION_TABLE)
    yield ACTIVATION_TABLE
    ACTIVATION_TABLE.clear()
    ACTIVATION_TABLE.update(saved)


def _weights(module):
    return [w.data for neurons in module.neuron_layers() for n in neurons for w in n.weights]


def test_adding_an_activation_is_one_record(activation_table, tmp_path):
    # The whole change: one record, built from an op already in the table.
    activation_table["sin"] = Activation.from_op(
        "sin", "sin", torch_class=None, default_init="glorot_uniform"
    )

    # Neuron, Layer and MLP accept it by name; it records the op's node.
    neuron = Neuron(2, activation="sin", seed=0)
    out = neuron([0.5, -1.0])
    assert out.op == "sin" and out.inputs[0].op == "sum"
    z = neuron.weights[0].data * 0.5 - neuron.weights[1].data + neuron.bias.data
    assert out.data == math.sin(z)
    assert len(Layer(2, 3, activation="sin", seed=0)([0.5, -1.0])) == 3
    model = MLP(2, [4, 3], activation="sin", output_activation="sin", seed=1)
    assert repr(model) == "MLP(2, [4, 3], activation='sin', output_activation='sin')"

    # Gradients flow through it (the op table's derivative), checked numerically.
    assert gradcheck(lambda xs: MLP(2, [3, 1], activation="sin", seed=2)(xs), [0.4, -0.9])

    # no_grad evaluation (the float path) equals the recorded graph bit for bit.
    recorded = [[v.data for v in model(x)] for x in SAMPLES]
    with no_grad():
        evaluated = [[v.data for v in model(x)] for x in SAMPLES]
    assert evaluated == recorded == [model.evaluate(x) for x in SAMPLES]

    # Its default initialiser is the one the record names.
    assert init.for_activation("sin") is init.glorot_uniform
    assert init.DEFAULT_FOR_ACTIVATION["sin"] == "glorot_uniform"
    assert _weights(Layer(8, 8, activation="sin", seed=3)) == _weights(
        Layer(8, 8, activation="tanh", init="glorot_uniform", seed=3)
    )

    # The name views and the drawings' look-up see it.
    assert ACTIVATIONS["sin"](Value(0.5)).op == "sin"
    assert FLOAT_ACTIVATIONS["sin"](0.5) == math.sin(0.5)
    assert "sin" in ACTIVATIONS and activation_named("sin").op == "sin"

    # Save and load round-trip, and a model of another activation is refused.
    path = tmp_path / "sin.json"
    model.save(path)
    twin = MLP(2, [4, 3], activation="sin", output_activation="sin", seed=9)
    twin.load(path)
    assert twin.state_dict() == model.state_dict()
    with pytest.raises(ValueError, match="but this model is"):
        MLP(2, [4, 3], activation="tanh", output_activation="sin", seed=9).load(path)

    # No PyTorch twin was named, so the export says so instead of dropping it.
    with pytest.raises(ValueError, match="activation 'sin' has no PyTorch module"):
        activation_named("sin").torch_modules(torch=None)


def test_the_registry_is_restored_after_the_recipe():
    assert "sin" not in ACTIVATION_TABLE
    assert set(ACTIVATIONS) == {"linear", "relu", "leaky_relu", "tanh", "sigmoid"}


def test_every_record_is_filed_under_its_name_and_names_real_things():
    for name, record in ACTIVATION_TABLE.items():
        assert record.name == name
        assert record.op is None or record.op in OPS
        assert record.default_init in init.INITIALISERS
    assert activation_named("linear").op is None  # linear adds no op node


@pytest.mark.parametrize("name", sorted(ACTIVATION_TABLE))
def test_the_recorded_node_is_the_records_op(name):
    # What viz relies on: a neuron's output node is its activation's op, or
    # the sum itself when the activation adds none.
    record = activation_named(name)
    out = Neuron(2, activation=name, seed=0)([0.5, -1.0])
    assert out.op == (record.op or "sum")
    summed = out.inputs[0] if record.op else out
    assert record.evaluate(summed.data) == FLOAT_ACTIVATIONS[name](summed.data) == out.data


def test_unknown_activation_names_are_listed():
    with pytest.raises(UnknownNameError, match="unknown activation 'elu'; known: linear, relu"):
        activation_named("elu")
    with pytest.raises(ValueError):
        activation_named(3)
    with pytest.raises(KeyError):
        activation_named("softmax")


def test_a_record_naming_something_unknown_is_refused_when_made():
    with pytest.raises(UnknownNameError, match="no op named 'elu'"):
        Activation.from_op("elu", "elu", torch_class="ELU", default_init="he_normal")
    with pytest.raises(UnknownNameError, match="unknown initialiser 'kaiming'"):
        Activation.from_op("sin", "sin", torch_class=None, default_init="kaiming")


def test_the_views_are_read_only_and_follow_the_table():
    assert list(ACTIVATIONS) == list(ACTIVATION_TABLE) == list(init.DEFAULT_FOR_ACTIVATION)
    assert len(FLOAT_ACTIVATIONS) == len(ACTIVATION_TABLE)
    with pytest.raises(TypeError):
        ACTIVATIONS["sin"] = Value.sin
    assert "linear" in repr(ACTIVATIONS)


@pytest.mark.parametrize("name", sorted(ACTIVATION_TABLE))
def test_the_torch_export_is_the_records_class(name):
    pytest.importorskip("torch")
    record = activation_named(name)
    kinds = [type(m).__name__ for m in Layer(2, 2, activation=name, seed=0).to_torch()]
    assert kinds == ["Linear"] + ([record.torch_class] if record.op else [])
