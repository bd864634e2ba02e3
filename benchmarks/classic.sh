#!/usr/bin/env bash
# The study's feature pipeline on official folds: every classic model plus the dense network.
# Usage: bash benchmarks/classic.sh   (results: benchmarks/results/features_<model>.json)
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PY:-.venv/bin/python}
for model in svm_rbf logreg rf knn mlp svm_linear gbt; do
  $PY benchmarks/esc50_cv.py --name "features_$model" --model "$model"
done
$PY benchmarks/esc50_cv.py --name features_dense --model dense --epochs 60 --set lr=0.001 --set batch_size=64 --set warmup_epochs=3
# Ablations of the study's choices, with logistic regression: no silence removal; mean-only statistics.
$PY benchmarks/esc50_cv.py --name features_logreg_no_silence_removal --model logreg --set 'model_kwargs={"features": {"remove_silence": false}}'
$PY benchmarks/esc50_cv.py --name features_logreg_mean_only --model logreg --set 'model_kwargs={"features": {"statistics": ["mean"]}}'
$PY benchmarks/feature_analysis.py
