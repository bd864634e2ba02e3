"""ONNX export: NumPy front ends match torch's, and onnxruntime matches torch on real clips."""

import numpy as np
import pytest
import torch

from conftest import REPO, tone
from envsound.audio import load_audio
from envsound.features.efficientat import EfficientATLogMelExtractor
from envsound.features.logmel import LogMelConfig, LogMelExtractor
from envsound.features.numpy_frontend import numpy_front_end
from envsound.inference.onnx_export import OnnxScorer, export_onnx
from envsound.inference.predict import Predictor
from envsound.inference.shipped import default_model_path
from envsound.models.model_file import load_model

EXAMPLES = sorted((REPO / "examples").glob("*.flac"))


@pytest.mark.parametrize("extractor", [LogMelExtractor(LogMelConfig(clip_seconds=1.0)), EfficientATLogMelExtractor(clip_seconds=1.0)], ids=["logmel", "efficientat"])
def test_numpy_front_end_matches_torch(extractor):
    rate = extractor.sample_rate
    x = np.stack([tone(440, 1.0, sr=rate, noise=0.05), tone(3000, 1.0, sr=rate, noise=0.2, seed=1)])
    ours = numpy_front_end(extractor.describe())(x)
    ref = extractor(x)
    assert ours.shape == ref.shape
    assert np.abs(ours - ref).max() < 1e-3


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    return export_onnx(default_model_path(), tmp_path_factory.mktemp("onnx") / "esc50.onnx")


def test_onnx_logits_match_torch_on_real_clips(exported):
    loaded = load_model(default_model_path())
    waves = np.stack([load_audio(p, 32000, 5.0) for p in EXAMPLES])
    features = loaded.extractor(waves)
    with torch.inference_mode():
        ref = loaded.model(torch.from_numpy(features)).numpy()
    ours = OnnxScorer(exported).logits(features)
    assert np.abs(ours - ref).max() <= 1e-4


def test_onnx_backend_predicts_like_torch(exported):
    torch_p, onnx_p = Predictor.from_file(default_model_path()), Predictor.from_file(exported, backend="onnx")
    assert onnx_p.loaded is None  # no torch model behind it
    for path in EXAMPLES:
        a, b = torch_p.predict_file(path, top_k=3), onnx_p.predict_file(path, top_k=3)
        assert a.labels == b.labels
        np.testing.assert_allclose(a.probabilities, b.probabilities, atol=1e-3)


def test_missing_sidecar_is_a_clear_error(exported, tmp_path):
    from envsound.errors import RunError

    lone = tmp_path / "x.onnx"
    lone.write_bytes(exported.read_bytes())
    with pytest.raises(RunError, match="not found"):
        Predictor.from_file(lone)
