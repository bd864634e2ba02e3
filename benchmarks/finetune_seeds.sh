#!/usr/bin/env bash
# Seed ensemble: the mn04_finetune recipe (configs/mn04_finetune.json) retrained with seeds 1 and 2
# (head initialisation, augmentation draws and batch order differ; folds and data do not), then
# two equal-weight ensembles, both declared before any of these runs:
#   mn04_finetune_3seeds             = mean of the fine-tune's seeds 0, 1, 2
#   mn04_probe_plus_finetune_3seeds  = mean of the linear probe and that seed mean (1/2 each),
#                                      the shipped model's recipe with a steadier fine-tuned half.
# Usage: bash benchmarks/finetune_seeds.sh   (resumable; ≈ 42 min per seed on a 2-core CPU)
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PY:-.venv/bin/python}
export ENVSOUND_WEIGHTS=${ENVSOUND_WEIGHTS:-../shared/models/efficientat}
for seed in 1 2; do
  $PY benchmarks/esc50_cv.py --name mn04_finetune_seed$seed --config configs/mn04_finetune.json --seed $seed
done
$PY benchmarks/ensemble.py --name mn04_finetune_3seeds mn04_finetune mn04_finetune_seed1 mn04_finetune_seed2
$PY benchmarks/ensemble.py --name mn04_probe_plus_finetune_3seeds mn04_linear_probe mn04_finetune_3seeds
