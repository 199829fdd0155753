"""Step-through records: numbers against hand computation and backward(), chain-rule text."""

import itertools
import math

import pytest
from hypothesis import given

from autograd_nn import Value, topological_sort
from autograd_nn.examples import EXAMPLES
from autograd_nn.steps import (
    backward_steps,
    chain_rule,
    evaluate_at,
    evaluation_order,
    explain,
    format_number,
    forward_steps,
    to_latex,
)
from autograd_nn.testing import expressions


def xyz():
    worked = EXAMPLES["xyz"]()
    return worked, worked.output


def sigmoid(z):
    return 1.0 / (1.0 + math.exp(-z))


def engine_grads(root):
    """What Value.backward() sets, on a fresh graph, for every node."""
    for node in topological_sort(root):
        node.grad = 0.0
    root.backward()
    return {node: node.grad for node in topological_sort(root)}


def test_forward_steps_of_the_worked_example():
    _, g = xyz()
    steps = forward_steps(g)
    assert [s.name for s in steps] == ["x", "y", "f", "z", "g"]
    assert [s.explanation for s in steps] == [
        "x = 3",
        "y = -4",
        "f = x * y = 3 * -4 = -12",
        "z = 2",
        "g = f + z = -12 + 2 = -10",
    ]
    f = steps[2]
    assert (f.op, f.symbol, f.input_names, f.input_values, f.value) == (
        "*", "*", ("x", "y"), (3.0, -4.0), -12.0
    )
    assert f.latex == r"f = x \cdot y = 3 \cdot -4 = -12"


def test_backward_steps_of_the_worked_example():
    worked, g = xyz()
    steps = backward_steps(g)
    assert [s.name for s in steps] == ["g", "z", "f", "y", "x"]
    assert [s.explanation for s in steps] == [
        "dg/dg = 1",
        "dg/dz = dg/dg * dg/dz = 1 * 1 = 1",
        "dg/df = dg/dg * dg/df = 1 * 1 = 1",
        "dg/dy = dg/df * df/dy = 1 * x = 1 * 3 = 3",
        "dg/dx = dg/df * df/dx = 1 * y = 1 * -4 = -4",
    ]
    assert [s.upstream for s in steps] == [1.0, 1.0, 1.0, 3.0, -4.0]
    f_step = steps[2]
    assert [(s.name, s.formula, s.local, s.product) for s in f_step.sends] == [
        ("x", "y", -4.0, -4.0),
        ("y", "x", 3.0, 3.0),
    ]
    x_step = steps[4]
    (term,) = x_step.terms
    assert (term.consumer_name, term.upstream, term.formula, term.local, term.product) == (
        "f", 1.0, "y", -4.0, -4.0
    )
    assert x_step.grad == -4.0 and steps[0].terms == ()
    assert x_step.latex.startswith(r"\frac{\partial g}{\partial x} = ")
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
    assert by_name["u"].explanation == "ds/du = ds/ds * ds/du = 1 * s(1-s) = 1 * 0.1966 = 0.1966"
    assert by_name["u"].terms[0].local == pytest.approx(local, rel=1e-15)


def test_network_against_hand_computed_values():
    worked = EXAMPLES["network"]()
    v = {name: value.data for name, value in worked.items()}
    s1 = sigmoid(v["w11"] * v["x1"] + v["w21"] * v["x2"])
    s2 = sigmoid(v["w12"] * v["x1"] + v["w22"] * v["x2"])
    out = sigmoid(v["v1"] * s1 + v["v2"] * s2)
    e = v["t"] - out
    assert worked.output.data == pytest.approx(e * e, rel=1e-14)
    dl_dy = 2 * e * -1 * out * (1 - out)
    dl_du1 = dl_dy * v["v1"] * s1 * (1 - s1)
    dl_du2 = dl_dy * v["v2"] * s2 * (1 - s2)
    expected = {
        "L": 1.0, "e": 2 * e, "y": dl_dy, "u1": dl_du1, "u2": dl_du2,
        "v1": dl_dy * s1, "v2": dl_dy * s2,
        "w11": dl_du1 * v["x1"], "w21": dl_du1 * v["x2"],
        "w12": dl_du2 * v["x1"], "w22": dl_du2 * v["x2"],
        "x1": dl_du1 * v["w11"] + dl_du2 * v["w12"],
    }
    by_name = {s.name: s for s in backward_steps(worked.output)}
    for name, grad in expected.items():
        assert by_name[name].upstream == pytest.approx(grad, rel=1e-12), name
    # x1 feeds both hidden neurons: two terms, summed.
    assert len(by_name["x1"].terms) == 2 and "running sum" in by_name["x1"].explanation


