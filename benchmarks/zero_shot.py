"""The AudioSet head as an ESC-50 classifier with no ESC-50 training, and as a prior for a trained
head; writes benchmarks/results/zero_shot.json. Declared before its run (see trust.sh).

    python benchmarks/zero_shot.py runs/bench-mn04_linear_probe runs/bench-mn04_probe_plus_finetune

- zero-shot: ``AudioSetZeroShot`` (assets/esc50_audioset.json) on all 2000 clips, per fold;
- prior: per test fold, p = (1 - w) * head + w * zero-shot, with w from {0, 0.05, ..., 0.5} chosen
  by accuracy on the *other* folds' out-of-fold predictions only, then scored on the test fold.
"""

from __future__ import annotations

import argparse
import shlex
import sys
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

from envsound.data import load_esc50
from envsound.features.cache import load_or_compute
from envsound.models.embedding import EfficientATEmbeddingExtractor
from envsound.models.zero_shot import AudioSetZeroShot
from envsound.runs import load_run
from envsound.utils import write_json

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "benchmarks"))
from esc50_cv import git_commit  # noqa: E402

WEIGHTS = np.round(np.arange(0.0, 0.501, 0.05), 2)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("runs", nargs="*", type=Path, help="finished runs whose out-of-fold predictions get the prior")
    args = parser.parse_args()
    manifest = load_esc50()
    logits = np.asarray(load_or_compute(manifest, EfficientATEmbeddingExtractor(views=("audioset",))).features)
    zero_shot = AudioSetZeroShot(manifest.classes)
    zs = zero_shot.probabilities(logits)
    targets, folds = manifest.targets, manifest.folds
    result = {
        "name": "zero_shot",
        "zero_shot_accuracy": float((zs.argmax(1) == targets).mean()),
        "zero_shot_fold_accuracy": [float((zs[folds == f].argmax(1) == targets[folds == f]).mean()) for f in range(1, 6)],
        "priors": {},
    }
    index = {c.clip_id: i for i, c in enumerate(manifest.clips)}
    for run in args.runs:
        results = load_run(run)
        rows = np.array([index[c] for c in results.clip_ids])
        prior, y = zs[rows], results.targets
        chosen, correct = [], np.zeros(len(y), dtype=bool)
        for fold in results.folds:
            test = results.fold_of == fold
            accuracy = [(((1 - w) * results.probs[~test] + w * prior[~test]).argmax(1) == y[~test]).mean() for w in WEIGHTS]
            w = float(WEIGHTS[int(np.argmax(accuracy))])
            chosen.append(w)
            correct[test] = ((1 - w) * results.probs[test] + w * prior[test]).argmax(1) == y[test]
        fold_acc = [float(correct[results.fold_of == f].mean()) for f in results.folds]
        result["priors"][run.name] = {"head_accuracy": float((results.probs.argmax(1) == y).mean()), "weights_chosen": chosen,
                                      "fold_accuracy": fold_acc, "mean_accuracy": float(np.mean(fold_acc))}
    result.update({"command": "python " + " ".join(shlex.quote(a) for a in [f"benchmarks/{Path(__file__).name}", *sys.argv[1:]]),
                   "commit": git_commit(), "date": datetime.now(timezone.utc).date().isoformat()})
    write_json(REPO / "benchmarks" / "results" / "zero_shot.json", result)
    print(result)


if __name__ == "__main__":
    main()
