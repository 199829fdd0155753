"""Losses: PyTorch's values and gradients in float64, finite differences, bad input."""

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from autograd_nn import OPS, Value, gradcheck, topological_sort
from autograd_nn.losses import (
    LOG_FLOOR,
    binary_cross_entropy,
    binary_cross_entropy_with_logits,
    cross_entropy,
    hinge_loss,
    huber_loss,
    l2_penalty,
    mae_loss,
    mse_loss,
)


def close(a, b, rel=1e-9, abs_=1e-12):
    return math.isclose(a, b, rel_tol=rel, abs_tol=abs_)


def all_close(xs, ys, rel=1e-9, abs_=1e-12):
    return len(xs) == len(ys) and all(close(a, b, rel, abs_) for a, b in zip(xs, ys))


def ours(loss, predictions, targets, **kwargs):
    """Our loss on fresh leaves: (value, gradient with respect to each prediction)."""
    leaves = [Value(p) for p in predictions]
    out = loss(leaves, targets, **kwargs)
    out.backward()
    return out.data, [v.grad for v in leaves]


# Hand-checked values ---------------------------------------------------------


def test_lecture_formulas_by_hand():
    assert mse_loss([1.0, 2.0, 4.0], [1.0, 0.0, 1.0]).data == pytest.approx((0 + 4 + 9) / 3)
    assert mae_loss([1.0, 2.0, 4.0], [1.0, 0.0, 1.0]).data == pytest.approx((0 + 2 + 3) / 3)
    # Huber, delta 1: 0.5 * 0.5^2 inside, 1 * (3 - 0.5) outside.
    assert huber_loss([0.5, 3.0], [0.0, 0.0]).data == pytest.approx((0.125 + 2.5) / 2)
    assert huber_loss([3.0], [0.0], delta=2.0).data == pytest.approx(2 * (3 - 1))
    p, y = 0.8, 1.0
    assert binary_cross_entropy([p], [y]).data == pytest.approx(-math.log(0.8))
    assert binary_cross_entropy([0.3], [0.0]).data == pytest.approx(-math.log(0.7))
    assert binary_cross_entropy_with_logits([0.0], [1.0]).data == pytest.approx(math.log(2))
    scores = [1.0, 2.0, 3.0]
    softmax_2 = math.exp(2) / sum(math.exp(s) for s in scores)
    assert cross_entropy([scores], [1]).data == pytest.approx(-math.log(softmax_2))
    assert hinge_loss([0.5, 2.0, 0.5], [1, 1, -1]).data == pytest.approx((0.5 + 0 + 1.5) / 3)
    assert l2_penalty([Value(1.0), Value(-2.0)], alpha=0.1).data == pytest.approx(0.5)


def test_mse_gradient_is_two_residuals_over_n():
    value, grads = ours(mse_loss, [1.0, 2.0, 4.0], [1.0, 0.0, 1.0])
    assert value == pytest.approx(13 / 3)
    assert grads == pytest.approx([0.0, 4 / 3, 6 / 3])


def test_a_lone_value_is_one_sample_and_targets_may_be_values():
    assert mse_loss(Value(2.0), 3.0).data == 1.0
    assert cross_entropy([Value(0.0), Value(0.0)], 1).data == pytest.approx(math.log(2))
    a, b = Value(1.0), Value(3.0)
    loss = mse_loss([a], [b])
    loss.backward()
    assert (a.grad, b.grad) == (-4.0, 4.0)
    assert mse_loss([1.0, 2.0], (x for x in [1.0, 4.0])).data == 2.0


LOSS_CASES = [
    (mse_loss, [0.5, -1.0], [0.0, 1.0]),
    (mae_loss, [0.5, -1.0], [0.0, 1.0]),
    (huber_loss, [0.5, -1.0], [0.0, 1.0]),
    (binary_cross_entropy, [0.2, 0.7], [0.0, 1.0]),
    (binary_cross_entropy_with_logits, [0.5, -1.0], [0.0, 1.0]),
    (hinge_loss, [0.5, -1.0], [-1.0, 1.0]),
]


@pytest.mark.parametrize(("loss", "predictions", "targets"), LOSS_CASES)
def test_graphs_use_only_the_op_table_and_one_sum(loss, predictions, targets):
    out = loss([Value(p) for p in predictions], targets)
    nodes = topological_sort(out)
    assert all(node.op in OPS or node.op == "" for node in nodes)
    assert out.op == "/" and out.inputs[0].op == "sum"
    assert len(out.inputs[0].inputs) == len(predictions)


