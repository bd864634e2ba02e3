"""Distillation targets: what a teacher says about each training clip, blended with its label.

In cross-validation the teacher for test fold k is made of each teacher run's *fold-k* models
(``cv --save-models``), which were trained without fold k, so neither teacher nor student ever
sees a test clip. For ``train`` (every fold) the teacher is model files trained on every fold.
Several teachers (an ensemble) have their probabilities averaged, as ``envsound ensemble`` does.
By default each training clip is scored once, clean (with ``distill_teacher_tta``, averaged with
shifted copies of itself); with ``distill_consistent`` the teacher runs inside the loop on each
augmented batch instead (``teacher_network``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Sequence

import numpy as np
import torch
from torch import nn

from envsound.audio import load_audio, shifted_copies
from envsound.config import RunConfig
from envsound.data.manifest import Manifest
from envsound.errors import ConfigError, RunError
from envsound.models.embedding import EfficientATEmbeddingExtractor
from envsound.models.ensemble import ProbabilityAverage
from envsound.models.inference_copy import inference_copy
from envsound.models.model_file import LoadedModel, load_model
from envsound.models.pretrained import classifier_from_probe
from envsound.models.registry import ModelSpec
from envsound.runs import RunFolder
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
    return [RunFolder(part).saved_fold_model(fold) for part in parts]


def fold_signature(fold_ids: np.ndarray) -> str:
    """Which clip is in which fold, hashed: fold numbers mean the same clips only when this agrees."""
    return stable_hash([int(f) for f in fold_ids])


def load_teachers(paths: Sequence[Path], classes: Sequence[str], fold: int | None, fingerprint: str | None = None,
                  folds: str | None = None, official_folds: bool = False) -> list[LoadedModel]:
    """The teacher's model files, loaded. A fold-k teacher is refused unless its model file shows
    it never saw fold k: trained on folds that exclude k, of the same dataset (``fingerprint``),
    split the same way (``folds``, the student's ``fold_signature``; a dataset's official folds are
    fixed by its fingerprint)."""
    teachers = []
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
        teachers.append(loaded)
    return teachers


def teacher_probabilities(teachers: Sequence[LoadedModel], clips: Sequence[Path], tta: int = 0) -> np.ndarray:
    """(clips, classes): the teachers' averaged probabilities on ``clips``, each clip decoded for
    each teacher's own front end; with ``tta``, each clip's average over itself and ``tta``
    circularly shifted copies, as ``predict --tta`` scores a window."""
    total = np.zeros((len(clips), len(teachers[0].classes)))
    copies = tta + 1
    for loaded in teachers:
        extractor = loaded.extractor
        for start in range(0, len(clips), BATCH):
            waves = np.stack([load_audio(c, extractor.sample_rate, extractor.clip_seconds) for c in clips[start : start + BATCH]])
            probs = loaded.predict_proba(extractor(shifted_copies(waves, copies) if copies > 1 else waves))
            total[start : start + len(waves)] += probs.reshape(copies, len(waves), -1).mean(axis=0)
    return total / len(teachers)


def teacher_network(teachers: Sequence[LoadedModel], student_features: dict) -> nn.Module:
    """The teachers as one network that reads the student's own features, for consistent teaching:
    every step it scores the very batch the student sees, augmented and mixed (function matching,
    Beyer et al. 2022, "Knowledge distillation: a good teacher is patient and consistent").

    A network teacher must read the features the student reads (``student_features``, the
    extractor's ``describe()``); a linear probe on frozen-backbone embeddings of those features is
    folded into a network (backbone + its head) that does. Prepared for inference (BatchNorm
    folded), frozen; the output is logits (an ensemble: the log of its mean probabilities)."""
    networks = []
    for loaded in teachers:
        if loaded.spec.kind == "network":
            network, reads = loaded.model, loaded.extractor.describe()
        elif isinstance(loaded.extractor, EfficientATEmbeddingExtractor):
            network = classifier_from_probe(loaded.model, len(loaded.classes), loaded.extractor.checkpoint, loaded.extractor.views)
            reads = loaded.extractor.front_end.describe()
        else:
            raise ConfigError(f"distill_consistent: a {loaded.spec.name} teacher cannot score the student's batches; only networks and mn probes can")
        if reads != student_features:
            raise ConfigError(f"distill_consistent: the {loaded.spec.name} teacher reads other features than the student ({reads} vs {student_features})")
        networks.append(inference_copy(network).eval())
    network = networks[0] if len(networks) == 1 else ProbabilityAverage(networks)
    return network.requires_grad_(False).eval()


def fold_teaching(cfg: RunConfig, spec: ModelSpec, manifest: Manifest, train_idx: np.ndarray, x_train: np.ndarray, y_train: np.ndarray,
                  fold: int | None = None, fold_ids: np.ndarray | None = None, report: bool = False) -> tuple[np.ndarray | None, nn.Module | None, np.ndarray | None]:
    """What a student trained on ``train_idx`` learns from: (blended soft targets, or a teacher
    network for consistent teaching; the teacher's probabilities on the clean training clips).
    While fold ``fold`` is held out (cross-validation; ``fold_ids`` says which clip is where) the
    teacher is each teacher run's fold-``fold`` model; with ``fold`` None, model files trained on every fold.
    A teacher network scores the clean clips only when asked (``report``): training never needs it."""
    teachers = load_teachers(teacher_paths(cfg.train.teacher, fold), manifest.classes, fold, manifest.fingerprint(),
                             None if fold_ids is None else fold_signature(fold_ids), official_folds=manifest.folds is not None)
    if cfg.train.distill_consistent:
        network = teacher_network(teachers, spec.extractor(cfg).describe())
        if not report:
            return None, network, None
        with torch.inference_mode():
            said = np.concatenate([network(torch.from_numpy(np.ascontiguousarray(x_train[i : i + BATCH]))).softmax(1).numpy() for i in range(0, len(x_train), BATCH)])
        return None, network, said
    said = teacher_probabilities(teachers, [manifest.clips[i].path for i in train_idx], cfg.train.distill_teacher_tta)
    return blended_targets(y_train, said, cfg.train.distill_weight), None, said


def blended_targets(y: np.ndarray, teacher: np.ndarray, weight: float) -> np.ndarray:
    """(1 - weight) * one-hot(y) + weight * teacher: the student's training targets."""
    one_hot = np.eye(teacher.shape[1])[y]
    return ((1 - weight) * one_hot + weight * teacher).astype(np.float32)
