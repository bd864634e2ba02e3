"""Why single footsteps are the shipped model's largest outside error: what ESC-50 teaches as
"footsteps" against what the outside set holds. Writes benchmarks/results/footsteps_events.json.

    python benchmarks/footsteps.py runs/outside

For every ESC-50 clip labelled footsteps and every outside recording labelled footsteps: the
number of onsets (librosa's onset detector, fixed settings) and the seconds within 30 dB of the
clip's loudest frame. Measures only; nothing here is fitted or chosen.
"""

from __future__ import annotations

import argparse
import csv
import shlex
import sys
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

from envsound.audio import load_audio
from envsound.data import load_esc50
from envsound.utils import write_json

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "benchmarks"))
from esc50_cv import git_commit  # noqa: E402

RATE = 16000
ACTIVE_DB = 30.0  # a frame counts as sounding within this many dB of the clip's loudest


def events(signal: np.ndarray) -> tuple[int, float]:
    """(onsets, sounding seconds) of one clip."""
    import librosa

    onsets = librosa.onset.onset_detect(y=signal, sr=RATE, units="time", delta=0.2)
    rms = librosa.feature.rms(y=signal, frame_length=1024, hop_length=256)[0]
    sounding = float((rms > rms.max() * 10 ** (-ACTIVE_DB / 20)).mean() * len(signal) / RATE)
    return len(onsets), sounding


def summary(rows: list[dict]) -> dict:
    onsets = np.array([r["onsets"] for r in rows])
    sounding = np.array([r["sounding_seconds"] for r in rows])
    return {"clips": len(rows), "onsets_min_median_max": [int(onsets.min()), float(np.median(onsets)), int(onsets.max())],
            "clips_with_at_most_2_onsets": int((onsets <= 2).sum()), "sounding_seconds_median": round(float(np.median(sounding)), 2)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("outside", type=Path, help="the outside set built by scripts/build_outside_set.py")
    parser.add_argument("--esc50", type=Path, default=None, help="ESC-50 folder (default: $ENVSOUND_ESC50 or ../shared/data/esc50)")
    args = parser.parse_args()
    manifest = load_esc50(args.esc50)
    sides = {"esc50": [c.path for c in manifest.clips if c.label == "footsteps"]}
    with (args.outside / "manifest.csv").open(newline="") as handle:
        sides["outside"] = [args.outside / r["path"] for r in csv.DictReader(handle) if r["label"] == "footsteps"]
    result: dict = {"name": "footsteps_events"}
    for side, paths in sides.items():
        rows = []
        for path in paths:
            onsets, sounding = events(load_audio(path, RATE))
            rows.append({"file": path.name, "onsets": onsets, "sounding_seconds": round(sounding, 2)})
        result[side] = {**summary(rows), "per_clip": rows}
    result.update({
        "command": "python " + " ".join(shlex.quote(a) for a in [f"benchmarks/{Path(__file__).name}", *sys.argv[1:]]),
        "commit": git_commit(),
        "date": datetime.now(timezone.utc).date().isoformat(),
    })
    write_json(REPO / "benchmarks" / "results" / "footsteps_events.json", result)
    print({side: {k: v for k, v in result[side].items() if k != "per_clip"} for side in sides})


if __name__ == "__main__":
    main()
