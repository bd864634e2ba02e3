"""The benchmark scripts' bookkeeping: what a result says the model saw, and the README table."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

import numpy as np
import pytest

from conftest import REPO
from envsound.config import RunConfig
from envsound.models.registry import get_model

sys.path.insert(0, str(REPO / "benchmarks"))
esc50_cv = pytest.importorskip("esc50_cv")
table = pytest.importorskip("table")

OFF = {"time_roll": False, "spec_augment": False, "gain_db": 0.0, "mixup_alpha": 0.0}


def test_augmentation_summary_names_online_and_study_image() -> None:
    compact = get_model("compact")
    assert esc50_cv.augmentation_summary(RunConfig().with_train(**OFF), compact) == "none"
    assert esc50_cv.augmentation_summary(RunConfig().with_train(**OFF, image_augment=True), compact) == "study_image"
    assert esc50_cv.augmentation_summary(RunConfig(), compact) == "time_roll+gain+specaugment+mixup0.3"


def test_augmentation_summary_feature_vectors_get_mixup_only() -> None:
    assert esc50_cv.augmentation_summary(RunConfig(), get_model("dense")) == "mixup0.3"


def test_augmentation_summary_reads_offline_transforms_from_the_manifest(tmp_path) -> None:
    manifest = tmp_path / "manifest.csv"
    manifest.write_text(
        "path,label,fold,group,source,transform,params\n"
        "a.flac,dog,1,1,,,\n"
        "a_pitch.flac,dog,1,1,a.flac,pitch,{}\n"
        "a_noise.flac,dog,1,1,a.flac,noise,{}\n"
    )
    cfg = RunConfig(dataset=str(manifest)).with_train(**OFF)
    assert esc50_cv.augmentation_summary(cfg, get_model("compact")) == "offline(noise,pitch)"


def test_table_escapes_pipes_so_cells_stay_whole(monkeypatch, tmp_path) -> None:
    result = {
        "name": "a", "method": "ensemble", "pretrained": True, "augmentation": "none | mixup0.3", "folds": [1, 2],
        "fold_accuracy": [0.9, 0.8], "mean_accuracy": 0.85, "std_accuracy": 0.05, "wall_seconds": 60, "command": "x",
    }  # fmt: skip
    (tmp_path / "a.json").write_text(json.dumps(result))
    monkeypatch.setattr(table, "RESULTS", tmp_path)
    row = table.table().splitlines()[-1]
    assert row.count(" | ") == 7  # eight cells, the escaped pipe inside one of them
    assert "none \\| mixup0.3" in row


def test_readme_and_results_page_carry_the_current_tables() -> None:
    """The README's headline rows and docs/results.md's full table are generated; stale copies fail
    here (regenerate with python benchmarks/table.py --readme)."""
    repo = table.RESULTS.parent.parent
    readme, page = (repo / "README.md").read_text(), (repo / "docs" / "results.md").read_text()
    assert table.replace_block(readme, table.HEADLINE_START, table.HEADLINE_END, table.headline_table()) == readme
    assert table.replace_block(page, table.START, table.END, table.table()) == page
    experiments = (repo / "docs" / "experiments.md").read_text()
    assert table.replace_block(experiments, table.AUG_START, table.AUG_END, table.augmentation_table()) == experiments
    assert len(table.headline_table().splitlines()) == 2 + len(table.HEADLINE)


def test_table_marks_single_thread_wall_times(monkeypatch, tmp_path) -> None:
    for name, threads in (("shared", 1), ("alone", 2)):
        result = {
            "name": name, "method": "scratch", "pretrained": False, "augmentation": "none", "folds": [1],
            "fold_accuracy": [0.9], "mean_accuracy": 0.9, "std_accuracy": 0.0, "wall_seconds": 120, "threads": threads, "command": "x",
        }  # fmt: skip
        (tmp_path / f"{name}.json").write_text(json.dumps(result))
    monkeypatch.setattr(table, "RESULTS", tmp_path)
    rows = {line.split(" | ")[0].strip("| "): line for line in table.table().splitlines()[2:]}
    assert "| 2.0 (1 thread) |" in rows["shared"]
    assert "| 2.0 |" in rows["alone"]


def test_augmentation_table_pairs_each_arm_with_no_augmentation(monkeypatch, tmp_path) -> None:
    def result(name: str, folds: list[float]) -> None:
        mean = sum(folds) / len(folds)
        r = {"name": name, "fold_accuracy": folds, "mean_accuracy": mean, "std_accuracy": 0.01, "config": {"train": {"epochs": 60}}}
        (tmp_path / f"{name}.json").write_text(json.dumps(r))

    result("aug_none", [0.80, 0.90])
    result("compact_cnn_ema", [0.84, 0.88])
    monkeypatch.setattr(table, "RESULTS", tmp_path)
    rows = {line.split(" | ")[0].strip("| "): line for line in table.augmentation_table().splitlines()[2:]}
    # per-fold gains +4 and -2 points: mean +1, spread 3 (the arms' own spreads are larger)
    assert "+1.0 ± 3.0 points, better on 1/2 folds" in rows["online (waveform + SpecAugment + mixup)"]
    assert "not finished" in rows["offline + online"]
    assert rows["none"].endswith("|  |")
    chart = table.augmentation_chart(tmp_path / "aug.png")
    assert chart.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


@pytest.mark.parametrize("path", sorted((REPO / "src" / "envsound" / "configs").glob("*.json")), ids=lambda p: p.stem)
def test_shipped_configs_reproduce_their_benchmark(path) -> None:
    """`envsound cv --config configs/X.json` is the run behind benchmarks/results/X.json."""
    cfg = RunConfig.from_dict(json.loads(path.read_text()))
    result = json.loads((REPO / "benchmarks" / "results" / path.name).read_text())
    assert cfg == RunConfig.from_dict(result["config"])


def test_augmentation_summary_names_offline_copies_for_scikit_learn_models(tmp_path) -> None:
    manifest = tmp_path / "manifest.csv"
    manifest.write_text("path,label,fold,group,source,transform,params\na.flac,dog,1,1,,,\na_mix.flac,dog,1,1,a.flac,mix,{}\n")
    assert esc50_cv.augmentation_summary(RunConfig(dataset=str(manifest)), get_model("mn04_probe")) == "offline(mix)"
    assert esc50_cv.augmentation_summary(RunConfig(), get_model("mn04_probe")) == "none"


def test_ship_model_keeps_weights_and_calibration_and_adds_the_card_fields(tmp_path) -> None:
    """scripts/ship_model.py rewrites a model file as a shipped one: what it answers must not change."""
    import subprocess

    import torch

    from envsound.inference.shipped import SHIPPED_MODELS
    from envsound.models.model_file import load_model, model_card, save_model

    source = load_model(SHIPPED_MODELS["fast"])
    raw = save_model(tmp_path / "raw.pt", source.spec, source.model, source.classes, source.config, {"command": "envsound train ..."})
    script = [sys.executable, str(REPO / "scripts" / "ship_model.py")]
    refused = subprocess.run([*script, raw, "--out", tmp_path / "x.pt", "--how", "h", "--cross-validation", "c"], capture_output=True, text=True)
    assert refused.returncode != 0 and "not calibrated" in refused.stderr and not (tmp_path / "x.pt").exists()
    done = subprocess.run([*script, SHIPPED_MODELS["fast"], "--out", tmp_path / "s.pt", "--how", "a test", "--cross-validation", "r.json"], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    shipped, card = load_model(tmp_path / "s.pt"), model_card(tmp_path / "s.pt")
    assert all(torch.equal(a, b) for a, b in zip(source.model.state_dict().values(), shipped.model.state_dict().values()))
    assert shipped.calibration == source.calibration and card["novelty"] and card["info"]["how"] == "a test"
    assert card["info"]["cross_validation"] == "r.json" and "EfficientAT mn04_as" in card["info"]["license"] and "CC BY-NC 3.0" in card["info"]["license"]


def test_the_shipped_builder_puts_a_member_trained_on_a_csv_in_esc50_class_order() -> None:
    """A fine-tune (or a probe, with --probe) trained on a CSV manifest knows the classes
    alphabetically; the ensemble's members must agree on what each output means, or every answer
    comes out a blur."""
    import torch

    spec = importlib.util.spec_from_file_location("build_default_model", REPO / "scripts" / "build_default_model.py")
    builder = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(builder)
    esc50_order, alphabetical = ("dog", "rooster", "cat"), ("cat", "dog", "rooster")
    network = torch.nn.Module()
    network.head = torch.nn.Linear(4, 3)
    x = torch.randn(5, 4)
    before = network.head(x).detach()
    member = builder.in_class_order(network, alphabetical, esc50_order, Path("m.pt"))
    after = member.head(x).detach()
    for i, name in enumerate(esc50_order):
        assert torch.allclose(after[:, i], before[:, alphabetical.index(name)])
    with pytest.raises(SystemExit, match="not an mn04 network on ESC-50's classes"):
        builder.in_class_order(network, ("cat", "dog", "cow"), esc50_order, Path("m.pt"))


@pytest.mark.slow
def test_wise_alpha_chosen_on_an_inner_split_never_reads_the_test_fold(tone_dataset, shared_weights, monkeypatch, tmp_path) -> None:
    """wise_ft.py --inner: the α for test fold 1 comes from a student trained on fold 3 and scored on
    fold 2. Fold 1's features are NaN and its labels invalid, so any read of them would fail."""
    import numpy as np

    from envsound.data import load_dataset
    from envsound.data.splits import fold_assignment
    from envsound.features.cache import load_or_compute
    from envsound.models.registry import resolve

    monkeypatch.setenv("ENVSOUND_WEIGHTS", str(shared_weights))
    wise_ft = importlib.import_module("wise_ft")
    cfg = resolve(RunConfig.from_dict({"dataset": str(tone_dataset), "n_folds": 3, "features": {"kind": "efficientat-logmel", "clip_seconds": 1.0},
                                       "train": {"model": "mn04_finetune", "epochs": 1, "batch_size": 8, "warmup_epochs": 0, "lr": 1e-4, "head_init": "probe",
                                                 "freeze_norm_stats": True}}))
    spec = get_model(cfg.train.model)
    manifest = load_dataset(cfg.dataset)
    x_all = np.array(load_or_compute(manifest, spec.extractor(cfg), show_progress=False).features, dtype=np.float32)
    y_all = manifest.targets.copy()
    fold_ids = fold_assignment(manifest, cfg.n_folds, cfg.train.seed)
    x_all[fold_ids == 1], y_all[fold_ids == 1] = np.nan, -1
    chosen = wise_ft.inner_choice(spec, cfg, manifest, x_all, y_all, fold_ids, [1, 2, 3], 1, [0.5, 1.0], 0.5, tmp_path / "inner")
    assert chosen["inner_fold"] == 2 and chosen["alpha"] in (0.5, 1.0)
    assert set(chosen["inner_curve"]) == {"0.5", "1"} and all(0 <= s <= 1 for s in chosen["inner_curve"].values())
    kept = json.loads(json.dumps(chosen))  # what the result file records
    assert wise_ft.inner_choice(spec, cfg, manifest, x_all, y_all, fold_ids, [1, 2, 3], 1, [0.5, 1.0], 0.5, tmp_path / "inner") == chosen == kept  # the kept student is reused


