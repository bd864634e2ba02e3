"""Soundscapes for SED: events sit where their labels say, at their level, never overlapping
in the no-overlap set, and the bed is what it claims."""

import numpy as np

from envsound.audio import frame_levels
from envsound.augment.noise_beds import rms_db
from envsound.augment.soundscapes import MIN_GAP_SECONDS, active_region, make_soundscape

RATE = 16000


def _burst(seconds_before: float, seconds_on: float, seconds_after: float, freq: float = 1000.0) -> np.ndarray:
    t = np.arange(round(seconds_on * RATE)) / RATE
    on = 0.3 * np.sin(2 * np.pi * freq * t)
    return np.concatenate([np.zeros(round(seconds_before * RATE)), on, np.zeros(round(seconds_after * RATE))]).astype(np.float32)


def test_active_region_is_where_the_sound_is():
    start, end = active_region(_burst(1.0, 2.0, 2.0), RATE)
    assert abs(start / RATE - 1.0) <= 0.02 and abs(end / RATE - 3.0) <= 0.02
    assert active_region(np.zeros(RATE, dtype=np.float32), RATE) is None


def test_events_are_labelled_where_they_are_and_apart():
    clips = [(_burst(0.5, 1.0, 0.5, f), name) for f, name in [(500, "a"), (1500, "b"), (3000, "c")]]
    for seed in range(5):
        scape = make_soundscape(clips, RATE, np.random.default_rng(seed), seconds=20.0)
        assert 1 <= len(scape.events) <= 3
        levels = frame_levels(scape.signal, RATE)
        for e in scape.events:
            assert abs(e.offset - e.onset - 1.0) < 0.03
            inside = levels[int(e.onset / 0.02) + 1 : int(e.offset / 0.02) - 1]
            assert inside.min() > np.median(levels) + 5  # the event stands above the bed where its label says
        for first, second in zip(scape.events, scape.events[1:]):
            assert second.onset - first.offset >= MIN_GAP_SECONDS - 1e-9
        assert np.abs(scape.signal).max() <= 0.99


def test_bed_level_is_in_range():
    scape = make_soundscape([], RATE, np.random.default_rng(3), seconds=5.0)
    assert scape.events == ()
    assert -76.0 <= rms_db(scape.signal) <= -39.0
