import subprocess
import sys

import numpy as np
import pytest

from conftest import fake_run
from envsound.errors import RunError
from envsound.evaluation.compare import compare_runs
from envsound.evaluation.ensemble import ensemble_runs
from envsound.utils import read_json


def _confident(targets, right, p_right=0.9, p_wrong=0.6):
    """Two-class probabilities: confident where ``right``, mildly wrong elsewhere."""
    p = np.where(right, p_right, 1 - p_wrong)
    probs_true = np.stack([p, 1 - p], 1)
    return np.where(targets[:, None] == 0, probs_true, probs_true[:, ::-1]).astype(np.float32)


def _pair(tmp_path):
    t = np.array([0, 1, 0, 1])
    first_half = np.arange(4) < 2
    a = fake_run(tmp_path / "a", ["x", "y"], [t, t], [_confident(t, first_half)] * 2, dataset="tones")
    b = fake_run(tmp_path / "b", ["x", "y"], [t, t], [_confident(t, ~first_half)] * 2, dataset="tones")
    return t, a, b


def test_ensemble_averages_probabilities_fold_by_fold(tmp_path):
    _, a, b = _pair(tmp_path)
    assert a == b == [0.5, 0.5]
    metrics = ensemble_runs([tmp_path / "a", tmp_path / "b"], tmp_path / "ens")
    # each member is confidently right where the other is only mildly wrong
    assert metrics["fold_accuracy"] == [1.0, 1.0]
    with np.load(tmp_path / "ens" / "fold-1" / "predictions.npz") as saved:
        np.testing.assert_allclose(saved["probs"][0], [0.65, 0.35], rtol=1e-6)
    assert metrics["wall_seconds"] == 4.0  # members' training time: 2 runs x 2 folds x 1 s
    config = read_json(tmp_path / "ens" / "config.json")
    assert config["model"]["method"] == "ensemble" and [m["model"] for m in config["members"]] == ["fake", "fake"]
    assert "| fake+fake | tones | 2 | 100.0% ± 0.0% |" in compare_runs([tmp_path / "ens"], tmp_path / "c.png")


def test_ensemble_aligns_the_same_classes_listed_in_another_order(tmp_path):
    """A run on a CSV manifest (classes alphabetical) joins one on the dataset's own order by class
    name: the ensemble equals the one of two runs in the same order."""
    t, _, _ = _pair(tmp_path)
    first_half = np.arange(4) < 2
    swapped = _confident(t, ~first_half)[:, ::-1].copy()
    fake_run(tmp_path / "b_swapped", ["y", "x"], [t, t], [swapped] * 2, dataset="tones")
    same = ensemble_runs([tmp_path / "a", tmp_path / "b"], tmp_path / "same")
    aligned = ensemble_runs([tmp_path / "a", tmp_path / "b_swapped"], tmp_path / "aligned")
    assert aligned["fold_accuracy"] == same["fold_accuracy"] == [1.0, 1.0]
    with np.load(tmp_path / "same" / "fold-1" / "predictions.npz") as a, np.load(tmp_path / "aligned" / "fold-1" / "predictions.npz") as b:
        np.testing.assert_allclose(a["probs"], b["probs"], rtol=1e-6)


def test_ensemble_refuses_runs_that_do_not_match(tmp_path):
    t, _, _ = _pair(tmp_path)
    with pytest.raises(RunError, match="at least two"):
        ensemble_runs([tmp_path / "a"], tmp_path / "one")
    with pytest.raises(RunError, match="listed twice"):
        ensemble_runs([tmp_path / "a", tmp_path / "b", tmp_path / "a"], tmp_path / "twice")
    other = np.array([1, 0, 1, 0])
    fake_run(tmp_path / "shuffled", ["x", "y"], [other, other], [_confident(other, np.ones(4, bool))] * 2, dataset="tones")
    with pytest.raises(RunError, match="tests other clips"):
        ensemble_runs([tmp_path / "a", tmp_path / "shuffled"], tmp_path / "bad")
    assert not (tmp_path / "bad").exists()  # refused before anything was written
    fake_run(tmp_path / "three", ["x", "y", "z"], [t, t], [np.eye(3)[t].astype(np.float32)] * 2, dataset="tones")
    with pytest.raises(RunError, match="other classes or folds"):
        ensemble_runs([tmp_path / "a", tmp_path / "three"], tmp_path / "bad2")
    with pytest.raises(RunError, match="not a finished run"):
        ensemble_runs([tmp_path / "a", tmp_path / "missing"], tmp_path / "bad3")
    with pytest.raises(RunError, match="already exists"):
        ensemble_runs([tmp_path / "a", tmp_path / "b"], tmp_path / "a")


@pytest.mark.slow
def test_ensemble_cli_writes_a_report(tmp_path):
    _pair(tmp_path)
    result = subprocess.run([sys.executable, "-m", "envsound.cli", "ensemble", str(tmp_path / "a"), str(tmp_path / "b"), "--out", str(tmp_path / "ens")],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert "ensemble of 2 runs: 100.0% ± 0.0%" in result.stdout
    assert (tmp_path / "ens" / "report.html").exists()
    assert read_json(tmp_path / "ens" / "config.json")["command"].startswith("envsound ensemble ")
