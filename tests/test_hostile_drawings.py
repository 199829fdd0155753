"""Hostile labels and titles, drawn for real with Graphviz's `dot`.

Every string a user gives a drawing (a node's label, the title) must show as
the text it is: it can add no node, start no markup, and never make `dot`
fail. A character `dot` cannot take shows as a visible stand-in (its control
picture, ␀ for NUL, or U+FFFD); a very long one is cut with "…" and its length.
When `dot` itself fails, the drawing raises one `RenderError` saying which
format and what `dot` said, and the command line prints it as one line.
"""

import os
import re
import shutil
import subprocess
import xml.etree.ElementTree as ET

import pytest
from hypothesis import given
from hypothesis import strategies as st

from autograd_nn import Value
from autograd_nn.cli import main
from autograd_nn.examples import EXAMPLES
from autograd_nn.graph import evaluation_order
from autograd_nn.viz import (
    MODE_TABLE,
    MODES,
    GraphvizNotFoundError,
    RenderError,
    draw_graph,
    render_steps,
    save_drawing,
    step_frames,
)
from autograd_nn.viz.draw import LABEL_LIMIT, TITLE_LIMIT

pytestmark = pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz's dot is missing")

SVG = "{http://www.w3.org/2000/svg}"
INJECTION = '<x> injected [label="INJECTED NODE" shape=box] <y>'

CORPUS = [
    INJECTION,
    '"; node [shape=box]',
    '"] INJECTED [label="INJECTED',
    '> INJECTED [label=<INJECTED>] <',
    "\\",
    "ends in a backslash\\",
    '\\"',
    "\\N \\G \\L \\n \\l \\r",
    "<b>bold</b>",
    "<<table>>",
    "<",
    ">",
    "]",
    "}",
    "{",
    "->",
    "--",
    ";",
    "node",
    "graph",
    "subgraph",
    "strict",
    "digraph",
    "&amp; &lt;x&gt; &#45; &#1; &nbsp; &bogus;",
    "</td></tr></table>> INJECTED [shape=box] x [label=<",
    "<!-- comment -->",
    "<![CDATA[x]]>",
    "a\x00b",
    *[f"c{chr(code)}c" for code in range(1, 0x20)],
    "\x7f",
    "\x85 next line \x9f",
    "\u202eright to left override",
    "\u200fright-to-left mark\u200e",
    "🦀 emoji 👩‍🔬 🇬🇧",
    "x\u0301 combining",
    "\u2028line\u2029paragraph",
    "\ufeffbom",
    "\ufffe\uffff",
    "\ud800 lone surrogate \udfff",
    "  two  spaces  ",
    " ",
    "x" * 20_000,
    "é" * 1_000_000,
]


def short_id(text):
    return repr(text if len(text) <= 30 else text[:30] + "...")


def shown(text, limit):
    """What a drawing shows for `text`, as the issue asks: cut to `limit` characters
    with "…" and the length, each character dot cannot take replaced visibly."""
    if len(text) > limit:
        text = f"{text[:limit]}… ({len(text):,} characters)"
    out = []
    for char in text:
        code = ord(char)
        if code < 0x20:
            out.append(chr(0x2400 + code))
        elif code == 0x7F:
            out.append("\u2421")
        elif 0x80 <= code <= 0x9F or 0xD800 <= code <= 0xDFFF or code in (0xFFFE, 0xFFFF):
            out.append("\ufffd")
        else:
            out.append(char)
    # dot writes the second of two spaces as a no-break space, so runs stay wide.
    return "".join(out).replace("\xa0", " ")


def graph(label):
    """out = x * y, with `label` on x: four nodes (x, y, out and the * op)."""
    x = Value(2.0, label=label)
    out = x * Value(-3.0, label="y")
    out.label = "out"
    return out, x


def texts(element):
    """Each text an SVG element shows, no-break spaces as spaces."""
    return [(t.text or "").replace("\xa0", " ") for t in element.iter(f"{SVG}text")]


def node_groups(svg):
    """{DOT id: <g>} of every drawn node (each `class="node"` group)."""
    root = ET.fromstring(svg)
    groups = [g for g in root.iter(f"{SVG}g") if g.get("class") == "node"]
    assert svg.count('class="node"') == len(groups)
    return {g.find(f"{SVG}title").text: g for g in groups}


def graph_texts(svg):
    """The texts drawn on the graph itself (its title), outside every node and edge."""
    graph_group = next(g for g in ET.fromstring(svg).iter(f"{SVG}g") if g.get("class") == "graph")
    return [(t.text or "").replace("\xa0", " ") for t in graph_group.findall(f"{SVG}text")]


def expected_ids(legend):
    return {"v0", "v1", "v2", "op0", *(["legend"] if legend else [])}


