"""`envsound predict` out of the box: the shipped model, real clips, awkward input."""

import json
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from conftest import REPO
from envsound.inference.predict import Predictor
from envsound.inference.shipped import default_model_path
from envsound.models.model_file import load_model

EXAMPLES = REPO / "examples"
TRUTH = {"1-100032-A-0": "dog", "1-26806-A-1": "rooster", "1-17367-A-10": "rain", "1-47250-B-41": "chainsaw", "1-187207-A-20": "crying_baby"}


@pytest.fixture(scope="module")
def predictor():
    loaded = Predictor.from_file()  # the Python API's default is the shipped model, as the CLI's is
    assert loaded.loaded.info == load_model(default_model_path()).info
    return loaded


@pytest.mark.slow
def test_shipped_model_labels_the_examples(predictor):
    for stem, label in TRUTH.items():
        assert predictor.predict_file(EXAMPLES / f"{stem}.flac", top_k=3).labels[0] == label


def test_shipped_model_on_unseen_format_and_rate(predictor, esc50_root, tmp_path):
    """A real clip as 8 kHz stereo WAV: resampled and mixed down, still recognised."""
    import soxr

    y, sr = sf.read(esc50_root / "audio" / "1-100038-A-14.flac")  # chirping_birds
    y8 = soxr.resample(y, sr, 8000)
    sf.write(tmp_path / "birds.wav", np.stack([y8, y8 * 0.5], axis=1), 8000)
    result = predictor.predict_file(tmp_path / "birds.wav", top_k=5)
    assert result.error is None and "chirping_birds" in result.labels


def test_long_short_and_silent_input(predictor, esc50_root, tmp_path):
    y, sr = sf.read(esc50_root / "audio" / "1-100032-A-0.flac")  # dog
    long = np.concatenate([np.zeros(sr * 55), y])  # a dog at the end of a 60-s file
    sf.write(tmp_path / "long.wav", long, sr)
    result = predictor.predict_file(tmp_path / "long.wav", top_k=5)
    assert result.error is None and "dog" in result.labels
    loudest = int(np.argmax(np.abs(y)))
    sf.write(tmp_path / "short.wav", y[max(0, loudest - int(0.025 * sr)) : loudest + int(0.025 * sr)], sr)
    short = predictor.predict_file(tmp_path / "short.wav")
    assert short.error is None and "zero-padded" in short.warning
    sf.write(tmp_path / "silence.wav", np.zeros(sr * 5), sr)
    silent = predictor.predict_file(tmp_path / "silence.wav")
    assert "silent" in silent.warning and np.isfinite(silent.probabilities).all()


def test_cli_predict_without_model_argument_json(cli_run):
    clip = EXAMPLES / "1-26806-A-1.flac"
    result = cli_run("predict", str(clip), "--json")
    assert result.returncode == 0, result.stderr
    top = json.loads(result.stdout)[0]["top"]
    assert top[0]["label"] == "rooster" and abs(sum(t["probability"] for t in top) - 1) < 0.1


def test_cli_audioset_tags_and_non_audio(tmp_path, cli_run):
    text = tmp_path / "notes.wav"
    text.write_text("not audio")
    result = cli_run("predict", str(EXAMPLES / "1-100032-A-0.flac"), str(text), "--audioset")
    assert result.returncode == 1
    assert "Dog" in result.stdout or "Bark" in result.stdout
    assert result.stderr.strip().startswith("error: ") and "notes.wav: not a readable audio file" in result.stderr


@pytest.mark.slow
def test_batched_prediction_equals_one_by_one_and_keeps_order(predictor, tmp_path):
    bad = tmp_path / "broken.wav"
    bad.write_bytes(b"RIFF....")
    files = [EXAMPLES / f"{s}.flac" for s in list(TRUTH)[:3]] + [bad] + [EXAMPLES / f"{s}.flac" for s in list(TRUTH)[3:]]
    batched = predictor.predict(files, top_k=3, batch_size=2)
    assert [r.file for r in batched] == [str(f) for f in files]
    assert batched[3].error and "broken.wav" in batched[3].error
    for f, r in zip(files, batched):
        if f != bad:
            single = predictor.predict_file(f, top_k=3)
            assert r.labels == single.labels
            np.testing.assert_allclose(r.probabilities, single.probabilities, atol=1e-5)


