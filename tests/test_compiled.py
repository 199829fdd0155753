"""Trace once, replay batched (issue 13): `autograd_nn.compiled`.

The compiled loss of a batch must be the scalar engine's: the same mean loss
and the same parameter gradients (to 1e-12, relative and norm-wise), fused or
not, for relu/tanh/sigmoid MLPs and the losses that trace; a function that
branches on a traced value must be refused with the file and line of the
read; modules that couple samples or draw per sample must be refused.
"""

import copy
import math

import pytest

np = pytest.importorskip("numpy")

from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from autograd_nn import Value, no_grad  # noqa: E402
from autograd_nn import losses as L  # noqa: E402
from autograd_nn.compiled import Compiled, Program, TraceError, compile, trace  # noqa: E402
from autograd_nn.compiled.fusion import find_blocks  # noqa: E402
from autograd_nn.data import make_moons  # noqa: E402
from autograd_nn.engine import mean_values  # noqa: E402
from autograd_nn.nn import MLP, BatchNorm1d, Dropout, Layer, Sequential  # noqa: E402
from autograd_nn.optim import SGD, Adam  # noqa: E402

TOLERANCE = 1e-12


LOSS_CASES = {
    "mse": (L.mse_loss, 1),
    "mae": (L.mae_loss, 1),
    "hinge": (L.hinge_loss, 1),
    "huber": (L.huber_loss, 1),
    "bce_with_logits": (L.binary_cross_entropy_with_logits, 1),
    "cross_entropy": (L.cross_entropy, 3),
}


def _targets_for(name, draw_list):
    if name == "hinge":
        return [1.0 if t > 0 else -1.0 for t in draw_list]
    if name == "bce_with_logits":
        return [float(t > 0) for t in draw_list]
    if name == "cross_entropy":
        return [float(int(abs(t) * 7) % 3) for t in draw_list]
    return draw_list


def _scalar_reference(model, loss_fn, X, y, penalty=None):
    """The scalar engine's mean loss and gradients for the batch."""
    model.zero_grad()
    loss = loss_fn(model(X), y)
    if penalty is not None:
        loss = loss + penalty()
    loss.backward()
    grads = [p.grad for p in model.parameters()]
    model.zero_grad()
    return loss.data, np.array(grads)


def _compiled_result(compiled, model, X, y):
    model.zero_grad()
    loss = compiled(X, y)
    grads = np.array([p.grad for p in model.parameters()])
    model.zero_grad()
    return loss, grads


def _assert_same(expected_loss, expected_grads, loss, grads):
    assert abs(loss - expected_loss) <= TOLERANCE * abs(expected_loss) + 1e-300
    difference = np.linalg.norm(grads - expected_grads)
    assert difference <= TOLERANCE * np.linalg.norm(expected_grads) + 1e-300


# Printing ------------------------------------------------------------------------------


def test_program_prints_as_the_lectures_evaluation_table():
    def g_of(x, y, z):
        f = x * y
        f.label = "f"
        g = f + z
        g.label = "g"
        return g

    program = trace(g_of, 3.0, -4.0, 2.0)
    assert isinstance(program, Program)
    assert len(program) == 2
    assert str(program).splitlines() == [
        "program: 2 instructions, output g",
        "  input      x",
        "  input      y",
        "  input      z",
        "  f = x · y",
        "  g = f + z",
    ]


def test_parameters_and_constants_are_listed_first_and_constants_written_inline():
    w = Value(0.5, label="w")
    b = Value(-1.0, label="b")

    def neuron(x):
        u = w * x + b
        u.label = "u"
        h = u.tanh()
        h.label = "h"
        return (h - 2) ** 2

    lines = str(trace(neuron, 1.5)).splitlines()
    assert lines[1:5] == ["  input      x", "  parameter  w", "  parameter  b", "  constant   2"]
    assert "  h = tanh(u)" in lines
    assert any(line.endswith("= h - 2") for line in lines)
    assert lines[-1].endswith("^2")
    assert "2 parameters" in repr(trace(neuron, 1.5))