def check_svg(svg, root, x, label, legend):
    """Exactly the graph's nodes, and x's node shows its label as `shown` says."""
    groups = node_groups(svg)
    assert set(groups) == expected_ids(legend), "a label added or removed a node"
    position = evaluation_order(root).index(x)
    x_id = f"v{position}"
    assert shown(label or f"n{position}", LABEL_LIMIT) in texts(groups[x_id])
    others = [t for node_id, g in groups.items() if node_id != x_id for t in texts(g)]
    assert not any("INJECTED" in t for t in others)


# Every corpus string as a label and as the title, in every mode ---------


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("text", CORPUS, ids=short_id)
def test_hostile_label_and_title_draw_as_themselves(text, mode):
    root, x = graph(text)
    drawing = draw_graph(root, mode, title=text)
    svg = drawing.pipe(format="svg", encoding="utf-8")
    check_svg(svg, root, x, text, MODE_TABLE[mode].legend)
    title = graph_texts(svg)
    assert title == ([shown(text, TITLE_LIMIT)] if text else [])


@pytest.mark.parametrize("text", CORPUS, ids=short_id)
def test_hostile_labels_in_step_frames(text):
    root, x = graph(text)
    frames = step_frames(root)
    assert len(frames) == 3 + 3 + 3  # forward, backward, gradient step (x, y, new output)
    for frame in frames:
        check_svg(frame.svg, root, x, text, legend=True)


def test_the_injection_adds_no_node_to_the_dot_text():
    root, _ = graph(INJECTION)
    source = draw_graph(root, "both", title=INJECTION).source
    statements = re.findall(r"^\t(\w+) \[", source, flags=re.MULTILINE)
    assert set(statements) - {"graph", "node", "edge"} == {"v0", "v1", "v2", "op0", "legend"}
    escaped = "&lt;x&gt; injected [label=&quot;INJECTED NODE&quot; shape=box&#93; &lt;y&gt;"
    assert f"\tlabel=<{escaped}> labelloc=t\n" in source
    assert source.count("INJECTED") == 2  # the title and x's label, both escaped


# What exactly is shown -----------------------------------------------------


LITERALLY = [
    ("a\x00b", "a␀b", "a␀b"),
    ("tab\there", "tab␉here", "tab␉here"),
    ("new\nline", "new␊line", "new␊line"),
    ("del\x7f", "del␡", "del␡"),
    ("c1\x85", "c1\ufffd", "c1\ufffd"),
    ("\ud800", "\ufffd", "\ufffd"),
    ("<b>bold</b>", "<b>bold</b>", "<b>bold</b>"),
    ("&amp; &lt;", "&amp; &lt;", "&amp; &lt;"),
    ("&#1;", "&#1;", "&#1;"),
    ("ends\\", "ends\\", "ends\\"),
    ("\\N \\G", "\\N \\G", "\\N \\G"),
    ("]", "]", "]"),
    (
        "x" * 20_000,
        "x" * LABEL_LIMIT + "… (20,000 characters)",
        "x" * TITLE_LIMIT + "… (20,000 characters)",
    ),
    (
        "é" * 1_000_000,
        "é" * LABEL_LIMIT + "… (1,000,000 characters)",
        "é" * TITLE_LIMIT + "… (1,000,000 characters)",
    ),
]
"""(text, as its node shows it, as the title shows it)"""


@pytest.mark.parametrize(
    ("text", "as_label", "as_title"), LITERALLY, ids=[short_id(t) for t, _, _ in LITERALLY]
)
def test_labels_and_titles_show_literally_with_stand_ins_and_a_cut(text, as_label, as_title):
    root, x = graph(text)
    svg = draw_graph(root, title=text).pipe(format="svg", encoding="utf-8")
    assert as_label in texts(node_groups(svg)[f"v{evaluation_order(root).index(x)}"])
    assert graph_texts(svg) == [as_title]


def test_a_long_title_is_cut_to_the_title_limit():
    root, _ = graph("x")
    svg = draw_graph(root, title="t" * 50_000).pipe(format="svg", encoding="utf-8")
    assert graph_texts(svg) == ["t" * TITLE_LIMIT + "… (50,000 characters)"]


@given(
    label=st.one_of(
        st.text(),
        st.text(st.characters(exclude_categories=()), min_size=LABEL_LIMIT - 3,
                max_size=LABEL_LIMIT + 30),
    ),
    title=st.text(st.characters(exclude_categories=())),
    mode=st.sampled_from(MODES),
)
def test_any_text_draws_as_itself(label, title, mode):
    root, x = graph(label)
    svg = draw_graph(root, mode, title=title).pipe(format="svg", encoding="utf-8")
    check_svg(svg, root, x, label, MODE_TABLE[mode].legend)
    assert graph_texts(svg) == ([shown(title, TITLE_LIMIT)] if title else [])


# Labels that are not strings ---------------------------------------------


