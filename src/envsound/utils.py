"""Small helpers shared by every room: atomic writes, hashing, seeding, config value types."""

from __future__ import annotations

import hashlib
import json
import os
import random
import tempfile
import types
import typing
from contextlib import contextmanager
from dataclasses import fields
from pathlib import Path
from typing import Any, Iterable, Iterator

import numpy as np

from envsound.errors import ConfigError


def _process_umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


_UMASK = _process_umask()  # read once: setting it is process-wide, so not at every write


TMP_SUFFIX = ".tmp"


def temporary_prefix(name: str) -> str:
    """Hidden, and naming the writing process, so a later run can tell a dead writer's leftovers
    (removable) from a live writer's work in progress (never touched)."""
    return f".{name}.{os.getpid()}."


def _writer_pid(name: str) -> int | None:
    """The pid in ``.NAME.PID.RANDOM`` (a staging folder) or ``.NAME.PID.RANDOM.tmp`` (a file)."""
    parts = name.removesuffix(TMP_SUFFIX).rsplit(".", 2)
    if not name.startswith(".") or len(parts) != 3 or not parts[1].isdigit():
        return None
    return int(parts[1])


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's live process
        return True
    return True


def remove_stale_temporaries(folder: str | Path, recursive: bool = False) -> list[Path]:
    """Delete ``atomic_path`` files and staging folders whose writer process is gone (killed
    mid-write); returns what was removed. Anything of a live process, or not ours, is left alone."""
    import shutil

    folder = Path(folder)
    if not folder.is_dir():
        return []
    removed = []
    for path in folder.rglob(".*") if recursive else folder.glob(".*"):
        if path.is_file() and not path.name.endswith(TMP_SUFFIX):
            continue
        pid = _writer_pid(path.name)
        if pid is None or pid_alive(pid):
            continue
        shutil.rmtree(path, ignore_errors=True) if path.is_dir() else path.unlink(missing_ok=True)
        removed.append(path)
    return removed


@contextmanager
def exclusive_lock(target: str | Path, what: str) -> Iterator[None]:
    """Hold an advisory lock beside ``target`` (``.NAME.lock``) for the block, or fail at once with
    one line if another process holds it: two writers never mix their results in one place."""
    import fcntl

    from envsound.errors import RunError

    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    handle = open(target.parent / f".{target.name}.lock", "a+")
    try:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise RunError(f"{target}: {what} is being written by another envsound process; wait for it or choose another output") from None
        yield
    finally:
        handle.close()  # closing releases the lock


@contextmanager
def atomic_path(target: str | Path) -> Iterator[Path]:
    """Yield a temporary path beside ``target``; rename it into place only if the block succeeds.

    Half-written results never look complete: a crash leaves only a ``.tmp`` file behind.
    """
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=temporary_prefix(target.name), suffix=TMP_SUFFIX, dir=target.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        yield tmp
        if tmp.exists():  # mkstemp makes it owner-only; give results the permissions of any new file
            os.chmod(tmp, 0o666 & ~_UMASK)
        os.replace(tmp, target)
    except OSError as err:
        if err.filename not in (None, str(tmp), tmp):
            raise
        # the user named the target, not our temporary file: say what could not be written
        raise OSError(err.errno, err.strerror or str(err), str(target)) from None
    finally:
        if tmp.exists():
            tmp.unlink()


def check_writable(target: str | Path) -> Path:
    """Can a file be written at ``target``? Asked before the work (an hour of scoring must not end
    in "permission denied"), by creating and removing a temporary file beside it."""
    target = Path(target)
    if target.is_dir():
        raise ConfigError(f"{target}: is a folder; give a file name")
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, probe = tempfile.mkstemp(prefix=temporary_prefix(target.name), suffix=TMP_SUFFIX, dir=target.parent)
        os.close(fd)
        os.unlink(probe)
    except OSError as err:
        raise ConfigError(f"{target}: cannot be written ({err.strerror or err})") from None
    return target


def table_format(path: str | Path, allowed: tuple[str, ...] = ("csv", "json")) -> str:
    """``csv`` or ``json`` (or another of ``allowed``) from a results file's suffix; anything else
    is refused (checked before the work, so an hour of scoring does not end in a file of the wrong kind)."""
    suffix = Path(path).suffix.lower()
    if suffix[1:] not in allowed:
        raise ConfigError(f"{path}: results are written as {' or '.join('.' + a for a in allowed)}; choose one of those suffixes")
    return suffix[1:]


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def shown_name(path: str | Path) -> str:
    """A file name as text every output can hold: bytes that are not UTF-8 (kept by Python as
    surrogates) become ``\\xNN`` escapes instead of crashing a writer after the work is done."""
    return os.fsencode(str(path)).decode("utf-8", "backslashreplace")