def test_program_forward_replays_the_batch():
    program = trace(lambda x, y, z: x * y + z, 3.0, -4.0, 2.0)
    (out,) = program.forward([3.0, 1.0, -2.0], [-4.0, 2.0, 0.5], [2.0, 2.0, 2.0])
    assert out.tolist() == [-10.0, 4.0, 1.0]


def test_trace_accepts_only_numbers_and_returns_values():
    with pytest.raises(TypeError, match=r"example\[0\]"):
        trace(lambda x: x, "3")
    with pytest.raises(TypeError, match="must return a Value"):
        trace(lambda x: 3.0, 1.0)
    with no_grad(), pytest.raises(TraceError, match="no_grad"):
        trace(lambda x: x * 2, 1.0)


# The compiled loss equals the scalar engine's ----------------------------------------


@st.composite
def _cases(draw):
    name = draw(st.sampled_from(sorted(LOSS_CASES)))
    loss_fn, n_outputs = LOSS_CASES[name]
    n_inputs = draw(st.integers(1, 3))
    hidden = draw(st.lists(st.integers(1, 5), min_size=1, max_size=2))
    activation = draw(st.sampled_from(["relu", "tanh", "sigmoid"]))
    model = MLP(n_inputs, [*hidden, n_outputs], activation=activation, seed=0)
    numbers = st.floats(-3.0, 3.0, allow_nan=False)
    for p in model.parameters():
        p.data = draw(numbers)
    n = draw(st.integers(1, 12))
    X = draw(st.lists(st.lists(numbers, min_size=n_inputs, max_size=n_inputs),
                      min_size=n, max_size=n))
    y = _targets_for(name, draw(st.lists(numbers, min_size=n, max_size=n)))
    return name, loss_fn, model, X, y, draw(st.booleans())


@settings(deadline=None, max_examples=60)
@given(_cases())
def test_compiled_loss_and_gradients_equal_the_scalar_engines(case):
    _, loss_fn, model, X, y, fuse = case
    expected_loss, expected_grads = _scalar_reference(model, loss_fn, X, y)
    loss, grads = _compiled_result(compile(loss_fn, model, fuse=fuse), model, X, y)
    _assert_same(expected_loss, expected_grads, loss, grads)


@pytest.mark.parametrize("activation", ["relu", "tanh", "sigmoid"])
@pytest.mark.parametrize("name", sorted(LOSS_CASES))
def test_every_loss_and_activation_on_moons(activation, name):
    loss_fn, n_outputs = LOSS_CASES[name]
    X, labels = make_moons(60, noise=0.2, seed=1)
    y = _targets_for(name, [2.0 * t - 1.0 for t in labels])
    model = MLP(2, [8, 8, n_outputs], activation=activation, seed=2)
    expected_loss, expected_grads = _scalar_reference(model, loss_fn, X, y)
    for fuse in (True, False):
        loss, grads = _compiled_result(compile(loss_fn, model, fuse=fuse), model, X, y)
        _assert_same(expected_loss, expected_grads, loss, grads)


def test_a_penalty_adds_its_value_and_gradient():
    X, labels = make_moons(40, noise=0.1, seed=0)
    y = [2.0 * t - 1.0 for t in labels]
    model = MLP(2, [16, 16, 1], seed=3)

    def penalty():
        return L.l2_penalty(model.parameters(), 1e-4)

    expected = _scalar_reference(model, L.hinge_loss, X, y, penalty)
    compiled = compile(L.hinge_loss, model, penalty=penalty)
    _assert_same(*expected, *_compiled_result(compiled, model, X, y))


def test_gradients_accumulate_and_parameters_are_read_at_each_call():
    X, labels = make_moons(30, noise=0.1, seed=0)
    model = MLP(2, [4, 1], activation="tanh", seed=0)
    compiled = compile(L.mse_loss, model)
    model.zero_grad()
    compiled(X, labels)
    once = [p.grad for p in model.parameters()]
    compiled(X, labels)
    assert [p.grad for p in model.parameters()] == pytest.approx([2 * g for g in once])
    for p in model.parameters():
        p.data += 0.25
    expected_loss, _ = _scalar_reference(model, L.mse_loss, X, labels)
    assert compiled(X, labels) == pytest.approx(expected_loss, rel=TOLERANCE)


