"""cv --engine ray: folds (and seeds) as Ray tasks write what a sequential run writes; --sweep and --seeds make run folders."""

import json

import pytest

from envsound.config import RunConfig, TrainConfig
from envsound.features.logmel import LogMelConfig
from envsound.training.crossval import cross_validate, cross_validate_runs

pytestmark = pytest.mark.xdist_group("ray")  # every Ray test on one xdist worker: one private Ray instance serves them all

pytest.importorskip("ray")


def _cfg(root, seed=0):
    return RunConfig(dataset=str(root), n_folds=3, features=LogMelConfig(clip_seconds=1.0, n_mels=32),
                     train=TrainConfig(model="compact", model_kwargs={"width": 8}, epochs=3, batch_size=8, warmup_epochs=0, threads=1, seed=seed))


@pytest.mark.slow
def test_ray_folds_equal_sequential_folds_and_resume_across_engines(ray_local, tone_dataset, tmp_path):
    sequential = cross_validate(_cfg(tone_dataset), tmp_path / "seq", verbose=False)
    on_ray, other_seed = cross_validate_runs([(_cfg(tone_dataset), tmp_path / "ray"), (_cfg(tone_dataset, seed=1), tmp_path / "ray-seed1")], verbose=False)
    assert on_ray["fold_accuracy"] == sequential["fold_accuracy"]
    assert json.loads((tmp_path / "ray-seed1" / "config.json").read_text())["seed"] == 1 and len(other_seed["fold_accuracy"]) == 3
    for fold in (1, 2, 3):
        a = json.loads((tmp_path / "seq" / f"fold-{fold}" / "result.json").read_text())
        b = json.loads((tmp_path / "ray" / f"fold-{fold}" / "result.json").read_text())
        assert a["accuracy"] == b["accuracy"] and a["n_test"] == b["n_test"]
    # A run stopped after one fold (sequential) is finished by the other engine.
    partial = tmp_path / "partial"
    cross_validate(RunConfig(**{**_cfg(tone_dataset).__dict__, "folds": (1,)}), partial, verbose=False)
    config = json.loads((partial / "config.json").read_text())
    config["run"]["folds"] = None  # as if the run had been planned for all folds and stopped after fold 1
    config["dataset"]["folds"] = [1, 2, 3]
    (partial / "config.json").write_text(json.dumps(config))
    (partial / "metrics.json").unlink()
    finished = cross_validate_runs([(None, partial)], resume=True, verbose=False)[0]
    assert finished["fold_accuracy"] == sequential["fold_accuracy"]


@pytest.mark.slow
def test_cli_sweep_runs_one_folder_per_value(tone_dataset, tmp_path):
    import subprocess
    import sys

    config = tmp_path / "cfg.json"
    config.write_text(json.dumps({"dataset": str(tone_dataset), "n_folds": 3, "features": {"kind": "logmel", "clip_seconds": 1.0, "n_mels": 32},
                                  "train": {"model": "compact", "model_kwargs": {"width": 8}, "epochs": 1, "batch_size": 8, "warmup_epochs": 0}}))
    result = subprocess.run([sys.executable, "-m", "envsound.cli", "cv", "--config", str(config), "--out", str(tmp_path / "sw"), "--sweep", "lr=0.001,0.003",
                             "--seeds", "0", "--no-report"], capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-2000:]
    for value in ("0.001", "0.003"):
        saved = json.loads((tmp_path / f"sw-lr{value}-seed0" / "config.json").read_text())
        assert saved["run"]["train"]["lr"] == float(value)
        assert (tmp_path / f"sw-lr{value}-seed0" / "metrics.json").exists()
