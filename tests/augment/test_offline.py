"""Offline augmentation: each transform does what it says, copies stay in their fold, reruns match."""

import csv
import json
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from conftest import tone, write_wav
from envsound.augment.offline import augment_dataset
from envsound.data import fold_assignment, load_csv, split_indices
from envsound.data.manifest import Clip, Manifest


def _peak_hz(y, sr):
    spectrum = np.abs(np.fft.rfft(y * np.hanning(len(y))))
    return np.argmax(spectrum) * sr / len(y)


@pytest.fixture
def sine_manifest(tmp_path):
    sr = 16000
    clips = []
    for i, fold in enumerate((1, 1, 2, 2, 3, 3)):
        path = write_wav(tmp_path / "src" / f"c{i}.wav", tone(440, 2.0, sr=sr, amp=0.5), sr)
        clips.append(Clip(path, "a" if i % 2 else "b", fold=fold, group=f"rec{i}"))
    return Manifest("sines", tuple(clips))


def _rows(path):
    return list(csv.DictReader(open(path)))


def test_transforms_change_the_audio_as_intended(sine_manifest, tmp_path):
    manifest_path = augment_dataset(sine_manifest, tmp_path / "aug", ("pitch", "stretch", "noise", "shift"), seed=1, workers=1, show_progress=False)
    rows = {(r["source"], r["transform"]): r for r in _rows(manifest_path) if r["source"]}
    original, sr = sf.read(sine_manifest.clips[0].path)
    for (source, transform), row in rows.items():
        if source != "c0":
            continue
        y, _ = sf.read(tmp_path / "aug" / row["path"])
        params = json.loads(row["params"])
        if transform == "pitch":
            expected = 440 * 2 ** (params["num_semitones"] / 12)
            assert abs(_peak_hz(y, sr) - expected) < 8, (params, _peak_hz(y, sr))
        elif transform == "stretch":  # duration changes by 1/rate when not cropped back
            assert len(y) == pytest.approx(len(original) / params["rate"], rel=0.02)
        elif transform == "noise":
            residual = y - original
            assert np.std(residual) == pytest.approx(params["noise_std"], rel=0.05)
            snr = 10 * np.log10(np.mean(original**2) / np.mean(residual**2))
            assert 10 - 0.5 <= snr <= 30 + 0.5  # the configured SNR range
        elif transform == "shift":
            lag = int(np.argmax(np.correlate(y[:4000], original[:4000], "full"))) - 3999
            assert lag != 0 or abs(params["shift_amount"]) < 0.01


def test_copies_inherit_folds_and_never_cross_them(sine_manifest, tmp_path):
    path = augment_dataset(sine_manifest, tmp_path / "aug", ("gain", "noise"), copies=2, workers=1, show_progress=False)
    manifest = load_csv(path)
    assert len(manifest) == 6 + 6 * 2 * 2
    folds = fold_assignment(manifest)
    by_id = {c.clip_id: c for c in manifest.clips}
    for clip in manifest.clips:
        if clip.source:
            assert clip.fold == by_id[clip.source].fold and clip.group == by_id[clip.source].group
    from envsound.data import assert_no_leak

    for fold in (1, 2, 3):
        train, test = split_indices(folds, fold)
        assert_no_leak(manifest, train, test)


def test_same_seed_same_files_and_resume(sine_manifest, tmp_path):
    a = augment_dataset(sine_manifest, tmp_path / "a", ("pitch", "noise"), seed=7, workers=2, show_progress=False)
    b = augment_dataset(sine_manifest, tmp_path / "b", ("pitch", "noise"), seed=7, workers=1, show_progress=False)
    files = sorted((tmp_path / "a" / "audio").glob("*.wav"))
    assert len(files) == 12
    for f in files:
        assert f.read_bytes() == (tmp_path / "b" / "audio" / f.name).read_bytes()
    victim = files[3]
    victim.with_suffix(".json").unlink()  # as if killed before this copy finished
    before = {f: f.stat().st_mtime_ns for f in files if f != victim}
    augment_dataset(sine_manifest, tmp_path / "a", ("pitch", "noise"), seed=7, workers=1, show_progress=False)
    assert victim.read_bytes() == (tmp_path / "b" / "audio" / victim.name).read_bytes()
    assert all(f.stat().st_mtime_ns == t for f, t in before.items())  # finished copies untouched
    assert [r["params"] for r in _rows(a)] == [r["params"] for r in _rows(b)]
    other = augment_dataset(sine_manifest, tmp_path / "c", ("pitch",), seed=8, workers=1, show_progress=False)
    assert [r["params"] for r in _rows(other) if r["source"]] != [r["params"] for r in _rows(a) if r["transform"] == "pitch"]


