"""Where do the timeline's event errors come from? A look, not an arm: no rule, nothing kept.
Writes benchmarks/results/sed_errors.json.

    python benchmarks/sed.py                      # builds the leak-free fold models (runs/sed/fold-k)
    python benchmarks/sed_errors.py --fold 1
    python benchmarks/sed_errors.py --fold 1 --models rw_pair   # sed_errors_rw_pair.json

Each reference event of fold k's no-overlap soundscapes (benchmarks/sed.py's, same seeds) is sorted
by what the kept timeline (``Timeline.events()``'s defaults) made of it:
- ``hit``: an event of its class with onset within 200 ms and offset within max(200 ms, 20 %);
- ``edges``: an event of its class overlaps it, but an edge is outside the collar (``onset``,
  ``offset`` or both; with how many events of its class overlap it);
- ``wrong_class``: events overlap it, none of its class, some of another;
- ``unknown``: only "unknown" events overlap it;
- ``missed``: nothing but background overlaps it.
Beside that, the event's own audio (its reference span, cut out) answered as ``predict`` answers a
clip: right, wrong, "unknown" or background. It says how much is the classifier's and how much the
segmentation's.
"""

from __future__ import annotations

import argparse
import shlex
import sys
from collections import Counter, defaultdict
from datetime import datetime, timezone
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "benchmarks"))
from envsound.data import load_esc50  # noqa: E402
from envsound.inference.predict import Predictor  # noqa: E402
from envsound.inference.timeline import compute_timeline  # noqa: E402
from envsound.models.decision import BACKGROUND, UNKNOWN  # noqa: E402
from envsound.runs import device_name  # noqa: E402
from envsound.utils import write_json  # noqa: E402
from esc50_cv import git_commit, result_path  # noqa: E402
from sed import MODEL_SETS, RATE, fold_model_path, soundscapes  # noqa: E402

COLLAR = 0.2


def sort_event(event, events) -> tuple[str, dict | None]:
    """(the event's category, its edge errors when an event of its class overlaps it)."""
    over = [s for s in events if s.end > event.onset and s.start < event.offset and s.label != BACKGROUND]
    right = [s for s in over if s.label == event.label]
    tolerance = max(COLLAR, 0.2 * (event.offset - event.onset))
    if any(abs(s.start - event.onset) <= COLLAR and abs(s.end - event.offset) <= tolerance for s in right):
        return "hit", None
    if right:
        best = min(right, key=lambda s: abs(s.start - event.onset) + abs(s.end - event.offset))
        onset, offset = best.start - event.onset, best.end - event.offset
        which = " and ".join(name for name, off in (("onset", abs(onset) > COLLAR), ("offset", abs(offset) > tolerance)) if off)
        return f"edges: {which}", {"onset_error": round(onset, 2), "offset_error": round(offset, 2), "seconds": round(event.offset - event.onset, 2),
                                   "events_of_its_class": len(right)}
    if not over:
        return "missed", None
    return ("unknown" if all(s.label == UNKNOWN for s in over) else "wrong_class"), None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--fold", type=int, default=1)
    parser.add_argument("--models", default="probe", choices=MODEL_SETS, help="benchmarks/sed.py's fold-model set")
    args = parser.parse_args()
    commit = git_commit()
    manifest = load_esc50()
    model = fold_model_path(args.fold, args.models)
    if not model.exists():
        raise SystemExit(f"{model}: run python benchmarks/sed.py --models {args.models} first (it builds the fold models)")
    predictor = Predictor.from_file(model, device="cpu")
    categories: Counter = Counter()
    cut_out: Counter = Counter()
    by_bed: dict[str, Counter] = defaultdict(Counter)
    edges: list[dict] = []
    for scape in soundscapes(args.fold, manifest, overlap=False):
        events = compute_timeline(predictor, signal=scape.signal).events()
        bed = scape.background.rstrip("dB0123456789-.")
        for event in scape.events:
            category, detail = sort_event(event, events)
            categories["edges" if category.startswith("edges") else category] += 1
            by_bed[bed][category] += 1
            if detail is not None:
                edges.append({"label": event.label, "bed": bed, "which": category[len("edges: "):], **detail})
            alone = predictor.predict_array(scape.signal[round(event.onset * RATE) : round(event.offset * RATE)], RATE)
            cut_out["right" if alone.answer == event.label else "background" if alone.background else "unknown" if alone.abstained else "wrong"] += 1
    name = "sed_errors" if args.models == "probe" else f"sed_errors_{args.models}"
    result = {"name": name, "models": args.models, "command": "python " + shlex.join(sys.argv), "commit": commit, "machine": device_name(),
              "date": datetime.now(timezone.utc).isoformat(timespec="seconds"), "fold": args.fold, "set": "no-overlap",
              "reference_events": sum(categories.values()), "categories": dict(categories), "cut_out_answers": dict(cut_out),
              "by_bed": {bed: dict(c) for bed, c in sorted(by_bed.items())}, "edge_errors": edges}
    write_json(result_path(name), result)
    print(dict(categories), "cut out:", dict(cut_out))


if __name__ == "__main__":
    main()
