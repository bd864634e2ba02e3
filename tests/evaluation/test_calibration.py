"""Calibrated confidence and abstention: right on planted data, fitted without the judged fold."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest

from conftest import REPO, fake_run
from envsound.models.calibration import Calibration, cross_fit, ece, fit_temperature, scale, threshold_for_recall


def _overconfident(n: int = 3000, classes: int = 10, true_t: float = 2.5, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Labels drawn from softmax(z); the 'model' reports softmax(z * true_t): too sure by true_t."""
    rng = np.random.default_rng(seed)
    z = rng.normal(0, 1.5, (n, classes))
    p_true = np.exp(z) / np.exp(z).sum(1, keepdims=True)
    targets = np.array([rng.choice(classes, p=row) for row in p_true])
    reported = np.exp(z * true_t) / np.exp(z * true_t).sum(1, keepdims=True)
    return reported, targets


def test_temperature_recovers_a_planted_overconfidence_and_lowers_ece():
    probs, targets = _overconfident()
    t = fit_temperature(probs, targets)
    assert t == pytest.approx(2.5, rel=0.1)
    assert (scale(probs, t).argmax(1) == probs.argmax(1)).all()  # never changes the answer
    assert ece(scale(probs, t), targets) < 0.03 < ece(probs, targets)


def test_threshold_keeps_the_asked_share_answered():
    probs, targets = _overconfident(seed=1)
    threshold = threshold_for_recall(probs, 0.95)
    assert (probs.max(1) >= threshold).mean() == pytest.approx(0.95, abs=0.002)


def test_cross_fitting_never_uses_the_fold_it_judges():
    """A planted leak: scramble fold 1's predictions. Fold 1's temperature and threshold must not
    move (they come from folds 2-5 only), while the other folds', fitted with fold 1, do."""
    probs, targets = _overconfident(n=2000, seed=2)
    fold_of = np.repeat(np.arange(1, 6), 400)
    before = {f["fold"]: f for f in cross_fit(probs, targets, fold_of)["per_fold"]}
    scrambled = probs.copy()
    scrambled[fold_of == 1] = np.random.default_rng(3).dirichlet(np.ones(10) * 0.05, 400)
    after = {f["fold"]: f for f in cross_fit(scrambled, targets, fold_of)["per_fold"]}
    assert after[1]["temperature"] == before[1]["temperature"] and after[1]["abstain_below"] == before[1]["abstain_below"]
    assert all(after[k]["temperature"] != before[k]["temperature"] for k in (2, 3, 4, 5))
    with pytest.raises(ValueError, match="at least two folds"):
        cross_fit(probs[:400], targets[:400], fold_of[:400])


def test_run_metrics_and_report_carry_calibration(tmp_path):
    from envsound.evaluation.report import build_report
    from envsound.runs import summarize

    rng = np.random.default_rng(0)
    targets = [rng.integers(0, 3, 60) for _ in range(3)]
    probs = [rng.dirichlet(np.ones(3), 60) * 0.3 + np.eye(3)[t] * 0.7 for t in targets]
    fake_run(tmp_path / "r", ["a", "b", "c"], targets, probs, dataset="tones")
    metrics = summarize(tmp_path / "r", [1, 2, 3])
    assert {"ece", "nll", "ece_calibrated", "coverage", "accuracy_answered"} <= set(metrics["calibration"])
    build_report(tmp_path / "r")
    assert (tmp_path / "r" / "report" / "reliability.png").exists() and "Calibration" in (tmp_path / "r" / "report.html").read_text()


