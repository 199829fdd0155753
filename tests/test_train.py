"""The fit loop: it learns the toy sets, records its history, rejects bad input."""

import json
import math

import pytest

from autograd_nn import losses, optim, train
from autograd_nn.data import make_blobs, make_moons, train_test_split
from autograd_nn.nn import MLP
from autograd_nn.optim import OPTIMIZERS, SGD, StepLR
from autograd_nn.train import History, accuracy, fit, layer_grad_norms, predict


@pytest.fixture(scope="module")
def moons():
    return make_moons(100, noise=0.1, seed=0)


def test_mlp_learns_moons_with_the_default_settings(moons):
    # Defaults: Adam, lr 0.02, batches of 20, logistic loss on the single output.
    X, y = moons
    model = MLP(2, [16, 16, 1], seed=0)
    history = fit(model, X, y, epochs=40, seed=0)
    assert history.train_accuracy[-1] >= 0.95
    assert history.train_loss[-1] < history.train_loss[0] / 4
    assert accuracy(model, X, y) == history.train_accuracy[-1]


def test_history_records_each_epoch_with_a_test_set(moons):
    X, y = moons
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.3, seed=0)
    model = MLP(2, [4, 1], seed=1)
    history = fit(model, X_train, y_train, epochs=3, X_test=X_test, y_test=y_test, seed=0)
    assert history.epochs == 3
    for series in (history.train_loss, history.test_loss, history.train_accuracy,
                   history.test_accuracy, history.lr, history.grad_norms):
        assert len(series) == 3
    assert history.lr == [0.02] * 3
    assert all(len(norms) == 2 and all(n >= 0 for n in norms) for norms in history.grad_norms)
    assert json.loads(history.to_json())["test_loss"] == history.test_loss
    assert isinstance(history, History)


def test_seeded_fits_are_reproducible(moons):
    X, y = moons
    runs = [fit(MLP(2, [4, 1], seed=2), X, y, epochs=2, seed=5).train_loss for _ in range(2)]
    assert runs[0] == runs[1]


def test_hinge_loss_takes_zero_one_labels(moons):
    X, y = moons
    model = MLP(2, [16, 16, 1], seed=0)
    history = fit(model, X, y, loss="hinge", epochs=15, seed=0)
    assert history.train_accuracy[-1] >= 0.85
    assert history.train_loss[-1] < history.train_loss[0]


def test_multiclass_blobs_with_cross_entropy():
    X, y = make_blobs(90, noise=0.4, seed=0, centers=3)
    model = MLP(2, [8, 3], seed=0)
    history = fit(model, X, y, epochs=15, seed=0)
    assert history.train_accuracy[-1] >= 0.95
    assert set(predict(model, X)) == {0, 1, 2}


def test_regression_with_mse_records_no_accuracy():
    X = [[x / 10] for x in range(-10, 11)]
    y = [2 * x[0] + 1 for x in X]
    model = MLP(1, [1], activation="linear", seed=0)
    history = fit(model, X, y, loss="mse", optimizer=SGD(model.parameters(), lr=0.3),
                  epochs=60, batch_size=None)
    assert history.train_accuracy == []
    w, b = model.parameters()
    assert (w.data, b.data) == pytest.approx((2.0, 1.0), abs=1e-3)


def test_scheduler_and_l2(moons):
    X, y = moons
    model = MLP(2, [4, 1], seed=0)
    opt = SGD(model.parameters(), lr=0.1)
    history = fit(model, X, y, optimizer=opt, scheduler=StepLR(opt, step_size=2, gamma=0.5),
                  epochs=5)
    assert history.lr == [0.1, 0.1, 0.05, 0.05, 0.025]
    plain, decayed = MLP(2, [4, 1], seed=0), MLP(2, [4, 1], seed=0)
    fit(plain, X, y, epochs=5, seed=0)
    fit(decayed, X, y, epochs=5, seed=0, l2=0.05)
    size = lambda m: sum(p.data**2 for p in m.parameters())  # noqa: E731
    assert size(decayed) < size(plain)


@pytest.mark.parametrize(("name", "rate"), [("sgd", 0.1), ("adam", 0.02), ("adamw", 0.02)])
def test_optimizers_by_name_use_their_class_fit_lr(moons, name, rate):
    X, y = moons
    history = fit(MLP(2, [4, 1], seed=0), X, y, optimizer=name, epochs=2, seed=0)
    assert history.lr == [rate, rate] == [OPTIMIZERS[name].fit_lr] * 2
    assert history.train_loss[-1] < history.train_loss[0]


