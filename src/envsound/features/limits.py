"""What a front end's settings may be.

A value of the right type can still be nonsense (a sample rate of 0, a 1-ms clip, more mel bands
than FFT bins), and a model file's metadata is a description, not a proof: its checksum says the
file is whole, not that the file is sane. Every run config passes through ``check_front_end``, so
a bad value is one clear line wherever it came from (a JSON config, ``--set``, a model file).
"""

from __future__ import annotations

import math
from dataclasses import fields
from typing import Any

from envsound.audio import MAX_SAMPLE_RATE, MIN_SAMPLE_RATE
from envsound.errors import ConfigError
from envsound.features.efficientat import EfficientATFrontEndConfig

MIN_CLIP_SECONDS, MAX_CLIP_SECONDS = 0.1, 600.0
MAX_FFT = 65_536
MAX_MELS = 512
# the AudioSet backbone learnt on exactly this front end; only the clip length may differ
BACKBONE_FRONT_END = {f.name: f.default for f in fields(EfficientATFrontEndConfig) if f.name != "clip_seconds"}


def _number(config: Any, name: str, low: float, high: float, integer: bool = False) -> float:
    value = getattr(config, name)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or (integer and not isinstance(value, int)) or not math.isfinite(value):
        raise ConfigError(f"front end: {name} must be a finite {'whole ' if integer else ''}number, got {value!r}")
    if not low <= value <= high:
        raise ConfigError(f"front end: {name} must be from {low:g} to {high:g}, got {value!r}")
    return value


def check_front_end(config: Any) -> None:
    """One ConfigError naming the first setting out of range (two-branch: both parts)."""
    for part in ("logmel", "handcrafted"):
        if hasattr(config, part):
            check_front_end(getattr(config, part))
    if hasattr(config, "logmel"):
        return
    rate = _number(config, "sample_rate", MIN_SAMPLE_RATE, MAX_SAMPLE_RATE, integer=True)
    _number(config, "clip_seconds", MIN_CLIP_SECONDS, MAX_CLIP_SECONDS)
    n_fft = _number(config, "n_fft", 16, MAX_FFT, integer=True)
    _number(config, "hop_length", 1, n_fft, integer=True)
    if hasattr(config, "win_length"):
        _number(config, "win_length", 2, n_fft, integer=True)
    _number(config, "n_mels", 1, min(MAX_MELS, n_fft // 2 + 1), integer=True)
    f_min = _number(config, "f_min", 0.0, rate / 2) if hasattr(config, "f_min") else 0.0
    if getattr(config, "f_max", None) is not None:
        _number(config, "f_max", f_min + 1e-9, rate / 2)
    if hasattr(config, "log_offset"):
        _number(config, "log_offset", 1e-12, 1.0)
    if hasattr(config, "preemphasis"):
        _number(config, "preemphasis", 0.0, 0.999)


def check_backbone_front_end(config: Any) -> None:
    """A run of the AudioSet backbone reads the front end it was trained on: a changed rate or mel
    count would not fail, it would quietly give worse answers."""
    changed = {name: getattr(config, name) for name, value in BACKBONE_FRONT_END.items() if getattr(config, name) != value}
    if changed:
        name, value = next(iter(changed.items()))
        raise ConfigError(f"front end: the AudioSet backbone was trained with {name} {BACKBONE_FRONT_END[name]!r}, not {value!r} (only clip_seconds may change)")
