"""The benchmark's workloads run, at toy sizes, and make well-formed rows.

Timings are not checked (they belong in `python -m benchmarks`, never in a test):
these tests keep the benchmark from breaking unseen, and check what it checks
itself, that the engines it compares compute the same losses.
"""

import json
import math
from dataclasses import asdict

import pytest

pytest.importorskip("micrograd")
run = pytest.importorskip("benchmarks.run")


def _well_formed(rows):
    assert rows
    for row in rows:
        assert row.workload and row.autograd_nn
        assert row.met in (None, True, False)
        assert (row.goal == "") == (row.met is None), row
        json.dumps(asdict(row), allow_nan=False)  # the --json output must be valid JSON
    table = run.table(rows).splitlines()
    assert len(table) == len(rows) + 2
    assert len({len(line) for line in table}) == 1  # aligned


def test_the_training_step_rows():
    rows = run.training_step(1)
    _well_formed(rows)
    assert rows[0].numbers["largest_loss_difference"] < 1e-9
    assert rows[1].numbers["autograd_nn"] == 0  # no cyclic garbage


def test_the_backward_rows():
    rows = run.backward_alone(1)
    _well_formed(rows)
    assert math.isfinite(rows[1].numbers["overhead"])


def test_the_chain_and_memory_rows():
    _well_formed(run.chains(100, 1_000, 1))
    _well_formed(run.memory(1_000))


def test_the_grid_rows():
    pytest.importorskip("numpy")
    _well_formed(run.decision_grid(3, 1))


def test_the_compiled_rows():
    pytest.importorskip("numpy")
    rows = run.compiled_training((100,), 1, quick=True)
    _well_formed(rows)
    assert any("scalar engine" in row.workload for row in rows)
