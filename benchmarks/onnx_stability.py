"""Why the shipped pair's onnxruntime latency moves between runs of benchmarks/inference.py.

    python benchmarks/onnx_stability.py                      # the shipped pair
    python benchmarks/onnx_stability.py --model fast --name onnx_stability_fast

Declared (2026-11-27) before any figure: 2026-11-27 measured the pair's waveform-in ONNX latency
at 10.5, 11.3 and 5.0 ms per 5-s clip in three runs of the same benchmark, where scripts that
timed only onnxruntime gave 4.6-5.1 ms. Two suspects, each an arm, every arm measured in a fresh
process, interleaved, REPEATS times:

- ``fresh``: onnxruntime alone (default session options), median of 50 calls after 5 warm-ups;
- ``after_torch``: the same, right after the torch predictor scored the clip 55 times in that
  process (what inference.py does just before its ONNX timing): torch's OpenMP threads and
  onnxruntime's own pool share the 2 cores;
- ``no_spin`` and ``no_spin_after_torch``: the same two with onnxruntime's intra-op threads told
  not to spin while idle (``session.intra_op.allow_spinning = 0``).

Compared: each arm's median over repeats and its spread (max - min). If ``after_torch`` is slower
or wider than ``fresh``, the benchmark's order is the cause and inference.py times onnxruntime in a
process of its own; if ``no_spin`` narrows the spread without a slower median, OnnxScorer turns
spinning off. Writes benchmarks/results/<name>.json with every measurement.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from datetime import datetime, timezone
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
ARMS = ("fresh", "after_torch", "no_spin", "no_spin_after_torch")

CHILD = r"""
import json, sys, time
import numpy as np
import onnxruntime as ort
model, onnx_path, arm, example = sys.argv[1:5]
from envsound.audio import load_audio
from envsound.inference.predict import Predictor
torch_predictor = Predictor.from_file(model)
clip = load_audio(example, torch_predictor.extractor.sample_rate)
waves = torch_predictor.windows(clip).astype(np.float32)
if arm.endswith("after_torch"):
    for _ in range(55):
        torch_predictor.probabilities(clip)
options = ort.SessionOptions()
if arm.startswith("no_spin"):
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
session = ort.InferenceSession(onnx_path, options, providers=["CPUExecutionProvider"])
name = session.get_inputs()[0].name
run = lambda: session.run(["logits"], {name: waves})
for _ in range(5):
    run()
times = []
for _ in range(50):
    started = time.perf_counter()
    run()
    times.append((time.perf_counter() - started) * 1000)
print(json.dumps({"arm": arm, "ms": float(np.median(times))}))
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", default="default", help="a model file, or default / fast")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--name", default="onnx_stability")
    args = parser.parse_args()
    sys.path.insert(0, str(REPO / "benchmarks"))
    from envsound.inference.onnx_export import export_onnx
    from envsound.inference.shipped import resolve_model
    from envsound.runs import device_name
    from envsound.utils import write_json
    from esc50_cv import git_commit, result_path

    out = result_path(args.name)  # a bad name stops here, before the work
    model = resolve_model(args.model)
    example = REPO / "examples" / "1-100032-A-0.flac"
    measured: dict[str, list[float]] = {arm: [] for arm in ARMS}
    with tempfile.TemporaryDirectory() as tmp:
        onnx_path = export_onnx(model, Path(tmp) / "model.onnx")
        for repeat in range(args.repeats):
            for arm in ARMS:
                done = subprocess.run([sys.executable, "-c", CHILD, str(model), str(onnx_path), arm, str(example)],
                                      capture_output=True, text=True, check=True, env=os.environ.copy())
                ms = json.loads(done.stdout.strip().splitlines()[-1])["ms"]
                measured[arm].append(ms)
                print(f"repeat {repeat + 1}: {arm:20s} {ms:6.2f} ms", flush=True)
    summary = {arm: {"median_ms": sorted(v)[len(v) // 2], "min_ms": min(v), "max_ms": max(v), "spread_ms": max(v) - min(v), "runs_ms": v} for arm, v in measured.items()}
    for arm, s in summary.items():
        print(f"{arm:20s} median {s['median_ms']:6.2f} ms, {s['min_ms']:.2f}-{s['max_ms']:.2f}")
    write_json(out, {
        "name": args.name, "model": str(model), "arms": summary, "repeats": args.repeats, "device": device_name(),
        "command": "python benchmarks/onnx_stability.py" + ("" if args.model == "default" else f" --model {args.model}") + ("" if args.name == "onnx_stability" else f" --name {args.name}"),
        "commit": git_commit(), "date": datetime.now(timezone.utc).date().isoformat(),
    })


if __name__ == "__main__":
    main()
