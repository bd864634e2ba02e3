"""The model file: weights (or a fitted estimator) plus everything needed to use them again.

A file carries its run config, class names and feature config, so ``envsound predict`` needs
nothing but the file. An ensemble file holds several networks of one model type (same front end),
whose probabilities are averaged. The file is an ``models.artifact`` container: loading it runs no
code and checks a sha256 of its contents. Files from envsound 0.1 (a torch pickle, no checksum) are
refused with a pointer to ``envsound upgrade-model``, which converts network files without unpickling.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch

from envsound._version import __version__
from envsound.config import RunConfig
from envsound.errors import ConfigError, RunError
from envsound.features.cache import Extractor
from envsound.models.artifact import (
    Artifact,
    estimator_from_bytes,
    estimator_to_bytes,
    load_artifact,
    read_payload,
    save_artifact,
)
from envsound.models.background import BackgroundDetector
from envsound.models.calibration import Calibration, Novelty
from envsound.models.ensemble import ProbabilityAverage
from envsound.models.inference_copy import inference_copy
from envsound.models.registry import ModelSpec, get_model, resolve, run_config_dict

FORMAT = "envsound-model"
VERSION = 2
NOVELTY_MEANS, NOVELTY_PRECISION = "novelty/means", "novelty/precision"  # beside the weights, never in a state dict
NOVELTY_OUTLIERS = "novelty/outliers"  # exposure-set centroids, when the novelty is relative to them
BACKGROUND_WEIGHT = "background/weight"  # the background detector's weight on the embedding (models/background.py)


@dataclass
class LoadedModel:
    spec: ModelSpec
    model: Any  # nn.Module in eval mode, or a fitted estimator
    extractor: Extractor
    classes: tuple[str, ...]
    config: RunConfig
    info: dict
    calibration: Calibration | None = None  # temperature and abstention threshold(s), when fitted
    novelty: Novelty | None = None  # class statistics of the embedding, for "none of these"
    background: BackgroundDetector | None = None  # "no event here", on the same embedding
    _scoring: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    def scoring_network(self, device: torch.device | str = "cpu") -> torch.nn.Module:
        """The network prepared for scoring on ``device`` (BatchNorm folded, channels-last: see
        ``models/inference_copy.py``), made once per device; ``model`` itself stays as loaded."""
        key = str(device)
        if key not in self._scoring:
            self._scoring[key] = inference_copy(self.model).to(device)
        return self._scoring[key]

    def embeddings(self, features: np.ndarray, batch_size: int = 32) -> np.ndarray:
        """The embedding novelty and background read, of front-end ``features``: a network's
        pooled embedding, a probe's features as they are."""
        if self.spec.kind != "network":
            return np.asarray(features, dtype=np.float64)
        if not hasattr(self.model, "forward_with_embedding"):
            raise RunError(f"model '{self.spec.name}' exposes no embedding (novelty and background need one)")
        out = []
        with torch.inference_mode():
            for i in range(0, len(features), batch_size):
                out.append(self.model.forward_with_embedding(torch.from_numpy(np.array(features[i : i + batch_size], dtype=np.float32)))[1].numpy())
        return np.concatenate(out).astype(np.float64)

    def predict_proba(self, features: np.ndarray) -> np.ndarray:
        """(n, classes) probabilities of front-end ``features``, on the CPU."""
        if self.spec.kind != "network":
            return self.model.predict_proba(features)
        with torch.inference_mode():
            return self.model(torch.from_numpy(np.ascontiguousarray(features, dtype=np.float32))).softmax(dim=1).double().numpy()


def save_model(path: str | Path, spec: ModelSpec, model: Any, classes: tuple[str, ...], cfg: RunConfig, info: dict | None = None,
               calibration: Calibration | None = None, novelty: Novelty | None = None, background: BackgroundDetector | None = None) -> Path:
    meta = {"envsound": __version__, "model": spec.name, "classes": list(classes), "run": run_config_dict(cfg), "info": info or {}}
    if calibration is not None:
        meta["calibration"] = calibration.to_dict()
    artifact = Artifact(FORMAT, VERSION, meta)
    if spec.kind == "network":
        artifact.tensors = dict(model.state_dict())
        if isinstance(model, ProbabilityAverage):
            meta["ensemble_size"] = len(model.members)
    else:
        artifact.blobs["estimator"] = estimator_to_bytes(model)
    if novelty is not None:
        artifact.tensors[NOVELTY_MEANS] = torch.from_numpy(novelty.means.astype("float32"))  # float32: half the size, distances to ~1e-6
        artifact.tensors[NOVELTY_PRECISION] = torch.from_numpy(novelty.precision.astype("float32"))
        if novelty.outliers is not None:
            artifact.tensors[NOVELTY_OUTLIERS] = torch.from_numpy(novelty.outliers.astype("float32"))
            meta["novelty"] = {"exposure_form": novelty.exposure_form}
    if background is not None:
        meta["background"] = background.to_meta()
        artifact.tensors[BACKGROUND_WEIGHT] = torch.from_numpy(background.weight.astype("float32"))
    return save_artifact(path, artifact)


def _read(path: Path) -> Artifact:
    if not path.is_file():
        raise RunError(f"{path}: model file not found")
    payload = read_payload(path)
    if isinstance(payload, dict) and payload.get("format") == FORMAT:  # envsound 0.1: a plain pickle
        raise RunError(f"{path}: an envsound 0.1 model file (no checksum); convert it once with `envsound upgrade-model {path} --out NEW.pt`")
    return load_artifact(path, FORMAT, VERSION)


