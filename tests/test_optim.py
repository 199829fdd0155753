"""Optimisers and schedulers: the lectures' update rules, and PyTorch's trajectories."""

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from autograd_nn import Value
from autograd_nn.optim import (
    SGD,
    Adagrad,
    Adam,
    AdamW,
    CosineAnnealingLR,
    ExponentialLR,
    NAdam,
    Optimizer,
    RMSprop,
    StepLR,
)

OPTIMIZERS = {
    "SGD": SGD, "Adagrad": Adagrad, "RMSprop": RMSprop, "Adam": Adam, "AdamW": AdamW,
    "NAdam": NAdam,
}


def valley(x, y):
    """A badly conditioned bowl: curvature 1 along x, 50 along y."""
    return 0.5 * (x * x + 50 * (y * y))


def rosenbrock(x, y):
    """The banana valley, minimum at (1, 1)."""
    return (1 - x) ** 2 + 100 * (y - x * x) ** 2


START = (-1.2, 1.0)


def our_trajectory(make, problem, steps, scheduler=None):
    """Parameter values after each step, and the learning rate used for each."""
    params = [Value(v) for v in START]
    optimizer = make(params)
    schedule = scheduler(optimizer) if scheduler else None
    path, rates = [], []
    for _ in range(steps):
        optimizer.zero_grad()
        problem(*params).backward()
        rates.append(optimizer.lr)
        optimizer.step()
        if schedule:
            schedule.step()
        path.append([p.data for p in params])
    return path, rates


def assert_paths_equal(ours, theirs, tolerance=1e-9):
    assert len(ours) == len(theirs)
    for step, (mine, reference) in enumerate(zip(ours, theirs)):
        for a, b in zip(mine, reference):
            assert math.isclose(a, b, rel_tol=tolerance, abs_tol=tolerance), (step, mine, reference)


# The lectures' update rules, without PyTorch ---------------------------------------


def test_one_sgd_step_is_the_lectures_theta_minus_mu_grad():
    x, y, z = Value(3.0, "x"), Value(-4.0, "y"), Value(2.0, "z")
    optimizer = SGD([x, y, z], lr=0.1)
    g = x * y + z
    g.backward()
    optimizer.step()
    assert (x.data, y.data, z.data) == (3.0 - 0.1 * -4.0, -4.0 - 0.1 * 3.0, 2.0 - 0.1 * 1.0)
    assert (x * y + z).data == pytest.approx(-12.72)


def gradient(point):
    """The valley's gradient, by backpropagation."""
    params = [Value(v) for v in point]
    valley(*params).backward()
    return [p.grad for p in params]


def test_momentum_is_the_lectures_velocity_form():
    alpha, mu = 0.9, 0.01
    theta, velocity = list(START), [0.0, 0.0]
    params = [Value(v) for v in START]
    optimizer = SGD(params, lr=mu, momentum=alpha)
    for _ in range(60):
        grad = gradient(theta)
        velocity = [alpha * v - mu * g for v, g in zip(velocity, grad)]
        theta = [t + v for t, v in zip(theta, velocity)]
        optimizer.zero_grad()
        valley(*params).backward()
        optimizer.step()
        assert [p.data for p in params] == pytest.approx(theta, rel=1e-12, abs=1e-14)
        buffers = [optimizer.state[p]["momentum_buffer"] for p in params]
        assert [-mu * b for b in buffers] == pytest.approx(velocity, rel=1e-12, abs=1e-14)


def test_nesterov_stores_the_lectures_look_ahead_point():
    alpha, mu = 0.9, 0.01
    theta, velocity = list(START), [0.0, 0.0]
    params = [Value(v) for v in START]
    optimizer = SGD(params, lr=mu, momentum=alpha, nesterov=True)
    for _ in range(60):
        look_ahead = [t + alpha * v for t, v in zip(theta, velocity)]
        grad = gradient(look_ahead)
        velocity = [alpha * v - mu * g for v, g in zip(velocity, grad)]
        theta = [t + v for t, v in zip(theta, velocity)]
        optimizer.zero_grad()
        valley(*params).backward()
        optimizer.step()
        look_ahead = [t + alpha * v for t, v in zip(theta, velocity)]
        assert [p.data for p in params] == pytest.approx(look_ahead, rel=1e-12, abs=1e-14)


