"""Which "none of these" rule rejects unknown sounds best, judged on ESC-50 alone (issue #15, item 7).

    python benchmarks/open_set.py [--splits 5] [--seed 0]     -> benchmarks/results/open_set.json

Declared before its run (2026-11-26). The outside negatives must only measure, so the rule is
chosen here, on a proxy built from ESC-50: the 50 classes are shuffled (seed) into 5 groups of 10;
for each group g and each official test fold k, the linear probe (the shipped ensemble's first
member, the one whose embedding novelty reads) and the novelty statistics are fitted on folds != k
of the 40 other classes only. Scored: the known classes' fold-k clips (in-set) and every clip of
group g's 10 classes (unknown: never fitted on). Rules, each with its thresholds set on the in-set
clips so that 95 % of them stay answered (the same oracle quantile for every rule, so the rules are
compared on equal terms; shipping still fits thresholds on training folds only):
  confidence      the probe's top probability alone
  md              Mahalanobis distance to the nearest class mean (shared shrunk covariance) alone
  md_joint        both, cut at the same quantile (the rule shipped today)
  rmd             relative Mahalanobis (Ren et al. 2021): md minus the distance to one Gaussian
                  fitted on all training clips, which discounts what is merely unusual audio
  rmd_joint       rmd and confidence, cut at the same quantile
Added on 2026-11-26, declared before their run, the AudioSet head's own evidence (issue #15 item 7:
"AudioSet-tag evidence"): a clip's known-tag score is the highest sigmoid of the AudioSet names
that the hand-made map (assets/esc50_audioset.json) gives the 40 *known* classes; a low score means
the AudioSet head hears none of the sounds the model was trained on.
  tags            the known-tag score alone
  md_tags         md and the known-tag score, cut at the same quantile
  tags_joint      confidence, md and the known-tag score, cut at the same quantile
Added on 2026-11-26, declared before their run, nearest-neighbour distance (Sun et al. 2022, "Out-of-
distribution detection with deep nearest neighbors"): no Gaussian assumed, the distance of the
L2-normalised embedding to its K-th nearest training embedding (K = 1 here: 1600 training clips,
32 per class, where the paper's K is a small fraction of the training set).
  knn             the nearest-neighbour distance alone
  knn_joint       confidence and the nearest-neighbour distance, cut at the same quantile
Added on 2026-11-26, declared before their run (benchmarks/trust.sh, item 9), with ``--exposure
runs/exposure`` (an exposure set: music, speech and UI tones from Debian packages the outside set
does not use): outlier exposure, the exposure embeddings' k-means centroids as outlier means.
  oe              md minus the squared distance to the nearest exposure centroid (Novelty's
                  relative score) alone
  oe_joint        oe and confidence, cut at the same quantile
  oe_md_joint     confidence, md and oe, cut at the same quantile (declared later on 2026-11-26,
                  after the proxy's first cells showed oe alone accepting more unknown ESC-50
                  classes than md and before any outside result of either: exposure as a third
                  cut beside today's two rather than in place of the distance)
Reported per rule, averaged over the 25 cells: unknowns accepted (false-accept rate), in-set
accuracy on the clips answered, and each score's AUROC (in-set vs unknown).
Decision declared with it (and for 2026-11-26 rules alike): a rule replaces md_joint only if it accepts >= 2 points fewer unknowns
with answered accuracy within 1 point; the outside set then measures the change once.
"""

from __future__ import annotations

import argparse
import shlex
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

from envsound.data import load_esc50
from envsound.evaluation.calibration import exposure_embeddings
from envsound.features.cache import load_or_compute
from envsound.models.calibration import Novelty, common_quantile_thresholds, exposure_centroids, joint_thresholds
from envsound.models.classic import linear_probe
from envsound.models.embedding import EfficientATEmbeddingExtractor
from envsound.models.zero_shot import AudioSetZeroShot
from envsound.utils import write_json

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "benchmarks"))
from esc50_cv import git_commit, result_path  # noqa: E402

RECALL = 0.95
RULES = ("confidence", "md", "md_joint", "rmd", "rmd_joint", "tags", "md_tags", "tags_joint", "knn", "knn_joint")
KNN = 1
EXPOSURE_RULES = ("oe", "oe_joint", "oe_md_joint")  # with --exposure


def background_distance(train: np.ndarray, x: np.ndarray) -> np.ndarray:
    """Squared Mahalanobis distance of ``x`` to one Gaussian over all of ``train`` (Novelty's shrinkage)."""
    return Novelty.fit(train, np.zeros(len(train), dtype=int), 1).distance(x)


def neighbour_distance(train: np.ndarray, x: np.ndarray, k: int = KNN) -> np.ndarray:
    """Cosine distance of each row of ``x`` to its ``k``-th nearest row of ``train``."""
    unit = lambda a: a / np.linalg.norm(a, axis=1, keepdims=True)  # noqa: E731
    distances = 1.0 - unit(x) @ unit(train).T
    return np.partition(distances, k - 1, axis=1)[:, k - 1]


def accepted(confidence: np.ndarray, distance: np.ndarray, tags: np.ndarray, rule: str, in_set: np.ndarray, exposure: np.ndarray | None = None) -> np.ndarray:
    """Which clips the rule answers, its thresholds set on the ``in_set`` clips for RECALL."""
    if rule == "oe_md_joint":
        scores = [confidence, -distance, -exposure]
        bounds = common_quantile_thresholds([score[in_set] for score in scores], RECALL)
        return np.all([score >= bound for score, bound in zip(scores, bounds)], axis=0)
    if rule in ("tags", "md_tags", "tags_joint"):
        scores = {"tags": [tags], "md_tags": [-distance, tags], "tags_joint": [confidence, -distance, tags]}[rule]
        bounds = common_quantile_thresholds([score[in_set] for score in scores], RECALL)
        return np.all([score >= bound for score, bound in zip(scores, bounds)], axis=0)
    if rule == "confidence":
        return confidence >= np.quantile(confidence[in_set], 1 - RECALL)
    if rule in ("md", "rmd", "knn", "oe"):
        return distance <= np.quantile(distance[in_set], RECALL)
    t_conf, t_dist = joint_thresholds(confidence[in_set], distance[in_set], RECALL)
    return (confidence >= t_conf) & (distance <= t_dist)


