"""Run configuration: one frozen dataclass, saved as JSON beside every result.

``features`` is the front end the model reads, tagged by kind (``features/frontends.py``); which
kind a model needs, and which training settings it uses at all, is the model's to say
(``models.registry.resolve`` and ``run_config_dict``), so a saved config says what ran.
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from envsound.data.folders import check_group_pattern
from envsound.errors import ConfigError
from envsound.features.efficientat import EfficientATFrontEndConfig
from envsound.features.frontends import FrontEndConfig, front_end_from_dict
from envsound.features.limits import check_backbone_front_end, check_front_end
from envsound.features.logmel import LogMelConfig
from envsound.utils import check_field_types


@dataclass(frozen=True)
class TrainConfig:
    model: str = "compact"
    model_kwargs: dict = field(default_factory=dict)
    epochs: int = 50
    batch_size: int = 32
    lr: float = 3e-3
    weight_decay: float = 1e-2
    warmup_epochs: float = 3  # fractions allowed: equal-step comparisons on datasets of other sizes
    label_smoothing: float = 0.0
    mixup_alpha: float = 0.3  # 0 disables mixup
    spec_augment: bool = True
    time_roll: bool = True
    gain_db: float = 6.0  # 0 disables random gain
    image_augment: bool = False  # the study's image augmentation (brightness, contrast, noise, flip)
    ema_decay: float = 0.998  # weight average that is evaluated and saved; 0 disables
    head_init: str = "random"  # "probe": fit a linear probe on the frozen backbone first (LP-FT)
    freeze_norm_stats: bool = False  # BatchNorm keeps (and uses) its pretrained running statistics
    wise_alpha: float = 1.0  # WiSE-FT: keep (1 - a) * the LP-FT start + a * the tuned weights; 1: the tuned ones
    sync_batchnorm: bool = False  # under torchrun: batch statistics over all ranks (GPU training only)
    seed: int = 0
    threads: int | None = None  # torch intra-op threads; None = torch's default
    teacher: str | None = None  # distillation: teacher run folders (cv: their fold models) or model files (train), comma-separated
    distill_weight: float = 0.0  # targets = (1 - w) * one-hot + w * the teacher's probabilities
    distill_consistent: bool = False  # the teacher scores the augmented batch the student sees, every step (function matching)
    distill_teacher_tta: int = 0  # fixed targets averaged over the clip and this many circularly shifted copies (predict --tta)
    copy_weight: float = 1.0  # an augmented copy's weight in a scikit-learn fit (its sample_weight); 1: a copy counts as a clip

    def __post_init__(self) -> None:
        check_field_types(self)
        if self.epochs < 1 or self.batch_size < 1 or self.lr <= 0:
            raise ConfigError("epochs, batch_size and lr must be positive")
        if self.warmup_epochs < 0:
            raise ConfigError(f"warmup_epochs must be >= 0, got {self.warmup_epochs}")
        for name in ("lr", "weight_decay", "warmup_epochs", "label_smoothing", "mixup_alpha", "gain_db", "ema_decay", "wise_alpha", "distill_weight", "copy_weight"):
            value = getattr(self, name)
            if not math.isfinite(value):  # a JSON config may spell NaN or Infinity; either trains to garbage
                raise ConfigError(f"{name} must be a finite number, got {value}")
        for name in ("weight_decay", "mixup_alpha", "gain_db"):
            if getattr(self, name) < 0:
                raise ConfigError(f"{name} must be >= 0 (0 turns it off), got {getattr(self, name)}")
        if not 0.0 <= self.label_smoothing < 1.0:
            raise ConfigError(f"label_smoothing must be in [0, 1), got {self.label_smoothing}")
        if self.head_init not in ("random", "probe"):
            raise ConfigError(f"head_init must be 'random' or 'probe', got {self.head_init!r}")
        if not 0.0 <= self.ema_decay < 1.0:
            raise ConfigError(f"ema_decay must be in [0, 1), got {self.ema_decay}")
        if not 0.0 < self.wise_alpha <= 1.0:
            raise ConfigError(f"wise_alpha must be in (0, 1], got {self.wise_alpha}")
        if self.wise_alpha < 1.0 and self.head_init != "probe":
            raise ConfigError("wise_alpha below 1 needs head_init='probe': WiSE-FT averages the tuned weights with the probe they started from")
        if not 0.0 < self.copy_weight <= 1.0:
            raise ConfigError(f"copy_weight must be in (0, 1], got {self.copy_weight}")
        if not 0.0 <= self.distill_weight <= 1.0:
            raise ConfigError(f"distill_weight must be in [0, 1], got {self.distill_weight}")
        if (self.distill_weight > 0) != bool(self.teacher):
            raise ConfigError("distillation needs both a teacher and a distill_weight above 0")
        if self.distill_consistent and not self.teacher:
            raise ConfigError("distill_consistent needs a teacher (and a distill_weight above 0)")
        if self.distill_teacher_tta < 0:
            raise ConfigError(f"distill_teacher_tta must be 0 or more, got {self.distill_teacher_tta}")
        if self.distill_teacher_tta and (self.distill_consistent or not self.teacher):
            raise ConfigError("distill_teacher_tta shifts the clean clips a teacher scores once: it needs a teacher, without distill_consistent")


@dataclass(frozen=True)
class RunConfig:
    """Everything that decides a cross-validation result, so a run can be reproduced from it."""

    dataset: str = "esc50"
    data_root: str | None = None
    folds: tuple[int, ...] | None = None  # None: every fold of the dataset
    n_folds: int = 5  # only for datasets without predefined folds
    group_pattern: str | None = None  # a folder's or CSV's file names -> groups (data/folders.grouped); None: ESC-50-style names
    features: FrontEndConfig = field(default_factory=LogMelConfig)
    train: TrainConfig = field(default_factory=TrainConfig)

    def __post_init__(self) -> None:
        if self.folds is not None and not self.folds:
            raise ConfigError("folds is empty; leave it out (null) to score every fold")
        if self.folds is not None and len(set(self.folds)) != len(self.folds):
            raise ConfigError(f"folds {list(self.folds)}: name each fold to score once")
        if isinstance(self.n_folds, bool) or not isinstance(self.n_folds, int) or self.n_folds < 2:
            raise ConfigError(f"n_folds must be an integer of at least 2, got {self.n_folds!r}")
        if isinstance(self.features, EfficientATFrontEndConfig):
            check_backbone_front_end(self.features)
        check_front_end(self.features)
        if self.group_pattern is not None:
            check_group_pattern(self.group_pattern)

    def to_dict(self) -> dict[str, Any]:
        return {**{f.name: getattr(self, f.name) for f in fields(self) if f.name not in ("features", "train")},
                "folds": list(self.folds) if self.folds is not None else None,
                "features": self.features.to_dict(), "train": asdict(self.train)}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "RunConfig":
        known = {f.name for f in fields(cls)}
        unknown = set(data) - known
        if unknown:
            raise ConfigError(f"unknown config keys: {sorted(unknown)}")
        data = dict(data)
        data["features"] = front_end_from_dict(data.get("features", {}))
        _check_train_keys(data.get("train", {}))
        data["train"] = TrainConfig(**data.get("train", {}))
        if data.get("folds") is not None:
            data["folds"] = tuple(data["folds"])
        return cls(**data)

    def with_train(self, **changes: Any) -> "RunConfig":
        """A plain (unresolved) config with these training settings: another model may read
        another front end, so a config is resolved again after this."""
        _check_train_keys(changes)
        return RunConfig(**{**{f.name: getattr(self, f.name) for f in fields(RunConfig)}, "train": replace(self.train, **changes)})


def _check_train_keys(settings: dict[str, Any]) -> None:
    known = [f.name for f in fields(TrainConfig)]
    unknown = set(settings) - set(known)
    if unknown:
        raise ConfigError(f"unknown training settings: {sorted(unknown)}; known: {', '.join(known)}")


def parse_overrides(items: list[str]) -> dict[str, Any]:
    """``KEY=VALUE`` command-line settings; VALUE is read as JSON where it parses (0.001, false,
    {"width": 32}) and as a plain string otherwise, so ``head_init=probe`` needs no shell quoting."""
    changes: dict[str, Any] = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise ConfigError(f"--set takes KEY=VALUE, got '{item}'")
        try:
            changes[key.strip()] = json.loads(value)
        except json.JSONDecodeError:
            changes[key.strip()] = value
    return changes


def parse_sweep(item: str) -> tuple[str, list[Any]]:
    """``KEY=V1,V2,...`` (a training setting and the values to try), each value read as ``--set`` reads it."""
    key, sep, values = item.partition("=")
    parts = [v for v in values.split(",") if v.strip()]
    if not sep or not key.strip() or len(parts) < 2:
        raise ConfigError(f"--sweep takes KEY=V1,V2[,...] (two values or more), got '{item}'")
    return key.strip(), [parse_overrides([f"{key}={v.strip()}"])[key.strip()] for v in parts]


def run_name_part(key: str, value: Any) -> str:
    """A sweep value as part of a folder name: letters, digits, '.', '_' and '-' only."""
    import re

    return re.sub(r"[^A-Za-z0-9._-]", "_", f"{key}{value}").lstrip(".") or "value"



SHIPPED_CONFIGS = Path(__file__).resolve().parent / "configs"  # the declared recipes, inside the package


def shipped_configs() -> list[str]:
    return sorted(p.stem for p in SHIPPED_CONFIGS.glob("*.json"))


def config_path(value: str | Path) -> Path:
    """A ``--config`` value: a JSON file, or a shipped recipe by name (``mn04_lpft``), which is also
    what ``configs/NAME.json`` means where no such file is (commands recorded in a checkout, where
    the recipes sat in configs/ until 2026-12-07)."""
    path = Path(value)
    if path.is_file():
        return path
    name = path.stem if path.suffix == ".json" and path.parent.name in ("", "configs") else str(value)
    if (SHIPPED_CONFIGS / f"{name}.json").is_file():
        return SHIPPED_CONFIGS / f"{name}.json"
    raise ConfigError(f"{value}: no such config file, and no shipped recipe of that name (shipped: {', '.join(shipped_configs())})")


def load_config(value: str | Path) -> "RunConfig":
    """The RunConfig a ``--config`` value names (a file, or a shipped recipe)."""
    path = config_path(value)
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError) as err:
        raise ConfigError(f"{path}: not a readable JSON config ({err})") from None
    return RunConfig.from_dict(data)
