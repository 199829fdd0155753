"""Optimisers and learning-rate schedulers, step for step as PyTorch's.

Each optimiser takes any iterable of `Value` parameters (e.g.
`model.parameters()`), reads their `.grad` after `loss.backward()` and changes
their `.data` in `step()`. Argument names, defaults, error messages and the
order of floating-point operations follow `torch.optim` (the single-tensor
code path), so a trajectory here equals PyTorch's in float64 to rounding
(PyTorch's compiled kernels may fuse a multiply and an add into one rounding,
so the last bit of a step can differ).

Per-parameter state is a plain dict of floats, readable for plotting:
`optimizer.state[param]`, e.g. `{"step": 3.0, "exp_avg": ..., "exp_avg_sq": ...}`
for Adam. Its keys are PyTorch's names; a parameter's entry appears at its
first step.

Typical loop::

    optimizer = Adam(model.parameters(), lr=0.01)
    for epoch in range(100):
        optimizer.zero_grad()
        loss = mse_loss(predictions, targets)
        loss.backward()
        optimizer.step()

Schedulers change `optimizer.lr`: call `scheduler.step()` after
`optimizer.step()`, once per epoch.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Iterable

from .engine import Value

__all__ = [
    "SGD",
    "Adagrad",
    "Adam",
    "CosineAnnealingLR",
    "ExponentialLR",
    "LRScheduler",
    "NAdam",
    "Optimizer",
    "RMSprop",
    "StepLR",
]

State = dict[str, float]


def _real(name: str, value: object) -> float:
    """`value` as a float, or a `TypeError` naming the hyperparameter."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number, got {type(value).__name__}: {value!r}")
    return float(value)


def _non_negative(name: str, value: object, message: str) -> float:
    """`value` as a float; a `ValueError` with PyTorch's `message` when negative or NaN."""
    number = _real(name, value)
    if not number >= 0.0:  # also rejects NaN
        raise ValueError(f"{message}: {value}")
    return number


def _beta(index: int, value: object) -> float:
    """One of Adam's betas, which must lie in [0, 1)."""
    number = _real(f"betas[{index}]", value)
    if not 0.0 <= number < 1.0:
        raise ValueError(f"Invalid beta parameter at index {index}: {value}")
    return number


def _betas(betas: tuple[float, float]) -> tuple[float, float]:
    if not isinstance(betas, (tuple, list)) or len(betas) != 2:
        raise TypeError(f"betas must be a pair of numbers, got {betas!r}")
    return _beta(0, betas[0]), _beta(1, betas[1])


def _parameter_list(params: Iterable[Value]) -> list[Value]:
    """The parameters as a list, checked: Values only, each once, at least one."""
    if isinstance(params, Value) or not isinstance(params, Iterable):
        raise TypeError(
            "params argument given to the optimizer should be an iterable of Values "
            f"(e.g. model.parameters()), but got {type(params).__name__}"
        )
    parameters = list(params)
    if not parameters:
        raise ValueError("optimizer got an empty parameter list")
    for index, param in enumerate(parameters):
        if not isinstance(param, Value):
            raise TypeError(
                "optimizer can only optimize Values, but params"
                f"[{index}] is {type(param).__name__}: {param!r}"
            )
    if len({id(p) for p in parameters}) != len(parameters):
        raise ValueError("optimizer got the same parameter more than once")
    return parameters


def _lerp(start: float, end: float, weight: float) -> float:
    """start + weight * (end - start), in the form PyTorch's `lerp` computes it."""
    if abs(weight) < 0.5:
        return start + weight * (end - start)
    return end - (end - start) * (1.0 - weight)


