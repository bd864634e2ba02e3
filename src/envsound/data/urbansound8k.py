"""UrbanSound8K (Salamon, Jacoby & Bello 2014): 8732 urban sound excerpts of up to 4 s, 10 classes,
10 official folds (``metadata/UrbanSound8K.csv`` + ``audio/foldN/``). CC BY-NC 3.0.

The official folds keep every slice of one Freesound recording (``fsID``) in one fold; results on
any other split are not comparable (the dataset's authors say so), so cross-validation uses them
as published, and ``fsID`` is each clip's group. Clips are padded to 4 s for features.
"""

from __future__ import annotations

import os
from collections import Counter
from pathlib import Path

from envsound.data.fetch import ProgressFn, fetch_verified
from envsound.data.info import DatasetInfo, VerifyReport, read_metadata
from envsound.data.manifest import Clip, Manifest
from envsound.errors import DatasetError

ROOT_ENV = "ENVSOUND_URBANSOUND8K"
URL = "https://zenodo.org/record/1203745/files/UrbanSound8K.tar.gz"
METADATA = Path("metadata") / "UrbanSound8K.csv"
REQUIRED_COLUMNS = ("slice_file_name", "fsID", "start", "end", "salience", "fold", "classID", "class")
EXPECTED_CLIPS = 8732
EXPECTED_FOLDS = tuple(range(1, 11))
CLASSES = ("air_conditioner", "car_horn", "children_playing", "dog_bark", "drilling", "engine_idling", "gun_shot", "jackhammer", "siren", "street_music")


def default_root() -> Path:
    return Path(os.environ.get(ROOT_ENV, "UrbanSound8K"))


def _read_rows(root: Path) -> list[dict[str, str]]:
    return read_metadata(root / METADATA, REQUIRED_COLUMNS, f"{root}: not an UrbanSound8K folder (missing {METADATA}); set --data or ${ROOT_ENV}")


def load_urbansound8k(root: str | Path | None = None) -> Manifest:
    """Every slice with its official fold; the source recording (``fsID``) is its group."""
    root = Path(root) if root is not None else default_root()
    try:
        clips = tuple(
            Clip(path=root / "audio" / f"fold{int(r['fold'])}" / r["slice_file_name"], label=r["class"], fold=int(r["fold"]), group=f"fs{r['fsID']}")
            for r in _read_rows(root)
        )
    except (KeyError, ValueError) as err:
        raise DatasetError(f"{root / METADATA}: malformed row ({err})") from None
    return Manifest("urbansound8k", clips, CLASSES)


def verify_urbansound8k(root: str | Path | None = None, decode: bool = False, **_: object) -> VerifyReport:
    """Counts (8732 slices, 10 classes by their IDs, folds 1-10), names, groups within one fold,
    and every file present (and, with ``decode``, readable)."""
    root = Path(root) if root is not None else default_root()
    report = VerifyReport()
    rows = _read_rows(root)
    if len(rows) != EXPECTED_CLIPS:
        report.problems.append(f"expected {EXPECTED_CLIPS} clips, found {len(rows)}")
    folds = Counter(int(r["fold"]) for r in rows)
    if tuple(sorted(folds)) != EXPECTED_FOLDS:
        report.problems.append(f"expected folds {list(EXPECTED_FOLDS)}, found {sorted(folds)}")
    fold_of_source: dict[str, str] = {}
    for r in rows:
        class_id = int(r["classID"])
        if not 0 <= class_id < len(CLASSES) or CLASSES[class_id] != r["class"]:
            report.problems.append(f"{r['slice_file_name']}: classID {class_id} is not '{r['class']}'")
        if fold_of_source.setdefault(r["fsID"], r["fold"]) != r["fold"]:
            report.problems.append(f"recording fsID {r['fsID']} has slices in folds {fold_of_source[r['fsID']]} and {r['fold']}")
        report.check_file(root / "audio" / f"fold{r['fold']}" / r["slice_file_name"], decode)
    return report


def fetch_urbansound8k(dest: str | Path, url: str | None = None, sha256: str | None = None, progress: ProgressFn | None = None) -> Path:
    """Download the archive (about 6 GB), verify it, and only then move it to ``dest``. Without a
    ``sha256`` the archive's is recorded at the first download and printed by the CLI."""
    return fetch_verified(url or URL, dest, "UrbanSound8K.tar.gz", str(METADATA), verify_urbansound8k, "UrbanSound8K", sha256, progress)


URBANSOUND8K = DatasetInfo(
    name="urbansound8k",
    description="UrbanSound8K: 8732 urban sound slices of up to 4 s, 10 classes, 10 official folds",
    license="CC BY-NC 3.0",
    clip_seconds=4.0,
    n_classes=len(CLASSES),
    n_folds=len(EXPECTED_FOLDS),
    load=load_urbansound8k,
    verify=verify_urbansound8k,
    fetch=fetch_urbansound8k,
    default_url=URL,
    default_root=default_root,
)
