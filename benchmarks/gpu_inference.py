"""The shipped model on a GPU vs the CPU of the same machine; writes benchmarks/results/gpu_inference.json.

    python benchmarks/gpu_inference.py [--out PATH]

Run on a machine with a CUDA GPU (here: a lent GPU machine, the only place one is). For each device:
the median time of one 5-s clip (decoded, front end on the CPU, network on the device) over 50
runs, and files/s of ``Predictor.predict`` over 500 files (the five example clips repeated, so the
decoding cost is real) at 8 and 64 windows per call. Both devices run on the same machine in one
process, so the comparison is like for like; figures from other machines are not comparable.
"""

from __future__ import annotations

import argparse
import json
import platform
import time
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import torch

from envsound.audio import load_audio
from envsound.inference.predict import Predictor
from envsound.utils import write_json

REPO = Path(__file__).resolve().parent.parent


def measure(device: str, files: list[Path]) -> dict:
    predictor = Predictor.from_file(device=device)
    clip = load_audio(files[0], predictor.extractor.sample_rate)
    for _ in range(5):
        predictor.probabilities(clip)
    times = []
    for _ in range(50):
        started = time.perf_counter()
        predictor.probabilities(clip)
        if device == "cuda":
            torch.cuda.synchronize()
        times.append((time.perf_counter() - started) * 1000)
    result = {"ms_per_clip": float(np.median(times))}
    for batch in (8, 64):
        predictor.predict(files[:20], batch_size=batch)
        started = time.perf_counter()
        predictor.predict(files, batch_size=batch)
        result[f"files_per_second_batch{batch}"] = len(files) / (time.perf_counter() - started)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=REPO / "benchmarks" / "results" / "gpu_inference.json")
    parser.add_argument("--commit", default=None, help="the commit measured (the GPU machine gets a copy of the tree without git)")
    args = parser.parse_args()
    if not torch.cuda.is_available():
        raise SystemExit("no CUDA GPU here: this benchmark needs one")
    files = sorted((REPO / "examples").glob("*.flac")) * 100
    result = {
        "name": "gpu_inference",
        "gpu": torch.cuda.get_device_name(0),
        "cpu_threads": torch.get_num_threads(),
        "torch": torch.__version__,
        "python": platform.python_version(),
        "cuda": measure("cuda", files),
        "cpu": measure("cpu", files),
        "command": "python benchmarks/gpu_inference.py",
        "commit": args.commit,
        "date": datetime.now(timezone.utc).date().isoformat(),
    }
    write_json(args.out, result)  # temp name, then rename
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
