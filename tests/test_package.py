"""Packaging: public names, the standard-library-only core, the command line."""

import subprocess
import sys

import pytest

import autograd_nn

CORE = ["engine", "forward_ad", "ops", "checks", "graph", "gradcheck", "nn", "optim", "losses",
        "init", "data"]


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


def _modules_with_examples():
    import importlib
    import pkgutil

    found = [autograd_nn]
    for info in pkgutil.walk_packages(autograd_nn.__path__, "autograd_nn."):
        if info.name.endswith("__main__"):  # importing it runs the command line
            continue
        found.append(importlib.import_module(info.name))
    return [m for m in found if ">>>" in (m.__doc__ or "")]


@pytest.mark.parametrize("module", _modules_with_examples(), ids=lambda m: m.__name__)
def test_the_examples_in_module_docstrings_run_as_shown(module):
    import doctest

    result = doctest.testmod(module)
    assert result.attempted > 0
    assert result.failed == 0
