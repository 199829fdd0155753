"""The `autograd-nn` command: walk, grad, examples, draw; one-line errors, exit code 2."""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import autograd_nn.cli
from autograd_nn.cli import SUBCOMMANDS, build_parser, main
from autograd_nn.examples import EXAMPLES

needs_dot = pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz's dot is missing")


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def fails(capsys, *argv):
    """Runs a command that must fail: exit code 2 and exactly one line on stderr."""
    code, out, err = run(capsys, *argv)
    assert code == 2, (out, err)
    assert err.count("\n") == 1 and err.startswith("autograd-nn"), err
    assert "Traceback" not in err
    return err


def test_walk_prints_the_worked_example(capsys):
    code, out, err = run(capsys, "walk")
    assert code == 0 and err == ""
    for line in [
        "f = x · y = 3 · (-4) = -12",
        "g = f + z = -12 + 2 = -10",
        "dg/dz = dg/dg · ∂g/∂z = 1 · 1 = 1",
        "dg/dx = dg/df · ∂f/∂x = 1 · y = 1 · (-4) = -4",
        "dg/dy = dg/df · ∂f/∂y = 1 · x = 1 · 3 = 3",
        "x' = x - 0.1 · dg/dx = 3 - 0.1 · (-4) = 3.4",
        "y' = y - 0.1 · dg/dy = -4 - 0.1 · 3 = -4.3",
        "z' = z - 0.1 · dg/dz = 2 - 0.1 · 1 = 1.9",
        "New output: g = -12.72 (was -10).",
        "a decrease of 2.72",
    ]:
        assert line in out
    assert out.index("Forward pass") < out.index("Backward pass") < out.index("gradient-descent")


def test_walk_options(capsys):
    code, out, _ = run(capsys, "walk", "xyz", "--lr", "0.5")
    assert code == 0 and "x' = x - 0.5 · dg/dx = 3 - 0.5 · (-4) = 5" in out
    code, out, _ = run(capsys, "walk", "--markdown")
    assert code == 0 and out.startswith("# Worked example xyz")
    assert r"$\frac{dg}{dx}" in out


@pytest.mark.parametrize("name", list(EXAMPLES))
def test_walk_every_example(capsys, name):
    code, out, _ = run(capsys, "walk", name)
    assert code == 0 and "Backward pass" in out and "New output" in out
    if name == "network":
        assert "dL/dw11 = dL/du1 · ∂u1/∂w11 = dL/du1 · x1 = " in out


@needs_dot
def test_walk_writes_frames(capsys, tmp_path):
    code, out, _ = run(capsys, "walk", "--out", str(tmp_path / "frames"), "--format", "png")
    assert code == 0 and "index.html" in out
    assert len(list((tmp_path / "frames").glob("frame_*.png"))) == 14  # 5+5+4 update
    assert (tmp_path / "frames" / "index.html").is_file()


@pytest.mark.parametrize(
    ("argv", "lines"),
    [
        (["x*y + z", "x=3", "y=-4", "z=2"],
         ["f = x*y + z", "value: -10", "df/dx = -4", "df/dy = 3", "df/dz = 1"]),
        (["sin(x**2 + 5)", "x=1"],
         ["value: -0.2794154982", "df/dx = 1.920340573"]),
        (["x / y", "x=1", "y=4"], ["value: 0.25", "df/dx = 0.25", "df/dy = -0.0625"]),
        (["sigmoid(w*x + b)", "w=2", "x=-1", "b=2"], ["value: 0.5", "df/dw = -0.25"]),
        (["x*x*x", "x=2"], ["value: 8", "df/dx = 12"]),
        (["2 + 3"], ["value: 5"]),
        (["f * 2", "f=3"], ["out = f * 2", "dout/df = 2"]),
    ],
)
def test_grad(capsys, argv, lines):
    code, out, err = run(capsys, "grad", *argv)
    assert code == 0 and err == ""
    for line in lines:
        assert line in out


