"""The op table: each primitive's derivative against finite differences, and its domain errors."""

import math

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from autograd_nn import OPS, Value, gradcheck, sum_values
from autograd_nn.ops import LEAF, UNARY_FUNCTIONS, op_named
from autograd_nn.testing import finite_floats

# Where each op is differentiable: (lower, upper) bounds per input, kinks kept away from.
DOMAINS = {
    "+": [(-5, 5), (-5, 5)],
    "-": [(-5, 5), (-5, 5)],
    "*": [(-5, 5), (-5, 5)],
    "/": [(-5, 5), (0.2, 5)],
    "**": [(0.2, 4), (-3, 3)],
    "neg": [(-5, 5)],
    "abs": [(-5, 5)],
    "exp": [(-5, 5)],
    "log": [(0.05, 10)],
    "sqrt": [(0.05, 10)],
    "sin": [(-5, 5)],
    "cos": [(-5, 5)],
    "tanh": [(-4, 4)],
    "sigmoid": [(-8, 8)],
    "relu": [(-5, 5)],
    "leaky_relu": [(-5, 5), (0.0, 0.5)],
    "sum": [(-5, 5)] * 4,
    "softplus": [(-30, 30)],
    "clamp": [(-5, 5), (-3, -1), (1, 3)],
    "logsumexp": [(-5, 5)] * 4,
}
KINKED = {"abs", "relu", "leaky_relu"}


def test_every_op_has_a_domain_here_and_formulas_per_input():
    assert set(DOMAINS) == set(OPS)
    for op in OPS.values():
        assert op.formulas, op.name
        if op.arity is not None:
            assert len(op.formulas) == op.arity, op.name


@pytest.mark.parametrize("name", sorted(OPS))
@given(data=st.data())
def test_op_derivative_matches_finite_differences(name, data):
    domain = DOMAINS[name]
    xs = [data.draw(st.floats(lo, hi), label=f"x{i}") for i, (lo, hi) in enumerate(domain)]
    if name in KINKED:
        assume(abs(xs[0]) > 1e-3)
    if name == "clamp":
        assume(abs(xs[0] - xs[1]) > 1e-3 and abs(xs[0] - xs[2]) > 1e-3)
    if name == "/":
        xs[1] *= data.draw(st.sampled_from([1, -1]), label="sign")
    assert gradcheck(lambda v: v[0].apply(name, *v[1:]), xs)


@pytest.mark.parametrize("name", sorted(OPS))
def test_derivatives_return_one_local_derivative_per_input(name):
    op = OPS[name]
    n = op.arity or 3
    args = [1.5] + [0.5] * (n - 1)
    assert len(op.derivatives(op.forward(*args), *args)) == n


def test_op_named_lists_known_ops():
    assert op_named("tanh") is OPS["tanh"]
    with pytest.raises(KeyError, match=r"no op named 'tan'.*known ops: \+"):
        op_named("tan")


def test_leaf_and_unary_functions():
    assert LEAF.name == "" and Value(1.0).op == ""
    assert set(UNARY_FUNCTIONS) == {
        "abs", "exp", "log", "sqrt", "sin", "cos", "tanh", "sigmoid", "relu", "softplus"
    }


def test_formula_of_nary_op_is_shared():
    assert OPS["sum"].formula(0) == OPS["sum"].formula(7) == "1"
    assert OPS["sigmoid"].formula(0) == "σ(a)(1-σ(a))"
    assert OPS["*"].formula(0) == "b" and OPS["*"].formula(1) == "a"