def test_adagrad_and_rmsprop_are_the_lectures_rules_without_eps():
    mu0, decay = 0.1, 0.9
    theta_ada, sums = list(START), [0.0, 0.0]
    theta_rms, averages = list(START), [0.0, 0.0]
    ada = [Value(v) for v in START]
    rms = [Value(v) for v in START]
    adagrad = Adagrad(ada, lr=mu0, eps=0.0)
    rmsprop = RMSprop(rms, lr=mu0, alpha=decay, eps=0.0)
    for _ in range(30):
        grad = gradient(theta_ada)
        sums = [s + g * g for s, g in zip(sums, grad)]
        theta_ada = [t - mu0 / math.sqrt(s) * g for t, s, g in zip(theta_ada, sums, grad)]
        grad = gradient(theta_rms)
        averages = [decay * a + (1 - decay) * g * g for a, g in zip(averages, grad)]
        theta_rms = [t - mu0 / math.sqrt(a) * g for t, a, g in zip(theta_rms, averages, grad)]
        for optimizer, params in ((adagrad, ada), (rmsprop, rms)):
            optimizer.zero_grad()
            valley(*params).backward()
            optimizer.step()
        assert [p.data for p in ada] == pytest.approx(theta_ada, rel=1e-12, abs=1e-14)
        assert [p.data for p in rms] == pytest.approx(theta_rms, rel=1e-12, abs=1e-14)


def test_adam_first_step_moves_each_parameter_by_lr():
    # Bias correction makes Adam's first step lr * g / |g| (up to eps).
    params = [Value(3.0), Value(-0.002)]
    optimizer = Adam(params, lr=0.1)
    (params[0] * 7 + params[1] * -50).backward()
    optimizer.step()
    assert params[0].data == pytest.approx(2.9, abs=1e-9)
    assert params[1].data == pytest.approx(0.098, abs=1e-9)


def test_adamw_first_step_shrinks_the_weight_then_takes_adams_step():
    # Decoupled decay: theta * (1 - lr * wd) first, then Adam's first step of lr * sign(g).
    x = Value(3.0)
    optimizer = AdamW([x], lr=0.1, weight_decay=0.5)
    x.grad = 7.0
    optimizer.step()
    assert x.data == pytest.approx(3.0 * (1 - 0.1 * 0.5) - 0.1, abs=1e-9)
    assert optimizer.state[x]["exp_avg"] == pytest.approx(0.1 * 7.0)  # the decay is not in m


def test_adamw_without_weight_decay_is_adam_and_with_it_is_not_coupled_decay():
    def run(make):
        path, _ = our_trajectory(make, valley, 30)
        return path

    assert run(lambda ps: AdamW(ps, lr=0.05, weight_decay=0)) == run(lambda ps: Adam(ps, lr=0.05))
    decoupled = run(lambda ps: AdamW(ps, lr=0.05, weight_decay=0.1))
    coupled = run(lambda ps: Adam(ps, lr=0.05, weight_decay=0.1))
    assert decoupled[-1] != coupled[-1]
    assert AdamW([Value(1.0)]).weight_decay == 0.01


def test_sgd_takes_pytorchs_positional_order():
    optimizer = SGD([Value(1.0)], 0.1, 0.9, 0.0, 0.01, True)
    assert (optimizer.lr, optimizer.momentum, optimizer.dampening) == (0.1, 0.9, 0.0)
    assert (optimizer.weight_decay, optimizer.nesterov) == (0.01, True)


@pytest.mark.parametrize("name", OPTIMIZERS)
def test_every_optimizer_descends_the_valley(name):
    lr = {"SGD": 0.01, "Adagrad": 0.5, "RMSprop": 0.01, "Adam": 0.1, "AdamW": 0.1,
          "NAdam": 0.1}[name]
    path, _ = our_trajectory(lambda ps: OPTIMIZERS[name](ps, lr=lr), valley, 200)
    start = valley(*START)
    assert valley(*path[-1]) < 0.05 * start


