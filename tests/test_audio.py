import numpy as np
import pytest
import soundfile as sf

from conftest import tone, write_wav
from envsound.audio import fix_length, load_audio, probe
from envsound.errors import AudioError


def test_resamples_to_requested_rate_and_keeps_pitch(tmp_path):
    path = write_wav(tmp_path / "a.wav", tone(440, seconds=1.0, sr=44100), sr=44100)
    y = load_audio(path, 16000)
    assert y.dtype == np.float32 and len(y) == 16000
    peak = np.argmax(np.abs(np.fft.rfft(y))) * 16000 / len(y)
    assert abs(peak - 440) <= 2


def test_stereo_is_mixed_to_mono(tmp_path):
    left, right = tone(300), np.zeros(16000, dtype=np.float32)
    path = tmp_path / "s.wav"
    sf.write(path, np.stack([left, right], axis=1), 16000)
    y = load_audio(path, 16000)
    assert y.ndim == 1 and np.allclose(y, left / 2, atol=1e-4)


def test_flac_and_ogg_decode(tmp_path):
    from envsound.audio import is_audio_file

    for ext in ("flac", "ogg", "oga"):  # .oga: Ogg audio as freedesktop sound themes name it
        path = tmp_path / f"x.{ext}"
        sf.write(path, tone(500), 16000, format="OGG" if ext == "oga" else None)
        assert len(load_audio(path, 16000)) == pytest.approx(16000, abs=1) and is_audio_file(path)


def test_pad_and_crop_to_fixed_duration(tmp_path):
    path = write_wav(tmp_path / "short.wav", tone(300, seconds=0.5))
    assert len(load_audio(path, 16000, seconds=2.0)) == 32000
    assert len(load_audio(path, 16000, seconds=0.25)) == 4000
    assert fix_length(np.ones(5), 3).tolist() == [1, 1, 1]
    assert fix_length(np.ones(2), 4).tolist() == [1, 1, 0, 0]


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda p: p, "file not found"),
        (lambda p: (p.write_bytes(b"RIFF\x00\x00garbage" * 10), p)[1], "not a readable audio file"),
        (lambda p: (p.write_text("hello, I am text"), p)[1], "not a readable audio file"),
        (lambda p: (sf.write(p, np.zeros(0, dtype=np.float32), 16000), p)[1], "no audio samples"),
    ],
    ids=["missing", "corrupt", "not-audio", "zero-length"],
)
def test_bad_input_gives_one_line_naming_the_file(tmp_path, make, message):
    path = make(tmp_path / "bad.wav")
    with pytest.raises(AudioError) as err:
        load_audio(path, 16000)
    text = str(err.value)
    assert message in text and str(path) in text and "\n" not in text


def test_pipes_fifos_and_devices_are_refused_in_one_line_without_blocking(tmp_path):
    """`predict <(cat x.flac)` once spilled libsndfile's seek errors; a FIFO nobody writes to
    would block forever, and /dev/urandom never ends."""
    import os

    fifo = tmp_path / "stream.wav"
    os.mkfifo(fifo)
    with pytest.raises(AudioError, match="a pipe, not an audio file"):
        probe(fifo)  # returns at once: the FIFO is never opened
    read_end, write_end = os.pipe()
    try:
        with pytest.raises(AudioError, match="a pipe, not an audio file.*envsound listen -"):
            load_audio(f"/dev/fd/{read_end}", 16000)
    finally:
        os.close(read_end)
        os.close(write_end)
    with pytest.raises(AudioError, match="a device, not an audio file"):
        probe("/dev/urandom")


def test_folder_is_not_audio(tmp_path):
    with pytest.raises(AudioError, match="is a folder"):
        load_audio(tmp_path, 16000)


def test_channels_that_cancel_are_not_mixed_to_silence(tmp_path):
    """A loud stereo file whose right channel is the left inverted was called "silent"."""
    import soundfile as sf

    from envsound.audio import load_audio

    left = (0.5 * np.sin(2 * np.pi * 440 * np.arange(16000) / 16000)).astype(np.float32)
    path = tmp_path / "phase.wav"
    sf.write(path, np.stack([left, -left], axis=1), 16000)
    mono = load_audio(path, 16000)
    assert np.sqrt(np.mean(mono**2)) > 0.3
    sf.write(path, np.stack([left, left * 0.5], axis=1), 16000)  # ordinary stereo: still the mean
    np.testing.assert_allclose(load_audio(path, 16000), left * 0.75, atol=1e-3)