def test_position_places_each_short_sound_at_its_offset_and_skips_long_ones(tmp_path) -> None:
    """position.py --outside: a stand-in model that says "dog" when the sound starts in the window's
    first 0.2 s and "cat" otherwise is right on the dog at offsets 0-0.1 s and on the cat from 0.25 s
    on, which the per-label summary keeps apart; a positive longer than --short and a negative are
    not scored."""
    import soundfile as sf

    position = pytest.importorskip("position")
    rate = 1000
    (tmp_path / "a").mkdir()
    sf.write(tmp_path / "a" / "short.wav", np.ones(300, np.float32), rate)
    sf.write(tmp_path / "a" / "long.wav", np.ones(2000, np.float32), rate)
    sf.write(tmp_path / "a" / "other.wav", np.ones(300, np.float32), rate)
    sf.write(tmp_path / "a" / "cat.wav", np.ones(300, np.float32), rate)
    (tmp_path / "manifest.csv").write_text("path,label,set\na/short.wav,dog,positive\na/long.wav,dog,positive\na/other.wav,none,negative\na/cat.wav,cat,positive\n")

    class StartSensitive:
        extractor = type("Extractor", (), {"sample_rate": rate})()
        window_samples = 5 * rate
        classes = ("cat", "dog")

        def window_scores(self, windows):
            starts = np.argmax(windows != 0, axis=1) / rate
            return np.stack([starts >= 0.2, starts < 0.2], axis=1).astype(float), None

    result = position.outside_by_offset(tmp_path, StartSensitive(), short_seconds=1.0)
    assert result["recordings"] == 2 and [r["path"] for r in result["per_recording"]] == ["a/short.wav", "a/cat.wav"]
    assert result["per_recording"][0]["right"] == [1, 1, 1, 0, 0, 0, 0, 0]  # the dog: right only near the start
    assert result["accuracy_by_offset"] == {"0": 0.5, "0.05": 0.5, "0.1": 0.5, "0.25": 0.5, "0.5": 0.5, "1": 0.5, "2": 0.5, "3.5": 0.5}
    assert result["accuracy_away_from_start"] == 0.5
    assert result["by_label"] == {"cat": {"recordings": 1, "at_start": 0.0, "away_from_start": 1.0},
                                  "dog": {"recordings": 1, "at_start": 1.0, "away_from_start": 0.0}}
    with pytest.raises(SystemExit, match="no positive shorter than 0.1 s"):
        position.outside_by_offset(tmp_path, StartSensitive(), short_seconds=0.1)
    with pytest.raises(SystemExit, match="no manifest.csv"):
        position.outside_by_offset(tmp_path / "a", StartSensitive(), short_seconds=1.0)


