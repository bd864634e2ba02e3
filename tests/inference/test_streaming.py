"""Long and hostile audio: streamed in blocks, scored in batches, refused in one line when absurd."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest
import soundfile as sf

from conftest import REPO, tone, write_wav
from envsound import audio
from envsound.audio import iter_windows, load_audio, probe, stream_audio
from envsound.errors import AudioError
from envsound.inference.predict import Predictor, expand_inputs
from envsound.inference.timeline import compute_timeline
from envsound.models.windowing import Windowing


@pytest.fixture(scope="module")
def predictor():
    # On the CPU even where a GPU is seen: cuDNN's TF32 convolutions give other batch sizes
    # probabilities ~1e-3 apart (an H100, 2026-11-26), which is test_device's tolerance, not this test's
    return Predictor.from_file(device="cpu")


def test_stream_equals_whole_file_decoding(tmp_path):
    """Blocks at 44.1 kHz stereo resampled as a stream = the same samples as decoding at once."""
    rng = np.random.default_rng(0)
    stereo = (0.1 * rng.standard_normal((44100 * 7, 2))).astype(np.float32)
    sf.write(tmp_path / "x.wav", stereo, 44100, subtype="FLOAT")
    import soxr

    whole = soxr.resample(stereo.mean(axis=1), 44100, 16000, quality="HQ")
    streamed = np.concatenate(list(stream_audio(tmp_path / "x.wav", 16000, block_seconds=0.9)))
    assert np.array_equal(streamed, whole.astype(np.float32))
    assert np.array_equal(load_audio(tmp_path / "x.wav", 16000), streamed)


@pytest.mark.parametrize("tail", ["flush", "pad"])
def test_windows_over_blocks_equal_windows_over_the_whole(tail):
    signal = np.arange(1049, dtype=np.float32)
    whole = list(iter_windows([signal], 100, 50, tail))
    for block in (1, 7, 100, 333):
        pieces = [signal[i : i + block] for i in range(0, len(signal), block)]
        streamed = list(iter_windows(pieces, 100, 50, tail))
        assert [s for s, _ in streamed] == [s for s, _ in whole]
        assert all(np.array_equal(a, b) for (_, a), (_, b) in zip(streamed, whole))
    starts = [s for s, _ in whole]
    assert starts[-1] == (949 if tail == "flush" else 950)  # flush: ends with the signal; pad: on the hop grid
    windows = Windowing(100, 50).split(np.ones(30, np.float32))  # shorter than a window: one, zero-padded
    assert windows.shape == (1, 100) and windows[0, 30:].sum() == 0


def test_absurd_rates_and_lengths_are_refused_before_decoding(tmp_path, monkeypatch):
    one_hz = tmp_path / "one_hz.wav"
    sf.write(one_hz, np.zeros(400, np.float32), 1)  # a 1 KB file that "lasts" 400 s at 1 Hz
    with pytest.raises(AudioError, match="sample rate 1 Hz"):
        load_audio(one_hz, 16000)
    long = write_wav(tmp_path / "long.wav", np.zeros(16000 * 3, np.float32))
    monkeypatch.setenv(audio.MAX_SECONDS_ENV, "2")
    with pytest.raises(AudioError, match="over the 2 s limit"):
        probe(long)
    assert len(load_audio(long, 16000, seconds=1.0)) == 16000  # a fixed-length clip reads only its start


def test_nan_and_truncation_found_mid_stream_are_one_error(tmp_path, predictor, cli_run):
    signal = tone(440, seconds=30)
    signal[16000 * 20] = np.nan
    sf.write(tmp_path / "nan.wav", signal, 16000, subtype="FLOAT")
    with pytest.raises(AudioError, match="NaN"):
        compute_timeline(predictor, tmp_path / "nan.wav", 2.0, 1.0)
    assert "NaN" in predictor.predict_file(tmp_path / "nan.wav").error
    sf.write(tmp_path / "full.flac", tone(440, seconds=60, noise=0.3), 16000)
    data = (tmp_path / "full.flac").read_bytes()
    (tmp_path / "cut.flac").write_bytes(data[: len(data) // 2] + b"\x00" * 4096)
    result = cli_run("timeline", str(tmp_path / "cut.flac"))
    assert result.returncode == 2 and "damaged or truncated" in result.stderr, result.stderr
    assert "Traceback" not in result.stderr and len(result.stderr.strip().splitlines()) == 1


@pytest.mark.slow
def test_long_files_are_streamed_in_batches_of_batch_size(tmp_path, predictor, monkeypatch):
    """A 3-minute file: never decoded whole, never more than --batch-size windows in one call."""
    path = write_wav(tmp_path / "long.wav", tone(300, seconds=180, noise=0.05))
    import envsound.inference.predict as predict_module

    monkeypatch.setattr(predict_module, "load_audio", lambda *a, **k: pytest.fail("a long file was decoded whole"))
    calls = []
    score = predictor.score

    def counting(features):
        calls.append(len(features))
        return score(features)

    streaming = Predictor(predictor.extractor, counting, predictor.classes)  # the plain scorer: no calibration or novelty pass
    streamed = streaming.predict([path], batch_size=4)[0]
    assert max(calls) <= 4 and sum(calls) == 71  # half-overlapping 5-s windows over 180 s
    monkeypatch.undo()
    whole = predictor.probabilities(load_audio(path, predictor.extractor.sample_rate))
    assert np.allclose(sorted(whole)[::-1][:5], streamed.probabilities, atol=1e-5)


def test_predict_array_equals_predict_file(predictor):
    clip = REPO / "examples" / "1-26806-A-1.flac"
    from_file = predictor.predict_file(clip, top_k=3)
    signal, rate = sf.read(clip, dtype="float32")
    from_array = predictor.predict_array(signal, rate, top_k=3)
    assert from_array.labels == from_file.labels and np.allclose(from_array.probabilities, from_file.probabilities, atol=1e-6)
    with pytest.raises(AudioError, match="NaN"):
        predictor.predict_array(np.full(100, np.nan), 16000)
    with pytest.raises(AudioError, match="sample rate 0 Hz"):
        predictor.predict_array(signal, 0)


def test_integer_pcm_arrays_are_scaled_like_decoded_audio(predictor):
    """int16 from `wave` or a microphone used to be read as floats 32768 times too loud."""
    clip = REPO / "examples" / "1-26806-A-1.flac"
    as_int16, rate = sf.read(clip, dtype="int16")
    as_float = predictor.predict_array(sf.read(clip, dtype="float32")[0], rate, top_k=3)
    from_int16 = predictor.predict_array(as_int16, rate, top_k=3)
    assert from_int16.labels == as_float.labels and np.allclose(from_int16.probabilities, as_float.probabilities, atol=1e-5)
    as_uint8 = (as_int16.astype(np.int32) // 256 + 128).astype(np.uint8)  # 8-bit WAV: offset binary
    assert predictor.predict_array(as_uint8, rate, top_k=1).labels[0] == as_float.labels[0]
    with pytest.raises(AudioError, match="expected audio samples"):
        predictor.predict_array(as_int16 > 0, rate)


def test_a_long_array_is_scored_in_batches_like_a_file(tmp_path, predictor):
    """predict_array used to put every window of the array through the model in one call."""
    signal = tone(300, seconds=60, noise=0.05)
    calls = []

    def counting(features):
        calls.append(len(features))
        return predictor.score(features)

    plain = Predictor(predictor.extractor, counting, predictor.classes)
    from_array = plain.predict_array(signal, 16000, batch_size=4)
    assert max(calls) <= 4 and sum(calls) == 23  # half-overlapping 5-s windows over 60 s
    sf.write(tmp_path / "long.wav", signal, 16000, subtype="FLOAT")  # the same samples, not 16-bit ones
    from_file = plain.predict([tmp_path / "long.wav"], batch_size=4)[0]
    assert from_array.labels == from_file.labels and np.allclose(from_array.probabilities, from_file.probabilities, atol=1e-6)


def test_an_existing_file_with_glob_characters_is_that_file(tmp_path):
    literal = write_wav(tmp_path / "clip[1].wav", tone(440))
    write_wav(tmp_path / "clip1.wav", tone(880))
    assert expand_inputs([str(literal)]) == [literal]
    assert expand_inputs([str(tmp_path / "clip?.wav")]) == [tmp_path / "clip1.wav"]


@pytest.mark.slow
def test_peak_memory_of_predict_is_flat_in_length(tmp_path):
    """Peak RSS (what the OS sees, numpy and torch buffers included) for 3 vs 12 minutes. Read as
    VmHWM of the child's own address space: ru_maxrss would start from this test process's size,
    which a fork copies into the child's count before it execs."""
    peaks = {}
    for minutes in (3, 12):
        path = write_wav(tmp_path / f"{minutes}.wav", tone(300, seconds=minutes * 60, noise=0.05))
        code = ("import json, sys; from envsound.inference.predict import Predictor; "
                "r = Predictor.from_file('fast').predict_file(sys.argv[1], batch_size=8); "
                "hwm = [l for l in open('/proc/self/status') if l.startswith('VmHWM')][0].split()[1]; "
                "print(json.dumps([r.error, int(hwm)]))")
        out = subprocess.run([sys.executable, "-c", code, str(path)], capture_output=True, text=True, timeout=600, check=True).stdout
        error, peaks[minutes] = json.loads(out.strip().splitlines()[-1])
        assert error is None
    assert peaks[12] < 1.1 * peaks[3], peaks  # before streaming: about +20 MB a minute, +180 MB here


