"""`make demo`: a short, offline look at envsound on ESC-10 (needs the ESC-50 folder)."""

from __future__ import annotations

import time
from dataclasses import replace
from pathlib import Path

from envsound.data.esc50 import default_root
from envsound.training.config import RunConfig
from envsound.training.crossval import cross_validate


def main() -> None:
    root = default_root()
    run_dir = Path("runs") / time.strftime("demo-esc10-%Y%m%d-%H%M%S")
    print(f"envsound demo: compact CNN, ESC-10 from {root}, official fold 1 held out, 15 epochs")
    cfg = replace(RunConfig(dataset="esc10", data_root=str(root), folds=(1,)), train=replace(RunConfig().train, epochs=15))
    metrics = cross_validate(cfg, run_dir, command="make demo")
    print(f"\nfold-1 accuracy on ESC-10: {metrics['mean_accuracy']:.1%} (chance 10%)")
    print(f"results: {run_dir}/ (config.json, fold-1/history.json, fold-1/predictions.npz, metrics.json)")


if __name__ == "__main__":
    main()