def test_position_floor_puts_the_sound_on_seeded_noise_of_the_asked_level(tmp_path) -> None:
    """position.py --floor: the window is noise at the asked RMS everywhere, the same noise at every
    offset, and the sound is added on top at its offset (cut at the window's end)."""
    import soundfile as sf

    position = pytest.importorskip("position")
    rate = 1000
    sf.write(tmp_path / "short.wav", np.full(300, 0.5, np.float32), rate)
    (tmp_path / "manifest.csv").write_text("path,label,set\nshort.wav,dog,positive\n")
    seen = []

    class Recorder:
        extractor = type("Extractor", (), {"sample_rate": rate})()
        window_samples = 5 * rate
        classes = ("cat", "dog")

        def window_scores(self, windows):
            seen.append(windows)
            return np.tile([0.0, 1.0], (len(windows), 1)), None

    result = position.outside_by_offset(tmp_path, Recorder(), short_seconds=1.0, floor_db=-40.0)
    assert result["floor_dbfs"] == -40.0 and result["accuracy_away_from_start"] == 1.0
    windows = seen[0]
    floor = position.noise_floor(5 * rate, -40.0, seed=0)  # the first recording's floor, seeded
    assert 20 * np.log10(np.sqrt(np.mean(floor**2))) == pytest.approx(-40.0, abs=0.2)
    for window, offset in zip(windows, position.OFFSETS_SECONDS):
        start = round(offset * rate)
        expected = np.zeros(5 * rate)
        expected[start : start + 300] = 0.5
        np.testing.assert_allclose(window - floor, expected, atol=1e-6)  # the sound at its offset, on the same floor