def cell(x: np.ndarray, zero_shot: np.ndarray, y: np.ndarray, fold: np.ndarray, unknown_classes: np.ndarray, test_fold: int, outliers: np.ndarray | None = None) -> dict:
    from sklearn.metrics import roc_auc_score

    known = ~np.isin(y, unknown_classes)
    train = known & (fold != test_fold)
    test = (known & (fold == test_fold)) | ~known
    labels = np.unique(y[train])
    remap = np.full(y.max() + 1, -1)
    remap[labels] = np.arange(len(labels))
    probe = linear_probe().fit(x[train], remap[y[train]])
    probs = probe.predict_proba(x[test])
    confidence, predicted = probs.max(axis=1), probs.argmax(axis=1)
    md = Novelty.fit(x[train], remap[y[train]], len(labels)).distance(x[test])
    rmd = md - background_distance(x[train], x[test])
    knn = neighbour_distance(x[train], x[test])
    oe = None if outliers is None else Novelty.fit(x[train], remap[y[train]], len(labels), outliers).exposure(x[test])
    tags = zero_shot[test][:, labels].max(axis=1)  # the known classes' AudioSet evidence
    in_set = known[test]
    correct = predicted == remap[y[test]]
    out = {"unknown_classes": unknown_classes.tolist(), "test_fold": test_fold, "in_set": int(in_set.sum()), "unknown": int((~in_set).sum()),
           "probe_accuracy_in_set": float(correct[in_set].mean())}
    scores = [("confidence", confidence), ("md", -md), ("rmd", -rmd), ("tags", tags), ("knn", -knn)] + ([] if oe is None else [("oe", -oe)])
    for name, score in scores:
        out[f"auroc_{name}"] = float(roc_auc_score(in_set, score))
    for rule in RULES + (() if oe is None else EXPOSURE_RULES):
        distance = md if rule == "oe_md_joint" else {"rmd": rmd, "knn": knn, "oe": oe}.get(rule.split("_")[0], md)
        answered = accepted(confidence, distance, tags, rule, in_set, oe)
        out[rule] = {"unknown_accepted": float(answered[~in_set].mean()), "in_set_answered": float(answered[in_set].mean()),
                     "accuracy_answered": float(correct[in_set & answered].mean())}
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--splits", type=int, default=5, help="groups of held-out classes")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--name", default="open_set")
    parser.add_argument("--exposure", type=Path, default=None, help="a folder of sounds of none of the classes (scripts/build_outside_set.py --manifest benchmarks/exposure/manifest.csv)")
    args = parser.parse_args()
    result_path(args.name)  # a bad --name stops here, before any work
    commit, started = git_commit(), time.perf_counter()
    manifest = load_esc50()
    x = np.asarray(load_or_compute(manifest, EfficientATEmbeddingExtractor(), show_progress=False).features, dtype=np.float64)
    logits = load_or_compute(manifest, EfficientATEmbeddingExtractor(views=("audioset",)), show_progress=False).features
    zero_shot = AudioSetZeroShot(manifest.classes).scores(logits)  # (clips, 50), columns in manifest.classes order
    y = np.array([manifest.classes.index(c.label) for c in manifest.clips])
    fold = np.array([c.fold for c in manifest.clips])
    outliers = None
    if args.exposure is not None:
        outliers = exposure_centroids(exposure_embeddings(args.exposure, EfficientATEmbeddingExtractor(), np.asarray))
    rules = RULES + (() if outliers is None else EXPOSURE_RULES)
    groups = np.array_split(np.random.default_rng(args.seed).permutation(len(manifest.classes)), args.splits)
    cells = []
    for g, unknown_classes in enumerate(groups):
        for k in sorted(set(fold.tolist())):
            cells.append(cell(x, zero_shot, y, fold, np.sort(unknown_classes), k, outliers))
            print(f"group {g + 1}/{len(groups)} fold {k}: " + "  ".join(f"{r} {cells[-1][r]['unknown_accepted']:.1%}" for r in rules), flush=True)
    summary = {rule: {key: float(np.mean([c[rule][key] for c in cells])) for key in ("unknown_accepted", "in_set_answered", "accuracy_answered")} for rule in rules}
    summary.update({f"auroc_{s}": float(np.mean([c[f"auroc_{s}"] for c in cells])) for s in ("confidence", "md", "rmd", "tags", "knn") + (("oe",) if outliers is not None else ())})
    write_json(result_path(args.name), {
        "name": args.name, "recall": RECALL, "seed": args.seed, "splits": args.splits, "summary": summary, "cells": cells,
        "exposure": None if args.exposure is None else {"folder": str(args.exposure), "centroids": len(outliers)},
        "command": "python " + " ".join(shlex.quote(a) for a in [f"benchmarks/{Path(__file__).name}", *sys.argv[1:]]),
        "commit": commit, "date": datetime.now(timezone.utc).date().isoformat(), "seconds": round(time.perf_counter() - started, 1),
    })
    for rule in rules:
        s = summary[rule]
        print(f"{rule:11s} unknowns accepted {s['unknown_accepted']:.1%}  in-set answered {s['in_set_answered']:.1%}  accuracy answered {s['accuracy_answered']:.1%}")


if __name__ == "__main__":
    main()