def test_maximize_climbs():
    x = Value(1.0)
    optimizer = SGD([x], lr=0.1, maximize=True)
    (x * x).backward()
    optimizer.step()
    assert x.data == pytest.approx(1.2)


def test_zero_grad_sets_every_grad_to_zero_and_step_uses_current_grads():
    a, b = Value(1.0), Value(2.0)
    optimizer = SGD([a, b], lr=0.5)
    (a * b).backward()
    (a * b).backward()
    assert (a.grad, b.grad) == (4.0, 2.0)
    optimizer.zero_grad()
    assert (a.grad, b.grad) == (0.0, 0.0)
    optimizer.step()
    assert (a.data, b.data) == (1.0, 2.0)


def test_changing_lr_takes_effect_at_the_next_step():
    x = Value(1.0)
    optimizer = SGD([x], lr=0.1)
    x.grad = 1.0
    optimizer.lr = 0.5
    optimizer.step()
    assert x.data == 0.5


@pytest.mark.parametrize(
    ("make", "keys"),
    [
        (lambda ps: SGD(ps, lr=0.1), set()),
        (lambda ps: SGD(ps, lr=0.1, momentum=0.9), {"momentum_buffer"}),
        (lambda ps: Adagrad(ps), {"step", "sum"}),
        (lambda ps: RMSprop(ps), {"step", "square_avg"}),
        (lambda ps: RMSprop(ps, momentum=0.9, centered=True),
         {"step", "square_avg", "momentum_buffer", "grad_avg"}),
        (lambda ps: Adam(ps), {"step", "exp_avg", "exp_avg_sq"}),
        (lambda ps: Adam(ps, amsgrad=True), {"step", "exp_avg", "exp_avg_sq", "max_exp_avg_sq"}),
        (lambda ps: AdamW(ps), {"step", "exp_avg", "exp_avg_sq"}),
        (lambda ps: NAdam(ps), {"step", "mu_product", "exp_avg", "exp_avg_sq"}),
    ],
)
def test_state_per_parameter_has_pytorchs_keys_after_the_first_step(make, keys):
    params = [Value(1.0), Value(-2.0)]
    optimizer = make(params)
    assert optimizer.state == {}
    for _ in range(3):
        optimizer.zero_grad()
        valley(*params).backward()
        optimizer.step()
    assert set(optimizer.state) == set(params)
    for param in params:
        assert set(optimizer.state[param]) == keys
        if "step" in keys:
            assert optimizer.state[param]["step"] == 3.0


def test_adam_state_is_the_moving_averages():
    x = Value(0.0)
    optimizer = Adam([x], betas=(0.5, 0.75))
    for grad in (2.0, 4.0):
        x.grad = grad
        optimizer.step()
    state = optimizer.state[x]
    assert state["exp_avg"] == pytest.approx(0.5 * (0.5 * 2.0) + 0.5 * 4.0)
    assert state["exp_avg_sq"] == pytest.approx(0.75 * (0.25 * 4.0) + 0.25 * 16.0)


def test_repr_lists_the_hyperparameters():
    text = repr(SGD([Value(1.0)], lr=0.1, momentum=0.9))
    assert text.startswith("SGD(1 parameters, lr=0.1, momentum=0.9")
    assert "maximize=True" in repr(Adam([Value(1.0)], maximize=True))


# Bad arguments -------------------------------------------------------------------------

