"""Atomic writes: whole new file or untouched old one, no temporary left behind; the
same for whole directories."""

import os
import signal
import time

import pytest

from autograd_nn.files import (
    directory_to_replace,
    replace_directory,
    write_atomically,
)


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


# Directories: replace_directory ------------------------------------------------------


def _tree(directory):
    return {p.name: p.read_bytes() for p in sorted(directory.iterdir())}


def _fill_with(files):
    def fill(staging):
        for name, data in files.items():
            (staging / name).write_bytes(data)
    return fill


def test_replace_directory_leaves_exactly_the_new_contents(tmp_path):
    target = tmp_path / "frames"
    assert replace_directory(target, _fill_with({"a": b"1", "b": b"2", "c": b"3"})) == target
    target.chmod(0o750)
    replace_directory(target, _fill_with({"a": b"new"}))
    assert _tree(target) == {"a": b"new"} and (target.stat().st_mode & 0o777) == 0o750
    assert os.listdir(tmp_path) == ["frames"]
    deep = tmp_path / "x" / "y" / "z"
    replace_directory(deep, _fill_with({"a": b"1"}))
    assert _tree(deep) == {"a": b"1"}


def test_replace_directory_follows_a_link(tmp_path):
    real = tmp_path / "real"
    real.mkdir()
    (real / "old").write_text("old")
    link = tmp_path / "link"
    link.symlink_to(real)
    replace_directory(link, _fill_with({"new": b"1"}))
    assert link.is_symlink() and _tree(real) == {"new": b"1"}
    assert sorted(os.listdir(tmp_path)) == ["link", "real"]


@pytest.mark.parametrize("stop", [OSError(28, "No space left on device"), KeyboardInterrupt()])
def test_a_failed_or_interrupted_fill_changes_nothing(tmp_path, stop):
    target = tmp_path / "frames"
    replace_directory(target, _fill_with({"a": b"old a", "b": b"old b"}))

    def fill(staging):
        (staging / "a").write_bytes(b"new a")
        raise stop

    with pytest.raises(type(stop)):
        replace_directory(target, fill)
    assert _tree(target) == {"a": b"old a", "b": b"old b"}
    assert os.listdir(tmp_path) == ["frames"]


def test_a_real_interrupt_during_the_fill_changes_nothing(tmp_path):
    target = tmp_path / "frames"
    replace_directory(target, _fill_with({"a": b"old"}))

    def fill(staging):
        (staging / "a").write_bytes(b"new")
        os.kill(os.getpid(), signal.SIGINT)
        time.sleep(1)  # the KeyboardInterrupt comes before this ends

    # A shell's background job starts with SIGINT ignored: give this test Python's handler.
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        with pytest.raises(KeyboardInterrupt):
            replace_directory(target, fill)
    finally:
        signal.signal(signal.SIGINT, previous)
    assert _tree(target) == {"a": b"old"} and os.listdir(tmp_path) == ["frames"]


def test_replace_directory_errors_name_what_the_user_named(tmp_path):
    target = tmp_path / "frames"

    def fill(staging):
        (staging / "missing" / "page.html").write_bytes(b"x")

    with pytest.raises(FileNotFoundError) as error:
        replace_directory(target, fill)
    assert error.value.filename == str(target / "missing" / "page.html")
    assert ".tmp" not in str(error.value) and os.listdir(tmp_path) == []
    afile = tmp_path / "afile"
    afile.write_text("mine")
    with pytest.raises(NotADirectoryError, match="afile exists and is not a directory"):
        replace_directory(afile, _fill_with({}))
    assert afile.read_text() == "mine" and os.listdir(tmp_path) == ["afile"]


def test_replace_directory_refuses_the_working_directory_and_the_root(tmp_path, monkeypatch):
    inner = tmp_path / "outer" / "inner"
    inner.mkdir(parents=True)
    monkeypatch.chdir(inner)
    for path in [".", inner, tmp_path / "outer", ".."]:
        with pytest.raises(ValueError, match="working directory"):
            replace_directory(path, _fill_with({"a": b"1"}))
    with pytest.raises(ValueError, match="root directory"):
        directory_to_replace("/")
    assert os.listdir(inner) == [] and os.listdir(tmp_path) == ["outer"]


def test_stale_temporaries_of_ours_are_removed_fresh_ones_and_others_kept(tmp_path):
    target = tmp_path / "frames"
    stale_dir = tmp_path / ".frames.0123456789abcdef.tmp"
    (stale_dir / "inside").mkdir(parents=True)
    stale_file = tmp_path / ".frames.fedcba9876543210.tmp"
    stale_file.write_text("x")
    fresh = tmp_path / ".frames.00000000000000ff.tmp"
    fresh.mkdir()
    other = tmp_path / ".other.0123456789abcdef.tmp"
    other.mkdir()
    old = time.time() - 3600
    for path in [stale_dir, stale_file, other]:
        os.utime(path, (old, old))
    replace_directory(target, _fill_with({"a": b"1"}))
    assert sorted(os.listdir(tmp_path)) == sorted(["frames", fresh.name, other.name])