@pytest.mark.slow
def test_noise_floor_rescores_the_run_clean_and_hurts_it_with_a_loud_floor(tone_dataset, tmp_path) -> None:
    """noise_floor.py on a tiny run with fold models: without a floor or gate it gives the run's own
    accuracy back; a 0-dBFS floor (noise louder than the tones) costs accuracy; a floor is the same
    for the same (fold, clip, level) and has the level it claims; two runs with other clips refuse."""
    from envsound.config import RunConfig, TrainConfig
    from envsound.training.crossval import cross_validate

    noise_floor = pytest.importorskip("noise_floor")
    cross_validate(RunConfig(dataset=str(tone_dataset), n_folds=3, train=TrainConfig(model="logreg")), tmp_path / "run", verbose=False, save_models=True)
    metrics = json.loads((tmp_path / "run" / "metrics.json").read_text())
    result = noise_floor.accuracy_by_condition([tmp_path / "run"], (0.0,))
    assert set(result["accuracy"]) == {"zeros", "zeros+gate", "floor0", "floor0+gate"} and result["clips"] == 30
    assert result["accuracy"]["zeros"] == pytest.approx(np.mean(metrics["fold_accuracy"]))
    assert result["accuracy"]["floor0"] < result["accuracy"]["zeros"] - 0.2
    banded = noise_floor.accuracy_by_condition([tmp_path / "run"], (0.0,), ("band",), band_hz=100.0)
    assert set(banded["accuracy"]) == {"zeros", "zeros+band100", "floor0", "floor0+band100"} and banded["band_hz"] == 100.0
    assert banded["accuracy"]["zeros+band100"] < banded["accuracy"]["zeros"]  # tones at 300 Hz and up, cut at 100 Hz
    windows = np.zeros((2, 16000), np.float32)
    a, b = noise_floor.with_floor(windows, -40.0, fold=1), noise_floor.with_floor(windows, -40.0, fold=1)
    np.testing.assert_array_equal(a, b)
    assert 20 * np.log10(np.sqrt(np.mean(a**2))) == pytest.approx(-40.0, abs=0.2) and not np.array_equal(a[0], a[1])
    assert noise_floor.with_floor(windows, None, fold=1) is windows
    import shutil

    shutil.copytree(tmp_path / "run", tmp_path / "other")
    saved = dict(np.load(tmp_path / "other" / "fold-1" / "predictions.npz"))
    saved["clip"] = np.array(["another-clip", *saved["clip"][1:]])
    np.savez(tmp_path / "other" / "fold-1" / "predictions.npz", **saved)
    with pytest.raises(SystemExit, match="same clips and folds"):
        noise_floor.accuracy_by_condition([tmp_path / "run", tmp_path / "other"], (0.0,))


