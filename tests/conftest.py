"""Shared fixtures: synthetic audio made in the test, and the real ESC-50 (or a clear skip)."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

REPO = Path(__file__).resolve().parent.parent


def tone(freq: float, seconds: float = 1.0, sr: int = 16000, amp: float = 0.5, noise: float = 0.0, seed: int = 0) -> np.ndarray:
    t = np.arange(int(seconds * sr)) / sr
    rng = np.random.default_rng(seed)
    return (amp * np.sin(2 * np.pi * freq * t) + noise * rng.standard_normal(len(t))).astype(np.float32)


def write_wav(path: Path, signal: np.ndarray, sr: int = 16000) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    sf.write(path, signal, sr)
    return path


@pytest.fixture
def tone_dataset(tmp_path: Path) -> Path:
    """Folder-per-class dataset: 3 classes of tones (distinct pitch bands), 10 clips each."""
    root = tmp_path / "tones"
    for label, base in (("low", 300.0), ("mid", 1200.0), ("high", 4000.0)):
        for i in range(10):
            write_wav(root / label / f"{label}-{i}.wav", tone(base * (1 + 0.03 * i), seconds=1.0, noise=0.05, seed=i))
    return root


@pytest.fixture(scope="session")
def esc50_root() -> Path:
    root = Path(os.environ.get("ENVSOUND_ESC50", REPO.parent / "shared" / "data" / "esc50"))
    if not (root / "meta" / "esc50.csv").exists():
        if os.environ.get("CI") == "true":
            pytest.fail(f"real ESC-50 not found at {root} (required under CI=true; set ENVSOUND_ESC50)")
        pytest.skip(f"real ESC-50 not found at {root}; set ENVSOUND_ESC50 to run real-data tests")
    return root


@pytest.fixture(autouse=True)
def _isolated_cache(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every test gets a feature cache of its own session-wide folder, never the user's."""
    monkeypatch.setenv("ENVSOUND_CACHE", str(tmp_path_factory.getbasetemp() / "feature-cache"))


@pytest.fixture(scope="session")
def shared_weights() -> Path:
    """The AudioSet checkpoint that stands in for a user's download."""
    folder = Path(os.environ.get("ENVSOUND_WEIGHTS", REPO.parent / "shared" / "models" / "efficientat"))
    if not (folder / "mn04_as_mAP_432.pt").exists():
        if os.environ.get("CI") == "true":
            pytest.fail(f"EfficientAT weights not found in {folder} (required under CI=true)")
        pytest.skip(f"EfficientAT weights not found in {folder}; set ENVSOUND_WEIGHTS")
    return folder