# Finite differences -------------------------------------------------------------


@pytest.mark.parametrize(
    ("loss", "predictions", "targets", "kwargs"),
    [
        (mse_loss, [0.3, -1.7, 2.2], [0.0, 1.0, -0.5], {}),
        (mae_loss, [0.3, -1.7, 2.2], [0.0, 1.0, -0.5], {}),
        (huber_loss, [0.3, -1.7, 2.2], [0.0, 1.0, -0.5], {}),
        (huber_loss, [0.3, -1.7, 2.2], [0.0, 1.0, -0.5], {"delta": 2.5}),
        (binary_cross_entropy, [0.1, 0.5, 0.95], [0.0, 1.0, 0.3], {}),
        (binary_cross_entropy_with_logits, [0.0, -3.0, 7.5], [1.0, 0.0, 0.6], {}),
        (hinge_loss, [0.3, -1.7, 2.2], [1.0, -1.0, -1.0], {}),
    ],
)
def test_gradients_match_finite_differences(loss, predictions, targets, kwargs):
    assert gradcheck(lambda xs: loss(xs, targets, **kwargs), predictions)


def test_cross_entropy_and_l2_gradients_match_finite_differences():
    def ce(xs):
        return cross_entropy([xs[:3], xs[3:]], [2, 0])

    assert gradcheck(ce, [0.5, -1.0, 2.0, 30.0, -40.0, 1.0])
    assert gradcheck(lambda xs: l2_penalty(xs, alpha=0.3), [0.5, -1.0, 2.0])


finite = st.floats(-8, 8, allow_nan=False)


@given(st.lists(st.tuples(finite, finite), min_size=1, max_size=6))
def test_bce_with_logits_matches_finite_differences_everywhere(pairs):
    xs = [x for x, _ in pairs]
    ys = [(math.tanh(y) + 1) / 2 for _, y in pairs]
    assert gradcheck(lambda vs: binary_cross_entropy_with_logits(vs, ys), xs)


# PyTorch parity (float64) ------------------------------------------------------


@pytest.fixture(scope="module")
def torch():
    return pytest.importorskip("torch")


def theirs(torch, function, predictions, targets, target_dtype=None):
    """PyTorch's loss: (value, gradient with respect to each prediction)."""
    x = torch.tensor(predictions, dtype=torch.float64, requires_grad=True)
    y = torch.tensor(targets, dtype=target_dtype or torch.float64)
    out = function(x, y)
    out.backward()
    return out.item(), x.grad.flatten().tolist()


samples = st.integers(1, 8).flatmap(
    lambda n: st.tuples(
        st.lists(st.floats(-10, 10), min_size=n, max_size=n),
        st.lists(st.floats(-10, 10), min_size=n, max_size=n),
    )
)


@given(samples, st.sampled_from([0.5, 1.0, 2.5]))
def test_regression_losses_equal_pytorch(torch, case, delta):
    predictions, targets = case
    F = torch.nn.functional
    pairs = [
        (mse_loss, F.mse_loss, {}),
        (mae_loss, F.l1_loss, {}),
        (huber_loss, lambda x, y: F.huber_loss(x, y, delta=delta), {"delta": delta}),
    ]
    for loss, reference, kwargs in pairs:
        value, grads = ours(loss, predictions, targets, **kwargs)
        expected, expected_grads = theirs(torch, reference, predictions, targets)
        assert close(value, expected) and all_close(grads, expected_grads), loss.__name__


probabilities = st.floats(1e-6, 1 - 1e-6)


@given(
    st.integers(1, 8).flatmap(
        lambda n: st.tuples(
            st.lists(probabilities, min_size=n, max_size=n),
            st.lists(st.one_of(st.sampled_from([0.0, 1.0]), st.floats(0, 1)), min_size=n,
                     max_size=n),
        )
    )
)
def test_binary_cross_entropy_equals_pytorch(torch, case):
    predictions, targets = case
    value, grads = ours(binary_cross_entropy, predictions, targets)
    expected, expected_grads = theirs(
        torch, torch.nn.functional.binary_cross_entropy, predictions, targets
    )
    assert close(value, expected) and all_close(grads, expected_grads, rel=1e-8)


