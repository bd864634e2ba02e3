"""Give a model file its background detector ("no event here"), fitted on its training data,
and write it with everything else kept (run from the repo root):

    python scripts/fit_background.py src/envsound/assets/esc50-default.pt --dataset esc50 --out src/envsound/assets/esc50-default.pt

The detector (``models/background.py``) tells drawn noise beds from the dataset's clips on the
model's own embedding; its threshold is set on clips each inner fit did not see (the dataset's
folds, or its groups). `envsound calibrate --model` fits the same detector from a CV run's
dataset; this script is for a file whose run folder is gone, like the shipped ones.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from envsound.data import load_dataset
from envsound.models.background import fit_model_background
from envsound.models.model_file import load_model, save_model


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("model", type=Path)
    parser.add_argument("--dataset", required=True, help="the model's training data: esc50, a folder or a CSV")
    parser.add_argument("--data", default=None, help="the dataset's root, for a named corpus")
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    loaded = load_model(args.model)
    detector = fit_model_background(loaded, load_dataset(args.dataset, args.data))
    info = {**loaded.info, "background": detector.fitted_on}
    save_model(args.out, loaded.spec, loaded.model, loaded.classes, loaded.config, info, loaded.calibration, loaded.novelty, detector)
    print(f"background at or above {detector.threshold:.4f} ({detector.fitted_on}) → {args.out}")


if __name__ == "__main__":
    main()