class SafeCsvWriter:
    """``csv.writer`` whose text cells are spreadsheet-safe: every CSV a command writes uses it."""

    def __init__(self, handle: Any) -> None:
        import csv

        self._writer = csv.writer(handle)

    def writerow(self, row: Iterable[object]) -> None:
        self._writer.writerow([spreadsheet_safe(cell) for cell in row])


def spreadsheet_safe(value: object) -> object:
    """A table cell a spreadsheet will not run: text starting with = + - @ tab or CR gets a
    leading apostrophe (OWASP's advice for CSV injection); numbers pass as they are."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def write_json(path: str | Path, payload: Any) -> None:
    with atomic_path(path) as tmp:
        tmp.write_text(json.dumps(payload, indent=2, default=_json_default) + "\n")


def read_json(path: str | Path) -> Any:
    return json.loads(Path(path).read_text())


def _json_default(value: Any) -> Any:
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (np.floating,)):
        return float(value)
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, Path):
        return str(value)
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def sha256_file(path: str | Path, chunk: int = 1 << 20) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while block := handle.read(chunk):
            digest.update(block)
    return digest.hexdigest()


def stable_hash(payload: Any) -> str:
    """Short hash of a JSON-serialisable value, stable across runs and machines."""
    text = json.dumps(payload, sort_keys=True, default=_json_default)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def seed_everything(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed)
    try:
        import torch

        torch.manual_seed(seed)
    except ImportError:  # pragma: no cover - torch is a hard dependency, kept lazy for import speed
        pass


_SIMPLE_TYPES = {int: "an integer", float: "a number", bool: "true or false", str: "a string", dict: "a mapping", tuple: "a list"}


def _accepts(kind: Any, value: Any) -> bool | None:
    """Whether ``value`` fits annotation ``kind``; None where the annotation is not a simple one."""
    origin = typing.get_origin(kind) or kind
    if origin in (typing.Union, types.UnionType):
        verdicts = [_accepts(part, value) for part in typing.get_args(kind)]
        return None if None in verdicts else any(verdicts)
    if kind is type(None):
        return value is None
    if origin not in _SIMPLE_TYPES:
        return None
    if origin is float:
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if origin is int:
        return isinstance(value, int) and not isinstance(value, bool)
    return isinstance(value, (list, tuple)) if origin is tuple else isinstance(value, origin)


def check_field_types(instance: Any) -> None:
    """One clear ConfigError for a dataclass field whose value is not of its annotated type
    (``--set epochs=abc``, a JSON config with a string where a number goes), before any
    comparison in a ``__post_init__`` fails with a bare TypeError."""
    hints = typing.get_type_hints(type(instance))
    for item in fields(instance):
        kind, value = hints[item.name], getattr(instance, item.name)
        if _accepts(kind, value) is False:
            raise ConfigError(f"{item.name} must be {_describe(kind)}, got {value!r}")


def _describe(kind: Any) -> str:
    parts = typing.get_args(kind) if typing.get_origin(kind) in (typing.Union, types.UnionType) else (kind,)
    return " or ".join("null" if part is type(None) else _SIMPLE_TYPES.get(typing.get_origin(part) or part, str(part)) for part in parts)


GROWING_CHUNK_BYTES = 1 << 20  # above glibc's mmap threshold: each chunk is its own mapping, not a heap block


class GrowingRows:
    """Rows appended a few at a time into preallocated chunks of about ``GROWING_CHUNK_BYTES``:
    a long stream's per-window numbers held as a few large arrays, not thousands of small ones.
    Small long-lived arrays interleaved with a model's short-lived buffers fragment the heap: that
    made ``listen``'s memory grow by 5-15 MB a minute."""

    def __init__(self, width: int, dtype: Any = np.float64) -> None:
        self.width, self.dtype = width, np.dtype(dtype)
        self.per_chunk = max(1, GROWING_CHUNK_BYTES // (max(1, width) * self.dtype.itemsize))
        self._chunks: list[np.ndarray] = []
        self._filled = 0  # rows used in the last chunk

    def __len__(self) -> int:
        return (len(self._chunks) - 1) * self.per_chunk + self._filled if self._chunks else 0

    def extend(self, rows: np.ndarray) -> None:
        """Append ``rows`` (n, width), or (n,) when ``width`` is 1."""
        rows = np.asarray(rows, dtype=self.dtype).reshape(-1, self.width)
        done = 0
        while done < len(rows):
            if not self._chunks or self._filled == self.per_chunk:
                self._chunks.append(np.empty((self.per_chunk, self.width), self.dtype))
                self._filled = 0
            take = min(len(rows) - done, self.per_chunk - self._filled)
            self._chunks[-1][self._filled : self._filled + take] = rows[done : done + take]
            self._filled += take
            done += take

    def array(self) -> np.ndarray:
        """Every row so far, (rows, width), in one new array."""
        if not self._chunks:
            return np.zeros((0, self.width), self.dtype)
        return np.concatenate([*self._chunks[:-1], self._chunks[-1][: self._filled]])
