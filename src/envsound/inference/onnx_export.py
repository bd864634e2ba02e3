"""ONNX export: the network alone (log-mel in, logits out); the STFT front end stays outside
the graph and runs in NumPy at prediction time, so onnxruntime is all a deployment needs."""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import torch

from envsound.errors import ConfigError
from envsound.models.model_file import load_model
from envsound.utils import atomic_path

SIDECAR_SUFFIX = ".json"


def export_onnx(model_file: str | Path, out: str | Path, opset: int = 17) -> Path:
    """Write ``out`` (.onnx) and ``out.json`` (classes + front-end description)."""
    loaded = load_model(model_file)
    if loaded.spec.kind != "network":
        raise ConfigError(f"{model_file}: only network models export to ONNX (this one is '{loaded.spec.kind}')")
    out = Path(out)
    example = torch.zeros(1, *loaded.extractor.output_shape)
    # The TorchScript-based exporter needs no extra packages (the torch.export one needs onnxscript)
    # and handles this network; its deprecation notice is not actionable for a user.
    with atomic_path(out) as tmp, warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        torch.onnx.export(
            loaded.model.eval(), (example,), str(tmp), input_names=["logmel"], output_names=["logits"],
            dynamic_axes={"logmel": {0: "batch", 3: "frames"}, "logits": {0: "batch"}}, opset_version=opset, dynamo=False,
        )
    sidecar = {"classes": list(loaded.classes), "features": loaded.extractor.describe(), "model": loaded.spec.name, "source": str(model_file)}
    if loaded.calibration is not None:
        sidecar["calibration"] = loaded.calibration.to_dict()
    with atomic_path(out.with_name(out.name + SIDECAR_SUFFIX)) as tmp:
        tmp.write_text(json.dumps(sidecar, indent=2) + "\n")
    return out


class OnnxScorer:
    """features -> class probabilities with onnxruntime."""

    def __init__(self, path: str | Path, threads: int | None = None) -> None:
        import onnxruntime as ort

        options = ort.SessionOptions()
        if threads:
            options.intra_op_num_threads = threads
        try:
            self.session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
        except Exception as err:  # noqa: BLE001 - onnxruntime raises its own untyped errors for bad files
            from envsound.errors import RunError

            raise RunError(f"{path}: not a loadable ONNX model ({str(err).strip().splitlines()[0][:200]})") from None

    def logits(self, features: np.ndarray) -> np.ndarray:
        return self.session.run(None, {"logmel": features.astype(np.float32, copy=False)})[0]

    def __call__(self, features: np.ndarray) -> np.ndarray:
        logits = self.logits(features)
        logits = logits - logits.max(axis=1, keepdims=True)
        exp = np.exp(logits)
        return exp / exp.sum(axis=1, keepdims=True)
