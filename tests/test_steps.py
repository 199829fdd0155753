"""Step-through records: numbers against hand computation and backward(), chain-rule text."""

import itertools
import math

import pytest
from hypothesis import given

from autograd_nn import Value, topological_sort
from autograd_nn.examples import EXAMPLES
from autograd_nn.graph import is_constant
from autograd_nn.steps import (
    backward_steps,
    chain_rule,
    evaluate_at,
    evaluation_order,
    explain,
    format_number,
    forward_steps,
    to_latex,
    update_steps,
    values_at,
)
from autograd_nn.testing import expressions


def xyz():
    worked = EXAMPLES["xyz"]()
    return worked, worked.output


def sigmoid(z):
    return 1.0 / (1.0 + math.exp(-z))


def engine_grads(root):
    """What Value.backward() sets, on a fresh graph, for every node but the constants."""
    for node in topological_sort(root):
        node.grad = 0.0
    root.backward()
    return {node: node.grad for node in topological_sort(root) if not is_constant(node)}


def test_forward_steps_of_the_worked_example():
    _, g = xyz()
    steps = forward_steps(g)
    assert [s.name for s in steps] == ["x", "y", "f", "z", "g"]
    assert [s.explanation for s in steps] == [
        "x = 3",
        "y = -4",
        "f = x · y = 3 · (-4) = -12",
        "z = 2",
        "g = f + z = -12 + 2 = -10",
    ]
    f = steps[2]
    assert (f.op, f.symbol, f.input_names, f.input_values, f.value) == (
        "*", "*", ("x", "y"), (3.0, -4.0), -12.0
    )
    assert f.latex == r"f = x \cdot y = 3 \cdot (-4) = -12"


def test_backward_steps_of_the_worked_example():
    worked, g = xyz()
    steps = backward_steps(g)
    assert [s.name for s in steps] == ["g", "z", "f", "y", "x"]
    assert [s.explanation for s in steps] == [
        "dg/dg = 1",
        "dg/dz = dg/dg · ∂g/∂z = 1 · 1 = 1",
        "dg/df = dg/dg · ∂g/∂f = 1 · 1 = 1",
        "dg/dy = dg/df · ∂f/∂y = 1 · x = 1 · 3 = 3",
        "dg/dx = dg/df · ∂f/∂x = 1 · y = 1 · (-4) = -4",
    ]
    assert [s.upstream for s in steps] == [1.0, 1.0, 1.0, 3.0, -4.0]
    f_step = steps[2]
    assert [(s.name, s.formula, s.local, s.product, s.position) for s in f_step.sends] == [
        ("x", "y", -4.0, -4.0, 0),
        ("y", "x", 3.0, 3.0, 1),
    ]
    x_step = steps[4]
    (term,) = x_step.terms
    assert (term.consumer_name, term.upstream, term.formula, term.local, term.product) == (
        "f", 1.0, "y", -4.0, -4.0
    )
    assert x_step.grad == -4.0 and steps[0].terms == ()
    assert x_step.latex == (
        r"\frac{dg}{dx} = \frac{dg}{df} \cdot \frac{\partial f}{\partial x} = 1 \cdot y"
        r" = 1 \cdot (-4) = -4"
    )
    # The step-through reads the graph; it does not touch any .grad.
    assert all(v.grad == 0.0 for v in worked.values())


def test_sigmoid_neuron_against_hand_computed_values():
    worked = EXAMPLES["sigmoid"]()
    by_name = {s.name: s for s in backward_steps(worked.output)}
    s = sigmoid(2 * -1 + -3 * -2 + -3)
    local = s * (1 - s)
    assert worked.output.data == pytest.approx(0.7310585786300049, abs=1e-15)
    expected = {"u": local, "w1": -1 * local, "x1": 2 * local, "w2": -2 * local,
                "x2": -3 * local, "b": local}
    for name, grad in expected.items():
        assert by_name[name].upstream == pytest.approx(grad, rel=1e-14)
    assert by_name["u"].explanation == (
        "ds/du = ds/ds · ∂s/∂u = 1 · σ(u)(1-σ(u)) = 1 · 0.1966 = 0.1966"
    )
    assert by_name["u"].terms[0].local == pytest.approx(local, rel=1e-15)