@pytest.mark.slow
def test_predict_abstains_below_the_threshold_and_says_so(tmp_path):
    from envsound.inference.shipped import default_model_path
    from envsound.models.model_file import load_model, save_model

    loaded = load_model(default_model_path())
    strict = save_model(tmp_path / "strict.pt", loaded.spec, loaded.model, loaded.classes, loaded.config, loaded.info,
                        Calibration(temperature=1.0, abstain_below=0.999, in_set_recall=0.95, fitted_on="a test"))
    clip = REPO / "examples" / "1-26806-A-1.flac"
    run = lambda *extra: subprocess.run([sys.executable, "-m", "envsound.cli", "predict", str(clip), "--model", str(strict), *extra],  # noqa: E731
                                        capture_output=True, text=True, timeout=300)
    text = run()
    assert text.returncode == 0 and "unknown (closest: rooster" in text.stdout
    as_json = json.loads(run("--json").stdout)[0]
    assert as_json["label"] == "unknown" and as_json["abstained"] is True and as_json["closest"] == "rooster"
    answered = json.loads(run("--json", "--no-abstain").stdout)[0]
    assert answered["label"] == "rooster" and "abstained" not in answered


def test_novelty_separates_a_planted_outside_cluster_and_joint_thresholds_keep_recall():
    from envsound.models.calibration import Novelty, joint_thresholds

    rng = np.random.default_rng(0)
    centres = rng.normal(0, 5, (4, 16))
    targets = np.repeat(np.arange(4), 100)
    inside = centres[targets] + rng.normal(0, 1, (400, 16))
    outside = rng.normal(0, 1, (50, 16)) + 20  # a cluster no class lives near
    novelty = Novelty.fit(inside, targets, 4)
    assert novelty.distance(outside).min() > np.quantile(novelty.distance(inside), 0.99)
    confidence = rng.uniform(0.2, 1.0, 400)
    t_conf, t_dist = joint_thresholds(confidence, novelty.distance(inside), 0.95)
    kept = (confidence >= t_conf) & (novelty.distance(inside) <= t_dist)
    assert kept.mean() == pytest.approx(0.95, abs=0.01)


def test_novelty_distance_is_the_mahalanobis_distance_to_the_nearest_class_mean():
    from envsound.models.calibration import Novelty

    rng = np.random.default_rng(1)
    centres = rng.normal(0, 5, (3, 8))
    targets = np.repeat(np.arange(3), 60)
    novelty = Novelty.fit(centres[targets] + rng.normal(0, 1, (180, 8)), targets, 3)
    probes = np.vstack([centres[1], rng.normal(0, 4, (5, 8))])
    by_definition = [min(float((x - m) @ novelty.precision @ (x - m)) for m in novelty.means) for x in probes]
    assert np.allclose(novelty.distance(probes), by_definition, rtol=1e-9, atol=1e-9)


def test_novelty_travels_in_the_model_file_and_drives_abstention(tmp_path):
    from envsound.inference.predict import Predictor
    from envsound.inference.shipped import default_model_path
    from envsound.models.calibration import Novelty
    from envsound.models.model_file import load_model, save_model

    loaded = load_model(default_model_path())
    far = Novelty(np.full((50, 384), 1e3), np.eye(384))  # every real clip is far from these "classes"
    path = save_model(tmp_path / "n.pt", loaded.spec, loaded.model, loaded.classes, loaded.config, loaded.info,
                      Calibration(1.0, 0.0, 0.95, "a test", distance_above=10.0), far)
    again = load_model(path)
    assert np.array_equal(again.novelty.means, far.means) and again.calibration.distance_above == 10.0
    result = Predictor.from_file(path).predict_file(REPO / "examples" / "1-26806-A-1.flac")
    assert result.abstained and result.novelty > 10.0 and result.labels[0] == "rooster"


def _planted_open_set(seed: int = 4):
    """Four known classes; an 'outlier kind' (think music) tightly packed 2.5 standard deviations
    from one class's mean: no farther from it than that class's own clips, so the plain distance
    cannot tell it apart."""
    rng = np.random.default_rng(seed)
    centres = rng.normal(0, 3, (4, 12))
    targets = np.repeat(np.arange(4), 150)
    inside = centres[targets] + rng.normal(0, 1, (600, 12))
    kind = centres[0] + 2.5 * np.eye(12)[0]
    shown, unseen = (kind + rng.normal(0, 0.7, (n, 12)) for n in (80, 200))  # exposure set; new sounds of the same kind
    return inside, targets, shown, unseen


