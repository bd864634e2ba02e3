"""LiteRT (TFLite) exports of a network, for phones and boards (`envsound export --tflite`).

The network goes to ONNX with its front end outside the graph (log-mel in; the waveform-in
graph's reflect padding does not convert), then onnx2tf turns it into LiteRT. onnx2tf needs
TensorFlow, which pins NumPy below 2, so the conversion runs in its own environment, named by
``--converter-python`` or ``ENVSOUND_LITERT_PYTHON`` and made from the requirements shipped in
``assets/litert-requirements.txt``; this process runs that Python on ``litert_convert.py`` with
plain arguments (no shell). The ``.tflite`` is written with a sidecar ``.tflite.json``: classes,
the front end to compute in front of it, calibration, and the graph's sha256.

Forms (``benchmarks/litert.py``, `litert.json`): ``float32`` equals torch within 2e-5; the small
form is ``int8_weights_only`` (int8 weights, float activations, no calibration data), chosen by
that script's declared rule over int8 activations, which lost 3.6 points of ESC-50 CV.
"""

from __future__ import annotations

import os
import subprocess
import tempfile
from importlib import resources
from pathlib import Path

import numpy as np

from envsound.errors import ConfigError, RunError
from envsound.features.numpy_frontend import numpy_front_end
from envsound.inference import litert_convert
from envsound.inference.onnx_export import export_onnx
from envsound.utils import atomic_path, read_json, sha256_file, write_json

TFLITE_FORMS = ("float32", "int8_weights_only")
CONVERTER_ENV = "ENVSOUND_LITERT_PYTHON"
CONVERT_SECONDS = 900  # onnx2tf takes about 20 s for mn04 here; a hung conversion should not hold the command for ever


def requirements_file() -> Path:
    return Path(str(resources.files("envsound") / "assets" / "litert-requirements.txt"))


def converter_python(given: str | Path | None) -> Path:
    """The conversion environment's Python, or one line saying how to make one."""
    path = given or os.environ.get(CONVERTER_ENV)
    if not path:
        raise ConfigError(f"a LiteRT export runs onnx2tf in its own environment (TensorFlow pins NumPy below 2): "
                          f"python3.11 -m venv litert && litert/bin/pip install -r {requirements_file()}; then pass --converter-python litert/bin/python "
                          f"(or set {CONVERTER_ENV})")
    path = Path(path)
    if not path.is_file() or not os.access(path, os.X_OK):
        raise ConfigError(f"{path}: not an executable Python (--converter-python / {CONVERTER_ENV})")
    return path


def export_litert(model_file: str | Path, out: str | Path, converter: str | Path | None = None, form: str = "float32") -> Path:
    """Write ``out`` (.tflite, log-mel in: NHWC (1, mels, frames, 1)) and ``out.json``."""
    out = Path(out)
    if out.suffix.lower() != ".tflite":
        raise ConfigError(f"{out}: a LiteRT export's name ends in .tflite")
    if form not in TFLITE_FORMS:
        raise ConfigError(f"LiteRT form must be one of {', '.join(TFLITE_FORMS)}, got {form!r}")
    python = converter_python(converter)
    with tempfile.TemporaryDirectory(prefix="envsound-litert-") as tmp:
        work = Path(tmp)
        export_onnx(model_file, work / "model.onnx", front_end="numpy")
        sidecar = read_json(work / "model.onnx.json")
        if sidecar.get("input") != "logmel":
            raise ConfigError(f"{model_file}: only networks that read log-mels export to LiteRT (this one reads {sidecar.get('input')!r})")
        front = numpy_front_end(sidecar["features"])
        one_clip = front(np.zeros((1, round(front.clip_seconds * front.sample_rate)), np.float32))
        _, channels, mels, frames = one_clip.shape
        (work / "shape.txt").write_text(f"1,{channels},{mels},{frames}")
        try:
            done = subprocess.run([str(python), str(Path(litert_convert.__file__)), str(work), form], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                  text=True, timeout=CONVERT_SECONDS, env={**os.environ, "PYTHONNOUSERSITE": "1"})
        except subprocess.TimeoutExpired:
            raise RunError(f"the LiteRT conversion took over {CONVERT_SECONDS} s and was stopped") from None
        made = work / f"{form}.tflite"
        if done.returncode != 0 or not made.is_file():
            said = (done.stderr.strip() or done.stdout.strip() or "no message").splitlines()[-1]
            raise RunError(f"the LiteRT conversion failed ({python}): {said}")
        # the sidecar first, the graph last: a graph on disk always has the sidecar that describes it
        keep = ("classes", "n_classes", "features", "model", "source", "source_sha256", "card", "calibration")
        described = out.with_name(out.name + ".json")
        write_json(described, {**{k: sidecar[k] for k in keep if k in sidecar}, "input": "logmel", "layout": "NHWC",
                                "shape": [1, int(mels), int(frames), int(channels)], "form": form, "converter": "onnx2tf", "tflite_sha256": sha256_file(made)})
        try:
            with atomic_path(out) as staged:
                staged.write_bytes(made.read_bytes())
        except BaseException:
            described.unlink(missing_ok=True)
            raise
    return out


__all__ = ["TFLITE_FORMS", "converter_python", "export_litert", "requirements_file"]
