"""The one windowing policy: every command that cuts audio for a model cuts it the same way."""

from types import SimpleNamespace

import numpy as np
import pytest

from envsound.models.windowing import Windowing


def test_the_model_policy_is_half_overlapping_clips_with_the_last_window_flush():
    cut = Windowing.of_model(SimpleNamespace(sample_rate=10, clip_seconds=2.0))
    assert (cut.size, cut.hop, cut.tail) == (20, 10, "flush")
    signal = np.arange(35, dtype=np.float32)
    windows = cut.split(signal)
    assert [w[0] for w in windows] == [0, 10, 15]  # the third window ends on the last sample
    assert windows[-1][-1] == 34


def test_batches_hold_at_most_batch_windows_and_keep_start_samples():
    cut = Windowing.of(10, 1.0, hop_seconds=0.5, tail="pad")
    blocks = [np.ones(7, np.float32)] * 9  # 63 samples in uneven blocks
    batches = list(cut.batches(blocks, 3))
    assert [len(w) for _, w in batches] == [3, 3, 3, 3]
    starts = np.concatenate([s for s, _ in batches])
    assert starts.tolist() == list(range(0, 60, 5))  # 11 full windows, then the padded tail at 55, on the hop grid
    assert all(w.dtype == np.float32 and w.shape[1] == 10 for _, w in batches)
    with pytest.raises(ValueError):
        next(cut.batches(blocks, 0))


def test_predict_embed_and_the_exposure_set_read_the_same_windows(monkeypatch):
    """predict's windows (Predictor.windows) are the policy's, not a copy of it."""
    from envsound.inference.predict import Predictor

    extractor = SimpleNamespace(sample_rate=16000, clip_seconds=1.0)
    predictor = Predictor(extractor, lambda f: f, ("a",))
    signal = np.random.default_rng(0).standard_normal(40000).astype(np.float32)
    assert np.array_equal(predictor.windows(signal), Windowing.of_model(extractor).split(signal))
    assert (predictor.window_samples, predictor.hop_samples) == (16000, 8000)