INVALID = [
    (SGD, {"lr": -1.0}, "Invalid learning rate: -1.0"),
    (SGD, {"lr": 0.1, "momentum": -0.5}, "Invalid momentum value: -0.5"),
    (SGD, {"lr": 0.1, "weight_decay": -1e-4}, "Invalid weight_decay value: -0.0001"),
    (SGD, {"lr": 0.1, "nesterov": True},
     "Nesterov momentum requires a momentum and zero dampening"),
    (SGD, {"lr": 0.1, "momentum": 0.9, "dampening": 0.1, "nesterov": True},
     "Nesterov momentum requires a momentum and zero dampening"),
    (Adagrad, {"lr": -0.01}, "Invalid learning rate: -0.01"),
    (Adagrad, {"lr_decay": -1}, "Invalid lr_decay value: -1"),
    (Adagrad, {"initial_accumulator_value": -1.0}, "Invalid initial_accumulator_value value: -1.0"),
    (Adagrad, {"eps": -1e-10}, "Invalid epsilon value: -1e-10"),
    (RMSprop, {"alpha": -0.1}, "Invalid alpha value: -0.1"),
    (RMSprop, {"momentum": -1.0}, "Invalid momentum value: -1.0"),
    (RMSprop, {"eps": -1.0}, "Invalid epsilon value: -1.0"),
    (Adam, {"betas": (1.0, 0.999)}, "Invalid beta parameter at index 0: 1.0"),
    (Adam, {"betas": (0.9, -0.1)}, "Invalid beta parameter at index 1: -0.1"),
    (Adam, {"eps": -1.0}, "Invalid epsilon value: -1.0"),
    (Adam, {"weight_decay": -1.0}, "Invalid weight_decay value: -1.0"),
    (NAdam, {"betas": (0.9, 1.5)}, "Invalid beta parameter at index 1: 1.5"),
    (NAdam, {"momentum_decay": -1.0}, "Invalid momentum_decay value: -1.0"),
    (AdamW, {"lr": -1.0}, "Invalid learning rate: -1.0"),
    (AdamW, {"weight_decay": -0.5}, "Invalid weight_decay value: -0.5"),
    (AdamW, {"betas": (0.9, 1.0)}, "Invalid beta parameter at index 1: 1.0"),
    (NAdam, {"lr": float("nan")}, "Invalid learning rate: nan"),
]


@pytest.mark.parametrize(("optimizer", "kwargs", "message"), INVALID)
def test_invalid_hyperparameters_raise_pytorchs_message(optimizer, kwargs, message):
    with pytest.raises(ValueError) as raised:
        optimizer([Value(1.0)], **kwargs)
    assert str(raised.value) == message


@pytest.mark.parametrize(("optimizer", "kwargs", "message"), INVALID[:-1])
def test_pytorch_words_those_errors_the_same(torch, optimizer, kwargs, message):
    with pytest.raises(ValueError) as raised:
        getattr(torch.optim, optimizer.__name__)([torch.zeros(1)], **kwargs)
    assert str(raised.value) == message


@pytest.mark.parametrize(
    ("make", "error", "message"),
    [
        (lambda: SGD([], lr=0.1), ValueError, "optimizer got an empty parameter list"),
        (lambda: Adam(iter([])), ValueError, "optimizer got an empty parameter list"),
        (lambda: SGD([Value(1.0), 2.0], lr=0.1), TypeError,
         r"optimizer can only optimize Values, but params\[1\] is float: 2.0"),
        (lambda: SGD(Value(1.0), lr=0.1), TypeError,
         r"should be an iterable of Values \(e.g. model.parameters\(\)\), but got Value"),
        (lambda: SGD(3, lr=0.1), TypeError, "iterable of Values"),
        (lambda: SGD([Value(1.0)], lr="0.1"), TypeError,
         "lr must be a number, got the string '0.1'"),
        (lambda: Adam([Value(1.0)], betas=0.9), TypeError, "betas must be a pair of numbers"),
        (lambda: Adam([Value(1.0)], betas=(0.9, None)), TypeError,
         r"betas\[1\] must be a number, got null"),
    ],
)
def test_bad_parameters_raise_clear_errors(make, error, message):
    with pytest.raises(error, match=message):
        make()


def test_the_same_parameter_twice_is_refused():
    x = Value(1.0)
    with pytest.raises(ValueError, match="the same parameter more than once"):
        Adam([x, Value(2.0), x])


@pytest.mark.parametrize(
    ("make", "error", "message"),
    [
        (lambda opt: StepLR(opt, step_size=0), ValueError, "step_size must be at least 1, got 0"),
        (lambda opt: StepLR(opt, step_size=2.5), TypeError,
         "step_size must be a whole number, got 2.5"),
        (lambda opt: CosineAnnealingLR(opt, T_max=-3), ValueError, "T_max must be at least 1"),
        (lambda opt: ExponentialLR(opt, gamma="0.9"), TypeError, "gamma must be a number"),
        (lambda opt: ExponentialLR([opt], gamma=0.9), TypeError, "list is not an Optimizer"),
    ],
)
def test_bad_scheduler_arguments(make, error, message):
    with pytest.raises(error, match=message):
        make(SGD([Value(1.0)], lr=0.1))


