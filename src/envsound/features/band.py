"""Band limiting, its one home: ``band_pass`` shapes a channel (a phone line, a small speaker:
ESC-50-C's ``band_limit`` and training's ``band`` augmentation), ``band_limit`` keeps a model's
input to the band it was trained on.

Input band: audio low-passed to the band a model was trained on, before its front end.

The ESC-50 copy here is 16 kHz, so every network trained on it saw empty mel bands from 8 kHz up
(the front end runs at 32 kHz and reads up to 15 kHz). A real recording at 44.1 kHz fills those
bands, even its noise floor does, with energy the trained head never met. Limiting the input to
the training band takes that away. The low-pass is soxr's (the one resampler, audio.resample):
down to twice the band and back up, the same filter that brings each 16 kHz clip up to 32 kHz.

Measured: on ESC-50 it undoes what a -70/-50 dBFS white floor costs the probe, but on the outside
recordings the shipped model names 72.0 % with it against 74.0 % without
(``benchmarks/results/noise_floor_rw_probe_none_band.json``, ``outside_shipped_band8k.json``), so
it stays off; ``Predictor(band_hz=8000)`` keeps it measurable.
"""

from __future__ import annotations

import numpy as np

from envsound.audio import fix_length, resample


def band_limit(windows: np.ndarray, sample_rate: int, band_hz: float) -> np.ndarray:
    """``windows`` (..., samples) at ``sample_rate`` with nothing above ``band_hz`` (a copy, same
    shape); unchanged when the band reaches Nyquist already."""
    windows = np.asarray(windows, dtype=np.float32)
    low_rate = round(2 * band_hz)
    if low_rate >= sample_rate:
        return windows
    flat = windows.reshape(-1, windows.shape[-1])
    down = resample(np.ascontiguousarray(flat.T), sample_rate, low_rate)
    up = resample(np.ascontiguousarray(down), low_rate, sample_rate).T
    return fix_length(np.ascontiguousarray(up), windows.shape[-1]).reshape(windows.shape)


def band_pass(signal: np.ndarray, rate: int, high_pass: float | None, low_pass: float | None) -> np.ndarray:
    """``signal`` through an 8th-order Butterworth high-pass at ``high_pass`` Hz and low-pass at
    ``low_pass`` Hz (either None: no such edge), forwards and backwards so nothing is delayed: the
    steep, colouring edges of a real channel, where ``band_limit`` wants soxr's transparent one."""
    from scipy.signal import butter, sosfiltfilt

    if high_pass is not None:
        signal = sosfiltfilt(butter(8, high_pass, "highpass", fs=rate, output="sos"), signal)
    if low_pass is not None and low_pass < rate / 2:
        signal = sosfiltfilt(butter(8, low_pass, "lowpass", fs=rate, output="sos"), signal)
    return np.asarray(signal, dtype=np.float32)
