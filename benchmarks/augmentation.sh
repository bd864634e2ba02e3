#!/usr/bin/env bash
# Which augmentation pays? The same compact CNN on ESC-50's official folds, five arms.
# Usage: bash benchmarks/augmentation.sh   (≈ 5 × 50 min on a 2-core CPU; resumable)
# Results: benchmarks/results/aug_*.json and docs/figures/augmentation.png
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PY:-.venv/bin/python}
OFF="--set time_roll=false --set spec_augment=false --set gain_db=0 --set mixup_alpha=0"
AUG=${AUG_DIR:-runs/esc50-augmented}
$PY -m envsound.cli augment esc50 --out "$AUG" --transforms noise,shift,pitch,stretch
$PY benchmarks/esc50_cv.py --name aug_none --model compact $OFF
$PY benchmarks/esc50_cv.py --name aug_study_image --model compact $OFF --set image_augment=true
$PY benchmarks/esc50_cv.py --name aug_offline_audio --model compact --dataset "$AUG/manifest.csv" $OFF
$PY benchmarks/esc50_cv.py --name aug_online --model compact
$PY benchmarks/esc50_cv.py --name aug_offline_plus_online --model compact --dataset "$AUG/manifest.csv"
$PY -m envsound.cli compare runs/bench-aug_none runs/bench-aug_study_image runs/bench-aug_offline_audio runs/bench-aug_online runs/bench-aug_offline_plus_online --out docs/figures/augmentation.png
