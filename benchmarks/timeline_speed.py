"""Timeline throughput before and after the background outcome and events (issue #34: at most 1.5x
slower per hour of audio). Writes benchmarks/results/timeline_speed.json.

    git worktree add /tmp/envsound-before c82c7e3
    python benchmarks/timeline_speed.py --before /tmp/envsound-before

Each side runs in a fresh process with its own source tree and shipped model: ``compute_timeline``
plus the answer users get (``segments()`` before, ``events()`` now) on the same 5-minute recording
(ESC-50 example clips on pink noise), timed three times, median kept; seconds per hour of audio.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import subprocess
import sys
import tempfile
from datetime import datetime, timezone
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "benchmarks"))
from esc50_cv import git_commit, result_path  # noqa: E402

PROBE = """
import sys, time, statistics
import numpy as np
from envsound.inference.predict import Predictor
from envsound.inference.timeline import compute_timeline
path, rounds = sys.argv[1], 3
p = Predictor.from_file(device="cpu")
times = []
for _ in range(rounds):
    t0 = time.perf_counter()
    t = compute_timeline(p, path)
    answer = t.events() if hasattr(t, "events") else t.segments()
    times.append(time.perf_counter() - t0)
print(statistics.median(times))
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--before", type=Path, required=True, help="a checkout of the commit before (its src/ is used)")
    parser.add_argument("--minutes", type=float, default=5.0)
    args = parser.parse_args()
    import soundfile as sf

    from envsound.audio import load_audio
    from envsound.augment.noise_beds import bed

    rate = 32000
    signal = bed("pink", -55.0, args.minutes * 60, rate, 7).signal.copy()
    clips = sorted((REPO / "examples").glob("*.flac"))
    for i, at in enumerate(range(5, int(args.minutes * 60) - 6, 12)):
        clip = load_audio(clips[i % len(clips)], rate)
        signal[at * rate : at * rate + len(clip)] += clip
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "recording.flac"
        sf.write(path, signal, rate)
        seconds = {}
        for name, src in (("before", args.before / "src"), ("now", REPO / "src")):
            env = {**os.environ, "PYTHONPATH": str(src)}
            out = subprocess.run([sys.executable, "-c", PROBE, str(path)], capture_output=True, text=True, env=env, check=True)
            seconds[name] = float(out.stdout.strip().splitlines()[-1])
    per_hour = {k: round(v * 60 / args.minutes, 1) for k, v in seconds.items()}
    result = {"command": "python " + shlex.join(sys.argv), "commit": git_commit(), "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
              "before": str(args.before), "minutes": args.minutes, "seconds_per_audio_hour": per_hour, "slowdown": round(per_hour["now"] / per_hour["before"], 2)}
    path = result_path("timeline_speed")
    path.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
