"""Files per second of `predict` as decoder threads, model threads and batch size are sized
together (issue #19, item 3); writes benchmarks/results/throughput.json.

    python benchmarks/throughput.py                    # the shipped model, 400 ESC-50 files per arm

Declared before its run. Arms: backend (torch; onnx with the front end in the graph) x batch size
(1, 8 (the default), 32 windows) x decoder threads (1, 2) x model threads (1, 2). Every arm scores
the same files after one warm-up pass over 40 others; the fastest arm per backend is reported with
its settings, next to the default arm (batch 8, 2 decoder threads, all cores for the model). Run on
a quiet machine: anything else running changes every figure.
"""

from __future__ import annotations

import argparse
import itertools
import os
import platform
import shlex
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

import torch

from envsound.data import load_esc50
from envsound.inference.onnx_export import export_onnx
from envsound.inference.onnx_runtime import OnnxScorer
from envsound.inference.predict import Predictor
from envsound.inference.shipped import default_model_path
from envsound.utils import write_json

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "benchmarks"))
from esc50_cv import git_commit  # noqa: E402


def files_per_second(predictor: Predictor, files: list[Path], batch: int, workers: int) -> float:
    started = time.perf_counter()
    results = predictor.predict(files, top_k=1, batch_size=batch, workers=workers)
    seconds = time.perf_counter() - started
    assert not any(r.error for r in results)
    return len(files) / seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", type=Path, default=None)
    parser.add_argument("--files", type=int, default=400)
    args = parser.parse_args()
    model_path = args.model or default_model_path()
    clips = load_esc50().clips
    warmup = [c.path for c in clips[-40:]]
    files = [c.path for c in clips[: args.files]]
    cores = os.cpu_count() or 1
    arms = []
    with tempfile.TemporaryDirectory() as tmp:
        onnx_path = export_onnx(model_path, Path(tmp) / "model.onnx")
        for backend, threads in itertools.product(("torch", "onnx"), sorted({1, cores})):
            torch.set_num_threads(threads)
            predictor = Predictor.from_file(model_path, backend=backend) if backend == "torch" else Predictor.from_file(onnx_path)
            if backend == "onnx":
                scorer = OnnxScorer(onnx_path, threads=threads)
                predictor.score = scorer
                if predictor.score_with_embedding is not None:
                    predictor.score_with_embedding = scorer.with_embedding
            files_per_second(predictor, warmup, 8, 2)
            for batch, workers in itertools.product((1, 8, 32), (1, 2)):
                rate = files_per_second(predictor, files, batch, workers)
                arms.append({"backend": backend, "batch": batch, "decoder_threads": workers, "model_threads": threads, "files_per_second": round(rate, 1)})
                print(arms[-1], flush=True)
    best = {b: max((a for a in arms if a["backend"] == b), key=lambda a: a["files_per_second"]) for b in ("torch", "onnx")}
    default = {b: next(a for a in arms if a["backend"] == b and a["batch"] == 8 and a["decoder_threads"] == 2 and a["model_threads"] == cores) for b in ("torch", "onnx")}
    write_json(REPO / "benchmarks" / "results" / "throughput.json", {
        "name": "throughput", "model": str(args.model or "shipped"), "files": len(files), "arms": arms, "best": best, "default": default,
        "device": f"cpu: {platform.processor() or platform.machine()} ({cores} cores)",
        "command": "python " + " ".join(shlex.quote(a) for a in [f"benchmarks/{Path(__file__).name}", *sys.argv[1:]]),
        "commit": git_commit(), "date": datetime.now(timezone.utc).date().isoformat(),
    })


if __name__ == "__main__":
    main()
