"""The plain `envsound train DATA`: the pretrained probe as a network, calibrated on held-out
folds of the user's clips, abstaining, with a background detector; warnings where data is thin."""

from __future__ import annotations

import numpy as np
import pytest
import soundfile as sf

from conftest import tone, write_wav
from envsound.augment.noise_beds import bed
from envsound.inference.predict import Predictor
from envsound.models.model_file import load_model


@pytest.fixture
def train_cli(cli, monkeypatch, shared_weights):
    """The envsound command in this process, with the shared AudioSet checkpoint."""
    from types import SimpleNamespace

    monkeypatch.setenv("ENVSOUND_WEIGHTS", str(shared_weights))

    def run(*args: object) -> SimpleNamespace:
        code, out, err = cli(*args)
        return SimpleNamespace(returncode=code, stdout=out, stderr=err)

    return run


def _burst(seed: int, sr: int = 16000) -> np.ndarray:
    """A 0.4-s burst of loud noise in a second: none of the tone classes, and no quiet bed either."""
    t = np.arange(sr) / sr
    return (np.random.default_rng(seed).normal(0, 0.3, sr) * (t < 0.4)).astype(np.float32)


@pytest.mark.slow
def test_plain_train_writes_a_calibrated_network_that_says_background(tone_dataset, shared_weights, tmp_path, train_cli):
    (tone_dataset / "background").mkdir(exist_ok=True)  # other sounds beside the classes: never a class, fitted as background
    for i in range(6):
        write_wav(tone_dataset / "background" / f"burst{i}.wav", _burst(i))
    out = tmp_path / "mine.pt"
    result = train_cli("train", tone_dataset, "--out", out)
    assert result.returncode == 0, result.stderr[-2000:]
    assert "negatives: 6 files" in result.stderr
    loaded = load_model(out)
    assert loaded.info["negatives"] == 6
    other = tmp_path / "another-burst.wav"
    write_wav(other, _burst(99))
    assert Predictor.from_file(out).predict_file(other).answer == "background"  # without the negatives: "unknown"
    assert loaded.spec.kind == "network" and loaded.classes == ("high", "low", "mid")
    assert loaded.calibration is not None and loaded.novelty is not None and loaded.background is not None
    assert loaded.info["recipe"] == "mn04_probe" and loaded.info["calibration_folds"] >= 2
    assert loaded.novelty.outliers.shape == (8, 384)  # the shipped exposure centroids (tones leave no held-out mistake: conservative, no third cut)
    assert (loaded.calibration.exposure_above is None) == ("exposure" not in loaded.info)
    path = tmp_path / "hiss.wav"
    sf.write(path, bed("pink", -50.0, 4.0, 16000, 31_000).signal, 16000)
    predictor = Predictor.from_file(out)
    assert predictor.predict_file(path).answer == "background"
    clips = sorted(tone_dataset.glob("[hlm]*/*.wav"))
    answers = predictor.predict(clips, top_k=1)
    assert np.mean([r.answer == c.parent.name for r, c in zip(answers, clips)]) >= 0.85  # the thresholds keep 95 % of held-out clips
    card = train_cli("card", out)
    assert "calibration: temperature" in card.stdout and "background: when" in card.stdout


@pytest.mark.slow
def test_thin_data_warns_in_one_line_and_still_abstains(tmp_path, shared_weights, train_cli):
    for label, base in (("a", 400.0), ("b", 2500.0)):
        for i in range(3):
            write_wav(tmp_path / "data" / label / f"{label}{i}.wav", tone(base * (1 + 0.02 * i), seconds=1.0, noise=0.02, seed=i))
    result = train_cli("train", tmp_path / "data", "--out", tmp_path / "thin.pt")
    assert result.returncode == 0, result.stderr[-2000:]
    warnings = [line for line in result.stderr.splitlines() if line.startswith("warning:")]
    assert any("fewer than 5 clips" in w for w in warnings), result.stderr
    calibration = load_model(tmp_path / "thin.pt").calibration
    assert 0.06 <= calibration.temperature <= 18.0 and calibration.abstain_below < 0.999  # never the degenerate setting


