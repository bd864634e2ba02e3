"""Recordings with no event: the shipped models answer "background" on noise beds, in predict,
timeline, the CSV and the ONNX path, and still name the events placed on such a bed."""

import csv
import json
import subprocess
import sys

import numpy as np
import pytest
import soundfile as sf

from conftest import REPO
from envsound.audio import load_audio
from envsound.augment.noise_beds import bed
from envsound.inference.onnx_export import export_onnx
from envsound.inference.predict import Predictor, write_predictions
from envsound.inference.shipped import shipped_model_path
from envsound.inference.timeline import compute_timeline

RATE = 32000
BEDS = [("white", -55.0), ("pink", -40.0), ("brown", -75.0), ("hum50", -45.0), ("dc", -65.0)]
EVENTS = {"dog": "1-100032-A-0.flac", "rooster": "1-26806-A-1.flac", "chainsaw": "1-47250-B-41.flac"}


@pytest.fixture(scope="module")
def beds(tmp_path_factory):
    folder = tmp_path_factory.mktemp("beds")
    paths = []
    for i, (kind, level) in enumerate(BEDS):  # seeds unlike the fit and test sets'
        path = folder / f"{kind}{level:g}.wav"
        sf.write(path, bed(kind, level, 6.0, RATE, 20_000 + i).signal, RATE)
        paths.append(path)
    return paths


@pytest.fixture(scope="module")
def soundscape(tmp_path_factory):
    signal = bed("pink", -55.0, 40.0, RATE, 20_100).signal.copy()
    for i, name in enumerate(EVENTS.values()):
        clip = load_audio(REPO / "examples" / name, RATE)
        at = (5 + 12 * i) * RATE
        signal[at : at + len(clip)] += clip
    path = tmp_path_factory.mktemp("scape") / "scape.wav"
    sf.write(path, signal, RATE)
    return path


@pytest.mark.parametrize("model", ["default", pytest.param("fast", marks=pytest.mark.slow)])
def test_noise_beds_are_background(model, beds):
    predictor = Predictor.from_file(model)
    results = predictor.predict(beds, top_k=2)
    assert [r.answer for r in results] == ["background"] * len(beds)
    assert all(r.background and r.to_dict()["closest"] == r.labels[0] for r in results)
    for path in beds[:2]:
        segments = compute_timeline(predictor, path).segments()
        assert [s.label for s in segments] == ["background"]


@pytest.mark.parametrize("model", ["default", pytest.param("fast", marks=pytest.mark.slow)])
def test_events_on_a_bed_are_found_with_background_between(model, soundscape):
    segments = compute_timeline(Predictor.from_file(model), soundscape).events()
    labels = [s.label for s in segments]
    order = [labels.index(name) for name in EVENTS]
    assert order == sorted(order)  # each event found, in order
    quiet = sum(s.end - s.start for s in segments if s.label == "background")
    assert quiet >= 25.0, segments  # of 40 s, about 26 hold no event
    assert segments[0].label == "background" and segments[-1].label == "background"


@pytest.mark.slow
def test_no_abstain_never_says_unknown_but_background_stays(beds, soundscape):
    result = Predictor.from_file("default", abstain=False).predict_file(beds[0])
    assert result.answer == "background" and result.background and not result.abstained
    labels = [s.label for s in compute_timeline(Predictor.from_file("default", abstain=False), soundscape).events()]
    assert "unknown" not in labels and "background" in labels


def test_csv_says_why(beds, tmp_path):
    results = Predictor.from_file("default").predict([beds[0], REPO / "examples" / EVENTS["dog"]], top_k=2)
    out = tmp_path / "x.csv"
    write_predictions(results, out)
    rows = list(csv.DictReader(out.open()))
    assert rows[0]["answer"] == "background" and rows[0]["background"] == "true" and rows[0]["closest"] == results[0].labels[0]
    assert rows[2]["answer"] == "dog" and rows[2]["background"] == "false" and rows[2]["abstained"] == "false"
    assert float(rows[2]["novelty"]) > 0


@pytest.mark.slow
def test_background_travels_to_onnx(beds, tmp_path):
    exported = export_onnx(shipped_model_path("fast"), tmp_path / "fast.onnx")
    sidecar = json.loads((tmp_path / "fast.onnx.json").read_text())
    assert len(sidecar["background_whitened"]["weight"]) == len(sidecar["novelty_whitened_means"][0])
    torch_p, onnx_p = Predictor.from_file("fast"), Predictor.from_file(exported)
    for path in [*beds[:2], REPO / "examples" / EVENTS["rooster"]]:
        a, b = torch_p.predict_file(path), onnx_p.predict_file(path)
        assert (a.answer, a.background) == (b.answer, b.background)
    assert onnx_p.predict_file(beds[0]).answer == "background"


