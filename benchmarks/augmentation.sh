#!/usr/bin/env bash
# Which augmentation pays? The same compact CNN on ESC-50's official folds, five arms, one budget.
# Usage: bash benchmarks/augmentation.sh   (≈ 4 × 57 min on a 2-core CPU; resumable, rerun after a stop)
# Results: benchmarks/results/aug_*.json and docs/figures/augmentation.png
#
# Every arm takes the same number of optimiser steps (60 epochs of the 1600 training clips): the
# offline dataset holds 5 clips per original (source + 4 transforms), so its arms run 12 epochs with a
# 0.6-epoch warm-up. The online arm is the foundation benchmark itself (compact_cnn_ema, same config).
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PY:-.venv/bin/python}
OFF="--set time_roll=false --set spec_augment=false --set gain_db=0 --set mixup_alpha=0"
EQUAL_STEPS="--epochs 12 --set warmup_epochs=0.6"
AUG=${AUG_DIR:-runs/esc50-augmented}
$PY -m envsound.cli augment esc50 --out "$AUG" --transforms noise,shift,pitch,stretch
$PY benchmarks/esc50_cv.py --name aug_none --model compact --epochs 60 $OFF
$PY benchmarks/esc50_cv.py --name aug_study_image --model compact --epochs 60 $OFF --set image_augment=true
$PY benchmarks/esc50_cv.py --name aug_offline_audio --model compact --dataset "$AUG/manifest.csv" $EQUAL_STEPS $OFF
[ -f runs/bench-compact_cnn_ema/metrics.json ] || $PY benchmarks/esc50_cv.py --name compact_cnn_ema --model compact --epochs 60
$PY benchmarks/esc50_cv.py --name aug_offline_plus_online --model compact --dataset "$AUG/manifest.csv" $EQUAL_STEPS
$PY benchmarks/table.py --readme --augmentation-chart docs/figures/augmentation.png
