"""The CLI as a user runs it: one entry point, one-line errors, non-zero exit codes."""

import json
import os
import subprocess
import sys

import pytest

from conftest import REPO
from envsound.models.model_file import load_model


def envsound(*args, **kw):
    return subprocess.run([sys.executable, "-m", "envsound.cli", *map(str, args)], capture_output=True, text=True, timeout=600, **kw)


def test_help_lists_commands():
    out = envsound("--help").stdout
    for command in ("data", "cv", "train", "predict", "models"):
        assert command in out


def test_help_keeps_square_brackets():
    """Help texts name extras like 'envsound[distributed]'; rich markup used to swallow them."""
    out = envsound("predict", "--help", env={**os.environ, "COLUMNS": "200"}).stdout
    assert "envsound[distributed]" in out


def test_data_info_and_verify_on_real_esc50(esc50_root):
    info = envsound("data", "info", "esc10", "--data", esc50_root)
    assert info.returncode == 0 and "400 clips, 10 classes" in info.stdout
    verify = envsound("data", "verify", "--data", esc50_root)
    assert verify.returncode == 0 and "2000 checksums matched, 0 problems" in verify.stdout


@pytest.mark.parametrize(
    "args, message",
    [
        (["data", "info", "esc50", "--data", "/nonexistent"], "missing meta/esc50.csv"),
        (["cv", "--model", "nope", "--dataset", "esc10"], "unknown model 'nope'"),
        (["data", "fetch", "urbansound", "--dest", "/tmp/x"], "unknown dataset"),
        (["predict", "a.wav", "--model", "/nonexistent.pt"], "model file not found"),
        (["cv", "--dataset", "esc10", "--set", "learning_rate=0.1"], "unknown training settings: ['learning_rate']"),
        (["train", "--out", "/tmp/x.pt", "--set", "lr"], "--set takes KEY=VALUE, got 'lr'"),
        (["cv", "--set", "head_init=imagenet"], "head_init must be 'random' or 'probe'"),
        (["predict", str(REPO / "examples" / "1-100032-A-0.flac"), "--top-k", "0"], "--top-k must be at least 1"),
        (["serve", "--port", "70000"], "--port must be from 0 to 65535"),
        (["cv", "--dataset", "esc10", "--folds", "1,1"], "name each fold to score once"),  # fold 1 was trained twice, then a traceback
        # a results file of the wrong kind is refused before the work (it was written as CSV under any name)
        (["predict", str(REPO / "examples" / "1-100032-A-0.flac"), "-o", "/tmp/envsound-out.txt"], "written as .csv or .json"),
        (["timeline", str(REPO / "examples" / "1-100032-A-0.flac"), "-o", "/tmp/envsound-out.xlsx"], "written as .csv or .json"),
        (["listen", "-", "-o", "/tmp/envsound-out.txt"], "written as .csv or .json"),
        # figures are PNG: a PNG used to be written under any name, after the scoring
        (["timeline", str(REPO / "examples" / "1-100032-A-0.flac"), "--plot", "/tmp/envsound-out.jpg"], "figures are written as PNG"),
        (["show", str(REPO / "examples" / "1-100032-A-0.flac"), "-o", "/tmp/envsound-out.txt"], "figures are written as PNG"),
        (["export", "fast", "--onnx", "/tmp/envsound-out.txt"], "an ONNX export's name ends in .onnx"),
    ],
)
def test_user_errors_are_one_line_without_traceback(args, message):
    result = envsound(*args)
    assert result.returncode == 2
    assert result.stderr.strip() == f"error: {result.stderr.strip()[7:]}" and message in result.stderr
    assert "Traceback" not in result.stderr and len(result.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize(
    "args, message",
    [
        (["predict", "--no-such-option"], "No such option"),
        (["compare"], "Missing"),
        (["predict", "a.wav", "--top-k", "many"], "Invalid value"),
        (["no-such-command"], "No such command"),
    ],
)
def test_usage_errors_are_a_usage_line_without_traceback(args, message):
    """Click's own errors (typer vendors click since 0.2x, with its own exception classes)."""
    result = envsound(*args)
    assert result.returncode == 2, result.stderr
    assert message in result.stderr and "Usage:" in result.stderr
    assert "Traceback" not in result.stderr and len(result.stderr.strip().splitlines()) <= 4


def test_an_output_the_machine_refuses_is_one_line(tmp_path):
    """An OSError (no such folder, permission, disk full) is the machine's answer, not a bug: one line."""
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    result = envsound("show", REPO / "examples" / "1-100032-A-0.flac", "--out", blocker / "x.png")
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert result.stderr.startswith("error: ") and "a-file" in result.stderr and len(result.stderr.strip().splitlines()) == 1


def test_card_reads_a_model_file_without_its_checkpoint(tmp_path):
    """`envsound card`: what the shipped model is and its licence, from the file's metadata alone
    (no pretrained checkpoint at hand, none downloaded)."""
    env = {k: v for k, v in os.environ.items() if k != "ENVSOUND_WEIGHTS"} | {"ENVSOUND_WEIGHTS_CACHE": str(tmp_path / "empty")}
    text = envsound("card", env=env)
    assert text.returncode == 0, text.stderr
    assert "2 networks averaged" in text.stdout and "CC BY-NC 3.0" in text.stdout and "'unknown' when calibrated top probability below" in text.stdout
    from envsound.inference.shipped import default_model_path
    from envsound.models.model_file import model_card

    card = model_card(default_model_path())  # what --json prints
    assert len(card["classes"]) == 50 and card["members"] == 2 and card["calibration"]["temperature"] > 0 and card["novelty"]
    assert not (tmp_path / "empty").exists()
    refused = envsound("card", tmp_path / "model.onnx")
    assert refused.returncode == 2 and "model.onnx.json not found" in refused.stderr


@pytest.mark.slow
def test_train_then_predict_json(tone_dataset, tmp_path):
    cfg = tmp_path / "cfg.json"
    cfg.write_text(json.dumps({"features": {"clip_seconds": 1.0, "n_mels": 32}, "train": {"model_kwargs": {"width": 8}, "batch_size": 8, "warmup_epochs": 1, "mixup_alpha": 0.0, "seed": 5}}))
    model = tmp_path / "m.pt"
    result = envsound("train", "--dataset", tone_dataset, "--config", cfg, "--epochs", "8", "--out", model)
    assert result.returncode == 0, result.stderr
    assert model.exists() and not (tmp_path / "m.pt.checkpoint").exists()
    # what the config file says stands unless the command line says otherwise
    saved = load_model(model).config
    assert saved.train.seed == 5 and saved.train.epochs == 8 and saved.features.n_mels == 32 and saved.dataset == str(tone_dataset)
    clip = tone_dataset / "high" / "high-3.wav"
    bad = tmp_path / "bad.wav"
    bad.write_text("not audio")
    result = envsound("predict", clip, bad, "--model", model, "--json", "--top-k", "2")
    assert result.returncode == 1  # one bad file: reported, the rest still predicted
    out = json.loads(result.stdout)
    assert out[0]["top"][0]["label"] == "high" and len(out[0]["top"]) == 2
    assert "not a readable audio file" in out[1]["error"]
    card = envsound("card", model).stdout
    assert "compact" in card and "calibration: none" in card and "made by: envsound train" in card
    assert f"licence: trained on {tone_dataset.name}, whose licence envsound cannot know" in card  # a user's folder; no backbone


def test_cache_list_and_clear(tmp_path):
    entry = tmp_path / "esc10-logmel-abc"
    entry.mkdir()
    (entry / "index.json").write_text("{}")
    (entry / "features.npy").write_bytes(b"x" * 2_000_000)
    env = {**os.environ, "ENVSOUND_CACHE": str(tmp_path)}
    listed = envsound("cache", "list", env=env)
    assert listed.returncode == 0 and "esc10-logmel-abc" in listed.stdout and "1 entries, 2.0 MB" in listed.stdout
    assert "removed 0 entries" in envsound("cache", "clear", "--unused-days", "1", env=env).stdout
    assert "removed 1 entries, 2.0 MB" in envsound("cache", "clear", env=env).stdout
    assert not entry.exists()


def test_damaged_onnx_and_checkpoint_files_are_handled(tmp_path):
    import torch

    bad = tmp_path / "m.onnx"
    bad.write_bytes(os.urandom(300))
    (tmp_path / "m.onnx.json").write_text(json.dumps({"classes": ["a", "b"], "features": {"kind": "logmel", "sample_rate": 16000, "clip_seconds": 1.0,
                                                   "n_fft": 512, "hop_length": 160, "n_mels": 32, "f_min": 0.0, "f_max": None, "log_offset": 1e-6}}))
    result = envsound("predict", REPO / "examples" / "1-100032-A-0.flac", "--model", bad)
    assert result.returncode == 2 and "not a loadable ONNX model" in result.stderr and "Traceback" not in result.stderr
    from envsound.config import TrainConfig
    from envsound.training.loop import train_network

    checkpoint = tmp_path / "checkpoint.pt"
    checkpoint.write_bytes(b"PK\x03\x04 truncated zip")
    model = torch.nn.Linear(4, 2)
    history = train_network(model, torch.randn(8, 4), torch.tensor([0, 1] * 4), TrainConfig(epochs=1, batch_size=4, warmup_epochs=0, mixup_alpha=0, ema_decay=0), 2, checkpoint)
    assert len(history.train_loss) == 1 and torch.load(checkpoint, weights_only=True)["epoch"] == 1  # trained afresh, checkpoint replaced