@pytest.mark.parametrize(
    ("build", "error", "message"),
    [
        (lambda: Value(-2.0).log(), ValueError, "log(-2.0): log needs a positive input"),
        (lambda: Value(0.0).log(), ValueError, "log(0.0): log needs a positive input"),
        (lambda: Value(-1.0).sqrt(), ValueError, "sqrt(-1.0): sqrt needs a non-negative input"),
        (lambda: Value(1.0) / 0, ZeroDivisionError, "div(1.0 / 0.0): division by zero"),
        (lambda: 1 / Value(0.0), ZeroDivisionError, "div(1.0 / 0.0): division by zero"),
        (lambda: Value(1000.0).exp(), OverflowError, "exp(1000.0): result too large"),
        (lambda: Value(0.0) ** -1, ZeroDivisionError, "pow(0.0, -1.0): zero cannot be raised"),
        (lambda: Value(-8.0) ** (1 / 3), ValueError, "pow(-8.0, 0.333"),
        (lambda: Value(10.0) ** 400, OverflowError, "pow(10.0, 400.0): result too large"),
        (lambda: Value(math.inf).sin(), ValueError, "sin(inf): sin needs a finite input"),
        (lambda: Value(-math.inf).cos(), ValueError, "cos(-inf): cos needs a finite input"),
    ],
)
def test_domain_errors_name_the_op_and_operand(build, error, message):
    with pytest.raises(error) as info:
        build()
    assert str(info.value).startswith(message)
    assert "math domain error" not in str(info.value)


def test_sigmoid_is_stable_at_extremes():
    assert Value(-1000.0).sigmoid().data == 0.0
    assert Value(1000.0).sigmoid().data == 1.0
    assert Value(-745.0).sigmoid().data > 0.0


@given(finite_floats(30))
def test_sigmoid_derivative_is_s_times_one_minus_s(x):
    v = Value(x)
    s = v.sigmoid()
    s.backward()
    assert v.grad == pytest.approx(s.data * (1 - s.data), abs=1e-15)
    assert s.data == pytest.approx(1 / (1 + math.exp(-x)))


@given(finite_floats(5))
def test_derivative_of_sin_x_squared_plus_5(x):
    v = Value(x)
    (v**2 + 5).sin().backward()
    assert v.grad == pytest.approx(2 * x * math.cos(x**2 + 5), rel=1e-12, abs=1e-12)


def test_conventions_at_kinks_follow_pytorch():
    for name, expected in [("relu", 0.0), ("abs", 0.0)]:
        v = Value(0.0)
        v.apply(name).backward()
        assert v.grad == expected, name
    v = Value(0.0)
    v.leaky_relu(0.2).backward()
    assert v.grad == 0.2
    v = Value(0.0)
    v.sqrt().backward()
    assert v.grad == math.inf


def test_power_derivatives_at_zero_and_negative_base():
    a, b = Value(0.0), Value(2.0)
    (a**b).backward()
    assert (a.grad, b.grad) == (0.0, 0.0)
    a, b = Value(-2.0), Value(3.0)
    (a**b).backward()
    assert a.grad == 12.0
    assert math.isnan(b.grad)
    a, b = Value(2.0), Value(3.0)
    (a**b).backward()
    assert a.grad == 12.0 and b.grad == pytest.approx(8 * math.log(2))


@pytest.mark.parametrize(
    ("base", "exponent", "expected"),
    [(1e-200, -1.0, -math.inf), (-1e-200, -1.0, -math.inf), (-1e-150, -2.0, math.inf),
     (1e-150, -2.0, -math.inf), (1e-300, 0.0, 0.0)],
)
def test_power_derivative_beyond_the_floats_is_infinite_not_an_error(base, exponent, expected):
    a = Value(base)
    out = a**exponent
    out.backward()
    assert a.grad == expected
    assert out.data == base**exponent


def test_power_derivative_beyond_the_floats_matches_pytorch():
    torch = pytest.importorskip("torch")
    for base, exponent in [(1e-200, -1.0), (-1e-200, -1.0), (-1e-150, -2.0), (1e-150, -2.0)]:
        t = torch.tensor(base, dtype=torch.float64, requires_grad=True)
        (t**exponent).backward()
        a = Value(base)
        (a**exponent).backward()
        assert a.grad == t.grad.item()