@pytest.mark.slow
def test_cv_tests_on_originals_only(sine_manifest, tmp_path):
    from envsound.config import RunConfig, TrainConfig
    from envsound.features.logmel import LogMelConfig
    from envsound.training.crossval import cross_validate

    path = augment_dataset(sine_manifest, tmp_path / "aug", ("gain",), workers=1, show_progress=False)
    cfg = RunConfig(dataset=str(path), features=LogMelConfig(clip_seconds=2.0, n_mels=32), train=TrainConfig(model_kwargs={"width": 8}, epochs=1, batch_size=4, warmup_epochs=0))
    cross_validate(cfg, tmp_path / "run", verbose=False)
    for fold in (1, 2, 3):
        clips = np.load(tmp_path / "run" / f"fold-{fold}" / "predictions.npz")["clip"].tolist()
        assert clips and all("__" not in c for c in clips)


def test_mix_partner_is_another_class_from_the_same_fold(sine_manifest, tmp_path):
    """The background under a training copy is itself a training clip whenever the copy is one:
    same fold, other label, never an augmented copy. A planted cross-fold partner is caught."""
    from envsound.augment import offline

    path = augment_dataset(sine_manifest, tmp_path / "aug", ("mix",), copies=3, workers=1, show_progress=False)
    rows = [r for r in _rows(path) if r["transform"] == "mix"]
    originals = {Path(c.path).name: c for c in sine_manifest.clips}
    assert len(rows) == 18
    for row in rows:
        source = originals[f"{row['source']}.wav"]
        partner = originals[json.loads(row["params"])["partner"]]
        assert partner.fold == source.fold and partner.label != source.label
    honest = offline.mix_partner

    def leaky(manifest, clip, seed):
        return str(next(c.path for c in manifest.clips if c.fold != clip.fold))

    offline.mix_partner = leaky
    try:
        leaked = augment_dataset(sine_manifest, tmp_path / "leaky", ("mix",), workers=1, show_progress=False)
    finally:
        offline.mix_partner = honest
    assert any(originals[json.loads(r["params"])["partner"]].fold != originals[f"{r['source']}.wav"].fold for r in _rows(leaked) if r["transform"] == "mix")


def test_mix_needs_folds(tmp_path):
    from envsound.errors import ConfigError

    clips = tuple(Clip(write_wav(tmp_path / f"c{i}.wav", tone(440, 1.0), 16000), "ab"[i % 2]) for i in range(4))
    with pytest.raises(ConfigError, match="folds"):
        augment_dataset(Manifest("nofolds", clips), tmp_path / "aug", ("mix",), workers=1, show_progress=False)


@pytest.mark.slow
def test_realworld_transforms_are_deterministic_and_do_what_they_say():
    from envsound.augment.corruptions import power
    from envsound.augment.table import draw as apply_realworld

    sr = 16000
    rng = np.random.default_rng(0)
    signal = (0.3 * rng.standard_normal(sr * 2)).astype(np.float32)
    partner = tone(1000, 1.0, sr=sr, amp=0.5)
    for name in ("mix", "room", "band", "codec"):
        a, pa = apply_realworld(name, signal, sr, np.random.default_rng(5), partner)
        b, pb = apply_realworld(name, signal, sr, np.random.default_rng(5), partner)
        assert pa == pb and np.array_equal(a, b), name
        assert a.shape == signal.shape and np.isfinite(a).all() and not np.allclose(a, signal), name
    mixed, params = apply_realworld("mix", signal, sr, np.random.default_rng(1), partner)
    measured = 10 * np.log10(power(signal) / power(mixed - signal))
    assert abs(measured - params["snr_db"]) < 0.01 and 0 <= params["snr_db"] <= 15
    for seed in range(20):  # the low-pass edge it records is where the energy stops
        out, params = apply_realworld("band", signal, sr, np.random.default_rng(seed))
        if params["low_pass"]:
            spectrum = np.abs(np.fft.rfft(out)) ** 2
            freqs = np.fft.rfftfreq(len(out), 1 / sr)
            above = spectrum[freqs > params["low_pass"] * 1.3].sum() / spectrum.sum()
            assert above < 0.01, params


