"""The input band: what is above it goes, what is below it stays, shape and dtype kept."""

from __future__ import annotations

import numpy as np

from envsound.features.band import band_limit

RATE = 32000


def _tone(freq: float, seconds: float = 1.0) -> np.ndarray:
    return (0.5 * np.sin(2 * np.pi * freq * np.arange(round(seconds * RATE)) / RATE)).astype(np.float32)


def test_above_the_band_goes_and_below_it_stays() -> None:
    windows = np.stack([_tone(1000.0), _tone(12000.0)])
    limited = band_limit(windows, RATE, 8000.0)
    assert limited.shape == windows.shape and limited.dtype == np.float32
    np.testing.assert_allclose(limited[0, 500:-500], windows[0, 500:-500], atol=1e-4)  # no delay, no loss in band
    assert np.sqrt(np.mean(limited[1] ** 2)) < 3e-3 * np.sqrt(np.mean(windows[1] ** 2))  # 50 dB down (the edges ring a little)


def test_one_window_and_a_band_at_nyquist_pass_as_they_are() -> None:
    window = _tone(12000.0, seconds=0.5)
    assert band_limit(window, RATE, 8000.0).shape == window.shape
    np.testing.assert_array_equal(band_limit(window, RATE, 16000.0), window)
