"""The docs site's sources: every section the site promises is in its navigation,
every API page names importable modules, and every notebook is listed by the hook.
(`.ci/run` builds the site itself with `mkdocs build --strict`.)"""

import importlib
import re
import sys
from pathlib import Path

import pytest

yaml = pytest.importorskip("yaml")

ROOT = Path(__file__).resolve().parent.parent


def _config():
    return yaml.safe_load((ROOT / "mkdocs.yml").read_text(encoding="utf-8"))


def _titles(nav):
    for entry in nav:
        for title, target in entry.items():
            yield title
            if isinstance(target, list):
                yield from _titles(target)


def test_the_navigation_has_every_section_of_the_site():
    titles = set(_titles(_config()["nav"]))
    for section in ("Getting started", "The worked example", "Seeing backprop", "Training",
                    "Gradient checking and property tests", "Performance", "API reference"):
        assert section in titles
    for page in _config()["nav"]:
        for target in page.values():
            if isinstance(target, str):
                assert (ROOT / "docs" / target).is_file(), target


def test_every_api_page_documents_modules_that_import():
    pages = sorted((ROOT / "docs" / "api").glob("*.md"))
    assert len(pages) >= 10
    for page in pages:
        modules = re.findall(r"^::: ([\w.]+)$", page.read_text(encoding="utf-8"), re.M)
        assert modules, page.name
        for module in modules:
            importlib.import_module(module)


def test_the_hook_lists_every_notebook_under_notebooks():
    pytest.importorskip("graphviz")
    sys.path.insert(0, str(ROOT / "scripts"))
    try:
        import docs_hooks
    finally:
        sys.path.pop(0)
    config = docs_hooks.on_config({"nav": []})
    (entry,) = config["nav"]
    listed = [target for item in entry["Notebooks"] for target in item.values()]
    notebooks = sorted(p.name for p in (ROOT / "notebooks").glob("*.ipynb"))
    assert listed == [f"notebooks/{name}" for name in notebooks]
    assert (ROOT / "docs" / "pager" / "index.html").is_file()
    assert "Backward pass" in (ROOT / "docs" / "_walk.txt").read_text(encoding="utf-8")
