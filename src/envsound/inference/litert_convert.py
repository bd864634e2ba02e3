"""ONNX (log-mel in) -> LiteRT, run by the conversion environment's own Python: it imports nothing
of envsound, because onnx2tf needs TensorFlow, which pins NumPy below what envsound runs on.

    CONVERTER_PYTHON litert_convert.py WORK_DIR [FORMS]

WORK_DIR holds ``model.onnx`` and ``shape.txt`` (batch, channels, mels, frames); for the forms with
int8 activations also ``calibration.npy`` (log-mels of training clips only); with ``test.npy``
every clip is also run through the LiteRT interpreter (``litert.npz``: logits, median ms, bytes).
FORMS (comma-separated, default every one the inputs allow): float32, int8_weights_only,
int8, int8_int16_activations. Each is written as ``WORK_DIR/FORM.tflite``.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

# onnx2tf's output file for each form
ONNX2TF_FILES = {
    "float32": "model_fixed_float32.tflite",
    "int8_weights_only": "model_fixed_dynamic_range_quant.tflite",  # int8 weights, float activations: needs no calibration
    "int8": "model_fixed_integer_quant.tflite",  # int8 weights and activations, float in and out
    "int8_int16_activations": "model_fixed_integer_quant_with_int16_act.tflite",
}
CALIBRATED = ("int8", "int8_int16_activations")


def fixed_input(work: Path) -> Path:
    """``model.onnx`` with its input's dimensions fixed to ``shape.txt``: the LiteRT graph then
    takes exactly one clip, (1, mels, frames, 1), with no resizing (with onnx2tf's own shape
    override the frames axis came out as 1). onnx2tf also rewrites the file it reads, so it is
    given this copy, never the caller's."""
    import onnx

    shape = [int(v) for v in (work / "shape.txt").read_text().split(",")]
    model = onnx.load(str(work / "model.onnx"))
    for dim, value in zip(model.graph.input[0].type.tensor_type.shape.dim, shape):
        dim.ClearField("dim_param")
        dim.dim_value = value
    onnx.save(model, str(work / "model_fixed.onnx"))
    return work / "model_fixed.onnx"


def convert(work: Path, forms: list[str]) -> dict[str, Path]:
    out = work / "onnx2tf"
    shutil.rmtree(out, ignore_errors=True)
    command = [str(Path(sys.executable).with_name("onnx2tf")), "-i", str(fixed_input(work)), "-o", str(out), "-n"]
    if any(form != "float32" for form in forms):
        command.append("-oiqt")
    if any(form in CALIBRATED for form in forms):  # a representative dataset: NHWC, as the converted graph reads it
        np.save(work / "calibration_nhwc.npy", np.transpose(np.load(work / "calibration.npy"), (0, 2, 3, 1)).astype(np.float32))
        command += ["-qt", "per-channel", "-cind", "logmel", str(work / "calibration_nhwc.npy"), "[[[[0.0]]]]", "[[[[1.0]]]]"]
    done = subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    if done.returncode != 0:
        raise SystemExit("onnx2tf failed: " + (done.stderr.strip().splitlines() or ["no message"])[-1])
    for form in forms:
        shutil.copyfile(out / ONNX2TF_FILES[form], work / f"{form}.tflite")
    return {form: work / f"{form}.tflite" for form in forms}


def run(path: Path, features: np.ndarray, n_classes: int) -> tuple[np.ndarray, float]:
    """Each clip's logits through the LiteRT interpreter (2 threads), and the median ms a clip."""
    from ai_edge_litert.interpreter import Interpreter

    interpreter = Interpreter(model_path=str(path), num_threads=2)
    interpreter.allocate_tensors()
    first = interpreter.get_input_details()[0]
    logits_out = next(o for o in interpreter.get_output_details() if o["shape"][-1] == n_classes)
    logits, times = [], []
    for clip in features:
        x = np.transpose(clip[None], (0, 2, 3, 1)).astype(np.float32)
        began = time.perf_counter()
        interpreter.set_tensor(first["index"], x)
        interpreter.invoke()
        times.append(time.perf_counter() - began)
        logits.append(interpreter.get_tensor(logits_out["index"])[0].copy())
    return np.asarray(logits), float(np.median(times) * 1000)


def main() -> None:
    work = Path(sys.argv[1])
    calibrated = (work / "calibration.npy").exists()
    forms = sys.argv[2].split(",") if len(sys.argv) > 2 else [f for f in ONNX2TF_FILES if calibrated or f not in CALIBRATED]
    unknown = [f for f in forms if f not in ONNX2TF_FILES]
    if unknown or (any(f in CALIBRATED for f in forms) and not calibrated):
        raise SystemExit(f"forms {forms}: known are {', '.join(ONNX2TF_FILES)}; {', '.join(CALIBRATED)} need calibration.npy")
    paths = convert(work, forms)
    if (work / "test.npy").exists():
        test = np.load(work / "test.npy")
        n_classes = int((work / "n_classes.txt").read_text())
        saved = {}
        for form, path in paths.items():
            logits, ms = run(path, test, n_classes)
            saved.update({f"{form}_logits": logits, f"{form}_ms": ms, f"{form}_bytes": path.stat().st_size})
        np.savez(work / "litert.npz", **saved)


if __name__ == "__main__":
    main()
