"""`compile`: a loss that runs a whole batch as one traced program.

    from autograd_nn.compiled import compile
    from autograd_nn.losses import hinge_loss

    step = compile(hinge_loss, model)
    model.zero_grad()
    loss = step(X, y)          # the mean loss over the batch, a float
    optimizer.step()           # p.grad holds the batch's gradients, as after backward
    scores = step.forward(X)   # the model's outputs for every sample, as an array

The first call traces one sample (twice, on two samples, to check that the
function does the same on both) and keeps the program; later calls replay
it, reading the parameters' current values, so optimisers, schedulers and
`zero_grad` work unchanged. A change of a module's train/eval mode or of a
`BatchNorm1d`'s running statistics traces again.

A loss may read its targets' values: hinge checks that labels are -1 or 1,
cross-entropy takes the score of the labelled class. Such a program depends
on the target alone, so it is traced once for each distinct target a batch
brings (at most `MAX_TARGET_VALUES`), which also runs the loss's own checks
on every label; the programs must agree but for which slot an op reads,
which a select then picks sample by sample.

Refused, with `TraceError` (a ValueError), rather than computed wrongly:
`BatchNorm1d` in training mode (it normalises over the batch, coupling the
samples), `Dropout` in training mode with p > 0 (it draws a new mask for
every sample and step, where a trace would keep one), and any function that
branches on a traced value (see `trace`).
"""

from __future__ import annotations

import operator
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from .. import checks
from ..engine import Value
from ..nn import BatchNorm1d, Dropout, Module
from .grouped import GroupedReplay
from .program import Program, TargetKey, first_difference, merged
from .replay import Replay, checked_batch, run_forward
from .tracing import NO_TARGET, TraceError, trace

__all__ = ["Compiled", "compile"]

Array = npt.NDArray[np.float64]
LossFn = Callable[..., Value]
_training = operator.attrgetter("training")

MAX_TARGET_VALUES = 256
"""How many distinct targets a loss that reads its targets' values may meet (each is traced)."""


@dataclass
class _Traced:
    """What one function's traces gave for one shape of sample."""

    program: Program
    replay: Replay
    fingerprint: tuple[Any, ...]
    variants: dict[TargetKey, Program] = field(default_factory=dict)