@pytest.mark.parametrize("flag", [[], ["--check"]])
def test_grad_checks_with_finite_differences_by_default(capsys, flag):
    code, out, _ = run(capsys, "grad", "exp(x) * log(y)", "x=0.5", "y=2", *flag)
    assert code == 0
    assert "finite-difference check" in out
    assert out.count(", ok") == 2 and "MISMATCH" not in out


def test_grad_no_check(capsys):
    code, out, _ = run(capsys, "grad", "exp(x) * log(y)", "x=0.5", "y=2", "--no-check")
    assert code == 0 and "dout/dx" not in out and "df/dx = 1.14" in out
    assert "finite-difference" not in out


def test_grad_check_at_a_kink_reports_the_mismatch(capsys):
    code, out, _ = run(capsys, "grad", "relu(x)", "x=0")
    assert code == 1
    assert "analytic 0, numeric 0.5, MISMATCH" in out and "kink" in out


def test_grad_check_at_the_edge_of_the_domain(capsys):
    code, out, err = run(capsys, "grad", "log(x)", "x=1e-7")
    assert code == 0 and err == ""
    assert "df/dx = 10000000" in out
    assert "finite-difference check skipped: numerical_grad: f failed at x0 = 1e-07" in out
    code, out, err = run(capsys, "grad", "log(x)", "x=1e-7", "--check")
    assert code == 2 and "log(-9e-07): log needs a positive input" in err


@needs_dot
def test_grad_draw(capsys, tmp_path):
    picture = tmp_path / "g.svg"
    code, out, _ = run(capsys, "grad", "x*y + z", "x=3", "y=-4", "z=2", "--draw", str(picture))
    assert code == 0 and f"drew the graph to {picture}" in out
    svg = picture.read_text()
    assert "<svg" in svg and ">&#45;10<" in svg


@pytest.mark.parametrize(
    ("argv", "words"),
    [
        (["walk", "nope"], "unknown example 'nope'; known examples: xyz, sigmoid"),
        (["draw", "nope", "-o", "x.svg"], "unknown example 'nope'"),
        (["grad", "x*y", "x=3"], "unknown name 'y': no value was given for it"),
        (["grad", "x", "x3"], "bad assignment 'x3': write NAME=VALUE"),
        (["grad", "x", "x=abc"], "'abc' is not a number"),
        (["grad", "x", "x=nan"], "finite number"),
        (["grad", "x", "x=1", "x=2"], "x is given twice"),
        (["grad", "x", "1x=2"], "cannot be a variable name"),
        (["grad", "log(x)", "x=-2"], "log(-2.0): log needs a positive input"),
        (["grad", "x / y", "x=1", "y=0"], "division by zero"),
        (["grad", "9**9**9"], "result too large"),
        (["grad", "x.real", "x=1"], "attribute access"),
        (["grad", "__import__('os').system('echo hacked')"], "not allowed"),
        (["grad", "x**", "x=1"], "not a valid expression"),
        (["walk", "--lr", "abc"], "invalid float value"),
        (["walk", "--lr", "nan"], "finite"),
        (["draw", "xyz", "-o", "picture.docx"], "unknown picture format"),
        (["draw", "xyz"], "the following arguments are required: -o/--output"),
        (["fly"], "invalid choice"),
    ],
)
def test_mistakes_end_in_one_line_and_exit_code_2(capsys, argv, words, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    err = fails(capsys, *argv)
    assert words in err
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("command", [None, "walk", "grad", "examples", "draw"])
def test_help_on_every_subcommand(capsys, command):
    code, out, _ = run(capsys, *([command] if command else []), "--help")
    assert code == 0 and out.startswith("usage: autograd-nn")


def test_every_registered_subcommand_has_help():
    parser = build_parser()
    commands = next(a for a in parser._actions if a.dest == "command")
    assert len(commands.choices) == len(SUBCOMMANDS)
    for name, sub in commands.choices.items():
        assert sub.description, name


def test_every_subcommand_module_is_registered():
    # One module per subcommand in autograd_nn/cli/ (besides the shared ones), each
    # registered through its add_<name> in SUBCOMMANDS under the module's name.
    folder = Path(autograd_nn.cli.__file__).parent
    modules = {p.stem for p in folder.glob("*.py")} - {"__init__", "common", "expr"}
    assert {add.__name__.removeprefix("add_") for add in SUBCOMMANDS} == modules
    commands = next(a for a in build_parser()._actions if a.dest == "command")
    assert set(commands.choices) == modules
    for name in modules:
        assert callable(getattr(autograd_nn.cli, f"run_{name}"))


def test_examples_lists_them(capsys):
    code, out, _ = run(capsys, "examples")
    assert code == 0
    assert [line.split()[0] for line in out.splitlines()] == list(EXAMPLES)


@needs_dot
@pytest.mark.parametrize("mode", ["forward", "backward", "both"])
def test_draw(capsys, tmp_path, mode):
    picture = tmp_path / f"xyz_{mode}.svg"
    code, out, _ = run(capsys, "draw", "xyz", "--mode", mode, "-o", str(picture))
    assert code == 0 and str(picture) in out
    assert picture.read_text().lstrip().startswith("<?xml")


@needs_dot
def test_draw_mlp_with_clusters_as_dot_text(capsys, tmp_path):
    code, _, _ = run(capsys, "draw", "mlp", "--mode", "both", "-o", str(tmp_path / "m.gv"))
    source = (tmp_path / "m.gv").read_text()
    assert code == 0 and "subgraph cluster_layer0" in source and "cluster_layer1_neuron0" in source


def test_missing_graphviz_is_one_line(capsys, tmp_path, monkeypatch):
    empty = tmp_path / "bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    err = fails(capsys, "draw", "xyz", "-o", str(tmp_path / "g.svg"))
    assert "apt-get install graphviz" in err
    err = fails(capsys, "walk", "--out", str(tmp_path / "frames"))
    assert "brew install graphviz" in err
    assert not (tmp_path / "frames").exists() and not (tmp_path / "g.svg").exists()


def test_the_installed_command_refuses_code_without_a_traceback(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "autograd_nn", "grad", "__import__('os').system('touch X')"],
        capture_output=True, text=True, cwd=tmp_path,
    )
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr
    assert not (tmp_path / "X").exists()


