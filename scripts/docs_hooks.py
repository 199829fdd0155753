"""MkDocs hooks for the docs site (mkdocs.yml `hooks:`): what the site shows that is
made from the repository at build time, so nothing is written twice.

- every notebook in notebooks/ is copied into docs/notebooks/ (rendered with its
  outputs by mkdocs-jupyter) and listed under "Notebooks" in the navigation, so a
  new notebook appears without editing a list;
- the step-through pager of the `network` example is written into docs/pager/ by
  `render_steps`, as `autograd-nn walk network --out` writes it, for the page
  "Seeing backprop" to embed;
- what `autograd-nn walk` prints is written to docs/_walk.txt, for the page
  "The worked example" to include.

All three are generated (git ignores them).
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"


def _title(notebook: Path) -> str:
    number, _, rest = notebook.stem.partition("_")
    return f"{number} · {rest.replace('_', ' ')}"


def on_config(config: Any) -> Any:
    """Copy the notebooks, write the pager, and list the notebooks in the navigation."""
    import contextlib
    import io

    from autograd_nn.cli import main
    from autograd_nn.examples import EXAMPLES
    from autograd_nn.viz import render_steps

    target = DOCS / "notebooks"
    shutil.rmtree(target, ignore_errors=True)
    target.mkdir()
    notebooks = sorted((ROOT / "notebooks").glob("*.ipynb"))
    for notebook in notebooks:
        shutil.copyfile(notebook, target / notebook.name)
    worked = EXAMPLES["network"]()
    render_steps(worked.output, DOCS / "pager", model=worked.model,
                 title="network: one neuron's forward and backward pass", overwrite=True)
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        main(["walk"])
    (DOCS / "_walk.txt").write_text(printed.getvalue(), encoding="utf-8")
    entries = [{_title(n): f"notebooks/{n.name}"} for n in notebooks]
    config["nav"] = [*config["nav"], {"Notebooks": entries}]
    return config