class Compiled:
    """A loss compiled for whole batches (made by `compile`; see the module)."""

    def __init__(
        self,
        sample_loss: LossFn,
        sample_forward: Callable[[list[Value]], Any] | None,
        parameters: list[Value],
        modules: list[Module],
        fuse: bool,
        penalty: Callable[[], Value] | None = None,
    ) -> None:
        self._sample_loss = sample_loss
        self._sample_forward = sample_forward
        self.parameters = parameters
        """The parameters given (a model's: all of them)."""
        self._modules = modules
        self._norms = [m for m in modules if isinstance(m, BatchNorm1d)]
        self._dropouts = [m for m in modules if isinstance(m, Dropout)]
        self.fuse = fuse
        """Whether layers run as matrix products (False: one array call per instruction)."""
        self._loss: dict[tuple[int, int | None], _Traced] = {}
        self._outputs: dict[int, _Traced] = {}
        self._penalty_fn = penalty
        self._penalty: GroupedReplay | None = None
        self._lock = threading.RLock()

    @property
    def program(self) -> Program | None:
        """The loss's program, once a batch has been run (the latest traced)."""
        return next(reversed(self._loss.values())).program if self._loss else None

    @property
    def forward_program(self) -> Program | None:
        """The model's program, once `forward` has run."""
        return next(reversed(self._outputs.values())).program if self._outputs else None

    def __repr__(self) -> str:
        what = "model" if self._sample_forward is not None else "parameters"
        return f"<Compiled loss of {what}, fuse={self.fuse}>"

    # Running ----------------------------------------------------------------------

    def __call__(self, X: Any, y: Any) -> float:
        """The mean loss over the batch (X, y); adds its gradient to each parameter's grad.

        `X` holds N samples (rows of numbers), `y` N targets (numbers, or rows).
        """
        with self._lock:  # the replays keep work arrays from call to call
            loss = self._batch_loss(X, y)
            return loss + self._penalty_loss() if self._penalty_fn is not None else loss

    def _batch_loss(self, X: Any, y: Any) -> float:
        self._refuse_training_modules()
        xs = _samples(X, "X")
        ys = _targets(y, xs.shape[0])
        traced = self._traced_loss(xs, ys)
        variant = self._variants(traced, xs, ys)
        program = traced.program
        targets = ys.reshape(ys.shape[0], -1).T
        replay, values, matrices = run_forward(traced.replay, np.ascontiguousarray(xs.T),
                                               np.ascontiguousarray(targets), variant)
        n = xs.shape[0]
        per_sample = values[program.outputs[0]]
        batched = isinstance(per_sample, np.ndarray)
        loss = float(np.sum(per_sample)) / n if batched else float(per_sample)
        masks = ([np.equal(variant, v).astype(np.float64) for v in range(len(program.target_keys))]
                 if program.target_keys else [])
        with np.errstate(all="ignore"):
            replay.backward(values, matrices, [(program.outputs[0], 1.0 / n if batched else 1.0)],
                            masks, n)
        return loss

    def _penalty_loss(self) -> float:
        """The penalty's value, its gradient added to the parameters (traced once:
        it reads parameters only, so it holds no batch)."""
        if self._penalty is None:
            assert self._penalty_fn is not None
            program = trace(self._penalty_fn)
            if len(program.outputs) != 1 or not program.single_output:
                raise TypeError("compile: the penalty must return one Value")
            self._penalty = GroupedReplay(program)
        return self._penalty.run()

    def forward(self, X: Any) -> Array:
        """The model's outputs for every sample of X: shape (N,) for one output, else (N, k)."""
        if self._sample_forward is None:
            raise TypeError("Compiled.forward needs a model: compile(loss_fn, model)")
        self._refuse_training_modules()
        xs = _samples(X, "X")
        key = xs.shape[1]
        with self._lock:  # the outputs may be rows of a work array: copied before it is free
            traced = self._outputs.get(key)
            if traced is None or traced.fingerprint != self._fingerprint():
                traced = self._outputs[key] = self._trace(self._sample_forward, xs, None)
            _, values, _ = run_forward(traced.replay, np.ascontiguousarray(xs.T), None, None)
            n = xs.shape[0]
            columns = [np.broadcast_to(np.asarray(values[s], dtype=np.float64), (n,))
                       for s in traced.program.outputs]
            if traced.program.single_output:
                return np.array(columns[0])
            return np.stack(columns, axis=1)

    # Tracing ----------------------------------------------------------------------

    def _traced_loss(self, xs: Array, ys: Array) -> _Traced:
        key = (xs.shape[1], None if ys.ndim == 1 else ys.shape[1])
        traced = self._loss.get(key)
        if traced is None or traced.fingerprint != self._fingerprint():
            traced = self._trace(self._sample_loss, xs, ys)
            if len(traced.program.outputs) != 1 or not traced.program.single_output:
                raise TypeError("compile: the loss must return one Value (the loss of a sample)")
            self._loss[key] = traced
        return traced

    def _trace(self, fn: Callable[..., Any], xs: Array, ys: Array | None) -> _Traced:
        """Trace `fn` on the first sample and on the last, and check they agree."""
        target = NO_TARGET if ys is None else _target(ys, 0)
        program = _trace_sample(fn, xs, 0, target)
        if xs.shape[0] > 1:
            again = _trace_sample(fn, xs, xs.shape[0] - 1, target)
            difference = first_difference(program, again, selectable=False)
            if difference:
                raise TraceError(
                    "compile: two traces of the function, on samples 0 and "
                    f"{xs.shape[0] - 1}, differ ({difference}); it must depend on something "
                    "outside its graph: random draws (Dropout in training?), a value read "
                    "from a plain float, or state that changes between calls"
                )
        traced = _Traced(program, Replay(program, self.fuse), self._fingerprint())
        if ys is not None:
            traced.variants[_key(ys, 0)] = program
        return traced

    def _variants(self, traced: _Traced, xs: Array, ys: Array) -> Any:
        """Each sample's index into the program's target keys (None without selects).

        A loss that reads its targets' values is traced once per distinct
        target: each must give the same program, up to which slot it reads.
        """
        if not traced.program.target_reads:
            return None
        rows = ys.reshape(ys.shape[0], -1)
        variant = _match(rows, list(traced.variants))
        unknown = variant < 0
        if unknown.any():
            new = np.unique(rows[unknown], axis=0)
            if len(traced.variants) + len(new) > MAX_TARGET_VALUES:
                raise TraceError(
                    "compile: the loss reads its targets' values (at "
                    f"{traced.program.target_reads[0]}), so each distinct target is traced, "
                    f"and this data has more than {MAX_TARGET_VALUES}; write the loss "
                    "without reading target values"
                )
            for row in new.tolist():
                sample = int(np.flatnonzero((rows == row).all(axis=1))[0])
                self._add_variant(traced, xs, ys, tuple(row), sample)
        if not traced.program.target_keys:
            return None
        return _match(rows, list(traced.program.target_keys))

    def _add_variant(
        self, traced: _Traced, xs: Array, ys: Array, key: TargetKey, sample: int
    ) -> None:
        """Trace the loss for one more target value and merge it into the program."""
        target: Any = list(key) if ys.ndim == 2 else key[0]
        try:
            program = trace(self._sample_loss, xs[0].tolist(), target=target)
        except TraceError:
            raise
        except (ValueError, TypeError, ArithmeticError) as error:
            raise _at_sample(error, f"the target of sample {sample} of the batch") from None
        base = next(iter(traced.variants.values()))
        difference = first_difference(base, program, selectable=True)
        if difference:
            raise TraceError(
                f"compile: the loss reads its targets' values (at "
                f"{base.target_reads[0]}) and its program for the target of sample {sample} "
                f"differs from the first one beyond which slot it reads ({difference}); "
                "write the loss without branching on target values"
            )
        traced.variants[key] = program
        combined = merged(list(traced.variants.items()))
        if combined is not traced.program:
            traced.program = combined
            traced.replay = Replay(combined, self.fuse)

    # Modules ------------------------------------------------------------------------

    def _fingerprint(self) -> tuple[Any, ...]:
        """What a trace of the model depends on besides parameters: modes and BatchNorm's
        running statistics."""
        modes = tuple(map(_training, self._modules))
        return modes, *[(*norm.running_mean, *norm.running_var) for norm in self._norms]

    def _refuse_training_modules(self) -> None:
        for module in [*self._norms, *self._dropouts]:
            if not module.training:
                continue
            if isinstance(module, BatchNorm1d):
                raise TraceError(
                    f"compile: {module!r} is in training mode, where it normalises each "
                    "feature over the whole batch, coupling the samples; a compiled loss "
                    "replays one sample's program. Call model.eval() to use its running "
                    "statistics, or train with the scalar engine"
                )
            if isinstance(module, Dropout) and module.p > 0.0:
                raise TraceError(
                    f"compile: {module!r} is in training mode, where it draws a new random "
                    "mask for every sample and step; a trace would keep one draw for all. "
                    "Call model.eval() (dropout off), or train with the scalar engine"
                )


