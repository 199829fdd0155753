"""Optimisers, step for step as PyTorch's, and `OPTIMIZERS`, the ones `fit` knows by name.

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

A new optimiser is one subclass of `Optimizer` that writes `_update` (and
`_initial_state` if it keeps state), plus one entry in `OPTIMIZERS`; the base
class handles `maximize` and weight decay, which a subclass changes by
overriding `_apply_weight_decay` (as `AdamW` does).
"""

from __future__ import annotations

import inspect
import math
from collections.abc import Iterable
from typing import ClassVar

from .. import checks
from ..engine import Value

__all__ = ["OPTIMIZERS", "SGD", "Adagrad", "Adam", "AdamW", "NAdam", "Optimizer", "RMSprop"]

State = dict[str, float]
Betas = tuple[float, float]

_BASE_ARGUMENTS = ("params", "lr", "weight_decay", "maximize")


def _pytorch_checked(name: str, value: object, message: str, below: float = math.inf) -> float:
    """`value` as a float in [0, below), else a `ValueError` in PyTorch's words.

    A non-number is refused by `checks.real`; a number outside, NaN or
    infinity raises ``f"{message}: {value}"``, e.g. "Invalid learning rate: -1",
    as `torch.optim` words it (PyTorch itself lets infinity through).
    """
    number = checks.real(name, value, finite=False)
    if not 0.0 <= number < below:
        raise ValueError(f"{message}: {value}")
    return number


