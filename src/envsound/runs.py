"""The run folder, envsound's unit of record: what cross-validation and ensembles write and what
reports, comparisons and ensembles read. One module owns its layout.

``config.json`` (what ran: config, seed, command and the folder it was typed in, dataset with
fingerprint, environment), then
``fold-K/`` with ``history.json``, ``predictions.npz`` and ``result.json``, and ``metrics.json``
written last: a folder without it is incomplete.
"""

from __future__ import annotations

import os
import platform
import sys
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import numpy as np
import torch

from envsound._version import __version__
from envsound.data import load_dataset
from envsound.data.manifest import Manifest
from envsound.devices import training_device
from envsound.errors import RunError
from envsound.models.calibration import cross_fit, ece, nll
from envsound.utils import atomic_path, read_json, write_json


def environment() -> dict[str, Any]:
    trained_on = training_device()
    return {
        "envsound": __version__,
        "python": sys.version.split()[0],
        "torch": torch.__version__,
        "platform": platform.platform(),
        "device": device_name(),
        "threads": torch.get_num_threads(),
        "training_device": str(trained_on),
        **({"gpu": torch.cuda.get_device_name(trained_on)} if trained_on.type == "cuda" else {}),
    }


def device_name() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"cpu: {cpu} ({os.cpu_count()} cores)"


@dataclass(frozen=True)
class RunFolder:
    """A run folder's layout: every writer (``cv``, ``train``'s checkpoints, ensembles) and reader
    (reports, comparisons, calibration, robustness, distillation) names its files through here."""

    path: Path

    def __post_init__(self) -> None:
        object.__setattr__(self, "path", Path(self.path))

    @property
    def config(self) -> Path:
        return self.path / "config.json"

    @property
    def metrics(self) -> Path:
        return self.path / "metrics.json"

    @property
    def finished(self) -> bool:
        """``metrics.json`` is written last: without it a run is incomplete."""
        return self.metrics.exists()

    def fold(self, fold: int) -> Path:
        return self.path / f"fold-{fold}"

    def fold_result(self, fold: int) -> Path:
        return self.fold(fold) / "result.json"

    def fold_model(self, fold: int) -> Path:
        return self.fold(fold) / "model.pt"

    def fold_checkpoint(self, fold: int) -> Path:
        return self.fold(fold) / "checkpoint.pt"

    def fold_done(self, fold: int) -> bool:
        """A fold's ``result.json`` is written after its predictions and model: it marks the fold done."""
        return self.fold_result(fold).exists()

    def require_finished(self) -> None:
        if not self.finished:
            raise RunError(f"{self.path}: not a finished run (no metrics.json); finish it with `envsound cv --resume {self.path}`")

    def saved_fold_model(self, fold: int) -> Path:
        """A fold's saved model, or one line saying how to get it."""
        path = self.fold_model(fold)
        if not path.is_file():
            raise RunError(f"{self.path}: no fold models (fold-{fold}/model.pt); rerun it with `envsound cv --save-models`")
        return path

    def read_config(self) -> dict[str, Any]:
        return read_json(self.config)

    def read_metrics(self) -> dict[str, Any]:
        return read_json(self.metrics)

    def read_result(self, fold: int) -> dict[str, Any]:
        return read_json(self.fold_result(fold))

    def read_history(self, fold: int) -> dict[str, Any]:
        return read_json(self.fold(fold) / "history.json")

    def read_fold_predictions(self, fold: int) -> dict[str, np.ndarray]:
        """A fold's saved test predictions: ``index``, ``clip``, ``target`` and ``probs``."""
        with np.load(self.fold(fold) / "predictions.npz") as saved:
            return {key: saved[key] for key in saved.files}

    def write_config(self, config: dict[str, Any]) -> None:
        write_json(self.config, config)

    def write_metrics(self, metrics: dict[str, Any]) -> None:
        write_json(self.metrics, metrics)

    def write_fold(self, fold: int, test_idx: np.ndarray, clips: np.ndarray, targets: np.ndarray, probs: np.ndarray, history: dict, result: dict) -> None:
        """A fold's history and test predictions, then its result (which marks it done)."""
        fold_dir = self.fold(fold)
        fold_dir.mkdir(parents=True, exist_ok=True)
        write_json(fold_dir / "history.json", history)
        with atomic_path(fold_dir / "predictions.npz") as tmp:
            with open(tmp, "wb") as handle:
                np.savez(handle, index=test_idx, clip=clips, target=targets, probs=probs.astype(np.float32))
        write_json(self.fold_result(fold), result)


