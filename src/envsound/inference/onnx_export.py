"""ONNX export: one file that takes the decoded waveform and gives class scores.

For networks on EfficientAT's front end (every mn04 model, the shipped one included) the STFT and
mel front end are inside the graph (ONNX's STFT op, opset 17), so a deployment needs onnxruntime
and a decoder, nothing else. Other front ends stay outside: the graph takes their features and
``features.numpy_frontend`` computes them. ``int8=True`` adds dynamic int8 quantisation of the
weights (onnxruntime's ``quantize_dynamic``); what it costs in accuracy is measured by
``benchmarks/onnx_int8.py`` on cross-validation fold models, not assumed.
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import torch
from torch import nn

from envsound.errors import ConfigError
from envsound.inference.onnx_runtime import SIDECAR_DIGEST_KEY, SIDECAR_SUFFIX, sidecar_digest
from envsound.models.model_file import LoadedModel, load_model, model_card
from envsound.utils import atomic_path, sha256_file

IN_GRAPH_FRONT_ENDS = ("efficientat-logmel",)


class WaveformToLogits(nn.Module):
    """Front end and network as one module: (batch, samples) at the front end's rate -> logits."""

    def __init__(self, front_end: nn.Module, network: nn.Module) -> None:
        super().__init__()
        self.front_end, self.network = front_end, network

    def forward(self, waveform: torch.Tensor) -> torch.Tensor:
        return self.network(self.front_end(waveform))


class WithWhitenedEmbedding(nn.Module):
    """Logits plus the novelty embedding whitened by the model's precision P = L L': with z = L'x,
    the Mahalanobis distance (x - m)'P(x - m) is the plain squared distance |z - L'm|^2, so the
    ONNX file abstains on novelty as the torch model does while its sidecar keeps only the
    whitened class means (whitening is linear, so the mean of a file's windows commutes with it)."""

    def __init__(self, front_end: nn.Module | None, network: nn.Module, whitening: np.ndarray) -> None:
        super().__init__()
        self.front_end, self.network = front_end, network
        self.register_buffer("whitening", torch.from_numpy(np.ascontiguousarray(whitening, dtype=np.float32)))

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        if self.front_end is not None:
            x = self.front_end(x)
        logits, embedding = self.network.forward_with_embedding(x)
        return logits, embedding @ self.whitening


def _whitening(loaded: LoadedModel) -> np.ndarray | None:
    """L with P = L L' (Cholesky), for a network model that carries novelty statistics; the
    identity for one with only a background detector (it still needs the embedding); else None."""
    if not hasattr(loaded.model, "forward_with_embedding"):
        return None
    if loaded.novelty is not None:
        return np.linalg.cholesky(loaded.novelty.precision)
    return None if loaded.background is None else np.eye(len(loaded.background.weight))


def _graph(loaded: LoadedModel, front_end: str, whitening: np.ndarray | None) -> tuple[nn.Module, torch.Tensor, str]:
    """(module to export, example input, input name) for ``front_end`` 'graph' or 'numpy'."""
    description = loaded.extractor.describe()
    if front_end not in ("graph", "numpy"):
        raise ConfigError(f"front_end must be 'graph' or 'numpy', got {front_end!r}")
    if front_end == "graph" and description.get("kind") in IN_GRAPH_FRONT_ENDS:
        samples = round(loaded.extractor.clip_seconds * loaded.extractor.sample_rate)
        module: nn.Module = (WaveformToLogits(loaded.extractor.module, loaded.model) if whitening is None
                             else WithWhitenedEmbedding(loaded.extractor.module, loaded.model, whitening))
        return module.eval(), torch.zeros(2, samples), "waveform"
    module = loaded.model if whitening is None else WithWhitenedEmbedding(None, loaded.model, whitening)
    return module.eval(), torch.zeros(1, *loaded.extractor.output_shape), "logmel"


