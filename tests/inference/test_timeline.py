"""Long recordings: streamed windows in constant memory, segments at the right boundaries."""

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from envsound.audio import iter_windows, stream_audio
from envsound.data import load_esc50
from envsound.defaults import MAX_WINDOW_SECONDS
from envsound.errors import AudioError, ConfigError
from envsound.inference.predict import Predictor
from envsound.inference.shipped import default_model_path
from envsound.inference.timeline import Timeline, compute_timeline
from envsound.models.calibration import Calibration

REPO_EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "1-100032-A-0.flac"

# Twelve sounds that fill their clips, first fold-2 clip of each; the shipped model was fitted on
# all of ESC-50, so this checks the timeline mechanics on real audio, not generalisation.
SEQUENCE = ["rain", "chainsaw", "church_bells", "siren", "crickets", "vacuum_cleaner", "sea_waves", "engine", "helicopter", "train", "crackling_fire", "insects"]


@pytest.fixture(scope="module")
def minute(esc50_root, tmp_path_factory):
    manifest = load_esc50(esc50_root)
    parts = [sf.read(next(c.path for c in manifest.clips if c.label == label and c.fold == 2))[0] for label in SEQUENCE]
    path = tmp_path_factory.mktemp("timeline") / "minute.flac"
    sf.write(path, np.concatenate(parts), 16000)
    return path


def stream_windows(path, rate, window, hop, block_seconds=10.0):
    """What compute_timeline iterates: the one decoder's blocks, the one windowing helper's windows."""
    return iter_windows(stream_audio(path, rate, block_seconds), window, hop, tail="pad")


def test_windows_cover_the_file_at_the_hop(tmp_path):
    sr = 8000
    signal = np.arange(sr * 7, dtype=np.float32) / (sr * 7)
    sf.write(tmp_path / "ramp.wav", signal, sr, subtype="FLOAT")
    windows = list(stream_windows(tmp_path / "ramp.wav", sr, window=2 * sr, hop=sr, block_seconds=0.7))
    assert [s for s, _ in windows] == [0, sr, 2 * sr, 3 * sr, 4 * sr, 5 * sr]
    np.testing.assert_allclose(windows[3][1], signal[3 * sr : 5 * sr], atol=1e-6)
    short = list(stream_windows(tmp_path / "ramp.wav", sr, window=10 * sr, hop=sr))
    assert len(short) == 1 and len(short[0][1]) == 10 * sr  # shorter than a window: one padded window


def test_streaming_memory_is_flat_in_recording_length(tmp_path):
    """Peak RSS (VmHWM: what the OS sees, numpy, libsndfile and soxr buffers included) grows by far
    less than the decoded file while a 10-minute file is windowed; decoding it whole, in the same
    child process, does raise it by about the file's size, so the measurement can see it."""
    sr = 16000
    path = tmp_path / "ten_minutes.wav"
    with sf.SoundFile(path, "w", sr, 1, subtype="PCM_16") as out:
        rng = np.random.default_rng(0)
        for _ in range(60):
            out.write(rng.standard_normal(sr * 10).astype(np.float32) * 0.1)
    sf.write(tmp_path / "warm.wav", np.zeros(sr * 20, dtype=np.float32), sr, subtype="PCM_16")
    code = (
        "import json, sys\n"
        "from envsound.audio import iter_windows, load_audio, stream_audio\n"
        "def hwm():\n"
        "    return int([l for l in open('/proc/self/status') if l.startswith('VmHWM')][0].split()[1]) * 1024\n"
        "def count(path):\n"
        "    return sum(1 for _ in iter_windows(stream_audio(path, 32000, 10.0), 64000, 16000, tail='pad'))\n"
        "count(sys.argv[2])\n"
        "before = hwm()\n"
        "n = count(sys.argv[1])\n"
        "streamed = hwm()\n"
        "whole = load_audio(sys.argv[1], 32000)\n"
        "print(json.dumps([n, streamed - before, hwm() - streamed]))\n"
    )
    out = subprocess.run([sys.executable, "-c", code, str(path), str(tmp_path / "warm.wav")], capture_output=True, text=True, timeout=300, check=True).stdout
    count, streaming_growth, whole_growth = json.loads(out.strip().splitlines()[-1])
    assert count >= 598
    decoded_bytes = 600 * 32000 * 4  # the whole file at the model rate: 77 MB
    assert whole_growth > decoded_bytes / 2, whole_growth  # the control: RSS sees a whole decode
    assert streaming_growth < decoded_bytes / 8, f"peak RSS grew {streaming_growth / 1e6:.1f} MB while streaming"


