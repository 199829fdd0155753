"""A model's numbers as JSON: the structure check and the model file format.

`check_like` compares a JSON-like state with a model's own state (same keys,
same list lengths, finite numbers, whole counters) and says where the first
difference is. `write_model_file` and `read_model_document` are the file format
``{"format": "autograd_nn model", "version": 1, "module": repr, "state": ...,
"architecture": [...]}``: written atomically with floats exact, read back with
every check done before anything is returned, and never pickle.

The ``architecture`` (how to build the model again, see `architecture.py`) is
optional: files written before it existed, and files of models with modules
that are not built in, have none. It is an added key, not a new version, so
every version 1 file still reads, and the previous release refuses a file with
it clearly (by its keys) rather than misreading it.
"""

from __future__ import annotations

import json
import math
import os
import stat
from typing import Any

from .. import checks
from ..files import write_atomically

__all__ = ["FILE_FORMAT", "FILE_VERSION", "check_like", "check_module", "clip", "count_numbers",
           "join", "read_model_document", "read_model_file", "write_model_file"]

FILE_FORMAT = "autograd_nn model"
FILE_VERSION = 1

_DOCUMENT_KEYS = ("format", "version", "module", "state")
_OPTIONAL_KEYS = ("architecture",)

_Pending = list[tuple[object, object, str]]


def join(where: str, key: str) -> str:
    """The place of `key` inside the place `where`, e.g. ``layers[1].neurons``."""
    return f"{where}.{key}" if where else key


# The structure check: each kind of template entry has its own check, which
# returns the pairs below it still to compare.


def _object_like(got: object, expected: dict[str, object], at: str, place: str) -> _Pending:
    if not isinstance(got, dict):
        raise ValueError(f"{place}: expected an object with keys {sorted(expected)}, "
                         f"got {checks.describe(got)}")
    missing = [key for key in expected if key not in got]
    if missing:
        raise ValueError(f"{place}: missing key(s) {missing}")
    unexpected = [key for key in got if key not in expected]
    if unexpected:
        raise ValueError(f"{place}: unexpected key(s) {unexpected}; expected {sorted(expected)}")
    return [(got[key], expected[key], join(at, key)) for key in reversed(list(expected))]


def _list_like(got: object, expected: list[object], at: str, place: str) -> _Pending:
    if not isinstance(got, list):
        raise ValueError(
            f"{place}: expected a list of {len(expected)} entries, got {checks.describe(got)}"
        )
    if len(got) != len(expected):
        raise ValueError(f"{place}: expected a list of {len(expected)} entries, got {len(got)}")
    return [(got[i], expected[i], f"{at}[{i}]") for i in reversed(range(len(got)))]


def _counter_like(got: object, place: str) -> None:
    if isinstance(got, bool) or not isinstance(got, int) or got < 0:
        raise ValueError(f"{place}: expected a whole number >= 0, got {checks.describe(got)}")


def _number_like(got: object, place: str) -> None:
    if not checks.is_number(got):
        raise ValueError(f"{place}: expected a number, got {checks.describe(got)}")
    try:
        finite = math.isfinite(got)
    except OverflowError:  # an int too large for a float
        finite = False
    if not finite:
        raise ValueError(f"{place}: expected a finite number, got {got!r}")


def check_like(given: object, template: object, where: str = "") -> None:
    """Raise ValueError at the first place `given` differs from `template`.

    Same keys, same list lengths; where the template holds a float, a finite
    number; where it holds an int (a counter), a whole number >= 0. An
    explicit stack, not recursion, so no nesting depth is too deep.
    """
    stack: _Pending = [(given, template, where)]
    while stack:
        got, expected, at = stack.pop()
        place = at or "the state"
        if isinstance(expected, dict):
            stack.extend(_object_like(got, expected, at, place))
        elif isinstance(expected, list):
            stack.extend(_list_like(got, expected, at, place))
        elif isinstance(expected, int) and not isinstance(expected, bool):
            _counter_like(got, place)
        else:
            _number_like(got, place)


def count_numbers(state: object) -> int:
    """How many numbers a JSON-like state holds (an explicit stack: any depth)."""
    count = 0
    stack = [state]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
        elif checks.is_number(node):
            count += 1
    return count


# The file format.


def write_model_file(
    path: str | os.PathLike[str], module: str, state: object, architecture: object = None
) -> None:
    """Write `state` of the model described by `module` (its repr) atomically, floats exact.

    `architecture` (None: none) is written beside it. A state holding
    anything but finite numbers raises `ValueError` and leaves an existing
    file untouched.
    """
    try:
        check_like(state, state)
    except ValueError as error:
        raise ValueError(f"cannot save {clip(module)}: {error}") from None
    document = {"format": FILE_FORMAT, "version": FILE_VERSION, "module": module, "state": state}
    if architecture is not None:
        document["architecture"] = architecture
    try:
        text = json.dumps(document, indent=1, allow_nan=False)
    except RecursionError:  # json's encoder recurses: about 450 nested containers is its limit
        raise ValueError(f"cannot save {clip(module)}: nested too deeply for JSON") from None
    write_atomically(path, text + "\n")


