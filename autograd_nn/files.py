"""Writing files and directories so that a reader never sees half of one."""

from __future__ import annotations

import contextlib
import os
import re
import secrets
import shutil
import signal
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

__all__ = ["directory_to_replace", "interrupts_held", "replace_directory", "write_atomically"]


def write_atomically(path: str | os.PathLike[str], data: str | bytes) -> None:
    """Write `data` (text as UTF-8) to a temporary file beside `path`, then rename it over.

    A reader sees the old file or the new one, never a mix; a failure leaves
    the old file as it was. A new file gets the usual permissions (0o666 less
    the umask); a replaced one keeps its own. A symbolic link is followed: the
    file it points to is replaced, the link stays. Temporaries of ours that an
    interrupted write left beside the file (over a minute old) are removed.
    """
    asked = Path(path)
    target = Path(os.path.realpath(asked)) if asked.is_symlink() else asked
    _remove_stale_temporaries(target)
    payload = data.encode("utf-8") if isinstance(data, str) else data
    temporary = _temporary_beside(target)
    try:
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    except OSError as error:
        raise _naming(error, asked) from None
    try:
        with os.fdopen(descriptor, "wb") as file:
            file.write(payload)
            file.flush()
            os.fsync(file.fileno())
        with contextlib.suppress(FileNotFoundError):
            os.chmod(temporary, os.stat(target).st_mode & 0o7777)
        os.replace(temporary, target)
    except BaseException as error:
        temporary.unlink(missing_ok=True)
        if isinstance(error, OSError):
            raise _naming(error, asked) from None
        raise


def replace_directory(
    path: str | os.PathLike[str],
    fill: Callable[[Path], object],
    *,
    kept: str | None = None,
) -> Path:
    """Give directory `path` new contents all at once; its old contents are removed.

    `fill(staging)` writes the new contents into a temporary sibling
    ``.NAME.<hex>.tmp``, which then takes the place of `path` (the old
    directory is renamed away, the new one in, the old one deleted). A
    failure or Ctrl-C in `fill` leaves `path` as it was and no temporary;
    Ctrl-C during the swap is held until it is done and then raised as
    ``KeyboardInterrupt(kept)`` (default: "interrupted after writing PATH").
    Missing parents are made; a replaced directory keeps its permissions; a
    symbolic link is followed. Deciding whether `path` may be replaced is
    the caller's business. Returns `path`.
    """
    asked = Path(path)
    target = directory_to_replace(asked)
    _remove_stale_temporaries(target)
    staging = _temporary_beside(target)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        staging.mkdir()
    except OSError as error:
        raise _naming(error, asked) from None
    try:
        fill(staging)
        with contextlib.suppress(FileNotFoundError):
            os.chmod(staging, os.stat(target).st_mode & 0o7777)
        _swap(staging, target, kept or f"interrupted after writing {asked}")
    except BaseException as error:
        shutil.rmtree(staging, ignore_errors=True)
        if isinstance(error, OSError):
            raise _naming(error, asked, staging) from None
        raise
    return asked


def directory_to_replace(path: str | os.PathLike[str]) -> Path:
    """The directory `replace_directory(path, ...)` replaces: `path` made absolute, a
    symbolic link followed; a clear error if it cannot be replaced.

    A file is a `NotADirectoryError`; the root, the working directory or one
    holding it (the process would be left in a deleted directory) a `ValueError`.
    """
    asked = Path(path)
    target = Path(os.path.realpath(asked) if asked.is_symlink() else os.path.abspath(asked))
    if target.exists() and not target.is_dir():
        raise NotADirectoryError(f"{asked} exists and is not a directory")
    if not target.name:
        raise ValueError(f"{asked} is the root directory; choose a directory inside it")
    working, real = Path(os.path.realpath(os.getcwd())), Path(os.path.realpath(target))
    if real == working or real in working.parents:
        raise ValueError(
            f"{asked} is (or holds) the working directory; replacing it would leave this "
            "process in a deleted directory: choose another directory or change directory first"
        )
    return target


def _swap(staging: Path, target: Path, kept: str) -> None:
    """Put `staging` where `target` is: the old one renamed away, the new one in, the
    old one removed, with Ctrl-C held throughout."""
    away = _temporary_beside(target)
    with interrupts_held(kept):
        try:
            os.rename(target, away)
        except FileNotFoundError:
            staging.rename(target)
            return
        try:
            staging.rename(target)
        except BaseException:
            away.rename(target)
            raise
        shutil.rmtree(away, ignore_errors=True)


@contextlib.contextmanager
def interrupts_held(kept: str) -> Iterator[None]:
    """Hold Ctrl-C until the block (a few renames that belong together) has run.

    A Ctrl-C that came meanwhile is raised afterwards as ``KeyboardInterrupt(kept)``,
    so the command says what was kept. Only the main thread can hold signals;
    elsewhere the block runs as it is.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    caught: list[int] = []
    previous = signal.signal(signal.SIGINT, lambda number, _frame: caught.append(number))
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
    if caught:
        raise KeyboardInterrupt(kept)


STALE_SECONDS = 60.0
"""A temporary of ours older than this was left by a write that was interrupted."""

_HEX_DIGITS = 16
"""Random hex digits in a temporary's name."""


def _temporary_beside(target: Path) -> Path:
    """A new name ``.NAME.<16 hex>.tmp`` beside `target`, nobody else's."""
    return target.with_name(f".{target.name}.{secrets.token_hex(_HEX_DIGITS // 2)}.tmp")


def _remove_stale_temporaries(target: Path) -> None:
    """Delete `.NAME.<16 hex>.tmp` files and directories beside `target` older than
    `STALE_SECONDS` (left by a write or a directory swap that was interrupted)."""
    ours = re.compile(rf"\.{re.escape(target.name)}\.[0-9a-f]{{{_HEX_DIGITS}}}\.tmp")
    now = time.time()
    with contextlib.suppress(OSError):
        for entry in os.scandir(target.parent if str(target.parent) else "."):
            if ours.fullmatch(entry.name) and now - entry.stat().st_mtime > STALE_SECONDS:
                if entry.is_dir(follow_symlinks=False):
                    shutil.rmtree(entry.path, ignore_errors=True)
                else:
                    with contextlib.suppress(OSError):
                        os.unlink(entry.path)


def _naming(error: OSError, target: Path, staging: Path | None = None) -> OSError:
    """The same error about `target`, not the temporary the user never named; one about
    a file inside the `staging` directory names that file's place inside `target`."""
    if error.errno is None:
        return error
    named = target
    if staging is not None and error.filename is not None:
        with contextlib.suppress(ValueError):
            named = target / Path(os.fsdecode(error.filename)).relative_to(staging)
    return type(error)(error.errno, error.strerror, str(named))
