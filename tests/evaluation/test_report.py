"""Reports: valid files, numbers equal to metrics.json, ESC-50 specifics (macro, humans)."""

import json
import subprocess
import sys
from html.parser import HTMLParser

import numpy as np
import pytest

from conftest import fake_run, tone, write_wav
from envsound.data import load_esc50
from envsound.data.esc50_human import load_human_accuracy
from envsound.errors import RunError
from envsound.evaluation.compare import compare_runs
from envsound.evaluation.metrics import (
    macro_confusion,
    per_class_accuracy,
    top_confusions,
)
from envsound.evaluation.report import build_report
from envsound.runs import load_run

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def test_macro_mapping_and_per_class():
    t = np.array([0, 9, 10, 25, 49, 49])
    p = np.array([5, 12, 19, 25, 40, 0])
    from envsound.data.esc50 import ESC50

    m = macro_confusion(t, p, ESC50.macro_group_of())
    assert m.shape == (5, 5) and m[0, 0] == 1 and m[0, 1] == 1 and m[1, 1] == 1 and m[2, 2] == 1 and m[4, 4] == 1 and m[4, 0] == 1
    acc = per_class_accuracy(t, p, 50)
    assert acc[25] == 1.0 and acc[49] == 0.0 and acc[0] == 0.0


def test_human_accuracy_parsing(esc50_root):
    m = load_esc50(esc50_root)
    human = load_human_accuracy(esc50_root / "meta" / "esc50-human.xlsx", {c.clip_id: c.label for c in m.clips})
    assert set(human) == set(m.classes)
    assert np.mean(list(human.values())) == pytest.approx(0.813, abs=0.001)  # the published 81.3 %
    assert human["washing_machine"] < 0.4 < human["dog"]


class _Checker(HTMLParser):
    def __init__(self):
        super().__init__()
        self.images, self.stack, self.text = [], [], ""

    def handle_starttag(self, tag, attrs):
        if tag == "img":
            self.images.append(dict(attrs)["src"])
        elif tag not in ("meta", "br"):
            self.stack.append(tag)

    def handle_endtag(self, tag):
        assert self.stack and self.stack.pop() == tag, f"unbalanced </{tag}>"

    def handle_data(self, data):
        self.text += data


def test_esc50_report_numbers_match_metrics(esc50_root, tmp_path):
    classes = list(load_esc50(esc50_root).classes)
    rng = np.random.default_rng(0)
    targets, probs = [], []
    for fold in range(5):
        t = np.repeat(np.arange(50), 8)
        p = rng.random((400, 50)) * 0.1
        right = rng.random(400) < 0.6 + 0.05 * fold
        p[np.arange(400), np.where(right, t, (t + 1) % 50)] += 1
        targets.append(t)
        probs.append(p.astype(np.float32))
    accs = fake_run(tmp_path / "run", classes, targets, probs, data_root=str(esc50_root))
    page = build_report(tmp_path / "run")
    for name in ("epochs", "confusion", "confusion_macro", "per_class", "reliability"):
        assert (tmp_path / "run" / "report" / f"{name}.png").read_bytes()[:8] == PNG_MAGIC
    checker = _Checker()
    checker.feed(page.read_text())
    assert not checker.stack and len(checker.images) == 5 and all(s.startswith("data:image/png;base64,") for s in checker.images)
    metrics = json.loads((tmp_path / "run" / "metrics.json").read_text())
    summary = json.loads((tmp_path / "run" / "report" / "summary.json").read_text())
    assert summary["fold_accuracy"] == metrics["fold_accuracy"] == accs
    assert f"{metrics['mean_accuracy']:.1%}" in checker.text
    for a in metrics["fold_accuracy"]:
        assert f"{a:.1%}" in checker.text
    assert len(summary["human_per_class_accuracy"]) == 50
    assert summary["pooled_accuracy"] == pytest.approx(np.mean(accs))
    # every planted mistake is class c -> c+1, so the top confusions all have that shape
    for c in summary["top_confusions"]:
        assert classes.index(c["predicted"]) == (classes.index(c["true"]) + 1) % 50
    assert "envsound cv --test" in checker.text and "Seed 7" in checker.text


def test_top_confusions_names_clips(tmp_path):
    t = np.array([0, 0, 1, 1])
    p = np.eye(3)[[1, 1, 1, 2]].astype(np.float32)
    fake_run(tmp_path / "r", ["a", "b", "c"], [t], [p], dataset="tones")
    conf = top_confusions(load_run(tmp_path / "r"))
    assert conf[0] == {"true": "a", "predicted": "b", "count": 2, "clips": ["1-0-A-0", "1-1-A-0"]}