class Optimizer:
    """What every optimiser shares: parameters, learning rate, state, `zero_grad`.

    `step()` walks the parameters in order; for each it takes the gradient
    (negated when `maximize`), adds `weight_decay * param` (L2 regularisation,
    PyTorch's coupled weight decay), and hands it to the subclass's `_update`.
    """

    _hyperparameters: tuple[str, ...] = ()

    def __init__(
        self,
        params: Iterable[Value],
        lr: float,
        weight_decay: float = 0,
        maximize: bool = False,
    ) -> None:
        self.lr: float = _non_negative("lr", lr, "Invalid learning rate")
        self.weight_decay = _non_negative(
            "weight_decay", weight_decay, "Invalid weight_decay value"
        )
        self.maximize = bool(maximize)
        self.params: list[Value] = _parameter_list(params)
        self.state: dict[Value, State] = {}
        """Each parameter's state (a dict of floats), from its first step on."""

    def _initial_state(self) -> State:
        """A parameter's state just before its first step."""
        return {}

    def _update(self, param: Value, grad: float, state: State) -> None:
        """Change `param.data` by one step, given its (decayed) gradient."""
        raise NotImplementedError

    def step(self) -> None:
        """Update every parameter once from its current `.grad`."""
        for param in self.params:
            grad = -param.grad if self.maximize else param.grad
            if self.weight_decay != 0:
                grad = grad + self.weight_decay * param.data
            state = self.state.get(param)
            if state is None:
                state = self.state[param] = self._initial_state()
            self._update(param, grad, state)

    def zero_grad(self) -> None:
        """Set every parameter's `.grad` to 0.0 (gradients accumulate otherwise)."""
        for param in self.params:
            param.grad = 0.0

    def __repr__(self) -> str:
        names = ("lr", *self._hyperparameters, "weight_decay")
        settings = ", ".join(f"{name}={getattr(self, name)!r}" for name in names)
        if self.maximize:
            settings += ", maximize=True"
        return f"{type(self).__name__}({len(self.params)} parameters, {settings})"


class SGD(Optimizer):
    """Stochastic gradient descent with optional (Nesterov) momentum.

    Plain: θ ← θ − lr·g, the lectures' θ − μ∇L with μ = lr. With momentum α
    PyTorch keeps a buffer b ← α·b + (1 − dampening)·g (b = g at the first
    step) and steps θ ← θ − lr·b. For dampening 0 and a constant lr this is the
    lectures' velocity form v ← αv − μ∇L, θ ← θ + v, with v = −lr·b.

    Nesterov steps θ ← θ − lr·(g + α·b). This is the lectures' look-ahead
    v ← αv − μ∇L(θ + αv), θ ← θ + v rewritten for the look-ahead point: the
    parameter PyTorch stores is the lectures' θ + αv, where the gradient is taken.

    State: `momentum_buffer` (when momentum is not 0).

    `nesterov` comes before `weight_decay` here, the other way round from
    `torch.optim.SGD`: pass both by name to write code that runs in either.
    """

    _hyperparameters = ("momentum", "dampening", "nesterov")

    def __init__(
        self,
        params: Iterable[Value],
        lr: float = 1e-3,
        momentum: float = 0,
        dampening: float = 0,
        nesterov: bool = False,
        weight_decay: float = 0,
        *,
        maximize: bool = False,
    ) -> None:
        super().__init__(params, lr, weight_decay, maximize)
        self.momentum = _non_negative("momentum", momentum, "Invalid momentum value")
        self.dampening = _real("dampening", dampening)
        self.nesterov = bool(nesterov)
        if self.nesterov and (self.momentum <= 0 or self.dampening != 0):
            raise ValueError("Nesterov momentum requires a momentum and zero dampening")

    def _update(self, param: Value, grad: float, state: State) -> None:
        if self.momentum != 0:
            buffer = state.get("momentum_buffer")
            if buffer is None:
                buffer = grad
            else:
                buffer = buffer * self.momentum + (1 - self.dampening) * grad
            state["momentum_buffer"] = buffer
            grad = grad + self.momentum * buffer if self.nesterov else buffer
        param.data = param.data + -self.lr * grad