def summarize(run_dir: Path, folds: list[int]) -> dict[str, Any]:
    folder = RunFolder(run_dir)
    results = [folder.read_result(f) for f in folds]
    accuracies = [r["accuracy"] for r in results]
    summary = {
        "folds": folds,
        "fold_accuracy": accuracies,
        "mean_accuracy": float(np.mean(accuracies)),
        "std_accuracy": float(np.std(accuracies)),
        "wall_seconds": float(sum(r["seconds"] for r in results)),
        "finished": datetime.now(timezone.utc).isoformat(timespec="seconds"),
    }
    targets, probs, fold_of, _ = read_predictions(run_dir, folds)
    summary["calibration"] = {"ece": ece(probs, targets), "nll": nll(probs, targets)}
    if len(folds) > 1:  # cross-fitted: each fold calibrated and thresholded from the other folds only
        summary["calibration"] = {k: v for k, v in cross_fit(probs, targets, fold_of).items() if k != "per_fold"}
    last_step = [r.get("last_step_accuracy") for r in results]
    if all(a is not None for a in last_step):  # networks trained with a weight average
        summary["fold_accuracy_last_step"] = last_step
        summary["mean_accuracy_last_step"] = float(np.mean(last_step))
    return summary


@dataclass
class RunResults:
    run_dir: Path
    config: dict
    metrics: dict
    classes: list[str]
    folds: list[int]
    targets: np.ndarray  # every test clip of every fold, fold order
    probs: np.ndarray
    clip_ids: list[str]
    histories: dict[int, dict[str, list[float]]]
    fold_of: np.ndarray  # the test fold of every prediction

    @property
    def predictions(self) -> np.ndarray:
        return self.probs.argmax(axis=1)


def load_run(run_dir: str | Path) -> RunResults:
    folder = RunFolder(run_dir)
    folder.require_finished()
    config, metrics = folder.read_config(), folder.read_metrics()
    targets, probs, fold_of, clips = read_predictions(folder.path, metrics["folds"])
    histories = {fold: folder.read_history(fold) for fold in metrics["folds"]}
    return RunResults(folder.path, config, metrics, config["dataset"]["classes"], metrics["folds"], targets, probs, clips, histories, fold_of)


def recorded_path(path: str | None, working_directory: str | None) -> str | None:
    """A dataset path a run recorded as typed, found again from another folder: a relative path
    that does not exist from here is taken from the folder the run was started in, if it exists
    there. Names (``esc50``) and absolute paths pass through."""
    if path is None or working_directory is None or Path(path).is_absolute() or Path(path).exists():
        return path
    started_in = Path(working_directory) / path
    return str(started_in) if started_in.exists() else path


def load_recorded_dataset(dataset: str, data_root: str | None, working_directory: str | None, group_pattern: str | None = None) -> Manifest:
    """A dataset as a run recorded it (``--dataset``, ``--data``, ``--group-pattern``), loadable from any working folder."""
    return load_dataset(recorded_path(dataset, working_directory) or dataset, recorded_path(data_root, working_directory), group_pattern)


def run_dataset(config: dict[str, Any]) -> Manifest:
    """The dataset a run (its ``config.json``) was made on, loadable from any working folder."""
    return load_recorded_dataset(config["run"]["dataset"], config["run"].get("data_root"), config.get("working_directory"), config["run"].get("group_pattern"))


def read_predictions(run_dir: Path, folds: list[int]) -> tuple[np.ndarray, np.ndarray, np.ndarray, list[str]]:
    """(targets, probabilities, fold of each, clip ids) of every test fold, in fold order."""
    targets, probs, fold_of, clips = [], [], [], []
    folder = RunFolder(run_dir)
    for fold in folds:
        saved = folder.read_fold_predictions(fold)
        targets.append(saved["target"])
        probs.append(saved["probs"])
        fold_of.append(np.full(len(saved["target"]), fold))
        clips.extend(saved["clip"].tolist())
    return np.concatenate(targets), np.concatenate(probs), np.concatenate(fold_of), clips
