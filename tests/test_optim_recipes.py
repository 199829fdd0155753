"""CONTRIBUTING's "Adding an optimiser" recipe stays true: one class and one registry entry.

The recipe: subclass `Optimizer` in `autograd_nn/optim/optimizers.py`, write
`_update` (and `_initial_state` if the rule keeps state), add the class to
`OPTIMIZERS`. This test does exactly that with a rule the library does not
have, and shows `fit` trains with it by name while `maximize` and weight decay
keep working through the base class.
"""

import math

import pytest

from autograd_nn import Value
from autograd_nn.data import make_moons
from autograd_nn.nn import MLP
from autograd_nn.optim import OPTIMIZERS, Optimizer
from autograd_nn.train import fit


class SignSGD(Optimizer):
    """Step each parameter by lr against the sign of its gradient (signSGD)."""

    def _update(self, param: Value, grad: float, state: dict[str, float]) -> None:
        if grad != 0.0:
            param.data -= self.lr * math.copysign(1.0, grad)


@pytest.fixture
def registered(monkeypatch):
    """SignSGD in `OPTIMIZERS` for one test (monkeypatch takes it out again)."""
    monkeypatch.setitem(OPTIMIZERS, "signsgd", SignSGD)
    return SignSGD


def test_adding_an_optimizer_is_one_class(registered):
    X, y = make_moons(60, noise=0.1, seed=0)
    model = MLP(2, [8, 1], seed=0)
    history = fit(model, X, y, optimizer="signsgd", epochs=8, seed=0, progress=False)
    assert history.lr == [registered.fit_lr] * 8  # the base class's default for fit
    assert history.train_loss[-1] < 0.7 * history.train_loss[0]

    # maximize and (coupled) weight decay come from the base class's step().
    x = Value(2.0)
    climber = registered([x], lr=0.1, maximize=True)
    x.grad = 1.0
    climber.step()
    assert x.data == pytest.approx(2.1)
    w = Value(2.0)
    decayed = registered([w], lr=0.1, weight_decay=1.0)
    w.grad = 0.0  # no gradient: only the decay term 1.0 * w pushes it
    decayed.step()
    assert w.data == pytest.approx(1.9)
    assert repr(decayed) == "SignSGD(1 parameters, lr=0.1, weight_decay=1.0)"


def test_the_registry_holds_only_the_library_optimizers_otherwise():
    assert list(OPTIMIZERS) == ["sgd", "adagrad", "rmsprop", "adam", "adamw", "nadam"]