class Adagrad(Optimizer):
    """Adagrad: each parameter's step shrinks with its sum of squared gradients.

    PyTorch: s ← s + g², θ ← θ − clr·g / (√s + eps) with clr = lr / (1 + (t−1)·lr_decay).
    The lectures' μ = μ0 / √(Σ g²) is this with eps = 0, lr_decay = 0 and
    initial_accumulator_value = 0.

    State: `step`, `sum`.
    """

    _hyperparameters = ("lr_decay", "initial_accumulator_value", "eps")

    def __init__(
        self,
        params: Iterable[Value],
        lr: float = 1e-2,
        lr_decay: float = 0,
        weight_decay: float = 0,
        initial_accumulator_value: float = 0,
        eps: float = 1e-10,
        *,
        maximize: bool = False,
    ) -> None:
        super().__init__(params, lr, weight_decay, maximize)
        self.lr_decay = _non_negative("lr_decay", lr_decay, "Invalid lr_decay value")
        self.initial_accumulator_value = _non_negative(
            "initial_accumulator_value",
            initial_accumulator_value,
            "Invalid initial_accumulator_value value",
        )
        self.eps = _non_negative("eps", eps, "Invalid epsilon value")

    def _initial_state(self) -> State:
        return {"step": 0.0, "sum": self.initial_accumulator_value}

    def _update(self, param: Value, grad: float, state: State) -> None:
        state["step"] += 1
        decayed_lr = self.lr / (1 + (state["step"] - 1) * self.lr_decay)
        state["sum"] = state["sum"] + 1 * grad * grad
        std = math.sqrt(state["sum"]) + self.eps
        param.data = param.data + -decayed_lr * grad / std


class RMSprop(Optimizer):
    """RMSprop: divide the step by a running root-mean-square of the gradient.

    PyTorch: a ← α·a + (1 − α)·g², θ ← θ − lr·g / (√a + eps), the lectures'
    a ← λa + (1 − λ)∇L², θ ← θ − μ0/√a·∇L with λ = alpha and eps added.
    `centered` divides by the running standard deviation √(a − ḡ²) instead
    (ḡ a running mean of g); `momentum` keeps a buffer b ← m·b + g/(√a + eps)
    and steps θ ← θ − lr·b.

    State: `step`, `square_avg`, plus `momentum_buffer` and `grad_avg` when used.
    """

    _hyperparameters = ("alpha", "eps", "momentum", "centered")

    def __init__(
        self,
        params: Iterable[Value],
        lr: float = 1e-2,
        alpha: float = 0.99,
        eps: float = 1e-8,
        weight_decay: float = 0,
        momentum: float = 0,
        centered: bool = False,
        *,
        maximize: bool = False,
    ) -> None:
        super().__init__(params, lr, weight_decay, maximize)
        self.eps = _non_negative("eps", eps, "Invalid epsilon value")
        self.momentum = _non_negative("momentum", momentum, "Invalid momentum value")
        self.alpha = _non_negative("alpha", alpha, "Invalid alpha value")
        self.centered = bool(centered)

    def _initial_state(self) -> State:
        state = {"step": 0.0, "square_avg": 0.0}
        if self.momentum > 0:
            state["momentum_buffer"] = 0.0
        if self.centered:
            state["grad_avg"] = 0.0
        return state

    def _update(self, param: Value, grad: float, state: State) -> None:
        state["step"] += 1
        square_avg = state["square_avg"] * self.alpha + (1 - self.alpha) * grad * grad
        state["square_avg"] = square_avg
        if self.centered:
            state["grad_avg"] = _lerp(state["grad_avg"], grad, 1 - self.alpha)
            average = math.sqrt(square_avg + -1 * state["grad_avg"] * state["grad_avg"])
        else:
            average = math.sqrt(square_avg)
        average = average + self.eps
        if self.momentum > 0:
            buffer = state["momentum_buffer"] * self.momentum + 1 * grad / average
            state["momentum_buffer"] = buffer
            param.data = param.data + -self.lr * buffer
        else:
            param.data = param.data + -self.lr * grad / average


