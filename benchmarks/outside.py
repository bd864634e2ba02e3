"""A model on recordings from outside ESC-50 (rebuilt by scripts/build_outside_set.py); writes
benchmarks/results/outside_<name>.json. Measures only: nothing here trains or tunes anything.

    python benchmarks/outside.py runs/outside                         # the shipped model
    python benchmarks/outside.py runs/outside --model m.pt --name m

Positives (an ESC-50 class): top-1 and top-3 accuracy, and with the model's abstention the share
answered and the accuracy of those answers. Negatives (none of the 50 classes): the share the model
accepts (answers with a class) at its thresholds. AUROC: how well the top probability (and, for a
model with novelty statistics, the embedding distance) separates positives from negatives (1.0:
every negative on the far side of every positive).
"""

from __future__ import annotations

import argparse
import csv
import shlex
import sys
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

from envsound.inference.predict import Predictor
from envsound.utils import write_json

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "benchmarks"))
from esc50_cv import git_commit, result_path  # noqa: E402


def main() -> None:
    from sklearn.metrics import roc_auc_score

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("folder", type=Path)
    parser.add_argument("--model", type=Path, default=None)
    parser.add_argument("--name", default="shipped")
    parser.add_argument("--curve", type=Path, default=None, help="draw the positives' coverage-accuracy curve (PNG), with the model's threshold as a dot")
    parser.add_argument("--tta", type=int, default=0, help="test-time augmentation: shifted copies of each window to average (predict --tta)")
    parser.add_argument("--band-hz", type=float, default=None, help="low-pass the input to this band first (Predictor band_hz, features/band.py)")
    parser.add_argument("--gate", action=argparse.BooleanOptionalAction, default=False, help="each window's noise floor set to zeros (Predictor gate, features/gate.py)")
    args = parser.parse_args()
    result_path(f"outside_{args.name}")  # a bad --name stops here, before any work
    rows = list(csv.DictReader(open(args.folder / "manifest.csv", newline="")))
    predictor = Predictor.from_file(args.model, tta=args.tta, gate=args.gate, band_hz=args.band_hz)
    results = predictor.predict([args.folder / r["path"] for r in rows], top_k=3)
    failed = [r.file for r in results if r.error]
    if failed:
        raise SystemExit(f"{len(failed)} recordings could not be read, e.g. {failed[0]}")
    positive = np.array([r["set"] == "positive" for r in rows])
    labels = [r["label"] for r in rows]
    confidence = np.array([p.probabilities[0] for p in results])
    abstained = np.array([p.abstained or p.background for p in results])  # not answered with a class: "unknown" or "background"
    top1 = np.array([p.labels[0] == label for p, label in zip(results, labels)])
    top3 = np.array([label in p.labels[:3] for p, label in zip(results, labels)])
    answered = positive & ~abstained
    # Coverage-accuracy on the positives: answer only the most confident share, by calibrated top probability.
    order = np.argsort(-confidence[positive], kind="stable")
    hits = top1[positive][order]
    coverage = np.arange(1, len(hits) + 1) / len(hits)
    curve_accuracy = np.cumsum(hits) / np.arange(1, len(hits) + 1)
    zero_shot_top1 = None
    if predictor.loaded is not None and hasattr(predictor.loaded.model, "audioset_logits"):  # the AudioSet head, mapped (no ESC-50 training)
        import torch

        from envsound.audio import load_audio
        from envsound.models.zero_shot import AudioSetZeroShot

        zero_shot = AudioSetZeroShot(predictor.classes)
        hits = []
        for r, label in zip(rows, labels):
            if r["set"] != "positive":
                continue
            windows = predictor.windows(load_audio(args.folder / r["path"], predictor.extractor.sample_rate))
            with torch.inference_mode():
                logits = predictor.loaded.model.audioset_logits(torch.from_numpy(predictor.extractor(windows))).numpy().mean(axis=0, keepdims=True)
            hits.append(predictor.classes[int(zero_shot.scores(logits).argmax())] == label)
        zero_shot_top1 = float(np.mean(hits))
    result = {
        "name": f"outside_{args.name}",
        "model": str(args.model or "shipped"),
        "calibrated": predictor.calibration is not None,
        "tta": args.tta,
        "gate": args.gate,
        "band_hz": args.band_hz,
        "abstain_below": predictor.calibration.abstain_below if predictor.calibration is not None else None,
        "positives": int(positive.sum()),
        "positive_classes": sorted({label for label, p in zip(labels, positive) if p}),
        "negatives": int((~positive).sum()),
        "top1": float(top1[positive].mean()),
        "top3": float(top3[positive].mean()),
        "positives_answered": float((~abstained[positive]).mean()),
        "accuracy_answered": float(top1[answered].mean()) if answered.any() else None,
        "negatives_accepted": float((~abstained[~positive]).mean()),
        "zero_shot_top1": zero_shot_top1,
        "coverage_accuracy": [[round(float(c), 4), round(float(a), 4)] for c, a in zip(coverage, curve_accuracy)],
        "auroc_positive_vs_negative": float(roc_auc_score(positive, confidence)),  # by the top (calibrated) probability
        "auroc_novelty_positive_vs_negative": float(roc_auc_score(positive, -np.array([p.novelty for p in results]))) if all(p.novelty is not None for p in results) else None,
        "per_recording": [{"path": r["path"], "label": r["label"], "top": p.labels, "probabilities": [round(x, 4) for x in p.probabilities], "abstained": p.abstained, "background": p.background}
                          for r, p in zip(rows, results)],
        "command": "python " + " ".join(shlex.quote(a) for a in [f"benchmarks/{Path(__file__).name}", *sys.argv[1:]]),
        "commit": git_commit(),
        "date": datetime.now(timezone.utc).date().isoformat(),
    }
    write_json(result_path(f"outside_{args.name}"), result)
    if args.curve:
        from envsound.evaluation.plots import coverage_figure

        mark = {args.name: (result["positives_answered"], result["accuracy_answered"])} if result["accuracy_answered"] is not None else None
        coverage_figure({args.name: (coverage, curve_accuracy)}, args.curve, f"outside positives ({result['positives']} recordings)", mark)
    print({k: v for k, v in result.items() if k != "per_recording"})


if __name__ == "__main__":
    main()
