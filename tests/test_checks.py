"""The one argument-checking module: each check converts or names what was wrong."""

import math
from fractions import Fraction

import pytest

from autograd_nn import checks


@pytest.mark.parametrize(
    "value, described",
    [
        (None, "null"),
        (True, "the boolean True"),
        ("lr", "the string 'lr'"),
        ({"a": 1}, "an object"),
        ([1, 2, 3], "a list of 3 entries"),
        (2.5, "2.5"),
        (object(), "an object"),
        (range(2), "a range"),
    ],
)
def test_describe_says_what_a_value_is(value, described):
    assert checks.describe(value) == described


def test_describe_cuts_a_long_string():
    text = checks.describe("x" * 10_000)
    assert len(text) < 60 and text.endswith("...'")


def test_real_converts_numbers_and_refuses_the_rest():
    assert checks.real("lr", 1) == 1.0 and type(checks.real("lr", 1)) is float
    assert checks.real("lr", Fraction(1, 4)) == 0.25
    with pytest.raises(TypeError, match="lr must be a number, got the boolean True"):
        checks.real("lr", True)
    with pytest.raises(TypeError, match=r"lr must be a number, got the string '0\.1'"):
        checks.real("lr", "0.1")
    for bad in (math.inf, -math.inf, math.nan):
        with pytest.raises(ValueError, match="lr must be finite"):
            checks.real("lr", bad)
    assert checks.real("lr", math.inf, finite=False) == math.inf
    with pytest.raises(ValueError, match="lr must fit a float"):
        checks.real("lr", 10**400)


def test_positive_and_non_negative():
    assert checks.positive("eps", 1e-8) == 1e-8
    with pytest.raises(ValueError, match=r"eps must be positive, got 0\.0"):
        checks.positive("eps", 0)
    assert checks.non_negative("noise", 0) == 0.0
    with pytest.raises(ValueError, match=r"noise must be zero or positive, got \-1\.0"):
        checks.non_negative("noise", -1)


def test_in_range_closed_and_half_open():
    assert checks.in_range("p", 1.0, 0.0, 1.0) == 1.0
    with pytest.raises(ValueError, match=r"p must be in \[0, 1\), got 1.0"):
        checks.in_range("p", 1.0, 0.0, 1.0, include_high=False)
    with pytest.raises(ValueError, match=r"momentum must be in \[0, 1\], got -0.5"):
        checks.in_range("momentum", -0.5, 0.0, 1.0)


def test_whole_refuses_floats_and_bools():
    assert checks.whole("epochs", 3) == 3
    with pytest.raises(TypeError, match=r"epochs must be a whole number, got 3\.0"):
        checks.whole("epochs", 3.0)
    with pytest.raises(TypeError, match="epochs must be a whole number, got the boolean True"):
        checks.whole("epochs", True)
    with pytest.raises(ValueError, match="epochs must be at least 1, got 0"):
        checks.whole("epochs", 0)
    assert checks.whole("seed", 0, at_least=0) == 0


def test_flag_takes_only_booleans():
    assert checks.flag("nesterov", False) is False
    for bad in (0, 1, "no", None):
        with pytest.raises(TypeError, match="nesterov must be True or False"):
            checks.flag("nesterov", bad)


def test_one_of_lists_the_known_names_and_is_both_error_kinds():
    assert checks.one_of("activation", "relu", ["relu", "tanh"]) == "relu"
    with pytest.raises(checks.UnknownNameError) as caught:
        checks.one_of("activation", "rleu", ["relu", "tanh"])
    assert str(caught.value) == "unknown activation 'rleu'; known: relu, tanh"
    assert isinstance(caught.value, ValueError) and isinstance(caught.value, KeyError)
    with pytest.raises(ValueError, match="unknown loss 3"):
        checks.one_of("loss", 3, ["mse"])
