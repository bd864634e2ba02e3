"""UrbanSound8K end to end on a small synthetic copy in its real layout (the real one is not here):
load, verify, fetch with a checksum from a local server, official 10-fold cross-validation."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import subprocess
import sys
import tarfile
from pathlib import Path

import numpy as np
import pytest

from conftest import tone, write_wav
from envsound.data import get_dataset, load_dataset, urbansound8k
from envsound.data.urbansound8k import CLASSES, METADATA
from envsound.errors import DatasetError, DownloadError


def make_urbansound8k(root: Path, per_fold_and_class: int = 1) -> Path:
    """Folds 1-10, every class in every fold, clips of 1-4 s at mixed rates, one fsID per fold
    and class (slices of one recording share a fold, as in the real set)."""
    rows = []
    for fold in range(1, 11):
        for class_id, name in enumerate(CLASSES):
            fs_id = 1000 * fold + class_id
            for take in range(per_fold_and_class):
                seconds = 1.0 + (fold + class_id + take) % 4 * 0.9
                rate = (22050, 44100, 16000)[(fold + take) % 3]
                file = f"{fs_id}-{class_id}-0-{take}.wav"
                write_wav(root / "audio" / f"fold{fold}" / file, tone(200 + 350 * class_id, seconds, sr=rate, noise=0.02, seed=fold * 100 + take), sr=rate)
                rows.append({"slice_file_name": file, "fsID": fs_id, "start": 0.0, "end": seconds, "salience": 1, "fold": fold, "classID": class_id, "class": name})
    (root / METADATA).parent.mkdir(parents=True, exist_ok=True)
    with open(root / METADATA, "w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return root


@pytest.fixture
def us8k(tmp_path, monkeypatch) -> Path:
    root = make_urbansound8k(tmp_path / "UrbanSound8K")
    monkeypatch.setattr(urbansound8k, "EXPECTED_CLIPS", 100)  # the synthetic copy's size
    return root


def test_load_keeps_official_folds_and_recordings_as_groups(us8k):
    manifest = load_dataset("urbansound8k", us8k)
    assert len(manifest) == 100 and manifest.classes == CLASSES
    assert sorted(set(manifest.folds.tolist())) == list(range(1, 11))
    assert manifest.clips[0].group == "fs1000" and manifest.clips[0].path.parent.name == "fold1"
    info = get_dataset("urbansound8k")
    assert (info.n_folds, info.n_classes, info.clip_seconds) == (10, 10, 4.0)


def test_verify_finds_what_is_wrong(us8k):
    assert urbansound8k.verify_urbansound8k(us8k).ok
    (us8k / "audio" / "fold3" / "3002-2-0-0.wav").unlink()
    lines = (us8k / METADATA).read_text().splitlines()
    moved = lines[1].split(",")
    moved[5] = "2"  # fsID 1000's slice claimed by fold 2 while its file sits in fold 1
    (us8k / METADATA).write_text("\n".join([lines[0], ",".join(moved), *lines[2:]]) + "\n")
    problems = urbansound8k.verify_urbansound8k(us8k).problems
    assert any("3002-2-0-0.wav: missing" in p for p in problems)
    assert any("1000-0-0-0.wav: missing" in p for p in problems)
    with pytest.raises(DatasetError, match="missing metadata"):
        urbansound8k.verify_urbansound8k(us8k.parent / "nowhere")


def _tarball(root: Path) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        tar.add(root, arcname="UrbanSound8K")
    return buffer.getvalue()


def test_fetch_checks_sha256_and_verifies_before_moving_into_place(us8k, tmp_path):
    from test_fetch import _Server

    payload = _tarball(us8k)
    server = _Server(payload)
    try:
        dest = tmp_path / "fetched"
        with pytest.raises(DownloadError, match="sha256 mismatch"):
            urbansound8k.fetch_urbansound8k(dest, url=server.url, sha256="0" * 64)
        assert not dest.exists()
        urbansound8k.fetch_urbansound8k(dest, url=server.url, sha256=hashlib.sha256(payload).hexdigest())
        assert len(load_dataset("urbansound8k", dest)) == 100
        assert sorted(p.name for p in tmp_path.iterdir()) == ["UrbanSound8K", "fetched"]  # no download leftovers
    finally:
        server.close()


@pytest.mark.slow
def test_ten_fold_cross_validation_on_official_folds(us8k, tmp_path):
    """`envsound cv --dataset urbansound8k`: 4-s features, ten folds, each tested on its own clips only."""
    result = subprocess.run([sys.executable, "-m", "envsound.cli", "cv", "--dataset", "urbansound8k", "--data", str(us8k), "--model", "compact",
                             "--epochs", "1", "--set", "batch_size=16", "--set", 'model_kwargs={"width": 8}', "--out", str(tmp_path / "run"), "--no-report"],
                            capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-2000:]
    config = json.loads((tmp_path / "run" / "config.json").read_text())
    assert config["run"]["features"]["clip_seconds"] == 4.0 and config["dataset"]["folds"] == list(range(1, 11))
    for fold in range(1, 11):
        saved = np.load(tmp_path / "run" / f"fold-{fold}" / "predictions.npz")
        assert len(saved["clip"]) == 10 and all(int(clip.split("-")[0]) // 1000 == fold for clip in saved["clip"])  # fsID encodes the fold


def test_cli_lists_and_verifies_named_datasets(us8k):
    listed = subprocess.run([sys.executable, "-m", "envsound.cli", "data", "list"], capture_output=True, text=True, timeout=120)
    assert listed.returncode == 0 and "urbansound8k" in listed.stdout and "humans 81.3%" in listed.stdout
    verify = subprocess.run([sys.executable, "-m", "envsound.cli", "data", "verify", "urbansound8k", "--data", str(us8k)], capture_output=True, text=True, timeout=120)
    assert verify.returncode == 1 and "expected 8732 clips, found 100" in verify.stdout and "100 files present" in verify.stdout
