"""Front-end configurations by kind: what turns a waveform into what a model reads.

A run's config names its front end by ``kind`` (as lhotse registers feature extractors with their
config types), so a saved config rebuilds the same extractor and says truthfully what the model
saw: 32 kHz and 128 Kaldi mels for the AudioSet backbone, 16 kHz and 64 Slaney mels for the CNNs.
Each config class is registered here with its kind; ``front_end_from_dict`` reads any of them, and
a dict without a kind (configs written before kinds existed) is a log-mel config, as it was then.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Any, Union

from envsound.errors import ConfigError
from envsound.features.efficientat import EfficientATEmbeddingConfig, EfficientATFrontEndConfig
from envsound.features.handcrafted import HandcraftedConfig
from envsound.features.logmel import LogMelConfig
from envsound.utils import check_field_types


@dataclass(frozen=True)
class TwoBranchConfig:
    """The two-branch network's input: hand-crafted vector and log-mel of the same clip."""

    logmel: LogMelConfig = field(default_factory=LogMelConfig)
    handcrafted: HandcraftedConfig = field(default_factory=HandcraftedConfig)

    @property
    def clip_seconds(self) -> float:
        return self.logmel.clip_seconds

    @property
    def sample_rate(self) -> int:
        return self.logmel.sample_rate

    def to_dict(self) -> dict:
        return {"kind": "two-branch", "logmel": self.logmel.to_dict(), "handcrafted": self.handcrafted.to_dict()}


FrontEndConfig = Union[LogMelConfig, EfficientATFrontEndConfig, EfficientATEmbeddingConfig, HandcraftedConfig, TwoBranchConfig]

FRONT_ENDS: dict[str, type] = {
    "logmel": LogMelConfig,
    "efficientat-logmel": EfficientATFrontEndConfig,
    "efficientat-embedding": EfficientATEmbeddingConfig,
    "handcrafted": HandcraftedConfig,
    "two-branch": TwoBranchConfig,
}


def kind_of(config: Any) -> str:
    return config.to_dict()["kind"]


def front_end_from_dict(data: dict[str, Any]) -> Any:
    """The config a ``to_dict()`` wrote; no ``kind`` means log-mel (the only kind before there were kinds)."""
    data = dict(data)
    kind = data.pop("kind", "logmel")
    try:
        cls = FRONT_ENDS[kind]
    except KeyError:
        raise ConfigError(f"unknown front end kind '{kind}'; known: {', '.join(FRONT_ENDS)}") from None
    if cls is TwoBranchConfig:
        return TwoBranchConfig(front_end_from_dict(data.get("logmel", {})), front_end_from_dict({"kind": "handcrafted", **data.get("handcrafted", {})}))
    known = {f.name for f in fields(cls)}
    unknown = set(data) - known
    if unknown:
        raise ConfigError(f"unknown settings for front end '{kind}': {sorted(unknown)}; known: {', '.join(sorted(known))}")
    config = cls(**{k: tuple(v) if isinstance(v, list) else v for k, v in data.items()})
    check_field_types(config)
    return config


def adapt_front_end(current: Any, kind: str, options: dict[str, Any]) -> Any:
    """``current`` turned into a config of ``kind``, keeping what carries over (the clip length,
    and the dataset's rate for front ends that read it). Settings of the new front end that older
    configs kept in ``model_kwargs`` (``checkpoint``/``views`` of the embedding, ``features`` of
    the hand-crafted features) are taken out of ``options``, which is changed in place."""
    if kind_of(current) == kind:
        return current
    seconds = current.clip_seconds
    rate = current.sample_rate if isinstance(current, (LogMelConfig, HandcraftedConfig, TwoBranchConfig)) else LogMelConfig.sample_rate
    if kind == "logmel":
        return LogMelConfig(sample_rate=rate, clip_seconds=seconds)
    if kind == "efficientat-logmel":
        return EfficientATFrontEndConfig(clip_seconds=seconds)
    if kind == "efficientat-embedding":
        settings = {k: options.pop(k) for k in ("checkpoint", "views") if k in options}
        if "views" in settings:
            settings["views"] = tuple(settings["views"])
        return EfficientATEmbeddingConfig(clip_seconds=seconds, **settings)
    handcrafted = front_end_from_dict({"kind": "handcrafted", "sample_rate": rate, "clip_seconds": seconds, **options.pop("features", {})})
    if kind == "handcrafted":
        return handcrafted
    if kind == "two-branch":
        logmel = current if isinstance(current, LogMelConfig) else LogMelConfig(sample_rate=rate, clip_seconds=seconds)
        return TwoBranchConfig(logmel, handcrafted)
    raise ConfigError(f"unknown front end kind '{kind}'")


__all__ = ["FRONT_ENDS", "FrontEndConfig", "TwoBranchConfig", "adapt_front_end", "front_end_from_dict", "kind_of"]
