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
from typing import Callable

from envsound.errors import DownloadError
from envsound.utils import sha256_file

ESC50_URL = "https://github.com/karoldvl/ESC-50/archive/master.zip"
CHUNK = 1 << 16

ProgressFn = Callable[[int, int | None], None]


def download(url: str, dest: str | Path, sha256: str | None = None, progress: ProgressFn | None = None, timeout: float = 60) -> Path:
    """Fetch ``url`` to ``dest``, resuming a ``.part`` file left by a broken earlier attempt."""
    dest = Path(dest)
    if dest.exists() and (sha256 is None or sha256_file(dest) == sha256):
        return dest
    dest.parent.mkdir(parents=True, exist_ok=True)
    part = dest.with_name(dest.name + ".part")
    offset = part.stat().st_size if part.exists() else 0
    request = urllib.request.Request(url, headers={"Range": f"bytes={offset}-"} if offset else {})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            if offset and response.status != 206:
                offset = 0  # server ignored the range: start over
            length = response.headers.get("Content-Length")
            total = offset + int(length) if length else None
            with open(part, "ab" if offset else "wb") as handle:
                done = offset
                while block := response.read(CHUNK):
                    handle.write(block)
                    done += len(block)
                    if progress:
                        progress(done, total)
            if total is not None and part.stat().st_size < total:
                raise DownloadError(f"{url}: connection closed early ({part.stat().st_size} of {total} bytes); run again to resume")
    except urllib.error.HTTPError as err:
        if err.code != 416:  # 416: the .part file is already complete
            raise DownloadError(f"{url}: HTTP {err.code} {err.reason}") from None
    except (urllib.error.URLError, OSError) as err:
        if isinstance(err, DownloadError):
            raise
        raise DownloadError(f"{url}: download failed ({err}); run again to resume") from None
    if sha256 is not None:
        actual = sha256_file(part)
        if actual != sha256:
            part.unlink()
            raise DownloadError(f"{url}: sha256 mismatch (expected {sha256[:12]}…, got {actual[:12]}…); the partial file was removed")
    os.replace(part, dest)
    return dest


def unpack_zip(archive: str | Path, dest: str | Path, marker: str) -> Path:
    """Extract ``archive`` and move the folder holding ``marker`` to ``dest`` in one rename."""
    archive, dest = Path(archive), Path(dest)
    if dest.exists():
        raise DownloadError(f"{dest}: already exists; remove it or choose another --dest")
    dest.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{dest.name}.", dir=dest.parent))
    try:
        try:
            with zipfile.ZipFile(archive) as zipped:
                zipped.extractall(staging)
        except zipfile.BadZipFile:
            raise DownloadError(f"{archive}: not a valid zip archive") from None
        found = sorted(staging.rglob(marker), key=lambda p: len(p.parts))
        if not found:
            raise DownloadError(f"{archive}: no {marker} inside the archive")
        root = found[0]
        for _ in Path(marker).parts:
            root = root.parent
        os.replace(root, dest)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return dest


def fetch_esc50(dest: str | Path, url: str = ESC50_URL, sha256: str | None = None, progress: ProgressFn | None = None) -> Path:
    """Download the upstream ESC-50 archive, unpack it to ``dest`` and verify its layout."""
    from envsound.data.esc50 import verify_esc50

    dest = Path(dest)
    archive = dest.parent / f".{dest.name}-download" / "esc50.zip"
    download(url, archive, sha256=sha256, progress=progress)
    unpack_zip(archive, dest, marker="meta/esc50.csv")
    report = verify_esc50(dest, sha256sums=None)
    if not report.ok:
        raise DownloadError(f"{dest}: downloaded ESC-50 failed verification: {report.problems[0]}")
    shutil.rmtree(archive.parent, ignore_errors=True)
    return dest
