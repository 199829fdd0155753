"""CONTRIBUTING.md's recipes stay true: every file and test they name exists.

Each recipe names the files a change touches and the test that proves the
change is complete; this test fails when a move or a rename leaves a recipe
pointing at something that is no longer there.
"""

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TEXT = (ROOT / "CONTRIBUTING.md").read_text(encoding="utf-8")
PLACEHOLDER = re.compile(r"NAME|NN_topic")
RECIPES = ["an op", "an optimiser", "a loss", "an activation", "a drawing mode",
           "a CLI subcommand", "a notebook"]


def _test_names(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return {node.name for node in ast.walk(tree) if isinstance(node, ast.FunctionDef)}


def test_every_recipe_is_there():
    headings = re.findall(r"^## (.+)$", TEXT, flags=re.MULTILINE)
    for recipe in RECIPES:
        assert f"Adding {recipe}" in headings, f"no recipe for adding {recipe}"


def test_every_file_a_recipe_names_exists():
    paths = set(re.findall(r"`((?:autograd_nn|tests|notebooks|benchmarks|docs)/[\w./-]+)`", TEXT))
    paths = {p for p in paths if not PLACEHOLDER.search(p)}  # a file the recipe has you create
    assert len(paths) >= 10
    missing = sorted(p for p in paths if not (ROOT / p.split("::")[0]).exists())
    assert not missing, f"CONTRIBUTING.md names files that do not exist: {missing}"


def test_every_test_a_recipe_names_exists():
    named = re.findall(r"`(tests/[\w/]+\.py)::(\w+)`", TEXT)
    assert len(named) >= 4
    for path, test in named:
        assert test in _test_names(ROOT / path), f"{path} has no test {test}"
