"""Shared fixtures: synthetic audio made in the test, and the real ESC-50 (or a clear skip)."""

from __future__ import annotations

import os
from pathlib import Path

if os.environ.get("PYTEST_XDIST_WORKER"):
    # Workers share the cores: each gets its share of threads for torch and BLAS, set before they
    # load. With every library taking every core in each worker, they fought (a dense network on
    # ESC-10 took 2.4 s alone and 30 s in the parallel suite).
    _share = max(1, (os.cpu_count() or 1) // int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1")))
    for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ.setdefault(_var, str(_share))

import numpy as np  # noqa: E402
import pytest
import soundfile as sf

from envsound.utils import write_json

REPO = Path(__file__).resolve().parent.parent


def tone(freq: float, seconds: float = 1.0, sr: int = 16000, amp: float = 0.5, noise: float = 0.0, seed: int = 0) -> np.ndarray:
    t = np.arange(int(seconds * sr)) / sr
    rng = np.random.default_rng(seed)
    return (amp * np.sin(2 * np.pi * freq * t) + noise * rng.standard_normal(len(t))).astype(np.float32)


def write_wav(path: Path, signal: np.ndarray, sr: int = 16000) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    sf.write(path, signal, sr)
    return path


def fake_run(run_dir, classes, targets_by_fold, probs_by_fold, dataset="esc50", data_root=None, epochs=4):
    """A finished run folder as `envsound cv` writes it, with chosen predictions."""
    accs = []
    for fold, (t, p) in enumerate(zip(targets_by_fold, probs_by_fold), start=1):
        d = Path(run_dir) / f"fold-{fold}"
        d.mkdir(parents=True)
        np.savez(d / "predictions.npz", index=np.arange(len(t)), clip=np.array([f"{fold}-{i}-A-{x}" for i, x in enumerate(t)]), target=t, probs=p)
        rng = np.random.default_rng(fold)
        write_json(d / "history.json", {k: list(rng.random(epochs)) for k in ("train_loss", "train_acc", "val_loss", "val_acc", "epoch_seconds")})
        accs.append(float((p.argmax(1) == t).mean()))
        write_json(d / "result.json", {"fold": fold, "accuracy": accs[-1], "seconds": 1.0})
    folds = list(range(1, len(accs) + 1))
    write_json(Path(run_dir) / "config.json", {"run": {"dataset": dataset, "data_root": data_root}, "seed": 7, "command": "envsound cv --test", "model": {"name": "fake", "description": "planted"}, "dataset": {"name": dataset, "classes": classes, "folds": folds}, "environment": {"device": "cpu"}})
    write_json(Path(run_dir) / "metrics.json", {"folds": folds, "fold_accuracy": accs, "mean_accuracy": float(np.mean(accs)), "std_accuracy": float(np.std(accs)), "wall_seconds": 5.0})
    return accs


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


@pytest.fixture(scope="session")
def ray_local(tmp_path_factory: pytest.TempPathFactory, shared_weights: Path):
    """One private Ray instance for every Ray test (each start costs seconds); envsound's engines
    join a running instance. Its workers get the tests' feature cache, never the user's, and the
    shared checkpoint folder: they take their environment from the moment Ray starts, so a test
    that would set it later (monkeypatch) is too late, and whichever Ray test runs first must not
    decide what the others find."""
    pytest.importorskip("ray")
    from envsound.engines import ray_session

    os.environ["ENVSOUND_CACHE"] = str(tmp_path_factory.getbasetemp() / "feature-cache")
    os.environ["ENVSOUND_WEIGHTS"] = str(shared_weights)
    with ray_session(num_cpus=2) as ray:
        yield ray


@pytest.fixture
def cli(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture):
    """The envsound command run in this process (no interpreter start, no torch import: seconds
    saved per call): ``cli(*args)`` gives (exit code, stdout, stderr)."""
    import sys

    from envsound.cli.main import main

    def run(*args: object) -> tuple[int, str, str]:
        monkeypatch.setattr(sys, "argv", ["envsound", *map(str, args)])
        with pytest.raises(SystemExit) as stop:
            main()
        captured = capsys.readouterr()
        return stop.value.code, captured.out, captured.err

    return run


@pytest.fixture
def cli_run(cli):
    """What ``subprocess.run([python, -m, envsound.cli, *args])`` gives (returncode, stdout,
    stderr), from the command run in this process."""
    from types import SimpleNamespace

    def run(*args: object) -> SimpleNamespace:
        code, out, err = cli(*args)
        return SimpleNamespace(returncode=code, stdout=out, stderr=err)

    return run
