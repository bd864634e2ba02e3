"""Running an ONNX export: onnxruntime and NumPy only, so an install without torch can use it.

An export is a graph (``x.onnx``) and its sidecar (``x.onnx.json``: classes, input kind, front-end
description, calibration, novelty and background in the graph's whitened embedding space, and the
card of the model file it came from). Each names the other: the sidecar holds the graph's sha256,
the graph the sidecar's digest, checked on every load. ``onnx_export`` writes them; this module
reads them.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np

from envsound.errors import RunError
from envsound.utils import sha256_file

SIDECAR_SUFFIX = ".json"
SIDECAR_DIGEST_KEY = "envsound_sidecar_sha256"


def sidecar_digest(sidecar: dict) -> str:
    """sha256 of a sidecar's content (all but the graph's own hash), in a canonical JSON form."""
    content = {k: v for k, v in sidecar.items() if k != "graph_sha256"}
    return hashlib.sha256(json.dumps(content, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


def check_binding(path: Path, sidecar_path: Path, meta: dict, stamped: str | None) -> None:
    """The sidecar and the graph name each other, and the class count agrees (one line if not):
    swapping two class names in a sidecar once made a dog "rooster 100 %"."""
    if "graph_sha256" not in meta or stamped is None:
        raise RunError(f"{sidecar_path}: not bound to its graph (exported by an older envsound); export the model again")
    if sha256_file(path) != meta["graph_sha256"]:
        raise RunError(f"{sidecar_path}: belongs to another graph than {path.name} (sha256 differs); export the model again")
    if sidecar_digest(meta) != stamped:
        raise RunError(f"{sidecar_path}: was changed after export (it no longer matches the digest inside {path.name})")
    if meta.get("n_classes") != len(meta.get("classes", ())):
        raise RunError(f"{sidecar_path}: names {len(meta.get('classes', ()))} classes for a graph of {meta.get('n_classes')}")


class WaveformInput:
    """The 'front end' of a waveform-in graph: windows pass through as they are."""

    def __init__(self, description: dict) -> None:
        self.sample_rate = int(description["sample_rate"])
        self.clip_seconds = float(description["clip_seconds"])

    def __call__(self, waves: np.ndarray) -> np.ndarray:
        return np.ascontiguousarray(waves, dtype=np.float32)


class OnnxScorer:
    """Graph input (waveforms, or front-end features) -> class probabilities with onnxruntime."""

    def __init__(self, path: str | Path, threads: int | None = None) -> None:
        import onnxruntime as ort

        options = ort.SessionOptions()
        if threads:
            options.intra_op_num_threads = threads
        try:
            self.session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
        except Exception as err:  # noqa: BLE001 - onnxruntime raises its own untyped errors for bad files
            raise RunError(f"{path}: not a loadable ONNX model ({str(err).strip().splitlines()[0][:200]})") from None
        self.input_name = self.session.get_inputs()[0].name  # "waveform" or "logmel"

        self.has_embedding = [o.name for o in self.session.get_outputs()][1:2] == ["embedding"]

    def logits(self, features: np.ndarray) -> np.ndarray:
        return self.session.run(["logits"], {self.input_name: features.astype(np.float32, copy=False)})[0]

    def __call__(self, features: np.ndarray) -> np.ndarray:
        return _softmax(self.logits(features))

    def with_embedding(self, features: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(probabilities, whitened novelty embedding) in one run, for a graph exported with novelty."""
        logits, embedding = self.session.run(["logits", "embedding"], {self.input_name: features.astype(np.float32, copy=False)})
        return _softmax(logits), embedding


def _softmax(logits: np.ndarray) -> np.ndarray:
    logits = logits - logits.max(axis=1, keepdims=True)
    exp = np.exp(logits)
    return exp / exp.sum(axis=1, keepdims=True)


def onnx_card(path: str | Path) -> dict:
    """`envsound card` for an export, from its sidecar alone (no onnxruntime session, no torch):
    the card of the model file it was exported from, with this file's size and calibration."""
    path = Path(path)
    sidecar_path = path.with_name(path.name + SIDECAR_SUFFIX)
    if not path.is_file() or not sidecar_path.is_file():
        raise RunError(f"{path}: ONNX model or its {sidecar_path.name} not found (see `envsound export`)")
    try:
        meta = json.loads(sidecar_path.read_text())
        card = dict(meta.get("card") or {"model": meta["model"], "classes": meta["classes"], "sample_rate": meta["features"]["sample_rate"]})
        card.setdefault("description", "an ONNX export")
        card.setdefault("members", 1)
        card.setdefault("info", {})
        card.setdefault("novelty", "novelty_whitened_means" in meta)
    except (ValueError, KeyError, TypeError, AttributeError) as err:
        raise RunError(f"{sidecar_path}: not a valid export sidecar ({type(err).__name__}: {err})") from None
    background = meta.get("background_whitened")
    return {**card, "file": str(path), "megabytes": round(path.stat().st_size / 1e6, 1), "export": {"input": meta.get("input"), "int8": meta.get("int8"), "source": meta.get("source")},
            "calibration": meta.get("calibration"), "background": None if background is None else {k: v for k, v in background.items() if k != "weight"}}