@given(
    st.integers(1, 8).flatmap(
        lambda n: st.tuples(
            st.lists(st.one_of(st.floats(-60, 60), st.sampled_from([0.0, 500.0, -500.0,
                                                                    1000.0, -1000.0])),
                     min_size=n, max_size=n),
            st.lists(st.one_of(st.sampled_from([0.0, 1.0]), st.floats(0, 1)), min_size=n,
                     max_size=n),
        )
    )
)
def test_binary_cross_entropy_with_logits_equals_pytorch(torch, case):
    logits, targets = case
    value, grads = ours(binary_cross_entropy_with_logits, logits, targets)
    expected, expected_grads = theirs(
        torch, torch.nn.functional.binary_cross_entropy_with_logits, logits, targets
    )
    # log(1 + e^-x) and log1p(e^-x) differ by up to e^-x where 1 + e^-x rounds to 1;
    # PyTorch's (1 - y)·x + max(-x, 0) + ... cancels, losing up to half an ulp of |x|
    # (see the test below), so the value is compared to within that.
    slack = 1e-15 + 2.3e-16 * sum(abs(x) for x in logits) / len(logits)
    assert close(value, expected, abs_=slack) and all_close(grads, expected_grads, abs_=1e-15)


def test_binary_cross_entropy_with_logits_is_exact_where_pytorch_cancels():
    """At x = -16, y = 1e-8 the loss is 2.725351683871768e-07 (40 digits of
    decimal arithmetic); softplus(x) - y·x gives it to within an ulp, where
    PyTorch's formula subtracts 16 from about 16 and is off by 1.2e-15 (4e-9 relative)."""
    value, _ = ours(binary_cross_entropy_with_logits, [-16.0], [1e-8])
    assert abs(value - 2.725351683871768184e-07) <= math.ulp(value)


def test_bce_with_logits_at_extreme_logits_is_finite_and_exact(torch):
    logits = [500.0, -500.0, 1000.0, -1000.0, 0.0, 40.0]
    targets = [0.0, 1.0, 1.0, 0.0, 1.0, 1.0]
    value, grads = ours(binary_cross_entropy_with_logits, logits, targets)
    expected, expected_grads = theirs(
        torch, torch.nn.functional.binary_cross_entropy_with_logits, logits, targets
    )
    assert value == pytest.approx((500 + 500 + 0 + 0 + math.log(2) + 0) / 6)
    assert close(value, expected) and all_close(grads, expected_grads, abs_=1e-17)
    # At a logit of exactly 0 the gradient is sigmoid(0) - y, not the kinks' 0 - y.
    assert grads[4] == pytest.approx((0.5 - 1.0) / 6)
    with pytest.raises(ValueError):
        # The naive form -log(sigmoid(x)) fails where sigmoid underflows to 0.
        Value(-1000.0).sigmoid().log()


@given(
    st.integers(1, 5).flatmap(
        lambda n_classes: st.lists(
            st.tuples(
                st.lists(
                    st.one_of(st.floats(-20, 20), st.sampled_from([500.0, -500.0])),
                    min_size=n_classes, max_size=n_classes,
                ),
                st.integers(0, n_classes - 1),
            ),
            min_size=1, max_size=5,
        )
    )
)
def test_cross_entropy_equals_pytorch(torch, samples):
    rows = [row for row, _ in samples]
    labels = [label for _, label in samples]
    leaves = [[Value(x) for x in row] for row in rows]
    out = cross_entropy(leaves, labels)
    out.backward()
    expected, expected_grads = theirs(
        torch, torch.nn.functional.cross_entropy, rows, labels, target_dtype=torch.long
    )
    grads = [v.grad for row in leaves for v in row]
    assert close(out.data, expected) and all_close(grads, expected_grads)


def test_cross_entropy_at_extreme_logits(torch):
    rows = [[500.0, -500.0, 0.0], [-500.0, 500.0, 499.0], [1000.0, 1000.0, -1000.0]]
    labels = [1, 2, 0]
    leaves = [[Value(x) for x in row] for row in rows]
    out = cross_entropy(leaves, labels)
    out.backward()
    expected, expected_grads = theirs(
        torch, torch.nn.functional.cross_entropy, rows, labels, target_dtype=torch.long
    )
    assert out.data == pytest.approx((1000 + 1 + math.log(1 + math.exp(-1)) + math.log(2)) / 3)
    assert close(out.data, expected)
    assert all_close([v.grad for row in leaves for v in row], expected_grads)


