"""The expression parser: what it accepts, what it refuses, and that nothing runs."""

import math
import time

import pytest
from hypothesis import given
from hypothesis import strategies as st

from autograd_nn import Value, gradcheck
from autograd_nn.expr import MAX_DEPTH, MAX_LENGTH, Expression, ExpressionError, parse
from autograd_nn.ops import FUNCTIONS, LEAKY_RELU_SLOPE, UNARY_FUNCTIONS

XYZ = ["x", "y", "z"]
POINT = {"x": 0.7, "y": -1.3, "z": 2.0}


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("x*y + z", 0.7 * -1.3 + 2.0),
        ("sin(x**2 + 5)", math.sin(0.7**2 + 5)),
        ("-x", -0.7),
        ("+x - -y", 0.7 - 1.3),
        ("x / y ** 2", 0.7 / 1.3**2),
        ("2 ** x", 2**0.7),
        ("exp(log(z)) * sqrt(z) + tanh(y) + sigmoid(x) + relu(y) + abs(y) + cos(z)",
         2.0 * math.sqrt(2.0) + math.tanh(-1.3) + 1 / (1 + math.exp(-0.7)) + 0.0 + 1.3
         + math.cos(2.0)),
        ("  1.5e1 * (x + 1)  ", 15 * 1.7),
        ("3", 3.0),
    ],
)
def test_valid_expressions_build_the_right_graph(text, value):
    expression = parse(text, XYZ)
    assert isinstance(expression, Expression) and expression.variables == tuple(XYZ)
    out = expression.build(POINT)
    assert out.data == pytest.approx(value, rel=1e-14)


def test_gradients_through_a_parsed_expression():
    expression = parse("x*y + z", XYZ)
    leaves = {name: Value(v, name) for name, v in [("x", 3.0), ("y", -4.0), ("z", 2.0)]}
    out = expression.build(leaves)
    out.backward()
    assert out.data == -10.0 and [leaves[n].grad for n in XYZ] == [-4.0, 3.0, 1.0]
    assert out.inputs[1] is leaves["z"]
    assert gradcheck(parse("sin(x**2 + 5) * exp(-y) / (1 + z*z)", XYZ), [0.4, 0.3, -0.2])


def test_functions_come_from_the_op_table():
    assert set(UNARY_FUNCTIONS) >= {"exp", "log", "sqrt", "sin", "cos", "tanh", "sigmoid"}
    for name in UNARY_FUNCTIONS:
        out = parse(f"{name}(x)", ["x"]).build({"x": 0.5})
        assert out.op == name


def test_functions_of_more_inputs_and_their_defaults_come_from_the_op_table():
    assert {"leaky_relu", "sum"} <= set(FUNCTIONS) and "neg" not in FUNCTIONS
    out = parse("leaky_relu(x)", ["x"]).build({"x": -3.0})
    assert out.op == "leaky_relu" and out.data == -3.0 * LEAKY_RELU_SLOPE
    assert out.inputs[1].data == LEAKY_RELU_SLOPE
    slope = parse("leaky_relu(x, 0.2)", ["x"]).build({"x": -3.0})
    assert slope.data == -3.0 * 0.2
    total = parse("sum(x, y, x*y)", XYZ).build({"x": 3.0, "y": -4.0})
    assert total.op == "sum" and len(total.inputs) == 3 and total.data == -13.0
    assert [i.label for i in total.inputs[:2]] == ["x", "y"]  # arguments keep their order
    assert gradcheck(parse("leaky_relu(x - y, z) + sum(x, y*z)", XYZ), [0.3, 0.5, 0.2])


def test_flat_sums_are_not_nesting_limits():
    terms = 200
    assert parse("+".join(["x"] * terms), ["x"]).build({"x": 1.5}).data == 1.5 * terms


def test_numbers_become_leaves_and_variables_get_their_names():
    out = parse("x * 3", ["x"]).build({"x": 2.0})
    assert out.data == 6.0 and out.inputs[0].label == "x" and out.inputs[1].op == ""
    expression = parse("x + 1", ["x", "unused"])
    assert expression.used == {"x"}
    assert expression([Value(1.0), Value(5.0)]).data == 2.0


def refused(text, variables=XYZ):
    with pytest.raises(ExpressionError) as error:
        parse(text, variables)
    message = str(error.value)
    assert message and "\n" not in message
    return message


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("x.real", "attribute access"),
        ("().__class__", "attribute access"),
        ("x[0]", "subscripts"),
        ("(lambda: 1)()", "calling anything but a function"),
        ("lambda: 1", "lambda"),
        ("[x for x in y]", "comprehensions"),
        ("{x: 1}", "dicts"),
        ("q + 1", "unknown name 'q'"),
        ("foo(x)", "unknown function 'foo'"),
        ("__import__('os')", "unknown function '__import__'"),
        ("sin", "sin is a function"),
        ("sin(x, y)", "exactly one argument"),
        ("sin(x=1)", "by position"),
        ("leaky_relu(x, 0.1, 2)", "leaky_relu takes 1 or 2 arguments"),
        ("sum()", "at least one argument"),
        ("x ^ 2", "write powers as **"),
        ("x // 2", "operator //"),
        ("x < y", "comparisons"),
        ("x and y", "and/or"),
        ("x if y else z", "if/else"),
        ("'text'", "strings"),
        ("True", "bool"),
        ("1j", "complex"),
        ("1e999", "a number this large"),
        ("x +", "not a valid expression"),
        ("x = 1", "not a valid expression"),
        ("import os", "not a valid expression"),
        ("", "empty"),
        ("\x00", "not a valid expression"),
        ("(x := 1)", ":="),
        ("~x", "unary operator"),
        ("not x", "unary operator"),
    ],
)
def test_refusals_say_what_was_wrong(text, words):
    assert words in refused(text)