def test_compare_and_cli(tmp_path, cli_run):
    for name, right in (("good", 4), ("bad", 2)):
        t = np.arange(4) % 2
        p = np.eye(2)[np.where(np.arange(4) < right, t, 1 - t)].astype(np.float32)
        fake_run(tmp_path / name, ["x", "y"], [t, t], [p, p], dataset="tones")
    table = compare_runs([tmp_path / "good", tmp_path / "bad"], tmp_path / "cmp.png")
    assert "| good | fake | tones | 2 | 100.0% ± 0.0% |" in table and "50.0%" in table
    assert (tmp_path / "cmp.png").read_bytes()[:8] == PNG_MAGIC
    result = cli_run("report", str(tmp_path / "nope"))
    assert result.returncode == 2 and "not a finished run" in result.stderr
    with pytest.raises(RunError):
        compare_runs([tmp_path / "nope"], tmp_path / "x.png")
    result = subprocess.run([sys.executable, "-m", "envsound.cli", "compare", str(tmp_path / "good"), str(tmp_path / "bad"),
                             "--labels", "online,none", "--out", str(tmp_path / "lab.png")], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert "| online | fake |" in result.stdout and "| none | fake |" in result.stdout
    with pytest.raises(RunError, match="1 labels for 2 runs"):
        compare_runs([tmp_path / "good", tmp_path / "bad"], tmp_path / "y.png", labels=["one"])


def png_width(path) -> int:
    return int.from_bytes(path.read_bytes()[16:20], "big")  # the IHDR chunk's width field


def test_compare_pairs_runs_against_a_baseline(tmp_path):
    t = np.arange(4) % 2
    for name, right in (("good", 4), ("bad", 2)):
        p = np.eye(2)[np.where(np.arange(4) < right, t, 1 - t)].astype(np.float32)
        fake_run(tmp_path / name, ["x", "y"], [t, t], [p, p], dataset="tones")
    result = subprocess.run([sys.executable, "-m", "envsound.cli", "compare", str(tmp_path / "good"), str(tmp_path / "bad"),
                             "--baseline", "bad", "--out", str(tmp_path / "paired.png")], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "paired.png").read_bytes()[:8] == PNG_MAGIC
    compare_runs([tmp_path / "good", tmp_path / "bad"], tmp_path / "plain.png")
    assert png_width(tmp_path / "paired.png") > 1.4 * png_width(tmp_path / "plain.png")  # the gain panel beside the bars
    with pytest.raises(RunError, match="baseline 'none' is not one of the runs"):
        compare_runs([tmp_path / "good", tmp_path / "bad"], tmp_path / "z.png", baseline="none")
    fake_run(tmp_path / "one_fold", ["x", "y"], [t], [np.eye(2)[t]], dataset="tones")
    with pytest.raises(RunError, match="same folds"):
        compare_runs([tmp_path / "good", tmp_path / "one_fold"], tmp_path / "z.png", baseline="good")


def test_show_writes_a_png(tmp_path, cli_run):
    path = write_wav(tmp_path / "a.wav", tone(1000, seconds=2.0), sr=22050)
    result = cli_run("show", str(path), "-o", str(tmp_path / "a.png"))
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "a.png").read_bytes()[:8] == PNG_MAGIC


def test_names_and_fields_from_a_run_folder_reach_the_report_as_text(tmp_path):
    """A run folder may come from someone else: its class names, clip ids and config fields are
    data, never markup (and never mathtext in the figures)."""
    hostile = ["<script>alert(1)</script>", "$\\alpha^{2}$", "a&b"]
    t = np.array([0, 1, 2, 0])
    fake_run(tmp_path / "r", hostile, [t, t], [np.eye(3)[[1, 2, 0, 0]].astype(np.float32)] * 2, dataset="<b>tones</b>")
    config = json.loads((tmp_path / "r" / "config.json").read_text())
    config["seed"] = "<img src=x onerror=alert(2)>"
    (tmp_path / "r" / "config.json").write_text(json.dumps(config))
    page = build_report(tmp_path / "r").read_text()
    for raw in ("<script>alert(1)", "<b>tones</b>", "<img src=x"):
        assert raw not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page and "&lt;img src=x onerror=alert(2)&gt;" in page