def test_schedulers_change_lr_and_report_it():
    optimizer = SGD([Value(1.0)], lr=1.0)
    schedule = StepLR(optimizer, step_size=2, gamma=0.5)
    assert schedule.get_last_lr() == [1.0]
    rates = []
    for _ in range(5):
        schedule.step()
        rates.append(optimizer.lr)
        assert schedule.get_last_lr() == [optimizer.lr]
    assert rates == [1.0, 0.5, 0.5, 0.25, 0.25]
    optimizer = SGD([Value(1.0)], lr=1.0)
    schedule = CosineAnnealingLR(optimizer, T_max=4, eta_min=0.2)
    for _ in range(4):
        schedule.step()
    assert optimizer.lr == pytest.approx(0.2)
    assert isinstance(optimizer, Optimizer)


# PyTorch parity: trajectories over many steps, float64 -------------------------------


@pytest.fixture(scope="module")
def torch():
    torch = pytest.importorskip("torch")
    previous = torch.get_default_dtype()
    # NAdam's mu_product and the step counters follow the default dtype.
    torch.set_default_dtype(torch.float64)
    yield torch
    torch.set_default_dtype(previous)


def torch_trajectory(torch, make, problem, steps, scheduler=None):
    params = [torch.tensor(v, dtype=torch.float64, requires_grad=True) for v in START]
    optimizer = make(params)
    schedule = scheduler(optimizer) if scheduler else None
    path, rates = [], []
    for _ in range(steps):
        optimizer.zero_grad()
        problem(*params).backward()
        rates.append(optimizer.param_groups[0]["lr"])
        optimizer.step()
        if schedule:
            schedule.step()
        path.append([p.item() for p in params])
    return path, rates


CONFIGURATIONS = [
    ("SGD", {"lr": 0.01}),
    ("SGD", {"lr": 0.005, "momentum": 0.9}),
    ("SGD", {"lr": 0.005, "momentum": 0.9, "dampening": 0.3}),
    ("SGD", {"lr": 0.005, "momentum": 0.9, "nesterov": True}),
    ("SGD", {"lr": 0.005, "momentum": 0.5, "weight_decay": 0.1}),
    ("SGD", {"lr": 0.001, "weight_decay": 0.01, "maximize": True}),
    ("Adagrad", {"lr": 0.3}),
    ("Adagrad", {"lr": 0.3, "lr_decay": 0.05, "weight_decay": 0.1}),
    ("Adagrad", {"lr": 0.3, "initial_accumulator_value": 0.5, "eps": 1e-6}),
    ("RMSprop", {"lr": 0.01}),
    ("RMSprop", {"lr": 0.005, "momentum": 0.8}),
    ("RMSprop", {"lr": 0.005, "centered": True}),
    ("RMSprop", {"lr": 0.005, "alpha": 0.9, "momentum": 0.5, "centered": True,
                 "weight_decay": 0.1}),
    ("Adam", {"lr": 0.05}),
    ("Adam", {"lr": 0.05, "weight_decay": 0.1}),
    ("Adam", {"lr": 0.05, "amsgrad": True}),
    ("Adam", {"lr": 0.05, "betas": (0.8, 0.99), "eps": 1e-6, "amsgrad": True}),
    ("AdamW", {"lr": 0.05}),
    ("AdamW", {"lr": 0.05, "weight_decay": 0.5}),
    ("AdamW", {"lr": 0.05, "weight_decay": 0.1, "amsgrad": True}),
    ("AdamW", {"lr": 0.05, "betas": (0.8, 0.99), "weight_decay": 0.2, "maximize": True}),
    ("AdamW", {}),
    ("NAdam", {"lr": 0.05}),
    ("NAdam", {"lr": 0.05, "weight_decay": 0.1, "momentum_decay": 0.01}),
]


