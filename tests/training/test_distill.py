"""Distillation: a fold's teacher never saw that fold, and its soft labels are what the student learns."""

import shutil

import numpy as np
import pytest
import torch

from envsound.config import RunConfig, TrainConfig
from envsound.errors import ConfigError, RunError
from envsound.features.logmel import LogMelConfig
from envsound.training.crossval import cross_validate
from envsound.training.distill import blended_targets
from envsound.training.loop import train_network


def _cfg(root, **train):
    return RunConfig(dataset=str(root), n_folds=3, features=LogMelConfig(clip_seconds=1.0, n_mels=32),
                     train=TrainConfig(model="compact", model_kwargs={"width": 8}, epochs=2, batch_size=8, warmup_epochs=0, **train))


@pytest.mark.slow
def test_student_cv_uses_each_folds_teacher_and_refuses_a_leaky_one(tone_dataset, tmp_path):
    teacher = tmp_path / "teacher"
    cross_validate(_cfg(tone_dataset), teacher, verbose=False, save_models=True)
    student = cross_validate(_cfg(tone_dataset, teacher=str(teacher), distill_weight=0.5), tmp_path / "student", verbose=False)
    assert len(student["fold_accuracy"]) == 3
    # Plant a leak: fold 1's model (trained on folds 2 and 3) posing as fold 2's teacher.
    shutil.copy(teacher / "fold-1" / "model.pt", teacher / "fold-2" / "model.pt")
    with pytest.raises(RunError, match="must not include test fold 2"):
        cross_validate(_cfg(tone_dataset, teacher=str(teacher), distill_weight=0.5), tmp_path / "leaky", verbose=False)


@pytest.mark.slow
def test_a_teacher_split_another_way_is_refused(tone_dataset, tmp_path):
    """Without official folds, fold numbers depend on the seed: another seed's fold 1 holds other
    clips, so its teacher may have heard the student's test clips."""
    teacher = tmp_path / "teacher"
    cross_validate(_cfg(tone_dataset, seed=1), teacher, verbose=False, save_models=True)
    with pytest.raises(RunError, match="other clips"):
        cross_validate(_cfg(tone_dataset, teacher=str(teacher), distill_weight=0.5), tmp_path / "student", verbose=False)


@pytest.mark.slow
def test_a_teacher_run_without_fold_models_is_one_clear_error(tone_dataset, tmp_path):
    teacher = tmp_path / "teacher"
    cross_validate(_cfg(tone_dataset), teacher, verbose=False)
    with pytest.raises(RunError, match="--save-models"):
        cross_validate(_cfg(tone_dataset, teacher=str(teacher), distill_weight=0.5), tmp_path / "student", verbose=False)


def test_config_needs_teacher_and_weight_together():
    with pytest.raises(ConfigError, match="both a teacher"):
        TrainConfig(distill_weight=0.5)
    with pytest.raises(ConfigError, match="both a teacher"):
        TrainConfig(teacher="runs/t")
    with pytest.raises(ConfigError, match="distill_weight"):
        TrainConfig(teacher="runs/t", distill_weight=1.5)


def test_soft_targets_are_what_the_network_learns():
    """Labels say class 0 for every example; a teacher that says class 1, at full weight, wins:
    the loop trains on the given targets, not on the labels."""
    torch.manual_seed(0)
    x = torch.randn(64, 4)
    y = torch.zeros(64, dtype=torch.long)
    teacher = np.tile([0.0, 1.0], (64, 1))
    soft = torch.from_numpy(blended_targets(y.numpy(), teacher, 1.0))
    assert torch.allclose(soft.sum(1), torch.ones(64))
    model = torch.nn.Linear(4, 2)
    cfg = TrainConfig(model="compact", epochs=20, batch_size=16, lr=0.05, warmup_epochs=0, ema_decay=0.0, mixup_alpha=0.3)
    train_network(model, x, y, cfg, 2, soft_targets=soft)
    assert (model(x).argmax(1) == 1).all()
    half = blended_targets(np.array([0, 1]), np.array([[0.2, 0.8], [0.6, 0.4]]), 0.5)
    np.testing.assert_allclose(half, [[0.6, 0.4], [0.3, 0.7]])