@given(
    st.lists(st.tuples(st.floats(-5, 5), st.sampled_from([-1.0, 1.0])), min_size=1, max_size=8)
)
def test_hinge_loss_equals_pytorch_written_out_and_multi_margin(torch, pairs):
    scores = [s for s, _ in pairs]
    labels = [y for _, y in pairs]
    value, grads = ours(hinge_loss, scores, labels)
    expected, expected_grads = theirs(
        torch, lambda s, y: torch.relu(1 - y * s).mean(), scores, labels
    )
    assert close(value, expected) and all_close(grads, expected_grads)

    def multi_margin(s, y):
        class_scores = torch.stack([torch.zeros_like(s), s], dim=1)
        return 2 * torch.nn.functional.multi_margin_loss(class_scores, ((y + 1) / 2).long())

    assert close(value, theirs(torch, multi_margin, scores, labels)[0])


def test_l2_penalty_equals_pytorch(torch):
    weights = [0.5, -1.25, 3.0, 1e-3]
    params = [Value(w) for w in weights]
    out = l2_penalty(params, alpha=1e-4)
    out.backward()
    x = torch.tensor(weights, dtype=torch.float64, requires_grad=True)
    expected = 1e-4 * (x * x).sum()
    expected.backward()
    assert close(out.data, expected.item())
    assert all_close([p.grad for p in params], x.grad.tolist())


def test_hinge_and_l2_equal_micrograds_demo_loss():
    engine = pytest.importorskip("micrograd.engine")
    scores, labels, weights = [0.7, -0.2, 1.4], [1, -1, -1], [0.5, -2.0]
    theirs_loss = sum((1 + -y * engine.Value(s)).relu() for s, y in zip(scores, labels))
    theirs_loss = theirs_loss * (1.0 / len(scores))
    theirs_loss = theirs_loss + 1e-4 * sum(engine.Value(w) * engine.Value(w) for w in weights)
    mine = hinge_loss(scores, labels) + l2_penalty([Value(w) for w in weights])
    assert mine.data == pytest.approx(theirs_loss.data, rel=1e-15)


# Clamped logs at p = 0 and p = 1 ------------------------------------------------


@pytest.mark.parametrize(
    ("p", "y", "value", "grad"),
    [
        (0.0, 0.0, 0.0, 1.0),  # -log(1 - p) has slope 1 at p = 0
        (0.0, 1.0, -LOG_FLOOR, 0.0),  # the clamped log is constant
        (1.0, 1.0, 0.0, -1.0),  # -log(p) has slope -1 at p = 1
        (1.0, 0.0, -LOG_FLOOR, 0.0),
        (0.0, 0.5, -0.5 * LOG_FLOOR, 0.5),
        (1e-50, 1.0, -LOG_FLOOR, 0.0),  # log(1e-50) = -115 is clamped too
    ],
)
def test_bce_clamps_logs_at_minus_100_like_pytorch(p, y, value, grad):
    loss_value, grads = ours(binary_cross_entropy, [p], [y])
    assert loss_value == pytest.approx(value, abs=1e-12) and math.isfinite(loss_value)
    assert grads == [pytest.approx(grad)]


@pytest.mark.parametrize(("p", "y"), [(0.0, 0.0), (0.0, 1.0), (1.0, 1.0), (1.0, 0.0), (1e-50, 1.0)])
def test_bce_at_zero_and_one_has_pytorchs_value(torch, p, y):
    value, _ = ours(binary_cross_entropy, [p], [y])
    expected, _ = theirs(torch, torch.nn.functional.binary_cross_entropy, [p], [y])
    assert value == expected


def test_bce_just_inside_the_clamp_is_not_clamped():
    p = math.exp(-99.0)
    value, grads = ours(binary_cross_entropy, [p], [1.0])
    assert value == pytest.approx(99.0) and grads == [pytest.approx(-1 / p)]


