"""What the hand-crafted features are worth: PCA explained variance, and accuracy vs components.

    python benchmarks/feature_analysis.py

Standardise -> PCA(k) -> logistic regression (C grid-searched inside the training folds) on
ESC-50's official folds, for several k. Writes benchmarks/results/features_pca.json and
docs/figures/features_pca.png. The silence-removal and statistics ablations are separate
esc50_cv.py runs (see benchmarks/classic.sh).
"""

from __future__ import annotations

import shlex
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
from sklearn.decomposition import PCA
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV, GroupKFold
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from envsound.data import load_esc50
from envsound.evaluation.plots import PALETTE, plt, save
from envsound.features.cache import load_or_compute
from envsound.features.handcrafted import HandcraftedExtractor
from envsound.runs import device_name
from envsound.utils import write_json

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "benchmarks"))
from esc50_cv import git_commit  # noqa: E402

COMPONENTS = (5, 10, 20, 40, 60, 80, 110)


def main() -> None:
    started = time.perf_counter()
    manifest = load_esc50()
    x = np.asarray(load_or_compute(manifest, HandcraftedExtractor()).features)
    y, folds = manifest.targets, manifest.folds
    scaled = StandardScaler().fit_transform(x)  # descriptive only: the curve below uses no labels
    explained = np.cumsum(PCA().fit(scaled).explained_variance_ratio_)
    accuracy: dict[int, list[float]] = {}
    for k in COMPONENTS:
        accuracy[k] = []
        for fold in range(1, 6):
            train, test = folds != fold, folds == fold
            pipe = Pipeline([("scale", StandardScaler()), ("pca", PCA(n_components=k)), ("model", LogisticRegression(max_iter=3000))])
            search = GridSearchCV(pipe, {"model__C": [0.1, 1.0, 10.0]}, cv=GroupKFold(n_splits=4))
            search.fit(x[train], y[train], groups=folds[train])
            accuracy[k].append(float(search.score(x[test], y[test])))
        print(f"k={k:3d}: {np.mean(accuracy[k]):.1%} ± {np.std(accuracy[k]):.1%}")
    fig, (left, right) = plt.subplots(1, 2, figsize=(12, 4.5))
    left.plot(np.arange(1, len(explained) + 1), explained, color=PALETTE[0])
    left.axhline(0.95, color=PALETTE[3], ls="--", lw=1, label="95 % of variance")
    left.set_xlabel("principal components")
    left.set_ylabel("cumulative explained variance")
    left.set_title("PCA of the 110 standardised features")
    left.legend()
    left.grid(alpha=0.3)
    means = [np.mean(accuracy[k]) for k in COMPONENTS]
    stds = [np.std(accuracy[k]) for k in COMPONENTS]
    right.errorbar(COMPONENTS, means, yerr=stds, marker="o", capsize=4, color=PALETTE[1])
    right.set_xlabel("principal components kept")
    right.set_ylabel("accuracy (mean ± std over 5 official folds)")
    right.set_title("Logistic regression on PCA(k) features")
    right.grid(alpha=0.3)
    save(fig, REPO / "docs" / "figures" / "features_pca.png")
    write_json(
        REPO / "benchmarks" / "results" / "features_pca.json",
        {
            "name": "features_pca",
            "explained_variance_cumulative": explained.tolist(),
            "components_for_95_percent": int(np.searchsorted(explained, 0.95) + 1),
            "accuracy_by_components": {str(k): {"fold_accuracy": v, "mean_accuracy": float(np.mean(v)), "std_accuracy": float(np.std(v))} for k, v in accuracy.items()},
            "wall_seconds": time.perf_counter() - started,
            "device": device_name(),
            "command": "python " + " ".join(shlex.quote(a) for a in [f"benchmarks/{Path(__file__).name}", *sys.argv[1:]]),
            "commit": git_commit(),
            "date": datetime.now(timezone.utc).date().isoformat(),
        },
    )


if __name__ == "__main__":
    main()