def test_lecture_chain_dl_dw11_is_dl_du1_times_x1():
    worked = EXAMPLES["network"]()
    w11_rule, u1_rule = worked.chains()
    assert w11_rule.explanation.startswith("dL/dw11 = dL/du1 * du1/dw11 = dL/du1 * x1 = ")
    assert u1_rule.explanation.startswith("dL/du1 = dL/dσ * dσ/dy * dy/dσ1 * dσ1/du1 = ")
    grads = engine_grads(worked.output)
    assert w11_rule.value == pytest.approx(grads[worked["w11"]], rel=1e-14)
    assert w11_rule.factors[1] == worked["x1"].data
    assert u1_rule.value == pytest.approx(grads[worked["u1"]], rel=1e-14)
    assert r"\frac{\partial L}{\partial w_{11}}" in w11_rule.latex


def test_chain_rule_refuses_a_node_outside_the_graph():
    worked, g = xyz()
    with pytest.raises(ValueError, match="is not in the graph"):
        chain_rule(g, worked["x"], via=[worked["z"]])


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
    assert "dh/dm * dm/da + dh/dm * dm/da" in step.explanation
    h.backward()
    assert a.grad == 5.0


@pytest.mark.parametrize("name", ["xyz", "sigmoid", "sin", "network", "mlp"])
def test_backward_step_numbers_equal_backward(name):
    root = EXAMPLES[name]().output
    steps = backward_steps(root)
    grads = engine_grads(root)
    assert {s.node: s.upstream for s in steps} == grads
    for step in steps:
        for send, child in zip(step.sends, step.node.inputs):
            assert send.input is child and send.product == step.upstream * send.local


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
    assert steps["n2"].explanation == "n2 = x ** 2 = (-2) ** 2 = 4"
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
        "dt/dx = dt/dt * dt/dx = 1 * (1 - tanh(x)^2) = 1 * 0.7864 = 0.7864"
    )
    assert step.terms[0].local == pytest.approx(1 - math.tanh(0.5) ** 2, rel=1e-15)


def test_explain_text_ends_with_the_gradient_step():
    _, g = xyz()
    text = explain(g, 0.1)
    for line in [
        "f = x * y = 3 * -4 = -12",
        "dg/dx = dg/df * df/dx = 1 * y = 1 * -4 = -4",
        "x' = 3 - 0.1 * -4 = 3.4",
        "y' = -4 - 0.1 * 3 = -4.3",
        "z' = 2 - 0.1 * 1 = 1.9",
        "New output: g = -12.72 (was -10).",
        "Change: actual -2.72 (a decrease of 2.72); first-order prediction "
        "-lr * sum((dg/dp)^2) = -2.6.",
    ]:
        assert line in text
    assert "gradient-descent" not in explain(g)


def test_explain_markdown_has_latex():
    worked = EXAMPLES["network"]()
    md = explain(worked.output, 0.1, params=worked.params, chains=worked.chains(),
                 markdown=True)
    assert md.startswith("# ")
    assert "| step | node | computation |" in md and "|---|---|---|" in md
    assert r"$\frac{\partial L}{\partial w_{11}} = " in md
    assert r"\frac{\partial L}{\partial u_{1}} \cdot x_{1}" in md
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
