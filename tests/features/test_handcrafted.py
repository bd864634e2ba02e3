"""The 110 hand-crafted features: parity with librosa, silence removal, finite on bad input."""

import librosa
import numpy as np
import pytest
import torch

from conftest import REPO, tone
from envsound.audio import load_audio
from envsound.features.handcrafted import (
    FRAME_FEATURES,
    HandcraftedConfig,
    HandcraftedExtractor,
    chroma_filterbank,
    savgol_operator,
    silence_mask,
)

CLIP = REPO / "examples" / "1-26806-A-1.flac"


@pytest.fixture(scope="module")
def frames_and_reference():
    y = load_audio(CLIP, 16000, 5.0)
    per_frame, _ = HandcraftedExtractor().frames(y[None])
    mfcc = librosa.feature.mfcc(y=y, sr=16000, n_mfcc=13)[1:]
    rms = librosa.feature.rms(y=y)
    reference = np.concatenate([
        librosa.feature.spectral_centroid(y=y, sr=16000),
        librosa.feature.spectral_rolloff(y=y, sr=16000),
        librosa.feature.spectral_bandwidth(y=y, sr=16000),
        librosa.feature.zero_crossing_rate(y),
        mfcc,
        librosa.feature.chroma_stft(y=y, sr=16000, tuning=0.0),
        librosa.feature.delta(mfcc),
        librosa.feature.delta(mfcc, order=2),
        rms, librosa.feature.delta(rms), librosa.feature.delta(rms, order=2),
    ])
    return per_frame[0].numpy(), reference


# Stated tolerances: relative to each feature's range over the clip (float32 vs float64 maths).
@pytest.mark.parametrize("name", ["spectral_centroid", "spectral_rolloff", "spectral_bandwidth", "zero_crossing_rate", "mfcc_1", "mfcc_12", "chroma_0", "chroma_11", "mfcc_delta_3", "mfcc_delta2_5", "rms", "rms_delta", "rms_delta2"])
def test_parity_with_librosa(frames_and_reference, name):
    ours, ref = frames_and_reference
    i = FRAME_FEATURES.index(name)
    assert ours.shape == ref.shape == (55, 157)
    scale = max(np.abs(ref[i]).max(), 1e-8)
    assert np.abs(ours[i] - ref[i]).max() <= 1e-4 * scale


def test_all_55_rows_match(frames_and_reference):
    ours, ref = frames_and_reference
    scale = np.maximum(np.abs(ref).max(axis=1, keepdims=True), 1e-8)
    assert (np.abs(ours - ref) / scale).max() < 1e-4


def test_chroma_filterbank_and_delta_operator_match_librosa():
    np.testing.assert_allclose(chroma_filterbank(22050, 2048), librosa.filters.chroma(sr=22050, n_fft=2048, tuning=0.0), atol=1e-6)
    x = np.random.default_rng(0).standard_normal((3, 40)).astype(np.float32)
    for order in (1, 2):
        np.testing.assert_allclose(x @ savgol_operator(40, 9, order), librosa.feature.delta(x, order=order), atol=1e-4)


def test_silence_mask_excludes_only_long_quiet_runs():
    cfg = HandcraftedConfig(silence_seconds=0.25)  # 0.25 s = 8 frames at hop 512, 16 kHz
    rms = torch.full((1, 60), 0.1)
    rms[0, 10:30] = 1e-5  # 20 quiet frames: removed
    rms[0, 40:44] = 1e-5  # 4 quiet frames: a pause, kept
    keep = silence_mask(rms, cfg)[0].numpy()
    assert not keep[10:30].any() and keep[:10].all() and keep[30:].all()


def test_silence_removal_changes_statistics_of_every_feature_family():
    sr = 16000
    loud = tone(1000, 2.5, sr=sr, noise=0.05)
    y = np.concatenate([loud, np.zeros(int(2.5 * sr), dtype=np.float32)])[None]
    with_removal = HandcraftedExtractor(HandcraftedConfig())(y)[0]
    without = HandcraftedExtractor(HandcraftedConfig(remove_silence=False))(y)[0]
    only_loud = HandcraftedExtractor(HandcraftedConfig(clip_seconds=2.5))(loud[None])[0]
    names = HandcraftedExtractor().feature_names
    centroid_mean = names.index("spectral_centroid_mean")
    # silence pulls the mean centroid of the unmasked version far from the tone's; masked stays close
    assert abs(with_removal[centroid_mean] - only_loud[centroid_mean]) < 0.2 * abs(without[centroid_mean] - only_loud[centroid_mean])
    changed = {n.rsplit("_", 1)[0].split("_")[0] for n, a, b in zip(names, with_removal, without) if abs(a - b) > 1e-6}
    assert {"spectral", "zero", "mfcc", "chroma", "rms"} <= changed


def test_silent_and_tiny_clips_give_finite_features():
    ex = HandcraftedExtractor(HandcraftedConfig(clip_seconds=1.0))
    out = ex(np.zeros((2, 16000), dtype=np.float32))
    assert out.shape == (2, 110) and np.isfinite(out).all()
    tiny = HandcraftedExtractor(HandcraftedConfig(clip_seconds=0.005))(tone(440, 0.005)[None])  # shorter than one frame
    assert np.isfinite(tiny).all()
