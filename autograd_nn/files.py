"""Writing files so that a reader never sees half of one."""

from __future__ import annotations

import contextlib
import os
import re
import secrets
import time
from pathlib import Path

__all__ = ["write_atomically"]


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
    temporary = target.with_name(f".{target.name}.{secrets.token_hex(8)}.tmp")
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


STALE_SECONDS = 60.0
"""A temporary of ours older than this was left by a write that was interrupted."""


def _remove_stale_temporaries(target: Path) -> None:
    """Delete `.NAME.<16 hex>.tmp` files beside `target` older than `STALE_SECONDS`."""
    ours = re.compile(rf"\.{re.escape(target.name)}\.[0-9a-f]{{16}}\.tmp")
    now = time.time()
    with contextlib.suppress(OSError):
        for entry in os.scandir(target.parent if str(target.parent) else "."):
            if ours.fullmatch(entry.name) and now - entry.stat().st_mtime > STALE_SECONDS:
                with contextlib.suppress(OSError):
                    os.unlink(entry.path)


def _naming(error: OSError, target: Path) -> OSError:
    """The same error about `target`, not the temporary file the user never named."""
    if error.errno is None:
        return error
    return type(error)(error.errno, error.strerror, str(target))
