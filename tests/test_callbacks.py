"""fit's callbacks: stopping early on the test loss, snapshots, and bad callbacks."""

import pytest

from autograd_nn.callbacks import Callback, EarlyStopping, Snapshot
from autograd_nn.data import make_moons, train_test_split
from autograd_nn.nn import MLP
from autograd_nn.train import fit


@pytest.fixture(scope="module")
def noisy_moons():
    X, y = make_moons(60, noise=0.3, seed=0)
    return train_test_split(X, y, test_size=0.5, seed=0)


def _overfitting(noisy_moons, *callbacks, epochs=200):
    X_train, X_test, y_train, y_test = noisy_moons
    model = MLP(2, [32, 32, 1], seed=0)
    history = fit(model, X_train, y_train, X_test=X_test, y_test=y_test, epochs=epochs,
                  lr=0.05, seed=0, callbacks=list(callbacks))
    return model, history


def test_early_stopping_keeps_the_epoch_with_the_lowest_test_loss(noisy_moons):
    stop, every_epoch = EarlyStopping(patience=5), Snapshot(every=1)
    model, history = _overfitting(noisy_moons, stop, every_epoch)
    best = min(range(history.epochs), key=history.test_loss.__getitem__) + 1
    assert stop.best_epoch == best and stop.best == min(history.test_loss)
    assert history.epochs == best + 5 < 200
    assert history.stopped == (
        f"EarlyStopping: test_loss did not improve for 5 epochs after epoch {best} "
        f"(test_loss {min(history.test_loss):.6g}); parameters of epoch {best} restored")
    assert model.state_dict() == every_epoch.states[every_epoch.epochs.index(best)]
    # The snapshot of the last epoch is the model before the restore.
    assert every_epoch.epochs[-1] == history.epochs
    assert every_epoch.states[-1] != model.state_dict()


def test_without_restore_the_model_is_the_last_epochs(noisy_moons):
    every_epoch = Snapshot(every=1)
    model, history = _overfitting(noisy_moons, EarlyStopping(patience=3, restore_best=False),
                                  every_epoch)
    assert "restored" not in history.stopped and history.epochs < 200
    assert model.state_dict() == every_epoch.states[-1]


def test_accuracy_is_watched_upwards(noisy_moons):
    stop = EarlyStopping(patience=4, monitor="train_accuracy")
    _, history = _overfitting(noisy_moons, stop, epochs=300)
    assert stop.best == max(history.train_accuracy[: stop.best_epoch])
    assert all(a <= stop.best for a in history.train_accuracy[stop.best_epoch :])
    assert history.stopped.startswith("EarlyStopping: train_accuracy did not improve for 4")


def test_a_run_that_never_stalls_is_not_stopped(noisy_moons):
    _, history = _overfitting(noisy_moons, EarlyStopping(patience=50), epochs=4)
    assert history.epochs == 4 and history.stopped in ("", *(
        f"parameters of epoch {e} restored" for e in range(1, 4)))


def test_without_a_test_set_early_stopping_watches_the_training_loss():
    X, y = make_moons(40, noise=0.1, seed=1)
    stop = EarlyStopping(patience=2)
    fit(MLP(2, [4, 1], seed=0), X, y, epochs=3, callbacks=[stop])
    assert stop.best_epoch >= 1
    with pytest.raises(ValueError, match="fit records no test_loss"):
        fit(MLP(2, [4, 1], seed=0), X, y, epochs=3,
            callbacks=[EarlyStopping(monitor="test_loss")])


def test_snapshots_every_k_epochs_from_the_start_to_the_end():
    X, y = make_moons(40, noise=0.1, seed=1)
    model = MLP(2, [4, 1], seed=0)
    before = model.state_dict()
    snapshots = Snapshot(every=3)
    fit(model, X, y, epochs=10, callbacks=[snapshots])
    assert snapshots.epochs == [0, 3, 6, 9, 10] and len(snapshots) == 5
    assert snapshots.states[0] == before and snapshots.states[-1] == model.state_dict()
    assert len({str(state) for state in snapshots.states}) == 5
    # A second fit starts a new series.
    fit(model, X, y, epochs=2, callbacks=[snapshots])
    assert snapshots.epochs == [0, 2]


def test_any_object_with_on_epoch_end_is_a_callback_and_can_stop_training():
    seen = []

    class StopAtThree:
        def on_epoch_end(self, epoch, model, history):
            seen.append((epoch, history.epochs))
            return epoch == 3

    assert isinstance(StopAtThree(), Callback)
    X, y = make_moons(20, seed=0)
    history = fit(MLP(2, [2, 1], seed=0), X, y, epochs=10, callbacks=[StopAtThree()])
    assert seen == [(1, 1), (2, 2), (3, 3)] and history.epochs == 3


@pytest.mark.parametrize(
    ("callbacks", "message"),
    [
        (EarlyStopping(), "callbacks must be a list of callbacks, got an EarlyStopping"),
        ("early", "callbacks must be a list"),
        ([print], r"callbacks\[0\] is .* no on_epoch_end"),
        ([Snapshot(), 3], r"callbacks\[1\] is 3, which has no on_epoch_end"),
    ],
)
def test_bad_callbacks_are_refused_before_training(callbacks, message):
    X, y = make_moons(20, seed=0)
    model = MLP(2, [2, 1], seed=0)
    before = model.state_dict()
    with pytest.raises(TypeError, match=message):
        fit(model, X, y, epochs=2, callbacks=callbacks)
    assert model.state_dict() == before


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (lambda: EarlyStopping(patience=0), "patience must be at least 1"),
        (lambda: EarlyStopping(monitor="val_loss"), "monitor must be one of train_loss"),
        (lambda: EarlyStopping(min_delta=-1.0), "min_delta"),
        (lambda: EarlyStopping(restore_best="yes"), "restore_best"),
        (lambda: Snapshot(every=0), "every must be at least 1"),
    ],
)
def test_bad_options_name_themselves(build, message):
    with pytest.raises((TypeError, ValueError), match=message):
        build()


def test_the_callbacks_are_importable_where_fit_is():
    import autograd_nn.callbacks as callbacks
    import autograd_nn.train as train

    assert train.EarlyStopping is callbacks.EarlyStopping
    assert train.Snapshot is callbacks.Snapshot and train.Callback is callbacks.Callback
