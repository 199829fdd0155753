"""Atomic writes: whole new file or untouched old one, no temporary left behind."""

import os

import pytest

from autograd_nn.files import write_atomically


def test_writes_text_and_bytes_and_leaves_no_temporary(tmp_path):
    target = tmp_path / "model.json"
    write_atomically(target, "héllo\n")
    assert target.read_bytes() == "héllo\n".encode()
    write_atomically(target, b"\x89PNG")
    assert target.read_bytes() == b"\x89PNG"
    assert os.listdir(tmp_path) == ["model.json"]


def test_replacing_keeps_the_old_files_permissions(tmp_path):
    target = tmp_path / "a.txt"
    target.write_text("old")
    target.chmod(0o600)
    write_atomically(target, "new")
    assert target.read_text() == "new" and (target.stat().st_mode & 0o777) == 0o600


def test_a_failed_write_changes_nothing(tmp_path):
    target = tmp_path / "a.txt"
    target.write_text("old")
    with pytest.raises(TypeError):
        write_atomically(target, 42)  # type: ignore[arg-type]
    assert target.read_text() == "old" and os.listdir(tmp_path) == ["a.txt"]
    with pytest.raises(FileNotFoundError):
        write_atomically(tmp_path / "missing" / "b.txt", "x")


def test_errors_name_the_file_asked_for_not_the_temporary(tmp_path):
    missing = tmp_path / "missing" / "b.svg"
    with pytest.raises(FileNotFoundError) as error:
        write_atomically(missing, "x")
    assert error.value.filename == str(missing) and ".tmp" not in str(error.value)
    directory = tmp_path / "a directory"
    directory.mkdir()
    (directory / "inside").write_text("kept")
    with pytest.raises(OSError) as error:
        write_atomically(directory, "x")  # a file cannot replace a directory
    assert error.value.filename == str(directory) and ".tmp" not in str(error.value)
    assert sorted(os.listdir(tmp_path)) == ["a directory"]
    assert (directory / "inside").read_text() == "kept"
