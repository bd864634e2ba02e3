"""Real-world damage as *training* augmentation (issue #15, item 4): the corruption family of
ESC-50-C, drawn from continuous ranges instead of its three fixed severities.

- ``mix``: another training clip under the foreground at 0-15 dB (the label stays the
  foreground's). The partner is chosen by ``offline.augment_dataset`` from the *same fold*, with a
  different label, so it is a training clip whenever the copy is: a test clip is never heard.
- ``room``: a simulated room (the ESC-50-C room bank at RT60 0.25/0.5/0.8/1.1 s, none of which is a
  benchmark severity), mixed wet/dry.
- ``band``: random EQ: a high-pass (half the time) and a low-pass (most of the time) at
  log-uniform edges, then ±6 dB of spectral tilt.
- ``codec``: MP3 at 64, 32 or 16 kbps through libsndfile.
- ``noise_snr``: white or pink noise (even odds) at 0-25 dB SNR.
- ``floor``: a recording's noise floor: white or pink noise (even odds) at an absolute -80 to -40
  dBFS RMS, whatever the clip's level, under the whole clip. Write it at the front end's rate
  (``envsound augment --sample-rate 32000``) to put floor energy above the 16 kHz copy's 8 kHz.
- ``excerpt``: a random 1-4 s stretch, which the front end zero-pads like any short recording
  (most sounds from elsewhere are shorter than a 5-s window).
- ``onset``: one event: a 0.2-0.6 s stretch from just before an onset picked at random (a random
  stretch where the clip has none), kept short so it is zero-padded after the sound, as `predict`
  pads a short recording. ESC-50 teaches some classes only as sequences (footsteps: a median of 13
  steps a clip, `benchmarks/footsteps.py`), while a recording from elsewhere is often one event.

Each draw comes from a ``numpy`` generator seeded per copy, so a copy is the same on every run.
Each transform is a function ``(signal, rate, rng, partner) -> (copy, parameters drawn)``, listed
with every other augmentation in ``augment/table.py``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from envsound.augment import corruptions as C
from envsound.augment.noise_beds import noise
from envsound.augment.soundscapes import on_bed
from envsound.features.band import band_pass

ROOM_RT60S = (0.25, 0.5, 0.8, 1.1)
MIX_SNR_DB = (0.0, 15.0)
NOISE_SNR_DB = (0.0, 25.0)
EXCERPT_SECONDS = (1.0, 4.0)
ONSET_SECONDS = (0.2, 0.6)
ONSET_FRAME_SECONDS = 0.01  # onset detection: 10-ms frames
ONSET_LEAD_SECONDS = 0.02  # the event's stretch starts this long before its onset frame
ONSET_RISE_DB = 6.0  # an onset: a frame this much louder than the mean of the 50 ms before it...
ONSET_WITHIN_DB = 30.0  # ...and within this of the clip's loudest frame
FLOOR_DBFS = (-80.0, -40.0)
TILT_DB = 6.0


def _tilt(signal: np.ndarray, rate: int, tilt_db: float) -> np.ndarray:
    """A gentle first-order shelf: ``tilt_db`` more at Nyquist than at DC, loudness kept."""
    spectrum = np.fft.rfft(signal)
    freqs = np.linspace(0.0, 1.0, len(spectrum))
    shaped = np.fft.irfft(spectrum * 10 ** (tilt_db * freqs / 20), n=len(signal))
    return (shaped * np.sqrt(max(C.power(signal), C.TINY) / max(C.power(shaped), C.TINY))).astype(np.float32)


def onsets(signal: np.ndarray, rate: int) -> np.ndarray:
    """Sample positions where an event starts: frames ``ONSET_RISE_DB`` louder than the 50 ms
    before them and within ``ONSET_WITHIN_DB`` of the loudest frame, at least 50 ms apart; a clip
    that sounds from its first frame starts with one. A plain energy-rise detector: enough to find
    steps, knocks and barks, with no dependency. A silent clip has none."""
    frame = max(1, round(ONSET_FRAME_SECONDS * rate))
    n = len(signal) // frame
    if n < 2:
        return np.zeros(0, dtype=np.int64)
    level = 10 * np.log10(np.mean(np.square(signal[: n * frame].reshape(n, frame), dtype=np.float64), axis=1) + 1e-12)
    history = 5  # frames: 50 ms
    before = np.array([level[max(0, i - history) : i].mean() if i else -120.0 for i in range(n)])
    audible = level > -100.0  # digital silence (ESC-50's padding) is never an event
    candidates = np.flatnonzero((level - before >= ONSET_RISE_DB) & (level >= level.max() - ONSET_WITHIN_DB) & audible)
    kept: list[int] = []
    for i in candidates.tolist():
        if not kept or i - kept[-1] >= history:
            kept.append(i)
    return np.array(kept, dtype=np.int64) * frame


def mix(signal: np.ndarray, rate: int, rng: np.random.Generator, partner: np.ndarray | None = None) -> tuple[np.ndarray, dict[str, Any]]:
    if partner is None:
        raise ValueError("the mix transform needs a partner clip")
    snr = float(rng.uniform(*MIX_SNR_DB))
    return C.mix_at_snr(signal, C.loop_to_length(partner, len(signal)), snr), {"snr_db": round(snr, 2)}


def room(signal: np.ndarray, rate: int, rng: np.random.Generator, partner: np.ndarray | None = None) -> tuple[np.ndarray, dict[str, Any]]:
    rt60 = float(rng.choice(ROOM_RT60S))
    wet = float(rng.uniform(0.5, 1.0))
    reverberant = C.reverberate(signal, rate, rt60, rng)
    return (wet * reverberant + (1 - wet) * signal).astype(np.float32), {"rt60": rt60, "wet": round(wet, 3)}


def band(signal: np.ndarray, rate: int, rng: np.random.Generator, partner: np.ndarray | None = None) -> tuple[np.ndarray, dict[str, Any]]:
    high = float(np.exp(rng.uniform(np.log(80), np.log(500)))) if rng.random() < 0.5 else None
    low = float(np.exp(rng.uniform(np.log(1500), np.log(7000)))) if rng.random() < 0.8 else None
    tilt = float(rng.uniform(-TILT_DB, TILT_DB))
    out = _tilt(band_pass(signal, rate, high, low), rate, tilt)
    return out, {"high_pass": None if high is None else round(high), "low_pass": None if low is None else round(low), "tilt_db": round(tilt, 2)}


def codec(signal: np.ndarray, rate: int, rng: np.random.Generator, partner: np.ndarray | None = None) -> tuple[np.ndarray, dict[str, Any]]:
    kbps = int(rng.choice(sorted(C.MP3_LEVEL_16K)))
    return C.mp3(signal, rate, kbps), {"kbps": kbps}


def noise_snr(signal: np.ndarray, rate: int, rng: np.random.Generator, partner: np.ndarray | None = None) -> tuple[np.ndarray, dict[str, Any]]:
    colour = "pink" if rng.random() < 0.5 else "white"
    snr = float(rng.uniform(*NOISE_SNR_DB))
    return C.mix_at_snr(signal, noise(len(signal), colour, rng), snr), {"colour": colour, "snr_db": round(snr, 2)}


def floor(signal: np.ndarray, rate: int, rng: np.random.Generator, partner: np.ndarray | None = None) -> tuple[np.ndarray, dict[str, Any]]:
    colour = "pink" if rng.random() < 0.5 else "white"
    level = float(rng.uniform(*FLOOR_DBFS))
    bed = noise(len(signal), colour, rng)
    bed = bed * (10 ** (level / 20) / np.sqrt(max(C.power(bed), C.TINY)))
    return (signal + bed).astype(np.float32), {"colour": colour, "floor_dbfs": round(level, 2)}


def beds(signal: np.ndarray, rate: int, rng: np.random.Generator, partner: np.ndarray | None = None) -> tuple[np.ndarray, dict[str, Any]]:
    out, bed = on_bed(signal, rate, rng)
    return out, {"bed": bed}


def onset(signal: np.ndarray, rate: int, rng: np.random.Generator, partner: np.ndarray | None = None) -> tuple[np.ndarray, dict[str, Any]]:
    seconds = float(rng.uniform(*ONSET_SECONDS))
    length = min(len(signal), round(seconds * rate))
    found = onsets(signal, rate)
    if len(found):
        start = max(0, int(rng.choice(found)) - round(ONSET_LEAD_SECONDS * rate))
    else:
        start = int(rng.integers(0, len(signal) - length + 1))
    start = min(start, len(signal) - length)
    return signal[start : start + length].astype(np.float32), {"start": round(start / rate, 4), "seconds": round(length / rate, 4), "onsets": int(len(found))}


def excerpt(signal: np.ndarray, rate: int, rng: np.random.Generator, partner: np.ndarray | None = None) -> tuple[np.ndarray, dict[str, Any]]:
    seconds = float(rng.uniform(*EXCERPT_SECONDS))
    cut = C.crop(signal, rate, seconds, rng)
    return cut, {"seconds": round(len(cut) / rate, 4)}
