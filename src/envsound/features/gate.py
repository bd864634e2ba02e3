"""Silence gate: a window's noise floor set to digital zeros before the front end.

ESC-50 pads its short clips with zeros after the sound, so networks trained on it know a short
sound followed by exact silence. A real recording has a noise floor instead, and even one 50 dB
under a short sound costs a few points (most of all on single footsteps;
``benchmarks/results/position_shipped_floor*.json``).
The gate finds the frames that sit at the window's own floor, well under its loudest frame, and
zeroes them: the silence those networks were trained on. Steady sounds (rain, an engine) have no
frame that far under their loudest, so the gate leaves them alone.

Measured, it does not work: the probe's fold models lose 5 points of clean ESC-50 with it and do
worse under a floor too (``benchmarks/results/noise_floor_rw_probe_none.json``), so nothing turns it
on by default; ``Predictor(gate=True)`` keeps it measurable.
"""

from __future__ import annotations

import numpy as np

FRAME_SECONDS = 0.02  # frames short enough to keep a sound's onset, long enough for a stable level
FLOOR_PERCENTILE = 10.0  # the window's floor: this percentile of its audible frames' levels
ABOVE_FLOOR_DB = 6.0  # a frame this close to the floor is floor
BELOW_PEAK_DB = 20.0  # ...but only if it is also this far under the window's loudest frame
AUDIBLE = 1e-7  # frames quieter than this (about -140 dBFS) are digital silence already


def quiet_frames(window: np.ndarray, sample_rate: int) -> np.ndarray:
    """(n_frames,) booleans for one mono window: True where a frame is the window's floor."""
    frame = max(1, round(FRAME_SECONDS * sample_rate))
    n = len(window) // frame
    if n < 2:
        return np.zeros(max(n, 0), dtype=bool)
    rms = np.sqrt(np.mean(np.square(window[: n * frame].reshape(n, frame), dtype=np.float64), axis=1))
    audible = rms > AUDIBLE
    if audible.sum() < 2:
        return np.zeros(n, dtype=bool)
    level = 20 * np.log10(np.maximum(rms, 1e-12))
    floor = np.percentile(level[audible], FLOOR_PERCENTILE)
    return audible & (level < floor + ABOVE_FLOOR_DB) & (level < level[audible].max() - BELOW_PEAK_DB)


def gate_quiet_frames(windows: np.ndarray, sample_rate: int) -> np.ndarray:
    """``windows`` (..., samples) with each window's floor frames set to zero (a copy); samples
    after the last whole frame follow that frame."""
    windows = np.asarray(windows, dtype=np.float32)
    flat = windows.reshape(-1, windows.shape[-1]).copy()
    frame = max(1, round(FRAME_SECONDS * sample_rate))
    for row in flat:
        quiet = quiet_frames(row, sample_rate)
        if quiet.any():
            mask = np.repeat(quiet, frame)
            mask = np.concatenate([mask, np.full(len(row) - len(mask), quiet[-1])])
            row[mask] = 0.0
    return flat.reshape(windows.shape)
