"""Write a trained, calibrated model file as a shipped one: the same weights, calibration and
"none of these" statistics, with the card fields a shipped file carries (run from the repo root).

    python scripts/ship_model.py runs/wise_kd_student_lpft_fm_e60.pt --out src/envsound/assets/esc50-fast.pt \\
        --how "..." --cross-validation benchmarks/results/wise_kd_student_lpft_fm_e60.json

`envsound card` then says how the file was made, where its cross-validation result is and which
licences its weights follow (the training data's and, for a pretrained backbone, EfficientAT's).
The file is read and written as tensors and plain values only, like every model file.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from envsound.models.model_file import load_model, save_model
from envsound.models.registry import model_license


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("model", type=Path, help="a model file (`envsound train`, then `envsound calibrate`)")
    parser.add_argument("--out", type=Path, required=True, help="the shipped file to write")
    parser.add_argument("--how", required=True, help="one sentence: what the file is and how it was made")
    parser.add_argument("--cross-validation", required=True, help="the result file of its recipe's cross-validation")
    args = parser.parse_args()
    loaded = load_model(args.model)
    if loaded.calibration is None:
        raise SystemExit(f"{args.model}: not calibrated; a shipped model answers 'unknown' (run `envsound calibrate` first)")
    info = {**loaded.info, "how": args.how, "cross_validation": args.cross_validation,
            "license": model_license(loaded.config, loaded.info.get("dataset", loaded.config.dataset)), "shipped_from": str(args.model)}
    save_model(args.out, loaded.spec, loaded.model, loaded.classes, loaded.config, info, loaded.calibration, loaded.novelty, loaded.background)
    print(f"{args.model} → {args.out}")


if __name__ == "__main__":
    main()
