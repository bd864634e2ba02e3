"""Data-parallel training under torchrun: equal steps, one writer, and resume after a killed rank."""

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch
from ddp_step import tiny

from envsound.models.model_file import load_model

HERE = Path(__file__).parent
TORCHRUN = [sys.executable, "-m", "torch.distributed.run", "--nnodes", "1", "--nproc-per-node", "2"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def torchrun(*args, **kwargs):
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    return [*TORCHRUN, "--master-addr", "127.0.0.1", "--master-port", str(free_port()), *args], env


@pytest.mark.slow
def test_two_ranks_with_half_batches_take_the_single_process_steps(tmp_path):
    """A global batch of 8 as 2 ranks x 4 (DDP averaging their gradients) gives the weights of one
    process on all 8, within 1e-5 (BatchNorm statistics frozen, as ranks cannot share them on CPU)."""
    single, double = tmp_path / "one.pt", tmp_path / "two.pt"
    subprocess.run([sys.executable, str(HERE / "ddp_step.py"), str(single)], check=True, timeout=120)
    command, env = torchrun(str(HERE / "ddp_step.py"), str(double))
    result = subprocess.run(command, env=env, capture_output=True, text=True, timeout=180)
    assert result.returncode == 0, result.stderr[-2000:]
    a, b = torch.load(single, weights_only=True), torch.load(double, weights_only=True)
    start = tiny().state_dict()
    assert any((a[k] - start[k]).abs().max() > 1e-3 for k in a)  # the step did move the weights
    for key in a:
        assert (a[key] - b[key]).abs().max() <= 1e-5, key


def _config(tone_dataset, tmp_path, epochs, folds=None):
    path = tmp_path / f"cfg{epochs}.json"
    path.write_text(json.dumps({
        "dataset": str(tone_dataset), "n_folds": 3, "folds": folds,
        "features": {"kind": "logmel", "clip_seconds": 1.0, "n_mels": 32},
        "train": {"model": "compact", "model_kwargs": {"width": 8}, "epochs": epochs, "batch_size": 8, "warmup_epochs": 0},
    }))
    return path


@pytest.mark.slow
def test_torchrun_cv_writes_one_complete_run_folder(tone_dataset, tmp_path):
    run = tmp_path / "run"
    command, env = torchrun("-m", "envsound.cli", "cv", "--config", str(_config(tone_dataset, tmp_path, 1)), "--out", str(run), "--no-report")
    result = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    metrics = json.loads((run / "metrics.json").read_text())
    assert len(metrics["fold_accuracy"]) == 3
    for fold in (1, 2, 3):
        assert (run / f"fold-{fold}" / "result.json").exists() and not (run / f"fold-{fold}" / "checkpoint.pt").exists()
    assert result.stdout.count("mean accuracy") == 1  # rank 0 alone speaks and writes


@pytest.mark.slow
def test_a_killed_rank_then_resume_finishes_the_run(tone_dataset, tmp_path):
    run = tmp_path / "run"
    command, env = torchrun("-m", "envsound.cli", "cv", "--config", str(_config(tone_dataset, tmp_path, 20, folds=[1])), "--out", str(run), "--no-report")
    launcher = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True)
    try:
        deadline = time.monotonic() + 240
        while not (run / "fold-1" / "checkpoint.pt").exists():
            assert launcher.poll() is None and time.monotonic() < deadline, "no checkpoint appeared"
            time.sleep(0.2)
        workers = subprocess.run(["pgrep", "-P", str(launcher.pid)], capture_output=True, text=True).stdout.split()
        assert len(workers) == 2
        os.kill(int(workers[-1]), signal.SIGKILL)  # one rank dies mid-epoch
        assert launcher.wait(timeout=120) != 0
    finally:
        if launcher.poll() is None:
            os.killpg(launcher.pid, signal.SIGKILL)
    assert not (run / "metrics.json").exists()
    command, env = torchrun("-m", "envsound.cli", "cv", "--resume", str(run), "--no-report")
    result = subprocess.run(command, env=env, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    assert len(json.loads((run / "metrics.json").read_text())["fold_accuracy"]) == 1  # the killed fold, finished by the resume


def test_sync_batchnorm_swaps_in_and_back_sharing_parameters():
    """The layers DDP syncs hold the model's own parameters (the optimiser's), and after training
    plain BatchNorm2d layers come back with them: the saved model is the usual one."""
    from envsound.training.distributed import _replace_batchnorm, unwrap_sync_batchnorm

    model = tiny()
    before = {k: v.clone() for k, v in model.state_dict().items()}
    weight = model.body[1].weight
    _replace_batchnorm(model, torch.nn.SyncBatchNorm, only=torch.nn.BatchNorm2d)
    assert type(model.body[1]) is torch.nn.SyncBatchNorm and model.body[1].weight is weight
    with torch.no_grad():
        model.body[1].running_mean += 1.0  # statistics a synced step would have updated
    unwrap_sync_batchnorm(model)
    assert type(model.body[1]) is torch.nn.BatchNorm2d and model.body[1].weight is weight
    after = model.state_dict()
    assert after.keys() == before.keys()
    assert torch.equal(after["body.1.running_mean"], before["body.1.running_mean"] + 1.0)


def test_sync_batchnorm_on_cpu_ranks_is_one_clear_error():
    from envsound.errors import ConfigError
    from envsound.training.distributed import World, wrap

    with pytest.raises(ConfigError, match="--device cuda"):
        wrap(tiny(), World(rank=0, size=2), sync_batchnorm=True, device=torch.device("cpu"))


@pytest.mark.skipif(torch.cuda.is_available(), reason="checks the machine without a GPU")
def test_training_on_a_missing_gpu_is_one_clear_error_and_cpu_stays_the_default():
    from envsound.devices import training_device, use_training_device
    from envsound.errors import ConfigError

    with pytest.raises(ConfigError, match="no CUDA device"):
        use_training_device("cuda")
    assert training_device() == torch.device("cpu")
    assert use_training_device("auto") == torch.device("cpu")


needs_gpu = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
needs_two_gpus = pytest.mark.skipif(torch.cuda.device_count() < 2, reason="needs two CUDA GPUs")


@needs_gpu
def test_training_on_a_gpu_takes_the_cpu_steps(tmp_path):
    """The same two steps on cuda and on the CPU (augmentation drawn on the CPU, applied on the device)."""
    cpu, gpu = tmp_path / "cpu.pt", tmp_path / "gpu.pt"
    for out, device in ((cpu, "cpu"), (gpu, "cuda")):
        subprocess.run([sys.executable, str(HERE / "ddp_step.py"), str(out), device], check=True, timeout=300)
    a, b = torch.load(cpu, weights_only=True), torch.load(gpu, weights_only=True)
    for key in a:
        assert (a[key] - b[key]).abs().max() <= 1e-4, key


@needs_two_gpus
def test_two_gpu_ranks_with_sync_batchnorm_take_the_single_process_steps(tmp_path):
    """nccl, one GPU per rank, BatchNorm statistics synced: 2 ranks x 4 equal one process on 8."""
    single, double = tmp_path / "one.pt", tmp_path / "two.pt"
    subprocess.run([sys.executable, str(HERE / "ddp_step.py"), str(single), "cuda:0", "sync"], check=True, timeout=300)
    command, env = torchrun(str(HERE / "ddp_step.py"), str(double), "cuda", "sync")
    result = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    a, b = torch.load(single, weights_only=True), torch.load(double, weights_only=True)
    for key in a:
        assert (a[key] - b[key]).abs().max() <= 1e-4, key


@needs_gpu
def test_two_ranks_sharing_one_gpu_with_sync_batchnorm_take_the_single_process_steps(tmp_path):
    """SyncBatchNorm's arithmetic on GPU tensors, checkable with one GPU: 2 ranks on cuda:0 joined
    over gloo (nccl refuses two ranks on one device) equal one process on the whole batch."""
    single, double = tmp_path / "one.pt", tmp_path / "two.pt"
    subprocess.run([sys.executable, str(HERE / "ddp_step.py"), str(single), "cuda:0", "sync"], check=True, timeout=300)
    command, env = torchrun(str(HERE / "ddp_step.py"), str(double), "cuda:0", "sync", "gloo")
    result = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    a, b = torch.load(single, weights_only=True), torch.load(double, weights_only=True)
    start = tiny().state_dict()
    assert any((a[k].float() - start[k].float()).abs().max() > 1e-3 for k in a)  # the steps did move the weights
    assert (a["body.1.running_mean"] - start["body.1.running_mean"]).abs().max() > 1e-3  # statistics trained, not frozen
    apart = {key: float((a[key].double() - b[key].double()).abs().max()) for key in a}
    assert max(apart.values()) <= 1e-4, apart


def _cv_on(device, config, run, *extra):
    command = [sys.executable, "-m", "envsound.cli", "cv", "--config", str(config), "--out", str(run), "--no-report", "--device", device, *extra]
    result = subprocess.run(command, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads((run / "metrics.json").read_text())


@needs_gpu
def test_cv_on_a_gpu_writes_the_run_a_cpu_would(tone_dataset, tmp_path):
    """`cv --device cuda` end to end: a complete run folder, fold models saved on the CPU and
    loadable without a GPU, and the fold accuracies of the same run on the CPU."""
    config = _config(tone_dataset, tmp_path, 3)
    on_gpu = _cv_on("cuda", config, tmp_path / "gpu", "--save-models")
    on_cpu = _cv_on("cpu", config, tmp_path / "cpu")
    assert on_gpu["fold_accuracy"] == pytest.approx(on_cpu["fold_accuracy"], abs=0.1)
    environment = json.loads((tmp_path / "gpu" / "config.json").read_text())["environment"]
    assert environment["training_device"] == "cuda:0" and environment["gpu"]
    for fold in (1, 2, 3):
        network = load_model(tmp_path / "gpu" / f"fold-{fold}" / "model.pt").model
        assert all(p.device.type == "cpu" for p in network.parameters())


@needs_gpu
@pytest.mark.slow
def test_the_pretrained_lpft_recipe_trains_on_a_gpu(tone_dataset, tmp_path, shared_weights, monkeypatch):
    """The shipped backbone's LP-FT recipe (probe head fitted first, BatchNorm statistics frozen)
    on cuda for one epoch: it runs end to end and learns the three tones."""
    monkeypatch.setenv("ENVSOUND_WEIGHTS", str(shared_weights))
    path = tmp_path / "lpft.json"
    path.write_text(json.dumps({
        "dataset": str(tone_dataset), "n_folds": 3,
        "train": {"model": "mn04_finetune", "epochs": 1, "lr": 1e-4, "batch_size": 8, "warmup_epochs": 0, "head_init": "probe", "freeze_norm_stats": True},
    }))
    metrics = _cv_on("cuda", path, tmp_path / "run")
    assert metrics["mean_accuracy"] >= 0.8
