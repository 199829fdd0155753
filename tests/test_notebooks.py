"""Every notebook in notebooks/ runs top to bottom, and is committed with its outputs.

Each notebook runs on a copy in a temporary directory (so nothing it writes
lands in the repository and the committed file is never rewritten), on the
`python3` kernel of the interpreter running the tests.
"""

import pathlib
import re
import shutil

import pytest

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")
pytest.importorskip("ipykernel")

NOTEBOOKS = sorted((pathlib.Path(__file__).parent.parent / "notebooks").glob("*.ipynb"))
CELL_TIMEOUT = 300  # seconds; a cell of a notebook here takes a few at most
MAX_BYTES = 1_000_000
ANSI_COLOUR = re.compile(r"\x1b\[[0-9;]*m")


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_notebook_runs_without_errors(path, tmp_path):
    copy = tmp_path / path.name
    shutil.copyfile(path, copy)
    notebook = nbformat.read(copy, as_version=4)
    client = nbclient.NotebookClient(
        notebook,
        timeout=CELL_TIMEOUT,
        kernel_name="python3",
        resources={"metadata": {"path": str(tmp_path)}},
    )
    try:
        client.execute()
    except nbclient.exceptions.CellExecutionError as error:
        message = ANSI_COLOUR.sub("", str(error))
        pytest.fail(f"{path.name}: a cell raised\n{message}", pytrace=False)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_notebook_is_committed_executed_and_small(path):
    notebook = nbformat.read(path, as_version=4)
    nbformat.validate(notebook)
    code = [cell for cell in notebook.cells if cell.cell_type == "code"]
    assert code, f"{path.name} has no code"
    counts = [cell.execution_count for cell in code]
    assert None not in counts, f"{path.name}: some cells were never run; execute it in place"
    assert counts == sorted(counts), f"{path.name}: cells were run out of order"
    errors = [o for cell in code for o in cell.outputs if o.output_type == "error"]
    assert not errors, f"{path.name} is committed with an error output: {errors[0].ename}"
    size = path.stat().st_size
    assert size < MAX_BYTES, f"{path.name} is {size} bytes; keep figures small"
