"""ESC-50 in its canonical layout (``meta/esc50.csv`` + ``audio/``) and its ESC-10 subset:
load, verify, fetch, and the facts reports use (macro categories, human accuracy)."""

from __future__ import annotations

import os
from collections import Counter
from pathlib import Path

from envsound.data.fetch import ProgressFn, fetch_verified
from envsound.data.info import DatasetInfo, VerifyReport, read_metadata
from envsound.data.manifest import Clip, Manifest
from envsound.errors import DatasetError

ESC50_URL = "https://github.com/karoldvl/ESC-50/archive/master.zip"

DEFAULT_ROOT_ENV = "ENVSOUND_ESC50"
DEFAULT_ROOT = "../shared/data/esc50"
REQUIRED_COLUMNS = ("filename", "fold", "target", "category", "esc10", "src_file", "take")
# The corpus as published: what verify checks and what ESC50 (the DatasetInfo) states, from one place.
N_CLASSES = 50
N_FOLDS = 5
CLIPS_PER_CLASS = 40

# ESC-50's five macro categories: targets 0-9, 10-19, ... 40-49.
MACRO_CATEGORIES = (
    "Animals",
    "Natural soundscapes & water",
    "Human, non-speech",
    "Interior/domestic",
    "Exterior/urban",
)


def default_root() -> Path:
    return Path(os.environ.get(DEFAULT_ROOT_ENV, DEFAULT_ROOT))


def _read_rows(root: Path) -> list[dict[str, str]]:
    return read_metadata(root / "meta" / "esc50.csv", REQUIRED_COLUMNS, f"{root}: not an ESC-50 folder (missing meta/esc50.csv); set --data or ${DEFAULT_ROOT_ENV}")


def _resolve_audio(root: Path, filename: str) -> Path:
    """Accept either extension: upstream ships .wav, some mirrors (and ours) .flac."""
    path = root / "audio" / filename
    if path.exists():
        return path
    for ext in (".flac", ".wav", ".ogg"):
        alt = path.with_suffix(ext)
        if alt.exists():
            return alt
    return path


def load_esc50(root: str | Path | None = None, esc10: bool = False) -> Manifest:
    """ESC-50 (or ESC-10) with its official folds; ``src_file`` is the group (one recording)."""
    root = Path(root) if root is not None else default_root()
    rows = _read_rows(root)
    try:
        by_target = {int(r["target"]): r["category"] for r in rows}
        classes = tuple(by_target[t] for t in sorted(by_target))
        clips = tuple(
            Clip(
                path=_resolve_audio(root, r["filename"]),
                label=r["category"],
                fold=int(r["fold"]),
                group=r["src_file"],
            )
            for r in rows
            if not esc10 or r["esc10"].strip().lower() == "true"
        )
    except (KeyError, ValueError) as err:
        raise DatasetError(f"{root / 'meta' / 'esc50.csv'}: malformed row ({err})") from None
    if esc10:
        keep = {c.label for c in clips}
        classes = tuple(c for c in classes if c in keep)
    return Manifest("esc10" if esc10 else "esc50", clips, classes)


def verify_esc50(root: str | Path | None = None, sha256sums: str | Path | None = None, decode: bool = False) -> VerifyReport:
    """Check counts, label/filename consistency, file presence and (optionally) checksums."""
    from envsound.utils import sha256_file

    root = Path(root) if root is not None else default_root()
    report = VerifyReport()
    rows = _read_rows(root)
    clips = N_CLASSES * CLIPS_PER_CLASS
    if len(rows) != clips:
        report.problems.append(f"expected {clips} clips, found {len(rows)}")
    per_class = Counter(r["target"] for r in rows)
    per_fold = Counter(r["fold"] for r in rows)
    for target, count in sorted(per_class.items(), key=lambda kv: int(kv[0])):
        if count != CLIPS_PER_CLASS:
            report.problems.append(f"class {target}: expected {CLIPS_PER_CLASS} clips, found {count}")
    if len(per_class) != N_CLASSES:
        report.problems.append(f"expected {N_CLASSES} classes, found {len(per_class)}")
    for fold, count in sorted(per_fold.items()):
        if count != clips // N_FOLDS:
            report.problems.append(f"fold {fold}: expected {clips // N_FOLDS} clips, found {count}")
    categories: dict[str, str] = {}
    for r in rows:
        stem = Path(r["filename"]).stem
        parts = stem.split("-")
        if len(parts) != 4 or parts[0] != r["fold"] or parts[1] != r["src_file"] or parts[2] != r["take"] or parts[3] != r["target"]:
            report.problems.append(f"{r['filename']}: name does not match fold/src_file/take/target columns")
        if categories.setdefault(r["target"], r["category"]) != r["category"]:
            report.problems.append(f"target {r['target']} maps to two categories")
        report.check_file(_resolve_audio(root, r["filename"]), decode)
    sums = Path(sha256sums) if sha256sums else (root / "SHA256SUMS")
    if sha256sums or sums.exists():
        if not sums.exists():
            report.problems.append(f"{sums}: checksum list not found")
        else:
            for line in sums.read_text().splitlines():
                if not line.strip():
                    continue
                expected, name = line.split(maxsplit=1)
                target = root / name.strip().lstrip("*")
                if not target.exists():
                    report.problems.append(f"{target}: listed in {sums.name} but missing")
                elif sha256_file(target) != expected:
                    report.problems.append(f"{target}: sha256 mismatch")
                else:
                    report.checked_hashes += 1
    return report


def fetch_esc50(dest: str | Path, url: str | None = None, sha256: str | None = None, progress: ProgressFn | None = None) -> Path:
    """Download the upstream ESC-50 archive, verify its layout, and only then move it to ``dest``."""

    return fetch_verified(url or ESC50_URL, dest, "esc50.zip", "meta/esc50.csv", lambda root: verify_esc50(root, sha256sums=None), "ESC-50", sha256, progress)


def human_per_class(root: Path, esc10: bool = False) -> dict[str, float]:
    """Per-class accuracy of ESC-50's human listeners, from ``meta/esc50-human.xlsx`` beside the data."""
    from envsound.data.esc50_human import load_human_accuracy

    manifest = load_esc50(root, esc10=esc10)
    return load_human_accuracy(root / "meta" / "esc50-human.xlsx", {c.clip_id: c.label for c in manifest.clips})


ESC50 = DatasetInfo(
    name="esc50",
    description="ESC-50: 2000 five-second Freesound clips, 50 classes, 5 official folds (Piczak 2015)",
    license="CC BY-NC 3.0 (clips under CC BY kept their licence)",
    clip_seconds=5.0,
    n_classes=N_CLASSES,
    n_folds=N_FOLDS,
    load=load_esc50,
    verify=verify_esc50,
    fetch=fetch_esc50,
    default_url=ESC50_URL,
    default_root=default_root,
    macro_categories=tuple((name, tuple(range(10 * i, 10 * i + 10))) for i, name in enumerate(MACRO_CATEGORIES)),
    human_accuracy=0.813,
    human_per_class=human_per_class,
)

ESC10 = DatasetInfo(
    name="esc10",
    description="ESC-10: the 10-class, 400-clip subset of ESC-50, same folds",
    license=ESC50.license,
    clip_seconds=5.0,
    n_classes=10,
    n_folds=N_FOLDS,
    load=lambda root: load_esc50(root, esc10=True),
    verify=None,  # verified as part of ESC-50
    fetch=None,
    default_root=default_root,
    human_accuracy=0.957,
    human_per_class=lambda root: human_per_class(root, esc10=True),
)
