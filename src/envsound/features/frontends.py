"""Front-end configurations by kind: what turns a waveform into what a model reads.

A run's config names its front end by ``kind`` (as lhotse registers feature extractors with their
config types), so a saved config rebuilds the same extractor and says truthfully what the model
saw: 32 kHz and 128 Kaldi mels for the AudioSet backbone, 16 kHz and 64 Slaney mels for the CNNs.
Each config class is registered here with its kind in ``FRONT_ENDS`` (and how a run's config
becomes one); ``front_end_from_dict`` reads any of them, and a dict without a kind (configs
written before kinds existed) is a log-mel config, as it was then.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Any, Callable, Union

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


@dataclass(frozen=True)
class FrontEndKind:
    """A registered front end: its config type, and how a config of it is made from the config a
    run had before (``adapt(current, options)``: the clip length carries over, and the dataset's
    rate for front ends that read it; settings older configs kept in ``model_kwargs`` are popped
    from ``options``). Its extractor is made from the config by ``models/registry.EXTRACTORS``
    (the embedding's runs the backbone, a model)."""

    config: type
    adapt: Callable[[Any, dict[str, Any]], Any]


def _dataset_rate(current: Any) -> int:
    """The rate of the data a config describes: the AudioSet front ends resample to their own 32 kHz."""
    return current.sample_rate if isinstance(current, (LogMelConfig, HandcraftedConfig, TwoBranchConfig)) else LogMelConfig.sample_rate


def _embedding(current: Any, options: dict[str, Any]) -> EfficientATEmbeddingConfig:
    settings = {k: options.pop(k) for k in ("checkpoint", "views") if k in options}
    if "views" in settings:
        settings["views"] = tuple(settings["views"])
    return EfficientATEmbeddingConfig(clip_seconds=current.clip_seconds, **settings)


def _handcrafted(current: Any, options: dict[str, Any]) -> HandcraftedConfig:
    return front_end_from_dict({"kind": "handcrafted", "sample_rate": _dataset_rate(current), "clip_seconds": current.clip_seconds, **options.pop("features", {})})


def _two_branch(current: Any, options: dict[str, Any]) -> TwoBranchConfig:
    logmel = current if isinstance(current, LogMelConfig) else LogMelConfig(sample_rate=_dataset_rate(current), clip_seconds=current.clip_seconds)
    return TwoBranchConfig(logmel, _handcrafted(current, options))


FRONT_ENDS: dict[str, FrontEndKind] = {
    "logmel": FrontEndKind(LogMelConfig, lambda current, options: LogMelConfig(sample_rate=_dataset_rate(current), clip_seconds=current.clip_seconds)),
    "efficientat-logmel": FrontEndKind(EfficientATFrontEndConfig, lambda current, options: EfficientATFrontEndConfig(clip_seconds=current.clip_seconds)),
    "efficientat-embedding": FrontEndKind(EfficientATEmbeddingConfig, _embedding),
    "handcrafted": FrontEndKind(HandcraftedConfig, _handcrafted),
    "two-branch": FrontEndKind(TwoBranchConfig, _two_branch),
}


def kind_of(config: Any) -> str:
    return config.to_dict()["kind"]


def front_end_kind(kind: str) -> FrontEndKind:
    try:
        return FRONT_ENDS[kind]
    except KeyError:
        raise ConfigError(f"unknown front end kind '{kind}'; known: {', '.join(FRONT_ENDS)}") from None


def front_end_from_dict(data: dict[str, Any]) -> Any:
    """The config a ``to_dict()`` wrote; no ``kind`` means log-mel (the only kind before there were kinds)."""
    data = dict(data)
    kind = data.pop("kind", "logmel")
    cls = front_end_kind(kind).config
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
    """``current`` turned into a config of ``kind`` by that kind's ``adapt`` (``options`` is
    changed in place); unchanged when it already is one."""
    if kind_of(current) == kind:
        return current
    return front_end_kind(kind).adapt(current, options)


__all__ = ["FRONT_ENDS", "FrontEndConfig", "FrontEndKind", "TwoBranchConfig", "adapt_front_end", "front_end_from_dict", "front_end_kind", "kind_of"]