@pytest.mark.parametrize(
    ("label", "type_name"), [(3, "int"), (None, "NoneType"), (b"x", "bytes"), (["x"], "list")]
)
def test_a_label_that_is_not_a_string_is_named(label, type_name, tmp_path):
    given_at_birth = Value(1.5, label=label) * 2.0
    x = Value(1.5, label="x")
    out = x * 2.0
    x.label = label  # set later
    message = f"label of node 0 (data 1.5) must be str, got {type_name}"
    for root in (given_at_birth, out):
        with pytest.raises(TypeError, match=re.escape(message)):
            draw_graph(root)
        with pytest.raises(TypeError, match=re.escape(message)):
            step_frames(root)
        with pytest.raises(TypeError, match=re.escape(message)):
            render_steps(root, tmp_path / "frames")
    assert not (tmp_path / "frames").exists()


def test_a_title_that_is_not_a_string_is_named():
    with pytest.raises(TypeError, match="title must be str or None, got int"):
        draw_graph(graph("x")[0], title=3)


# When dot itself fails -----------------------------------------------------


def xyz():
    return EXAMPLES["xyz"]().output


@pytest.fixture
def failing_dot(tmp_path, monkeypatch):
    """A real `dot` first on PATH that reads its input, says two lines on stderr
    and exits with status 1."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    dot = bin_dir / "dot"
    dot.write_text(
        "#!/bin/sh\n"
        "cat >/dev/null\n"
        "echo \"Error: <stdin>: syntax error in line 3 near 'boom'\" >&2\n"
        "echo 'a second line' >&2\n"
        "exit 1\n"
    )
    dot.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    return tmp_path


FAILED_SVG = (
    "Graphviz could not render the drawing as svg: dot exited with status 1: "
    "Error: <stdin>: syntax error in line 3 near 'boom'"
)


def test_a_failing_dot_raises_one_render_error(failing_dot):
    drawing = draw_graph(xyz(), "both")
    for render, fmt in (
        (lambda: drawing.pipe(format="svg"), "svg"),
        (lambda: drawing.pipe("png"), "png"),
        (lambda: drawing._repr_mimebundle_(), "svg"),
        (lambda: drawing.render(directory=failing_dot / "out", format="pdf"), "pdf"),
        (lambda: save_drawing(drawing, failing_dot / "picture.png"), "png"),
    ):
        with pytest.raises(RenderError) as error:
            render()
        assert str(error.value) == FAILED_SVG.replace("as svg", f"as {fmt}")
        assert "a second line" in error.value.stderr
        assert isinstance(error.value, RuntimeError)
        assert not isinstance(error.value, GraphvizNotFoundError)
        assert isinstance(error.value.__cause__, subprocess.CalledProcessError)
    assert not (failing_dot / "picture.png").exists()


def test_a_failing_dot_stops_step_frames_before_anything_is_written(failing_dot):
    with pytest.raises(RenderError, match=re.escape(FAILED_SVG)):
        step_frames(xyz())
    with pytest.raises(RenderError, match=re.escape(FAILED_SVG)):
        render_steps(xyz(), failing_dot / "frames")
    assert not (failing_dot / "frames").exists()


def test_the_command_line_says_a_failing_dot_in_one_line(failing_dot, capsys):
    out = failing_dot / "g.svg"
    assert main(["draw", "xyz", "-o", str(out)]) == 2
    captured = capsys.readouterr()
    assert captured.err == f"autograd-nn draw: error: {FAILED_SVG}\n"
    assert not out.exists()


def test_a_dot_that_stops_reading_is_a_broken_pipe(tmp_path, monkeypatch):
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "dot").write_text("#!/bin/sh\nexit 3\n")
    (bin_dir / "dot").chmod(0o755)
    monkeypatch.setenv("PATH", str(bin_dir))
    # Far more DOT text than a pipe holds, so writing it outlives the exited dot.
    root = sum((Value(float(k), label=f"x{k}") for k in range(1500)), Value(0.0))
    drawing = draw_graph(root, "both", max_nodes=5000)
    assert len(drawing.source) > 1 << 20
    with pytest.raises(RenderError) as error:
        drawing.pipe(format="svg")
    assert str(error.value) == (
        "Graphviz could not render the drawing as svg: "
        "dot stopped reading the drawing before its end (broken pipe)"
    )
    assert isinstance(error.value.__cause__, BrokenPipeError)


def test_a_format_the_real_dot_does_not_know_is_a_render_error(tmp_path, capsys):
    known = subprocess.run(["dot", "-Tcgimage"], input=b"digraph {}", capture_output=True)
    if known.returncode == 0:
        pytest.skip("this dot renders cgimage (macOS)")
    with pytest.raises(RenderError) as error:
        draw_graph(xyz()).pipe(format="cgimage")
    assert str(error.value).startswith(
        "Graphviz could not render the drawing as cgimage: dot exited with status 1: "
        'Format: "cgimage" not recognized.'
    )
    assert main(["draw", "xyz", "-o", str(tmp_path / "g.cgimage")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("autograd-nn draw: error: Graphviz could not render the drawing as "
                          "cgimage: dot exited with status 1: Format:")
    assert err.count("\n") == 1 and not (tmp_path / "g.cgimage").exists()
