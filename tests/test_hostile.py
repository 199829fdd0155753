"""Hostile input: broken and strange model files, links, interrupted saves.

The files are generated here (in tmp_path), never committed. Each attack
must end in a clear `ValueError` (or the OS error naming the file) and leave
the model exactly as it was.
"""

import json
import os
import threading
import time

import pytest

from autograd_nn.nn import MLP
from autograd_nn.nn.state import MAX_MODEL_BYTES


def _model():
    return MLP(2, [3, 1], seed=0)


def _numbers(model):
    return [p.data for p in model.parameters()]


def _saved(tmp_path):
    path = tmp_path / "model.json"
    _model().save(path)
    return path


def _refused(model, path, match):
    before = _numbers(model)
    with pytest.raises(ValueError, match=match):
        model.load(path)
    assert _numbers(model) == before


def test_saving_onto_a_symlink_replaces_the_file_it_points_to(tmp_path):
    real = tmp_path / "models" / "real.json"
    real.parent.mkdir()
    real.write_text("old")
    link = tmp_path / "link.json"
    link.symlink_to(real)
    model = _model()
    model.save(link)
    assert link.is_symlink() and link.resolve() == real.resolve()
    loaded = MLP(2, [3, 1], seed=5)
    loaded.load(real)
    assert _numbers(loaded) == _numbers(model)


def test_a_stale_temporary_of_an_interrupted_save_is_removed_on_the_next_save(tmp_path):
    stale = tmp_path / ".model.json.0123456789abcdef.tmp"
    stale.write_bytes(b"x" * 1000)
    old = time.time() - 3600
    os.utime(stale, (old, old))
    fresh = tmp_path / ".model.json.fedcba9876543210.tmp"  # another save under way now
    fresh.write_bytes(b"y")
    unrelated = tmp_path / ".other.json.0123456789abcdef.tmp"
    unrelated.write_bytes(b"z")
    os.utime(unrelated, (old, old))
    _model().save(tmp_path / "model.json")
    assert not stale.exists() and fresh.exists() and unrelated.exists()


def test_a_fifo_is_refused_before_it_is_opened(tmp_path):
    fifo = tmp_path / "model.json"
    os.mkfifo(fifo)
    outcome = []
    worker = threading.Thread(target=lambda: outcome.append(_try_load(fifo)), daemon=True)
    worker.start()
    worker.join(10)
    assert not worker.is_alive(), "loading a FIFO blocked"
    assert "not a regular file" in outcome[0]


def _try_load(path):
    try:
        _model().load(path)
    except ValueError as error:
        return str(error)
    return "loaded"


@pytest.mark.parametrize("special", ["/dev/zero", "directory"])
def test_devices_and_directories_are_refused(tmp_path, special):
    path = tmp_path if special == "directory" else special
    _refused(_model(), path, "not a regular file")


def test_a_file_over_the_size_limit_is_refused_without_reading_it(tmp_path):
    huge = tmp_path / "model.json"
    with open(huge, "wb") as file:
        file.truncate(MAX_MODEL_BYTES + 1)  # sparse: no disk, no memory
    started = time.perf_counter()
    _refused(_model(), huge, "too large for a model file")
    assert time.perf_counter() - started < 2


@pytest.mark.parametrize("version", [True, 1.0, "1", None, 2])
def test_only_the_whole_number_1_is_version_1(tmp_path, version):
    path = _saved(tmp_path)
    document = json.loads(path.read_text())
    document["version"] = version
    path.write_text(json.dumps(document))
    _refused(_model(), path, "unsupported model file version")


def test_a_huge_string_is_not_echoed_into_the_message(tmp_path):
    path = _saved(tmp_path)
    document = json.loads(path.read_text())
    document["module"] = "M" * 50_000_000
    path.write_text(json.dumps(document))
    model = _model()
    with pytest.raises(ValueError) as caught:
        model.load(path)
    assert len(str(caught.value)) < 500


@pytest.mark.parametrize(
    "content",
    [b"", b"\xff\xfe", b"{", b"[]", b'{"format": "autograd_nn model"}', b"NaN",
     b'{"a": 1, "a": 2}', b"[" * 100_000, b'<!--<script>alert(1)</script>'],
)
def test_broken_files_are_refused_and_change_nothing(tmp_path, content):
    path = tmp_path / "model.json"
    path.write_bytes(content)
    _refused(_model(), path, ".")
