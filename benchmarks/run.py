"""Time the workloads for autograd_nn and micrograd side by side and print a table.

    python -m benchmarks            # or: python benchmarks/run.py
    python -m benchmarks --json     # machine-readable

Everything runs in one process. Timed runs alternate between the engines (and
between which goes first); each starts after `gc.collect()`, so one engine's
leftover garbage is never collected on the other's clock. Otherwise the
collector runs as Python sets it, except where a row says it was paused.
Steps of a millisecond or so (the compiled engine's, PyTorch's) are timed
several in a row, per step, as training runs them (see `alternate`).
Reported: median and min-max of the runs. The exit status is 1 if a goal is
missed.
"""

from __future__ import annotations

import argparse
import functools
import gc
import json
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

from autograd_nn.engine import backward_floats  # the standard library only: no numpy yet

# numpy's BLAS (the compiled engine's matrix products) on one thread, as PyTorch is
# set to: threads only add noise for these sizes on a shared machine. Set before
# anything imports numpy.
for _variable in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_variable, "1")

if __package__ in (None, ""):  # run as a script: make `benchmarks` importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

try:
    from benchmarks import workloads as w
except ModuleNotFoundError as missing:
    if missing.name != "micrograd":
        raise
    raise SystemExit(
        'the benchmark compares against micrograd: pip install -e ".[bench]"'
    ) from None

GOAL_STEP_SPEEDUP = 15.0
GOAL_BYTES_PER_NODE = 250.0
GOAL_CHAIN_GROWTH = 1.5
GOAL_GRID_SPEEDUP = 10.0
GOAL_COMPILED_VERSUS_TORCH = {100: 0.8, 1_000: 1.0, 10_000: 1.5}
GOAL_COMPILED_VERSUS_SCALAR = {100: 50.0}
GOAL_BACKWARD_OVERHEAD = 1.05
# Consecutive steps per timed run of the compiled engine and PyTorch, by N: a
# run of some 5-10 ms (see `alternate`). Measured at N=100: one step timed
# alone after gc.collect() took 1.2 ms compiled and 1.8 ms in PyTorch; ten in a
# row, 0.59 and 1.06 ms each; in a loop with no collection, 0.48 and 0.78.
CALLS_PER_RUN = {100: 10, 1_000: 5, 10_000: 1}


@dataclass
class Timing:
    """Seconds of repeated runs of one workload."""

    seconds: list[float]

    @property
    def median(self) -> float:
        return statistics.median(self.seconds)

    def spread(self, unit: float, digits: int) -> str:
        """e.g. ``'38.1 (36.0-41.2)'`` in `unit` seconds."""
        low, high = min(self.seconds) / unit, max(self.seconds) / unit
        return f"{self.median / unit:.{digits}f} ({low:.{digits}f}-{high:.{digits}f})"


@dataclass
class Row:
    """One line of the table."""

    workload: str
    autograd_nn: str
    micrograd: str
    ratio: str = ""
    goal: str = ""
    met: bool | None = None
    numbers: dict[str, Any] = field(default_factory=dict)


def alternate(
    runs: dict[str, Callable[[], object]], repeats: int, warm_up: bool = True, calls: int = 1
) -> dict[str, Timing]:
    """Time each callable `repeats` times, taking turns, after one untimed warm-up each.

    A timed run makes `calls` consecutive calls and counts the time per call:
    workloads of a millisecond or less are run several at a time, as training
    runs its steps, since a single one timed right after `gc.collect()`
    measures what the collection did to the caches more than the call itself.
    """
    names = list(runs)
    for name in names if warm_up else []:
        gc.collect()
        runs[name]()
    seconds: dict[str, list[float]] = {name: [] for name in names}
    for round_ in range(repeats):
        for name in names if round_ % 2 == 0 else reversed(names):
            run = runs[name]
            gc.collect()
            start = time.perf_counter()
            for _ in range(calls):
                run()
            seconds[name].append((time.perf_counter() - start) / calls)
    return {name: Timing(s) for name, s in seconds.items()}