def _trace_sample(fn: Callable[..., Any], xs: Array, sample: int, target: Any) -> Program:
    """`trace(fn)` on one sample of the batch; an error of `fn` says which sample."""
    try:
        return trace(fn, xs[sample].tolist(), target=target)
    except TraceError:
        raise
    except (ValueError, TypeError, ArithmeticError) as error:
        raise _at_sample(error, f"sample {sample} of the batch") from None


def _at_sample(error: Exception, where: str) -> Exception:
    """`error` again, its message saying where in the batch it happened."""
    try:
        return type(error)(f"{error} ({where})")
    except TypeError:  # an exception class that takes other arguments: as it was
        return error


def _target(ys: Array, sample: int) -> Any:
    """One sample's target as the traced function gets it: a number, or a list."""
    return ys[sample].tolist() if ys.ndim == 2 else float(ys[sample])


def _key(ys: Array, sample: int) -> TargetKey:
    row = ys[sample]
    return tuple(row.tolist()) if ys.ndim == 2 else (float(row),)


def _match(rows: Array, keys: list[TargetKey]) -> npt.NDArray[np.intp]:
    """Each row's index in `keys`, -1 for a row not among them (one comparison per key)."""
    found = np.full(rows.shape[0], -1, dtype=np.intp)
    for index, key in enumerate(keys):
        same = rows[:, 0] == key[0] if len(key) == 1 else (rows == key).all(axis=1)
        found[same] = index
    return found


