"""What envsound knows about a corpus, in one record the CLI, reports and comparisons read."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from envsound.data.manifest import Manifest


def read_metadata(meta: Path, required: tuple[str, ...], not_found: str) -> list[dict[str, str]]:
    """A corpus's metadata CSV as rows, with one clear error for a missing file, missing columns,
    or no rows (``not_found`` says which folder and how to point at the right one)."""
    import csv

    from envsound.errors import DatasetError

    if not meta.is_file():
        raise DatasetError(not_found)
    try:
        with open(meta, newline="", encoding="utf-8-sig") as handle:  # a spreadsheet's byte-order mark is not a column name
            reader = csv.DictReader(handle)
            missing = [c for c in required if c not in (reader.fieldnames or [])]
            if missing:
                raise DatasetError(f"{meta}: missing columns {missing}")
            rows = list(reader)
    except (UnicodeDecodeError, csv.Error) as err:
        raise DatasetError(f"{meta}: not a readable CSV file ({type(err).__name__})") from None
    if not rows:
        raise DatasetError(f"{meta}: has no rows")
    return rows


@dataclass
class VerifyReport:
    problems: list[str] = field(default_factory=list)
    checked_files: int = 0
    checked_hashes: int = 0

    @property
    def ok(self) -> bool:
        return not self.problems

    def check_file(self, path: Path, decode: bool = False) -> None:
        """Count ``path`` if it exists (and, with ``decode``, opens as audio); else note the problem."""
        if not path.is_file():
            self.problems.append(f"{path}: missing")
            return
        self.checked_files += 1
        if decode:
            from envsound.audio import audio_info
            from envsound.errors import AudioError

            try:
                audio_info(path)
            except AudioError as err:
                self.problems.append(str(err))


@dataclass(frozen=True)
class DatasetInfo:
    """A corpus recipe: how to load, verify and fetch it, and the facts reports need.

    ``macro_categories`` groups class indices (the manifest's class order) under a name, for a
    coarse confusion matrix; ``human_accuracy`` is the published listening-test figure, if any.
    """

    name: str
    description: str
    license: str
    clip_seconds: float  # what features pad or crop every clip to
    n_classes: int
    n_folds: int
    load: Callable[[str | Path | None], Manifest]
    verify: Callable[..., VerifyReport] | None = None
    fetch: Callable[..., Path] | None = None  # (dest, url=None, sha256=None, progress=None) -> dest
    default_url: str | None = None
    default_root: Callable[[], Path] | None = None  # where the data is when no --data is given
    macro_categories: tuple[tuple[str, tuple[int, ...]], ...] = ()
    human_accuracy: float | None = None
    human_per_class: Callable[[Path], dict[str, float]] | None = None  # per class, from files beside the data

    def macro_group_of(self) -> list[int]:
        """Per class index, the index of its macro category."""
        groups = [0] * self.n_classes
        for g, (_, members) in enumerate(self.macro_categories):
            for c in members:
                groups[c] = g
        return groups