def machine() -> dict[str, str]:
    """CPU, cores, Python, platform and the engines' versions."""
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as file:
            names = [line.split(":", 1)[1].strip()
                     for line in file if line.startswith("model name")]
        cpu = names[0] if names else cpu
    except OSError:
        pass
    versions = {name: _version(name) for name in ("autograd_nn", "micrograd", "torch")}
    return {
        "cpu": cpu,
        "cores": str(os.cpu_count()),
        "python": f"{platform.python_implementation()} {platform.python_version()}",
        "platform": platform.platform(),
        **versions,
    }


def _version(distribution: str) -> str:
    try:
        return metadata.version(distribution)
    except metadata.PackageNotFoundError:
        return "not installed"


# The workloads -------------------------------------------------------------------


def training_step(repeats: int) -> list[Row]:
    """Goal 1 (speed of one demo step) and goal 5 (no cyclic garbage)."""
    X, Y = w.moons()
    ours, theirs = w.twin_models()
    losses: dict[str, list[float]] = {"autograd_nn": [], "micrograd": []}

    def step_ours() -> None:
        losses["autograd_nn"].append(w.our_step(ours, X, Y))

    def step_theirs() -> None:
        losses["micrograd"].append(w.micrograd_step(theirs, X, Y))

    timing = alternate({"autograd_nn": step_ours, "micrograd": step_theirs}, repeats)
    drift = max(abs(a - b) for a, b in zip(losses["autograd_nn"], losses["micrograd"]))
    if not drift < 1e-9:
        raise AssertionError(f"the two engines' losses differ by {drift}: not the same workload")
    speedup = timing["micrograd"].median / timing["autograd_nn"].median
    rows = [
        Row(
            "training step, MLP(2,[16,16,1]), 100 moons points [ms]",
            timing["autograd_nn"].spread(1e-3, 1),
            timing["micrograd"].spread(1e-3, 0),
            f"{speedup:.1f}x faster",
            f">= {GOAL_STEP_SPEEDUP:g}x faster",
            speedup >= GOAL_STEP_SPEEDUP,
            {
                "autograd_nn_seconds": timing["autograd_nn"].seconds,
                "micrograd_seconds": timing["micrograd"].seconds,
                "speedup": speedup,
                "largest_loss_difference": drift,
            },
        )
    ]
    garbage_ours = w.cyclic_garbage_after_a_step(lambda: w.our_step(ours, X, Y))
    garbage_theirs = w.cyclic_garbage_after_a_step(lambda: w.micrograd_step(theirs, X, Y))
    rows.append(
        Row(
            "objects gc.collect() frees after one step",
            f"{garbage_ours:,}",
            f"{garbage_theirs:,}",
            "",
            "0",
            garbage_ours == 0,
            {"autograd_nn": garbage_ours, "micrograd": garbage_theirs},
        )
    )
    return rows


def backward_alone(repeats: int) -> list[Row]:
    """backward() on the step's graph, against micrograd's, and against
    `backward_floats`, the walk it runs, called directly without its create_graph
    switch: that option must not slow it down."""
    X, Y = w.moons()
    ours, theirs = w.twin_models()
    root, their_root = w.our_loss(ours, X, Y), w.micrograd_loss(theirs, X, Y)
    timing = alternate({"backward": root.backward,
                        "walk": functools.partial(backward_floats, root),
                        "micrograd": their_root.backward}, repeats)
    nodes = len(w.topological_sort(root))
    overhead = timing["backward"].median / timing["walk"].median
    return [
        Row(f"backward alone, the step's graph ({nodes:,} nodes), create_graph=False [ms]",
            timing["backward"].spread(1e-3, 1), timing["micrograd"].spread(1e-3, 0),
            f"{timing['micrograd'].median / timing['backward'].median:.1f}x faster",
            numbers={f"{name}_seconds": t.seconds for name, t in timing.items()}),
        Row("  backward() against the same walk called directly, without the create_graph "
            "switch [ms]",
            timing["walk"].spread(1e-3, 1), "", f"backward() {overhead:.3f}x its time",
            f"<= {GOAL_BACKWARD_OVERHEAD:g}x", overhead <= GOAL_BACKWARD_OVERHEAD,
            {"overhead": overhead}),
    ]


