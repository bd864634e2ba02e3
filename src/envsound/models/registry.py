"""Every model envsound can train, by name: what it is built from and which features it reads."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable, Literal

from envsound.errors import ConfigError

if TYPE_CHECKING:
    from envsound.features.cache import Extractor
    from envsound.training.config import RunConfig


@dataclass(frozen=True)
class ModelSpec:
    name: str
    kind: Literal["network", "classic"]  # nn.Module trained by the loop, or an sklearn estimator
    method: str  # the benchmark schema's method: scratch, classic, two_branch, linear_probe, fine_tune
    pretrained: bool
    description: str
    build: Callable[[int, "RunConfig"], Any]
    extractor: Callable[["RunConfig"], "Extractor"]


def _logmel(cfg: "RunConfig") -> "Extractor":
    from envsound.features.logmel import LogMelExtractor

    return LogMelExtractor(cfg.features)


def _study_cnn(n_classes: int, cfg: "RunConfig") -> Any:
    from envsound.models.cnn import StudyCNN

    return StudyCNN(n_classes, n_mels=cfg.features.n_mels, **cfg.train.model_kwargs)


def _compact_cnn(n_classes: int, cfg: "RunConfig") -> Any:
    from envsound.models.cnn import CompactCNN

    return CompactCNN(n_classes, n_mels=cfg.features.n_mels, **cfg.train.model_kwargs)


MODELS: dict[str, ModelSpec] = {}


def register(spec: ModelSpec) -> ModelSpec:
    MODELS[spec.name] = spec
    return spec


register(ModelSpec("study_cnn", "network", "scratch", False, "the study's AlexNet-like CNN on log-mels", _study_cnn, _logmel))
register(ModelSpec("compact", "network", "scratch", False, "small residual CNN sized for CPU training", _compact_cnn, _logmel))


def get_model(name: str) -> ModelSpec:
    try:
        return MODELS[name]
    except KeyError:
        raise ConfigError(f"unknown model '{name}'; choose from: {', '.join(sorted(MODELS))}") from None
