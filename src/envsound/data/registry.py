"""Every corpus envsound knows by name, and ``load_dataset`` for names, folders and CSV files.

Adding a corpus is one module with its loader and a ``DatasetInfo`` (``urbansound8k.py`` is the
example) plus one entry in ``DATASETS`` below.
"""

from __future__ import annotations

from pathlib import Path

from envsound.data import esc50, urbansound8k
from envsound.data.folders import load_csv, load_folder
from envsound.data.info import DatasetInfo
from envsound.data.manifest import Manifest
from envsound.errors import ConfigError

DATASETS: dict[str, DatasetInfo] = {info.name: info for info in (esc50.ESC50, esc50.ESC10, urbansound8k.URBANSOUND8K)}


def get_dataset(name: str) -> DatasetInfo:
    try:
        return DATASETS[name]
    except KeyError:
        raise ConfigError(f"unknown dataset '{name}'; known: {', '.join(DATASETS)} (or a folder-per-class path, or a CSV manifest)") from None


def dataset_info(name: str | None) -> DatasetInfo | None:
    """The recipe of a named corpus; None for a user's folder or CSV."""
    return DATASETS.get(name or "")


def load_dataset(spec: str, root: str | Path | None = None, group_pattern: str | None = None) -> Manifest:
    """A named corpus (``esc50``, ``esc10``, ``urbansound8k``), a folder-per-class path, or a CSV;
    ``group_pattern``: how a folder's or CSV's file names say which files share a source (a named
    corpus has its own groups)."""
    if spec in DATASETS:
        return DATASETS[spec].load(root)
    path = Path(spec)
    if path.suffix.lower() == ".csv":
        return load_csv(path, group_pattern=group_pattern)
    return load_folder(path, group_pattern=group_pattern)