# Look-alike names (issue 11) --------------------------------------------------------


def test_grad_refuses_two_names_python_reads_as_one(capsys):
    err = fails(capsys, "grad", "x + ｘ", "x=1", "ｘ=5")
    assert "'x' and 'ｘ' are one name to Python (both read as 'x')" in err


def test_grad_a_fullwidth_name_is_the_variable_python_reads(capsys):
    code, out, _ = run(capsys, "grad", "ｘ*ｘ + x", "ｘ=3")
    assert code == 0
    assert "value: 12" in out and "df/dｘ = 7" in out


def test_grad_reports_an_unknown_name_as_typed(capsys):
    err = fails(capsys, "grad", "ｙ + z", "z=1")
    assert "unknown name 'ｙ'" in err


@pytest.mark.parametrize(("argv", "top"), [
    (["f*out", "f=2", "out=3"], "g"),
    (["f*out*g*h", "f=2", "out=3", "g=1", "h=1"], "f1"),
    (["ｆ*out", "ｆ=2", "out=3"], "g"),
])
def test_grad_names_the_function_apart_from_every_variable(capsys, argv, top):
    code, out, _ = run(capsys, "grad", *argv)
    assert code == 0
    assert out.startswith(f"{top} = ") and f"d{top}/dout = " in out
    assert "dout/dout" not in out


def test_grad_says_overflow_instead_of_a_finite_difference_mismatch(capsys):
    """It printed value inf, then "MISMATCH" with a hint about kinks."""
    assert main(["grad", "x*x", "x=1e200"]) == 2
    captured = capsys.readouterr()
    assert captured.out == "" and "MISMATCH" not in captured.err
    assert captured.err == ("autograd-nn grad: error: 1e+200 * 1e+200: result too large for a "
                            "float (overflow)\n")
