"""Cross-validation on official folds: a fresh model per fold, every result on disk, resumable.

A run directory (its format is ``runs.py``'s) holds ``config.json`` (written once the features
exist), ``fold-K/`` (history, predictions, result, and with ``save_models`` the fold's model) and
``metrics.json`` (written last). Without ``metrics.json`` the run is incomplete, and
``resume=True`` continues it: finished folds are skipped, a fold in progress restarts from its
last epoch checkpoint.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import numpy as np

from envsound.config import RunConfig
from envsound.data import (
    assert_no_leak,
    check_trainable,
    split_indices,
)
from envsound.data.manifest import Manifest
from envsound.engines import check_engine, ray_session
from envsound.errors import RunError
from envsound.models.model_file import save_model
from envsound.models.registry import ModelSpec, run_config_dict
from envsound.progress import console
from envsound.runs import RunFolder, environment, summarize
from envsound.training.distill import fold_signature, fold_teaching
from envsound.training.distributed import World, barrier, current_world
from envsound.training.fitting import Fitted, copy_weights, fit_model, predict_proba
from envsound.training.prepare import load_training_data, training_features
from envsound.utils import (
    exclusive_lock,
    remove_stale_temporaries,
    stable_hash,
)


def cross_validate(cfg: RunConfig | None, run_dir: str | Path, resume: bool = False, command: str | None = None, verbose: bool = True, save_models: bool = False,
                   engine: str = "local", address: str | None = None, cpus_per_fold: int = 1) -> dict[str, Any]:
    """Run (or resume) official-fold cross-validation; returns the metrics written to metrics.json.

    ``save_models`` keeps each fold's trained model as ``fold-K/model.pt`` (a normal model file,
    trained without fold K), so the run can be scored again (corruptions, calibration) without
    retraining. A resumed run keeps the choice it started with.

    One process at a time writes a run folder (a lock beside it); a resume refuses a dataset that
    changed since the run started (its fingerprint is in config.json); the folder is created only
    once the features exist, so a run that cannot start leaves nothing behind.
    """
    run_dir = Path(run_dir)
    if check_engine(engine) == "ray":
        return cross_validate_runs([(cfg, run_dir)], resume, command, verbose, save_models, address, cpus_per_fold)[0]
    world = current_world()
    if world.active:  # under torchrun: rank 0 holds the lock and writes; every rank trains
        if world.is_main:
            with exclusive_lock(run_dir, "this run folder"):
                return _cross_validate(cfg, run_dir, resume, command, verbose, save_models, world)
        return _cross_validate(cfg, run_dir, resume, command, False, save_models, world)
    with exclusive_lock(run_dir, "this run folder"):
        return _cross_validate(cfg, run_dir, resume, command, verbose, save_models, world)


@dataclass
class PreparedRun:
    """What every fold of a run needs, whichever process trains it."""

    cfg: RunConfig
    spec: ModelSpec
    manifest: Manifest
    fingerprint: str
    fold_ids: np.ndarray
    folds: list[int]
    units_per_db: float | None
    x_all: np.ndarray
    y_all: np.ndarray
    originals: np.ndarray
    save_models: bool


def _prepare(cfg: RunConfig | None, run_dir: Path, resume: bool, command: str | None, verbose: bool, save_models: bool, world: World,
             clean: bool = True) -> PreparedRun | dict[str, Any]:
    """Check the run folder, load data and features, write config.json; a finished run's metrics.
    ``clean``: remove temporaries of dead writers (not from a task while sibling folds write)."""
    saved: dict | None = None
    folder = RunFolder(run_dir)
    if resume:
        if not folder.config.exists():
            raise RunError(f"{run_dir}: nothing to resume (no config.json)")
        saved = folder.read_config()
        cfg = RunConfig.from_dict(saved["run"])
        save_models = bool(saved.get("save_models", False))
        if folder.finished:
            return folder.read_metrics()
        if world.is_main and clean:
            remove_stale_temporaries(run_dir, recursive=True)
    else:
        if cfg is None:
            raise RunError("a config is needed for a new run")
        if run_dir.exists() and any(run_dir.iterdir()):
            raise RunError(f"{run_dir}: already exists; pass --resume to continue it or choose another output folder")
    assert cfg is not None
    # resuming from another folder finds relative paths again
    data = load_training_data(cfg, run_dir, (saved or {}).get("working_directory"))
    cfg, spec, manifest, fold_ids = data.cfg, data.spec, data.manifest, data.fold_ids
    fingerprint = manifest.fingerprint()
    if saved is not None and saved.get("dataset", {}).get("fingerprint") not in (None, fingerprint):
        raise RunError(f"{run_dir}: the dataset changed since this run started (clips, labels, folds or file sizes differ); start a new run instead of resuming")
    folds = list(cfg.folds) if cfg.folds else sorted(int(f) for f in np.unique(fold_ids))
    check_trainable(manifest, fold_ids, folds)
    x_all, units_per_db = training_features(data, world, verbose)
    barrier()  # every rank has checked the run folder before rank 0 writes into it
    if not resume and world.is_main:
        run_dir.mkdir(parents=True, exist_ok=True)
        folder.write_config(
            {
                "run": run_config_dict(cfg),
                "seed": cfg.train.seed,
                "command": command,
                "working_directory": str(Path.cwd()),  # relative dataset paths above are relative to it
                "model": {"name": spec.name, "method": spec.method, "pretrained": spec.pretrained, "description": spec.description},
                "dataset": {"name": manifest.name, "clips": len(manifest), "classes": list(manifest.classes), "folds": folds, "fingerprint": fingerprint},
                "environment": environment(),
                "save_models": save_models,
                "started": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            },
        )
    return PreparedRun(cfg, spec, manifest, fingerprint, fold_ids, folds, units_per_db, x_all, manifest.targets, np.array([c.source is None for c in manifest.clips]), save_models)


def _cross_validate(cfg: RunConfig | None, run_dir: Path, resume: bool, command: str | None, verbose: bool, save_models: bool, world: World) -> dict[str, Any]:
    run = _prepare(cfg, run_dir, resume, command, verbose, save_models, world)
    if isinstance(run, dict):
        return run
    for fold in run.folds:
        _run_fold(run, run_dir, fold, verbose, world)
    return _finish(run, run_dir, verbose, world)


def _run_fold(run: PreparedRun, run_dir: Path, fold: int, verbose: bool, world: World) -> None:
    """Train, score and write one fold (skipped when its result is already there)."""
    cfg, spec, manifest = run.cfg, run.spec, run.manifest
    folder = RunFolder(run_dir)
    fold_dir = folder.fold(fold)
    if folder.fold_done(fold):
        return
    if world.is_main:
        fold_dir.mkdir(exist_ok=True)
    barrier()
    train_idx, test_idx = split_indices(run.fold_ids, fold)
    test_idx = test_idx[run.originals[test_idx]]  # augmented copies train, never test
    assert_no_leak(manifest, train_idx, test_idx, check_groups=manifest.folds is None)
    started = time.perf_counter()
    if verbose:
        console.print(f"[bold]fold {fold}[/]: train {len(train_idx)} clips, test {len(test_idx)} clips ({spec.name})")
    identity = stable_hash({"run": run_config_dict(cfg), "data": run.fingerprint, "fold": fold})
    fitted = _fit_fold(spec, cfg, manifest, run.x_all, run.y_all, run.fold_ids, train_idx, test_idx, folder.fold_checkpoint(fold), verbose, run.units_per_db, identity)
    if not world.is_main:  # rank 0 scores and writes the fold; the others wait for it
        barrier()
        return
    probs, history, tuned = predict_proba(spec, fitted.model, run.x_all[test_idx], len(manifest.classes)), fitted.history, fitted.tuned
    if run.save_models:
        trained_on = sorted(int(f) for f in np.unique(run.fold_ids[train_idx]))
        save_model(folder.fold_model(fold), spec, fitted.model, manifest.classes, cfg,
                   {"fold": fold, "trained_on_folds": trained_on, "dataset": manifest.name, "dataset_fingerprint": run.fingerprint,
                    "fold_signature": fold_signature(run.fold_ids), "environment": environment()})
    accuracy = float((probs.argmax(1) == run.y_all[test_idx]).mean())
    # Epoch times survive a resume inside the history; classic models have no epochs.
    seconds = sum(history.get("epoch_seconds", [])) or time.perf_counter() - started
    folder.write_fold(fold, test_idx, np.array([manifest.clips[i].clip_id for i in test_idx]), run.y_all[test_idx], probs, history,
                      {"fold": fold, "accuracy": accuracy, "n_train": len(train_idx), "n_test": len(test_idx), "seconds": seconds, "tuned": tuned,
                       "last_step_accuracy": history.get("final_raw_val_acc")})
    folder.fold_checkpoint(fold).unlink(missing_ok=True)
    barrier()
    if verbose:
        console.print(f"fold {fold}: accuracy [bold]{accuracy:.1%}[/]")


def _finish(run: PreparedRun, run_dir: Path, verbose: bool, world: World) -> dict[str, Any]:
    if not world.is_main:
        barrier()
        return RunFolder(run_dir).read_metrics()
    metrics = summarize(run_dir, run.folds)
    RunFolder(run_dir).write_metrics(metrics)
    barrier()
    if verbose:
        console.print(f"mean accuracy {metrics['mean_accuracy']:.1%} ± {metrics['std_accuracy']:.1%} over folds {run.folds} → {RunFolder(run_dir).metrics}")
    return metrics


def cross_validate_runs(runs: list[tuple[RunConfig | None, Path]], resume: bool = False, command: str | None = None, verbose: bool = True,
                        save_models: bool = False, address: str | None = None, cpus_per_fold: int = 1) -> list[dict[str, Any]]:
    """Several runs (seeds, settings), every fold of every run a Ray task with ``cpus_per_fold``
    CPUs. This process prepares each run folder (config.json, cached features) and holds its lock;
    the folds write what a sequential run writes, so ``--resume`` works across engines."""
    from contextlib import ExitStack

    with ExitStack() as locks, ray_session(address) as ray:
        prepared: list[tuple[Path, PreparedRun | dict[str, Any]]] = []
        for cfg, run_dir in runs:
            locks.enter_context(exclusive_lock(run_dir, "this run folder"))
            prepared.append((run_dir, _prepare(cfg, run_dir, resume, command, verbose, save_models, World())))
        task = ray.remote(num_cpus=cpus_per_fold, max_retries=0)(_fold_task)
        pending = {task.remote(str(run_dir), fold, cpus_per_fold): (run_dir, fold) for run_dir, run in prepared if not isinstance(run, dict)
                   for fold in run.folds if not RunFolder(run_dir).fold_done(fold)}
        while pending:
            done, _ = ray.wait(list(pending), num_returns=1)
            run_dir, fold = pending.pop(done[0])
            accuracy = ray.get(done[0])  # a failed fold raises here; finished folds stay for --resume
            if verbose:
                console.print(f"{run_dir.name} fold {fold}: accuracy [bold]{accuracy:.1%}[/]")
        return [run if isinstance(run, dict) else _finish(run, run_dir, verbose, World()) for run_dir, run in prepared]


def _fold_task(run_dir: str, fold: int, threads: int) -> float:
    """A Ray task: one fold, with torch's threads at the CPUs the task was given (2 folds on 2 CPUs
    must not each start 2 threads)."""
    import torch

    torch.set_num_threads(threads)
    return run_one_fold(run_dir, fold)


def run_one_fold(run_dir: str | Path, fold: int) -> float:
    """Train fold ``fold`` of a prepared run folder (its config.json written, its features cached)
    in this process, and return its accuracy: what a Ray task does. The process that submitted
    the task holds the run folder's lock; every fold writes only its own ``fold-K/``."""
    run_dir = Path(run_dir)
    run = _prepare(None, run_dir, True, None, False, False, World(), clean=False)
    if isinstance(run, dict):
        return float(run["fold_accuracy"][run["folds"].index(fold)])
    _run_fold(run, run_dir, fold, False, World())
    return float(RunFolder(run_dir).read_result(fold)["accuracy"])


