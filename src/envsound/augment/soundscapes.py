"""Soundscapes with strong labels: events placed on a background bed, each with its onset, offset
and label, for measuring sound event detection (``benchmarks/sed.py``).

scaper does this in the field, but it no longer installs with numpy 2 (its soxbindings does not
build, and it uses ``np.Inf``), so the little it takes is here: an event is the active region of a
clip (where its level is within ``ACTIVE_RANGE_DB`` of its loudest frame), scaled to a level, and
added to a bed; the labels are DCASE-style rows (onset, offset, label).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from envsound.audio import FRAME_SECONDS, frame_levels
from envsound.augment.noise_beds import SLOPES, at_level, coloured, hum, rms_db

ACTIVE_RANGE_DB = 30.0  # a frame is active within this many dB of the clip's loudest frame ...
ACTIVE_FLOOR_DB = -70.0  # ... and above this absolute level
MIN_GAP_SECONDS = 0.5  # between events of the no-overlap set


@dataclass(frozen=True)
class Event:
    onset: float
    offset: float
    label: str


@dataclass(frozen=True)
class Soundscape:
    signal: np.ndarray  # float32, mono
    events: tuple[Event, ...]
    background: str  # what the bed is, in words


def active_region(signal: np.ndarray, rate: int) -> tuple[int, int] | None:
    """(first, last) sample of the clip's active part, or None when no frame is active."""
    levels = frame_levels(signal, rate)
    if not len(levels):
        return None
    active = np.flatnonzero((levels >= levels.max() - ACTIVE_RANGE_DB) & (levels >= ACTIVE_FLOOR_DB))
    if not len(active):
        return None
    size = round(FRAME_SECONDS * rate)
    return int(active[0] * size), int(min(len(signal), (active[-1] + 1) * size))


def background_bed(seconds: float, rate: int, rng: np.random.Generator) -> tuple[np.ndarray, str]:
    """Coloured noise at -75..-40 dBFS, or mains hum under white noise, as a float64 signal."""
    length = round(seconds * rate)
    level = float(rng.uniform(-75.0, -40.0))
    kind = str(rng.choice([*SLOPES, "hum"]))
    if kind == "hum":
        signal = at_level(coloured(length, 0.0, rng), level - 10).astype(np.float64)
        signal += at_level(hum(length, rate, float(rng.choice([50.0, 60.0])), np.array([1.0, 0.5, 0.3]), rng), level)
        return signal, f"hum{level:.0f}dB"
    return at_level(coloured(length, SLOPES[kind], rng), level).astype(np.float64), f"{kind}{level:.0f}dB"


def on_bed(signal: np.ndarray, rate: int, rng: np.random.Generator) -> tuple[np.ndarray, str]:
    """(``signal`` on a drawn bed, the bed in words): one clip as ``make_soundscape`` places an
    event, its active region at -35..-15 dBFS RMS and at least 6 dB over the bed, its silence
    filled with the bed; the whole clip is kept, so a training copy keeps its length and label."""
    bed, name = background_bed(len(signal) / rate, rate, rng)
    region = active_region(signal, rate) or (0, len(signal))
    event = np.asarray(signal, dtype=np.float64)
    level = max(float(rng.uniform(-35.0, -15.0)), rms_db(bed) + 6.0)
    own = rms_db(event[region[0] : region[1]])
    mixed = bed + event * (10 ** ((level - own) / 20) if np.isfinite(own) else 0.0)  # digital silence stays silent over the bed
    peak = np.abs(mixed).max()
    return (mixed * (0.99 / peak if peak > 0.99 else 1.0)).astype(np.float32), name


def make_soundscape(clips: list[tuple[np.ndarray, str]], rate: int, rng: np.random.Generator, seconds: float = 30.0, overlap: bool = False) -> Soundscape:
    """``clips`` (signal, label) placed on a drawn background bed: each trimmed to its active
    region, scaled to -35..-15 dBFS RMS but at least 6 dB above the bed, at a random time (with
    ``overlap=False``, never within ``MIN_GAP_SECONDS`` of another). A clip that does not fit is
    left out, so a soundscape may hold fewer events than it was given."""
    bed, name = background_bed(seconds, rate, rng)
    bed_db = rms_db(bed)
    length = len(bed)
    taken: list[tuple[int, int]] = []
    events: list[Event] = []
    gap = round(MIN_GAP_SECONDS * rate)
    for signal, label in clips:
        region = active_region(signal, rate)
        if region is None:
            continue
        event = signal[region[0] : region[1]].astype(np.float64)
        if len(event) >= length:
            continue
        for _ in range(50):  # a free place, drawn
            start = int(rng.integers(0, length - len(event)))
            end = start + len(event)
            if overlap or all(end + gap <= a or start >= b + gap for a, b in taken):
                break
        else:
            continue
        level = max(float(rng.uniform(-35.0, -15.0)), bed_db + 6.0)
        bed[start:end] += at_level(event, level)
        taken.append((start, end))
        events.append(Event(start / rate, end / rate, label))
    peak = np.abs(bed).max()
    if peak > 0.99:  # never clip: scale the whole scene down (labels are unchanged)
        bed *= 0.99 / peak
    return Soundscape(bed.astype(np.float32), tuple(sorted(events, key=lambda e: e.onset)), name)