def test_forward_gives_every_samples_outputs():
    X, _ = make_moons(25, noise=0.1, seed=0)
    one = MLP(2, [5, 1], activation="tanh", seed=0)
    three = MLP(2, [5, 3], activation="relu", seed=0)
    with no_grad():
        expected_one = [one(x).data for x in X]
        expected_three = [[v.data for v in three(x)] for x in X]
    scores = compile(L.mse_loss, one).forward(X)
    assert scores.shape == (25,)
    np.testing.assert_allclose(scores, expected_one, rtol=1e-13, atol=1e-15)
    table = compile(L.cross_entropy, three).forward(np.array(X))
    assert table.shape == (25, 3)
    np.testing.assert_allclose(table, expected_three, rtol=1e-13, atol=1e-15)
    with pytest.raises(TypeError, match="needs a model"):
        compile(lambda x, y: x[0] * y, [Value(1.0)]).forward(X)


def test_a_list_of_parameters_and_a_per_sample_loss():
    w, b = Value(0.3, label="w"), Value(-0.1, label="b")

    def sample_loss(x, y):
        return ((w * x[0] + b).tanh() - y) ** 2

    X, y = [[0.5], [-1.0], [2.0], [0.1]], [1.0, -1.0, 0.5, 0.0]
    expected = mean_values([sample_loss([Value(x[0])], t) for x, t in zip(X, y)])
    expected.backward()
    wanted = (expected.data, w.grad, b.grad)
    w.grad = b.grad = 0.0
    compiled = compile(sample_loss, [w, b])
    assert isinstance(compiled, Compiled)
    loss = compiled(X, y)
    assert (loss, w.grad, b.grad) == pytest.approx(wanted, rel=TOLERANCE)


def test_cross_entropy_picks_the_labelled_score_with_a_select():
    model = MLP(2, [4, 3], seed=0)
    X = [[0.5, -1.0], [1.0, 2.0], [0.1, 0.2], [0.3, 0.3]]
    y = [1, 0, 2, 1]
    compiled = compile(L.cross_entropy, model)
    expected = _scalar_reference(model, L.cross_entropy, X, y)
    _assert_same(*expected, *_compiled_result(compiled, model, X, y))
    assert " if y = " in str(compiled.program)
    # a batch with fewer classes reuses what the first one taught
    expected = _scalar_reference(model, L.cross_entropy, X[:2], y[:2])
    _assert_same(*expected, *_compiled_result(compiled, model, X[:2], y[:2]))


def test_a_number_made_from_the_targets_value_is_picked_sample_by_sample():
    w = Value(0.7, label="w")

    def sample_loss(x, y):
        return (w * x[0] - float(y)) ** 2  # float(y): a constant, one per target value

    X, y = [[1.0], [2.0], [3.0], [-1.0]], [1.0, 2.0, 1.0, 5.0]
    loss = compile(sample_loss, [w])(X, y)
    expected = sum((0.7 * x[0] - t) ** 2 for x, t in zip(X, y)) / 4
    expected_grad = sum(2 * (0.7 * x[0] - t) * x[0] for x, t in zip(X, y)) / 4
    assert (loss, w.grad) == pytest.approx((expected, expected_grad), rel=TOLERANCE)


def test_training_with_compiled_gradients_follows_the_scalar_engine():
    X, labels = make_moons(40, noise=0.2, seed=4)
    y = [2.0 * t - 1.0 for t in labels]
    scalar_model = MLP(2, [8, 8, 1], activation="tanh", seed=5)
    compiled_model = copy.deepcopy(scalar_model)
    scalar_opt = Adam(scalar_model.parameters(), lr=0.05)
    compiled_opt = Adam(compiled_model.parameters(), lr=0.05)
    compiled = compile(L.hinge_loss, compiled_model)
    for _ in range(5):
        for start in range(0, 40, 10):
            batch_X, batch_y = X[start:start + 10], y[start:start + 10]
            scalar_opt.zero_grad()
            L.hinge_loss(scalar_model(batch_X), batch_y).backward()
            scalar_opt.step()
            compiled_opt.zero_grad()
            compiled(np.array(batch_X), np.array(batch_y))
            compiled_opt.step()
    ours = np.array([p.data for p in compiled_model.parameters()])
    theirs = np.array([p.data for p in scalar_model.parameters()])
    assert np.linalg.norm(ours - theirs) <= 1e-10 * np.linalg.norm(theirs)


