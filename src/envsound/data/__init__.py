"""Datasets as Manifests: ESC-50/ESC-10, folder-per-class, CSV; leak-free splits; downloads."""

from envsound.data.esc50 import load_esc50, verify_esc50
from envsound.data.folders import load_csv, load_folder
from envsound.data.manifest import Clip, Manifest
from envsound.data.splits import (
    assert_no_leak,
    check_trainable,
    fold_assignment,
    split_indices,
)

__all__ = ["Clip", "Manifest", "load_esc50", "verify_esc50", "load_folder", "load_csv", "fold_assignment", "split_indices", "assert_no_leak", "check_trainable", "load_dataset"]


def load_dataset(spec: str, root: str | None = None) -> Manifest:
    """``esc50``, ``esc10``, a folder-per-class path, or a ``.csv`` manifest path."""
    from pathlib import Path

    if spec in ("esc50", "esc10"):
        return load_esc50(root, esc10=spec == "esc10")
    path = Path(spec)
    if path.suffix.lower() == ".csv":
        return load_csv(path)
    return load_folder(path)