def load_model(path: str | Path) -> LoadedModel:
    path = Path(path)
    artifact = _read(path)
    novelty = None
    if NOVELTY_MEANS in artifact.tensors:
        outliers = artifact.tensors.pop(NOVELTY_OUTLIERS, None)
        described = artifact.meta.get("novelty") or {}
        try:
            if not isinstance(described, dict) or set(described) - {"exposure_form"}:
                raise ValueError(f"unknown novelty fields: {described!r}")
            novelty = Novelty(artifact.tensors.pop(NOVELTY_MEANS).double().numpy(), artifact.tensors.pop(NOVELTY_PRECISION).double().numpy(),
                              None if outliers is None else outliers.double().numpy(), described.get("exposure_form", "difference"))
        except ValueError as err:
            raise RunError(f"{path}: novelty statistics are not valid ({err})") from None
    background_weight = artifact.tensors.pop(BACKGROUND_WEIGHT, None)
    if (background_weight is None) != ("background" not in artifact.meta):
        raise RunError(f"{path}: background detector incomplete (its weight and its metadata come together)")
    loaded = _build(artifact.meta, artifact.tensors, artifact.blobs.get("estimator"), str(path))
    loaded.novelty = novelty
    if background_weight is not None:
        dim = None if novelty is None else novelty.means.shape[1]
        loaded.background = BackgroundDetector.from_parts(background_weight.double().numpy(), artifact.meta["background"], dim, str(path))
    return loaded


def _described(meta: dict, where: str) -> tuple[ModelSpec, RunConfig, tuple[str, ...]]:
    """The model type, run config and classes a file's metadata names (one clear error if not)."""
    try:
        spec, cfg, classes = get_model(meta["model"]), resolve(RunConfig.from_dict(meta["run"])), tuple(meta["classes"])
    except (KeyError, TypeError) as err:
        raise RunError(f"{where}: model metadata incomplete ({err})") from None
    except ConfigError as err:
        raise RunError(f"{where}: model metadata out of range ({err})") from None
    if not classes or not all(isinstance(c, str) and c.strip() for c in classes) or len(set(classes)) != len(classes):
        raise RunError(f"{where}: model metadata names no classes, an empty one, or one twice")
    size = meta.get("ensemble_size")
    if size is not None and not (isinstance(size, int) and not isinstance(size, bool) and 2 <= size <= 64):
        raise RunError(f"{where}: ensemble_size must be a whole number from 2 to 64, got {size!r}")
    return spec, cfg, classes


def _calibration(meta: dict, where: str) -> Calibration | None:
    try:
        return Calibration.from_dict(meta.get("calibration"))
    except (TypeError, ValueError) as err:
        raise RunError(f"{where}: {err}") from None


def _build(meta: dict, state: dict, estimator: bytes | None, where: str) -> LoadedModel:
    spec, cfg, classes = _described(meta, where)
    if spec.kind == "network":
        size = meta.get("ensemble_size")
        build = lambda: spec.build(len(classes), cfg, pretrained=False)  # noqa: E731
        model = ProbabilityAverage([build() for _ in range(size)]) if size else build()
        try:
            model.load_state_dict(state)
        except RuntimeError as err:
            raise RunError(f"{where}: weights do not fit model '{spec.name}' ({str(err).splitlines()[0]})") from None
        model.eval()
    else:
        if estimator is None:
            raise RunError(f"{where}: model file has no estimator")
        model = estimator_from_bytes(estimator, where)
    return LoadedModel(spec, model, spec.extractor(cfg), classes, cfg, meta.get("info", {}), _calibration(meta, where))


def model_card(path: str | Path) -> dict:
    """What a model file is, read from its metadata alone (`envsound card`; no network is built
    and no pretrained checkpoint is needed): the model, its classes, how and from what it was
    made, its licence and its calibration, so a user can check a model (the licence above all)
    before putting it in a product."""
    from dataclasses import asdict

    path = Path(path)
    artifact = _read(path)
    meta = artifact.meta
    spec, cfg, classes = _described(meta, str(path))
    calibration = _calibration(meta, str(path))
    return {
        "file": str(path),
        "megabytes": round(path.stat().st_size / 1e6, 1),
        "model": spec.name,
        "description": spec.description,
        "members": meta.get("ensemble_size") or 1,
        "classes": list(classes),
        "sample_rate": cfg.features.sample_rate,
        "calibration": None if calibration is None else asdict(calibration),
        "novelty": NOVELTY_MEANS in artifact.tensors,
        "novelty_exposure_form": (meta.get("novelty") or {}).get("exposure_form") if NOVELTY_OUTLIERS in artifact.tensors else None,
        "background": meta.get("background"),
        "info": meta.get("info", {}),
    }


def upgrade_model(old: str | Path, new: str | Path) -> Path:
    """Rewrite an envsound 0.1 network file in the current format. The old file is read with
    ``weights_only=True`` (tensors and plain values only), so converting runs no code either."""
    payload = read_payload(old)
    if not isinstance(payload, dict) or payload.get("format") != FORMAT or "state_dict" not in payload:
        raise RunError(f"{old}: not an envsound 0.1 network model file")
    meta = {k: payload[k] for k in ("model", "classes", "run", "info", "ensemble_size") if k in payload}
    loaded = _build(meta, payload["state_dict"], None, str(old))  # proves the weights fit before writing
    return save_model(new, loaded.spec, loaded.model, loaded.classes, loaded.config, loaded.info, loaded.calibration, loaded.novelty, loaded.background)