@pytest.mark.parametrize("problem", [valley, rosenbrock], ids=["valley", "rosenbrock"])
@pytest.mark.parametrize(
    ("name", "kwargs"), CONFIGURATIONS, ids=[f"{n}-{'-'.join(k)}" for n, k in CONFIGURATIONS]
)
def test_trajectory_equals_pytorch(torch, name, kwargs, problem):
    steps = 60
    if problem is rosenbrock and name == "SGD":
        kwargs = {**kwargs, "lr": kwargs["lr"] / 10}  # plain steps diverge on its steep walls
    if kwargs.get("maximize"):
        problem = _negated(problem)
    ours, _ = our_trajectory(lambda ps: OPTIMIZERS[name](ps, **kwargs), problem, steps)
    theirs, _ = torch_trajectory(
        torch, lambda ps: getattr(torch.optim, name)(ps, **kwargs), problem, steps
    )
    assert_paths_equal(ours, theirs)
    assert ours[-1] != ours[0]


def test_sgd_positional_arguments_mean_what_they_mean_in_pytorch(torch):
    settings = (0.005, 0.9, 0.0, 0.1, True)  # lr, momentum, dampening, weight_decay, nesterov
    ours, _ = our_trajectory(lambda ps: SGD(ps, *settings), valley, 40)
    theirs, _ = torch_trajectory(torch, lambda ps: torch.optim.SGD(ps, *settings), valley, 40)
    assert_paths_equal(ours, theirs)


def _negated(problem):
    """-problem, whose maximum is problem's minimum."""
    return lambda *args: -problem(*args)


@settings(max_examples=25)
@given(
    name=st.sampled_from(sorted(OPTIMIZERS)),
    lr=st.floats(1e-4, 0.02),
    weight_decay=st.sampled_from([0.0, 0.05]),
    flag=st.booleans(),
    start=st.tuples(st.floats(-2, 2), st.floats(-2, 2)),
)
def test_random_settings_equal_pytorch(torch, name, lr, weight_decay, flag, start):
    extra = {
        "SGD": {"momentum": 0.9, "nesterov": flag},
        "Adagrad": {"lr_decay": 0.01 if flag else 0.0},
        "RMSprop": {"centered": flag, "momentum": 0.3},
        "Adam": {"amsgrad": flag},
        "AdamW": {"amsgrad": flag},
        "NAdam": {"betas": (0.85, 0.99) if flag else (0.9, 0.999)},
    }[name]
    kwargs = {"lr": lr, "weight_decay": weight_decay, **extra}
    ours_params = [Value(v) for v in start]
    theirs_params = [torch.tensor(v, requires_grad=True) for v in start]
    ours = OPTIMIZERS[name](ours_params, **kwargs)
    theirs = getattr(torch.optim, name)(theirs_params, **kwargs)
    for _ in range(50):
        for optimizer, params in ((ours, ours_params), (theirs, theirs_params)):
            optimizer.zero_grad()
            valley(*params).backward()
            optimizer.step()
    for mine, reference in zip(ours_params, theirs_params):
        assert math.isclose(mine.data, reference.item(), rel_tol=1e-9, abs_tol=1e-12)


SCHEDULERS = [
    ("StepLR", {"step_size": 7, "gamma": 0.5}),
    ("StepLR", {"step_size": 1}),
    ("ExponentialLR", {"gamma": 0.95}),
    ("CosineAnnealingLR", {"T_max": 20}),
    ("CosineAnnealingLR", {"T_max": 15, "eta_min": 0.001}),
]
OUR_SCHEDULERS = {
    "StepLR": StepLR, "ExponentialLR": ExponentialLR, "CosineAnnealingLR": CosineAnnealingLR,
}