@pytest.mark.parametrize(("base", "exponent"), [
    (0.0, math.inf), (-0.0, math.inf), (0.0, math.nan), (-0.0, 1e-300), (-0.0, 1e-200),
    (math.nan, 0.0),
])
def test_power_derivatives_at_the_edges_are_pytorchs(base, exponent):
    """One formula, PyTorch's, where the old special cases at a zero base disagreed
    with it (exponent inf, nan or just above 0 at -0.0, and nan ** 0)."""
    torch = pytest.importorskip("torch")
    a, b = Value(base), Value(exponent)
    (a**b).backward()
    ta, tb = (torch.tensor(x, dtype=torch.float64, requires_grad=True) for x in (base, exponent))
    (ta**tb).backward()
    for mine, theirs in [(a.grad, ta.grad.item()), (b.grad, tb.grad.item())]:
        assert mine == theirs or (math.isnan(mine) and math.isnan(theirs)), (mine, theirs)


def test_adding_an_op_is_one_table_entry(monkeypatch):
    """A new entry, written once as a rule, is usable, differentiated, explained and drawn."""
    from autograd_nn.ops import Op
    from autograd_nn.steps import backward_steps
    from autograd_nn.viz import draw_graph

    softsign = Op.from_rule(
        "softsign", "softsign", 1,
        lambda p: (lambda a: a / (1.0 + p.abs(a)),
                   lambda out, a: (1.0 / ((1.0 + p.abs(a)) * (1.0 + p.abs(a))),)),
        ("1/(1+abs(a))^2",),
        "softsign a/(1+|a|)",
    )
    monkeypatch.setitem(OPS, "softsign", softsign)
    x = Value(0.5, "x")
    y = x.apply("softsign")
    y.label = "y"
    y.backward()
    assert y.op == "softsign" and y.data == pytest.approx(0.5 / 1.5)
    assert x.grad == pytest.approx(1 / 1.5**2)
    assert gradcheck(lambda v: (v[0] * v[1]).apply("softsign"), [0.3, -1.2])
    explanations = " ".join(step.explanation for step in backward_steps(y))
    assert "1/(1+abs(x))^2" in explanations and "0.4444" in explanations
    assert "softsign" in draw_graph(y).source


def test_an_op_given_float_functions_still_works_on_the_scalar_engine(monkeypatch):
    """The older way to write an entry (forward and derivatives on floats) still
    builds, differentiates and draws; it has no rule, so no array form."""
    from autograd_nn.ops import Op

    square = Op("square", "square", 1, lambda a: a * a, lambda out, a: (2.0 * a,), ("2*a",))
    monkeypatch.setitem(OPS, "square", square)
    x = Value(3.0)
    y = x.apply("square")
    y.backward()
    assert (y.data, x.grad, square.rule) == (9.0, 6.0, None)


def test_every_table_entry_is_one_rule_and_hot_float_forms_stay_bare():
    """Each entry is written once, as a rule; on floats the hot ops' forwards are the
    bare functions the scalar engine has always called, not wrappers around them."""
    import operator

    from autograd_nn.primitives import FLOATS

    assert [name for name, op in OPS.items() if op.rule is None] == []
    assert OPS["+"].forward is operator.add and OPS["-"].forward is operator.sub
    assert OPS["*"].forward is operator.mul and OPS["tanh"].forward is math.tanh
    assert OPS["relu"].forward is FLOATS.relu and OPS["sigmoid"].forward is FLOATS.sigmoid


# The ops branch-free losses need (issue 13) ---------------------------------------


def test_softplus_is_stable_far_from_zero():
    assert Value(1000.0).apply("softplus").data == 1000.0
    assert Value(-1000.0).apply("softplus").data == 0.0
    assert Value(-30.0).apply("softplus").data == pytest.approx(math.exp(-30.0), rel=1e-12)
    assert Value(0.0).apply("softplus").data == math.log(2.0)
    x = Value(800.0)
    x.apply("softplus").backward()
    assert x.grad == 1.0


