"""Rebuild the outside-ESC-50 test set from Debian packages (issue #15): audio never committed.

    python scripts/build_outside_set.py                       # -> runs/outside/ (apt-get download)
    python scripts/build_outside_set.py --debs /tmp/debs      # reuse downloaded .deb files

Reads benchmarks/outside/manifest.csv (package, file, label or 'none', licence per recording) and
writes runs/outside/audio/... plus runs/outside/manifest.csv. Measure with
`python benchmarks/outside.py runs/outside`; never train or tune on it.

The exposure set ("none of these" sounds that `envsound calibrate --exposure` fits on; packages
disjoint from the outside set's) is built the same way:

    python scripts/build_outside_set.py --manifest benchmarks/exposure/manifest.csv --out runs/exposure
"""

from __future__ import annotations

import argparse
from pathlib import Path

from envsound.data import load_esc50
from envsound.data.outside import build_outside_set

REPO = Path(__file__).resolve().parent.parent

if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--manifest", type=Path, default=REPO / "benchmarks" / "outside" / "manifest.csv")
    parser.add_argument("--out", type=Path, default=REPO / "runs" / "outside")
    parser.add_argument("--debs", type=Path, default=None, help="folder of downloaded .deb files (default: apt-get download into a temporary folder)")
    args = parser.parse_args()
    print(build_outside_set(args.manifest, args.out, load_esc50().classes, args.debs))
