"""User datasets: a folder per class, or a CSV manifest (path,label[,fold][,group])."""

from __future__ import annotations

import csv
import re
from dataclasses import replace
from pathlib import Path

from envsound.audio import is_audio_file
from envsound.data.manifest import Clip, Manifest
from envsound.errors import DatasetError

NEGATIVE_FOLDERS = ("background", "_none")  # "none of these" sounds a user may keep beside the classes: never a class
# ESC-50's naming, {fold}-{source id}-{take}-{class}: takes of one source recording share a group
ESC50_STYLE_NAME = r"^\d+-(\d+)-[A-Z]+-\d+$"


def check_group_pattern(pattern: str) -> re.Pattern:
    try:
        return re.compile(pattern)
    except (re.error, TypeError) as err:
        raise DatasetError(f"group pattern {pattern!r} is not a regular expression ({err})") from None


def grouped(clips: tuple[Clip, ...], pattern: str | None = None) -> tuple[Clip, ...]:
    """Clips without a group get one from their file name, so files of one source stay on one side
    of every split: ``pattern``'s first capture group (or whole match) in the file's stem, or, with
    no pattern, the source id of an ESC-50-style name. A name that does not match is its own group."""
    regex = check_group_pattern(pattern) if pattern else re.compile(ESC50_STYLE_NAME)
    out = []
    for clip in clips:
        match = None if clip.group or clip.source else regex.search(clip.path.stem)
        if match is not None:
            clip = replace(clip, group=match.group(1) if regex.groups else match.group(0))
        out.append(clip)
    return tuple(out)


def load_folder(root: str | Path, name: str | None = None, group_pattern: str | None = None) -> Manifest:
    """``root/<label>/**/<audio files>``; the subfolder name is the label. A ``background`` or
    ``_none`` subfolder holds sounds that are none of the classes and is not read as a class.
    Groups come from the file names (``grouped``)."""
    root = Path(root)
    if not root.is_dir():
        raise DatasetError(f"{root}: folder not found")
    clips = [
        Clip(path=path, label=class_dir.name)
        for class_dir in sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith(".") and p.name not in NEGATIVE_FOLDERS)
        for path in sorted(class_dir.rglob("*"))
        if is_audio_file(path)
    ]
    if not clips:
        raise DatasetError(f"{root}: no audio files found in class subfolders (expected ROOT/<label>/<file>.wav)")
    return Manifest(name or root.name, grouped(tuple(clips), group_pattern), folder=root)


def negative_files(root: str | Path) -> list[Path]:
    """Audio under ``root``'s ``background``/``_none`` subfolders: sounds that are none of the
    classes (what `envsound evaluate` counts as foreign sounds)."""
    root = Path(root)
    folders = [root / name for name in NEGATIVE_FOLDERS if (root / name).is_dir()]
    return sorted(path for folder in folders for path in folder.rglob("*") if is_audio_file(path))


def load_csv(path: str | Path, name: str | None = None, group_pattern: str | None = None) -> Manifest:
    """CSV with header; ``path`` and ``label`` required, ``fold``, ``group``, ``source`` optional
    (rows without a group get one from their file name, as in a folder).

    Relative paths are resolved against the CSV's folder, so a dataset folder can move as a whole.
    """
    path = Path(path)
    if not path.is_file():
        raise DatasetError(f"{path}: CSV manifest not found")
    try:
        manifest = _read_csv(path, name)
    except (UnicodeDecodeError, csv.Error) as err:
        raise DatasetError(f"{path}: not a readable CSV manifest ({type(err).__name__}); expected UTF-8 text with a path,label header") from None
    return Manifest(manifest.name, grouped(manifest.clips, group_pattern), manifest.classes, manifest.folder)


def _read_csv(path: Path, name: str | None) -> Manifest:
    with open(path, newline="", encoding="utf-8-sig") as handle:  # -sig: a spreadsheet's "UTF-8 with BOM" export reads too
        reader = csv.DictReader(handle)
        columns = reader.fieldnames or []
        if "path" not in columns or "label" not in columns:
            raise DatasetError(f"{path}: CSV needs a header with 'path' and 'label' columns (found {columns})")
        clips = []
        for line, row in enumerate(reader, start=2):
            if not row.get("path") or not row.get("label"):
                raise DatasetError(f"{path}:{line}: empty path or label")
            fold = (row.get("fold") or "").strip()
            if fold and not fold.lstrip("-").isdigit():
                raise DatasetError(f"{path}:{line}: fold must be an integer, got '{fold}'")
            clip_path = Path(row["path"])
            clips.append(
                Clip(
                    path=clip_path if clip_path.is_absolute() else path.parent / clip_path,
                    label=row["label"].strip(),
                    fold=int(fold) if fold else None,
                    group=(row.get("group") or "").strip() or None,
                    source=(row.get("source") or "").strip() or None,
                )
            )
    if not clips:
        raise DatasetError(f"{path}: CSV has no rows")
    blank = [line for line, clip in enumerate(clips, start=2) if clip.fold is None]
    if "fold" in columns and blank and len(blank) < len(clips):  # a partial column would silently drop every fold
        shown = ", ".join(map(str, blank[:5])) + (" …" if len(blank) > 5 else "")
        raise DatasetError(f"{path}: the fold column is blank on {len(blank)} of {len(clips)} rows (lines {shown}); fill it in or leave the whole column empty")
    return Manifest(name or path.stem, tuple(clips))
