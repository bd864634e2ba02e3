"""No silent wrong results: stale checkpoints, concurrent writers, changed data, untrainable splits."""

from __future__ import annotations

import csv
import json
import os
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
import torch

from conftest import tone, write_wav
from envsound.config import RunConfig, TrainConfig
from envsound.data import load_csv, load_dataset
from envsound.errors import AudioError, DatasetError, RunError
from envsound.features.logmel import LogMelConfig
from envsound.training.crossval import cross_validate
from envsound.training.fit import train
from envsound.training.loop import train_network
from envsound.utils import exclusive_lock


def _cfg(root, epochs=2, **train_kw) -> RunConfig:
    return RunConfig(
        dataset=str(root),
        n_folds=3,
        features=LogMelConfig(clip_seconds=1.0, n_mels=32),
        train=TrainConfig(model="compact", model_kwargs={"width": 8}, epochs=epochs, batch_size=8, warmup_epochs=0, mixup_alpha=0.0, ema_decay=0.0, **train_kw),
    )


def test_train_never_resumes_a_checkpoint_of_another_run(tone_dataset, tmp_path, capsys):
    """Another config's run, killed after its last epoch, left ``m.pt.checkpoint``; before the fix,
    `train --out m.pt` resumed it, trained nothing and shipped those weights under the new config."""
    from envsound.models.registry import get_model, resolve

    out = tmp_path / "m.pt"
    cfg = _cfg(tone_dataset, epochs=3)
    spec = get_model("compact")
    shape = spec.extractor(resolve(cfg)).output_shape
    stale = spec.build(3, resolve(cfg))
    train_network(stale, torch.randn(12, *shape), torch.arange(12) % 3, cfg.train, 3, out.with_name("m.pt.checkpoint"), identity="another-run")
    train(cfg, out, verbose=True)
    err = capsys.readouterr().err
    assert "different run" in err and "epoch 1/3" in err and "epoch 3/3" in err  # all epochs trained afresh


def test_two_writers_of_one_run_folder_are_refused(tone_dataset, tmp_path):
    run = tmp_path / "run"
    with exclusive_lock(run, "held by a test"):
        with pytest.raises(RunError, match="another envsound process"):
            cross_validate(_cfg(tone_dataset), run, verbose=False)
    assert not run.exists()


def test_resume_refuses_a_changed_dataset(tone_dataset, tmp_path):
    run = tmp_path / "run"
    cfg = replace(_cfg(tone_dataset), folds=(1,))
    cross_validate(cfg, run, verbose=False)
    (run / "metrics.json").unlink()  # as if killed before the end
    write_wav(tone_dataset / "low" / "low-extra.wav", tone(333))
    with pytest.raises(RunError, match="dataset changed"):
        cross_validate(None, run, resume=True, verbose=False)


def test_a_run_that_cannot_start_leaves_no_folder(tmp_path):
    root = tmp_path / "data"
    for label in ("a", "b", "c"):
        for i in range(3):
            write_wav(root / label / f"{label}{i}.wav", tone(300)).write_bytes(b"not audio")
    with pytest.raises(AudioError, match="could not be read"):
        cross_validate(_cfg(root), tmp_path / "run", verbose=False)
    assert not (tmp_path / "run").exists()


def test_dead_writers_leftovers_are_removed_on_resume(tone_dataset, tmp_path):
    run = tmp_path / "run"
    cfg = replace(_cfg(tone_dataset, epochs=1), folds=(1,))
    cross_validate(cfg, run, verbose=False)
    (run / "metrics.json").unlink()
    dead = run / ".metrics.json.999999999.abcd.tmp"  # pid far above any real one
    live = run / f".metrics.json.{os.getpid()}.abcd.tmp"
    dead.write_text("half")
    live.write_text("in progress")
    cross_validate(None, run, resume=True, verbose=False)
    assert not dead.exists() and live.exists()


def _csv(path: Path, rows: list[tuple]) -> Path:
    with open(path, "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["path", "label", "fold"])
        writer.writerows(rows)
    return path


def _tiny(tone_dataset: Path) -> Path:
    """Two clips per class: too few for three stratified folds."""
    for label in ("low", "mid"):
        for i in range(2):
            write_wav(tone_dataset.parent / "tiny" / label / f"{label}{i}.wav", tone(300 * (i + 1)))
    return tone_dataset.parent / "tiny"


def test_manifests_that_would_silently_mislead_are_refused(tone_dataset, tmp_path):
    low, mid, high = (sorted((tone_dataset / c).glob("*.wav")) for c in ("low", "mid", "high"))
    with pytest.raises(DatasetError, match="fold column is blank on 1 of"):
        load_csv(_csv(tmp_path / "blank.csv", [(low[0], "low", 1), (mid[0], "mid", ""), (high[0], "high", 2)]))
    with pytest.raises(DatasetError, match="listed twice with different labels"):
        load_csv(_csv(tmp_path / "dup.csv", [(low[0], "low", 1), (low[0], "mid", 2)]))
    with pytest.raises(DatasetError, match="listed twice in different folds"):
        load_csv(_csv(tmp_path / "dup2.csv", [(low[0], "low", 1), (low[0], "low", 2)]))
    one_fold = _csv(tmp_path / "one_fold.csv", [(p, "low", 1) for p in low[:3]] + [(p, "mid", 1) for p in mid[:3]])
    tiny = _tiny(tone_dataset)
    with pytest.raises(DatasetError, match="cannot be split into 3 folds"):
        cross_validate(_cfg(tiny), tmp_path / "r0", verbose=False)
    with pytest.raises(DatasetError, match="leaves no training clips"):
        cross_validate(replace(_cfg(one_fold), dataset=str(one_fold)), tmp_path / "r1", verbose=False)
    single = _csv(tmp_path / "single.csv", [(p, "low", i % 2 + 1) for i, p in enumerate(low)])
    for model in ("compact", "logreg"):
        cfg = _cfg(single)
        with pytest.raises(DatasetError, match="at least two"):
            kwargs = cfg.train.model_kwargs if model == "compact" else {}
            cross_validate(replace(cfg, dataset=str(single), train=replace(cfg.train, model=model, model_kwargs=kwargs)), tmp_path / f"r-{model}", verbose=False)
    assert not any((tmp_path / n).exists() for n in ("r1", "r-compact", "r-logreg"))
    binary = tmp_path / "binary.csv"
    binary.write_bytes(bytes(range(256)) * 8)
    with pytest.raises(DatasetError, match="not a readable CSV"):
        load_dataset(str(binary))


def test_a_nan_loss_stops_training_with_one_error():
    model = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(4, 2))
    x = torch.randn(8, 4)
    x[3, 1] = float("nan")
    with pytest.raises(RunError, match="training diverged: the loss is nan"):
        train_network(model, x, torch.tensor([0, 1] * 4), TrainConfig(epochs=2, batch_size=8, warmup_epochs=0, mixup_alpha=0, ema_decay=0), 2)


def test_config_json_records_the_dataset_fingerprint(tone_dataset, tmp_path):
    cross_validate(replace(_cfg(tone_dataset, epochs=1), folds=(1,)), tmp_path / "run", verbose=False)
    saved = json.loads((tmp_path / "run" / "config.json").read_text())
    assert saved["dataset"]["fingerprint"] == load_dataset(str(tone_dataset)).fingerprint()
    assert np.isfinite(json.loads((tmp_path / "run" / "metrics.json").read_text())["mean_accuracy"])