def test_a_result_name_is_a_plain_file_name_and_a_bad_one_stops_the_script_before_its_work(tmp_path, monkeypatch) -> None:
    """Benchmark --name values name benchmarks/results/<name>.json (and runs/bench-<name>): a path or
    '..' is refused with one line, and position.py refuses it before it opens any audio."""
    esc50_cv = pytest.importorskip("esc50_cv")
    assert esc50_cv.result_path("rw_probe_floor") == esc50_cv.RESULTS / "rw_probe_floor.json"
    assert esc50_cv.result_path("outside_shipped_band8k.v2").parent == esc50_cv.RESULTS
    for bad in ("../escape", "a/b", "/tmp/x", "", "..", "-rf", "x..y"):
        with pytest.raises(SystemExit, match="letters, digits"):
            esc50_cv.result_path(bad)
    position = pytest.importorskip("position")
    monkeypatch.setattr(sys, "argv", ["position.py", "--outside", str(tmp_path / "missing"), "--name", "../../escape"])
    with pytest.raises(SystemExit, match="letters, digits"):  # not "no manifest.csv": the name is checked first
        position.main()
    assert not (REPO / "escape.json").exists() and not (REPO.parent / "escape.json").exists()


def test_noise_floor_names_a_missing_run_in_one_line(tmp_path) -> None:
    noise_floor = pytest.importorskip("noise_floor")
    with pytest.raises(SystemExit, match="not a finished run"):
        noise_floor.accuracy_by_condition([tmp_path / "nope"], (0.0,))


