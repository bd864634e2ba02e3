"""`envsound evaluate MODEL DATA`: the figures a user needs before trusting a model on their sounds."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import soundfile as sf

from envsound.augment.noise_beds import bed

REPO = Path(__file__).resolve().parents[2]
EXAMPLES = {"dog": "1-100032-A-0.flac", "rooster": "1-26806-A-1.flac", "rain": "1-17367-A-10.flac", "crying_baby": "1-187207-A-20.flac"}


@pytest.mark.slow
def test_evaluate_reports_accuracy_answers_and_negatives(tmp_path):
    data = tmp_path / "test set"
    for label, name in EXAMPLES.items():
        (data / label).mkdir(parents=True)
        shutil.copy(REPO / "examples" / name, data / label / name)
    (data / "<b>chainsaw").mkdir()  # a label the model does not know (and markup in a name): counted as a negative, shown as text
    shutil.copy(REPO / "examples" / "1-47250-B-41.flac", data / "<b>chainsaw" / "saw.flac")
    (data / "dog" / "<i>bad.wav").write_text("not audio")  # a file that fails, named in markup
    (data / "_none").mkdir()
    sf.write(data / "_none" / "hiss.wav", bed("pink", -55.0, 6.0, 16000, 4242).signal, 16000)
    out, report = tmp_path / "eval.json", tmp_path / "eval.html"
    result = subprocess.run([sys.executable, "-m", "envsound.cli", "evaluate", "fast", str(data), "-o", str(out), "--report", str(report)],
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 1 and "<i>bad.wav" in result.stderr, result.stderr[-2000:]  # one file failed: said, the rest scored
    figures = json.loads(out.read_text())
    assert figures["clips"] == 5 and len(figures["errors"]) == 1 and sorted(figures["classes"]) == sorted(EXAMPLES)
    assert figures["accuracy"] == 1.0 and figures["per_class_accuracy"]["rooster"] == 1.0
    assert 0.0 <= figures["ece"] <= 1.0 and figures["answered"] is not None
    counts = dict(zip(figures["confusion"]["columns"], figures["confusion"]["counts"][figures["confusion"]["rows"].index("dog")]))
    assert counts["dog"] + counts["unknown"] + counts["background"] == 1
    assert figures["negatives"]["files"] == 2  # the unknown label's clip and the hiss
    assert figures["negatives"]["rejected"] >= 0.5  # the hiss is background at least
    page = report.read_text()
    assert "&lt;i&gt;bad.wav" in page and "<i>bad" not in page
    assert "5 clips of 4 classes: top label right 100.0%" in result.stdout


def test_evaluate_refuses_data_with_none_of_the_models_classes(tmp_path):
    (tmp_path / "data" / "my_bell").mkdir(parents=True)
    shutil.copy(REPO / "examples" / "1-26806-A-1.flac", tmp_path / "data" / "my_bell" / "x.flac")
    result = subprocess.run([sys.executable, "-m", "envsound.cli", "evaluate", "fast", str(tmp_path / "data"), "-o", str(tmp_path / "e.json")],
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 2 and "no clip of the model's classes" in result.stderr and not (tmp_path / "e.json").exists()
