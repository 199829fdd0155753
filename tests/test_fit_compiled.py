"""fit(compiled=...): the compiled engine trains to the scalar engine's weights, faster.

The compiled engine replays one traced program over each batch with numpy, so
these tests need numpy; every comparison is against the scalar engine itself.
"""

from __future__ import annotations

import pytest

pytest.importorskip("numpy")

from autograd_nn import losses as L
from autograd_nn.callbacks import EarlyStopping
from autograd_nn.data import make_moons, make_spiral
from autograd_nn.nn import MLP, Dropout, Layer, Sequential
from autograd_nn.train import fit


def _both(make_model, X, y, **options):
    """The same training run on each engine: (model, history) for scalar and compiled."""
    runs = []
    for compiled in (False, True):
        model = make_model()
        runs.append((model, fit(model, X, y, seed=0, compiled=compiled, **options)))
    return runs


def _assert_same_weights(a, b, tolerance=1e-10):
    for p, q in zip(a.parameters(), b.parameters(), strict=True):
        assert abs(p.data - q.data) <= tolerance * max(abs(p.data), 1e-12), (p.label, p.data,
                                                                             q.data)


def test_100_epochs_on_moons_give_the_scalar_engines_weights_with_the_default_loss():
    X, y = make_moons(100, noise=0.1, seed=0)
    (scalar, h_scalar), (compiled, h_compiled) = _both(
        lambda: MLP(2, [16, 16, 1], seed=0), X, y, epochs=100, X_test=X[:30], y_test=y[:30])
    assert (h_scalar.engine, h_compiled.engine) == ("scalar", "compiled")
    assert h_compiled.engine_reason == "" and h_scalar.engine_reason == "compiled=False"
    _assert_same_weights(scalar, compiled)
    for name in ("train_loss", "test_loss"):
        assert getattr(h_compiled, name) == pytest.approx(getattr(h_scalar, name), rel=1e-10)
    assert h_compiled.train_accuracy == h_scalar.train_accuracy
    assert h_compiled.test_accuracy == h_scalar.test_accuracy


def test_hinge_with_l2_and_sgd_match_the_scalar_engine():
    X, y = make_moons(60, noise=0.2, seed=1)
    (scalar, _), (compiled, history) = _both(
        lambda: MLP(2, [8, 1], seed=3), X, y, epochs=30, loss="hinge", l2=1e-3,
        optimizer="sgd", batch_size=16)
    assert history.engine == "compiled"
    _assert_same_weights(scalar, compiled)


def test_cross_entropy_over_three_classes_matches_the_scalar_engine():
    X, y = make_spiral(90, noise=0.1, seed=0, n_classes=3)
    (scalar, h_scalar), (compiled, h_compiled) = _both(
        lambda: MLP(2, [8, 3], seed=0), X, y, epochs=20)
    assert h_compiled.engine == "compiled"
    _assert_same_weights(scalar, compiled)
    assert h_compiled.train_accuracy == h_scalar.train_accuracy


def test_early_stopping_restores_the_same_best_weights_on_both_engines():
    X, y = make_moons(80, noise=0.3, seed=2)
    runs = []
    for compiled in (False, True):
        model = MLP(2, [16, 16, 1], seed=0)
        stop = EarlyStopping(patience=3, restore_best=True)
        history = fit(model, X[:60], y[:60], X_test=X[60:], y_test=y[60:], epochs=200, seed=0,
                      lr=0.1, callbacks=[stop], compiled=compiled)
        runs.append((model, history))
    (scalar, h_scalar), (compiled, h_compiled) = runs
    assert h_scalar.stopped and h_compiled.epochs == h_scalar.epochs
    _assert_same_weights(scalar, compiled)


def test_a_model_with_dropout_falls_back_to_the_scalar_engine_and_says_why():
    X, y = make_moons(40, noise=0.1, seed=0)
    model = Sequential(Layer(2, 8, seed=0), Dropout(0.2, seed=0), Layer(8, 1, activation="linear",
                                                                         seed=1))
    history = fit(model, X, y, epochs=2, seed=0)
    assert history.engine == "scalar" and "Dropout" in history.engine_reason
    with pytest.raises(ValueError, match=r"fit: compiled=True, but .*Dropout"):
        fit(model, X, y, epochs=1, seed=0, compiled=True)


def test_a_custom_loss_runs_on_the_scalar_engine_unless_compiled_is_asked_for():
    X, y = make_moons(40, noise=0.1, seed=0)

    def squared(predictions, targets):
        return L.mse_loss(predictions, targets)

    (scalar, h_scalar), (compiled, h_compiled) = _both(
        lambda: MLP(2, [4, 1], seed=0), X, y, epochs=3, loss=squared)
    assert h_scalar.engine == "scalar" and h_compiled.engine == "compiled"
    _assert_same_weights(scalar, compiled)
    default = fit(MLP(2, [4, 1], seed=0), X, y, epochs=1, loss=squared)
    assert default.engine == "scalar" and "custom loss" in default.engine_reason


def test_compiled_must_be_true_false_or_none():
    X, y = make_moons(10, seed=0)
    with pytest.raises(TypeError, match="compiled must be True or False"):
        fit(MLP(2, [1], seed=0), X, y, epochs=1, compiled=1)


def test_a_diverging_run_stops_with_the_same_message_on_the_compiled_engine():
    X, y = make_moons(40, noise=0.1, seed=0)
    with pytest.raises((FloatingPointError, OverflowError), match=r"at epoch \d+, batch \d+"):
        fit(MLP(2, [8, 1], seed=0), X, [t * 1e200 for t in y], loss="mse", lr=1e10,
            optimizer="sgd", epochs=50, seed=0, compiled=True)