def test_exposure_makes_novelty_relative_and_rejects_what_it_was_shown():
    from sklearn.metrics import roc_auc_score

    from envsound.models.calibration import Novelty, exposure_centroids

    inside, targets, shown, unseen = _planted_open_set()
    test_inside = inside[::5]
    plain = Novelty.fit(inside, targets, 4)
    relative = Novelty.fit(inside, targets, 4, exposure_centroids(shown))
    assert relative.outliers.shape == (8, 12) and plain.exposure(inside) is None
    # By definition: the squared distance to the nearest class mean minus the one to the nearest centroid;
    # the plain distance is unchanged by the exposure set.
    sq = lambda x, centres: min(float((x - m) @ relative.precision @ (x - m)) for m in centres)  # noqa: E731
    probes = np.vstack([unseen[:3], test_inside[:3]])
    assert np.allclose(relative.exposure(probes), [sq(x, relative.means) - sq(x, relative.outliers) for x in probes], rtol=1e-9, atol=1e-9)
    assert np.allclose(relative.distance(probes), plain.distance(probes))
    labels = np.r_[np.ones(len(test_inside)), np.zeros(len(unseen))]
    auroc = lambda score: roc_auc_score(labels, -np.r_[score(test_inside), score(unseen)])  # noqa: E731
    accepted = lambda score: np.mean(score(unseen) <= np.quantile(score(inside), 0.95))  # noqa: E731
    assert auroc(relative.exposure) > 0.95 and auroc(relative.exposure) > auroc(plain.distance) + 0.1
    assert accepted(relative.exposure) < 0.2 < 0.5 < accepted(plain.distance)
    # As a third cut: the thresholds keep 95 % of in-set clips answered and turn most of the new sounds away.
    from envsound.models.calibration import fit_calibration

    probs = np.full((600, 4), 0.1)
    probs[np.arange(600), targets] = 0.7
    cal = fit_calibration(probs, targets, 0.95, distance=relative.distance(inside), exposure=relative.exposure(inside))
    assert cal.exposure_above is not None and cal.distance_above is not None
    assert np.mean(~cal.abstains(cal.apply(probs), relative.distance(inside), relative.exposure(inside))) == pytest.approx(0.95, abs=0.01)
    unseen_probs = np.tile(probs[0], (len(unseen), 1))
    assert np.mean(cal.abstains(cal.apply(unseen_probs), relative.distance(unseen), relative.exposure(unseen))) > 0.8
    with pytest.raises(ValueError, match="at least 8 sounds"):
        exposure_centroids(shown[:5])
    # The log-ratio form: log(distance to the nearest class) - log(distance to the nearest centroid),
    # unchanged when the metric is scaled (statistics of more clips tighten the covariance).
    ratio = Novelty(relative.means, relative.precision, relative.outliers, "log_ratio")
    assert np.allclose(ratio.exposure(probes), [np.log(sq(x, relative.means)) - np.log(sq(x, relative.outliers)) for x in probes], rtol=1e-9)
    assert np.allclose(Novelty(relative.means, 7.0 * relative.precision, relative.outliers, "log_ratio").exposure(probes), ratio.exposure(probes))
    assert not np.allclose(Novelty(relative.means, 7.0 * relative.precision, relative.outliers).exposure(probes), relative.exposure(probes))
    assert auroc(ratio.exposure) > 0.95
    with pytest.raises(ValueError, match="unknown exposure form"):
        Novelty(relative.means, relative.precision, relative.outliers, "sum")