def _fit_fold(spec: ModelSpec, cfg: RunConfig, manifest: Manifest, x_all: np.ndarray, y_all: np.ndarray, fold_ids: np.ndarray, train_idx: np.ndarray, test_idx: np.ndarray, checkpoint: Path, verbose: bool, units_per_db: float | None, identity: str) -> Fitted:
    def report(epoch: int, last: dict) -> None:
        if verbose:
            console.print(
                f"  epoch {epoch}/{cfg.train.epochs}  train loss {last['train_loss']:.3f} acc {last['train_acc']:.1%}"
                f"  test loss {last['val_loss']:.3f} acc {last['val_acc']:.1%}  ({last['epoch_seconds']:.1f}s)"
            )

    soft_targets = teacher = None
    if cfg.train.teacher:  # this fold's teacher never saw this fold (distill.load_teachers checks)
        fold = int(np.unique(fold_ids[test_idx])[0])
        soft_targets, teacher, said = fold_teaching(cfg, spec, manifest, train_idx, x_all[train_idx], y_all[train_idx], fold, fold_ids, report=verbose)
        if verbose:  # said is computed then, in either mode
            console.print(f"  teacher agrees with the labels on {(said.argmax(1) == y_all[train_idx]).mean():.1%} of the training clips")
    return fit_model(spec, cfg, x_all[train_idx], y_all[train_idx], fold_ids[train_idx], len(manifest.classes), checkpoint,
                     x_all[test_idx], y_all[test_idx], on_epoch=report, units_per_db=units_per_db, identity=identity, soft_targets=soft_targets, teacher=teacher,
                     weights=copy_weights(manifest, cfg.train.copy_weight)[train_idx])