@pytest.mark.slow
def test_segments_recover_the_assembled_minute(minute):
    predictor = Predictor.from_file(default_model_path())
    timeline = compute_timeline(predictor, minute, window_seconds=2.0, hop_seconds=0.5)
    segments = timeline.segments(threshold=0.3)
    labels = [s.label for s in segments]
    order = [labels.index(label) for label in SEQUENCE]  # every sound found ...
    assert order == sorted(order)  # ... in the right order
    hop = timeline.hop_seconds
    within = 0
    for k in range(1, len(SEQUENCE)):  # boundary between sound k-1 and k at 5k seconds
        starts = [s.start for s in segments if s.label == SEQUENCE[k]]
        within += any(abs(start - 5 * k) <= hop + 1e-6 for start in starts)
    # 9 with the pair shipped until 2026-11-26, 8 with today's (it calls 2.5 s after the engine
    # "unknown" before the helicopter): a boundary lost to abstention, not to the mechanics
    assert within >= 8, f"only {within} of 11 boundaries within one hop"
    assert segments[0].start == 0.0 and abs(segments[-1].end - 60.0) < 1e-6


def test_frame_probabilities_average_overlapping_windows():
    probs = np.array([[1.0, 0.0], [0.0, 1.0], [0.0, 1.0]])
    tl = Timeline("x", 2.0, 1.0, np.array([0.0, 1.0, 2.0]), probs, ("a", "b"), 4.0)
    np.testing.assert_allclose(tl.frame_probabilities(), [[1, 0], [0.5, 0.5], [0, 1], [0, 1]])
    assert [(s.label, s.start, s.end) for s in tl.segments(0.6)] == [("a", 0.0, 1.0), ("b", 2.0, 4.0)]


@pytest.mark.slow
def test_cli_timeline_outputs_and_plot(minute, tmp_path, cli_run):
    out, png = tmp_path / "segments.json", tmp_path / "timeline.png"
    result = cli_run("timeline", str(minute), "--output", str(out), "--plot", str(png))
    assert result.returncode == 0, result.stderr
    events = [s["label"] for s in json.loads(out.read_text()) if s["label"] != "background"]
    assert events[0] == "rain"
    found = [label for label in SEQUENCE if label in events]
    assert len(found) >= 10 and [events.index(label) for label in found] == sorted(events.index(label) for label in found), events
    # (the quiet, steady insects clip at the end reads as background with the shipped detector)
    assert png.read_bytes()[:4] == b"\x89PNG"


def test_unreadable_recording(tmp_path):
    (tmp_path / "x.wav").write_text("nope")
    with pytest.raises(AudioError, match="not a readable audio file"):
        list(stream_windows(tmp_path / "x.wav", 16000, 32000, 16000))


def test_cells_far_from_every_class_are_unknown():
    """A model with novelty statistics: cells whose windows' embeddings lie far from every class
    mean are "unknown", as predict and listen answer, however confident the top label."""
    probs = np.array([[0.9, 0.1], [0.9, 0.1], [0.9, 0.1], [0.9, 0.1]])
    near_far = np.array([10.0, 10.0, 500.0, 500.0])
    tl = Timeline("x", 1.0, 1.0, np.arange(4.0), probs, ("a", "b"), 4.0, calibration=Calibration(1.0, 0.5, distance_above=100.0), distances=near_far)
    assert [(s.label, s.start, s.end) for s in tl.segments(0.3)] == [("a", 0.0, 2.0), ("unknown", 2.0, 4.0)]
    without = Timeline("x", 1.0, 1.0, np.arange(4.0), probs, ("a", "b"), 4.0, calibration=Calibration(1.0, 0.5))
    assert [s.label for s in without.segments(0.3)] == ["a"]
    # Calibrated with an exposure set: near the classes, yet nearer the sounds known to be none of them.
    exposed = Timeline("x", 1.0, 1.0, np.arange(4.0), probs, ("a", "b"), 4.0, calibration=Calibration(1.0, 0.5, distance_above=100.0, exposure_above=0.0),
                       distances=np.full(4, 10.0), exposures=np.array([-50.0, 30.0, 30.0, -50.0]))
    assert [(s.label, s.start, s.end) for s in exposed.segments(0.3)] == [("a", 0.0, 1.0), ("unknown", 1.0, 3.0), ("a", 3.0, 4.0)]


