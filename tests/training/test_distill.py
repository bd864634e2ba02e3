"""Distillation: a fold's teacher never saw that fold, and its soft labels are what the student learns."""

import math
import shutil

import numpy as np
import pytest
import torch

from envsound.config import RunConfig, TrainConfig
from envsound.errors import ConfigError, RunError
from envsound.features.logmel import LogMelConfig
from envsound.models.registry import resolve
from envsound.training.crossval import cross_validate
from envsound.training.distill import blended_targets, teacher_network
from envsound.training.loop import consistent_targets, train_network


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


class _Recorder(torch.nn.Module):
    """Wraps a network and keeps a copy of every training-time input it is given."""

    def __init__(self, inner: torch.nn.Module) -> None:
        super().__init__()
        self.inner, self.seen = inner, []

    def forward(self, x):
        self.seen.append(x.detach().clone())
        return self.inner(x)


def test_a_consistent_teacher_scores_exactly_what_the_student_reads():
    """Function matching: every step the teacher gets the augmented, mixed batch the student
    trains on (not the clean clips); at full weight its answers are what the student learns."""
    torch.manual_seed(0)
    x = torch.randn(48, 1, 8, 20)
    y = torch.zeros(48, dtype=torch.long)  # labels say class 0 ...
    student = _Recorder(torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(160, 2)))
    says_one = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(160, 2))
    with torch.no_grad():
        says_one[1].weight.zero_()
        says_one[1].bias.copy_(torch.tensor([-8.0, 8.0]))  # ... the teacher says class 1
    teacher = _Recorder(says_one)
    cfg = TrainConfig(model="compact", epochs=15, batch_size=16, lr=0.05, warmup_epochs=0, ema_decay=0.0, mixup_alpha=0.3,
                      teacher="t", distill_weight=1.0, distill_consistent=True)
    train_network(student, x, y, cfg, 2, teacher=teacher)
    steps = 15 * 3
    assert len(teacher.seen) == steps and len(student.seen) >= steps  # the student also sees the test-time pass
    for said, read in zip(teacher.seen, student.seen[:steps]):
        torch.testing.assert_close(said, read, rtol=0, atol=0)
    assert not any(torch.equal(said, x[: len(said)]) for said in teacher.seen)  # augmented, not the clean clips
    student.eval()
    assert (student(x).argmax(1) == 1).float().mean() > 0.8  # the labels alone would give 0


def test_consistent_targets_blend_the_mixed_labels_with_the_teacher():
    teacher = torch.nn.Linear(3, 2)
    with torch.no_grad():
        teacher.weight.zero_()
        teacher.bias.copy_(torch.tensor([0.0, math.log(3.0)]))  # probabilities 0.25, 0.75
    mixed = torch.tensor([[0.7, 0.3], [1.0, 0.0]])
    out = consistent_targets(teacher, torch.zeros(2, 3), mixed, 0.5)
    torch.testing.assert_close(out, torch.tensor([[0.475, 0.525], [0.625, 0.375]]))


def test_config_refuses_consistency_without_a_teacher():
    with pytest.raises(ConfigError, match="distill_consistent needs a teacher"):
        TrainConfig(distill_consistent=True)


def test_config_refuses_teacher_tta_where_it_cannot_apply():
    with pytest.raises(ConfigError, match="0 or more"):
        TrainConfig(teacher="runs/t", distill_weight=0.5, distill_teacher_tta=-1)
    with pytest.raises(ConfigError, match="without distill_consistent"):
        TrainConfig(teacher="runs/t", distill_weight=0.5, distill_consistent=True, distill_teacher_tta=2)
    with pytest.raises(ConfigError, match="needs a teacher"):
        TrainConfig(distill_teacher_tta=2)