def export_onnx(model_file: str | Path, out: str | Path, opset: int = 17, front_end: str = "graph", int8: bool = False) -> Path:
    """Write ``out`` (.onnx) and ``out.json`` (classes, input kind, front-end description, calibration).

    ``front_end="graph"`` puts the front end inside the graph where it can be (see module doc);
    ``"numpy"`` keeps it outside, as envsound 0.2 exported."""
    if Path(out).suffix.lower() != ".onnx":  # predict and card know an export by its suffix
        raise ConfigError(f"{out}: an ONNX export's name ends in .onnx")
    loaded = load_model(model_file)
    if loaded.spec.kind != "network":
        raise ConfigError(f"{model_file}: only network models export to ONNX (this one is '{loaded.spec.kind}')")
    if opset < 17 and front_end == "graph":
        raise ConfigError("the in-graph front end needs ONNX opset 17 or newer (its STFT operator)")
    out = Path(out)
    whitening = _whitening(loaded)
    module, example, input_name = _graph(loaded, front_end, whitening)
    axes = {"waveform": {0: "batch", 1: "samples"}} if input_name == "waveform" else {"logmel": {0: "batch", 3: "frames"}}
    outputs = ["logits"] if whitening is None else ["logits", "embedding"]
    # The TorchScript-based exporter needs no extra packages (the torch.export one needs onnxscript)
    # and handles this network; its deprecation notice is not actionable for a user.
    card = {k: v for k, v in model_card(model_file).items() if k not in ("file", "megabytes", "calibration", "background")}  # those two are below, in the graph's space
    sidecar = {"classes": list(loaded.classes), "n_classes": len(loaded.classes), "input": input_name, "features": loaded.extractor.describe(),
               "model": loaded.spec.name, "int8": int8, "source": Path(model_file).name, "source_sha256": sha256_file(model_file), "card": card}
    if loaded.calibration is not None:
        sidecar["calibration"] = loaded.calibration.to_dict()
    if whitening is not None and loaded.background is not None:  # the background detector, on the same whitened embedding
        detector = loaded.background.whitened(whitening)
        sidecar["background_whitened"] = {"weight": detector.weight.astype(np.float32).tolist(), **detector.to_meta()}
    if whitening is not None and loaded.novelty is not None:  # the class means in the whitened space the graph's "embedding" output lives in
        sidecar["novelty_whitened_means"] = (loaded.novelty.means @ whitening).astype(np.float32).tolist()
        if loaded.novelty.outliers is not None:  # exposure-set centroids, in the same space
            sidecar["novelty_whitened_outliers"] = (loaded.novelty.outliers @ whitening).astype(np.float32).tolist()
            sidecar["novelty_exposure_form"] = loaded.novelty.exposure_form
    # The TorchScript-based exporter needs no extra packages (the torch.export one needs onnxscript)
    # and handles this network; its deprecation notice is not actionable for a user.
    with atomic_path(out) as tmp, warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        warnings.filterwarnings("ignore", message="Constant folding")  # strided slices of the STFT padding; harmless
        torch.onnx.export(module, (example,), str(tmp), input_names=[input_name], output_names=outputs,
                          dynamic_axes={**axes, **{name: {0: "batch"} for name in outputs}}, opset_version=opset, dynamo=False)
        if int8:
            _quantize(tmp)
        _stamp(tmp, sidecar_digest(sidecar))
        sidecar["graph_sha256"] = sha256_file(tmp)
    with atomic_path(out.with_name(out.name + SIDECAR_SUFFIX)) as tmp:
        tmp.write_text(json.dumps(sidecar, indent=2) + "\n")
    return out


def _stamp(path: Path, digest: str) -> None:
    """Write the sidecar's digest into the graph's metadata, so each names the other: the sidecar
    holds the graph's sha256, the graph the sidecar's."""
    import onnx

    graph = onnx.load(str(path))
    entry = graph.metadata_props.add()
    entry.key, entry.value = SIDECAR_DIGEST_KEY, digest
    onnx.save(graph, str(path))


def _quantize(path: Path) -> None:
    """Dynamic int8 quantisation of ``path`` in place: weights stored as int8, activations
    quantised on the fly; the STFT and mel matrix stay in float."""
    import logging

    import onnx
    from onnxruntime.quantization import QuantType, quantize_dynamic

    # The front end and the novelty whitening stay in float: quantising them would move the features
    # every weight was trained on and the distances the abstention threshold was chosen on.
    front_end = [node.name for node in onnx.load(str(path)).graph.node if node.name.startswith("/front_end/") or "embedding" in node.output]
    quantized = path.with_name(path.name + ".int8")
    root = logging.getLogger()
    level = root.level
    root.setLevel(logging.ERROR)  # its shape-inference notes about the front end's tensors are not the user's business
    try:
        quantize_dynamic(str(path), str(quantized), weight_type=QuantType.QInt8, per_channel=True, nodes_to_exclude=front_end)
        quantized.replace(path)
    finally:
        root.setLevel(level)
        quantized.unlink(missing_ok=True)
