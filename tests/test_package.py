"""Packaging: public names, the standard-library-only core, the command line."""

import subprocess
import sys

import pytest

import autograd_nn

CORE = ["engine", "ops", "checks", "graph", "gradcheck", "nn", "optim", "losses", "init", "data"]


def test_public_names():
    from autograd_nn import (  # noqa: F401
        GradcheckError,
        Value,
        gradcheck,
        no_grad,
        numerical_grad,
        topological_sort,
    )

    assert autograd_nn.__version__


@pytest.mark.parametrize("module", CORE)
def test_core_modules_import_only_the_standard_library(module):
    try:
        __import__(f"autograd_nn.{module}")
    except ModuleNotFoundError:
        pytest.skip(f"autograd_nn.{module} does not exist yet")
    code = (
        "import sys; before = set(sys.modules)\n"
        f"import autograd_nn.{module}\n"
        "new = {m.split('.')[0] for m in set(sys.modules) - before}\n"
        "print(sorted(new - set(sys.stdlib_module_names) - {'autograd_nn'}))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_python_dash_m_runs_the_worked_example():
    out = subprocess.run(
        [sys.executable, "-m", "autograd_nn", "walk"], capture_output=True, text=True, check=True
    )
    assert "-10" in out.stdout and "-12.72" in out.stdout and "3.4" in out.stdout
