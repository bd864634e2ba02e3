"""Process hygiene: no worker outlives its command, whether the command is stopped or killed."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from envsound.workers import process_pool

REPO = Path(__file__).resolve().parents[1]
ENVSOUND = [sys.executable, "-m", "envsound.cli"]


def _children(pid: int) -> set[int]:
    """Every live descendant of ``pid`` (from /proc)."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            parents[int(entry.name)] = int(stat.rsplit(")", 1)[1].split()[1])
    found, frontier = set(), {pid}
    while frontier:
        frontier = {child for child, parent in parents.items() if parent in frontier} - found
        found |= frontier
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def _wait_gone(pids: set[int], seconds: float = 10.0) -> set[int]:
    deadline = time.time() + seconds
    while time.time() < deadline and any(_alive(p) for p in pids):
        time.sleep(0.1)
    return {p for p in pids if _alive(p)}


def _sleep(seconds: float) -> float:
    time.sleep(seconds)
    return seconds


def test_pool_workers_exit_when_their_parent_is_killed(tmp_path):
    script = tmp_path / "parent.py"
    script.write_text(
        "import sys, time\n"
        "from envsound.workers import process_pool\n"
        "def nap(s):\n    time.sleep(s)\n"
        "if __name__ == '__main__':\n"
        "    pool = process_pool(2)\n"
        "    futures = [pool.submit(nap, 60) for _ in range(2)]\n"
        "    print('ready', flush=True)\n"
        "    time.sleep(60)\n")
    parent = subprocess.Popen([sys.executable, str(script)], stdout=subprocess.PIPE, text=True)
    assert parent.stdout.readline().strip() == "ready"
    deadline = time.time() + 10
    while len(_children(parent.pid)) < 2 and time.time() < deadline:
        time.sleep(0.05)
    workers = _children(parent.pid)
    assert len(workers) >= 2
    parent.kill()
    parent.wait()
    assert not _wait_gone(workers), "pool workers outlived kill -9 of their parent"


def test_a_pool_still_works():
    with process_pool(1) as pool:
        assert pool.submit(_sleep, 0.01).result() == 0.01


@pytest.mark.slow
def test_augment_workers_exit_after_kill_9(tmp_path):
    rng = np.random.default_rng(0)
    for label in ("a", "b"):
        (tmp_path / "data" / label).mkdir(parents=True)
        for i in range(6):
            sf.write(tmp_path / "data" / label / f"{i}.wav", (0.1 * rng.standard_normal(16000 * 5)).astype(np.float32), 16000)
    command = ENVSOUND + ["augment", str(tmp_path / "data"), "--out", str(tmp_path / "out"), "--transforms", "stretch,pitch", "--copies", "20", "--workers", "2"]
    proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=REPO)
    deadline = time.time() + 60
    while len(_children(proc.pid)) < 2 and time.time() < deadline and proc.poll() is None:
        time.sleep(0.05)
    workers = _children(proc.pid)
    assert len(workers) >= 2 and proc.poll() is None, "augment finished before its workers could be seen"
    proc.kill()
    proc.wait()
    assert not _wait_gone(workers), "augment's workers outlived kill -9"
    assert not (tmp_path / "out" / "manifest.csv").exists()  # nothing that looks complete


@pytest.mark.slow
def test_serve_leaves_no_process_after_sigterm(tmp_path):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = subprocess.Popen(ENVSOUND + ["serve", "--port", str(port), "--model", "fast"], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, cwd=REPO)
    import httpx

    url = f"http://127.0.0.1:{port}"
    deadline = time.time() + 90
    while time.time() < deadline:
        try:
            httpx.get(url, timeout=1)
            break
        except httpx.HTTPError:
            time.sleep(0.2)
    clip = REPO / "examples" / "1-26806-A-1.flac"
    with open(clip, "rb") as handle:
        answer = httpx.post(f"{url}/api/predict", files={"file": (clip.name, handle.read())}, timeout=120)
    assert answer.status_code == 200  # the figure worker (a spawned process) has started
    spawned = _children(server.pid)
    assert spawned, "serve started no worker process"
    server.send_signal(signal.SIGTERM)
    assert server.wait(timeout=30) is not None
    assert not _wait_gone(spawned), f"processes left after SIGTERM: {sorted(_wait_gone(spawned, 0))}"
    assert "Traceback" not in server.stderr.read()


def test_children_helper_sees_a_child():
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(5)"])
    try:
        assert child.pid in _children(os.getpid())
    finally:
        child.kill()
        child.wait()
