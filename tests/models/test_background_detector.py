"""The background detector: fitted leak-free, kept exactly through a file and an ONNX whitening,
and a file that lies about it is refused."""

import numpy as np
import pytest

from envsound.augment.noise_beds import TEST_SEED_BASE, bed, fit_beds, measurement_beds, rms_db
from envsound.errors import RunError
from envsound.models.background import QUANTILE, BackgroundDetector, fit_background
from envsound.models.calibration import Calibration
from envsound.models.decision import BACKGROUND, UNKNOWN, decide


def _embeddings(seed=0):
    rng = np.random.default_rng(seed)
    clips = rng.normal(0.0, 1.0, (300, 8))
    beds = rng.normal(0.0, 1.0, (100, 8)) + np.array([4.0] + [0.0] * 7)
    return beds, clips, np.repeat(np.arange(5), 60)


def test_fit_separates_beds_and_gives_up_few_clips():
    beds, clips, groups = _embeddings()
    detector = fit_background(beds, clips, groups, "a test")
    flagged_clips = np.mean(detector.scores(clips) >= detector.threshold)
    assert flagged_clips <= 0.02  # the threshold sits at the 99.7th percentile of held-out clips
    assert np.mean(detector.scores(beds) >= detector.threshold) > 0.8
    assert QUANTILE == 99.7


def test_one_group_cannot_set_a_threshold():
    beds, clips, _ = _embeddings()
    with pytest.raises(RunError, match="at least two"):
        fit_background(beds, clips, np.zeros(len(clips)))


def test_whitened_detector_scores_the_same():
    beds, clips, groups = _embeddings(1)
    detector = fit_background(beds, clips, groups)
    a = np.linalg.cholesky(np.cov(clips.T) + np.eye(8))
    np.testing.assert_allclose(detector.whitened(a).scores(clips @ a), detector.scores(clips), atol=1e-9)


@pytest.mark.parametrize("meta", [{"bias": 0.0}, {"bias": "x", "threshold": 0.5}, {"bias": 0.0, "threshold": 1.5}, {"bias": float("nan"), "threshold": 0.5}])
def test_a_lying_file_is_refused(meta):
    with pytest.raises(RunError, match="background detector"):
        BackgroundDetector.from_parts(np.zeros(4), meta, where="x.pt")


def test_a_weight_of_the_wrong_size_is_refused():
    with pytest.raises(RunError, match="expects 4-d"):
        BackgroundDetector.from_parts(np.zeros(4), {"bias": 0.0, "threshold": 0.5}, dim=8, where="x.pt")


def test_decide_background_wins_and_no_abstain_names_the_class():
    probs = np.array([[0.9, 0.1], [0.4, 0.6], [0.5, 0.5]])
    cal = Calibration(1.0, 0.55)
    decided = decide(probs, cal, True, background=np.array([0.0, 0.0, 0.9]), background_above=0.5)
    assert decided.answers(("a", "b")) == ["a", "b", BACKGROUND]
    decided = decide(probs, Calibration(1.0, 0.7), True, background=np.array([0.0, 0.0, 0.9]), background_above=0.5)
    assert decided.answers(("a", "b")) == ["a", UNKNOWN, BACKGROUND]
    assert decide(probs, Calibration(1.0, 0.7), False, background=np.array([0.0, 0.0, 0.9]), background_above=0.5).answers(("a", "b")) == ["a", "b", BACKGROUND]
    # background needs no calibration
    assert decide(probs, None, True, background=np.array([1.0, 0.0, 0.0]), background_above=0.5).answers(("a", "b"))[0] == BACKGROUND


def test_beds_are_at_their_level_and_fit_seeds_never_meet_test_seeds():
    beds = measurement_beds(16000, seconds=2.0)
    assert len(beds) == 18
    for b in beds:
        if not b.name.startswith("dc"):
            assert rms_db(b.signal) == pytest.approx(float(b.name[b.name.index("-") : -2]), abs=0.01)
    white = bed("white", -55.0, 2.0, 16000, TEST_SEED_BASE)
    assert rms_db(white.signal) == pytest.approx(-55.0, abs=0.01)
    assert len(fit_beds(3, 16000, 1.0)) == 3
    with pytest.raises(ValueError):
        fit_beds(TEST_SEED_BASE + 1, 16000, 0.1)
