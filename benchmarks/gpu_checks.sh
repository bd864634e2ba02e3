#!/usr/bin/env bash
# What a lent GPU machine runs, through the device tool (it has python3 with CUDA torch, no network):
#   the training-device tests (tests/training/test_distributed.py: a GPU step equals the CPU's,
#   2 ranks sharing one GPU with SyncBatchNorm equal 1 process, `cv --device cuda` end to end, the
#   LP-FT recipe on cuda; with 2 GPUs also 2 nccl ranks), then benchmarks/gpu_train.py.
# Needs, carried beside the tree: .whl/ (soundfile, soxr, skops, ... built for that python3) and
# .gpu/efficientat/ (the mn04 checkpoint). Logs and results go to $OUT. Make .whl/ here with
#   pip download --only-binary=:all: --python-version 3.12 --abi cp312 --platform manylinux_2_28_x86_64 \
#     --platform manylinux2014_x86_64 --platform any -c constraints.txt -d .whl \
#     soundfile soxr scikit-learn rich typer matplotlib openpyxl skops pytest
# then delete what the image already has and the 64 MiB a call may carry cannot hold (numpy, scipy,
# pillow, and librosa/numba/llvmlite, which only offline augmentation needs).
#   bash benchmarks/gpu_checks.sh COMMIT [BASELINE_COMMIT]
#   TESTS_ONLY=1 bash benchmarks/gpu_checks.sh    # the GPU tests alone (about 6.5 min on a lent H100)
# The tests: the training-device ones above, augmentation on the device, inference on the GPU
# (tests/inference/test_device.py) and the CLI with a GPU visible (tests/test_cli.py).
# With a baseline, .baseline/src (carried: `git archive BASELINE_COMMIT src | tar -x -C .baseline`)
# is measured by the same gpu_train.py in the same call, for a like-for-like speed comparison.
set -uo pipefail
python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site .whl/*.whl || exit 1
export PYTHONPATH=/tmp/site:$PWD/src PYTHONUNBUFFERED=1 ENVSOUND_WEIGHTS=$PWD/.gpu/efficientat
OUT=${OUT:-/tmp/gpu-checks}; mkdir -p "$OUT"
nvidia-smi -L; python3 -c "import torch; print(torch.__version__, torch.cuda.device_count(), 'GPU(s)')"
python3 -m pytest -q -p no:cacheprovider -rs tests/training/test_distributed.py tests/augment/test_online.py tests/inference/test_device.py tests/test_cli.py 2>&1 | tee "$OUT/pytest.log"
[ -n "${TESTS_ONLY:-}" ] && exit 0
python3 benchmarks/gpu_train.py --commit "${1:-unknown}" --out "$OUT/gpu_train.json" 2>&1 | tee "$OUT/gpu_train.log"
if [ -n "${2:-}" ] && [ -d .baseline/src ]; then
  PYTHONPATH=/tmp/site:$PWD/.baseline/src python3 benchmarks/gpu_train.py --commit "$2" --out "$OUT/gpu_train_baseline.json" 2>&1 | tee "$OUT/gpu_train_baseline.log"
fi