@pytest.mark.slow
def test_shipped_timeline_measures_novelty():
    predictor = Predictor.from_file(default_model_path())
    tl = compute_timeline(predictor, REPO_EXAMPLE, window_seconds=2.0, hop_seconds=1.0)
    assert tl.distances is not None and len(tl.distances) == len(tl.starts)
    assert tl.calibration.distance_above == predictor.calibration.distance_above
    assert tl.background is not None and tl.background_above == predictor.background.threshold
    off = compute_timeline(Predictor.from_file(default_model_path(), abstain=False), REPO_EXAMPLE, window_seconds=2.0, hop_seconds=1.0)
    assert off.abstain is False and "unknown" not in [s.label for s in off.events()]


def test_window_and_hop_out_of_range_are_one_config_error():
    """``--window 0`` used to fall back silently to the model's 5-s window."""
    predictor = Predictor.from_file(default_model_path())
    cases = ((0.0, 0.5, "--window"), (-2.0, 0.5, "--window"), (2.0, 0.0, "--hop"), (2.0, 3.0, "--hop"),
             # NaN and infinity used to end in a ValueError traceback, 1e9 s in a 116-TiB allocation
             (float("nan"), 0.5, "--window"), (1e9, 0.5, "--window"), (2.0, float("nan"), "--hop"), (2.0, float("inf"), "--hop"))
    for window, hop, message in cases:
        with pytest.raises(ConfigError, match=message):
            compute_timeline(predictor, REPO_EXAMPLE, window_seconds=window, hop_seconds=hop)
    assert compute_timeline(predictor, REPO_EXAMPLE, window_seconds=MAX_WINDOW_SECONDS, hop_seconds=0.5).starts == [0]
    for threshold in (float("nan"), -0.1, 1.5):
        with pytest.raises(ConfigError, match="--threshold"):
            compute_timeline(predictor, REPO_EXAMPLE).segments(threshold)


def _events_timeline(labels, background, levels=None, window=0.5):
    probs = np.full((len(labels), 3), 0.05)
    for i, label in enumerate(labels):
        probs[i, label] = 0.9
    return Timeline("x", window, 0.5, np.arange(len(labels)) * 0.5, probs, ("a", "b", "c"), len(labels) * 0.5,
                    calibration=Calibration(1.0, 0.5), background=np.asarray(background, dtype=float), background_above=0.5, levels=levels)


def test_events_are_runs_of_non_background_answered_once_and_cut_at_sustained_changes():
    # cells: background x2, "a" x5, background x2, "b" x3 then "c" x4 (no gap), background x1
    labels = [0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 2, 2, 2, 2, 0]
    quiet = [1, 1, 0, 0, 0, 0, 0, 1, 1, 0, 0, 0, 0, 0, 0, 0, 1]
    tl = _events_timeline(labels, quiet)
    pooled = [(s.label, s.start, s.end) for s in tl.events(split=False)]
    split = [(s.label, s.start, s.end) for s in tl.events(split=True)]
    assert pooled[1] == ("a", 1.0, 3.5)
    assert [s[0] for s in pooled] == ["background", "a", "background", "c", "background"]  # b and c pooled: the b sound is lost
    assert [s[0] for s in split] == ["background", "a", "background", "b", "c", "background"]  # two sounds in a row stay two
    assert split[3][2] == split[4][1] == 6.0
    assert split[0][1] == 0.0 and split[-1][2] == tl.duration  # background fills the rest


