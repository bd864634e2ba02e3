"""The model file: weights (or a fitted estimator) plus everything needed to use them again.

A file carries its run config, class names and feature config, so ``envsound predict`` needs
nothing but the file. An ensemble file holds several networks of one model type (same front end),
whose probabilities are averaged. It is a torch pickle: load only files you trust, as with any checkpoint.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from envsound import __version__
from envsound.errors import RunError
from envsound.features.cache import Extractor
from envsound.models.ensemble import ProbabilityAverage
from envsound.models.registry import ModelSpec, get_model
from envsound.training.config import RunConfig
from envsound.utils import atomic_path

FORMAT = "envsound-model"


@dataclass
class LoadedModel:
    spec: ModelSpec
    model: Any  # nn.Module in eval mode, or a fitted estimator
    extractor: Extractor
    classes: tuple[str, ...]
    config: RunConfig
    info: dict


def save_model(path: str | Path, spec: ModelSpec, model: Any, classes: tuple[str, ...], cfg: RunConfig, info: dict | None = None) -> Path:
    payload = {
        "format": FORMAT,
        "version": 1,
        "envsound": __version__,
        "model": spec.name,
        "classes": list(classes),
        "run": cfg.to_dict(),
        "info": info or {},
    }
    if spec.kind == "network":
        payload["state_dict"] = model.state_dict()
        if isinstance(model, ProbabilityAverage):
            payload["ensemble_size"] = len(model.members)
    else:
        payload["estimator"] = model
    with atomic_path(path) as tmp:
        torch.save(payload, tmp)
    return Path(path)


def load_model(path: str | Path) -> LoadedModel:
    path = Path(path)
    if not path.is_file():
        raise RunError(f"{path}: model file not found")
    try:
        payload = torch.load(path, map_location="cpu", weights_only=False)
    except Exception as err:  # noqa: BLE001 - any unpickling failure means "not a model file"
        raise RunError(f"{path}: not an envsound model file ({type(err).__name__})") from None
    if not isinstance(payload, dict) or payload.get("format") != FORMAT:
        raise RunError(f"{path}: not an envsound model file")
    spec = get_model(payload["model"])
    cfg = RunConfig.from_dict(payload["run"])
    classes = tuple(payload["classes"])
    if spec.kind == "network":
        size = payload.get("ensemble_size")
        build = lambda: spec.build(len(classes), cfg, pretrained=False)  # noqa: E731
        model = ProbabilityAverage([build() for _ in range(size)]) if size else build()
        model.load_state_dict(payload["state_dict"])
        model.eval()
    else:
        model = payload["estimator"]
    return LoadedModel(spec, model, spec.extractor(cfg), classes, cfg, payload.get("info", {}))
