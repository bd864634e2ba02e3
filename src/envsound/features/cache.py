"""Features computed once per (dataset, feature config), stored as a memory-mapped array.

The study rendered spectrogram images into TFRecords on every pass; here decoding + log-mel run
once, the result is a ``.npy`` memmap plus an index, and re-opening it costs milliseconds. The key
hashes the feature config and every file's identity (path, size, mtime), so changing either makes
a new entry instead of silently reusing stale features.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Protocol

import numpy as np

from envsound.audio import load_audio
from envsound.data.manifest import Manifest
from envsound.errors import AudioError, ConfigError
from envsound.progress import progress_bar, warn
from envsound.utils import (
    read_json,
    remove_stale_temporaries,
    sha256_file,
    stable_hash,
    temporary_prefix,
    write_json,
)

CACHE_ENV = "ENVSOUND_CACHE"


class Extractor(Protocol):
    """Turns a batch of fixed-length mono waveforms into fixed-shape feature arrays."""

    sample_rate: int
    clip_seconds: float
    output_shape: tuple[int, ...]

    def describe(self) -> dict: ...

    def __call__(self, waveforms: np.ndarray) -> np.ndarray: ...


def default_cache_dir() -> Path:
    return Path(os.environ.get(CACHE_ENV, Path.home() / ".cache" / "envsound" / "features"))


@dataclass
class CachedFeatures:
    path: Path
    features: np.ndarray  # memmap, (n_clips, *output_shape), in manifest order
    clip_paths: list[str]

    def __len__(self) -> int:
        return len(self.clip_paths)


def file_identity(path: Path) -> tuple[str, int, int]:
    """(resolved path, size, mtime): what a cache key holds of a file, so an edited file misses."""
    try:
        stat = path.stat()
    except FileNotFoundError:
        raise AudioError(f"{path}: file not found") from None
    return str(path.resolve()), stat.st_size, stat.st_mtime_ns


def _file_identity(manifest: Manifest) -> list[tuple[str, int, int]]:
    return [file_identity(clip.path) for clip in manifest.clips]


def cache_key(manifest: Manifest, extractor: Extractor) -> str:
    return stable_hash({"features": extractor.describe(), "files": _file_identity(manifest)})


def load_or_compute(
    manifest: Manifest,
    extractor: Extractor,
    cache_dir: str | Path | None = None,
    batch_size: int = 64,
    workers: int = 4,
    fail_fast: bool = False,
    show_progress: bool = True,
) -> CachedFeatures:
    """Open the cached features for ``manifest`` or compute them (atomically) first."""
    cache_dir = Path(cache_dir) if cache_dir is not None else default_cache_dir()
    kind = extractor.describe().get("kind", "features")
    entry = cache_dir / f"{manifest.name}-{kind}-{cache_key(manifest, extractor)}"
    remove_stale_temporaries(cache_dir)
    return _open_or_build(entry, lambda staging: _compute(manifest, extractor, staging, batch_size, workers, fail_fast, show_progress))


def load_or_compute_array(name: str, key: dict, compute: Callable[[], np.ndarray], cache_dir: str | Path | None = None) -> np.ndarray:
    """A derived feature array (say, the embeddings of one fold's corrupted clips) cached by the
    same rules as a dataset's features: the entry is named by a hash of everything in ``key``,
    written under a temporary name and renamed, checked against its sha256 when reopened, and
    listed and cleared by `envsound cache` like any other."""
    cache_dir = Path(cache_dir) if cache_dir is not None else default_cache_dir()

    def build(staging: Path) -> None:
        np.save(staging / "features.npy", np.ascontiguousarray(compute(), dtype=np.float32))
        write_json(staging / "index.json", {"features": key, "clips": [], "sha256": sha256_file(staging / "features.npy")})

    return np.asarray(_open_or_build(cache_dir / f"{name}-{stable_hash(key)}", build).features)


def _open_or_build(entry: Path, build: Callable[[Path], None]) -> CachedFeatures:
    """The finished ``entry``, or ``build(staging)`` in a temporary folder renamed to ``entry``:
    a killed run never leaves a folder that looks finished, and a damaged one is rebuilt."""
    if (entry / "index.json").exists():
        try:
            return _open(entry)
        except CorruptEntry as err:
            warn(f"{entry.name}: {err}; recomputing it")
            shutil.rmtree(entry, ignore_errors=True)
    entry.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=temporary_prefix(entry.name), dir=entry.parent))
    try:
        build(staging)
        try:
            os.replace(staging, entry)
        except OSError:  # another process finished the same entry first: theirs is as good as ours
            if not (entry / "index.json").exists():
                raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return _open(entry)


class CorruptEntry(Exception):
    """A cache entry whose files no longer match what was written (truncated, edited, bit rot)."""


def _open(entry: Path) -> CachedFeatures:
    """The entry's features, after checking them against the sha256 written with them."""
    try:
        index = read_json(entry / "index.json")
        expected = index["sha256"]
        features = np.load(entry / "features.npy", mmap_mode="r")
    except (OSError, ValueError, KeyError, TypeError) as err:
        raise CorruptEntry(f"unreadable ({type(err).__name__})") from None
    if sha256_file(entry / "features.npy") != expected:
        raise CorruptEntry("checksum mismatch")
    try:
        os.utime(entry / "index.json")  # records last use, for `envsound cache clear --unused-days`
    except OSError:  # a read-only shared cache still works
        pass
    return CachedFeatures(entry, features, index["clips"])


def _compute(manifest: Manifest, extractor: Extractor, staging: Path, batch_size: int, workers: int, fail_fast: bool, show_progress: bool) -> None:
    n = len(manifest)
    out = np.lib.format.open_memmap(staging / "features.npy", mode="w+", dtype=np.float32, shape=(n, *extractor.output_shape))
    bad: list[str] = []

    def decode(i: int) -> np.ndarray | None:
        try:
            return load_audio(manifest.clips[i].path, extractor.sample_rate, extractor.clip_seconds)
        except AudioError as err:
            if fail_fast:
                raise
            bad.append(str(err))
            return None

    with ThreadPoolExecutor(max_workers=workers) as pool, progress_bar(f"features {manifest.name}", n, show_progress) as advance:
        for start in range(0, n, batch_size):
            indices = range(start, min(start + batch_size, n))
            waves = list(pool.map(decode, indices))
            if bad:
                advance(len(indices))
                continue
            out[start : start + len(waves)] = extractor(np.stack(waves))
            advance(len(indices))
    if bad:
        summary = "\n  ".join(bad[:20]) + (f"\n  … and {len(bad) - 20} more" if len(bad) > 20 else "")
        raise AudioError(f"{len(bad)} of {n} files could not be read:\n  {summary}")
    out.flush()
    del out
    index = {"features": extractor.describe(), "clips": [str(c.path) for c in manifest.clips], "sha256": sha256_file(staging / "features.npy")}
    write_json(staging / "index.json", index)


@dataclass(frozen=True)
class CacheEntry:
    path: Path
    size_bytes: int
    last_used: float  # POSIX time the entry was last opened or written


def cache_entries(cache_dir: str | Path | None = None) -> list[CacheEntry]:
    """Finished entries only (those with an index), oldest use first."""
    root = Path(cache_dir) if cache_dir is not None else default_cache_dir()
    entries = []
    for index in root.glob("*/index.json"):
        entry = index.parent
        if entry.name.startswith("."):
            continue
        size = sum(f.stat().st_size for f in entry.iterdir() if f.is_file())
        entries.append(CacheEntry(entry, size, index.stat().st_mtime))
    return sorted(entries, key=lambda e: e.last_used)


def clear_cache(cache_dir: str | Path | None = None, unused_days: float | None = None, now: float | None = None) -> list[CacheEntry]:
    """Delete finished entries (all, or those unused for ``unused_days``); returns what was removed.

    Only folders that hold a cache index are touched, so a mistaken ENVSOUND_CACHE cannot wipe
    unrelated files; a process still reading a removed entry keeps its open memmap.
    """
    import math
    import time

    if unused_days is not None and not (math.isfinite(unused_days) and unused_days >= 0):
        # -5 days used to mean "everything", NaN "nothing": neither is what anyone asked for
        raise ConfigError(f"--unused-days must be 0 or more, got {unused_days:g}")
    cutoff = (now if now is not None else time.time()) - unused_days * 86400 if unused_days is not None else float("inf")
    root = Path(cache_dir) if cache_dir is not None else default_cache_dir()
    for leftover in remove_stale_temporaries(root):  # staging of a killed run: never an entry, never reused
        warn(f"removed {leftover.name}, left by a process that was killed while computing features")
    removed = [e for e in cache_entries(cache_dir) if e.last_used < cutoff]
    for entry in removed:
        shutil.rmtree(entry.path, ignore_errors=True)
    return removed