def test_a_stretch_shorter_than_a_window_joins_its_longer_neighbour():
    labels = [0] * 6 + [1] + [0] * 2 + [2] * 5  # window 2 s at a 0.5-s hop: a part lasts 4 cells or joins
    tl = _events_timeline(labels, [0] * len(labels), window=2.0)
    probs = tl.probabilities
    parts = tl._sustained(list(range(len(labels))), probs)
    assert [[labels[j] for j in part] for part in parts] == [[0, 0, 0, 0, 0, 0, 1, 0, 0], [2, 2, 2, 2, 2]]


def test_event_edges_move_to_the_level_above_the_floor():
    labels = [0] * 8
    quiet = [1, 1, 0, 0, 0, 0, 1, 1]
    levels = np.full(int(4.5 / 0.02), -70.0)
    levels[int(1.3 / 0.02) : int(2.7 / 0.02)] = -30.0  # the sound itself: 1.3 to 2.7 s
    tl = _events_timeline(labels, quiet, levels)
    event = [s for s in tl.events() if s.label != "background"]
    assert len(event) == 1 and abs(event[0].start - 1.3) < 0.021 and abs(event[0].end - 2.7) < 0.021
    tl.levels = np.full(len(levels), -70.0)  # a level that never rises: no event
    assert [s.label for s in tl.events()] == ["background"]


def test_a_pause_of_bed_inside_a_run_cuts_it_into_two_events():
    """The arms 'gaps' and 'pieces' (benchmarks/sed.py; 'pieces' kept): two sounds 1.3 s apart are one run of cells (a cell is
    background only when every 2-s window over it is), but their levels show the pause; a pause
    shorter than ``gap`` stays inside one sound."""
    labels, quiet = [0] * 10, [1] + [0] * 8 + [1]
    levels = np.full(int(5.0 / 0.02), -70.0)
    levels[int(0.6 / 0.02) : int(1.7 / 0.02)] = -30.0  # the first sound
    levels[int(3.0 / 0.02) : int(4.2 / 0.02)] = -30.0  # the second, 1.3 s later
    tl = _events_timeline(labels, quiet, levels)
    spans = lambda events: [(s.label, round(s.start, 2), round(s.end, 2)) for s in events if s.label != "background"]  # noqa: E731
    assert spans(tl.events(grow=0.0, gap=0.0)) == [("a", 0.6, 4.2)]  # no cut (the arm 'extent'): one event over the pause
    assert spans(tl.events(grow=0.0)) == [("a", 0.6, 1.7), ("a", 3.0, 4.2)]  # the default cuts at 1 s of bed
    assert spans(tl.events(grow=0.0, gap=1.5)) == [("a", 0.6, 4.2)]  # the pause is shorter than the gap asked
    assert [s.label for s in tl.events(grow=0.0)] == ["background", "a", "background", "a", "background"]
    click = levels.copy()
    click[int(3.0 / 0.02) : int(4.2 / 0.02)] = -70.0
    click[int(3.0 / 0.02) : int(3.1 / 0.02)] = -30.0  # a 0.1-s click after the pause, too short to be an event
    tl.levels = click
    assert spans(tl.events(grow=0.0, keep_short=False)) == [("a", 0.6, 1.7)]  # the arm 'gaps': the click is dropped
    assert spans(tl.events(grow=0.0)) == [("a", 0.6, 3.1)]  # the default ('pieces'): it stays with its neighbour


def test_pieces_of_one_cut_event_that_name_one_class_or_unknown_are_one_sound_again():
    """The arm 'rejoin' (benchmarks/sed.py): pieces cut at pauses come together again unless they name two classes."""
    from envsound.inference.timeline import Segment, rejoined

    runs = [Segment("a", 0.0, 6.0, 0.9), Segment("b", 8.0, 12.0, 0.9)]
    pieces = [Segment("dog", 0.0, 1.0, 0.8), Segment("unknown", 2.5, 3.0, 0.4), Segment("dog", 4.0, 6.0, 0.6),  # one barking dog
              Segment("cat", 8.0, 9.0, 0.9), Segment("hen", 10.5, 12.0, 0.7)]  # two sounds in one run
    out = rejoined(pieces, runs)
    assert [(s.label, s.start, s.end) for s in out] == [("dog", 0.0, 6.0), ("cat", 8.0, 9.0), ("hen", 10.5, 12.0)]
    assert out[0].confidence == pytest.approx((0.8 * 3.0 + 0.6 * 2.0) / 5.0)  # the known pieces' confidences, by span
    apart = rejoined([Segment("dog", 0.0, 1.0, 0.8), Segment("dog", 8.0, 9.0, 0.8)], runs)  # pieces of two runs stay apart
    assert [(s.start, s.end) for s in apart] == [(0.0, 1.0), (8.0, 9.0)]


