"""What ``train`` and ``cv`` do before any fitting: one config resolution, one dataset load, one
feature pass. They differ only in what comes after: one model on every clip, or one per fold."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from envsound.config import RunConfig
from envsound.data import check_trainable, fold_assignment
from envsound.data.manifest import Manifest
from envsound.features.cache import load_or_compute
from envsound.models.registry import ModelSpec, get_model, resolve
from envsound.runs import load_recorded_dataset
from envsound.training.distributed import World, barrier
from envsound.utils import seed_everything


@dataclass
class TrainingData:
    """A resolved config, its model, its dataset and the dataset's folds (official, or grouped
    folds of a folder or CSV, seeded by the config)."""

    cfg: RunConfig
    spec: ModelSpec
    manifest: Manifest
    fold_ids: np.ndarray

    @property
    def targets(self) -> np.ndarray:
        return self.manifest.targets


def load_training_data(cfg: RunConfig, output: Path, working_directory: str | None = None) -> TrainingData:
    """The config resolved once, its dataset loaded (relative paths as recorded from
    ``working_directory``, when resuming from elsewhere), and ``output`` refused inside it."""
    cfg = resolve(cfg)
    manifest = load_recorded_dataset(cfg.dataset, cfg.data_root, working_directory, cfg.group_pattern)
    manifest.check_output_outside(output)
    fold_ids = fold_assignment(manifest, cfg.n_folds, cfg.train.seed)
    check_trainable(manifest, fold_ids, [])
    return TrainingData(cfg, get_model(cfg.train.model), manifest, fold_ids)


def training_features(data: TrainingData, world: World, verbose: bool) -> tuple[np.ndarray, float | None]:
    """(every clip's features, the front end's units per dB for level augmentation), seeded; under
    torchrun rank 0 fills the feature cache first and the other ranks then read it."""
    seed_everything(data.cfg.train.seed)
    extractor = data.spec.extractor(data.cfg)
    if not world.is_main:
        barrier()
    features = load_or_compute(data.manifest, extractor, show_progress=verbose)
    if world.is_main:
        barrier()
    return np.asarray(features.features), getattr(extractor, "units_per_db", None)