def _betas(betas: Betas) -> Betas:
    """Adam's two betas, each in [0, 1)."""
    if not isinstance(betas, (tuple, list)) or len(betas) != 2:
        raise TypeError(f"betas must be a pair of numbers, got {checks.describe(betas)}")
    first, second = (
        _pytorch_checked(f"betas[{i}]", beta, f"Invalid beta parameter at index {i}", 1.0)
        for i, beta in enumerate(betas)
    )
    return first, second


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
    (negated when `maximize`), lets `_apply_weight_decay` apply the weight
    decay, and hands the result to the subclass's `_update`. A subclass
    keeps each constructor argument in the attribute of the same name, which
    `repr` shows.
    """

    fit_lr: ClassVar[float] = 0.02
    """The learning rate `fit` uses when it builds this optimiser by name without `lr`.

    It suits the toy data sets; the constructor's own default is PyTorch's.
    """

    def __init__(
        self,
        params: Iterable[Value],
        lr: float,
        weight_decay: float = 0,
        maximize: bool = False,
    ) -> None:
        self.lr: float = _pytorch_checked("lr", lr, "Invalid learning rate")
        self.weight_decay = _pytorch_checked(
            "weight_decay", weight_decay, "Invalid weight_decay value"
        )
        self.maximize = checks.flag("maximize", maximize)
        self.params: list[Value] = _parameter_list(params)
        self.state: dict[Value, State] = {}
        """Each parameter's state (a dict of floats), from its first step on."""

    def _initial_state(self) -> State:
        """A parameter's state just before its first step."""
        return {}

    def _apply_weight_decay(self, param: Value, grad: float) -> float:
        """The gradient with weight decay applied (called only when weight_decay is not 0).

        PyTorch's coupled decay, L2 regularisation: grad + weight_decay·param.
        An override may change `param.data` instead and return `grad` (see `AdamW`).
        """
        return grad + self.weight_decay * param.data

    def _update(self, param: Value, grad: float, state: State) -> None:
        """Change `param.data` by one step, given its (decayed) gradient."""
        raise NotImplementedError

    def step(self) -> None:
        """Update every parameter once from its current `.grad`.

        With ``eps=0`` a parameter whose squared gradients so far sum to 0 has
        no step size (0/0; PyTorch steps it to nan): that raises a
        `ZeroDivisionError` saying so, and the step changes no parameter.
        """
        if getattr(self, "eps", None) != 0:
            self._step_all()
            return
        saved = [param.data for param in self.params]
        states = {param: dict(state) for param, state in self.state.items()}
        try:
            self._step_all()
        except ZeroDivisionError:
            for param, data in zip(self.params, saved):
                param.data = data
            self.state = states
            raise ZeroDivisionError(
                f"{type(self).__name__} with eps=0 divides by 0 for a parameter whose "
                "gradients have all been 0 (PyTorch would set it to nan); use eps > 0, "
                "e.g. 1e-8; no parameter was changed"
            ) from None

    def _step_all(self) -> None:
        for param in self.params:
            grad = -param.grad if self.maximize else param.grad
            if self.weight_decay != 0:
                grad = self._apply_weight_decay(param, grad)
            state = self.state.get(param)
            if state is None:
                state = self.state[param] = self._initial_state()
            self._update(param, grad, state)

    def zero_grad(self) -> None:
        """Set every parameter's `.grad` to 0.0 (gradients accumulate otherwise)."""
        for param in self.params:
            param.grad = 0.0

    def __repr__(self) -> str:
        own = [n for n in inspect.signature(type(self)).parameters if n not in _BASE_ARGUMENTS]
        names = ("lr", *own, "weight_decay")
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

    State: `momentum_buffer` (when momentum is not 0). The positional order
    of the arguments is `torch.optim.SGD`'s.
    """

    fit_lr = 0.1

    def __init__(self, params: Iterable[Value], lr: float = 1e-3, momentum: float = 0,
                 dampening: float = 0, weight_decay: float = 0, nesterov: bool = False, *,
                 maximize: bool = False) -> None:
        super().__init__(params, lr, weight_decay, maximize)
        self.momentum = _pytorch_checked("momentum", momentum, "Invalid momentum value")
        self.dampening = checks.real("dampening", dampening)
        self.nesterov = checks.flag("nesterov", nesterov)
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

    def __init__(self, params: Iterable[Value], lr: float = 1e-2, lr_decay: float = 0,
                 weight_decay: float = 0, initial_accumulator_value: float = 0,
                 eps: float = 1e-10, *, maximize: bool = False) -> None:
        super().__init__(params, lr, weight_decay, maximize)
        self.lr_decay = _pytorch_checked("lr_decay", lr_decay, "Invalid lr_decay value")
        self.initial_accumulator_value = _pytorch_checked(
            "initial_accumulator_value",
            initial_accumulator_value,
            "Invalid initial_accumulator_value value",
        )
        self.eps = _pytorch_checked("eps", eps, "Invalid epsilon value")

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

    def __init__(self, params: Iterable[Value], lr: float = 1e-2, alpha: float = 0.99,
                 eps: float = 1e-8, weight_decay: float = 0, momentum: float = 0,
                 centered: bool = False, *, maximize: bool = False) -> None:
        super().__init__(params, lr, weight_decay, maximize)
        self.eps = _pytorch_checked("eps", eps, "Invalid epsilon value")
        self.momentum = _pytorch_checked("momentum", momentum, "Invalid momentum value")
        self.alpha = _pytorch_checked("alpha", alpha, "Invalid alpha value")
        self.centered = checks.flag("centered", centered)

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


class _MovingAverages(Optimizer):
    """What Adam and NAdam share: betas, eps, and the moving averages of g and g².

    `_advance` counts a step and updates m ← β1·m + (1−β1)·g (in the form of
    PyTorch's lerp) and v ← β2·v + (1−β2)·g², PyTorch's `exp_avg` and `exp_avg_sq`.
    """

    def __init__(self, params: Iterable[Value], lr: float, betas: Betas, eps: float,
                 weight_decay: float, maximize: bool) -> None:
        super().__init__(params, lr, weight_decay, maximize)
        self.eps = _pytorch_checked("eps", eps, "Invalid epsilon value")
        self.betas = _betas(betas)

    def _initial_state(self) -> State:
        return {"step": 0.0, "exp_avg": 0.0, "exp_avg_sq": 0.0}

    def _advance(self, grad: float, state: State) -> float:
        """Count the step and update m and v; the step's number (1 at the first)."""
        beta1, beta2 = self.betas
        state["step"] += 1
        state["exp_avg"] = _lerp(state["exp_avg"], grad, 1 - beta1)
        state["exp_avg_sq"] = state["exp_avg_sq"] * beta2 + (1 - beta2) * grad * grad
        return state["step"]


class Adam(_MovingAverages):
    """Adam: momentum and an RMSprop-style step size, both bias-corrected.

    PyTorch: m ← β1·m + (1−β1)·g, v ← β2·v + (1−β2)·g²,
    θ ← θ − lr/(1−β1ᵗ) · m / (√v/√(1−β2ᵗ) + eps): the lectures' momentum (m)
    combined with RMSprop's adaptive rate (v). `amsgrad` divides by the
    largest v seen so far instead of the current one.

    State: `step`, `exp_avg` (m), `exp_avg_sq` (v), and `max_exp_avg_sq` with amsgrad.
    """

    def __init__(self, params: Iterable[Value], lr: float = 1e-3, betas: Betas = (0.9, 0.999),
                 eps: float = 1e-8, weight_decay: float = 0, amsgrad: bool = False, *,
                 maximize: bool = False) -> None:
        super().__init__(params, lr, betas, eps, weight_decay, maximize)
        self.amsgrad = checks.flag("amsgrad", amsgrad)

    def _initial_state(self) -> State:
        state = super()._initial_state()
        if self.amsgrad:
            state["max_exp_avg_sq"] = 0.0
        return state

    def _update(self, param: Value, grad: float, state: State) -> None:
        beta1, beta2 = self.betas
        step = self._advance(grad, state)
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


class AdamW(Adam):
    """Adam with decoupled weight decay (Loshchilov & Hutter), as `torch.optim.AdamW`.

    Before each Adam step the parameter shrinks, θ ← θ·(1 − lr·weight_decay),
    instead of weight_decay·θ joining the gradient: the decay then does not
    pass through Adam's moving averages, so every weight decays at the same
    rate whatever its gradient's history. Only the default weight_decay
    (1e-2) and the weight-decay hook differ from `Adam`.
    """

    def __init__(self, params: Iterable[Value], lr: float = 1e-3, betas: Betas = (0.9, 0.999),
                 eps: float = 1e-8, weight_decay: float = 1e-2, amsgrad: bool = False, *,
                 maximize: bool = False) -> None:
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad, maximize=maximize)

    def _apply_weight_decay(self, param: Value, grad: float) -> float:
        param.data = param.data * (1 - self.lr * self.weight_decay)
        return grad


