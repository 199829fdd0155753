"""Every op's array form equals its float form: one rule, two namespaces (issue 13).

For each entry of `OPS`, `array_rule(op)` runs the op's one rule with numpy.
On a few hundred points per op (random ones and edge points: zeros of both
signs, negatives, tiny, huge, inf, nan) the array forward and derivatives
agree with `Op.forward` and `Op.derivatives` elementwise to 4 ulp, and where
the float form refuses an input the array form raises the same error, naming
the op, the operand and the sample's index.
"""

import math
import random

import pytest

np = pytest.importorskip("numpy")

from autograd_nn import OPS, Value, sum_values  # noqa: E402
from autograd_nn.compiled.arrays import ARRAYS, array_rule, check_overflow  # noqa: E402
from autograd_nn.ops import Op  # noqa: E402
from autograd_nn.primitives import FLOATS  # noqa: E402

ULPS = 4
EDGES = [0.0, -0.0, 1.0, -1.0, 0.5, -2.5, 3.0, 2.0, -3.0, 1e-300, -1e-300, 5e-324, 1e300,
         -1e300, 700.0, 710.0, 720.0, -720.0, -745.0, -750.0, 1e16, math.inf, -math.inf, math.nan]
N_ARY_WIDTHS = (1, 2, 3, 5)


@pytest.fixture(autouse=True)
def _quiet_numpy():
    """As the replay runs them: IEEE's inf and nan are the guards' business, not warnings."""
    with np.errstate(all="ignore"):
        yield


def _random(rng):
    if rng.random() < 0.5:
        return rng.uniform(-10.0, 10.0)
    return rng.choice([-1.0, 1.0]) * 10.0 ** rng.uniform(-310.0, 308.0)


def _points(op, seed=0):
    """Operand tuples for `op`: edge points combined, then random ones."""
    rng = random.Random(f"{op.name}-{seed}")
    if op.arity == 1:
        return [(x,) for x in EDGES] + [(_random(rng),) for _ in range(600)]
    if op.arity == 2:
        pairs = [(a, b) for a in EDGES for b in EDGES]
        return pairs + [(_random(rng), rng.choice([_random(rng), *EDGES])) for _ in range(300)]
    if op.arity is not None:
        pool = EDGES + [rng.uniform(-4.0, 4.0) for _ in range(20)]
        return [tuple(rng.choice(pool) for _ in range(op.arity)) for _ in range(600)]
    pool = EDGES + [rng.uniform(-4.0, 4.0) for _ in range(20)]
    return [tuple(rng.choice(pool) for _ in range(n)) for n in N_ARY_WIDTHS for _ in range(150)]


def _float_form(op, point):
    """Op.forward at `point`: ("ok", value) or ("error", type, message)."""
    try:
        return ("ok", op.forward(*point))
    except (ArithmeticError, ValueError) as error:
        return ("error", type(error), str(error))


def _ulps_apart(x, y):
    if math.isnan(x) or math.isnan(y):
        return 0.0 if math.isnan(x) and math.isnan(y) else math.inf
    if x == y:
        return 0.0
    if math.isinf(x) or math.isinf(y):
        return math.inf
    return abs(x - y) / math.ulp(max(abs(x), abs(y)))


def _assert_close(expected, got, what):
    far = [(i, e, g) for i, (e, g) in enumerate(zip(expected, got)) if _ulps_apart(e, g) > ULPS]
    assert not far, f"{what}: {len(far)} samples more than {ULPS} ulp apart, e.g. {far[:3]}"


def _columns(points):
    """One float64 array per operand (points of one width)."""
    return [np.array(column, dtype=np.float64) for column in zip(*points)]


def _by_width(points):
    widths = {}
    for point in points:
        widths.setdefault(len(point), []).append(point)
    return widths.values()


def _compare(op, points):
    """Array forward and derivatives against the float forms, at points the float form takes."""
    forward, derivatives = array_rule(op)
    for group in _by_width(points):
        outs = [op.forward(*point) for point in group]
        columns = _columns(group)
        _assert_close(outs, np.broadcast_to(forward(*columns), len(group)).tolist(),
                      f"{op.name} forward")
        expected = [op.derivatives(out, *point) for out, point in zip(outs, group)]
        got = derivatives(np.array(outs), *columns)
        assert len(got) == len(group[0])
        for position, slopes in enumerate(got):
            _assert_close([e[position] for e in expected],
                          np.broadcast_to(slopes, len(group)).tolist(),
                          f"{op.name} derivative {position}")


@pytest.mark.parametrize("name", list(OPS))
def test_array_form_equals_float_form_inside_the_domain(name):
    op = OPS[name]
    taken = [p for p in _points(op) if _float_form(op, p)[0] == "ok"]
    assert len(taken) >= 200, f"only {len(taken)} points inside {name}'s domain"
    _compare(op, taken)


@pytest.mark.parametrize("name", [n for n, op in OPS.items() if op.arity != 1])
def test_a_slot_that_does_not_vary_by_sample_may_be_a_float(name):
    """A constant (leaky_relu's slope, clamp's bounds, an exponent) is passed as a float."""
    op = OPS[name]
    forward, derivatives = array_rule(op)
    rng = random.Random(name)
    width = op.arity or 3
    constant = 0.75
    points = [(*(rng.uniform(-4.0, 4.0) for _ in range(width - 1)), constant) for _ in range(200)]
    points = [p for p in points if _float_form(op, p)[0] == "ok"]
    columns = [*_columns(points)[:-1], constant]
    outs = [op.forward(*p) for p in points]
    _assert_close(outs, forward(*columns).tolist(), f"{name} forward")
    expected = [op.derivatives(out, *p) for out, p in zip(outs, points)]
    for position, slopes in enumerate(derivatives(np.array(outs), *columns)):
        _assert_close([e[position] for e in expected],
                      np.broadcast_to(slopes, len(points)).tolist(), f"{name} derivative")


