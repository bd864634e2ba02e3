"""Latency of `envsound predict` for one 5-s clip with the model already loaded.

    python benchmarks/predict_latency.py [--model PATH] [--repeats 50]

Times front end + network on a decoded clip (decoding is reported separately), median of
``--repeats`` runs after warm-up; writes benchmarks/results/predict_latency.json.
"""

from __future__ import annotations

import argparse
import shlex
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import torch

from envsound.audio import load_audio
from envsound.inference.predict import Predictor
from envsound.inference.shipped import default_model_path
from envsound.training.crossval import device_name
from envsound.utils import write_json

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "benchmarks"))
from esc50_cv import git_commit  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", type=Path, default=None)
    parser.add_argument("--repeats", type=int, default=50)
    parser.add_argument("--onnx", type=Path, default=None, help="Also time this exported .onnx (onnxruntime + NumPy front end)")
    parser.add_argument("--clip", type=Path, default=REPO / "examples" / "1-100032-A-0.flac")
    args = parser.parse_args()
    model_path = args.model or default_model_path()
    predictor = Predictor.from_file(model_path)
    rate = predictor.extractor.sample_rate

    def timed(fn, repeats: int) -> list[float]:
        out = []
        for _ in range(repeats):
            started = time.perf_counter()
            fn()
            out.append((time.perf_counter() - started) * 1000)
        return out

    signal = load_audio(args.clip, rate)
    for _ in range(5):
        predictor.probabilities(signal)
    infer = timed(lambda: predictor.probabilities(signal), args.repeats)
    decode = timed(lambda: load_audio(args.clip, rate), args.repeats)
    onnx_ms = None
    if args.onnx:
        onnx_predictor = Predictor.from_file(args.onnx, backend="onnx")
        for _ in range(5):
            onnx_predictor.probabilities(signal)
        onnx_ms = float(np.median(timed(lambda: onnx_predictor.probabilities(signal), args.repeats)))
    result = {
        "name": "predict_latency",
        "model": str(model_path.name),
        "clip": args.clip.name,
        "torch_ms_per_clip": float(np.median(infer)),
        "torch_ms_p90": float(np.percentile(infer, 90)),
        "decode_resample_ms": float(np.median(decode)),
        "onnx_ms_per_clip": onnx_ms,
        "repeats": args.repeats,
        "threads": torch.get_num_threads(),
        "device": device_name(),
        "command": "python " + " ".join(shlex.quote(a) for a in [f"benchmarks/{Path(__file__).name}", *sys.argv[1:]]),
        "commit": git_commit(),
        "date": datetime.now(timezone.utc).date().isoformat(),
    }
    write_json(REPO / "benchmarks" / "results" / "predict_latency.json", result)
    print(f"{result['torch_ms_per_clip']:.1f} ms per 5-s clip (p90 {result['torch_ms_p90']:.1f}), decode+resample {result['decode_resample_ms']:.1f} ms"
          + (f", onnxruntime {onnx_ms:.1f} ms" if onnx_ms else ""))


if __name__ == "__main__":
    main()
