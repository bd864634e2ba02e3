"""Distillation targets: what a teacher says about each training clip, blended with its label.

In cross-validation the teacher for test fold k is made of each teacher run's *fold-k* models
(``cv --save-models``), which were trained without fold k, so neither teacher nor student ever
sees a test clip. For ``train`` (every fold) the teacher is model files trained on every fold.
Several teachers (an ensemble) have their probabilities averaged, as ``envsound ensemble`` does.
"""

from __future__ import annotations

from pathlib import Path
from typing import Sequence

import numpy as np

from envsound.audio import load_audio
from envsound.errors import ConfigError, RunError
from envsound.models.model_file import load_model
from envsound.utils import stable_hash

BATCH = 32


def teacher_paths(teacher: str, fold: int | None) -> list[Path]:
    """The teacher's model files for test fold ``fold`` (None: training on every fold)."""
    parts = [Path(p.strip()) for p in teacher.split(",") if p.strip()]
    if not parts:
        raise ConfigError("teacher: give run folders (for cv) or model files (for train), comma-separated")
    if fold is None:
        for part in parts:
            if not part.is_file():
                raise ConfigError(f"teacher {part}: training on every fold needs teacher model files trained on every fold")
        return parts
    paths = []
    for part in parts:
        path = part / f"fold-{fold}" / "model.pt"
        if not path.is_file():
            raise RunError(f"teacher {part}: no fold-{fold}/model.pt; rerun it with `envsound cv --save-models`")
        paths.append(path)
    return paths


def fold_signature(fold_ids: np.ndarray) -> str:
    """Which clip is in which fold, hashed: fold numbers mean the same clips only when this agrees."""
    return stable_hash([int(f) for f in fold_ids])


def teacher_probabilities(paths: Sequence[Path], clips: Sequence[Path], classes: Sequence[str], fold: int | None,
                          fingerprint: str | None = None, folds: str | None = None, official_folds: bool = False) -> np.ndarray:
    """(clips, classes): the teachers' averaged probabilities on ``clips``.

    A fold-k teacher is refused unless its model file shows it never saw fold k: trained on folds
    that exclude k, of the same dataset (``fingerprint``), split the same way (``folds``, the
    student's ``fold_signature``; a dataset's official folds are fixed by its fingerprint)."""
    total = np.zeros((len(clips), len(classes)))
    for path in paths:
        loaded = load_model(path)
        if fold is not None:
            info = loaded.info
            trained_on = info.get("trained_on_folds")
            if trained_on is None or fold in trained_on:
                raise RunError(f"teacher {path}: trained on folds {trained_on}, which must not include test fold {fold}")
            if info.get("dataset_fingerprint") != fingerprint:
                raise RunError(f"teacher {path}: trained on another dataset (or another version of it) than the student's")
            if info.get("fold_signature", None if official_folds else "missing") not in (folds, None):
                raise RunError(f"teacher {path}: its folds hold other clips than the student's (another seed or fold count)")
        if tuple(loaded.classes) != tuple(classes):
            raise ConfigError(f"teacher {path}: its classes differ from the dataset's")
        extractor = loaded.extractor
        for start in range(0, len(clips), BATCH):
            waves = np.stack([load_audio(c, extractor.sample_rate, extractor.clip_seconds) for c in clips[start : start + BATCH]])
            total[start : start + len(waves)] += loaded.predict_proba(extractor(waves))
    return total / len(paths)


def blended_targets(y: np.ndarray, teacher: np.ndarray, weight: float) -> np.ndarray:
    """(1 - weight) * one-hot(y) + weight * teacher: the student's training targets."""
    one_hot = np.eye(teacher.shape[1])[y]
    return ((1 - weight) * one_hot + weight * teacher).astype(np.float32)