def test_sed_scores_match_the_definitions() -> None:
    """benchmarks/sed.py's metrics through sed_eval: a perfect detection scores 1, one 0.3 s late
    fails the 200-ms collar but passes the 500-ms one, and background time labelled is counted."""
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        sed = importlib.import_module("sed")
    ref = [{"file": "x", "event_label": "dog", "onset": 2.0, "offset": 4.0}]
    late = [{"file": "x", "event_label": "dog", "onset": 2.3, "offset": 4.0}, {"file": "x", "event_label": "cat", "onset": 10.0, "offset": 13.0}]
    perfect = sed.score([(ref, ref)], ("dog", "cat"))
    assert perfect["event_f1_200ms"] == 1.0 and perfect["segment_f1_1s"] == 1.0 and perfect["background_labelled"] == 0.0
    shifted = sed.score([(ref, late)], ("dog", "cat"))
    assert shifted["event_f1_200ms"] == 0.0
    assert shifted["event_f1_500ms"] == pytest.approx(2 / 3)  # one of two detections right, the one reference found
    assert shifted["background_labelled"] == pytest.approx(3.0 / 28.0)


def test_sed_arms_are_spelled_out_in_full_and_the_kept_one_is_the_timelines_default() -> None:
    """Every arm of benchmarks/sed.py names each of the timeline's event rules (so it measures the
    same thing after the defaults move), and the arm it calls kept is what ``timeline`` does."""
    import ast
    import dataclasses
    import warnings

    from envsound.inference.event_rules import EventRules

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        sed = importlib.import_module("sed")
    assert set(sed.EVENT_OPTIONS) == set(sed.ARMS) - {"baseline", "background"}
    assert all(isinstance(rules, EventRules) for rules in sed.EVENT_OPTIONS.values())
    assert sed.EVENT_OPTIONS[sed.KEPT] == EventRules()
    # FIRST, which every arm grows from, names every field in sed.py's source: none is left to a default that may move
    tree = ast.parse(Path(sed.__file__).read_text())
    first = next(node.value for node in ast.walk(tree) if isinstance(node, ast.Assign) and any(getattr(t, "id", None) == "FIRST" for t in node.targets))
    assert {k.arg for k in first.keywords} == {f.name for f in dataclasses.fields(EventRules)}
    assert sed.EVENT_OPTIONS["extent"].gap == 0 and sed.EVENT_OPTIONS["gaps"].longest is None and not sed.EVENT_OPTIONS["long"].keep_short


def test_a_noisy_copy_puts_the_clip_over_a_drawn_bed() -> None:
    """benchmarks/sed.py's noisy copies (--models noisy_probe): same length, seeded, the clip's active
    part at least 6 dB over the bed and its silence filled with the bed."""
    import warnings

    from envsound.augment.noise_beds import rms_db

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        sed = importlib.import_module("sed")
    rate = 32000
    clip = np.zeros(5 * rate, dtype=np.float32)
    clip[rate : 3 * rate] = 0.2 * np.sin(np.arange(2 * rate) * 2 * np.pi * 440 / rate)
    copy = sed.noisy_copy(clip, rate, np.random.default_rng([7, 0]))
    assert copy.shape == clip.shape and copy.dtype == np.float32 and np.abs(copy).max() <= 0.99
    assert np.array_equal(copy, sed.noisy_copy(clip, rate, np.random.default_rng([7, 0])))
    bed, sound = rms_db(copy[: rate].astype(np.float64)), rms_db(copy[rate : 3 * rate].astype(np.float64))
    assert np.isfinite(bed) and sound >= bed + 5.9


def test_psds_of_perfect_and_wrong_detections() -> None:
    """benchmarks/sed.py's PSDS through sed_scores_eval (the `sed` extra): events exactly on the
    reference score 1, the right spans under the wrong classes 0."""
    pytest.importorskip("sed_scores_eval")
    import sed
    from envsound.inference.timeline import Segment

    references = [{"filename": "a", "onset": 1.0, "offset": 3.0, "event_label": "dog"}, {"filename": "b", "onset": 5.0, "offset": 6.0, "event_label": "cat"}]
    assert sed.psds(references, {"a": [Segment("dog", 1.0, 3.0, 0.9)], "b": [Segment("cat", 5.0, 6.0, 0.8)]}, ("cat", "dog")) == {"psds1": 1.0, "psds2": 1.0}
    assert sed.psds(references, {"a": [Segment("cat", 1.0, 3.0, 0.9)], "b": [Segment("dog", 5.0, 6.0, 0.8)]}, ("cat", "dog")) == {"psds1": 0.0, "psds2": 0.0}