def test_network_against_hand_computed_values():
    worked = EXAMPLES["network"]()
    v = {name: value.data for name, value in worked.items()}
    s1 = sigmoid(v["w11"] * v["x1"] + v["w21"] * v["x2"])
    s2 = sigmoid(v["w12"] * v["x1"] + v["w22"] * v["x2"])
    out = sigmoid(v["v1"] * s1 + v["v2"] * s2)
    err = v["t"] - out
    assert worked.output.data == pytest.approx(err * err, rel=1e-14)
    dl_dy = 2 * err * -1 * out * (1 - out)
    dl_du1 = dl_dy * v["v1"] * s1 * (1 - s1)
    dl_du2 = dl_dy * v["v2"] * s2 * (1 - s2)
    expected = {
        "L": 1.0, "err": 2 * err, "y": dl_dy, "u1": dl_du1, "u2": dl_du2,
        "v1": dl_dy * s1, "v2": dl_dy * s2,
        "w11": dl_du1 * v["x1"], "w21": dl_du1 * v["x2"],
        "w12": dl_du2 * v["x1"], "w22": dl_du2 * v["x2"],
    }
    steps = backward_steps(worked.output)
    by_name = {s.name: s for s in steps}
    for name, grad in expected.items():
        assert by_name[name].upstream == pytest.approx(grad, rel=1e-12), name
    # The data x1, x2 and the target t are constants: no step, no send, no gradient.
    assert not {"x1", "x2", "t"} & set(by_name)
    assert not {"x1", "x2", "t"} & {send.name for step in steps for send in step.sends}
    assert [s.index for s in steps] == list(range(len(steps))) and len(steps) == 20


def test_lecture_chain_dl_dw11_is_dl_du1_times_x1():
    worked = EXAMPLES["network"]()
    w11_rule, u1_rule = worked.chains()
    assert w11_rule.explanation == (
        "dL/dw11 = dL/du1 · ∂u1/∂w11 = dL/du1 · x1 = (-0.04793) · 0.5 = -0.02396"
    )
    assert u1_rule.explanation == (
        "dL/du1 = dL/dσ · ∂σ/∂y · ∂y/∂σ1 · ∂σ1/∂u1"
        " = dL/dσ · σ(y)(1-σ(y)) · v1 · σ(u1)(1-σ(u1))"
        " = (-0.8051) · 0.2405 · 1 · 0.2475 = -0.04793"
    )
    grads = engine_grads(worked.output)
    assert w11_rule.value == pytest.approx(grads[worked["w11"]], rel=1e-14)
    assert w11_rule.factors[1] == worked["x1"].data
    assert u1_rule.value == pytest.approx(grads[worked["u1"]], rel=1e-14)
    assert w11_rule.latex.startswith(
        r"\frac{dL}{dw_{11}} = \frac{dL}{du_{1}} \cdot \frac{\partial u_{1}}{\partial w_{11}}"
        r" = \frac{dL}{du_{1}} \cdot x_{1} = (-0.04793) \cdot 0.5 = "
    )


def test_chain_rule_refuses_a_node_outside_the_graph():
    worked, g = xyz()
    with pytest.raises(ValueError, match="is not in the graph"):
        chain_rule(g, worked["x"], via=[worked["z"]])


def test_chain_rule_refuses_a_constant():
    network = EXAMPLES["network"]()
    with pytest.raises(ValueError, match="t is a constant: it has no gradient"):
        chain_rule(network.output, network["t"])
    with pytest.raises(ValueError, match="x1 is a constant"):
        chain_rule(network.output, network["x1"], via=[network["u1"]])


