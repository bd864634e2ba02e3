"""Downloads for real users: resumable, checksummed, unpacked atomically.

Tests drive this against a local HTTP server; nothing here assumes a particular host.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import urllib.error
import urllib.request
import zipfile
from pathlib import Path
from typing import Any, Callable

from envsound.errors import DownloadError
from envsound.utils import read_json, sha256_file, write_json

CHUNK = 1 << 16

ProgressFn = Callable[[int, int | None], None]


def download(url: str, dest: str | Path, sha256: str | None = None, progress: ProgressFn | None = None, timeout: float = 60) -> Path:
    """Fetch ``url`` to ``dest``, resuming a ``.part`` file left by a broken earlier attempt.

    A ``.part`` is resumed only from the same URL and with a validator (ETag or Last-Modified) the
    server confirms through ``If-Range``; anything else starts over, so bytes of two different files
    are never stitched together. A file with a known ``sha256`` is checked; one without gets its
    sha256 recorded beside it (``DEST.source.json``, with the URL), and a cached file is reused only
    for the same URL and only while it still matches that record.
    """
    dest = Path(dest)
    if dest.exists() and _reusable(dest, url, sha256):
        return dest
    dest.parent.mkdir(parents=True, exist_ok=True)
    part = dest.with_name(dest.name + ".part")
    try:
        _fetch_part(url, part, progress, timeout)
    except urllib.error.HTTPError as err:
        if err.code != 416:
            raise DownloadError(f"{url}: HTTP {err.code} {err.reason}") from None
        _forget(part)  # 416: our offset is past the end of what the server has now: never "complete"
        try:
            _fetch_part(url, part, progress, timeout)
        except urllib.error.HTTPError as again:
            raise DownloadError(f"{url}: HTTP {again.code} {again.reason}") from None
    actual = sha256_file(part)
    if sha256 is not None and actual != sha256:
        _forget(part)
        raise DownloadError(f"{url}: sha256 mismatch (expected {sha256[:12]}…, got {actual[:12]}…); the partial file was removed")
    os.replace(part, dest)
    _forget(part)
    write_json(_source_record(dest), {"url": url, "sha256": actual, "verified": sha256 is not None})
    return dest


def recorded_sha256(dest: str | Path) -> str | None:
    """The sha256 recorded when ``dest`` was downloaded, if it was."""
    record = _source_record(Path(dest))
    return read_json(record).get("sha256") if record.exists() else None


def _source_record(dest: Path) -> Path:
    return dest.with_name(dest.name + ".source.json")


def _reusable(dest: Path, url: str, sha256: str | None) -> bool:
    record = _source_record(dest)
    if sha256 is not None:
        return sha256_file(dest) == sha256
    if not record.exists():
        return True  # a file the user put there: theirs to vouch for
    try:
        saved = read_json(record)
    except (OSError, ValueError):
        return False
    return saved.get("url") == url and saved.get("sha256") == sha256_file(dest)


def _forget(part: Path) -> None:
    part.unlink(missing_ok=True)
    part.with_name(part.name + ".json").unlink(missing_ok=True)


def _fetch_part(url: str, part: Path, progress: ProgressFn | None, timeout: float) -> None:
    meta_path = part.with_name(part.name + ".json")
    meta = read_json(meta_path) if meta_path.exists() else {}
    validator = meta.get("etag") or meta.get("last_modified")
    offset = part.stat().st_size if part.exists() else 0
    if offset and (meta.get("url") != url or not validator):
        _forget(part)  # another file's bytes, or no way to prove the server still has the same file
        offset = 0
    headers = {"Range": f"bytes={offset}-", "If-Range": validator} if offset else {}
    try:
        with urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=timeout) as response:
            if offset and response.status != 206:
                offset = 0  # the file changed (If-Range) or the server ignores ranges: start over
            length = response.headers.get("Content-Length")
            total = offset + int(length) if length else None
            write_json(meta_path, {"url": url, "etag": response.headers.get("ETag"), "last_modified": response.headers.get("Last-Modified"), "total": total})
            with open(part, "ab" if offset else "wb") as handle:
                done = offset
                while block := response.read(CHUNK):
                    handle.write(block)
                    done += len(block)
                    if progress:
                        progress(done, total)
            if total is not None and part.stat().st_size != total:
                raise DownloadError(f"{url}: connection closed early ({part.stat().st_size} of {total} bytes); run again to resume")
    except urllib.error.HTTPError:
        raise
    except (urllib.error.URLError, OSError) as err:
        if isinstance(err, DownloadError):
            raise
        raise DownloadError(f"{url}: download failed ({err}); run again to resume") from None


def unpack(archive: str | Path, dest: str | Path, marker: str, check: Callable[[Path], None] | None = None) -> Path:
    """Extract a ``.zip`` or ``.tar[.gz|.bz2|.xz]`` and move the folder holding ``marker`` to
    ``dest`` in one rename, after ``check`` (which raises on bad data) passed on the extracted
    copy: ``dest`` never holds data that failed verification. Members that would land outside the
    staging folder (absolute paths, ``..``, links out) are refused by the extractors' own checks."""
    archive, dest = Path(archive), Path(dest)
    if dest.exists():
        raise DownloadError(f"{dest}: already exists; remove it or choose another --dest")
    dest.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{dest.name}.", dir=dest.parent))
    try:
        _extract(archive, staging)
        found = sorted(staging.rglob(marker), key=lambda p: len(p.parts))
        if not found:
            raise DownloadError(f"{archive}: no {marker} inside the archive")
        root = found[0]
        for _ in Path(marker).parts:
            root = root.parent
        if check is not None:
            check(root)
        os.replace(root, dest)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return dest


def _extract(archive: Path, staging: Path) -> None:
    if archive.suffix == ".zip":
        try:
            with zipfile.ZipFile(archive) as zipped:
                zipped.extractall(staging)  # zipfile drops absolute paths and '..' components
        except zipfile.BadZipFile:
            raise DownloadError(f"{archive}: not a valid zip archive") from None
        return
    import tarfile

    try:
        with tarfile.open(archive) as tarred:
            tarred.extractall(staging, filter="data")  # refuses absolute paths, '..', links out, devices
    except (tarfile.TarError, OSError) as err:
        raise DownloadError(f"{archive}: not a valid tar archive ({err})") from None


def fetch_verified(url: str, dest: str | Path, archive_name: str, marker: str, verify: Callable[[Path], Any], name: str,
                   sha256: str | None = None, progress: ProgressFn | None = None) -> Path:
    """A corpus recipe's fetch: download the archive (resumable, checksummed), unpack it, run the
    recipe's ``verify`` on the extracted copy and only then move it to ``dest``; a failing archive
    is deleted so that it is never reused."""
    dest = Path(dest)
    archive = dest.parent / f".{dest.name}-download" / archive_name
    download(url, archive, sha256=sha256, progress=progress)

    def check(root: Path) -> None:
        report = verify(root)
        if not report.ok:
            shutil.rmtree(archive.parent, ignore_errors=True)
            raise DownloadError(f"{url}: the downloaded {name} failed verification ({report.problems[0]}); nothing was written to {dest}")

    unpack(archive, dest, marker=marker, check=check)
    shutil.rmtree(archive.parent, ignore_errors=True)
    return dest