def _samples(X: Any, name: str) -> Array:
    """X as an (N, k) float64 array of finite numbers."""
    raw = X if isinstance(X, np.ndarray) else _as_array(X, name)
    if raw.ndim != 2:
        raise ValueError(f"{name} must be a list of samples, each a list of numbers; "
                         f"got an array of shape {raw.shape}")
    return checked_batch(raw, raw.shape[1], name)


def _targets(y: Any, n: int) -> Array:
    raw = y if isinstance(y, np.ndarray) else _as_array(y, "y")
    if raw.ndim not in (1, 2):
        raise ValueError(f"y must hold one number (or one row) per sample, got shape {raw.shape}")
    ys = checked_batch(raw, None if raw.ndim == 1 else raw.shape[1], "y")
    if ys.shape[0] != n:
        raise ValueError(f"X has {n} samples but y has {ys.shape[0]}")
    return ys


def _as_array(items: Any, name: str) -> Any:
    if isinstance(items, (str, bytes)) or not isinstance(items, Iterable):
        raise TypeError(f"{name} must be a list of samples, got {checks.describe(items)}")
    try:
        return np.asarray(items)
    except ValueError:
        raise ValueError(f"{name}: samples of different lengths") from None


def compile(
    loss_fn: LossFn,
    model_or_params: Module | Iterable[Value],
    *,
    penalty: Callable[[], Value] | None = None,
    fuse: bool = True,
) -> Compiled:
    """A loss that runs whole batches as one traced program (see the module).

    With a model, `loss_fn` is a loss as in `losses.LOSSES`,
    ``loss_fn(predictions, targets) -> Value``, the mean over samples; the
    compiled loss of a batch is ``loss_fn([model(x) for x in X], y)``, and
    `Compiled.forward` gives the model's outputs. With a list of parameters,
    `loss_fn(x, y)` is one sample's loss, x the sample's inputs as a list of
    Values; the compiled loss is its mean over the batch.

    `penalty`, a function of no argument returning a Value of the parameters
    alone (``lambda: l2_penalty(model.parameters(), 1e-4)``), is added to
    each batch's loss, as ``loss + penalty()`` on the scalar engine.
    `fuse=False` replays one array call per instruction (slower; for
    comparison).
    """
    if not callable(loss_fn):
        raise TypeError(f"compile: loss_fn must be callable, got {checks.describe(loss_fn)}")
    checks.flag("fuse", fuse)
    if isinstance(model_or_params, Module):
        model = model_or_params

        def sample_loss(x: list[Value], y: Any) -> Value:
            return loss_fn([model(x)], [y])

        def sample_outputs(x: list[Value]) -> Any:
            return model(x)

        return Compiled(sample_loss, sample_outputs, model.parameters(), model.modules(), fuse,
                        penalty)
    if penalty is not None and not callable(penalty):
        raise TypeError(f"compile: penalty must be a function, got {checks.describe(penalty)}")
    return Compiled(loss_fn, None, _parameter_list(model_or_params), [], fuse, penalty)


def _parameter_list(given: object) -> list[Value]:
    if isinstance(given, Value) or not isinstance(given, Iterable):
        raise TypeError("compile: model_or_params must be a Module or a list of parameter "
                        f"Values, got {checks.describe(given)}")
    parameters = list(given)
    for i, p in enumerate(parameters):
        if not isinstance(p, Value):
            raise TypeError(f"compile: parameters[{i}] must be a Value, got {checks.describe(p)}")
    return parameters

