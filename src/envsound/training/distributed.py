"""Data-parallel training under ``torchrun``: which process this is, and what only one process does.

``torchrun --nproc-per-node N -m envsound.cli cv|train ...`` starts N copies of the command with
RANK, WORLD_SIZE and MASTER_ADDR/PORT set; ``init_from_env`` joins them into one process group
(gloo on the CPU; nccl when the training device is a GPU, each rank on cuda:LOCAL_RANK). Every rank
then runs the same code: it computes the same shuffled order,
takes its share of each batch (the configured batch size stays the *global* batch), and DDP
averages the gradients, so a step equals one single-process step on the whole batch. Only rank 0
writes run files and checkpoints; the others wait for it at barriers. A single process (no
torchrun) sees ``World()`` with size 1 and nothing changes.
"""

from __future__ import annotations

import atexit
import os
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import torch
import torch.distributed as dist

from envsound.devices import training_device
from envsound.errors import ConfigError


@dataclass(frozen=True)
class World:
    rank: int = 0
    size: int = 1
    local_rank: int = 0

    @property
    def is_main(self) -> bool:
        return self.rank == 0

    @property
    def active(self) -> bool:
        return self.size > 1


def current_world() -> World:
    if dist.is_available() and dist.is_initialized():
        return World(dist.get_rank(), dist.get_world_size(), int(os.environ.get("LOCAL_RANK", dist.get_rank())))
    return World()


def init_from_env(timeout_minutes: float = 30.0) -> World:
    """Join torchrun's process group when launched by it (WORLD_SIZE > 1); otherwise a no-op."""
    if int(os.environ.get("WORLD_SIZE", "1")) <= 1 or (dist.is_available() and dist.is_initialized()):
        return current_world()
    if not dist.is_available():
        raise ConfigError("this torch build has no torch.distributed; run without torchrun")
    backend = "nccl" if training_device().type == "cuda" else "gloo"  # set the device first (cli: --device)
    dist.init_process_group(backend=backend, timeout=timedelta(minutes=timeout_minutes))
    atexit.register(_leave)
    return current_world()


def finish() -> None:
    """End a rank that has done its work: leave the group together, then exit at once.

    After a clean ``destroy_process_group`` a gloo rank can still abort in C++ teardown once
    Python has finalised ("terminate called without an active exception": 3 of 18 runs of
    `torchrun --nproc-per-node 2 tests/training/ddp_step.py` here before this, 0 of 12 after), which
    torchrun reports as a failed job although every file is written. A rank
    that got here has nothing left to do, so it flushes its output and skips that teardown."""
    if not current_world().active:
        return
    import logging
    import sys

    _leave()
    sys.stdout.flush()
    sys.stderr.flush()
    logging.shutdown()
    os._exit(0)


def _leave() -> None:
    """Leave the group together and tear it down before the interpreter does: a gloo group
    destroyed during interpreter shutdown can abort a rank ("terminate called without an active
    exception") after its work is done."""
    if dist.is_available() and dist.is_initialized():
        try:
            dist.barrier()
        finally:
            dist.destroy_process_group()


def barrier() -> None:
    if current_world().active:
        dist.barrier()


def sum_across(values: list[float]) -> list[float]:
    """Each value summed over the ranks (metrics counted per rank: loss totals, correct, seen)."""
    world = current_world()
    if not world.active:
        return values
    tensor = torch.tensor(values, dtype=torch.float64, device=training_device())  # nccl reduces GPU tensors only
    dist.all_reduce(tensor, op=dist.ReduceOp.SUM)
    return tensor.tolist()


def gather_to_all(value: Any) -> list[Any]:
    """Every rank's ``value``, in rank order, on every rank."""
    world = current_world()
    if not world.active:
        return [value]
    out: list[Any] = [None] * world.size
    dist.all_gather_object(out, value)
    return out


def rank_batch(batch: torch.Tensor, world: World) -> torch.Tensor:
    """This rank's share of a global batch: every size-th example from position rank."""
    return batch[world.rank :: world.size] if world.active else batch


def check_batch(batch_size: int, world: World) -> None:
    if world.active and batch_size % world.size:
        raise ConfigError(f"batch_size {batch_size} is the global batch and must divide by the {world.size} ranks")


def wrap(model: torch.nn.Module, world: World, sync_batchnorm: bool, device: torch.device | None = None) -> torch.nn.Module:
    """``model`` in DistributedDataParallel (and SyncBatchNorm if asked) when there are ranks.

    SyncBatchNorm replaces the BatchNorm layers *inside* ``model`` (same parameters, so the
    optimiser and the weight average still hold them); ``unwrap_sync_batchnorm`` puts plain ones
    back after training, so saved files and inference never meet it."""
    device = device or torch.device("cpu")
    if not world.active:
        return model
    if sync_batchnorm:
        if device.type != "cuda":  # torch's SyncBatchNorm refuses CPU tensors
            raise ConfigError("sync_batchnorm needs GPU training (--device cuda); on the CPU, freeze_norm_stats=true makes the ranks' steps equal a single process's")
        _replace_batchnorm(model, torch.nn.SyncBatchNorm, only=torch.nn.BatchNorm2d)
    # Pretrained backbones carry parameters the loss never reaches (the AudioSet head beside the new
    # one); DDP must be told, or its gradient reduction waits for them forever.
    ids = [device.index] if device.type == "cuda" else None
    return torch.nn.parallel.DistributedDataParallel(model, device_ids=ids, find_unused_parameters=True)


def unwrap_sync_batchnorm(model: torch.nn.Module) -> None:
    """SyncBatchNorm layers back to BatchNorm2d, with the same parameters and statistics."""
    _replace_batchnorm(model, torch.nn.BatchNorm2d, only=torch.nn.SyncBatchNorm)


def _replace_batchnorm(model: torch.nn.Module, kind: type, only: type) -> None:
    """Every ``only`` layer inside ``model`` swapped for a ``kind`` one sharing its parameters and
    buffers (torch.nn.SyncBatchNorm.convert_sync_batchnorm's idea, both ways, in place; only the
    2-d BatchNorm of spectrogram networks is synced, so the way back is always BatchNorm2d)."""
    for name, child in model.named_children():
        if isinstance(child, only) and type(child) is not kind:
            new = kind(child.num_features, child.eps, child.momentum, child.affine, child.track_running_stats)
            if child.affine:
                new.weight, new.bias = child.weight, child.bias
            new.running_mean, new.running_var, new.num_batches_tracked = child.running_mean, child.running_var, child.num_batches_tracked
            new.train(child.training)
            setattr(model, name, new)
        else:
            _replace_batchnorm(child, kind, only)