def _reject_constant(name: str) -> object:
    raise ValueError(f"{name} is not a finite number")


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise ValueError(f"duplicate key {key!r}")
        result[key] = value
    return result


MAX_MODEL_BYTES = 256 * 2**20
"""The largest model file `load` reads: far beyond any model of this library (an
MLP of a million weights is about 25 MB of JSON), small enough to read safely."""


def clip(text: str, limit: int = 80) -> str:
    """`text` cut to `limit` characters, so a message never echoes a huge input."""
    return text if len(text) <= limit else text[:limit] + "..."


def _check_file(where: str) -> None:
    """Refuse, before opening it, anything but a regular file of a sane size."""
    try:
        info = os.stat(where)
    except OSError as error:
        raise type(error)(error.errno, error.strerror, where) from None
    if not stat.S_ISREG(info.st_mode):
        raise ValueError(f"{where}: not a regular file (a model file is a JSON file)")
    if info.st_size > MAX_MODEL_BYTES:
        raise ValueError(f"{where}: {info.st_size:,} bytes is too large for a model file "
                         f"(at most {MAX_MODEL_BYTES:,})")


def _read(where: str) -> bytes:
    """The file's bytes, read a megabyte at a time up to the limit.

    Not ``read(MAX_MODEL_BYTES + 1)``, which sets aside the whole 256 MB for
    every file, however small; a file that grew past the limit since it was
    checked is refused.
    """
    chunks: list[bytes] = []
    total = 0
    with open(where, "rb") as file:
        while total <= MAX_MODEL_BYTES:
            chunk = file.read(2**20)
            if not chunk:
                return b"".join(chunks)
            chunks.append(chunk)
            total += len(chunk)
    raise ValueError(f"{where}: over {MAX_MODEL_BYTES:,} bytes is too large for a model file")


def _parse(where: str) -> object:
    """The JSON document in the file `where`: UTF-8, strict (no NaN, no duplicate keys)."""
    _check_file(where)
    raw = _read(where)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        raise ValueError(f"{where}: not a UTF-8 text file (byte {error.start})") from None
    try:
        return json.loads(text, parse_constant=_reject_constant, object_pairs_hook=_unique_keys)
    except json.JSONDecodeError as error:
        raise ValueError(
            f"{where}: not valid JSON: {error.msg} at line {error.lineno} column {error.colno}"
        ) from None
    except (ValueError, RecursionError) as error:
        raise ValueError(f"{where}: not a model file: {error}") from None


def _check_document(document: object, where: str) -> dict[str, object]:
    """A parsed model file, once its format, version and keys are right."""
    if not isinstance(document, dict) or document.get("format") != FILE_FORMAT:
        raise ValueError(f"{where}: not an autograd_nn model file "
                         f"(no \"format\": \"{FILE_FORMAT}\")")
    version = document.get("version")
    if type(version) is not int or version != FILE_VERSION:  # true and 1.0 are not 1
        raise ValueError(f"{where}: unsupported model file version "
                         f"{clip(repr(version))} (this version reads {FILE_VERSION})")
    keys = set(document)
    if not set(_DOCUMENT_KEYS) <= keys <= set(_DOCUMENT_KEYS + _OPTIONAL_KEYS):
        raise ValueError(f"{where}: a model file has the keys format, version, module "
                         f"and state (and may have architecture); got {clip(str(sorted(keys)))}")
    return document


def read_model_document(path: str | os.PathLike[str]) -> dict[str, object]:
    """The checked document of a model file: its format, version and keys are right.

    Anything but a regular file, a file over `MAX_MODEL_BYTES`, and anything
    but strict UTF-8 JSON with those keys raise `ValueError` naming the file;
    the module, state and architecture are the caller's to check.
    """
    where = os.fspath(path)
    return _check_document(_parse(where), where)


def check_module(document: dict[str, object], module: str) -> None:
    """Raise ValueError unless the file's model is `module` (a model's repr)."""
    if document["module"] != module:
        raise ValueError(f"holds {clip(str(document['module']))}, "
                         f"but this model is {clip(module)}")


def read_model_file(path: str | os.PathLike[str], module: str) -> object:
    """The state in a file written by `write_model_file` for a model described as `module`.

    A file that is not such a model file, or was saved from a different
    architecture, raises `ValueError` saying what; the state's own shape is
    the caller's to check (`check_like`).
    """
    document = read_model_document(path)
    try:
        check_module(document, module)
    except ValueError as error:
        raise ValueError(f"{os.fspath(path)}: {error}") from None
    return document["state"]