def test_registries_are_importable_from_their_modules_and_from_train():
    assert train.OPTIMIZERS is optim.OPTIMIZERS and train.LOSSES is losses.LOSSES
    assert set(losses.LOSSES) == {"bce_with_logits", "cross_entropy", "hinge", "mse", "mae",
                                  "huber"}


def test_layer_grad_norms_are_each_layers_gradient_norm():
    model = MLP(2, [3, 2, 1], seed=0)
    for i, p in enumerate(model.parameters()):
        p.grad = float(i % 4) - 1.5
    expected = [math.sqrt(math.fsum(p.grad**2 for p in layer.parameters()))
                for layer in model.layers]
    assert layer_grad_norms(model) == expected
    assert len(expected) == 3


def test_progress_bar_on_request(moons, capsys):
    X, y = moons
    fit(MLP(2, [2, 1], seed=0), X[:10], y[:10], epochs=2, progress=True)
    err = capsys.readouterr().err
    assert "2/2" in err and "epoch" in err
    fit(MLP(2, [2, 1], seed=0), X[:10], y[:10], epochs=2, progress=False)
    assert capsys.readouterr().err == ""


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"loss": "nope"}, "unknown loss 'nope'"),
        ({"optimizer": "nope"}, "unknown optimizer 'nope'"),
        ({"epochs": -1}, "epochs must be at least 0, got -1"),
        ({"batch_size": 0}, "batch_size must be at least 1, got 0"),
        ({"l2": -0.1}, "l2 must be zero or positive, got -0.1"),
        ({"X_test": [[0.0, 0.0]]}, "give both X_test and y_test"),
        ({"X_test": [[0.0, 0.0]], "y_test": []}, "test set: 1 samples but 0 labels"),
    ],
)
def test_bad_arguments(moons, kwargs, message):
    X, y = moons
    with pytest.raises(ValueError, match=message):
        fit(MLP(2, [2, 1], seed=0), X, y, **kwargs)


def test_bad_data_and_lr_with_a_built_optimizer():
    model = MLP(2, [2, 1], seed=0)
    with pytest.raises(ValueError, match="training set: 2 samples but 1 labels"):
        fit(model, [[0.0, 0.0], [1.0, 1.0]], [0])
    with pytest.raises(ValueError, match="training set: no samples"):
        fit(model, [], [])
    with pytest.raises(ValueError, match="pass lr to the optimizer"):
        fit(model, [[0.0, 0.0]], [0], optimizer=SGD(model.parameters(), lr=0.1), lr=0.5)


@pytest.mark.parametrize(
    ("sizes", "y", "y_test", "words"),
    [
        ([4, 1], [0, 1, 2], None, "one output is a binary classifier (loss bce_with_logits), "
         "whose labels lie in [0, 1], but y[2] is 2"),
        ([4, 1], [0.25, 1.5, 0.5], None, "but y[1] is 1.5; for regression pass loss='mse'"),
        ([4, 3], [0, 1, 3], None, "3 outputs is a 3-class classifier (loss cross_entropy), "
         "whose labels are the whole numbers 0 to 2, but y[2] is 3"),
        ([4, 3], [0, 1, 2], [0, 1, 5], "but y_test[2] is 5"),
    ],
)
def test_labels_that_do_not_suit_the_auto_loss_say_why(sizes, y, y_test, words):
    X = [[0.0, 0.0], [1.0, 1.0], [2.0, 2.0]]
    test = {"X_test": X, "y_test": y_test} if y_test is not None else {}
    model = MLP(2, sizes, seed=0)
    before = [p.data for p in model.parameters()]
    with pytest.raises(ValueError) as error:
        fit(model, X, y, epochs=1, **test)
    assert words in str(error.value)
    assert [p.data for p in model.parameters()] == before


def test_regression_targets_train_once_the_loss_is_named():
    X = [[0.0, 0.0], [1.0, 1.0], [2.0, 2.0]]
    history = fit(MLP(2, [4, 1], seed=0), X, [0.25, 1.5, 3.0], loss="mse", epochs=2)
    assert history.epochs == 2 and history.train_accuracy == []


# Refusals found by trying to break fit (issue 11) -----------------------------------


def _numbers(model):
    return [p.data for p in model.parameters()]


