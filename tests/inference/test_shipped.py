"""The shipped models by name: `--model fast` and `--model default`, and a file still wins."""

import json
import os
import subprocess
import sys

import numpy as np

from conftest import REPO
from envsound.inference.shipped import SHIPPED_MODELS, resolve_model
from envsound.models.model_file import model_card

EXAMPLE = REPO / "examples" / "1-100032-A-0.flac"


def test_names_resolve_to_the_shipped_files_and_a_file_of_that_name_wins(tmp_path, monkeypatch):
    assert resolve_model(None) == SHIPPED_MODELS["default"] == resolve_model("default")
    assert resolve_model("fast") == SHIPPED_MODELS["fast"] and SHIPPED_MODELS["fast"].is_file()
    monkeypatch.chdir(tmp_path)
    (tmp_path / "fast").write_bytes(b"a model someone saved as ./fast")
    assert resolve_model("fast") == tmp_path.joinpath("fast").relative_to(tmp_path)  # the user's file, not ours
    assert str(resolve_model("other.pt")) == "other.pt"


def test_the_fast_model_is_one_calibrated_network_with_the_same_classes():
    fast, default = model_card(SHIPPED_MODELS["fast"]), model_card(SHIPPED_MODELS["default"])
    assert fast["members"] == 1 and default["members"] == 2 and fast["model"] == "mn04_finetune"  # the distilled student
    assert "EfficientAT mn04_as (MIT" in fast["info"]["license"] and fast["info"]["cross_validation"].startswith("benchmarks/results/")
    assert fast["classes"] == default["classes"] and fast["calibration"]["abstain_below"] is not None and fast["novelty"]
    assert "CC BY-NC 3.0" in fast["info"]["license"]


def test_predict_with_model_fast_from_the_cli(shared_weights):
    env = {**os.environ, "ENVSOUND_WEIGHTS": str(shared_weights)}
    done = subprocess.run([sys.executable, "-m", "envsound.cli", "predict", str(EXAMPLE), "--model", "fast", "--json", "--top-k", "3"],
                          capture_output=True, text=True, timeout=300, env=env)
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout)[0]
    assert out["top"][0]["label"] == "dog" and np.isclose(sum(t["probability"] for t in out["top"]), 1.0, atol=0.05)
