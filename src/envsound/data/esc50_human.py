"""Human per-class accuracy from ESC-50's ``meta/esc50-human.xlsx`` (Piczak's crowd-sourced study).

The sheet names classes in prose ("Chirping birds") and recordings in ESC-50 v1 form
("1-100032-A.ogg"); the raw-data sheet links the two, so each prose name is mapped to the
dataset's category through its recordings rather than by guessing at spellings.
"""

from __future__ import annotations

from pathlib import Path

from envsound.errors import DatasetError


def load_human_accuracy(xlsx: str | Path, clip_categories: dict[str, str]) -> dict[str, float]:
    """category -> human accuracy. ``clip_categories`` maps clip stems '1-100032-A-0' to categories."""
    try:
        import openpyxl
    except ImportError:  # pragma: no cover - a declared dependency
        raise DatasetError("reading the human-accuracy sheet needs openpyxl") from None
    xlsx = Path(xlsx)
    if not xlsx.is_file():
        raise DatasetError(f"{xlsx}: human-accuracy sheet not found")
    try:
        book = openpyxl.load_workbook(xlsx, read_only=True, data_only=True)
        by_class = book["By class, recording"]
        raw = book["Raw data"]
    except (KeyError, OSError, ValueError) as err:
        raise DatasetError(f"{xlsx}: not the ESC-50 human-accuracy workbook ({err})") from None
    v1_to_category = {"-".join(stem.split("-")[:3]): cat for stem, cat in clip_categories.items()}
    name_to_category: dict[str, str] = {}
    for row in raw.iter_rows(min_row=2, values_only=True):
        truth, recording = row[7], row[8]
        if truth and recording and str(recording).endswith(".ogg"):
            category = v1_to_category.get(str(recording)[:-4])
            if category:
                name_to_category.setdefault(str(truth).strip(), category)
    accuracy: dict[str, float] = {}
    for row in by_class.iter_rows(min_row=2, values_only=True):
        name, value = row[0], row[3]
        if name is None or value is None or str(name).endswith(".ogg"):
            continue
        category = name_to_category.get(str(name).strip())
        if category:
            accuracy[category] = float(value)
    if not accuracy:
        raise DatasetError(f"{xlsx}: no per-class accuracies could be matched to the dataset's classes")
    return accuracy
