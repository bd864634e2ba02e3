"""ESC-50-C's corruptions reach what they claim, measured on their output, and repeat exactly."""

from __future__ import annotations

import io

import numpy as np
import pytest
import soundfile as sf

from envsound.augment.corruptions import MP3_LEVEL_16K, measured_rt60, power, room_impulse_response
from envsound.augment.table import CORRUPTIONS, SETTINGS, corrupt

RATE = 32000


def _clip(seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    t = np.arange(RATE * 5) / RATE
    return (0.3 * np.sin(2 * np.pi * 440 * t) * (1 + 0.5 * np.sin(2 * np.pi * 2 * t)) + 0.02 * rng.standard_normal(len(t))).astype(np.float32)


@pytest.mark.parametrize("name", CORRUPTIONS)
def test_every_corruption_is_deterministic_per_seed(name):
    signal, background = _clip(0), _clip(1)[::-1].copy()
    a = corrupt(signal, RATE, name, 1, np.random.default_rng(7), background)
    b = corrupt(signal, RATE, name, 1, np.random.default_rng(7), background)
    assert np.array_equal(a, b) and np.isfinite(a).all() and a.dtype == np.float32


@pytest.mark.parametrize("name", ["white_noise", "pink_noise", "background"])
def test_mixtures_reach_their_snr(name):
    signal, background = _clip(0), _clip(1)[::-1].copy()
    for severity, snr in zip((1, 2, 3), SETTINGS[name]):
        added = corrupt(signal, RATE, name, severity, np.random.default_rng(severity), background) - signal
        assert 10 * np.log10(power(signal) / power(added)) == pytest.approx(snr, abs=0.05)


def test_pink_noise_falls_3_db_per_octave():
    from envsound.augment.noise_beds import noise

    spectrum = np.abs(np.fft.rfft(noise(2**18, "pink", np.random.default_rng(0)))) ** 2
    freqs = np.fft.rfftfreq(2**18, 1 / RATE)
    octaves = [spectrum[(freqs >= f) & (freqs < 2 * f)].mean() for f in (250, 500, 1000, 2000, 4000)]
    steps = 10 * np.log10(np.array(octaves[1:]) / np.array(octaves[:-1]))
    assert np.allclose(steps, -3.0, atol=0.4)


def test_band_limits_remove_what_lies_outside_the_band():
    rng = np.random.default_rng(0)
    white = rng.standard_normal(RATE * 2).astype(np.float32)
    freqs = np.fft.rfftfreq(len(white), 1 / RATE)
    for severity, (low, high) in zip((1, 2, 3), SETTINGS["band_limit"]):
        spectrum = np.abs(np.fft.rfft(corrupt(white, RATE, "band_limit", severity, rng))) ** 2
        outside = freqs > high * 1.3
        if low is not None:
            outside |= freqs < low / 1.5
        assert spectrum[outside].sum() / spectrum.sum() < 1e-3


@pytest.mark.slow
def test_reverb_rooms_measure_their_rt60():
    for rt60 in SETTINGS["reverb"]:
        rir = room_impulse_response(rt60, 16000, np.random.default_rng(1))
        assert measured_rt60(rir, 16000) == pytest.approx(rt60, rel=0.1)


def test_mp3_levels_give_their_bitrates():
    x = (np.random.default_rng(0).standard_normal(16000 * 5) * 0.1).astype(np.float32)
    for kbps, level in MP3_LEVEL_16K.items():
        buffer = io.BytesIO()
        sf.write(buffer, x, 16000, format="MP3", compression_level=level, bitrate_mode="CONSTANT")
        assert len(buffer.getvalue()) * 8 / 5 / 1000 == pytest.approx(kbps, rel=0.1)
    coded = corrupt(_clip(0), RATE, "codec", 3, np.random.default_rng(0))
    assert len(coded) == RATE * 5 and 0 < power(coded - _clip(0)) < 0.2 * power(_clip(0))  # aligned: the codec's delay removed


def test_clipping_and_crops():
    signal = _clip(0)
    fractions = [np.mean(np.abs(corrupt(signal, RATE, "clipping", s, np.random.default_rng(0))) >= 1.0) for s in (1, 2, 3)]
    assert 0 < fractions[0] < fractions[1] < fractions[2]
    assert all(np.abs(corrupt(signal, RATE, "clipping", s, np.random.default_rng(0))).max() <= 1.0 for s in (1, 2, 3))
    assert [len(corrupt(signal, RATE, "crop", s, np.random.default_rng(0))) for s in (1, 2, 3)] == [3 * RATE, 2 * RATE, RATE]
