"""Train one model on a whole dataset (every fold) and write a model file."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np

from envsound.config import RunConfig
from envsound.models.model_file import save_model
from envsound.models.registry import model_license, run_config_dict
from envsound.progress import console
from envsound.runs import environment
from envsound.training.distill import fold_teaching
from envsound.training.distributed import World, barrier, current_world
from envsound.training.fitting import copy_weights, fit_model
from envsound.training.prepare import load_training_data, training_features
from envsound.utils import exclusive_lock, stable_hash


def train(cfg: RunConfig, out: str | Path, command: str | None = None, verbose: bool = True) -> Path:
    """Fit ``cfg.train.model`` on all clips of ``cfg.dataset`` and save it to ``out``.

    The epoch checkpoint beside ``out`` is resumed only when it was written for this same config
    and data; one process at a time writes ``out``.
    """
    out = Path(out)
    world = current_world()
    if not world.is_main:  # under torchrun: rank 0 holds the lock and writes; every rank trains
        return _train(cfg, out, command, False, world)
    with exclusive_lock(out, "this model file"):
        return _train(cfg, out, command, verbose, world)


def _train(cfg: RunConfig, out: Path, command: str | None, verbose: bool, world: World) -> Path:
    data = load_training_data(cfg, out)
    cfg, spec, manifest = data.cfg, data.spec, data.manifest
    x, units_per_db = training_features(data, world, verbose)
    y = data.targets
    started = time.perf_counter()
    n_classes = len(manifest.classes)
    checkpoint = out.with_name(out.name + ".checkpoint")

    def report(epoch: int, last: dict) -> None:
        if verbose:
            console.print(f"  epoch {epoch}/{cfg.train.epochs}  loss {last['train_loss']:.3f}  acc {last['train_acc']:.1%}  ({last['epoch_seconds']:.1f}s)")

    identity = stable_hash({"run": run_config_dict(cfg), "data": manifest.fingerprint(), "out": "train"})
    soft_targets = teacher = None
    if cfg.train.teacher:  # model files trained on every fold
        soft_targets, teacher, _ = fold_teaching(cfg, spec, manifest, np.arange(len(manifest.clips)), x, y)
    fitted = fit_model(spec, cfg, x, y, data.fold_ids, n_classes, checkpoint, on_epoch=report,
                       units_per_db=units_per_db, identity=identity, soft_targets=soft_targets, teacher=teacher,
                       weights=copy_weights(manifest, cfg.train.copy_weight))
    if not world.is_main:
        barrier()
        return out
    checkpoint.unlink(missing_ok=True)
    model = fitted.model
    info = {"dataset": manifest.name, "clips": len(manifest), "train_seconds": time.perf_counter() - started, "command": command, "environment": environment(),
            "license": model_license(cfg, manifest.name)}
    save_model(out, spec, model, manifest.classes, cfg, info)
    barrier()
    if verbose:
        console.print(f"model written to {out}")
    return out