class NAdam(_MovingAverages):
    """NAdam: Adam with Nesterov momentum (Dozat), as PyTorch implements it.

    The momentum coefficient warms up, μₜ = β1·(1 − ½·0.96^(t·momentum_decay)),
    and the step mixes the current gradient with the look-ahead momentum, the
    lectures' Nesterov idea applied to Adam:
    θ ← θ − lr·[(1−μₜ)/(1−Πμ)·g + μₜ₊₁/(1−Πμ·μₜ₊₁)·m] / (√(v/(1−β2ᵗ)) + eps),
    with m, v Adam's moving averages and Πμ the product μ1···μₜ.

    State: `step`, `mu_product`, `exp_avg`, `exp_avg_sq`.
    """

    def __init__(self, params: Iterable[Value], lr: float = 2e-3, betas: Betas = (0.9, 0.999),
                 eps: float = 1e-8, weight_decay: float = 0, momentum_decay: float = 4e-3, *,
                 maximize: bool = False) -> None:
        super().__init__(params, lr, betas, eps, weight_decay, maximize)
        self.momentum_decay = _pytorch_checked(
            "momentum_decay", momentum_decay, "Invalid momentum_decay value"
        )

    def _initial_state(self) -> State:
        return {"step": 0.0, "mu_product": 1.0, "exp_avg": 0.0, "exp_avg_sq": 0.0}

    def _update(self, param: Value, grad: float, state: State) -> None:
        beta1, beta2 = self.betas
        step = self._advance(grad, state)
        bias_correction2 = 1 - beta2**step
        mu = beta1 * (1.0 - 0.5 * (0.96 ** (step * self.momentum_decay)))
        mu_next = beta1 * (1.0 - 0.5 * (0.96 ** ((step + 1) * self.momentum_decay)))
        mu_product = state["mu_product"] * mu
        state["mu_product"] = mu_product
        denominator = math.sqrt(state["exp_avg_sq"] / bias_correction2) + self.eps
        mu_product_next = mu_product * mu_next
        grad_weight = -self.lr * (1.0 - mu) / (1.0 - mu_product)
        momentum_weight = (-self.lr * mu_next) / (1.0 - mu_product_next)
        param.data = param.data + grad_weight * grad / denominator
        param.data = param.data + momentum_weight * state["exp_avg"] / denominator


OPTIMIZERS: dict[str, type[Optimizer]] = {
    "sgd": SGD,
    "adagrad": Adagrad,
    "rmsprop": RMSprop,
    "adam": Adam,
    "adamw": AdamW,
    "nadam": NAdam,
}
"""The optimisers `fit` (and the command line's `train --optimizer`) know by name."""