class Adam(Optimizer):
    """Adam: momentum and an RMSprop-style step size, both bias-corrected.

    PyTorch: m ← β1·m + (1−β1)·g, v ← β2·v + (1−β2)·g²,
    θ ← θ − lr/(1−β1ᵗ) · m / (√v/√(1−β2ᵗ) + eps): the lectures' momentum (m)
    combined with RMSprop's adaptive rate (v). `amsgrad` divides by the
    largest v seen so far instead of the current one.

    State: `step`, `exp_avg` (m), `exp_avg_sq` (v), and `max_exp_avg_sq` with amsgrad.
    """

    _hyperparameters = ("betas", "eps", "amsgrad")

    def __init__(
        self,
        params: Iterable[Value],
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0,
        amsgrad: bool = False,
        *,
        maximize: bool = False,
    ) -> None:
        super().__init__(params, lr, weight_decay, maximize)
        self.eps = _non_negative("eps", eps, "Invalid epsilon value")
        self.betas = _betas(betas)
        self.amsgrad = bool(amsgrad)

    def _initial_state(self) -> State:
        state = {"step": 0.0, "exp_avg": 0.0, "exp_avg_sq": 0.0}
        if self.amsgrad:
            state["max_exp_avg_sq"] = 0.0
        return state

    def _update(self, param: Value, grad: float, state: State) -> None:
        beta1, beta2 = self.betas
        state["step"] += 1
        step = state["step"]
        state["exp_avg"] = _lerp(state["exp_avg"], grad, 1 - beta1)
        state["exp_avg_sq"] = state["exp_avg_sq"] * beta2 + (1 - beta2) * grad * grad
        bias_correction1 = 1 - beta1**step
        bias_correction2 = 1 - beta2**step
        step_size = self.lr / bias_correction1
        bias_correction2_sqrt = bias_correction2**0.5
        if self.amsgrad:
            state["max_exp_avg_sq"] = max(state["max_exp_avg_sq"], state["exp_avg_sq"])
            second_moment = state["max_exp_avg_sq"]
        else:
            second_moment = state["exp_avg_sq"]
        denominator = math.sqrt(second_moment) / bias_correction2_sqrt + self.eps
        param.data = param.data + -step_size * state["exp_avg"] / denominator


class NAdam(Optimizer):
    """NAdam: Adam with Nesterov momentum (Dozat), as PyTorch implements it.

    The momentum coefficient warms up, μₜ = β1·(1 − ½·0.96^(t·momentum_decay)),
    and the step mixes the current gradient with the look-ahead momentum, the
    lectures' Nesterov idea applied to Adam:
    θ ← θ − lr·[(1−μₜ)/(1−Πμ)·g + μₜ₊₁/(1−Πμ·μₜ₊₁)·m] / (√(v/(1−β2ᵗ)) + eps),
    with m, v Adam's moving averages and Πμ the product μ1···μₜ.

    State: `step`, `mu_product`, `exp_avg`, `exp_avg_sq`.
    """

    _hyperparameters = ("betas", "eps", "momentum_decay")

    def __init__(
        self,
        params: Iterable[Value],
        lr: float = 2e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0,
        momentum_decay: float = 4e-3,
        *,
        maximize: bool = False,
    ) -> None:
        super().__init__(params, lr, weight_decay, maximize)
        self.eps = _non_negative("eps", eps, "Invalid epsilon value")
        self.betas = _betas(betas)
        self.momentum_decay = _non_negative(
            "momentum_decay", momentum_decay, "Invalid momentum_decay value"
        )

    def _initial_state(self) -> State:
        return {"step": 0.0, "mu_product": 1.0, "exp_avg": 0.0, "exp_avg_sq": 0.0}

    def _update(self, param: Value, grad: float, state: State) -> None:
        beta1, beta2 = self.betas
        state["step"] += 1
        step = state["step"]
        bias_correction2 = 1 - beta2**step
        mu = beta1 * (1.0 - 0.5 * (0.96 ** (step * self.momentum_decay)))
        mu_next = beta1 * (1.0 - 0.5 * (0.96 ** ((step + 1) * self.momentum_decay)))
        mu_product = state["mu_product"] * mu
        state["mu_product"] = mu_product
        state["exp_avg"] = _lerp(state["exp_avg"], grad, 1 - beta1)
        state["exp_avg_sq"] = state["exp_avg_sq"] * beta2 + (1 - beta2) * grad * grad
        denominator = math.sqrt(state["exp_avg_sq"] / bias_correction2) + self.eps
        mu_product_next = mu_product * mu_next
        grad_weight = -self.lr * (1.0 - mu) / (1.0 - mu_product)
        momentum_weight = (-self.lr * mu_next) / (1.0 - mu_product_next)
        param.data = param.data + grad_weight * grad / denominator
        param.data = param.data + momentum_weight * state["exp_avg"] / denominator