def _encode(path, signal, rate, codec, layout="stereo"):
    import av

    with av.open(str(path), "w") as out:
        stream = out.add_stream(codec, rate=rate)
        stream.layout = layout
        planes = np.stack([signal] * (2 if layout == "stereo" else 1)).astype(np.float32)
        for i in range(0, planes.shape[1], 1024):
            frame = av.AudioFrame.from_ndarray(np.ascontiguousarray(planes[:, i : i + 1024]), format="fltp", layout=layout)
            frame.sample_rate = rate
            for packet in stream.encode(frame):
                out.mux(packet)
        for packet in stream.encode(None):
            out.mux(packet)


@pytest.mark.parametrize("suffix", [".m4a", ".mp4"])
def test_phone_and_video_audio_is_decoded_and_labelled_like_the_original(tmp_path, suffix):
    """m4a/AAC (what phones record) and an mp4's audio were not decoded at all."""
    from conftest import REPO
    from envsound.audio import is_audio_file, load_audio, probe
    from envsound.inference.predict import Predictor

    original = REPO / "examples" / "1-26806-A-1.flac"
    path = tmp_path / f"rooster{suffix}"
    _encode(path, load_audio(original, 44100), 44100, "aac")
    assert is_audio_file(path)
    info = probe(path)
    assert info.sample_rate == 44100 and info.channels == 2 and abs(info.duration - 5.0) < 0.1
    assert abs(len(load_audio(path, 16000)) / 16000 - 5.0) < 0.1
    predictor = Predictor.from_file("fast")
    assert predictor.predict_file(path).labels[0] == predictor.predict_file(original).labels[0] == "rooster"


def test_opus_is_labelled_like_the_original(tmp_path):
    import soundfile as sf

    from conftest import REPO
    from envsound.inference.predict import Predictor

    original = REPO / "examples" / "1-26806-A-1.flac"
    path = tmp_path / "rooster.opus"
    sf.write(path, load_audio(original, 48000), 48000, format="OGG", subtype="OPUS")
    predictor = Predictor.from_file("fast")
    assert predictor.predict_file(path).labels[0] == predictor.predict_file(original).labels[0] == "rooster"


def test_a_container_without_audio_is_one_line(tmp_path):
    from envsound.audio import probe
    from envsound.errors import AudioError

    path = tmp_path / "x.m4a"
    path.write_bytes(b"not a container at all")
    with pytest.raises(AudioError, match="not a readable audio file"):
        probe(path)


def test_without_pyav_the_format_names_its_extra(tmp_path, monkeypatch):
    import builtins

    from envsound.audio import probe
    from envsound.errors import AudioError

    real_import = builtins.__import__
    monkeypatch.setattr(builtins, "__import__", lambda name, *a, **k: (_ for _ in ()).throw(ImportError(name)) if name == "av" else real_import(name, *a, **k))
    (tmp_path / "x.m4a").write_bytes(b"\x00" * 100)
    with pytest.raises(AudioError, match=r"envsound\[formats\]"):
        probe(tmp_path / "x.m4a")


def test_band_levels_see_a_low_sound_over_white_noise_that_the_broadband_level_hardly_sees():
    """What the timeline's 'bands' edges rest on: a 200-Hz tone 3 dB under a white bed's power
    barely moves the pre-emphasised broadband level, but lifts its own octave band far over that
    band's floor; a stream's blocks give the same frames as the whole signal."""
    from envsound.audio import BAND_EDGES_HZ, LevelTrack, band_levels, frame_levels

    rate = 32000
    rng = np.random.default_rng(0)
    bed = 0.05 * rng.normal(size=4 * rate)
    t = np.arange(rate) / rate
    signal = bed.copy()
    signal[rate : 2 * rate] += 0.05 * np.sin(2 * np.pi * 200 * t)  # one second of tone, about 3 dB under the bed's power
    signal = signal.astype(np.float32)  # as a stream's blocks are
    bands = band_levels(signal, rate)
    assert bands.shape == (200, len(BAND_EDGES_HZ) - 1)
    low = bands[:, 0]  # 100-250 Hz
    assert low[55:95].min() > np.percentile(low, 10) + 12  # the tone's band rises over its floor ...
    broad = frame_levels(signal, rate, emphasis=0.97)
    assert broad[55:95].mean() < np.percentile(broad, 10) + 3  # ... where the broadband level does not
    assert band_levels(signal[: rate], 16000).shape[1] == len(BAND_EDGES_HZ) - 2  # bands over Nyquist are left out
    track = LevelTrack(rate, 0.97, bands=True)
    for _ in track.watch([signal[:999], signal[999 : 3 * rate + 7], signal[3 * rate + 7 :]]):
        pass
    np.testing.assert_allclose(track.band_levels, bands, atol=1e-6)
    assert LevelTrack(rate).band_levels is None
