"""Hypothesis profiles: `ci` (derandomized, used when CI is set) and `dev`; shared fixtures."""

import os
import signal
import subprocess
import sys

import pytest
from hypothesis import HealthCheck, settings

settings.register_profile(
    "ci",
    derandomize=True,
    deadline=None,
    max_examples=100,
    suppress_health_check=[HealthCheck.too_slow],
    print_blob=True,
)
settings.register_profile("dev", deadline=None, max_examples=100)
settings.load_profile("ci" if os.environ.get("CI") else os.environ.get("HYPOTHESIS_PROFILE", "dev"))


def _ctrl_c_reaches_it() -> None:
    """A shell without job control starts background jobs with SIGINT ignored, and
    an ignored signal stays ignored in the child: give the child the default."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


@pytest.fixture
def start_cli():
    """Start `python -m autograd_nn ARGS...` as a subprocess that a real SIGINT reaches."""
    started = []

    def start(*args: str) -> subprocess.Popen[str]:
        process = subprocess.Popen(
            [sys.executable, "-m", "autograd_nn", *args],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
            preexec_fn=_ctrl_c_reaches_it,
        )
        started.append(process)
        return process

    yield start
    for process in started:
        process.kill()
        process.communicate()