class LRScheduler:
    """Base of the schedulers: each `step()` sets `optimizer.lr` to the next value.

    Like PyTorch's schedulers, each computes the next rate from the current one
    (the "chainable" form), so several schedulers can share one optimiser.
    """

    def __init__(self, optimizer: Optimizer) -> None:
        if not isinstance(optimizer, Optimizer):
            raise TypeError(f"{type(optimizer).__name__} is not an Optimizer")
        self.optimizer = optimizer
        self.base_lr: float = optimizer.lr
        """The learning rate when the scheduler was made."""
        self.last_epoch = 0
        """How many times `step()` has been called."""
        self._last_lr = optimizer.lr

    def _next_lr(self) -> float:
        """The learning rate for epoch `last_epoch` (already advanced)."""
        raise NotImplementedError

    def step(self) -> None:
        """Advance one epoch: call after `optimizer.step()`."""
        self.last_epoch += 1
        self.optimizer.lr = self._next_lr()
        self._last_lr = self.optimizer.lr

    def get_last_lr(self) -> list[float]:
        """The learning rate set by the last step, as PyTorch's one-group list."""
        return [self._last_lr]


def _positive_int(name: str, value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an int, got {type(value).__name__}: {value!r}")
    if value <= 0:
        raise ValueError(f"{name} must be positive, got {value}")
    return int(value)


class StepLR(LRScheduler):
    """Multiply the learning rate by `gamma` every `step_size` epochs."""

    def __init__(self, optimizer: Optimizer, step_size: int, gamma: float = 0.1) -> None:
        self.step_size = _positive_int("step_size", step_size)
        self.gamma = _real("gamma", gamma)
        super().__init__(optimizer)

    def _next_lr(self) -> float:
        if self.last_epoch % self.step_size != 0:
            return self.optimizer.lr
        return self.optimizer.lr * self.gamma


class ExponentialLR(LRScheduler):
    """Multiply the learning rate by `gamma` every epoch."""

    def __init__(self, optimizer: Optimizer, gamma: float) -> None:
        self.gamma = _real("gamma", gamma)
        super().__init__(optimizer)

    def _next_lr(self) -> float:
        return self.optimizer.lr * self.gamma


class CosineAnnealingLR(LRScheduler):
    """Lower the rate along half a cosine from its start to `eta_min` in `T_max` epochs.

    Closed form: eta_min + (base_lr − eta_min)·(1 + cos(π·t/T_max))/2. Past
    `T_max` it rises again (a full cosine period is 2·T_max), as in PyTorch.
    """

    def __init__(self, optimizer: Optimizer, T_max: int, eta_min: float = 0.0) -> None:
        self.T_max = _positive_int("T_max", T_max)
        self.eta_min = _real("eta_min", eta_min)
        super().__init__(optimizer)

    def _next_lr(self) -> float:
        lr, epoch, period = self.optimizer.lr, self.last_epoch, self.T_max
        if (epoch - 1 - period) % (2 * period) == 0:
            return lr + (self.base_lr - self.eta_min) * (1 - math.cos(math.pi / period)) / 2
        return (1 + math.cos(math.pi * epoch / period)) / (
            1 + math.cos(math.pi * (epoch - 1) / period)
        ) * (lr - self.eta_min) + self.eta_min
