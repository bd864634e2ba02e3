"""A dataset is a Manifest: a list of clips, each with a path, a label, and a fold or group.

Every loader (ESC-50, folder-per-class, CSV) produces one, and everything downstream (feature
cache, cross-validation, augmentation) reads only this.
"""

from __future__ import annotations

import os
from collections import defaultdict
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Sequence

import numpy as np

from envsound.errors import DatasetError


@dataclass(frozen=True)
class Clip:
    path: Path
    label: str
    fold: int | None = None
    group: str | None = None  # clips sharing a group (e.g. one source recording) never split apart
    source: str | None = None  # for augmented copies: the clip they were made from
    name: str | None = None  # set by Manifest when the file's stem is not unique in its dataset

    @property
    def clip_id(self) -> str:
        """The clip's id in its dataset (splits, leak checks, augmented copies' names and sources,
        saved predictions): the file's stem, or, where two files share one, their paths below
        the folder they share (``dog/001.wav`` and ``cat/001.wav`` are ``dog~001`` and ``cat~001``)."""
        return self.name or self.path.stem


def unique_ids(clips: tuple[Clip, ...]) -> tuple[Clip, ...]:
    """Clips whose file stems collide get names from their paths below the folder they share, so
    two recordings called 001.wav in two class folders are two clips, not one (before, they were
    one group, a false "leak" across folds, and one augmented copy written over the other)."""
    by_stem: dict[str, list[int]] = defaultdict(list)
    for i, clip in enumerate(clips):
        if clip.name is None:
            by_stem[clip.path.stem].append(i)
    out = list(clips)
    for members in by_stem.values():
        if len(members) < 2:
            continue
        paths = [clips[i].path.absolute() for i in members]
        shared = Path(os.path.commonpath([p.parent for p in paths]))
        names = ["~".join(p.with_suffix("").relative_to(shared).parts) for p in paths]
        if len(set(names)) < len(names):  # x.wav and x.flac in one folder: keep the suffix
            names = ["~".join(p.relative_to(shared).parts) for p in paths]
        for i, name in zip(members, names):
            out[i] = replace(clips[i], name=name)
    return tuple(out)


@dataclass(frozen=True)
class Manifest:
    name: str
    clips: tuple[Clip, ...]
    classes: tuple[str, ...] = field(default=())
    folder: Path | None = None  # a folder-per-class dataset's root: audio anywhere under it is a clip

    def __post_init__(self) -> None:
        if not self.clips:
            raise DatasetError(f"dataset '{self.name}' has no clips")
        if not self.classes:
            object.__setattr__(self, "classes", tuple(sorted({c.label for c in self.clips})))
        unknown = {c.label for c in self.clips} - set(self.classes)
        if unknown:
            raise DatasetError(f"dataset '{self.name}': labels not in class list: {sorted(unknown)[:5]}")
        seen: dict[Path, Clip] = {}
        for clip in self.clips:  # by the file itself: a relative and an absolute path, or a link, name one file
            first = seen.setdefault(clip.path.resolve(), clip)
            if first is not clip:  # twice in one dataset: counted twice, or in train and test at once
                conflict = " with different labels" if first.label != clip.label else " in different folds" if first.fold != clip.fold else ""
                raise DatasetError(f"dataset '{self.name}': {clip.path} is listed twice{conflict}")
        object.__setattr__(self, "clips", unique_ids(self.clips))

    def __len__(self) -> int:
        return len(self.clips)

    def check_output_outside(self, out: str | Path) -> None:
        """Refuse an output folder inside a folder-per-class dataset (audio written there becomes
        clips on its next read: augment into DATA/dog/augmented made the copies clips of "dog"),
        or, for a listed dataset, one that holds any of its clips (they could be written over)."""
        target = Path(out).resolve()
        if self.folder is not None:
            root = self.folder.resolve()
            if target == root or root in target.parents:
                raise DatasetError(f"{out}: inside the dataset it reads ({root}); write the output somewhere else")
        held = next((c.path for c in self.clips if target in c.path.resolve().parents), None)
        if held is not None:
            raise DatasetError(f"{out}: holds {held}, a clip of the dataset it reads; write the output somewhere else")

    @property
    def targets(self) -> np.ndarray:
        index = {name: i for i, name in enumerate(self.classes)}
        return np.array([index[c.label] for c in self.clips], dtype=np.int64)

    @property
    def folds(self) -> np.ndarray | None:
        """Per-clip fold numbers, or None when the dataset has no predefined folds."""
        if any(c.fold is None for c in self.clips):
            return None
        return np.array([c.fold for c in self.clips], dtype=np.int64)

    @property
    def groups(self) -> list[str]:
        return [c.group or c.source or c.clip_id for c in self.clips]

    def fingerprint(self) -> str:
        """A short hash of what the clips are (path, size, label, fold, group, source): equal
        fingerprints mean the same data, so a resumed run can prove it trains on what it started on."""
        from envsound.utils import stable_hash

        rows = []
        for c in self.clips:
            try:
                size = c.path.stat().st_size
            except OSError:
                size = -1
            rows.append((str(c.path), size, c.label, c.fold, c.group, c.source))
        return stable_hash({"classes": list(self.classes), "clips": rows})

    def select(self, indices: Sequence[int] | np.ndarray, name: str | None = None) -> "Manifest":
        return Manifest(name or self.name, tuple(self.clips[int(i)] for i in indices), self.classes, self.folder)