def test_noise_and_excerpt_copies_reach_what_they_record():
    """noise_snr: the added noise sits at the SNR it records, in the colour it records; excerpt: a
    stretch of the recorded length, cut from the clip itself. Both the same for the same seed."""
    from envsound.augment.corruptions import power
    from envsound.augment.table import draw as apply_realworld

    sr = 16000
    signal = tone(700, 5.0, sr=sr, amp=0.4)
    colours = set()
    for seed in range(12):
        out, params = apply_realworld("noise_snr", signal, sr, np.random.default_rng(seed))
        again, same = apply_realworld("noise_snr", signal, sr, np.random.default_rng(seed))
        assert same == params and np.array_equal(out, again)
        noise = out - signal
        assert abs(10 * np.log10(power(signal) / power(noise)) - params["snr_db"]) < 0.01 and 0 <= params["snr_db"] <= 25
        spectrum = np.abs(np.fft.rfft(noise)) ** 2
        low, high = spectrum[1 : len(spectrum) // 8].mean(), spectrum[len(spectrum) // 2 :].mean()
        assert (low > 4 * high) == (params["colour"] == "pink"), params  # pink: power falls with frequency
        colours.add(params["colour"])
        cut, params = apply_realworld("excerpt", signal, sr, np.random.default_rng(seed))
        assert abs(len(cut) - params["seconds"] * sr) <= 1 and 1.0 <= params["seconds"] <= 4.0
        start = int(np.argmin([np.abs(signal[s : s + 64] - cut[:64]).sum() for s in range(len(signal) - len(cut) + 1)]))
        assert np.allclose(signal[start : start + len(cut)], cut)
    assert colours == {"pink", "white"}


def test_onset_copies_are_one_event_cut_from_just_before_it():
    """onset: steps (20-ms bursts) on a quiet floor; each copy is 0.2-0.6 s long, starts 20 ms before
    one of the steps, is cut from the clip itself and is the same for the same seed. A clip with no
    onset but its start (steady noise) is cut from there; a silent one gets a stretch anyway."""
    from envsound.augment.realworld import onsets
    from envsound.augment.table import draw as apply_realworld

    sr = 16000
    rng = np.random.default_rng(3)
    signal = (0.001 * rng.standard_normal(sr * 5)).astype(np.float32)
    steps = [0.5, 1.3, 2.2, 3.0, 4.1]
    for t in steps:
        at = int(t * sr)
        signal[at : at + 320] += (0.5 * rng.standard_normal(320)).astype(np.float32)
    found = onsets(signal, sr) / sr
    assert len(found) == len(steps) and np.allclose(found, steps, atol=0.011)
    starts = set()
    for seed in range(12):
        cut, params = apply_realworld("onset", signal, sr, np.random.default_rng(seed))
        again, same = apply_realworld("onset", signal, sr, np.random.default_rng(seed))
        assert same == params and np.array_equal(cut, again)
        assert 0.2 <= params["seconds"] <= 0.6 and abs(len(cut) - params["seconds"] * sr) <= 1 and params["onsets"] == 5
        assert min(abs(params["start"] + 0.02 - t) for t in steps) < 0.011
        start = round(params["start"] * sr)
        assert np.array_equal(signal[start : start + len(cut)], cut)
        starts.add(round(params["start"], 1))
    assert len(starts) >= 3  # the event is picked at random, not always the first
    steady = (0.3 * rng.standard_normal(sr * 5)).astype(np.float32)
    cut, params = apply_realworld("onset", steady, sr, np.random.default_rng(0))
    assert params["onsets"] == 1 and params["start"] == 0 and 0.2 <= params["seconds"] <= 0.6 and len(cut) == round(params["seconds"] * sr)
    cut, params = apply_realworld("onset", np.zeros(sr, dtype=np.float32), sr, np.random.default_rng(0))
    assert params["onsets"] == 0 and len(cut) == round(params["seconds"] * sr)


def test_floor_copies_sit_at_the_level_they_record_and_at_the_asked_rate(sine_manifest, tmp_path):
    """floor: noise at the absolute RMS level it records (not relative to the clip), in its colour,
    the same for the same seed; with sample_rate the copies are written at that rate, so at 32 kHz
    the floor reaches above the 16 kHz source's 8 kHz."""
    import soundfile as sf

    from envsound.augment.corruptions import power
    from envsound.augment.table import draw as apply_realworld

    sr = 32000
    for amp in (0.05, 0.5):  # the floor's level does not follow the clip's
        signal = tone(700, 2.0, sr=sr, amp=amp)
        for seed in range(6):
            out, params = apply_realworld("floor", signal, sr, np.random.default_rng(seed))
            again, same = apply_realworld("floor", signal, sr, np.random.default_rng(seed))
            assert same == params and np.array_equal(out, again)
            level = 10 * np.log10(power(out - signal))
            assert abs(level - params["floor_dbfs"]) < 0.05 and -80 <= params["floor_dbfs"] <= -40, params
    path = augment_dataset(sine_manifest, tmp_path / "aug", ("floor",), sample_rate=sr, workers=1, show_progress=False)
    copies = [row for row in csv.DictReader(open(path)) if "__floor" in row["path"]]
    assert copies and all(sf.info(tmp_path / "aug" / row["path"]).samplerate == sr for row in copies)
    copy, rate = sf.read(tmp_path / "aug" / copies[0]["path"])
    recorded = json.loads((tmp_path / "aug" / copies[0]["path"]).with_suffix(".json").read_text())["params"]
    spectrum = np.fft.rfft(copy)
    spectrum[np.fft.rfftfreq(len(copy), 1 / rate) < 9000] = 0
    above = np.fft.irfft(spectrum, n=len(copy))
    # the floor above 9 kHz: within 15 dB of its level (pink puts the least there), far over 16-bit quantisation (-105 dBFS)
    assert 10 * np.log10(power(above)) > recorded["floor_dbfs"] - 15


def test_bed_copies_keep_the_clip_over_a_drawn_bed(sine_manifest, tmp_path):
    """beds: the clip kept whole, its sounding part 6 dB or more over a bed drawn as a soundscape's
    (white, pink, brown or hum), its silence filled by the bed; seeded; written by augment_dataset
    with the bed it drew recorded."""
    from envsound.augment.noise_beds import rms_db
    from envsound.augment.table import draw as apply_realworld

    sr = 32000
    signal = np.zeros(2 * sr, dtype=np.float32)
    signal[sr // 2 : sr] = tone(700, 0.5, sr=sr, amp=0.3)
    beds = set()
    for seed in range(8):
        out, params = apply_realworld("beds", signal, sr, np.random.default_rng(seed))
        again, same = apply_realworld("beds", signal, sr, np.random.default_rng(seed))
        assert same == params and np.array_equal(out, again) and out.shape == signal.shape
        bed, sound = rms_db(out[: sr // 2].astype(np.float64)), rms_db(out[sr // 2 : sr].astype(np.float64))
        assert -76 <= bed <= -39 or params["bed"].startswith("hum"), params  # the bed alone where the clip is silent
        assert sound >= bed + 5.9
        beds.add(params["bed"].rstrip("dB0123456789-."))
    assert len(beds) >= 2  # the colour is drawn
    silent, _ = apply_realworld("beds", np.zeros(sr, dtype=np.float32), sr, np.random.default_rng(0))
    assert np.isfinite(silent).all() and silent.std() > 0  # digital silence: the bed alone, never NaN
    path = augment_dataset(sine_manifest, tmp_path / "aug", ("beds",), sample_rate=sr, workers=1, show_progress=False)
    copies = [row for row in csv.DictReader(open(path)) if "__beds" in row["path"]]
    assert copies and "bed" in json.loads((tmp_path / "aug" / copies[0]["path"]).with_suffix(".json").read_text())["params"]


def test_a_bad_rate_or_a_resume_at_another_rate_is_one_clear_error(sine_manifest, tmp_path):
    from envsound.errors import ConfigError

    with pytest.raises(ConfigError, match="--sample-rate 0"):
        augment_dataset(sine_manifest, tmp_path / "aug", ("gain",), sample_rate=0, workers=1, show_progress=False)
    augment_dataset(sine_manifest, tmp_path / "aug", ("gain",), sample_rate=32000, workers=1, show_progress=False)
    before = sorted(p.name for p in (tmp_path / "aug" / "audio").iterdir())
    with pytest.raises(ConfigError, match="made at 32000 Hz, not 16000 Hz"):
        augment_dataset(sine_manifest, tmp_path / "aug", ("gain", "noise"), workers=1, show_progress=False)
    assert sorted(p.name for p in (tmp_path / "aug" / "audio").iterdir()) == before  # nothing written before the refusal


def test_no_copies_to_make_is_refused_before_any_folder_is_made(sine_manifest, tmp_path):
    """`--copies 0` or an empty `--transforms` used to write a manifest of the originals alone."""
    from envsound.errors import ConfigError

    for transforms, copies, rate in ((("gain",), 0, None), (("gain",), -1, None), ((), 1, None), (("gain",), 1, 0)):
        with pytest.raises(ConfigError):
            augment_dataset(sine_manifest, tmp_path / "aug", transforms, copies=copies, sample_rate=rate, workers=1, show_progress=False)
    assert not (tmp_path / "aug").exists()