@pytest.mark.slow
def test_cli_timeline_on_a_bed_says_no_events_and_writes_background(beds, tmp_path, cli_run):
    out = tmp_path / "t.json"
    result = cli_run("timeline", str(beds[1]), "-o", str(out))
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines() == ["no events: 6.0 s of background"]
    segments = json.loads(out.read_text())
    assert [s["label"] for s in segments] == ["background"]
    assert np.isclose(segments[0]["end"], 6.0)


@pytest.mark.slow
def test_timeline_exports_audacity_and_raven(soundscape, tmp_path, cli_run):
    from envsound.inference.timeline import write_segments

    out = tmp_path / "labels.txt"
    result = cli_run("timeline", str(soundscape), "-o", str(out), "--format", "audacity")
    assert result.returncode == 0, result.stderr
    rows = [line.split("\t") for line in out.read_text().splitlines()]
    assert "background" not in [r[2] for r in rows] and {"dog", "rooster", "chainsaw"} <= {r[2] for r in rows}
    assert all(float(a) < float(b) for a, b, _ in rows)
    events = compute_timeline(Predictor.from_file("default"), soundscape).events()
    write_segments(events, tmp_path / "table.txt", "raven")
    table = [line.split("\t") for line in (tmp_path / "table.txt").read_text().splitlines()]
    assert table[0][:5] == ["Selection", "View", "Channel", "Begin Time (s)", "End Time (s)"]
    assert [r[7] for r in table[1:]] == [e.label for e in events if e.label != "background"]


@pytest.mark.slow
def test_a_wrong_format_or_suffix_is_one_line_before_scoring(soundscape, tmp_path, cli_run):
    from envsound.errors import ConfigError
    from envsound.inference.timeline import segments_format

    with pytest.raises(ConfigError, match=r"\.txt"):
        segments_format(tmp_path / "x.csv", "audacity")
    with pytest.raises(ConfigError, match="--format must be"):
        segments_format(tmp_path / "x.txt", "praat")
    result = cli_run("timeline", str(soundscape), "--format", "json")
    assert result.returncode != 0 and "--format needs --output" in result.stderr and "Traceback" not in result.stderr, result.stderr


def test_csv_cells_cannot_be_formulas(tmp_path):
    from envsound.inference.predict import Prediction
    from envsound.inference.timeline import Segment, write_segments

    out = tmp_path / "p.csv"
    write_predictions([Prediction("=HYPERLINK(1).wav", ["+cmd|calc", "@x"], [0.6, 0.4])], out)
    cells = [cell for row in csv.reader(out.open()) for cell in row]
    assert "'=HYPERLINK(1).wav" in cells and "'+cmd|calc" in cells and not any(c[:1] in "=+-@" for c in cells if c)
    write_segments([Segment("-2+3", 0.0, 1.0, 0.5)], tmp_path / "s.csv")
    assert list(csv.reader((tmp_path / "s.csv").open()))[1][0] == "'-2+3"


@pytest.mark.slow
def test_a_name_that_is_not_utf8_is_scored_and_written(tmp_path):
    """predict $'bad\\xff.wav' good.wav -o x.csv crashed the CSV writer after all the scoring."""
    import os

    folder = tmp_path / "in"
    folder.mkdir()
    bad = os.path.join(os.fsencode(folder), b"bad\xff.flac")
    with open(bad, "wb") as handle:
        handle.write((REPO / "examples" / EVENTS["dog"]).read_bytes())
    out = tmp_path / "x.csv"
    result = subprocess.run([sys.executable, "-m", "envsound.cli", "predict", str(folder), str(REPO / "examples" / EVENTS["rooster"]), "-o", str(out), "--top-k", "1"],
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    rows = list(csv.DictReader(out.open()))
    assert [r["answer"] for r in rows] == ["dog", "rooster"]
    assert rows[0]["file"].endswith("bad\\xff.flac")


def test_listen_gives_the_events_timeline_gives(soundscape):
    """One engine: the soundscape streamed through ``listen`` (every window) ends with the events
    ``timeline`` finds in the file, edges from the levels and short events answered as clips."""
    from envsound.audio import stream_audio
    from envsound.inference.listen import Listener

    predictor = Predictor.from_file("default")
    expected = compute_timeline(predictor, soundscape).events()
    heard = Listener(predictor, keep_up=False).listen(stream_audio(soundscape, RATE)).segments
    assert [(s.label, s.start, s.end) for s in heard] == [(s.label, s.start, s.end) for s in expected]
    assert [s.confidence for s in heard] == pytest.approx([s.confidence for s in expected], abs=1e-6)
    assert "rooster" in [s.label for s in heard]  # its cells alone call it unknown: the clip answer names it