@pytest.mark.parametrize(("a", "lo", "hi", "out", "grads"), [
    (0.5, -1.0, 1.0, 0.5, (1.0, 0.0, 0.0)),
    (-2.0, -1.0, 1.0, -1.0, (0.0, 1.0, 0.0)),
    (3.0, -1.0, 1.0, 1.0, (0.0, 0.0, 1.0)),
    (-1.0, -1.0, 1.0, -1.0, (1.0, 0.0, 0.0)),  # at a bound, the input's slope is 1, as PyTorch's
    (1.0, -1.0, 1.0, 1.0, (1.0, 0.0, 0.0)),
    (0.0, 2.0, 1.0, 1.0, (0.0, 0.0, 1.0)),  # lo > hi: the output is hi, as PyTorch's
    (math.nan, -1.0, 1.0, math.nan, (0.0, 0.0, 0.0)),
])
def test_clamp_values_and_slopes(a, lo, hi, out, grads):
    xs = [Value(a), Value(lo), Value(hi)]
    y = xs[0].apply("clamp", xs[1], xs[2])
    y.backward()
    assert y.data == out or (math.isnan(out) and math.isnan(y.data))
    assert tuple(x.grad for x in xs) == grads


def test_clamp_with_constant_bounds_takes_plain_numbers():
    x = Value(5.0)
    y = x.apply("clamp", -1, 1)
    y.backward()
    assert y.data == 1.0 and x.grad == 0.0
    assert [i.requires_grad for i in y.inputs] == [True, False, False]


def test_logsumexp_is_stable_and_its_slopes_are_the_softmax():
    xs = [Value(1000.0), Value(1000.0), Value(-1000.0)]
    y = xs[0].apply("logsumexp", *xs[1:])
    y.backward()
    assert y.data == pytest.approx(1000.0 + math.log(2.0), rel=1e-15)
    # exp(x_i - out) at |out| ~ 1000 carries out's rounding (1e-13), as PyTorch's does.
    assert [x.grad for x in xs] == pytest.approx([0.5, 0.5, 0.0], rel=1e-12, abs=1e-300)
    assert Value(-math.inf).apply("logsumexp", -math.inf).data == -math.inf
    assert Value(math.inf).apply("logsumexp", 1.0).data == math.inf
    assert math.isnan(Value(math.nan).apply("logsumexp", 1.0).data)


def test_an_nary_formula_names_its_own_input():
    """logsumexp's one formula reads exp(x_i - out); each input sees its own name."""
    from autograd_nn.steps import backward_steps

    assert OPS["logsumexp"].formula(1) == "exp(x2 - out)"
    a, b = Value(0.5, "a"), Value(-1.0, "b")
    y = a.apply("logsumexp", b)
    y.label = "L"
    y.backward()
    explanations = " ".join(step.explanation for step in backward_steps(y))
    assert "exp(a - L)" in explanations and "exp(b - L)" in explanations


@pytest.mark.parametrize(("name", "args"), [
    ("softplus", [(-3.0,), (0.0,), (2.5,), (40.0,)]),
    ("clamp", [(0.3, -1.0, 1.0), (-3.0, -1.0, 1.0), (3.0, -1.0, 1.0), (0.5, 2.0, 1.0)]),
    ("logsumexp", [(0.5, -1.0), (3.0, 3.0, -2.0), (-700.0, 700.0)]),
])
def test_new_ops_match_pytorch_float64(name, args):
    torch = pytest.importorskip("torch")
    reference = {
        "softplus": torch.nn.functional.softplus,
        "clamp": lambda a, lo, hi: torch.clamp(a, min=lo, max=hi),
        "logsumexp": lambda *xs: torch.logsumexp(torch.stack(xs), 0),
    }[name]
    for point in args:
        ours = [Value(x) for x in point]
        out = ours[0].apply(name, *ours[1:])
        out.backward()
        theirs = [torch.tensor(x, dtype=torch.float64, requires_grad=True) for x in point]
        expected = reference(*theirs)
        expected.backward()
        assert out.data == pytest.approx(expected.item(), rel=1e-12, abs=1e-300)
        for mine, tensor in zip(ours, theirs):
            assert mine.grad == pytest.approx(tensor.grad.item(), rel=1e-12, abs=1e-15), point


