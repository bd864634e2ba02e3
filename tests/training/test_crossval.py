import json
import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

from envsound.config import RunConfig, TrainConfig
from envsound.errors import RunError
from envsound.features.logmel import LogMelConfig
from envsound.training.crossval import cross_validate


def _cfg(root, epochs=3, **train):
    return RunConfig(
        dataset=str(root),
        n_folds=3,
        features=LogMelConfig(clip_seconds=1.0, n_mels=32),
        train=TrainConfig(model="compact", model_kwargs={"width": 8}, epochs=epochs, batch_size=8, warmup_epochs=1, **train),
    )


def test_cv_writes_config_folds_predictions_and_metrics(tone_dataset, tmp_path):
    run = tmp_path / "run"
    # 18 optimiser steps per fold: too few for a weight average to catch up, so evaluate the last step
    metrics = cross_validate(_cfg(tone_dataset, epochs=6, mixup_alpha=0.0, ema_decay=0.0), run, verbose=False)
    config = json.loads((run / "config.json").read_text())
    assert config["seed"] == 0 and config["run"]["train"]["model"] == "compact"
    assert len(metrics["fold_accuracy"]) == 3 and metrics["mean_accuracy"] > 0.6  # chance is 1/3
    for fold in (1, 2, 3):
        history = json.loads((run / f"fold-{fold}" / "history.json").read_text())
        assert len(history["val_acc"]) == 6 == len(history["train_loss"])
        preds = np.load(run / f"fold-{fold}" / "predictions.npz")
        assert preds["probs"].shape == (10, 3)
        acc = (preds["probs"].argmax(1) == preds["target"]).mean()
        assert acc == pytest.approx(metrics["fold_accuracy"][fold - 1])
        assert not (run / f"fold-{fold}" / "checkpoint.pt").exists()
    assert metrics["mean_accuracy"] == pytest.approx(np.mean(metrics["fold_accuracy"]))


def test_existing_run_dir_is_not_overwritten(tone_dataset, tmp_path):
    (tmp_path / "run").mkdir()
    (tmp_path / "run" / "x").write_text("keep me")
    with pytest.raises(RunError, match="--resume"):
        cross_validate(_cfg(tone_dataset), tmp_path / "run", verbose=False)
    with pytest.raises(RunError, match="nothing to resume"):
        cross_validate(None, tmp_path / "empty", resume=True, verbose=False)


@pytest.mark.slow
def test_kill_9_then_resume_completes_the_run(tone_dataset, tmp_path):
    run = tmp_path / "run"
    cfg_path = tmp_path / "cfg.json"
    cfg_path.write_text(json.dumps(_cfg(tone_dataset, epochs=20).to_dict()))
    cli = [sys.executable, "-m", "envsound.cli"]
    proc = subprocess.Popen([*cli, "cv", "--config", str(cfg_path), "--dataset", str(tone_dataset), "--epochs", "20", "--out", str(run), "--no-report"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    deadline = time.time() + 120
    while not (run / "fold-1" / "checkpoint.pt").exists() and time.time() < deadline:
        time.sleep(0.05)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    assert not (run / "metrics.json").exists()
    import torch

    done_epochs = torch.load(run / "fold-1" / "checkpoint.pt", weights_only=False)["epoch"]
    assert 1 <= done_epochs < 20
    result = subprocess.run([*cli, "cv", "--resume", str(run), "--no-report"], capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr
    metrics = json.loads((run / "metrics.json").read_text())
    assert len(metrics["fold_accuracy"]) == 3
    history = json.loads((run / "fold-1" / "history.json").read_text())
    assert len(history["train_loss"]) == 20  # resumed epochs continue the killed run's history