@pytest.mark.slow
def test_cli_folder_glob_and_csv_output(tmp_path, cli_run):
    import csv
    import shutil

    nested = tmp_path / "in" / "sub"
    nested.mkdir(parents=True)
    for stem in TRUTH:
        shutil.copy(EXAMPLES / f"{stem}.flac", nested / f"{stem}.flac")
    (tmp_path / "in" / "notes.txt").write_text("ignored: not audio by extension")
    out = tmp_path / "preds.csv"
    result = cli_run("predict", str(tmp_path / "in"), "--output", str(out), "--top-k", "1")
    assert result.returncode == 0, result.stderr
    rows = list(csv.DictReader(open(out)))
    assert {Path(r["file"]).stem: r["label"] for r in rows} == TRUTH
    result = cli_run("predict", str(tmp_path / "in" / "**" / "1-1*.flac"), "--json", "--top-k", "1")
    assert sorted(Path(r["file"]).stem for r in json.loads(result.stdout)) == ["1-100032-A-0", "1-17367-A-10", "1-187207-A-20"]
    empty = cli_run("predict", str(tmp_path / "in" / "*.mp3"))
    assert empty.returncode == 2 and "no audio files found" in empty.stderr


def test_tta_scores_shifted_copies_and_averages_them():
    """--tta N: each window is also scored rolled by k/(N+1) of its length, and the N+1 scores
    are averaged; N = 0 scores the window once, as before."""
    from envsound.errors import ConfigError

    seen = []

    class Identity:
        sample_rate, clip_seconds = 100, 1.0

        def __call__(self, waves):
            return waves

    def score(features):
        seen.append(features.copy())
        first_half = features[:, :50].sum(1)  # "class 0": energy in the window's first half
        share = first_half / features.sum(1)
        return np.stack([share, 1 - share], axis=1)

    window = np.zeros((1, 100), dtype=np.float32)
    window[0, :25] = 1.0  # all the energy in the first quarter
    plain = Predictor(Identity(), score, ("a", "b")).window_scores(window)[0]
    np.testing.assert_allclose(plain, [[1.0, 0.0]])
    seen.clear()
    averaged = Predictor(Identity(), score, ("a", "b"), tta=3).window_scores(window)[0]
    assert len(seen[0]) == 4 and [int(np.argmax(c)) for c in seen[0]] == [0, 25, 50, 75]
    np.testing.assert_allclose(averaged, [[0.5, 0.5]])  # two of the four copies put it in the first half
    for copies in (-1, 1_000_000):  # a million copies per window used to run for ever
        with pytest.raises(ConfigError, match="tta"):
            Predictor(Identity(), score, ("a", "b"), tta=copies)


def test_gate_reaches_the_front_end_on_every_path_only_when_on(tmp_path):
    """Predictor(gate=True): the windows the front end gets from predict_array, predict (files) and timeline have
    their noise floor zeroed; with the gate off they arrive as they were."""
    from envsound.inference.timeline import compute_timeline

    rate = 16000
    seen = []

    class Recording:
        sample_rate, clip_seconds = rate, 1.0

        def __call__(self, waves):
            seen.append(waves.copy())
            return waves[:, :2]

    def score(features):
        return np.tile([0.5, 0.5], (len(features), 1))

    signal = (np.random.default_rng(0).standard_normal(rate) * 1e-3).astype(np.float32)  # -60 dBFS floor
    signal[:1600] += 0.3 * np.sin(2 * np.pi * 440 * np.arange(1600) / rate).astype(np.float32)  # a 0.1-s sound at the start
    path = tmp_path / "floor.wav"
    sf.write(path, signal, rate)
    for gate in (False, True):
        predictor = Predictor(Recording(), score, ("a", "b"), gate=gate)
        seen.clear()
        predictor.predict_array(signal, rate)
        predictor.predict([path], workers=1)
        compute_timeline(predictor, path, window_seconds=1.0, hop_seconds=0.5)
        assert len(seen) >= 3
        for waves in seen:
            floor = waves[:, 2000:]  # past the sound (the floor, or zero padding)
            assert (not floor.any()) if gate else floor.any()
