"""Where the network runs: the CPU here, a GPU where torch sees one (checked on a lent GPU machine)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from conftest import REPO
from envsound.devices import choose_device
from envsound.errors import ConfigError
from envsound.inference.predict import Predictor

CLIPS = sorted((REPO / "examples").glob("*.flac"))


def test_auto_picks_what_torch_sees_and_a_missing_gpu_is_one_error():
    assert choose_device(None).type == ("cuda" if torch.cuda.is_available() else "cpu")
    assert choose_device("cpu") == torch.device("cpu")
    with pytest.raises(ConfigError, match="unknown device"):
        choose_device("tpu9")
    if not torch.cuda.is_available():
        with pytest.raises(ConfigError, match="torch sees no CUDA device"):
            choose_device("cuda")


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU (run on a lent GPU machine)")
def test_gpu_predictions_equal_cpu_predictions():
    cpu = Predictor.from_file(device="cpu").predict(CLIPS, top_k=50)
    gpu_predictor = Predictor.from_file(device="cuda")
    assert gpu_predictor.device.type == "cuda"  # the scoring copy is there; the loaded model stays as loaded
    assert next(gpu_predictor.loaded.scoring_network(gpu_predictor.device).parameters()).is_cuda
    gpu = gpu_predictor.predict(CLIPS, top_k=50)
    for a, b in zip(cpu, gpu):
        assert a.labels[:3] == b.labels[:3]
        order = np.argsort(a.labels)
        # cuDNN convolutions run in TF32 by default: probabilities agree to about 3e-4 (measured on an H200)
        np.testing.assert_allclose(np.array(a.probabilities)[order], np.array(b.probabilities)[np.argsort(b.labels)], atol=1e-3)
    tags = gpu_predictor.audioset_tags(CLIPS[0], top_k=3)
    assert tags.error is None and len(tags.labels) == 3