def test_exposure_centroids_travel_in_the_model_file(tmp_path):
    from envsound.inference.shipped import default_model_path
    from envsound.models.calibration import Novelty
    from envsound.models.model_file import load_model, save_model

    loaded = load_model(default_model_path())
    outliers = loaded.novelty.means[:8] + 1.0
    novelty = Novelty(loaded.novelty.means, loaded.novelty.precision, outliers)
    path = save_model(tmp_path / "oe.pt", loaded.spec, loaded.model, loaded.classes, loaded.config, loaded.info, loaded.calibration, novelty)
    again = load_model(path).novelty
    np.testing.assert_allclose(again.outliers, outliers, rtol=1e-6)
    probe = loaded.novelty.means[:3] + 0.5
    np.testing.assert_allclose(again.exposure(probe), novelty.exposure(probe), rtol=1e-3, atol=1e-1)
    assert again.exposure_form == "difference"
    ratio = Novelty(loaded.novelty.means, loaded.novelty.precision, outliers, "log_ratio")
    path = save_model(tmp_path / "ratio.pt", loaded.spec, loaded.model, loaded.classes, loaded.config, loaded.info, loaded.calibration, ratio)
    assert load_model(path).novelty.exposure_form == "log_ratio"
    from envsound.models.model_file import model_card

    assert model_card(path)["novelty_exposure_form"] == "log_ratio" and model_card(default_model_path())["novelty_exposure_form"] is None


def test_a_model_file_naming_an_unknown_exposure_form_is_one_error(tmp_path):
    from envsound.errors import RunError
    from envsound.inference.shipped import default_model_path
    from envsound.models.artifact import load_artifact, save_artifact
    from envsound.models.calibration import Novelty
    from envsound.models.model_file import FORMAT, VERSION, load_model, save_model

    loaded = load_model(default_model_path())
    novelty = Novelty(loaded.novelty.means, loaded.novelty.precision, loaded.novelty.means[:8] + 1.0)
    path = save_model(tmp_path / "oe.pt", loaded.spec, loaded.model, loaded.classes, loaded.config, loaded.info, loaded.calibration, novelty)
    artifact = load_artifact(path, FORMAT, VERSION)
    artifact.meta["novelty"] = {"exposure_form": "exec"}  # a file whose checksum was recomputed can still lie
    save_artifact(tmp_path / "lying.pt", artifact)
    with pytest.raises(RunError, match="novelty statistics are not valid"):
        load_model(tmp_path / "lying.pt")


@pytest.mark.slow
def test_calibrate_with_an_exposure_folder_end_to_end(tone_dataset, tmp_path, cli):
    """A tiny logistic-regression run on tones, calibrated with a folder of noise bursts and
    chirps as 'none of these': the model file then carries their centroids and predict uses them."""
    from conftest import write_wav
    from envsound.config import RunConfig, TrainConfig
    from envsound.models.model_file import load_model
    from envsound.training.crossval import cross_validate

    cross_validate(RunConfig(dataset=str(tone_dataset), n_folds=3, train=TrainConfig(model="logreg")), tmp_path / "run", verbose=False, save_models=True)
    rng = np.random.default_rng(0)
    exposure = tmp_path / "exposure"
    t = np.arange(16000) / 16000
    for i in range(12):
        burst = rng.normal(0, 0.3, 16000) * (t < 0.3 + 0.05 * i) if i % 2 else 0.4 * np.sin(2 * np.pi * (200 + 3000 * t * (1 + 0.1 * i)) * t)
        write_wav(exposure / f"sound-{i}.wav", burst.astype(np.float32))
    write_wav(tmp_path / "new-noise.wav", (rng.normal(0, 0.3, 16000) * (t < 0.5)).astype(np.float32))
    model = tmp_path / "run" / "fold-1" / "model.pt"
    code, _, err = cli("calibrate", tmp_path / "run", "--exposure", exposure)
    assert code != 0 and "--exposure needs --model" in err and "Traceback" not in err
    code, _, err = cli("calibrate", tmp_path / "run", "--model", model, "--out", tmp_path / "x.pt", "--exposure", tone_dataset.parent / "nothing")
    assert code != 0 and "not a folder" in err
    few = tmp_path / "few"
    for i in range(3):
        write_wav(few / f"s{i}.wav", (0.1 * np.sin(2 * np.pi * 500 * (i + 1) * t)).astype(np.float32))
    code, _, err = cli("calibrate", tmp_path / "run", "--model", model, "--out", tmp_path / "y.pt", "--exposure", few)
    assert code != 0 and "at least 8 sounds, found 3" in err and "Traceback" not in err
    assert not (tmp_path / "y.pt").exists()
    code, _, err = cli("calibrate", tmp_path / "run", "--model", model, "--out", tmp_path / "oe.pt", "--exposure", exposure, "--no-background")
    assert code == 0, err[-1500:]
    loaded = load_model(tmp_path / "oe.pt")
    assert loaded.novelty.outliers.shape == (8, loaded.novelty.means.shape[1]) and loaded.info["exposure"] == str(exposure)
    assert loaded.calibration.exposure_above is not None and loaded.calibration.distance_above is not None
    answer = json.loads(cli("predict", tmp_path / "new-noise.wav", "--model", tmp_path / "oe.pt", "--json")[1])[0]
    assert answer["abstained"] is True and answer["label"] == "unknown" and "novelty" in answer
    assert load_model(tmp_path / "oe.pt").background is None  # --no-background (without it, calibrate also fits a detector: fit_model_background)


