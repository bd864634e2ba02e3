"""Train/test splits that cannot leak: predefined folds, else stratified *group* k-fold."""

from __future__ import annotations

import numpy as np

from envsound.data.manifest import Manifest
from envsound.errors import DatasetError


def fold_assignment(manifest: Manifest, n_folds: int = 5, seed: int = 0) -> np.ndarray:
    """Per-clip fold ids: the dataset's own (ESC-50's official folds) or a stratified group split.

    Groups (a source recording, or an augmented copy's source clip) always land in one fold.
    """
    folds = manifest.folds
    if folds is not None:
        return folds
    from sklearn.model_selection import StratifiedGroupKFold

    groups = manifest.groups
    if len(set(groups)) < n_folds:
        raise DatasetError(f"dataset '{manifest.name}' has {len(set(groups))} groups, fewer than {n_folds} folds")
    splitter = StratifiedGroupKFold(n_splits=n_folds, shuffle=True, random_state=seed)
    assignment = np.zeros(len(manifest), dtype=np.int64)
    try:
        for fold, (_, test) in enumerate(splitter.split(np.zeros(len(manifest)), manifest.targets, groups), start=1):
            assignment[test] = fold
    except ValueError as err:  # e.g. fewer clips in a class than folds
        raise DatasetError(f"dataset '{manifest.name}' cannot be split into {n_folds} folds: {err}") from None
    return assignment


def split_indices(folds: np.ndarray, test_fold: int) -> tuple[np.ndarray, np.ndarray]:
    test = np.flatnonzero(folds == test_fold)
    train = np.flatnonzero(folds != test_fold)
    if len(test) == 0:
        raise DatasetError(f"fold {test_fold} is empty")
    return train, test


def assert_no_leak(manifest: Manifest, train: np.ndarray, test: np.ndarray, check_groups: bool = True) -> None:
    """Fail loudly if a clip or its augmented copies (and, if asked, its group) sit on both sides.

    Groups are checked for splits envsound makes. Predefined folds are kept as published:
    ESC-50's official folds put 4 Freesound source ids in two folds each (under different labels).
    """
    def keys(indices: np.ndarray) -> set[str]:
        out: set[str] = set()
        for i in indices:
            clip = manifest.clips[int(i)]
            out.update(k for k in (clip.clip_id, clip.source, clip.group if check_groups else None) if k)
        return out

    shared = keys(train) & keys(test)
    if shared:
        raise DatasetError(f"leak: {len(shared)} clip/group ids on both sides of the split, e.g. {sorted(shared)[:3]}")


def check_trainable(manifest: Manifest, fold_ids: np.ndarray, folds: list[int]) -> None:
    """Refuse, before any work, what would train on nothing or "score" without a choice to make:
    fewer than two classes, an unknown fold, a fold whose training side is empty or one class."""
    if len(set(manifest.targets.tolist())) < 2:
        raise DatasetError(f"dataset '{manifest.name}' has clips of {len(set(manifest.targets.tolist()))} class; a classifier needs at least two")
    known = set(np.unique(fold_ids).tolist())
    for fold in folds:
        if fold not in known:
            raise DatasetError(f"fold {fold} is not in dataset '{manifest.name}' (its folds: {sorted(known)})")
        train = fold_ids != fold
        if not train.any():
            raise DatasetError(f"fold {fold} leaves no training clips (every clip of '{manifest.name}' is in it)")
        if len(set(manifest.targets[train].tolist())) < 2:
            raise DatasetError(f"fold {fold} leaves training clips of only one class")