def test_a_layer_of_neurons_runs_as_one_matrix_product():
    model = MLP(2, [16, 16, 1], seed=0)
    program = compile(L.hinge_loss, model)
    X, labels = make_moons(20, noise=0.1, seed=0)
    program(X, [2.0 * t - 1.0 for t in labels])
    blocks = find_blocks(program.program)
    shapes = [(len(b.sums), len(b.xs), b.activation.name if b.activation else None)
              for b in blocks]
    assert shapes == [(16, 2, "relu"), (16, 16, "relu"), (1, 16, None)]


# Branches ---------------------------------------------------------------------------


def _line_of(marker):
    with open(__file__, encoding="utf-8") as source:
        lines = enumerate(source, 1)
        return next(i for i, line in lines if marker in line and "_line_of" not in line)


def test_a_branch_on_a_traced_value_names_the_file_and_line():
    w = Value(0.5, label="w")

    def branching(x, y):
        out = w * x[0]
        if out.data > 0:  # the branch
            return (out - y) ** 2
        return (out + y) ** 2

    with pytest.raises(TraceError) as caught:
        trace(branching, [1.0], target=0.0)
    assert caught.value.filename == __file__
    assert caught.value.lineno == _line_of("# the branch")
    assert f"{__file__}:{_line_of('# the branch')}" in str(caught.value)
    assert "if out.data > 0" in str(caught.value)
    with pytest.raises(TraceError, match="the branch"):
        compile(branching, [w])([[1.0], [-1.0]], [0.0, 1.0])


def test_max_by_value_and_reading_a_parameter_are_branches_too():
    w = Value(0.5, label="w")
    with pytest.raises(TraceError, match="max"):
        trace(lambda a, b: max([a * w, b * w], key=lambda v: v.data), 1.0, 2.0)  # max
    with pytest.raises(TraceError, match="parameter 'w'"):
        trace(lambda x: x * (w if float(w) > 0 else -w), 1.0)
    with pytest.raises(TraceError, match="input 'x'"):
        trace(lambda x: x * 2 if x.data > 0 else x, 1.0)


@pytest.mark.parametrize("name", sorted(L.LOSSES))
def test_each_built_in_loss_traces_to_the_scalar_engines_numbers(name):
    """Every built-in loss compiles, but binary_cross_entropy on probabilities,
    whose range check is refused with losses.py's line."""
    loss_fn = L.LOSSES[name]
    n_outputs = 3 if name == "cross_entropy" else 1
    X, labels = make_moons(30, noise=0.2, seed=0)
    y = {"hinge": [2.0 * t - 1.0 for t in labels],
         "cross_entropy": [float((i * 7) % 3) for i in range(30)]}.get(name, labels)
    model = MLP(2, [6, n_outputs], activation="tanh", seed=1)
    expected = _scalar_reference(model, loss_fn, X, y)
    try:
        got = _compiled_result(compile(loss_fn, model), model, X, y)
    except TraceError as error:
        assert name == "binary_cross_entropy" and error.filename == L.__file__, str(error)
        return
    _assert_same(*expected, *got)


def test_reading_targets_is_allowed_and_their_checks_still_run():
    model = MLP(2, [3, 1], seed=0)
    compiled = compile(L.hinge_loss, model)
    compiled([[0.0, 1.0], [1.0, 0.0]], [1.0, -1.0])
    with pytest.raises(ValueError, match=r"not a label -1 or 1.*sample 2 of the batch"):
        compiled([[0.0, 1.0], [1.0, 0.0], [0.5, 0.5]], [1.0, -1.0, 0.5])