def test_exposure_embeddings_stream_long_files_and_equal_the_whole_file_mean(tmp_path):
    """A long exposure sound is read a few windows at a time (memory flat in its length), and its
    embedding is the mean over the same half-overlapping windows as the whole decoded file's."""
    from conftest import tone, write_wav
    from envsound.audio import load_audio
    from envsound.evaluation.calibration import exposure_embeddings
    from envsound.models.windowing import Windowing

    class Stride:  # a debug front end: every 400th sample of each 1-s window
        sample_rate, clip_seconds = 16000, 1.0

        def __call__(self, waves):
            return waves[:, ::400]

    rng = np.random.default_rng(0)
    write_wav(tmp_path / "long.wav", tone(300, seconds=60.0) + rng.normal(0, 0.05, 960000).astype(np.float32))
    write_wav(tmp_path / "short.wav", tone(900, seconds=0.4))
    sizes = []

    def embed(features):
        sizes.append(len(features))
        return features * 2.0

    got = exposure_embeddings(tmp_path, Stride(), embed, batch_windows=4)
    assert max(sizes) <= 4 and sum(sizes) == 119 + 1  # 1-s windows every 0.5 s over 60 s, and one padded window
    for row, name in zip(got, ("long.wav", "short.wav")):
        whole = Windowing(16000, 8000).split(load_audio(tmp_path / name, 16000))
        np.testing.assert_allclose(row, (whole[:, ::400] * 2.0).mean(axis=0), atol=1e-6)


def test_ledoit_wolf_shrinkage_is_chosen_by_the_data_and_unknown_shrinkage_is_refused():
    """On few clips in many dimensions the fixed share leaves the covariance nearly singular off
    the clips' span; Ledoit-Wolf shrinks it towards a scaled identity, so a new clip of a known
    class is not far just for lying off that span."""
    from envsound.models.calibration import Novelty

    rng = np.random.default_rng(0)
    dim, per_class = 64, 4
    centres = rng.standard_normal((2, dim)) * 3
    x = np.concatenate([c + rng.standard_normal((per_class, dim)) for c in centres])
    y = np.repeat([0, 1], per_class)
    fresh = centres[0] + rng.standard_normal((50, dim))  # new clips of class 0
    fixed, shrunk = Novelty.fit(x, y, 2), Novelty.fit(x, y, 2, shrinkage="ledoit-wolf")
    far = rng.standard_normal((50, dim)) * 3  # clips of neither class
    ratio = lambda novelty: np.median(novelty.distance(far)) / np.median(novelty.distance(fresh))  # noqa: E731
    assert ratio(shrunk) > ratio(fixed)  # foreign clips stand out further from known ones
    with pytest.raises(ValueError, match="unknown shrinkage"):
        Novelty.fit(x, y, 2, shrinkage="oas")