def test_a_floor_measured_on_background_cells_keeps_a_quiet_sound_among_loud_ones():
    """The arm 'floor' (measured, not kept): sounds back to back put the recording's 10th-percentile
    floor inside the quietest, which is then dropped; measured on background cells alone, the floor
    keeps it, and with under a second of background there are no level edges at all."""
    labels = [0] * 4 + [1] * 4 + [2] * 4  # "a", "b", "c" back to back, no background
    levels = np.full(int(6.0 / 0.02), -10.0)
    levels[int(2.0 / 0.02) : int(4.0 / 0.02)] = -28.0  # "b" is the quiet one
    tl = _events_timeline(labels, [0] * 12, levels)
    assert [s.label for s in tl.events()] == ["a", "background", "c"]  # the floor sits in "b": dropped, background in its place
    assert [(s.label, s.start, s.end) for s in tl.events(floor="background")] == [("a", 0.0, 2.0), ("b", 2.0, 4.0), ("c", 4.0, 6.0)]
    quiet_end = _events_timeline(labels + [0, 0], [0] * 12 + [1, 1], np.concatenate([levels, np.full(int(1.0 / 0.02), -60.0)]))
    assert [s.label for s in quiet_end.events(floor="background")] == ["a", "b", "c", "background"]  # floor from the last second
    with pytest.raises(ConfigError, match="floor must be one of"):
        tl.events(floor="median")


def test_an_unknown_part_joins_its_known_neighbour_but_two_known_sounds_stay_two():
    from envsound.inference.timeline import Segment, absorbed

    parts = [Segment("dog", 1.0, 3.0, 0.9), Segment("unknown", 3.0, 4.0, 0.4), Segment("rooster", 4.0, 6.0, 0.8), Segment("rooster", 6.0, 7.0, 0.6)]
    joined = absorbed(parts)
    assert [(s.label, s.start, s.end) for s in joined] == [("dog", 1.0, 4.0), ("rooster", 4.0, 7.0)]
    assert joined[0].confidence == 0.9 and abs(joined[1].confidence - (0.8 * 2 + 0.6) / 3) < 1e-9
    # an unknown onset joins the sound after it; a gap keeps events apart; unknown alone stays unknown
    later = absorbed([Segment("unknown", 0.0, 1.0, 0.4), Segment("cat", 1.0, 2.0, 0.7), Segment("unknown", 5.0, 6.0, 0.5)])
    assert [(s.label, s.start, s.end) for s in later] == [("cat", 0.0, 2.0), ("unknown", 5.0, 6.0)]


