"""The LiteRT half of benchmarks/litert.py, run by the conversion environment's interpreter (it
imports no envsound): an ONNX network with log-mel input -> LiteRT fp32 and int8 (onnx2tf, int8
calibrated on the clips it is given), then every test clip through the LiteRT interpreter.

    python benchmarks/litert_convert.py WORK_DIR

WORK_DIR holds ``model.onnx``, ``test.npy`` ((clips, 1, mels, frames) log-mels) and, for int8,
``calibration.npy`` (the same, from training clips only). It writes ``float32.tflite``,
``int8.tflite`` and ``litert.npz``: each form's logits, median milliseconds per clip and bytes.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np


def convert(work: Path, frames: int, mels: int, int8: bool) -> dict[str, Path]:
    out = work / "onnx2tf"
    shutil.rmtree(out, ignore_errors=True)
    command = [str(Path(sys.executable).with_name("onnx2tf")), "-i", str(work / "model.onnx"), "-o", str(out), "-ois", f"logmel:1,1,{mels},{frames}", "-n"]
    if int8:  # a representative dataset from training clips: NHWC, as the converted graph reads it
        np.save(work / "calibration_nhwc.npy", np.transpose(np.load(work / "calibration.npy"), (0, 2, 3, 1)).astype(np.float32))
        command += ["-oiqt", "-qt", "per-channel", "-cind", "logmel", str(work / "calibration_nhwc.npy"), "[[[[0.0]]]]", "[[[[1.0]]]]"]
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    forms = {"float32": out / "model_float32.tflite"}
    if int8:
        forms["int8"] = out / "model_integer_quant.tflite"  # int8 weights and activations, float32 in and out
        forms["int8_int16_activations"] = out / "model_integer_quant_with_int16_act.tflite"  # int8 weights, int16 activations
        forms["int8_weights_only"] = out / "model_dynamic_range_quant.tflite"  # int8 weights, float activations (no calibration)
    for name, path in forms.items():
        shutil.copyfile(path, work / f"{name}.tflite")
    return {name: work / f"{name}.tflite" for name in forms}


def run(path: Path, features: np.ndarray, n_classes: int) -> tuple[np.ndarray, float]:
    from ai_edge_litert.interpreter import Interpreter

    interpreter = Interpreter(model_path=str(path), num_threads=2)
    first = interpreter.get_input_details()[0]
    interpreter.resize_tensor_input(first["index"], [1, features.shape[2], features.shape[3], 1])
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
    test = np.load(work / "test.npy")
    n_classes = int(np.load(work / "n_classes.npy"))
    forms = convert(work, test.shape[3], test.shape[2], (work / "calibration.npy").exists())
    saved = {}
    for name, path in forms.items():
        logits, ms = run(path, test, n_classes)
        saved.update({f"{name}_logits": logits, f"{name}_ms": ms, f"{name}_bytes": path.stat().st_size})
    np.savez(work / "litert.npz", **saved)


if __name__ == "__main__":
    main()
