"""The run folder's layout has one owner (runs.RunFolder): what one command writes, the others find."""

import numpy as np
import pytest

from envsound.errors import RunError
from envsound.runs import RunFolder, read_predictions


def test_a_fold_is_done_only_once_its_result_is_written_after_its_predictions(tmp_path):
    folder = RunFolder(tmp_path / "run")
    assert not folder.fold_done(1) and not folder.finished
    probs = np.array([[0.8, 0.2], [0.3, 0.7]])
    folder.write_fold(1, np.array([4, 9]), np.array(["a", "b"]), np.array([0, 1]), probs, {"val_acc": [1.0]}, {"fold": 1, "accuracy": 1.0, "seconds": 2.0})
    assert folder.fold_done(1) and folder.read_result(1)["accuracy"] == 1.0
    assert folder.read_history(1) == {"val_acc": [1.0]}
    saved = folder.read_fold_predictions(1)
    assert saved["index"].tolist() == [4, 9] and saved["probs"].dtype == np.float32
    targets, read, fold_of, clips = read_predictions(folder.path, [1])
    assert targets.tolist() == [0, 1] and fold_of.tolist() == [1, 1] and clips == ["a", "b"]
    np.testing.assert_allclose(read, probs, atol=1e-7)


def test_unfinished_runs_and_missing_fold_models_are_one_line_each(tmp_path):
    folder = RunFolder(tmp_path)
    with pytest.raises(RunError, match="not a finished run .*envsound cv --resume"):
        folder.require_finished()
    with pytest.raises(RunError, match=r"no fold models \(fold-3/model.pt\).*--save-models"):
        folder.saved_fold_model(3)
    folder.write_metrics({"folds": [1]})
    folder.require_finished()
    folder.fold(3).mkdir()
    folder.fold_model(3).write_bytes(b"x")
    assert folder.saved_fold_model(3) == tmp_path / "fold-3" / "model.pt"
