"""Outputs: checked before the work, errors name the path the user gave, nothing half-written,
and no output lands inside the dataset it was made from."""

from __future__ import annotations

import errno
import json
import subprocess
import sys
from pathlib import Path

import pytest

from envsound.errors import ConfigError
from envsound.utils import atomic_path, check_writable

REPO = Path(__file__).resolve().parents[1]
CLIP = REPO / "examples" / "1-26806-A-1.flac"
UNWRITABLE = Path("/proc/envsound-nowhere/out.csv")  # /proc refuses new folders, even to root


@pytest.fixture
def no_scoring(monkeypatch):
    """Loading a model is the start of the work: these refusals must come before it."""
    from envsound.inference.predict import Predictor

    def refuse(*_: object, **__: object) -> None:
        raise AssertionError("the model was loaded before the output was checked")

    monkeypatch.setattr(Predictor, "from_file", refuse)


@pytest.mark.parametrize("command", [["predict", CLIP, "-o", UNWRITABLE], ["timeline", CLIP, "-o", UNWRITABLE], ["timeline", CLIP, "--plot", UNWRITABLE.with_suffix(".png")],
                                     ["embed", CLIP, "--out", UNWRITABLE.with_suffix(".npz")]])
def test_an_unwritable_output_is_refused_before_any_scoring(cli, no_scoring, command):
    code, _, err = cli(*command)
    assert code == 2 and err.count("\n") == 1 and str(UNWRITABLE.parent) in err and "cannot be written" in err


def test_an_output_that_is_a_folder_is_refused(cli, no_scoring, tmp_path):
    code, _, err = cli("predict", CLIP, "-o", tmp_path)
    assert code == 2 and "is a folder" in err


def test_a_failed_write_names_the_users_file_not_the_temporary_one(tmp_path):
    target = tmp_path / "results.csv"
    with pytest.raises(OSError) as raised:
        with atomic_path(target) as tmp:
            raise OSError(errno.ENOSPC, "No space left on device", str(tmp))
    assert raised.value.filename == str(target) and raised.value.errno == errno.ENOSPC
    assert not list(tmp_path.iterdir())  # no temporary file, no target
    with pytest.raises(OSError) as other:  # an error about another file is passed on as it is
        with atomic_path(target):
            raise OSError(errno.ENOENT, "No such file", "/some/input.wav")
    assert other.value.filename == "/some/input.wav"


def test_check_writable_makes_the_folder_and_leaves_nothing(tmp_path):
    target = tmp_path / "new" / "m.pt"
    assert check_writable(target) == target and list((tmp_path / "new").iterdir()) == []
    with pytest.raises(ConfigError, match="cannot be written"):
        check_writable(UNWRITABLE)


def test_torch_writes_past_a_file_size_limit_say_one_line(tmp_path):
    """The full disk of a long training: torch's zip writer fails with a C++ enforce error; the
    model file writer turns it into an OSError naming the user's file (checked against real torch,
    under a file-size limit, since a full disk cannot be made here)."""
    target = tmp_path / "m.pt"
    code = ("import resource, torch\n"
            "from envsound.models.artifact import save_torch\n"
            "resource.setrlimit(resource.RLIMIT_FSIZE, (65536, 65536))\n"
            "try:\n"
            f"    save_torch({{'w': torch.zeros(1_000_000)}}, {str(target)!r})\n"
            "except OSError as err:\n"
            "    print(err.filename, err.strerror)\n")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0 and "Traceback" not in result.stderr, result.stderr
    assert result.stdout.split()[0] == str(target) and ("write failed" in result.stdout or "no space" in result.stdout)
    assert not list(tmp_path.iterdir())


def test_train_on_a_full_disk_is_one_line(cli, tone_dataset, tmp_path, monkeypatch):
    import torch

    def full(*_: object, **__: object) -> None:
        raise RuntimeError("[enforce fail at inline_container.cc:672] . unexpected pos 576 vs 534")

    monkeypatch.setattr(torch, "save", full)
    cfg = tmp_path / "cfg.json"
    cfg.write_text(json.dumps({"features": {"clip_seconds": 1.0, "n_mels": 16}, "train": {"model_kwargs": {"width": 4}, "batch_size": 8, "warmup_epochs": 0, "mixup_alpha": 0.0}}))
    out = tmp_path / "models" / "m.pt"
    code, _, err = cli("train", tone_dataset, "--config", cfg, "--epochs", "1", "--out", out)
    assert code == 1 and "Traceback" not in err and str(out) in err and err.count("\n") == 1, err  # the model file or its checkpoint beside it
    assert not [p for p in (tmp_path / "models").iterdir() if not p.name.startswith(".")]  # the hidden lock stays, as after any run


@pytest.mark.parametrize("command", ["train", "cv"])
def test_train_and_cv_refuse_an_output_inside_the_dataset(cli, tone_dataset, command):
    out = ["--out", tone_dataset / "m.pt"] if command == "train" else ["--out", tone_dataset / "low" / "run"]
    code, _, err = cli(command, tone_dataset if command == "train" else "--dataset", *([] if command == "train" else [tone_dataset]), "--model", "logreg", *out)
    assert code == 2 and "inside the dataset it reads" in err
    assert not (tone_dataset / "m.pt").exists() and not (tone_dataset / "low" / "run").exists()


def test_embed_refuses_an_output_inside_the_folder_it_reads(cli, no_scoring, tone_dataset):
    code, _, err = cli("embed", tone_dataset, "--out", tone_dataset / "low" / "e.npz")
    assert code == 2 and "inside the folder it reads" in err