PAYLOADS = [
    "__import__('os').system('touch X')",
    "__import__('pathlib').Path('X').touch()",
    "().__class__.__bases__[0].__subclasses__()",
    "(lambda: __import__('os').system('touch X'))()",
    "[__import__('os').system('touch X') for x in y]",
    "open('X', 'w')",
    "exec(\"open('X', 'w')\")",
    "eval(\"open('X', 'w')\")",
    "x.real",
    "f'{__import__(\"os\").system(\"touch X\")}'",
    "sin(__import__('os').system('touch X'))",
]


@pytest.mark.parametrize("payload", PAYLOADS)
def test_payloads_are_refused_and_nothing_runs(payload, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    refused(payload)
    assert not (tmp_path / "X").exists()
    assert list(tmp_path.iterdir()) == []


def test_huge_powers_fail_fast_with_one_line():
    start = time.perf_counter()
    expression = parse("9**9**9")
    with pytest.raises(OverflowError, match=r"^pow\(9.0, 387420489.0\): result too large$"):
        expression.build({})
    with pytest.raises(OverflowError, match="too large"):
        parse("exp(x)**1e300", ["x"]).build({"x": 2.0})
    assert time.perf_counter() - start < 1.0


def test_length_and_depth_are_capped():
    assert "too long" in refused("x+" * MAX_LENGTH + "x")
    assert "nested too deeply" in refused("-" * (MAX_DEPTH + 1) + "x")
    assert parse("sin(" * 99 + "x" + ")" * 99, ["x"]).build({"x": 1.0}).op == "sin"
    assert "too" in refused("(" * 240 + "x" + ")" * 240)
    assert parse("-" * (MAX_DEPTH - 1) + "x", ["x"]).build({"x": 1.0}).data == -1.0


def test_variable_names_are_checked():
    for bad in ["1x", "x-y", "lambda", "_x", "__import__", "sin", ""]:
        with pytest.raises(ExpressionError):
            parse("1", [bad])
    with pytest.raises(ExpressionError, match="no value given for y"):
        parse("x + y", ["x", "y"]).build({"x": 1.0})
    with pytest.raises(ExpressionError, match="must be text"):
        parse(b"x", ["x"])  # type: ignore[arg-type]


def check_parse(text):
    """parse either accepts the text or refuses it with a one-line ExpressionError."""
    try:
        expression = parse(text, XYZ)
    except ExpressionError as error:
        assert str(error) and "\n" not in str(error)
        return
    assert isinstance(expression, Expression)
    try:
        out = expression.build(POINT)
    except (ValueError, ArithmeticError) as error:  # a domain error of the engine
        assert str(error) and "\n" not in str(error)
        return
    assert isinstance(out, Value)


@given(st.text(max_size=200))
def test_any_text_parses_or_is_refused(text):
    check_parse(text)


EXPRESSION_CHARACTERS = "xyz0123456789.e+-*/() ,_[]:'\"lambdaimportsincoexptqrg<>=!^%@~"


@given(st.text(alphabet=EXPRESSION_CHARACTERS, max_size=80))
def test_expression_like_text_parses_or_is_refused(text):
    check_parse(text)


@given(
    st.lists(
        st.sampled_from(["x", "y", "1", "2.5", "+", "-", "*", "/", "**", "(", ")",
                         "sin(", "exp(", "log(", "sqrt(", ".real", "[0]", "__class__"]),
        max_size=30,
    )
)
def test_token_soup_parses_or_is_refused(tokens):
    check_parse("".join(tokens))


def test_the_parser_lives_with_the_command_and_keeps_its_old_address():
    import autograd_nn.cli.expr as moved
    import autograd_nn.expr as old

    for name in old.__all__:
        assert getattr(old, name) is getattr(moved, name)


def test_variables_are_read_as_pythons_parser_reads_them():
    expression = parse("ｘ * 2 + x", ["ｘ"])  # NFKC: fullwidth ｘ is x on both sides
    assert expression.variables == ("x",)
    assert expression.build({"ｘ": 3.0}).data == 9.0
    assert expression([Value(3.0)]).data == 9.0


@pytest.mark.parametrize("names", [["x", "ｘ"], ["ﬁ", "fi"], ["x", "x"]])
def test_two_variables_python_reads_as_one_are_refused(names):
    with pytest.raises(ExpressionError, match="give each variable once"):
        parse("x", names)


def test_an_unknown_name_is_reported_as_typed():
    with pytest.raises(ExpressionError, match="unknown name 'ｙ'"):
        parse("x + ｙ", ["x"])