@pytest.mark.slow
def test_one_clip_per_class_trains_with_a_warning_and_a_conservative_setting(tmp_path, shared_weights, train_cli):
    for label in ("a", "b"):
        write_wav(tmp_path / "data" / label / "only.wav", tone(500 if label == "a" else 3000, seconds=1.0))
    result = train_cli("train", tmp_path / "data", "--out", tmp_path / "x.pt")
    assert result.returncode == 0 and "Traceback" not in result.stderr, result.stderr[-2000:]
    assert "a class has fewer than 3 clips" in result.stderr and "fixed (C 0.1)" in result.stderr
    calibration = load_model(tmp_path / "x.pt").calibration
    assert (calibration.temperature, calibration.abstain_below) == (1.0, 0.5)
    assert train_cli("train", tmp_path / "data", "--out", tmp_path / "y.pt", "--no-calibrate").returncode == 0
    assert load_model(tmp_path / "y.pt").calibration is None


def test_novelty_distances_are_held_out_by_inner_fold_or_by_source(monkeypatch):
    from envsound.training import recipe

    folds = np.array([1, 1, 2, 2, 3, 3])
    groups = ["a", "a", "b", "c", "d", "e"]
    assert recipe.novelty_held_out(folds, groups) is folds  # the default: the inner folds
    monkeypatch.setattr(recipe, "NOVELTY_HELD_OUT", "groups")
    held = recipe.novelty_held_out(folds, groups)
    assert held[0] == held[1] and len(set(held.tolist())) == 5  # one source, held out together
    monkeypatch.setattr(recipe, "NOVELTY_GROUPS_AT_MOST", 4)
    assert recipe.novelty_held_out(folds, groups) is folds  # too many sources to refit for each


def test_shipped_exposure_centroids_are_checked_and_used_only_in_their_own_embedding(tmp_path):
    from types import SimpleNamespace

    from envsound.errors import DatasetError
    from envsound.training.recipe import shipped_exposure

    path = tmp_path / "exposure.npz"
    features = SimpleNamespace(checkpoint="mn04_as", views=("mean",))
    np.savez(path, centroids=np.ones((2, 4)), checkpoint=np.array("mn04_as"), views=np.array(["mean"]))
    assert shipped_exposure(path, features, 4).shape == (2, 4)
    assert shipped_exposure(path, features, 5) is None  # another embedding size
    assert shipped_exposure(path, SimpleNamespace(checkpoint="mn10_as", views=("mean",)), 4) is None  # another backbone
    assert shipped_exposure(tmp_path / "missing.npz", features, 4) is None
    np.savez(path, centroids=np.full((2, 4), np.nan), checkpoint=np.array("mn04_as"), views=np.array(["mean"]))
    with pytest.raises(DatasetError, match="finite"):
        shipped_exposure(path, features, 4)
    np.savez(path, centroids=np.array([{"code": 1}], dtype=object), checkpoint=np.array("mn04_as"), views=np.array(["mean"]))
    with pytest.raises(DatasetError, match="not an exposure-centroids file"):  # an object array would need unpickling: refused
        shipped_exposure(path, features, 4)


def test_exposure_centroids_give_a_third_cut_fitted_on_held_out_clips():
    from envsound.training.recipe import fit_trust

    rng = np.random.default_rng(0)
    y = np.repeat(np.arange(3), 12)
    x = rng.normal(0, 1, (36, 6)) + np.eye(3, 6)[y] * 1.5  # overlapping classes: held-out folds make mistakes
    folds = np.tile(np.arange(1, 5), 9)
    outliers = rng.normal(0, 1, (4, 6)) + 6.0
    trust = fit_trust(x, y, folds, 3, 1.0, rng.normal(0, 1, (20, 6)) - 6.0, ("a", "b", "c"), x + 0.1, outliers=outliers)
    assert trust.calibration.exposure_above is not None and trust.novelty.outliers.shape == (4, 6)
    near_outlier = outliers[:1] + 0.1
    assert trust.calibration.abstains(np.array([[0.98, 0.01, 0.01]]), *trust.novelty.scores(near_outlier))[0]
    assert fit_trust(x, y, folds, 3, 1.0, rng.normal(0, 1, (20, 6)) - 6.0, ("a", "b", "c"), x + 0.1).calibration.exposure_above is None
