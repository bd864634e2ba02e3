"""Every named augmentation in one table: what it does, its three fixed severities when ESC-50-C
measures a model against it, and how a training copy draws it.

A row may have either side or both: ``codec`` is MP3 at 64/32/16 kbps in ESC-50-C and one of those
drawn for a training copy; ``background`` is another clip under the foreground in ESC-50-C and a
noise recording from ``--background`` for a training copy. Training copies are drawn by
``realworld`` functions (seeded NumPy generators) or by audiomentations (``library``: the study's
transforms, seeded through the global generators by ``offline``). Three rows add noise, and they
differ on purpose: ``white_noise`` is ESC-50-C's damage (20/10/0 dB SNR), ``noise`` the study's
training noise (Gaussian, 10-30 dB), ``noise_snr`` the real-world one (white or pink, 0-25 dB).
Recorded configs and run folders name them, so they keep their names; the noise itself comes from
one generator (``noise_beds.noise``), except ``noise``'s, which audiomentations draws.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

import numpy as np

from envsound.augment import corruptions as C
from envsound.augment import realworld as R
from envsound.augment.noise_beds import noise
from envsound.features.band import band_pass

Damage = Callable[[np.ndarray, int, Any, np.random.Generator, "np.ndarray | None"], np.ndarray]  # (signal, rate, setting, rng, other clip)
Draw = Callable[[np.ndarray, int, np.random.Generator, "np.ndarray | None"], tuple[np.ndarray, dict]]  # (signal, rate, rng, partner) -> copy, parameters


@dataclass(frozen=True)
class Augmentation:
    name: str
    what: str
    severities: tuple | None = None  # ESC-50-C's settings at severity 1, 2, 3
    damage: Damage | None = None  # ESC-50-C: the corruption at one of those settings
    draw: Draw | None = None  # a training copy, parameters drawn from ranges (augment/realworld.py)
    library: Callable[[str | None], Any] | None = None  # a training copy by audiomentations: (background folder) -> transform


def _audiomentations(make: Callable[[Any, str | None], Any]) -> Callable[[str | None], Any]:
    def build(background: str | None) -> Any:
        import audiomentations

        return make(audiomentations, background)

    return build


TABLE: tuple[Augmentation, ...] = (
    Augmentation("white_noise", "white noise at an SNR", (20.0, 10.0, 0.0),
                 damage=lambda x, rate, snr, rng, other: C.mix_at_snr(x, noise(len(x), "white", rng), snr)),
    Augmentation("pink_noise", "pink noise at an SNR", (20.0, 10.0, 0.0),
                 damage=lambda x, rate, snr, rng, other: C.mix_at_snr(x, noise(len(x), "pink", rng), snr)),
    Augmentation("background", "a background sound under the clip: ESC-50-C another clip at a foreground-to-background ratio; "
                 "training a recording from --background at 5-20 dB SNR", (10.0, 5.0, 0.0),
                 damage=lambda x, rate, ratio, rng, other: C.mix_at_snr(x, C.loop_to_length(other, len(x)), ratio),
                 library=_audiomentations(lambda A, folder: A.AddBackgroundNoise(sounds_path=folder, min_snr_db=5.0, max_snr_db=20.0, p=1.0))),
    Augmentation("reverb", "a simulated room (image-source model) at an RT60 in seconds", (0.3, 0.7, 1.2),
                 damage=lambda x, rate, rt60, rng, other: C.reverberate(x, rate, rt60, rng)),
    Augmentation("band_limit", "band-limiting: (high-pass, low-pass) edges in Hz", ((None, 4000.0), (300.0, 3400.0), (None, 2000.0)),
                 damage=lambda x, rate, edges, rng, other: band_pass(x, rate, *edges)),
    Augmentation("codec", "MP3 (libsndfile's LAME) at kbps: ESC-50-C a severity's, training one of them drawn", (64, 32, 16),
                 damage=lambda x, rate, kbps, rng, other: C.mp3(x, rate, kbps), draw=R.codec),
    Augmentation("clipping", "gain over full scale in dB into hard clipping", (6.0, 12.0, 20.0),
                 damage=lambda x, rate, gain, rng, other: C.clip(x, gain)),
    Augmentation("crop", "a random crop to this many seconds", (3.0, 2.0, 1.0),
                 damage=lambda x, rate, seconds, rng, other: C.crop(x, rate, seconds, rng)),
    Augmentation("noise", "the study's Gaussian noise at 10-30 dB SNR",
                 library=_audiomentations(lambda A, folder: A.AddGaussianSNR(min_snr_db=10.0, max_snr_db=30.0, p=1.0))),
    Augmentation("shift", "a circular time shift of up to half the clip",
                 library=_audiomentations(lambda A, folder: A.Shift(min_shift=-0.5, max_shift=0.5, rollover=True, p=1.0))),
    Augmentation("pitch", "a pitch shift of up to 2 semitones",
                 library=_audiomentations(lambda A, folder: A.PitchShift(min_semitones=-2.0, max_semitones=2.0, p=1.0))),
    Augmentation("stretch", "a time stretch at 0.7-1.2x",
                 library=_audiomentations(lambda A, folder: A.TimeStretch(min_rate=0.7, max_rate=1.2, leave_length_unchanged=False, p=1.0))),
    Augmentation("gain", "a gain of up to 6 dB either way",
                 library=_audiomentations(lambda A, folder: A.Gain(min_gain_db=-6.0, max_gain_db=6.0, p=1.0))),
    Augmentation("mix", "another training clip of the same fold under the clip at 0-15 dB", draw=R.mix),
    Augmentation("room", "a room from ESC-50-C's bank at another RT60, mixed wet/dry", draw=R.room),
    Augmentation("band", "random EQ: high-pass, low-pass and spectral tilt", draw=R.band),
    Augmentation("noise_snr", "white or pink noise at 0-25 dB SNR", draw=R.noise_snr),
    Augmentation("excerpt", "a random 1-4 s stretch", draw=R.excerpt),
    Augmentation("floor", "a recording's noise floor: white or pink noise at -80 to -40 dBFS", draw=R.floor),
    Augmentation("onset", "one event: 0.2-0.6 s from just before an onset", draw=R.onset),
    Augmentation("beds", "the clip on a white, pink, brown or hum bed at -75 to -40 dBFS, as a soundscape's event (its active part 6 dB or more over it)",
                 draw=R.beds),
)
AUGMENTATIONS: dict[str, Augmentation] = {row.name: row for row in TABLE}
assert len(AUGMENTATIONS) == len(TABLE), "one row per name"

SEVERITIES = (1, 2, 3)
CORRUPTIONS = tuple(row.name for row in TABLE if row.damage is not None)  # ESC-50-C, in its order
SETTINGS: dict[str, tuple] = {row.name: row.severities for row in TABLE if row.severities is not None}
TRANSFORM_NAMES = ("noise", "shift", "pitch", "stretch", "gain", "background", "mix", "room", "band", "codec", "noise_snr", "excerpt", "floor", "onset", "beds")
assert set(TRANSFORM_NAMES) == {row.name for row in TABLE if row.draw is not None or row.library is not None}


def corrupt(signal: np.ndarray, rate: int, name: str, severity: int, rng: np.random.Generator, background: np.ndarray | None = None) -> np.ndarray:
    """``signal`` with ESC-50-C's corruption ``name`` at ``severity`` (1-3); ``background`` for "background"."""
    row = AUGMENTATIONS.get(name)
    if row is None or row.damage is None:
        raise ValueError(f"unknown corruption '{name}'; known: {', '.join(CORRUPTIONS)}")
    if severity not in SEVERITIES:
        raise ValueError(f"severity must be 1, 2 or 3, got {severity}")
    if name == "background" and background is None:
        raise ValueError("the background corruption needs a background clip")
    assert row.severities is not None
    return row.damage(np.asarray(signal, dtype=np.float32), rate, row.severities[severity - 1], rng, background)


def draw(name: str, signal: np.ndarray, rate: int, rng: np.random.Generator, partner: np.ndarray | None = None) -> tuple[np.ndarray, dict[str, Any]]:
    """A real-world training copy of ``signal`` by ``name``, and the parameters drawn (recorded in the manifest)."""
    row = AUGMENTATIONS.get(name)
    if row is None or row.draw is None:
        raise ValueError(f"unknown real-world transform '{name}'; known: {', '.join(r.name for r in TABLE if r.draw is not None)}")
    return row.draw(np.asarray(signal, dtype=np.float32), rate, rng, partner)