def pytorch_reference(repeats: int) -> list[Row]:
    """The same step in PyTorch, if installed: what the student graduates to.

    Run last: importing PyTorch leaves some 150,000 long-lived objects that
    every later full collection would rescan, slowing the other workloads.
    """
    X, Y = w.moons()
    ours, _ = w.twin_models()
    step = w.torch_step(ours, X, Y)
    if step is None:
        return []
    timing = alternate({"torch": step}, repeats, calls=CALLS_PER_RUN[100])["torch"]
    return [
        Row(
            "reference: the same step in PyTorch, float64, 1 thread [ms]",
            timing.spread(1e-3, 2),
            "",
            numbers={"torch_seconds": timing.seconds},
        )
    ]


def compiled_training(sizes: Sequence[int], repeats: int, quick: bool) -> list[Row]:
    """The training step on the compiled engine at N points, against PyTorch (float64,
    one thread) and the scalar engine, each on its own copy of the same weights.

    The scalar engine takes seconds per step at 10,000 points: it runs 3 times
    at 1,000 and once at 10,000 (not at all there with --quick).
    """
    rows: list[Row] = []
    for n in sizes:
        X, Y = w.moons(n)
        scalar_model, _ = w.twin_models()
        fused_model, _ = w.twin_models()
        single_model, _ = w.twin_models()
        runs: dict[str, Callable[[], object]] = {
            "fused": w.compiled_step(fused_model, X, Y, fuse=True),
            "node by node": w.compiled_step(single_model, X, Y, fuse=False),
        }
        torch_model, _ = w.twin_models()
        torch_step = w.torch_step(torch_model, X, Y)
        if torch_step is not None:
            runs["torch"] = torch_step
        first = {name: run() for name, run in runs.items()}
        scalar_first = w.our_step(scalar_model, X, Y)
        drift = max(abs(loss - scalar_first) for loss in first.values())
        if not drift < 1e-9:
            raise AssertionError(f"the engines' losses differ by {drift} at N={n}")
        timing = alternate(runs, repeats if n < 10_000 else max(repeats // 2, 3),
                           calls=CALLS_PER_RUN[n])
        scalar_runs = repeats if n <= 100 else 3 if n <= 1_000 else 0 if quick else 1
        if scalar_runs:
            timing |= alternate({"scalar": functools.partial(w.our_step, scalar_model, X, Y)},
                                scalar_runs, warm_up=False)
        rows += _compiled_rows(n, timing)
    return rows


def _compiled_rows(n: int, timing: dict[str, Timing]) -> list[Row]:
    """compiled ÷ PyTorch and compiled ÷ scalar at N points, with their goals."""
    fused = timing["fused"]
    numbers = {f"{name}_seconds": t.seconds for name, t in timing.items()}
    rows = []
    if "torch" in timing:
        ratio = fused.median / timing["torch"].median
        goal = GOAL_COMPILED_VERSUS_TORCH[n]
        rows.append(Row(
            f"training step on the compiled engine, N={n:,} [ms]; PyTorch in the ratio",
            fused.spread(1e-3, 2), "",
            f"{ratio:.2f}x PyTorch's {timing['torch'].spread(1e-3, 2)}",
            f"<= {goal:g}x PyTorch", ratio <= goal, numbers))
    else:
        rows.append(Row(f"training step on the compiled engine, N={n:,} [ms]",
                        fused.spread(1e-3, 2), "", "PyTorch not installed", numbers=numbers))
    rows.append(Row(f"  the same, replayed node by node (no fusion), N={n:,} [ms]",
                    timing["node by node"].spread(1e-3, 2), "",
                    f"fusion {timing['node by node'].median / fused.median:.1f}x faster"))
    if "scalar" in timing:
        speedup = timing["scalar"].median / fused.median
        goal_scalar = GOAL_COMPILED_VERSUS_SCALAR.get(n)
        rows.append(Row(
            f"  the same on the scalar engine, N={n:,} [ms]",
            timing["scalar"].spread(1e-3, 0), "", f"compiled {speedup:.0f}x faster",
            "" if goal_scalar is None else f">= {goal_scalar:g}x",
            None if goal_scalar is None else speedup >= goal_scalar))
    return rows


def memory(nodes: int) -> list[Row]:
    """Goal 2: traced bytes per recorded node of a chain."""
    ours, count = w.our_bytes_per_node(nodes)
    theirs, their_count = w.micrograd_bytes_per_node(nodes)
    return [
        Row(
            f"memory per recorded node, {count:,}-node chain [bytes]",
            f"{ours:.0f}",
            f"{theirs:.0f}",
            f"{theirs / ours:.1f}x less",
            f"<= {GOAL_BYTES_PER_NODE:g}",
            ours <= GOAL_BYTES_PER_NODE,
            {"autograd_nn": ours, "micrograd": theirs, "nodes": count,
             "micrograd_nodes": their_count},
        )
    ]


def chains(short: int, long: int, rounds: int) -> list[Row]:
    """Goal 3: time per chain step at `long` steps against `short` steps.

    Each size is timed as it runs by default and with the cycle collector
    paused while the chain is built: CPython rescans every live object each
    time their number grows by a quarter, which a 10,000-step chain never
    triggers and a 1,000,000-step one does about 16 times. The paused timing
    is the engine's own cost, and the goal holds it; the timing as it runs is
    reported beside it. A control allocates the same objects with no engine,
    to show that the growth of the timing as it runs is the collector's.
    """
    per_short = max(3, long // short // 20)
    results: ChainRuns = {
        (steps, paused): [] for steps in (short, long) for paused in (False, True)
    }
    plain: dict[int, list[float]] = {short: [], long: []}
    w.our_chain_seconds(short)
    for _ in range(rounds):
        for steps in [long] + [short] * per_short:
            for paused in (False, True):
                gc.collect()
                results[steps, paused].append(w.our_chain_seconds(steps, paused))
            gc.collect()
            plain[steps].append(w.plain_chain_seconds(steps) / steps)
    return [*_chain_rows(short, long, results, w.micrograd_deepest_chain()),
            *_chain_cost_rows(short, long, results, plain)]


ChainRuns = dict[tuple[int, bool], list[tuple[float, float]]]
"""(build, backward) seconds of each chain run, by (steps, collector paused)."""


def _per_step(results: ChainRuns, steps: int, paused: bool, backward_only: bool = False) -> Timing:
    return Timing([(f if backward_only else b + f) / steps for b, f in results[steps, paused]])


def _growth(results: ChainRuns, short: int, long: int, paused: bool,
            backward_only: bool = False) -> float:
    return (_per_step(results, long, paused, backward_only).median
            / _per_step(results, short, paused, backward_only).median)


def _chain_rows(short: int, long: int, results: ChainRuns, deepest: int) -> list[Row]:
    """The two chains as a user's loop builds them, collector running."""
    as_is = _growth(results, short, long, False)
    name = "chain y = y*1.0 + 0.0"
    rows = []
    for steps, micrograd, ratio, extra in (
        (short, f"RecursionError beyond {deepest:,} steps", "",
         {"micrograd_deepest_chain": deepest}),
        (long, "RecursionError",
         f"{as_is:.2f}x per step (CPython's collector: see the control below)",
         {"growth": as_is}),
    ):
        timing = _per_step(results, steps, False)
        rows.append(Row(
            f"{name}, {steps:,} steps: build + backward [us/step]",
            timing.spread(1e-6, 2), micrograd, ratio,
            numbers={"steps": steps, "seconds_per_step": timing.seconds,
                     "seconds_per_step_collector_paused":
                         _per_step(results, steps, True).seconds, **extra},
        ))
    return rows


def _chain_cost_rows(
    short: int, long: int, results: ChainRuns, plain: dict[int, list[float]]
) -> list[Row]:
    """The engine's own cost (collector paused), its backward, and the no-engine control."""
    engine = _growth(results, short, long, True)
    backward = _growth(results, short, long, True, True)
    plain_short, plain_long = Timing(plain[short]), Timing(plain[long])
    plain_growth = plain_long.median / plain_short.median

    def us(timing: Timing) -> str:
        return f"{timing.median * 1e6:.2f}"

    sizes = f"{short:,} -> {long:,} [us/step]"
    return [
        Row(f"  the engine's own cost (collector paused while building): {sizes}",
            f"{us(_per_step(results, short, True))} -> {us(_per_step(results, long, True))}",
            "", f"{engine:.2f}x per step", f"<= {GOAL_CHAIN_GROWTH:g}x",
            engine <= GOAL_CHAIN_GROWTH, {"growth": engine}),
        Row(f"  of which backward: {sizes}",
            f"{us(_per_step(results, short, True, True))} -> "
            f"{us(_per_step(results, long, True, True))}",
            "", f"{backward:.2f}x per step", numbers={"growth": backward}),
        Row(f"  control, no engine: the same objects as bare Python objects, {sizes}",
            f"{us(plain_short)} -> {us(plain_long)}", "", f"{plain_growth:.2f}x per step",
            numbers={"growth": plain_growth, "seconds_per_step_short": plain_short.seconds,
                     "seconds_per_step_long": plain_long.seconds}),
    ]


def decision_grid(n: int, repeats: int) -> list[Row]:
    """Goal 4: scoring an n x n grid under `no_grad` against recording the graphs."""
    X, _ = w.moons()
    ours, theirs = w.twin_models()
    rows = w.grid_rows(w.grid(X, n), n)
    recorded = w.our_grid_scores(ours, rows[:2], record=True)
    if recorded != w.our_grid_scores(ours, rows[:2], record=False):
        raise AssertionError("no_grad changed the scores")
    timing = alternate(
        {
            "no_grad": lambda: w.our_grid_scores(ours, rows, record=False),
            "recording": lambda: w.our_grid_scores(ours, rows, record=True),
        },
        repeats,
        warm_up=False,
    )
    # micrograd takes a minute over the full grid: it is timed once.
    timing |= alternate({"micrograd": lambda: w.micrograd_grid_scores(theirs, rows)}, 1, False)
    speedup = timing["recording"].median / timing["no_grad"].median
    versus_micrograd = timing["micrograd"].median / timing["no_grad"].median
    return [
        Row(
            f"{n}x{n} decision grid under no_grad, a row per call [s]",
            timing["no_grad"].spread(1, 2),
            f"{timing['micrograd'].median:.1f} (once; it records)",
            f"{versus_micrograd:.1f}x faster",
            numbers={"no_grad_seconds": timing["no_grad"].seconds,
                     "micrograd_seconds": timing["micrograd"].seconds},
        ),
        Row(
            f"{n}x{n} decision grid recording graphs, a row per call [s]",
            timing["recording"].spread(1, 2),
            "",
            f"no_grad {speedup:.1f}x faster",
            numbers={"recording_seconds": timing["recording"].seconds, "speedup": speedup},
        ),
        *_compiled_grid(ours, rows, n, timing, repeats),
    ]


def _compiled_grid(
    model: Any, rows: list[Any], n: int, timing: dict[str, Timing], repeats: int
) -> list[Row]:
    """The grid as the plots score it: the compiled forward, all points in one replay."""
    points = [p for row in rows for p in row]
    compiled = w.compiled_grid_scores(model, points)
    expected = w.our_grid_scores(model, rows, record=False)
    if max(abs(a - b) for a, b in zip(compiled(), expected)) > 1e-12:
        raise AssertionError("the compiled forward's grid scores differ from no_grad's")
    runs: dict[str, Callable[[], object]] = {"compiled": compiled}
    torch_scores = w.torch_grid_scores(model, points)
    if torch_scores is not None:
        runs["torch"] = torch_scores
    timing |= alternate(runs, max(repeats, 5))
    speedup = timing["recording"].median / timing["compiled"].median
    torch_text = (f"; PyTorch {timing['torch'].spread(1e-3, 1)} ms" if "torch" in timing else "")
    return [
        Row(
            f"{n}x{n} decision grid by the compiled forward, as the plots score it [s]",
            timing["compiled"].spread(1, 3),
            "",
            f"{speedup:.0f}x faster than recording, "
            f"{timing['no_grad'].median / timing['compiled'].median:.0f}x than no_grad"
            + torch_text,
            f">= {GOAL_GRID_SPEEDUP:g}x recording",
            speedup >= GOAL_GRID_SPEEDUP,
            {f"{name}_seconds": t.seconds for name, t in timing.items()},
        )
    ]


# Reporting ----------------------------------------------------------------------


def table(rows: Sequence[Row]) -> str:
    """The rows as an aligned Markdown table."""
    header = ("workload", "autograd_nn", "micrograd 0.1.0", "ratio", "goal", "met")
    cells = [header] + [
        (r.workload, r.autograd_nn, r.micrograd, r.ratio, r.goal,
         "" if r.met is None else ("yes" if r.met else "NO"))
        for r in rows
    ]
    widths = [max(len(line[i]) for line in cells) for i in range(len(header))]
    lines = ["| " + " | ".join(c.ljust(wd) for c, wd in zip(line, widths)) + " |"
             for line in cells]
    lines.insert(1, "|" + "|".join("-" * (wd + 2) for wd in widths) + "|")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    """Run every workload; print the table (or JSON); exit 1 if a goal is missed."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    parser.add_argument("--repeats", type=int, default=11,
                        help="timed runs of the training step per engine (default 11)")
    parser.add_argument("--quick", action="store_true",
                        help="a smoke run: fewer repeats, a 200,000-step chain, a 40x40 grid")
    args = parser.parse_args(argv)
    if args.repeats < 1:
        parser.error("--repeats must be at least 1")
    quick = args.quick
    started = time.perf_counter()
    rows = [
        *training_step(3 if quick else args.repeats),
        *backward_alone(5 if quick else args.repeats * 2),
        *memory(200_000),
        *chains(10_000, 200_000 if quick else 1_000_000, 1 if quick else 3),
        *decision_grid(40 if quick else 200, 1 if quick else 3),
        *pytorch_reference(11 if quick else 51),
        *compiled_training((100, 1_000, 10_000), 5 if quick else args.repeats * 2, quick),
    ]
    info = machine()
    elapsed = time.perf_counter() - started
    all_met = all(r.met for r in rows if r.met is not None)
    if args.json:
        print(json.dumps({"machine": info, "quick": quick, "seconds": elapsed,
                          "all_goals_met": all_met, "rows": [asdict(r) for r in rows]},
                         indent=1, allow_nan=False))
    else:
        print(table(rows))
        print()
        print(f"machine: {info['cpu']}, {info['cores']} cores, {info['python']}, "
              f"{info['platform']}; autograd_nn {info['autograd_nn']}, micrograd "
              f"{info['micrograd']}, torch {info['torch']}")
        print(f"median (min-max) of alternating runs; {elapsed:.0f} s in all"
              + ("; --quick: not the goals' sizes" if quick else ""))
    return 0 if all_met else 1


if __name__ == "__main__":
    raise SystemExit(main())