def test_nan_features_stop_at_the_first_batch_and_change_nothing(moons):
    X, y = moons
    X = [list(x) for x in X]
    X[5][0] = math.nan
    model = MLP(2, [4, 1], seed=0)
    with pytest.raises(FloatingPointError, match=r"loss \(bce_with_logits\) is nan at epoch 1, "
                       r"batch \d+ of 5; training stopped before that batch's step"):
        fit(model, X, y, epochs=3, batch_size=20, seed=0)
    assert all(math.isfinite(v) for v in _numbers(model))


def test_a_nan_loss_stops_before_its_step_naming_epoch_and_batch(moons):
    X, y = moons
    model = MLP(2, [4, 1], seed=0)
    calls = []

    def nan_after_seven(predictions, targets):
        calls.append(1)
        loss = losses.binary_cross_entropy_with_logits(predictions, targets)
        return loss * math.nan if len(calls) == 8 else loss

    kept = []
    optimizer = optim.Adam(model.parameters(), lr=0.01)
    original_step = optimizer.step

    def step_and_keep():
        original_step()
        kept.append(_numbers(model))

    optimizer.step = step_and_keep
    with pytest.raises(FloatingPointError, match=r"nan_after_seven.* at epoch 2, batch 3 of 5"):
        fit(model, X, y, loss=nan_after_seven, optimizer=optimizer, epochs=3, seed=0)
    assert len(kept) == 7 and _numbers(model) == kept[-1]


def test_a_huge_learning_rate_stops_with_a_clear_error(moons):
    X, y = moons
    model = MLP(2, [4, 1], seed=0)
    with pytest.raises(OverflowError, match=r"too large for a float \(overflow\) at epoch \d+, "
                       r"batch \d+ of 5.*lr 1e\+300"):
        fit(model, X, y, lr=1e300, epochs=5, seed=0)
    assert all(math.isfinite(v) for v in _numbers(model))


@pytest.mark.parametrize("returned", [0.5, None, [1.0]])
def test_a_loss_that_is_not_a_value_is_a_type_error_naming_the_loss(moons, returned):
    X, y = moons
    model = MLP(2, [4, 1], seed=0)
    before = _numbers(model)

    def my_loss(predictions, targets):
        return returned

    with pytest.raises(TypeError, match=r"fit: the loss my_loss returned .*not a Value"):
        fit(model, X, y, loss=my_loss, epochs=1)
    assert _numbers(model) == before


def test_an_optimizer_over_another_models_parameters_is_refused(moons):
    X, y = moons
    model, other = MLP(2, [4, 1], seed=0), MLP(2, [4, 1], seed=1)
    before = _numbers(model)
    with pytest.raises(ValueError, match="holds none of this model's parameters"):
        fit(model, X, y, optimizer=optim.SGD(other.parameters(), lr=0.1), epochs=1)
    assert _numbers(model) == before
    last_layer = model.layers[-1].parameters()  # some of them: fine-tuning, allowed
    fit(model, X, y, optimizer=optim.SGD(last_layer, lr=0.1), epochs=1)
    assert _numbers(model)[: -len(last_layer)] == before[: -len(last_layer)]


def _batchnorm_model():
    from autograd_nn.nn import BatchNorm1d, Layer, Sequential

    return Sequential(Layer(2, 4, seed=0), BatchNorm1d(4), Layer(4, 1, activation="linear",
                                                                  seed=1))


@pytest.mark.parametrize(("samples", "batch_size"), [(41, 20), (1, 20), (30, 1)])
def test_batchnorm_with_a_batch_of_one_is_refused_before_training(moons, samples, batch_size):
    X, y = moons
    model = _batchnorm_model()
    before, state = _numbers(model), json.dumps(model.state_dict())
    with pytest.raises(ValueError, match=r"BatchNorm1d.* needs at least 2 samples per batch"):
        fit(model, X[:samples], y[:samples], epochs=2, batch_size=batch_size)
    assert _numbers(model) == before and json.dumps(model.state_dict()) == state


def test_batchnorm_trains_when_no_batch_has_one_sample(moons):
    X, y = moons
    history = fit(_batchnorm_model(), X[:42], y[:42], epochs=2, batch_size=20, seed=0)
    assert history.epochs == 2


def test_a_nan_batch_leaves_batchnorm_running_statistics_as_they_were(moons):
    X, y = moons
    X = [list(x) for x in X]
    X[7][1] = math.nan
    model = _batchnorm_model()
    state = json.dumps(model.state_dict())
    with pytest.raises(FloatingPointError, match=r"at epoch 1, batch 1 of 1"):
        fit(model, X[:40], y[:40], epochs=2, batch_size=40, seed=0)
    assert json.dumps(model.state_dict()) == state
