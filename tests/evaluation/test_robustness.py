"""ESC-50-C end to end on a tiny run: fold models kept, scored clean and corrupted on their own folds."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from envsound.config import RunConfig, TrainConfig
from envsound.errors import RunError
from envsound.evaluation.robustness import robustness
from envsound.features.logmel import LogMelConfig
from envsound.runs import recorded_path
from envsound.training.crossval import cross_validate


@pytest.fixture
def saved_run(tone_dataset, tmp_path):
    cfg = RunConfig(dataset=str(tone_dataset), n_folds=3, features=LogMelConfig(clip_seconds=1.0, n_mels=32),
                    train=TrainConfig(model="compact", model_kwargs={"width": 4}, epochs=2, batch_size=8, warmup_epochs=0, mixup_alpha=0.0, ema_decay=0.0))
    cross_validate(cfg, tmp_path / "run", verbose=False, save_models=True)
    return tmp_path / "run"


@pytest.mark.slow
def test_clean_accuracy_equals_the_run_and_corruptions_are_scored(saved_run, tmp_path):
    metrics = json.loads((saved_run / "metrics.json").read_text())
    result = robustness([saved_run], corruptions=("white_noise", "crop"), show_progress=False)
    pooled = np.mean([a for a in metrics["fold_accuracy"]])  # equal fold sizes: pooled = mean of folds
    assert result["clean_accuracy"] == pytest.approx(pooled) and result["clips"] == 30
    assert set(result["accuracy"]) == {"white_noise", "crop"} and all(len(v) == 3 for v in result["accuracy"].values())
    again = robustness([saved_run], corruptions=("white_noise", "crop"), show_progress=False)
    assert again["accuracy"] == result["accuracy"]  # deterministic
    cli = subprocess.run([sys.executable, "-m", "envsound.cli", "robustness", str(saved_run), "--out", str(tmp_path / "c.json"), "--corruptions", "clipping"],
                         capture_output=True, text=True, timeout=300)
    assert cli.returncode == 0, cli.stderr[-1500:]
    assert json.loads((tmp_path / "c.json").read_text())["accuracy"].keys() == {"clipping"}


@pytest.mark.slow
def test_a_run_without_fold_models_says_how_to_get_them(tone_dataset, tmp_path, saved_run):
    for model in saved_run.glob("fold-*/model.pt"):
        model.unlink()
    with pytest.raises(RunError, match="--save-models"):
        robustness([saved_run], corruptions=("crop",), show_progress=False)


@pytest.mark.slow
def test_small_features_of_corrupted_clips_are_cached_and_a_rerun_corrupts_nothing(saved_run, monkeypatch):
    import envsound.evaluation.robustness as module

    calls = []
    real = module.corrupt
    monkeypatch.setattr(module, "corrupt", lambda *a, **k: calls.append(1) or real(*a, **k))
    first = robustness([saved_run], corruptions=("pink_noise",), show_progress=False)
    assert len(calls) == 30 * 3  # every clip of every fold, at three severities
    calls.clear()
    again = robustness([saved_run, saved_run], corruptions=("pink_noise",), show_progress=False)  # members sharing a front end share it
    assert calls == [] and again["accuracy"] == first["accuracy"] and again["clean_accuracy"] == first["clean_accuracy"]
    calls.clear()
    other_seed = robustness([saved_run], corruptions=("pink_noise",), seed=1, show_progress=False)
    assert len(calls) == 90 and other_seed["clips"] == 30  # another seed is another corruption, never a cache hit


def test_members_listing_the_classes_in_another_order_are_averaged_by_class_name():
    """An ensemble member trained on a CSV manifest (classes alphabetical) scores in its own order;
    its columns are moved to the first run's order before averaging."""
    from types import SimpleNamespace

    from envsound.evaluation.robustness import _probabilities

    class Identity:  # features = the signals themselves
        sample_rate, clip_seconds, output_shape = 4, 1.0, (4,)

        def describe(self):
            return {"kind": "identity"}

        def __call__(self, windows):
            return windows

    def member(classes, column):
        def score(features):  # all probability on one named class
            out = np.zeros((len(features), len(classes)))
            out[:, classes.index(column)] = 1.0
            return out
        return SimpleNamespace(extractor=Identity(), score=score, classes=tuple(classes))

    signals = lambda: [np.zeros(4, dtype=np.float32)] * 3  # noqa: E731
    probs = _probabilities([member(["a", "b", "c"], "b"), member(["c", "b", "a"], "b")], signals, None, ("a", "b", "c"))
    np.testing.assert_allclose(probs, [[0.0, 1.0, 0.0]] * 3)
    probs = _probabilities([member(["a", "b", "c"], "a"), member(["c", "b", "a"], "a")], signals, None, ("a", "b", "c"))
    np.testing.assert_allclose(probs, [[1.0, 0.0, 0.0]] * 3)


@pytest.mark.slow
def test_a_run_made_with_a_relative_dataset_path_is_found_from_another_folder(tone_dataset, tmp_path, monkeypatch):
    """A run records --dataset as typed; scoring it again from another working folder used to fail."""
    monkeypatch.chdir(tone_dataset.parent)
    cfg = RunConfig(dataset=tone_dataset.name, n_folds=3, features=LogMelConfig(clip_seconds=1.0, n_mels=32),
                    train=TrainConfig(model="compact", model_kwargs={"width": 4}, epochs=1, batch_size=8, warmup_epochs=0, mixup_alpha=0.0, ema_decay=0.0))
    run = tmp_path / "run"
    cross_validate(cfg, run, verbose=False, save_models=True)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    assert not Path(tone_dataset.name).exists()
    assert robustness([run], corruptions=("crop",), show_progress=False)["clips"] == 30


def test_recorded_paths_are_found_from_where_the_run_started(tmp_path, monkeypatch):
    (tmp_path / "started" / "data").mkdir(parents=True)
    monkeypatch.chdir(tmp_path)
    started = str(tmp_path / "started")
    assert recorded_path("data", started) == str(tmp_path / "started" / "data")
    assert recorded_path("esc50", started) == "esc50"  # a name, not a path: unchanged
    assert recorded_path("missing", started) == "missing"  # the error names what was typed
    assert recorded_path(None, started) is None and recorded_path("data", None) == "data"
    (tmp_path / "data").mkdir()
    assert recorded_path("data", started) == "data"  # existing from here: unchanged