@pytest.mark.parametrize(
    "apply", [Value.relu, Value.leaky_relu, abs, Value.sigmoid, Value.tanh, Value.exp]
)
def test_nan_passes_through_piecewise_and_squashing_ops(apply):
    """relu(nan) was 0, hiding a NaN; PyTorch gives nan, and so does every op here."""
    assert math.isnan(apply(Value(math.nan, "x")).data)


def test_relu_of_nan_matches_pytorch_forward_and_backward():
    torch = pytest.importorskip("torch")
    x = Value(math.nan, "x")
    y = x.relu()
    y.backward()
    tx = torch.tensor(math.nan, dtype=torch.float64, requires_grad=True)
    ty = torch.relu(tx)
    ty.backward()
    assert math.isnan(y.data) and math.isnan(ty.item())
    assert x.grad == tx.grad.item() == 1.0


# Overflow: one behaviour for every op (issue 11) ---------------------------------


@pytest.mark.parametrize(("make", "shown"), [
    (lambda: Value(1e200) * 1e200, "1e+200 * 1e+200"),
    (lambda: 1e200 * Value(-1e200), "1e+200 * -1e+200"),
    (lambda: Value(1e308) + Value(1e308), "1e+308 + 1e+308"),
    (lambda: Value(-1e308) - 1e308, "-1e+308 - 1e+308"),
    (lambda: Value(1e300) / 1e-300, "1e+300 / 1e-300"),
    (lambda: Value(10.0) ** 400, "pow(10.0, 400.0)"),
    (lambda: Value(1000.0).exp(), "exp(1000.0)"),
    (lambda: sum_values([Value(1e308)] * 6),
     "sum of 6 inputs(1e+308, 1e+308, 1e+308, 1e+308, ...)"),
])
def test_a_result_too_large_for_a_float_raises_naming_op_and_operands(make, shown):
    """`+ * /` used to give inf without a word while exp and ** raised."""
    with pytest.raises(OverflowError, match=r"too large") as raised:
        make()
    assert str(raised.value).startswith(shown)


@pytest.mark.parametrize("make", [
    lambda: Value(math.inf) * 2.0, lambda: Value(math.inf) + 1.0, lambda: Value(math.inf) / 2.0,
    lambda: Value(-math.inf) - 5.0, lambda: sum_values([Value(math.inf), Value(1.0)]),
])
def test_an_infinite_operand_propagates_as_in_pytorch(make):
    assert math.isinf(make().data)


def test_a_nan_operand_propagates_without_error():
    assert math.isnan((Value(math.nan) * 1e300 + 1.0).data)



def test_new_ops_reach_the_parser_the_command_line_the_step_through_and_the_drawings(capsys):
    """softplus, clamp and logsumexp are table entries, so everything that reads the
    table knows them: `grad`'s parser, the chain-rule text and the drawings."""
    from autograd_nn.cli import main
    from autograd_nn.expr import parse
    from autograd_nn.steps import backward_steps
    from autograd_nn.viz import draw_graph

    text = "clamp(x, -1, 1) + logsumexp(x, y) + softplus(y)"
    out = parse(text, ["x", "y"]).build({"x": 0.5, "y": 2.0})
    out.label = "f"
    out.backward()
    expected = 0.5 + math.log(math.exp(0.5) + math.exp(2.0)) + math.log1p(math.exp(2.0))
    assert out.data == pytest.approx(expected, rel=1e-14)
    explanations = " ".join(step.explanation for step in backward_steps(out))
    assert " <= x <= " in explanations and "σ(y)" in explanations  # clamp's slope, softplus's
    assert "exp(x - " in explanations and "exp(y - " in explanations
    source = draw_graph(out).source
    assert all(symbol in source for symbol in ("clamp", "logsumexp", "softplus"))
    assert main(["grad", text, "x=0.5", "y=2"]) == 0
    printed = capsys.readouterr().out
    assert "df/dx = " in printed and "MISMATCH" not in printed and printed.count(", ok") == 2
