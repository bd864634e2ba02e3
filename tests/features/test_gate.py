"""The silence gate: a window's noise floor becomes zeros; sounds and steady textures stay."""

from __future__ import annotations

import numpy as np

from envsound.features.gate import gate_quiet_frames, quiet_frames

RATE = 16000


def _floor(seconds: float, dbfs: float, seed: int = 0) -> np.ndarray:
    return (np.random.default_rng(seed).standard_normal(round(seconds * RATE)) * 10 ** (dbfs / 20)).astype(np.float32)


def _burst(seconds: float) -> np.ndarray:
    t = np.arange(round(seconds * RATE)) / RATE
    return (0.3 * np.sin(2 * np.pi * 440 * t)).astype(np.float32)


def test_a_short_sound_on_a_floor_keeps_the_sound_and_loses_the_floor() -> None:
    window = _floor(5.0, -60.0)
    start, end = RATE, RATE + len(_burst(0.4))
    window[start:end] += _burst(0.4)
    gated = gate_quiet_frames(window, RATE)
    np.testing.assert_array_equal(gated[start:end], window[start:end])  # the sound untouched
    assert not gated[: start - 320].any() and not gated[end + 320 :].any()  # the floor, a frame away from it, is gone
    assert window[: start - 320].any()  # (it was there before)


def test_steady_sound_silence_and_too_short_windows_pass_unchanged() -> None:
    steady = _floor(5.0, -20.0)  # rain-like: no frame far under the loudest
    np.testing.assert_array_equal(gate_quiet_frames(steady, RATE), steady)
    zeros = np.zeros(RATE, np.float32)
    np.testing.assert_array_equal(gate_quiet_frames(zeros, RATE), zeros)
    one_frame = _floor(0.02, -60.0)
    np.testing.assert_array_equal(gate_quiet_frames(one_frame, RATE), one_frame)


def test_the_floor_is_each_window_own_and_the_batch_shape_is_kept() -> None:
    """Two windows in one batch: one a sound on a floor, one a floor alone at the same level (a quiet
    room, nothing under its loudest frame by 20 dB), which must stay as it is."""
    sound = _floor(2.0, -50.0, seed=1)
    sound[8000 : 8000 + 3200] += _burst(0.2)
    quiet_room = _floor(2.0, -50.0, seed=2)
    gated = gate_quiet_frames(np.stack([sound, quiet_room]), RATE)
    assert gated.shape == (2, 2 * RATE) and gated.dtype == np.float32
    assert quiet_frames(sound, RATE).mean() > 0.8
    np.testing.assert_array_equal(gated[1], quiet_room)
    assert not gated[0, :7000].any()


def test_digital_silence_already_there_does_not_set_the_floor() -> None:
    """ESC-50's way: a sound, its natural floor, then zero padding. The zeros are not audible frames,
    so the floor is still found among the rest and gated."""
    window = np.zeros(5 * RATE, np.float32)
    window[: 2 * RATE] = _floor(2.0, -55.0)
    window[: len(_burst(0.3))] += _burst(0.3)
    gated = gate_quiet_frames(window, RATE)
    assert not gated[RATE // 2 : 2 * RATE].any()
    np.testing.assert_array_equal(gated[: len(_burst(0.3)) - 320], window[: len(_burst(0.3)) - 320])