def test_fan_out_shows_every_term_and_the_running_sum():
    a = Value(2.0, "a")
    square = a * a
    square.label = "m"
    h = square + a
    h.label = "h"
    step = next(s for s in backward_steps(h) if s.node is a)
    assert sorted(t.product for t in step.terms) == [1.0, 2.0, 2.0]
    assert sorted(t.consumer_name for t in step.terms) == ["h", "m", "m"]
    running = [t.running_sum for t in step.terms]
    assert running == list(itertools.accumulate(t.product for t in step.terms))
    assert running[-1] == step.upstream == 5.0
    sums = " -> ".join(format_number(r) for r in running)
    assert step.explanation.endswith(f"= 5 (running sum {sums})")
    assert "dh/dm · ∂m/∂a + dh/dm · ∂m/∂a" in step.explanation
    h.backward()
    assert a.grad == 5.0


@pytest.mark.parametrize("name", ["xyz", "sigmoid", "sin", "network", "mlp"])
def test_backward_step_numbers_equal_backward(name):
    root = EXAMPLES[name]().output
    steps = backward_steps(root)
    grads = engine_grads(root)
    assert {s.node: s.upstream for s in steps} == grads
    for step in steps:
        wires = [k for k, child in enumerate(step.node.inputs) if not is_constant(child)]
        assert [send.position for send in step.sends] == wires
        for send in step.sends:
            assert send.input is step.node.inputs[send.position]
            assert send.product == step.upstream * send.local


@given(expressions(n_inputs=2))
def test_backward_steps_equal_backward_on_random_expressions(case):
    f, xs = case
    root = f([Value(x, "x0") for x in xs[:1]] + [Value(x, "x1") for x in xs[1:]])
    steps = backward_steps(root)
    grads = engine_grads(root)
    assert len(steps) == len(grads)
    for step in steps:
        assert step.upstream == grads[step.node] or (
            math.isnan(step.upstream) and math.isnan(grads[step.node])
        )
    order = [s.node for s in forward_steps(root)]
    assert [s.node for s in steps] == order[::-1]


def test_orders_are_topological_and_need_no_recursion():
    x = Value(0.5, "x")
    node = x
    for _ in range(5000):
        node = node.tanh()
    order = evaluation_order(node)
    assert len(order) == 5001 and order[0] is x and order[-1] is node
    assert len(backward_steps(node)) == 5001
    assert forward_steps(node)[-1].explanation.startswith("n5000 = tanh(n4999) = ")


def test_operators_are_written_as_the_table_names_them():
    x = Value(-2.0, "x")
    steps = {s.name: s for s in forward_steps((x**2).sigmoid() + (-x) + x.apply("sum", x, 1))}
    assert "n1" not in steps  # the constant 2 has no step: its value is in n2's formula
    assert steps["n2"].explanation == "n2 = x^2 = (-2)^2 = 4"
    assert steps["n3"].explanation.startswith("n3 = σ(n2) = σ(4) = 0.982")
    assert steps["n4"].explanation == "n4 = -x = -(-2) = 2"
    assert steps["n7"].explanation == "n7 = Σ(x, x, 1) = Σ(-2, -2, 1) = -3"


def test_formulas_come_from_the_table_with_names_substituted():
    x = Value(0.5, "x")
    t = x.tanh()
    t.label = "t"
    (step,) = [s for s in backward_steps(t) if s.node is x]
    assert step.terms[0].formula == "1 - tanh(x)^2"
    assert step.explanation == (
        "dt/dx = dt/dt · ∂t/∂x = 1 · (1 - tanh(x)^2) = 1 · 0.7864 = 0.7864"
    )
    assert step.terms[0].local == pytest.approx(1 - math.tanh(0.5) ** 2, rel=1e-15)


def test_explain_text_ends_with_the_gradient_step():
    _, g = xyz()
    text = explain(g, 0.1)
    for line in [
        "f = x · y = 3 · (-4) = -12",
        "dg/dx = dg/df · ∂f/∂x = 1 · y = 1 · (-4) = -4",
        "x' = x - 0.1 · dg/dx = 3 - 0.1 · (-4) = 3.4",
        "y' = y - 0.1 · dg/dy = -4 - 0.1 · 3 = -4.3",
        "z' = z - 0.1 · dg/dz = 2 - 0.1 · 1 = 1.9",
        "New output: g = -12.72 (was -10).",
        "Change: actual -2.72 (a decrease of 2.72); first-order prediction "
        "-lr · Σ (dg/dp)^2 = -0.1 · 26 = -2.6.",
    ]:
        assert line in text
    assert "gradient-descent" not in explain(g)


