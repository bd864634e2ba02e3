"""Which torch device does the work: chosen once per process, for scoring and for training.

Inference takes a device per predictor (``choose_device``). Training reads the process's training
device (``use_training_device``, set by ``cv``/``train --device``), like torch's own thread count:
under torchrun each rank of a GPU job takes the GPU numbered by its LOCAL_RANK, so one command line
serves every rank. The default stays the CPU, where every published envsound figure was measured.
"""

from __future__ import annotations

import os

import torch

from envsound.errors import ConfigError

_training = torch.device("cpu")


def choose_device(device: str | None = None) -> torch.device:
    """``None``/``"auto"``: the GPU when torch sees one, else the CPU; ``"cuda"`` where none is
    available is one clear error, not a silent CPU run."""
    if device in (None, "auto"):
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        chosen = torch.device(device)
    except RuntimeError:
        raise ConfigError(f"unknown device '{device}'; use cpu, cuda, cuda:N or auto") from None
    if chosen.type == "cuda" and not torch.cuda.is_available():
        raise ConfigError(f"--device {device}: torch sees no CUDA device here")
    return chosen


def use_training_device(device: str | None = "cpu") -> torch.device:
    """Set (and return) where this process trains. A bare ``cuda`` under torchrun means this
    rank's own GPU, cuda:LOCAL_RANK, which is also made torch's current device (nccl needs it)."""
    global _training
    chosen = choose_device(device)
    if chosen.type == "cuda":
        if chosen.index is None:
            chosen = torch.device("cuda", int(os.environ.get("LOCAL_RANK", "0")))
        if chosen.index >= torch.cuda.device_count():
            raise ConfigError(f"training device {chosen}: torch sees {torch.cuda.device_count()} GPU(s) here")
        torch.cuda.set_device(chosen)
    _training = chosen
    return chosen


def training_device() -> torch.device:
    return _training