class _PositionTeacher:
    """A stand-in teacher whose answer depends on where in the clip the sound is: the share of
    energy in the first half of the clip is its probability of class 0."""

    classes = ("early", "late")

    class extractor:  # noqa: N801 - the attribute a LoadedModel has
        sample_rate, clip_seconds = 1000, 0.1

        def __new__(cls, waves):
            return waves

    @staticmethod
    def predict_proba(waves):
        energy = waves.astype(np.float64) ** 2
        early = energy[:, : waves.shape[1] // 2].sum(1) / energy.sum(1)
        return np.stack([early, 1 - early], axis=1)


def test_teacher_tta_averages_the_teacher_over_shifted_copies(tmp_path, monkeypatch):
    """Targets with ``tta`` are the teacher's mean over the clip and its circular shifts by 1/3
    and 2/3, clip by clip (a batch boundary included), and differ from the unshifted answer."""
    import soundfile as sf

    from envsound.training import distill

    rng = np.random.default_rng(0)
    paths, clips = [], []
    for i in range(5):
        clip = np.zeros(100, dtype=np.float32)
        clip[i * 10 : i * 10 + 15] = rng.uniform(0.2, 0.5, 15)
        paths.append(tmp_path / f"{i}.wav")
        sf.write(paths[-1], clip, 1000, subtype="FLOAT")
        clips.append(clip)
    teacher = _PositionTeacher()
    plain = distill.teacher_probabilities([teacher], paths)
    np.testing.assert_allclose(plain, teacher.predict_proba(np.stack(clips)), atol=1e-6)
    monkeypatch.setattr(distill, "BATCH", 2)
    shifted = distill.teacher_probabilities([teacher], paths, tta=2)
    expected = np.mean([teacher.predict_proba(np.roll(np.stack(clips), shift, axis=1)) for shift in (0, 33, 67)], axis=0)
    np.testing.assert_allclose(shifted, expected, atol=1e-6)
    assert np.abs(shifted - plain).max() > 0.2


def test_a_probe_teacher_becomes_a_network_on_the_students_features(shared_weights, monkeypatch):
    """The linear probe (an estimator on frozen-backbone embeddings) is folded into backbone + head
    reading the log-mels a fine-tuned student reads; its probabilities are the model file's."""
    from envsound.features.efficientat import EfficientATLogMelExtractor
    from envsound.models.embedding import EfficientATEmbeddingExtractor
    from envsound.models.model_file import LoadedModel
    from envsound.models.registry import get_model

    monkeypatch.setenv("ENVSOUND_WEIGHTS", str(shared_weights))
    extractor = EfficientATEmbeddingExtractor(clip_seconds=1.0)
    rng = np.random.default_rng(0)
    waves = (rng.normal(0, 0.1, (12, 32000)) * np.linspace(0.2, 1, 12)[:, None]).astype(np.float32)
    y = np.repeat(np.arange(3), 4)
    spec = get_model("mn04_probe")
    probe = spec.build(3, resolve(RunConfig().with_train(model="mn04_probe")))
    probe.fit(extractor(waves), y)
    loaded = LoadedModel(spec, probe, extractor, ("a", "b", "c"), RunConfig(), {})
    student_front_end = EfficientATLogMelExtractor(config=extractor.config.front_end)
    network = teacher_network([loaded], student_front_end.describe())
    with torch.inference_mode():
        ours = network(torch.from_numpy(student_front_end(waves))).softmax(1).numpy()
    np.testing.assert_allclose(ours, probe.predict_proba(extractor(waves)), atol=1e-4)
    assert not any(p.requires_grad for p in network.parameters())
    with pytest.raises(ConfigError, match="reads other features than the student"):
        teacher_network([loaded], {**student_front_end.describe(), "n_mels": 64})


@pytest.mark.slow
def test_consistent_student_cv_still_refuses_a_leaky_teacher(tone_dataset, tmp_path):
    teacher = tmp_path / "teacher"
    cross_validate(_cfg(tone_dataset), teacher, verbose=False, save_models=True)
    student = cross_validate(_cfg(tone_dataset, teacher=str(teacher), distill_weight=0.5, distill_consistent=True), tmp_path / "student", verbose=True)
    assert len(student["fold_accuracy"]) == 3
    shutil.copy(teacher / "fold-1" / "model.pt", teacher / "fold-2" / "model.pt")
    with pytest.raises(RunError, match="must not include test fold 2"):
        cross_validate(_cfg(tone_dataset, teacher=str(teacher), distill_weight=0.5, distill_consistent=True), tmp_path / "leaky", verbose=False)


@pytest.mark.slow
@pytest.mark.parametrize("consistent", [False, True])
def test_train_on_every_fold_learns_from_a_teacher_file(tone_dataset, tmp_path, consistent):
    """`envsound train` with a teacher: a model file trained on every fold; a run folder is refused."""
    from envsound.models.model_file import load_model
    from envsound.training.fit import train

    teacher = train(_cfg(tone_dataset), tmp_path / "teacher.pt", verbose=False)
    student = train(_cfg(tone_dataset, teacher=str(teacher), distill_weight=0.5, distill_consistent=consistent), tmp_path / "student.pt", verbose=False)
    assert load_model(student).config.train.distill_consistent is consistent
    with pytest.raises(ConfigError, match="model files trained on every fold"):
        train(_cfg(tone_dataset, teacher=str(tmp_path), distill_weight=0.5, distill_consistent=consistent), tmp_path / "bad.pt", verbose=False)