def test_explain_markdown_has_latex():
    worked = EXAMPLES["network"]()
    md = explain(worked.output, 0.1, params=worked.params, chains=worked.chains(),
                 markdown=True)
    assert md.startswith("# ")
    assert "| step | node | computation |" in md and "|---|---|---|" in md
    assert r"$\frac{dL}{dw_{11}} = " in md
    assert r"\frac{dL}{du_{1}} \cdot x_{1}" in md
    assert r"\frac{\partial \sigma}{\partial y} = (-0.8051) \cdot \sigma(y)(1-\sigma(y))" in md
    assert r"w_{11}' = w_{11} - 0.1 \cdot \frac{dL}{dw_{11}} = 0.8 - 0.1 \cdot (-0.02396)" in md
    assert r"-\eta \sum_p" in md and "## Chain rule along a path" in md


def test_explain_refuses_a_bad_learning_rate_and_foreign_params():
    _, g = xyz()
    with pytest.raises(ValueError, match="finite"):
        explain(g, float("nan"))
    with pytest.raises(ValueError, match="not in the graph"):
        explain(g, 0.1, params=[Value(1.0)])


def test_evaluate_at_reruns_the_forward_pass():
    worked, g = xyz()
    assert evaluate_at(g, {worked["x"]: 3.4, worked["y"]: -4.3, worked["z"]: 1.9}) == (
        pytest.approx(-12.72, abs=1e-12)
    )
    assert g.data == -10.0 and worked["x"].data == 3.0
    with pytest.raises(ValueError, match="log needs a positive input"):
        evaluate_at(worked["x"].log(), {worked["x"]: -1.0})


@pytest.mark.parametrize(
    ("text", "latex"),
    [
        ("2*x^(2-1)", r"2 \cdot x^{2-1}"),
        ("1 - tanh(u)^2", r"1 - \operatorname{tanh}(u)^{2}"),
        ("σ1", r"\sigma_{1}"),
        ("w11", "w_{11}"),
        ("x ** 2", "x^{2}"),
        ("Σ(a, b)", r"\Sigma(a, b)"),
        ("50%_$", r"50\%\_\$"),
    ],
)
def test_to_latex(text, latex):
    assert to_latex(text) == latex


def test_format_number():
    assert [format_number(x) for x in (-0.0, 3.4000000000000004, -12.719999, 1e-7)] == [
        "0", "3.4", "-12.72", "1e-07"
    ]


@pytest.mark.parametrize("name", list(EXAMPLES))
def test_no_constant_is_a_step_or_gets_a_derivative_written(name):
    worked = EXAMPLES[name]()
    root = worked.output
    constants = {n for n in evaluation_order(root) if is_constant(n)}
    forward, backward = forward_steps(root), backward_steps(root)
    assert not constants & {s.node for s in [*forward, *backward]}
    assert not constants & {send.input for s in backward for send in s.sends}
    assert not constants & {term.consumer for s in backward for term in s.terms}
    names = {s.name for s in forward} | {n for s in forward for n in s.input_names}
    text = explain(root, 0.1, params=worked.params, chains=worked.chains())
    for constant in constants:
        if constant.label:  # a labelled constant (data, a target) is named in formulas only
            assert f"d{constant.label} " not in text and f"/d{constant.label} " not in text
            assert f"/∂{constant.label} " not in text and constant.label in names
    assert "n22" not in text and "log(" not in text  # no d.../d(exponent) = ...·log(...)