@pytest.mark.parametrize(
    ("name", "kwargs"), SCHEDULERS, ids=[f"{n}-{'-'.join(k)}" for n, k in SCHEDULERS]
)
def test_scheduler_rates_and_trajectory_equal_pytorch(torch, name, kwargs):
    steps = 60  # past T_max, where the cosine rises again
    ours, our_rates = our_trajectory(
        lambda ps: SGD(ps, lr=0.01, momentum=0.9),
        valley,
        steps,
        lambda opt: OUR_SCHEDULERS[name](opt, **kwargs),
    )
    theirs, their_rates = torch_trajectory(
        torch,
        lambda ps: torch.optim.SGD(ps, lr=0.01, momentum=0.9),
        valley,
        steps,
        lambda opt: getattr(torch.optim.lr_scheduler, name)(opt, **kwargs),
    )
    assert_paths_equal([[r] for r in our_rates], [[r] for r in their_rates], tolerance=1e-15)
    assert len(set(our_rates)) > 1
    assert_paths_equal(ours, theirs)


def test_chained_schedulers_equal_pytorch(torch):
    def ours_chain(optimizer):
        return _Both(StepLR(optimizer, step_size=5, gamma=0.5), ExponentialLR(optimizer, 0.9))

    def theirs_chain(optimizer):
        schedulers = torch.optim.lr_scheduler
        return _Both(schedulers.StepLR(optimizer, step_size=5, gamma=0.5),
                     schedulers.ExponentialLR(optimizer, 0.9))

    ours, our_rates = our_trajectory(lambda ps: Adam(ps, lr=0.1), valley, 30, ours_chain)
    theirs, their_rates = torch_trajectory(
        torch, lambda ps: torch.optim.Adam(ps, lr=0.1), valley, 30, theirs_chain
    )
    assert our_rates == pytest.approx(their_rates, rel=1e-15)
    assert_paths_equal(ours, theirs)


class _Both:
    """Steps two schedulers that share one optimiser."""

    def __init__(self, first, second):
        self.first, self.second = first, second

    def step(self):
        self.first.step()
        self.second.step()


_FLOAT_HYPERPARAMETERS = [
    (SGD, ["lr", "momentum", "dampening", "weight_decay"]),
    (Adagrad, ["lr", "lr_decay", "weight_decay", "initial_accumulator_value", "eps"]),
    (RMSprop, ["lr", "alpha", "eps", "weight_decay", "momentum"]),
    (Adam, ["lr", "eps", "weight_decay"]),
    (AdamW, ["lr", "eps", "weight_decay"]),
    (NAdam, ["lr", "eps", "weight_decay", "momentum_decay"]),
]


@pytest.mark.parametrize("bad", [math.inf, -math.inf, math.nan])
@pytest.mark.parametrize(
    ("optimizer", "name"),
    [(cls, name) for cls, names in _FLOAT_HYPERPARAMETERS for name in names],
)
def test_infinite_or_nan_hyperparameters_are_refused(optimizer, name, bad):
    with pytest.raises(ValueError, match=f"{name}|Invalid"):
        optimizer([Value(1.0)], **{name: bad})


@pytest.mark.parametrize("flag", ["no", 0, 1, None])
def test_flags_must_be_true_or_false(flag):
    with pytest.raises(TypeError, match="nesterov must be True or False"):
        SGD([Value(1.0)], lr=0.1, momentum=0.9, nesterov=flag)


@pytest.mark.parametrize("make", [
    lambda ps: Adam(ps, eps=0), lambda ps: Adam(ps, eps=0, amsgrad=True),
    lambda ps: AdamW(ps, eps=0), lambda ps: NAdam(ps, eps=0),
    lambda ps: Adagrad(ps, eps=0), lambda ps: RMSprop(ps, eps=0),
])
def test_eps_zero_with_a_zero_gradient_is_a_clear_error_that_changes_nothing(make):
    moving, still = Value(1.0), Value(2.0)
    optimizer = make([moving, still])
    moving.grad = 0.5  # `still` has a zero gradient: 0/0 in its step
    with pytest.raises(ZeroDivisionError, match=r"with eps=0 divides by 0 for a parameter whose "
                       r"gradients have all been 0 .*no parameter was changed"):
        optimizer.step()
    assert [moving.data, still.data] == [1.0, 2.0] and optimizer.state == {}
    still.grad = 1.0
    optimizer.step()  # with gradients, eps=0 works (the lectures' rules)
    assert moving.data != 1.0 and still.data != 2.0
