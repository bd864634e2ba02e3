"""`envsound serve` under load on 127.0.0.1; writes benchmarks/results/serve_load.json.

    python benchmarks/serve_load.py                 # 50 concurrent 5-s ESC-50 uploads
    python benchmarks/serve_load.py --clients 20

Starts the real server (`python -m envsound.cli serve`, the shipped model, its default worker pool)
as a child process on a free loopback port, sends N different 5-s ESC-50 clips at once, and while
they are in flight asks for the page (GET /) every 0.2 s. Records every upload's status and latency
(p50, p99, max), the slowest page answer, and the peak resident memory (VmHWM from /proc) of the
server and of its figure worker processes. Everything stays on 127.0.0.1; the run is bounded by --timeout and stops the server itself.
"""

from __future__ import annotations

import argparse
import shlex
import socket
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timezone
from pathlib import Path

import httpx
import numpy as np

from envsound.data import load_esc50
from envsound.runs import device_name
from envsound.utils import write_json

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "benchmarks"))
from esc50_cv import git_commit  # noqa: E402


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def children(pid: int) -> list[int]:
    """The server's child processes (its figure workers), recursively."""
    found = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        for child in (task / "children").read_text().split():
            found += [int(child), *children(int(child))]
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--timeout", type=float, default=120.0, help="seconds any one request may take")
    args = parser.parse_args()
    clips = [c.path for c in load_esc50().clips[: args.clients]]
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    server = subprocess.Popen([sys.executable, "-m", "envsound.cli", "serve", "--host", "127.0.0.1", "--port", str(port)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.time() + 120
        while time.time() < deadline:
            try:
                if httpx.get(url + "/", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.3)
        else:
            raise SystemExit("server did not start")
        idle_rss = peak_rss_mb(server.pid)
        page_seconds: list[float] = []
        done = threading.Event()

        def watch_page() -> None:
            with httpx.Client(timeout=args.timeout) as http:
                while not done.is_set():
                    started = time.perf_counter()
                    http.get(url + "/")
                    page_seconds.append(time.perf_counter() - started)
                    time.sleep(0.2)

        def upload(path: Path) -> tuple[int, float]:
            started = time.perf_counter()
            with httpx.Client(timeout=args.timeout) as http:
                response = http.post(url + "/api/predict", files={"file": (path.name, path.read_bytes(), "audio/flac")})
            return response.status_code, time.perf_counter() - started

        watcher = threading.Thread(target=watch_page, daemon=True)
        watcher.start()
        started = time.perf_counter()
        with ThreadPoolExecutor(max_workers=args.clients) as pool:
            outcomes = list(pool.map(upload, clips))
        wall = time.perf_counter() - started
        done.set()
        watcher.join(timeout=args.timeout)
        server_peak = peak_rss_mb(server.pid)
        workers_peak = [peak_rss_mb(pid) for pid in children(server.pid)]
    finally:
        server.terminate()
        server.wait(timeout=30)
    latencies = np.array([seconds for _, seconds in outcomes])
    codes = [code for code, _ in outcomes]
    result = {
        "name": "serve_load",
        "clients": args.clients,
        "uploads_ok": codes.count(200),
        "uploads_failed": len(codes) - codes.count(200),
        "status_codes": sorted(set(codes)),
        "latency_p50_s": float(np.percentile(latencies, 50)),
        "latency_p99_s": float(np.percentile(latencies, 99)),
        "latency_max_s": float(latencies.max()),
        "wall_seconds": wall,
        "uploads_per_second": len(codes) / wall,
        "page_max_s_during_load": max(page_seconds) if page_seconds else None,
        "page_requests_during_load": len(page_seconds),
        "server_idle_rss_mb": idle_rss,
        "server_peak_rss_mb": server_peak,
        "figure_workers_peak_rss_mb": workers_peak,
        "total_peak_rss_mb": server_peak + sum(workers_peak),  # an upper bound: the peaks need not coincide
        "device": device_name(),
        "command": "python " + " ".join(shlex.quote(a) for a in [f"benchmarks/{Path(__file__).name}", *sys.argv[1:]]),
        "commit": git_commit(),
        "date": datetime.now(timezone.utc).date().isoformat(),
    }
    write_json(REPO / "benchmarks" / "results" / "serve_load.json", result)
    for key, value in result.items():
        print(f"{key:26s} {value}")


if __name__ == "__main__":
    main()