@pytest.mark.slow
def test_peak_memory_of_timeline_is_flat_in_length(tmp_path):
    """Peak RSS (VmHWM of a child) of `timeline` for 6 and 12 minutes of sound: what it keeps per
    window lives in chunked tables. Before, a few small arrays a batch fragmented the heap and the
    peak grew by about 9.5 MB a minute (411 MB against 525 MB with `fast` for 6 and 18 minutes;
    57 MB over these 6 minutes)."""
    import soundfile as sf

    from envsound.audio import load_audio

    clip = load_audio(REPO / "examples" / "1-26806-A-1.flac", 32000)
    peaks = {}
    for minutes in (6, 12):
        path = tmp_path / f"{minutes}.wav"
        with sf.SoundFile(path, "w", 32000, 1) as out:
            for _ in range(minutes * 12):
                out.write(clip)
        code = ("import json, sys; from envsound.inference.predict import Predictor; from envsound.inference.timeline import compute_timeline; "
                "events = compute_timeline(Predictor.from_file('fast'), sys.argv[1]).events(); "
                "hwm = [l for l in open('/proc/self/status') if l.startswith('VmHWM')][0].split()[1]; print(json.dumps([len(events), int(hwm)]))")
        out = subprocess.run([sys.executable, "-c", code, str(path)], capture_output=True, text=True, timeout=600, check=True).stdout
        events, peaks[minutes] = json.loads(out.strip().splitlines()[-1])
        assert events >= 1
    assert peaks[12] < peaks[6] + 20_000, peaks  # kB
