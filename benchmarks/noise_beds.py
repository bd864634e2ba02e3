"""Issue #34's noise-bed target on a shipped model, as a user meets it: ``timeline`` and
``predict`` on the fixed measurement beds (white, pink and brown noise at -75..-40 dBFS, mains hum,
DC offset under hiss: ``augment/noise_beds.measurement_beds``; seeds no detector was fitted on).
Writes benchmarks/results/noise_beds_<name>.json. Measures only.

    python benchmarks/noise_beds.py --model default --name default
    python benchmarks/noise_beds.py --model fast --name fast
    python benchmarks/noise_beds.py --model fast --onnx --name fast_onnx     # exported first, into a temporary folder

The figure: the share of 1-s cells of ``timeline``'s answer (10-s beds) that are background, and
``predict``'s answer per bed. A real room tone is not among the beds: none could be obtained here
from a freely licensed package outside the held-out list (said in the result file).

Real recorded beds (2026-12-07): ``--real runs/real_beds`` adds recordings listed in
benchmarks/real_beds/manifest.csv (Sonic Pi's CC0 vinyl hiss: a real noise, not a room tone),
rebuilt from their Debian package, never committed as audio:

    python scripts/build_outside_set.py --manifest benchmarks/real_beds/manifest.csv --out runs/real_beds
    python benchmarks/noise_beds.py --model default --name default --real runs/real_beds

They are reported apart (``real_beds``), each with its share of background 1-s cells.
"""

from __future__ import annotations

import argparse
import csv
import shlex
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import soundfile as sf

from envsound.augment.noise_beds import measurement_beds
from envsound.inference.predict import Predictor
from envsound.inference.shipped import resolve_model
from envsound.inference.timeline import compute_timeline
from envsound.runs import device_name
from envsound.utils import write_json

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "benchmarks"))
from esc50_cv import git_commit, result_path  # noqa: E402


def background_share(segments, duration: float) -> float:
    """Share of whole 1-s cells that only background segments cover."""
    cells = int(duration)
    covered = np.zeros(cells * 100, dtype=bool)
    for s in segments:
        if s.label == "background":
            covered[int(round(s.start * 100)) : int(round(s.end * 100))] = True
    return float(covered.reshape(cells, 100).all(axis=1).mean())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default="default")
    parser.add_argument("--onnx", action="store_true", help="measure the model's ONNX export")
    parser.add_argument("--name", required=True)
    parser.add_argument("--real", type=Path, default=None, help="a folder scripts/build_outside_set.py wrote from benchmarks/real_beds/manifest.csv")
    args = parser.parse_args()
    out_path = result_path(f"noise_beds_{args.name}")
    commit, began = git_commit(), time.time()
    with tempfile.TemporaryDirectory() as tmp:
        model: str | Path = args.model
        if args.onnx:
            from envsound.inference.onnx_export import export_onnx

            model = export_onnx(resolve_model(args.model), Path(tmp) / "model.onnx")
        predictor = Predictor.from_file(model, device="cpu")
        rate = predictor.extractor.sample_rate
        rows = {}
        for bed in measurement_beds(rate):
            path = Path(tmp) / f"{bed.name}.wav"
            sf.write(path, bed.signal, rate)
            segments = compute_timeline(predictor, path).events()
            answer = predictor.predict_file(path, top_k=1)
            rows[bed.name] = {"timeline_background_cells": background_share(segments, 10.0), "predict": answer.answer, "closest": answer.labels[0]}
            print(f"{bed.name:12s} {rows[bed.name]['timeline_background_cells']:.0%}  predict: {answer.answer}", flush=True)
        real = {}
        if args.real is not None:
            with open(args.real / "manifest.csv", newline="") as handle:
                for row in csv.DictReader(handle):
                    path = args.real / row["path"]
                    duration = sf.info(path).duration
                    answer = predictor.predict_file(path, top_k=1)
                    real[row["path"]] = {"source": row["source"], "licence": row["licence"], "seconds": round(duration, 2),
                                         "timeline_background_cells": background_share(compute_timeline(predictor, path).events(), duration),
                                         "predict": answer.answer, "closest": answer.labels[0]}
                    print(f"{path.name:12s} {real[row['path']]['timeline_background_cells']:.0%}  predict: {answer.answer}", flush=True)
    share = float(np.mean([r["timeline_background_cells"] for r in rows.values()]))
    write_json(out_path, {
        "name": args.name, "command": "python " + shlex.join(sys.argv), "commit": commit, "machine": device_name(),
        "date": datetime.now(timezone.utc).isoformat(timespec="seconds"), "seconds": round(time.time() - began, 1), "model": args.model, "onnx": args.onnx,
        "timeline_background_cells": share, "predict_background": float(np.mean([r["predict"] == "background" for r in rows.values()])), "beds": rows,
        "not_measured": "a real room tone: none in a freely licensed package outside the held-out list was found",
        **({"real_beds": real, "real_beds_background_cells": float(np.mean([r["timeline_background_cells"] for r in real.values()]))} if real else {}),
    })
    print(f"1-s cells background: {share:.1%} → {out_path}")


if __name__ == "__main__":
    main()