def test_a_short_event_is_answered_as_predict_answers_it_cut_out():
    """A cell-level answer is replaced by the model's answer on the event's own samples, zero-padded
    to one clip: exactly what predict_array gives for that stretch."""
    from envsound.audio import frame_levels
    from envsound.inference.timeline import Segment, as_clips

    predictor = Predictor.from_file(default_model_path())
    rate = predictor.extractor.sample_rate
    clip = sf.read(REPO_EXAMPLE, dtype="float32")[0]
    signal = np.concatenate([np.zeros(rate), predictor_rate(clip, predictor), np.zeros(rate)]).astype(np.float32)
    loudest = float(np.argmax(frame_levels(signal, rate))) * 0.02  # the bark, wherever it is in the clip
    start = round(max(1.0, loudest - 0.5), 2)
    end = start + 2.0
    events = [Segment("background", 0.0, start, 0.9), Segment("unknown", start, end, 0.5), Segment("rain", 8.0, 14.0, 0.6)]
    answered = as_clips(predictor, events, [signal[: rate // 3], signal[rate // 3 :]], threshold=0.0)
    expected = predictor.predict_array(signal[round(start * rate) : round(end * rate)], rate)
    assert expected.answer == "dog"
    assert answered[0] == events[0] and answered[2] == events[2]  # background and events longer than a clip keep their answer
    assert answered[1].label == expected.answer and (answered[1].start, answered[1].end) == (start, end)
    assert abs(answered[1].confidence - expected.probabilities[0]) < 1e-5
    cut = round(start * rate) + 100  # pieces with a gap inside the event (listen let that audio go): its cells' answer stays
    gapped = as_clips(predictor, events, [signal[: round(start * rate)], signal[cut:]], threshold=0.0, starts=[0, cut])
    assert gapped == events
    placed = as_clips(predictor, events, [signal[: rate // 3], signal[rate // 3 :]], threshold=0.0, starts=[0, rate // 3])
    assert placed == answered
    silent = [Segment("dog", 0.1, 0.9, 0.8)]  # digital silence: answered as background, which keeps the label unless keep=False
    assert as_clips(predictor, silent, [signal], threshold=0.3) == silent
    assert [s.label for s in as_clips(predictor, silent, [signal], threshold=0.3, keep=False)] == ["background"]


def test_an_event_longer_than_a_clip_is_answered_as_predict_answers_a_longer_file():
    """The arm 'long' (benchmarks/sed.py): with ``longest``, an event over one clip is answered from
    its own samples through the model's clip windows, averaged: what predict_array gives for it."""
    from envsound.inference.timeline import Segment, as_clips

    predictor = Predictor.from_file(default_model_path())
    rate = predictor.extractor.sample_rate
    clip = sf.read(REPO_EXAMPLE, dtype="float32")[0]
    signal = np.concatenate([np.zeros(rate), predictor_rate(clip, predictor), np.zeros(rate)]).astype(np.float32)
    events = [Segment("unknown", 0.5, 6.5, 0.5)]  # 6 s: longer than the 5-s clip
    assert as_clips(predictor, events, [signal], threshold=0.0) == events  # up to one clip only: its cells' answer stays
    assert as_clips(predictor, events, [signal], threshold=0.0, longest=5.5) == events  # longer than asked for
    answered = as_clips(predictor, events, [signal[: rate], signal[rate:]], threshold=0.0, longest=60.0)
    expected = predictor.predict_array(signal[round(0.5 * rate) : round(6.5 * rate)], rate)
    assert answered[0].label == expected.answer == "dog" and (answered[0].start, answered[0].end) == (0.5, 6.5)
    assert abs(answered[0].confidence - expected.probabilities[0]) < 1e-5


def predictor_rate(clip, predictor):
    from envsound.audio import resample

    return resample(clip, 16000, predictor.extractor.sample_rate)


def test_events_of_one_class_a_short_pause_apart_are_one_event():
    from envsound.inference.timeline import Segment, joined

    parts = [Segment("dog", 0.0, 1.0, 0.9), Segment("dog", 1.8, 2.8, 0.5), Segment("dog", 4.0, 5.0, 0.8),
             Segment("unknown", 5.2, 6.0, 0.4), Segment("unknown", 6.1, 7.0, 0.4), Segment("cat", 7.5, 8.0, 0.7)]
    out = joined(parts, 1.0)
    assert [(s.label, s.start, s.end) for s in out] == [("dog", 0.0, 2.8), ("dog", 4.0, 5.0), ("unknown", 5.2, 6.0), ("unknown", 6.1, 7.0), ("cat", 7.5, 8.0)]
    assert out[0].confidence == pytest.approx(0.7)  # weighted by each part's length
    assert joined(parts, 0.0) == parts


def test_touching_parts_answered_whole_become_one_event_and_a_new_unknown_part_is_reabsorbed():
    """Arms 'reabsorb' and 'whole' (benchmarks/sed.py, both kept): a steady sound whose windows drift from one
    class to another is cut in two parts; answered again as one clip it is one event, and a part
    the second answer calls "unknown" joins the known part it touches."""
    from envsound.inference.timeline import Segment

    tl = _events_timeline([0] * 4 + [1] * 4, [0] * 8)
    seen: list[list[tuple]] = []

    def second_answer(union_label):
        def reanswer(events, threshold, longest=None, keep=True):
            seen.append([(s.label, s.start, s.end) for s in events])
            out = []
            for s in events:
                if (s.start, s.end) == (0.0, 4.0):  # the whole run, as one clip
                    out.append(Segment(union_label, s.start, s.end, 0.8) if union_label else s)
                else:  # the second part looks like nothing known once cut out
                    out.append(Segment("unknown", s.start, s.end, 0.6) if s.label == "b" else s)
            return out
        return reanswer

    tl.reanswer = second_answer("c")
    assert [(s.label, s.start, s.end) for s in tl.events(reabsorb=False, whole=False)] == [("a", 0.0, 2.0), ("unknown", 2.0, 4.0)]  # 'join': the tail stays unknown
    assert seen[-1] == [("a", 0.0, 2.0), ("b", 2.0, 4.0)]  # no whole-run clip asked for
    assert [(s.label, s.start, s.end) for s in tl.events(whole=False)] == [("a", 0.0, 4.0)]  # 'reabsorb'
    assert [(s.label, s.start, s.end, s.confidence) for s in tl.events()] == [("c", 0.0, 4.0, 0.8)]  # 'whole', the default
    assert seen[-1] == [("a", 0.0, 2.0), ("b", 2.0, 4.0), ("unknown", 0.0, 4.0)]  # parts and the run, one pass
    tl.reanswer = second_answer("unknown")  # the run answered "unknown": the parts stand, reabsorbed
    assert [(s.label, s.start, s.end) for s in tl.events(whole=True)] == [("a", 0.0, 4.0)]
    tl.reanswer = second_answer(None)  # the run not answered again (longer than a clip, or under the threshold)
    assert [(s.label, s.start, s.end) for s in tl.events(whole=True)] == [("a", 0.0, 4.0)]


def test_band_edges_keep_an_event_whose_broadband_level_never_rises():
    """The arms 'bands' and 'bed_bands' (kept): with edges from the band levels, a sound that lifts one band over its floor
    is an event with those edges; from the broadband level alone it would be dropped."""
    labels, quiet = [0] * 8, [1, 1, 0, 0, 0, 0, 1, 1]
    frames = int(4.0 / 0.02)
    levels = np.full(frames, -50.0)  # the broadband level stays flat
    bands = np.full((frames, 3), -60.0)
    bands[int(1.2 / 0.02) : int(2.6 / 0.02), 0] = -40.0  # the low band rises 20 dB from 1.2 to 2.6 s
    tl = _events_timeline(labels, quiet, levels)
    tl.band_levels = bands
    assert [s.label for s in tl.events(edges="level")] == ["background"]  # the level never rises: dropped
    event = [s for s in tl.events(edges="bands") if s.label != "background"]
    assert len(event) == 1 and abs(event[0].start - 1.2) < 0.021 and abs(event[0].end - 2.6) < 0.021
    assert [(s.start, s.end) for s in tl.events() if s.label != "background"] == [(event[0].start, event[0].end)]  # the default
    tl.band_levels = None  # no band levels: the broadband level decides
    assert [s.label for s in tl.events(edges="bands")] == ["background"]
    with pytest.raises(ConfigError, match="edges must be one of"):
        tl.events(edges="spectral")


def test_bed_band_edges_measure_each_band_on_background_and_fall_back_to_the_level_without_it():
    """The arm 'bed_bands': band floors come from the cells the model calls background; a
    recording with under a second of them keeps the broadband level's edges."""
    labels, quiet = [0] * 8, [1, 1, 0, 0, 0, 0, 1, 1]
    frames = int(4.0 / 0.02)
    levels = np.full(frames, -50.0)
    bands = np.full((frames, 2), -60.0)
    bands[int(1.2 / 0.02) : int(2.6 / 0.02), 1] = -45.0  # 15 dB over the bed in the upper band
    bands[int(1.0 / 0.02) : int(3.0 / 0.02), 0] = -20.0  # the lower band is loud wherever the cells hear sound ...
    tl = _events_timeline(labels, quiet, levels)
    tl.band_levels = bands
    event = [s for s in tl.events(edges="bed_bands") if s.label != "background"]
    assert len(event) == 1 and abs(event[0].start - 1.0) < 0.021 and abs(event[0].end - 3.0) < 0.021
    tl.band_levels = bands[:, 1:]
    event = [s for s in tl.events(edges="bed_bands") if s.label != "background"]
    assert len(event) == 1 and abs(event[0].start - 1.2) < 0.021 and abs(event[0].end - 2.6) < 0.021
    busy = _events_timeline(labels, [0, 0, 0, 0, 0, 0, 0, 1], levels)  # half a second of background: too little
    busy.band_levels = bands
    assert [s.label for s in busy.events(edges="bed_bands")] == ["background"]  # the level decides: it never rises


def test_grown_edges_follow_the_sound_past_its_cells_but_not_into_a_neighbour():
    """The arms 'grow' and 'extent' (kept): a sound whose last quiet second the detector calls background keeps it when
    its frames stay active (short gaps allowed), up to ``grow`` seconds past the run."""
    labels = [0] * 12
    quiet = [1, 1, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1]  # the cells hear sound from 1.0 to 3.0 s
    frames = int(6.0 / 0.02)
    levels = np.full(frames, -70.0)
    levels[int(1.0 / 0.02) : int(3.6 / 0.02)] = -30.0  # the sound itself lasts to 3.6 s ...
    levels[int(3.2 / 0.02) : int(3.26 / 0.02)] = -70.0  # ... with a 60-ms dip in its tail
    tl = _events_timeline(labels, quiet, levels)
    plain = [s for s in tl.events(edges="level", grow=0.0) if s.label != "background"]
    grown = [s for s in tl.events(edges="level", grow=1.0, grow_after=False) if s.label != "background"]
    assert abs(plain[0].end - 3.0) < 0.021 and abs(grown[0].end - 3.6) < 0.021  # across the dip, to the sound's end
    assert abs(grown[0].start - 1.0) < 0.021
    short = [s for s in tl.events(edges="level", grow=0.3, grow_after=False) if s.label != "background"]
    assert abs(short[0].end - 3.3) < 0.021  # never more than grow past the run
    after = [s for s in tl.events(edges="level") if s.label != "background"]  # the arm 'extent', the default
    assert [(s.label, round(s.start, 2), round(s.end, 2)) for s in after] == [(s.label, round(s.start, 2), round(s.end, 2)) for s in grown]
    levels[int(3.2 / 0.02) : int(3.45 / 0.02)] = -70.0  # a 250-ms gap: the sound ended there
    assert abs([s for s in tl.events(edges="level") if s.label != "background"][0].end - 3.2) < 0.021


def test_final_answers_relabel_each_finished_event_and_drop_what_sounds_like_background():
    """The arm 'final' (benchmarks/sed.py): once grown and joined, each event is answered once more
    from its final span, and a background answer there leaves no event (``keep=False``)."""
    from envsound.inference.timeline import Segment

    tl = _events_timeline([0] * 4 + [-1] * 4 + [1] * 4, [0] * 4 + [1] * 4 + [0] * 4)
    calls: list[tuple[list[tuple], bool]] = []

    def reanswer(events, threshold, longest=None, keep=True):
        calls.append(([(s.label, s.start, s.end) for s in events], keep))
        if keep:  # the second answer: as the cells say
            return events
        return [Segment("background", s.start, s.end, 0.9) if s.label == "b" else Segment("c", s.start, s.end, 0.7) for s in events]

    tl.reanswer = reanswer
    assert [s.label for s in tl.events() if s.label != "background"] == ["a", "b"]
    assert [keep for _, keep in calls] == [True]  # no final answer by default
    final = [(s.label, s.start, s.end) for s in tl.events(final=True)]
    assert calls[-1] == ([("a", 0.0, 2.0), ("b", 4.0, 6.0)], False)  # the finished events, asked to drop what is not a sound
    assert final == [("c", 0.0, 2.0), ("background", 2.0, 6.0)]