def test_only_the_tracing_threads_reads_count():
    import threading

    seen = []

    def sample(x):
        doubled = x * 2
        reader = threading.Thread(target=lambda: seen.append(doubled.data))
        reader.start()
        reader.join()
        return doubled + 1

    assert len(trace(sample, 1.5)) == 2
    assert seen == [3.0]


def test_value_data_is_a_plain_slot_again_after_a_failed_trace():
    with pytest.raises(TraceError):
        trace(lambda x: x * 2 if x.data else x, 1.0)
    assert type(Value.__dict__["data"]).__name__ == "member_descriptor"
    with pytest.raises(ZeroDivisionError):
        trace(lambda x: x / 0, 1.0)
    assert type(Value.__dict__["data"]).__name__ == "member_descriptor"


# Modules that couple samples or draw per sample -------------------------------------------


def test_batchnorm_in_training_is_refused_and_in_evaluation_compiles():
    model = Sequential(Layer(2, 4, activation="tanh", seed=0), BatchNorm1d(4),
                       Layer(4, 1, activation="linear", seed=1))
    X, labels = make_moons(20, noise=0.1, seed=0)
    compiled = compile(L.mse_loss, model)
    with pytest.raises(TraceError, match=r"BatchNorm1d.*training.*model\.eval\(\)"):
        compiled(X, labels)
    model.eval()
    model.layers[1].running_mean = [0.1, -0.2, 0.3, 0.0]
    _assert_same(*_scalar_reference(model, L.mse_loss, X, labels),
                 *_compiled_result(compiled, model, X, labels))
    model.layers[1].running_var = [2.0, 0.5, 1.0, 3.0]  # new statistics: traced again
    _assert_same(*_scalar_reference(model, L.mse_loss, X, labels),
                 *_compiled_result(compiled, model, X, labels))


def test_dropout_in_training_is_refused():
    model = Sequential(Layer(2, 4, seed=0), Dropout(0.5, seed=0), Layer(4, 1, seed=1))
    X, labels = make_moons(10, noise=0.1, seed=0)
    with pytest.raises(TraceError, match=r"Dropout.*random mask"):
        compile(L.mse_loss, model)(X, labels)
    model.eval()
    _assert_same(*_scalar_reference(model, L.mse_loss, X, labels),
                 *_compiled_result(compile(L.mse_loss, model), model, X, labels))


def test_random_draws_inside_a_function_are_caught_by_a_second_trace():
    dropped = Sequential(Layer(2, 6, seed=0), Dropout(0.5, seed=3), Layer(6, 1, seed=1))

    def sample_loss(x, y):
        return (dropped(x) - y) ** 2

    X, labels = make_moons(10, noise=0.1, seed=0)
    with pytest.raises(TraceError, match="differ"):
        compile(sample_loss, dropped.parameters())(X, labels)


# Errors -------------------------------------------------------------------------------


def test_a_refused_operand_names_the_op_the_operand_and_the_sample():
    w = Value(1.0, label="w")
    compiled = compile(lambda x, y: (w * x[0]).log() - y, [w])
    with pytest.raises(ValueError, match=r"^log\(-2\.0\) at sample 1: log needs a positive input$"):
        compiled([[1.0], [-2.0], [2.0]], [0.0, 0.0, 0.0])