UNARY_PRIMITIVES = ["neg", "abs", "exp", "log", "log1p", "sqrt", "sin", "cos", "tanh", "sigmoid",
                    "relu", "is_zero", "is_whole", "is_inf", "is_finite", "not_"]
BINARY_PRIMITIVES = ["add", "sub", "mul", "div", "pow"]


@pytest.mark.parametrize("name", UNARY_PRIMITIVES + BINARY_PRIMITIVES + ["sum_of", "max_of"])
def test_each_primitive_is_total_on_floats_and_agrees_with_numpy(name):
    """A rule may call any primitive anywhere (both sides of a where are evaluated):
    on floats none raises, and each gives numpy's IEEE answer, edge points included."""
    width = 1 if name in UNARY_PRIMITIVES else 2
    points = [(x,) for x in EDGES] if width == 1 else [(a, b) for a in EDGES for b in EDGES]
    if name in ("sum_of", "max_of"):
        points += [(a, b, c) for a, b, c in zip(EDGES, EDGES[1:], EDGES[2:])]
    for group in _by_width(points):
        floats = [float(getattr(FLOATS, name)(*point)) for point in group]
        arrays = np.broadcast_to(getattr(ARRAYS, name)(*_columns(group)), len(group))
        _assert_close(floats, arrays.astype(float).tolist(), name)


def _refused(op):
    return [(p, result) for p in _points(op) for result in [_float_form(op, p)]
            if result[0] == "error"]


REFUSING = [name for name, op in OPS.items() if _refused(op)]


def test_the_ops_that_refuse_inputs_are_the_expected_ones():
    assert set(REFUSING) == {"/", "**", "exp", "log", "sqrt", "sin", "cos"}


@pytest.mark.parametrize("name", REFUSING)
def test_array_form_raises_the_float_forms_error_naming_the_sample(name):
    op = OPS[name]
    good = next(p for p in _points(op) if _float_form(op, p)[0] == "ok")
    forward, _ = array_rule(op)
    rng = random.Random(name)
    for point, (_, error, message) in _refused(op):
        sample = rng.randrange(12)
        batch = [good] * 16
        batch[sample] = batch[sample + 3] = point  # two bad samples: the first is named
        with pytest.raises(error) as raised:
            forward(*_columns(batch))
        assert str(raised.value) == message.replace(": ", f" at sample {sample}: ", 1)


def test_a_refused_sample_is_named_with_its_own_operands():
    forward, _ = array_rule("log")
    with pytest.raises(ValueError, match=r"^log\(-2\.0\) at sample 7: log needs a positive input$"):
        forward(np.array([1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, -2.0, 0.0]))
    divide, _ = array_rule("/")
    with pytest.raises(ZeroDivisionError, match=r"^div\(3\.0 / 0\.0\) at sample 2: division"):
        divide(np.array([1.0, 2.0, 3.0]), np.array([1.0, 5.0, 0.0]))
    power, _ = array_rule("**")
    too_large = r"^pow\(10\.0, 400\.0\) at sample 1: result too large$"
    with pytest.raises(OverflowError, match=too_large):
        power(np.array([2.0, 10.0]), 400.0)


def test_nan_and_inf_operands_propagate_as_on_floats():
    log, _ = array_rule("log")
    out = log(np.array([math.nan, math.inf, 1.0]))
    assert math.isnan(out[0]) and out[1] == math.inf and out[2] == 0.0


@pytest.mark.parametrize(("name", "operands", "sample", "make"), [
    ("*", [np.array([1.0, 1e200]), 1e200], 1, lambda: Value(1e200) * 1e200),
    ("+", [np.array([1e308, 1.0]), np.array([1e308, 2.0])], 0, lambda: Value(1e308) + 1e308),
    ("sum", [np.array([0.0, 1e308])] * 6, 1, lambda: sum_values([Value(1e308)] * 6)),
])
def test_the_engines_overflow_rule_on_arrays(name, operands, sample, make):
    """`check_overflow` gives a replay the engine's error for a node that overflows."""
    with pytest.raises(OverflowError) as engine:
        make()
    out = OPS[name].forward(*operands) if name != "sum" else sum(operands)
    with pytest.raises(OverflowError) as batch:
        check_overflow(OPS[name], operands, out)
    assert str(batch.value) == str(engine.value).replace(": ", f" at sample {sample}: ", 1)
    check_overflow(OPS[name], [np.array([1.0, math.inf])] * 2, np.array([2.0, math.inf]))


def test_a_new_rule_has_an_array_form_at_once():
    softsign = Op.from_rule(
        "softsign", "softsign", 1,
        lambda p: (lambda a: a / (1.0 + p.abs(a)),
                   lambda out, a: (1.0 / ((1.0 + p.abs(a)) * (1.0 + p.abs(a))),)),
        ("1/(1+abs(a))^2",),
    )
    _compare(softsign, [(x,) for x in EDGES + [0.25 * k for k in range(-40, 40)]])


def test_an_op_without_a_rule_says_it_has_no_array_form():
    square = Op("square", "square", 1, lambda a: a * a, lambda out, a: (2.0 * a,), ("2*a",))
    with pytest.raises(ValueError, match=r"op 'square' has no array form.*Op\.from_rule"):
        array_rule(square)
    with pytest.raises(KeyError, match="no op named 'tan'"):
        array_rule("tan")
