"""Recordings from outside ESC-50, rebuilt from Debian packages: to measure, never to train or tune.

The committed manifest (``benchmarks/outside/manifest.csv``) names, per recording, the Debian
package, the file inside it, its label (an ESC-50 class, or ``none`` for the negative set: sounds
of none of the 50 classes) and its licence. ``build_outside_set`` downloads each package with
``apt-get download`` (package names checked, never passed through a shell), extracts only the listed
files into the output folder and writes a manifest of local paths; the audio itself is never
committed. Twelve packages are held out for an independent check and refused here.
"""

from __future__ import annotations

import csv
import re
import shutil
import subprocess
import tarfile
import tempfile
from dataclasses import dataclass
from pathlib import Path

from envsound.errors import DatasetError

HELD_OUT = frozenset({"gcompris-qt-data", "tuxpaint-stamps-default", "megaglest-data", "scratch", "0ad-data", "libreoffice-common", "openttd-opensfx",
                      "widelands-data", "wesnoth-1.16-data", "flightgear-data-base", "supertuxkart-data", "simutrans-pak64"})
NEGATIVE = "none"
COLUMNS = ("package", "member", "label", "set", "licence", "note")
PACKAGE_NAME = re.compile(r"^[a-z0-9][a-z0-9.+-]+$")


@dataclass(frozen=True)
class OutsideRow:
    package: str
    member: str  # absolute path of the file inside the package
    label: str  # an in-set class, or "none"
    set: str  # "positive" or "negative"
    licence: str
    note: str = ""

    @property
    def local_name(self) -> str:
        """PACKAGE/FOLDER/FILE: the file with its folder, since one package may reuse a name."""
        member = Path(self.member)
        return f"{self.package}/{member.parent.name}/{member.name}"


def read_manifest(path: str | Path, classes: tuple[str, ...]) -> list[OutsideRow]:
    """Rows of the committed manifest, every one checked: a known package name that is not held
    out, a file inside it, a licence, a label that is one of ``classes`` (positives) or "none"."""
    path = Path(path)
    with open(path, newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        missing = [c for c in COLUMNS if c not in (reader.fieldnames or [])]
        if missing:
            raise DatasetError(f"{path}: missing columns {missing}")
        rows = []
        for line, raw in enumerate(reader, start=2):
            row = OutsideRow(**{c: (raw.get(c) or "").strip() for c in COLUMNS})
            problem = _problem(row, classes)
            if problem:
                raise DatasetError(f"{path}:{line}: {problem}")
            rows.append(row)
    seen: set[str] = set()
    for row in rows:
        if row.local_name in seen:
            raise DatasetError(f"{path}: {row.local_name} is listed twice")
        seen.add(row.local_name)
    return rows


def _problem(row: OutsideRow, classes: tuple[str, ...]) -> str | None:
    if not PACKAGE_NAME.match(row.package):
        return f"'{row.package}' is not a Debian package name"
    if row.package in HELD_OUT:
        return f"{row.package} is held out for an independent check and may not be used"
    if not row.member.startswith("/") or ".." in Path(row.member).parts:
        return f"'{row.member}' is not an absolute path inside the package"
    if not row.licence:
        return f"{row.member}: no licence"
    if row.set not in ("positive", "negative"):
        return f"set must be positive or negative, got '{row.set}'"
    if row.set == "negative" and row.label != NEGATIVE:
        return f"a negative row's label must be '{NEGATIVE}'"
    if row.set == "positive" and row.label not in classes:
        return f"'{row.label}' is not one of the classes"
    return None


def build_outside_set(manifest: str | Path, out: str | Path, classes: tuple[str, ...], debs: str | Path | None = None) -> Path:
    """Extract every listed file into ``out/audio/PACKAGE/`` and write ``out/manifest.csv``
    (path, label, set, licence, source). ``debs``: a folder of already downloaded ``.deb`` files
    (else ``apt-get download`` fetches them). A listed file missing from its package is an error."""
    rows = read_manifest(manifest, classes)
    out = Path(out)
    packages = sorted({r.package for r in rows})
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(debs) if debs is not None else Path(tmp)
        for package in packages:
            if not list(folder.glob(f"{package}_*.deb")):
                _download(package, folder)
        staging = out.parent / f".{out.name}.building"
        shutil.rmtree(staging, ignore_errors=True)
        versions = {}
        for package in packages:
            deb = sorted(folder.glob(f"{package}_*.deb"))[-1]
            versions[package] = deb.name.split("_")[1]
            wanted = {r.member.lstrip("/"): r for r in rows if r.package == package}
            found = _extract(deb, wanted, staging / "audio")
            absent = sorted(set(wanted) - found)
            if absent:
                shutil.rmtree(staging, ignore_errors=True)
                raise DatasetError(f"{deb.name}: listed files not in the package: {absent[:3]}{' …' if len(absent) > 3 else ''}")
        with open(staging / "manifest.csv", "w", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(["path", "label", "set", "licence", "source"])
            for r in rows:
                writer.writerow([f"audio/{r.local_name}", r.label, r.set, r.licence, f"Debian {r.package} {versions[r.package]}: {r.member}"])
    if out.exists():
        shutil.rmtree(out)
    staging.rename(out)
    return out


def _download(package: str, folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    result = subprocess.run(["apt-get", "download", "-q", package], cwd=folder, capture_output=True, text=True)
    if result.returncode != 0:
        raise DatasetError(f"apt-get download {package} failed: {result.stderr.strip().splitlines()[-1] if result.stderr.strip() else result.returncode}")


def _extract(deb: Path, wanted: dict[str, OutsideRow], dest: Path) -> set[str]:
    """Only the listed members of the package's data archive, each to ``dest/<its local name>``."""
    data = subprocess.run(["dpkg-deb", "--fsys-tarfile", str(deb)], capture_output=True, check=True).stdout
    found = set()
    import io

    with tarfile.open(fileobj=io.BytesIO(data)) as archive:
        for member in archive:
            name = member.name.removeprefix("./")
            if name in wanted and member.isfile():
                source = archive.extractfile(member)
                assert source is not None
                target = dest / wanted[name].local_name
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(source.read())
                found.add(name)
    return found