@pytest.mark.parametrize("fuse", [True, False])
def test_an_overflow_names_the_op_the_operands_and_the_sample(fuse):
    model = MLP(1, [2, 1], activation="tanh", seed=0)
    for p in model.parameters():
        p.data = 1e10
    compiled = compile(L.mse_loss, model, fuse=fuse)
    message = r"^10000000000\.0 \* 1e\+300 at sample 1: result too large for a float \(overflow\)$"
    with pytest.raises(OverflowError, match=message):
        compiled([[1.0], [1e300], [2.0]], [0.0, 0.0, 0.0])
    with pytest.raises(OverflowError, match=r"1e\+300 at sample 2: .*\(overflow\)$"):
        compiled([[1.0], [2.0], [1e300]], [0.0, 0.0, 0.0])
    first_call = compile(L.mse_loss, model, fuse=fuse)  # its first call traces the last sample
    with pytest.raises(OverflowError, match=r"1e\+300: .*\(overflow\) \(sample 2 of the batch\)"):
        first_call([[1.0], [2.0], [1e300]], [0.0, 0.0, 0.0])
    w = Value(2.0)
    with pytest.raises(OverflowError, match=r"^exp\(800\.0\) at sample 1: result too large"):
        compile(lambda x, y: (w * x[0]).exp() - y, [w])([[1.0], [400.0], [1.0]], [0, 0, 0])


def test_bad_batches_are_refused_with_what_is_wrong():
    model = MLP(2, [3, 1], seed=0)
    compiled = compile(L.mse_loss, model)
    with pytest.raises(ValueError, match=r"X: sample 1 holds \[nan, 1.0\]"):
        compiled([[0.0, 1.0], [math.nan, 1.0]], [0.0, 1.0])
    with pytest.raises(ValueError, match="different lengths"):
        compiled([[0.0, 1.0], [1.0]], [0.0, 1.0])
    with pytest.raises(TypeError, match="booleans"):
        compiled([[True, False]], [1.0])
    with pytest.raises(ValueError, match="X has 2 samples but y has 3"):
        compiled([[0.0, 1.0], [1.0, 0.0]], [0.0, 1.0, 1.0])
    with pytest.raises(ValueError, match="expects 2 inputs, got 3"):
        compiled([[0.0, 1.0, 2.0]], [0.0])
    with pytest.raises(TypeError, match="Module or a list of parameter"):
        compile(L.mse_loss, 3)


def test_sgd_steps_with_compiled_gradients_decrease_the_loss():
    X, labels = make_moons(50, noise=0.1, seed=0)
    model = MLP(2, [8, 1], activation="tanh", seed=0)
    compiled = compile(L.mse_loss, model)
    optimizer = SGD(model.parameters(), lr=0.1)
    first = None
    for _ in range(20):
        optimizer.zero_grad()
        loss = compiled(X, labels)
        first = loss if first is None else first
        optimizer.step()
    assert loss < first


# The built-in losses trace, where their old forms branched -------------------------


@pytest.mark.parametrize("name", ["bce_with_logits", "huber", "cross_entropy"])
def test_losses_that_once_branched_on_data_compile_at_their_old_branch_points(name):
    """Logit 0 and ±50, ±800; Huber's |d| = delta exactly: the compiled loss is the scalar one."""
    loss_fn, n_outputs = LOSS_CASES[name]
    model = MLP(1, [n_outputs], activation="linear", seed=0)
    for p in model.parameters():
        p.data = 1.0 if p.label.startswith("w") or "w" in p.label else 0.0
    X = [[0.0], [50.0], [-50.0], [800.0], [-800.0], [1.0], [-1.0], [2.5]]
    y = _targets_for(name, [1.0, -1.0, 1.0, 1.0, -1.0, 1.0, -1.0, -1.0])
    if name == "huber":
        y = [0.0, 49.0, -49.5, 799.0, -800.0, 0.0, 0.0, 1.5]  # |d| = 1 = delta twice
    expected_loss, expected_grads = _scalar_reference(model, loss_fn, X, y)
    loss, grads = _compiled_result(compile(loss_fn, model), model, X, y)
    _assert_same(expected_loss, expected_grads, loss, grads)
    assert math.isfinite(loss)


def test_binary_cross_entropy_on_probabilities_is_refused_by_trace_naming_its_check():
    """Its predictions' range check reads their values: a branch the tracer must refuse."""
    model = MLP(2, [1], seed=0)

    def on_probabilities(scores, targets):
        return L.binary_cross_entropy([s.sigmoid() for s in scores], targets)

    with pytest.raises(TraceError, match=r"losses\.py:\d+"):
        compile(on_probabilities, model)([[0.1, 0.2], [0.3, -0.4]], [0.0, 1.0])
