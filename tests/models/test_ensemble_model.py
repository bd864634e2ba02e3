import numpy as np
import pytest
import torch

from conftest import tone, write_wav
from envsound.config import RunConfig
from envsound.features.logmel import LogMelConfig
from envsound.inference.predict import Predictor
from envsound.models.cnn import CompactCNN
from envsound.models.ensemble import ProbabilityAverage
from envsound.models.model_file import load_model, save_model
from envsound.models.pretrained import PretrainedClassifier
from envsound.models.registry import get_model, resolve


def _members(n=2, n_mels=32):
    out = []
    for seed in range(n):
        torch.manual_seed(seed)
        out.append(CompactCNN(3, n_mels=n_mels, width=8).eval())
    return out


def test_softmax_of_the_output_is_the_members_mean_probability():
    members = _members(3)
    x = torch.randn(4, 1, 32, 50)
    with torch.inference_mode():
        expected = torch.stack([m(x).softmax(1) for m in members]).mean(0)
        torch.testing.assert_close(ProbabilityAverage(members)(x).softmax(1), expected)
    with pytest.raises(ValueError):
        ProbabilityAverage(members[:1])


def test_audioset_tags_come_from_the_first_member():
    first, second = PretrainedClassifier(5, pretrained=False).eval(), PretrainedClassifier(5, pretrained=False).eval()
    x = torch.randn(1, 1, 128, 100)
    with torch.inference_mode():
        torch.testing.assert_close(ProbabilityAverage([first, second]).audioset_logits(x), first.audioset_logits(x))
    assert not hasattr(ProbabilityAverage(_members()), "audioset_logits")


def test_an_ensemble_model_file_round_trips_and_predicts(tmp_path):
    cfg = resolve(RunConfig(dataset="tones", features=LogMelConfig(clip_seconds=1.0, n_mels=32)).with_train(model="compact", model_kwargs={"width": 8}))
    ensemble = ProbabilityAverage(_members())
    path = save_model(tmp_path / "ens.pt", get_model("compact"), ensemble, ("low", "mid", "high"), cfg)
    loaded = load_model(path)
    assert isinstance(loaded.model, ProbabilityAverage) and len(loaded.model.members) == 2
    x = torch.randn(2, 1, 32, 63)
    with torch.inference_mode():
        torch.testing.assert_close(loaded.model(x), ensemble(x))
    p = Predictor.from_file(path).predict_file(write_wav(tmp_path / "a.wav", tone(440)), top_k=3)
    assert p.error is None and sorted(p.labels) == ["high", "low", "mid"]
    np.testing.assert_allclose(sum(p.probabilities), 1.0, atol=1e-5)