# Bad input -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (lambda: mse_loss([1.0, 2.0], [1.0]), ValueError,
         "mse_loss: got 2 predictions but 1 targets"),
        (lambda: mae_loss([], []), ValueError, "mae_loss: got no samples"),
        (lambda: mse_loss(["a"], [1.0]), TypeError,
         r"mse_loss: predictions\[0\] must be a Value or a real number, got str"),
        (lambda: mse_loss([1.0], [True]), TypeError, r"mse_loss: targets\[0\] .* got bool"),
        (lambda: mse_loss("ab", "cd"), TypeError, "predictions must be a sequence"),
        (lambda: mse_loss(None, [1.0]), TypeError, "got NoneType"),
        (lambda: huber_loss([1.0], [1.0], delta=0), ValueError,
         "huber_loss: delta must be positive, got 0"),
        (lambda: binary_cross_entropy([1.5], [1.0]), ValueError,
         r"binary_cross_entropy: predictions\[0\] = 1.5 is outside \[0, 1\] .*with_logits"),
        (lambda: binary_cross_entropy([0.5, 0.5], [1.0, 2.0]), ValueError,
         r"targets\[1\] = 2.0 is outside \[0, 1\]"),
        (lambda: binary_cross_entropy_with_logits([3.0], [-1.0]), ValueError,
         r"targets\[0\] = -1.0 is outside \[0, 1\]"),
        (lambda: hinge_loss([0.5, 0.5], [1, 0]), ValueError,
         r"hinge_loss: targets\[1\] = 0.0 is not a label -1 or 1 \(turn 0/1 labels"),
        (lambda: cross_entropy([[1.0, 2.0]], [2]), ValueError,
         r"cross_entropy: targets\[0\] = 2 is not a class index in range\(0, 2\)"),
        (lambda: cross_entropy([[1.0, 2.0]], [-1]), ValueError, "is not a class index"),
        (lambda: cross_entropy([[1.0, 2.0]], [0.5]), ValueError, "not a whole class index"),
        (lambda: cross_entropy([[1.0, 2.0]], ["0"]), TypeError, "must be a class index"),
        (lambda: cross_entropy([[1.0, 2.0], [1.0]], [0, 0]), ValueError,
         r"predictions\[1\] has 1 class scores but predictions\[0\] has 2"),
        (lambda: cross_entropy([[]], [0]), ValueError, "has no class scores"),
        (lambda: cross_entropy([[1.0], 2.0], [0, 0]), TypeError,
         r"predictions\[1\] must be a list of class scores"),
        (lambda: cross_entropy([[1.0, 2.0]], [0, 1]), ValueError,
         "got 1 predictions but 2 targets"),
        (lambda: cross_entropy([], []), ValueError, "got no samples"),
        (lambda: l2_penalty([]), ValueError, "l2_penalty: got an empty parameter list"),
        (lambda: l2_penalty([Value(1.0), 2.0]), TypeError,
         r"l2_penalty: parameters\[1\] must be a Value, got float"),
        (lambda: l2_penalty(Value(1.0)), TypeError, "must be an iterable of Values"),
        (lambda: l2_penalty([Value(1.0)], alpha=-1), ValueError,
         "l2_penalty: alpha must be zero or positive"),
    ],
)
def test_bad_input_names_the_problem(call, error, message):
    with pytest.raises(error, match=message):
        call()


def test_cross_entropy_accepts_whole_float_labels():
    assert cross_entropy([[1.0, 2.0]], [1.0]).data == cross_entropy([[1.0, 2.0]], [1]).data


# CONTRIBUTING's "Adding a loss" recipe ------------------------------------------------


def test_adding_a_loss_is_one_function_and_one_entry(monkeypatch):
    from autograd_nn.engine import mean_values
    from autograd_nn.losses import LOSSES
    from autograd_nn.nn import MLP
    from autograd_nn.train import fit

    def log_cosh_loss(predictions, targets):
        """Mean of log(cosh(ŷ − y)), built from the op table's operations."""
        terms = []
        for y_hat, y in zip(predictions, targets):
            z = y_hat - y
            terms.append(((z.exp() + (-z).exp()) / 2).log())
        return mean_values(terms)

    assert gradcheck(lambda xs: log_cosh_loss(xs, [0.5, -1.0]), [0.3, 2.0])
    monkeypatch.setitem(LOSSES, "log_cosh", log_cosh_loss)
    X = [[x / 5] for x in range(-5, 6)]
    y = [3 * x[0] - 1 for x in X]
    history = fit(MLP(1, [1], activation="linear", seed=0), X, y, loss="log_cosh",
                  optimizer="sgd", lr=0.5, epochs=40, batch_size=None)
    assert history.train_accuracy == []  # a regression loss: no accuracy
    assert history.train_loss[-1] < 0.2 * history.train_loss[0]
