"""Rebuild the exposure centroids `envsound train` ships with (src/envsound/assets/exposure-mn04_as.npz).

    python scripts/build_outside_set.py --manifest benchmarks/exposure/manifest.csv --out runs/exposure
    python scripts/build_exposure_centroids.py runs/exposure

The exposure set (benchmarks/exposure/manifest.csv: 197 recordings from Debian packages disjoint
from the outside test set's: UI sounds, drum kits, spoken letters, ...) is embedded by the frozen
backbone the default recipe's probe reads (each file's windows averaged, as ``predict`` does), and
k-means gives ``EXPOSURE_CLUSTERS`` centroids. Only the centroids ship: eight averages of many
recordings' embeddings, not audio. The recipe uses them for its outlier-exposure cut when a
model's probe reads this checkpoint and view (kept by benchmarks/custom_classes.py's arm
``exposure``).
"""

from __future__ import annotations

import argparse
import hashlib
import shlex
import subprocess
import sys
from pathlib import Path

import numpy as np

from envsound.config import RunConfig
from envsound.evaluation.calibration import exposure_embeddings
from envsound.models.calibration import EXPOSURE_CLUSTERS, exposure_centroids
from envsound.models.registry import get_model, resolve
from envsound.training.recipe import DEFAULT_RECIPE, EXPOSURE_ASSET

REPO = Path(__file__).resolve().parent.parent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("exposure", type=Path, help="the folder scripts/build_outside_set.py wrote for the exposure manifest")
    parser.add_argument("--out", type=Path, default=EXPOSURE_ASSET)
    args = parser.parse_args()
    cfg = resolve(RunConfig().with_train(model=DEFAULT_RECIPE))
    extractor = get_model(DEFAULT_RECIPE).extractor(cfg)
    shown = exposure_embeddings(args.exposure / "audio", extractor, lambda features: features)
    centroids = exposure_centroids(shown)
    manifest = (args.exposure / "manifest.csv").read_bytes()
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=REPO, capture_output=True, text=True).stdout.strip()
    np.savez(args.out, centroids=centroids.astype(np.float64), checkpoint=np.array(cfg.features.checkpoint), views=np.array(list(cfg.features.views)),
             recordings=np.array(len(shown)), manifest_sha256=np.array(hashlib.sha256(manifest).hexdigest()),
             command=np.array("python " + shlex.join(sys.argv)), commit=np.array(commit))
    print(f"{EXPOSURE_CLUSTERS} centroids of {len(shown)} recordings ({cfg.features.checkpoint}, views {list(cfg.features.views)}) -> {args.out}")


if __name__ == "__main__":
    main()
