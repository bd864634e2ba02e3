"""Time feature extraction for every ESC-50 clip into a fresh cache, then re-opening it.

    python benchmarks/feature_cache.py

Log-mel (the CNNs' input; targets: compute ≤ 10 s, re-open ≤ 1 s on 2 cores) and the 110
hand-crafted features (target ≤ 60 s). Writes benchmarks/results/feature_cache.json.
"""

from __future__ import annotations

import shlex
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

from envsound.data import load_esc50
from envsound.features import LogMelExtractor, load_or_compute
from envsound.features.handcrafted import HandcraftedExtractor
from envsound.runs import device_name
from envsound.utils import write_json

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "benchmarks"))
from esc50_cv import git_commit  # noqa: E402


def main() -> None:
    manifest = load_esc50()
    extractor = LogMelExtractor()
    with tempfile.TemporaryDirectory() as cache:
        started = time.perf_counter()
        features = load_or_compute(manifest, extractor, cache_dir=cache, show_progress=False)
        compute = time.perf_counter() - started
        started = time.perf_counter()
        load_or_compute(manifest, extractor, cache_dir=cache, show_progress=False)
        reopen = time.perf_counter() - started
        started = time.perf_counter()
        load_or_compute(manifest, HandcraftedExtractor(), cache_dir=cache, show_progress=False)
        handcrafted = time.perf_counter() - started
    result = {
        "name": "feature_cache",
        "clips": len(manifest),
        "features": extractor.describe(),
        "shape": list(features.features.shape),
        "compute_seconds": compute,
        "reopen_seconds": reopen,
        "handcrafted_compute_seconds": handcrafted,
        "device": device_name(),
        "command": "python " + " ".join(shlex.quote(a) for a in [f"benchmarks/{Path(__file__).name}", *sys.argv[1:]]),
        "commit": git_commit(),
        "date": datetime.now(timezone.utc).date().isoformat(),
    }
    write_json(REPO / "benchmarks" / "results" / "feature_cache.json", result)
    print(f"{len(manifest)} clips: log-mel computed in {compute:.1f} s, re-opened in {reopen:.3f} s; 110 hand-crafted features in {handcrafted:.1f} s")


if __name__ == "__main__":
    main()