def test_a_negative_error_squared_shows_no_nan():
    t = Value(-1.0, "t", requires_grad=False)
    p = Value(0.5, "p")
    err = t - p.sigmoid()
    err.label = "err"
    loss = err**2
    loss.label = "L"
    assert err.data < 0
    text = explain(loss, 0.1) + explain(loss, 0.1, markdown=True)
    assert "nan" not in text.lower()
    numbers = [s.upstream for s in backward_steps(loss)]
    numbers += [send.local for s in backward_steps(loss) for send in s.sends]
    assert all(math.isfinite(x) for x in numbers)
    assert [s.name for s in backward_steps(loss)] == ["L", "err", "n1", "p"]
    assert "dL/derr = dL/dL · ∂L/∂err = 1 · (2 · err^(2-1)) = 1 · (-3.245)" in text
    assert "log" not in text and "dL/dn4" not in text  # the exponent 2 is node n4


def test_update_steps_are_the_lectures_step_and_change_nothing():
    worked, g = xyz()
    updates = update_steps(g, worked.params, 0.1)
    *params, output = updates
    assert [(u.name, u.old, u.grad) for u in params] == [
        ("x", 3.0, -4.0), ("y", -4.0, 3.0), ("z", 2.0, 1.0)
    ]
    assert [u.new for u in params] == pytest.approx([3.4, -4.3, 1.9], abs=1e-12)
    assert [u.explanation for u in params] == [
        "x' = x - 0.1 · dg/dx = 3 - 0.1 · (-4) = 3.4",
        "y' = y - 0.1 · dg/dy = -4 - 0.1 · 3 = -4.3",
        "z' = z - 0.1 · dg/dz = 2 - 0.1 · 1 = 1.9",
    ]
    assert params[0].latex == (
        r"x' = x - 0.1 \cdot \frac{dg}{dx} = 3 - 0.1 \cdot (-4) = 3.4"
    )
    assert not any(u.is_output for u in params) and output.is_output
    assert output.node is g and output.old == -10.0
    assert output.new == pytest.approx(-12.72, abs=1e-12)
    assert output.change == pytest.approx(-2.72, abs=1e-12)
    assert output.predicted == pytest.approx(-2.6, abs=1e-12)
    assert output.explanation.splitlines() == [
        "New output: g = -12.72 (was -10).",
        "Change: actual -2.72 (a decrease of 2.72); first-order prediction "
        "-lr · Σ (dg/dp)^2 = -0.1 · 26 = -2.6.",
    ]
    assert [u.index for u in updates] == [0, 1, 2, 3]
    # Nothing of the user's graph changed: data and grads as built.
    assert [worked[n].data for n in "xyzfg"] == [3.0, -4.0, 2.0, -12.0, -10.0]
    assert all(v.grad == 0.0 for v in worked.values())
    # explain() says the same words.
    text = explain(g, 0.1)
    assert all(u.explanation in text for u in params)
    assert all(line in text for line in output.explanation.splitlines())


def test_update_steps_default_params_and_refusals():
    network = EXAMPLES["network"]()
    chosen = [u.name for u in update_steps(network.output)][:-1]
    assert chosen == ["w11", "w21", "v1", "w12", "w22", "v2"]  # no x1, x2, t
    assert set(chosen) == {p.label for p in network.params}
    with pytest.raises(ValueError, match="t: a constant has no gradient"):
        update_steps(network.output, [network["t"]])
    with pytest.raises(ValueError, match="not in the graph of L"):
        update_steps(network.output, [Value(1.0)])
    with pytest.raises(ValueError, match="finite"):
        update_steps(network.output, lr=math.inf)
    with pytest.raises(TypeError, match="must be a number"):
        update_steps(network.output, lr="0.1")
    updates = update_steps(network.output, network.params, -0.5)
    assert updates[0].explanation.startswith("w11' = w11 - (-0.5) · dL/dw11 = 0.8 - (-0.5) · ")
    assert "-(-0.5) · " in updates[-1].explanation


def test_values_at_gives_every_node_without_changing_any():
    worked, g = xyz()
    values = values_at(g, {worked["x"]: 3.4})
    assert values[worked["f"]] == pytest.approx(3.4 * -4) and values[g] == evaluate_at(
        g, {worked["x"]: 3.4}
    )
    assert worked["f"].data == -12.0
