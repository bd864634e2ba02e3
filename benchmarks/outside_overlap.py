"""Is any outside recording really an ESC-50 clip? ESC-50 was cut from Freesound, and so are many
game sounds; a recording that is an ESC-50 clip again would measure memory, not generalisation.
Writes benchmarks/results/outside_overlap.json.

    python benchmarks/outside_overlap.py runs/outside

Every 5-s window of every outside recording (cut as `predict` cuts it) is compared with every
ESC-50 clip by cosine similarity of mn04 embeddings (the ESC-50 side comes from the feature cache).
A pair at or above --flag is listed for a person to check; nothing is dropped by this script. The
test: a planted ESC-50 clip (cropped and re-encoded as a user would meet it) scores above the flag.
"""

from __future__ import annotations

import argparse
import csv
import shlex
import sys
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

from envsound.data import load_esc50
from envsound.features.cache import load_or_compute
from envsound.inference.embed import embed_files
from envsound.models.embedding import EfficientATEmbeddingExtractor
from envsound.utils import write_json

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "benchmarks"))
from esc50_cv import git_commit  # noqa: E402


def unit(x: np.ndarray) -> np.ndarray:
    return x / np.maximum(np.linalg.norm(x, axis=-1, keepdims=True), 1e-12)


def planted_control(path: Path, extractor: EfficientATEmbeddingExtractor):
    """An ESC-50 clip as a user might meet it again: its middle 3 s, 6 dB quieter, as Ogg Vorbis at
    22.05 kHz. Its similarity to the original says whether the flag is low enough to catch a reuse."""
    import tempfile

    import soundfile as sf

    from envsound.audio import load_audio

    audio = load_audio(path, 22050)
    middle = audio[len(audio) // 2 - 33075: len(audio) // 2 + 33075] * 0.5
    with tempfile.TemporaryDirectory() as tmp:
        copy = Path(tmp) / "control.ogg"
        sf.write(copy, middle, 22050, format="OGG", subtype="VORBIS")
        return embed_files([copy], extractor=extractor)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("folder", type=Path)
    parser.add_argument("--flag", type=float, default=0.97, help="cosine similarity at or above which a pair is listed")
    args = parser.parse_args()
    rows = list(csv.DictReader(open(args.folder / "manifest.csv", newline="")))
    esc50 = load_esc50()
    extractor = EfficientATEmbeddingExtractor()
    reference = unit(np.asarray(load_or_compute(esc50, extractor).features, dtype=np.float32))
    outside = embed_files([args.folder / r["path"] for r in rows], extractor=extractor, progress=True)
    if outside.errors:
        raise SystemExit(f"{len(outside.errors)} recordings could not be read, e.g. {next(iter(outside.errors))}")
    control = planted_control(esc50.clips[0].path, extractor)
    similarity = unit(outside.window) @ reference.T  # (windows, clips)
    best_clip = similarity.argmax(axis=1)
    best = similarity[np.arange(len(best_clip)), best_clip]
    per_recording = []
    for index, row in enumerate(rows):
        mine = np.flatnonzero(outside.window_file == index)
        top = mine[best[mine].argmax()]
        per_recording.append({"path": row["path"], "label": row["label"], "max_similarity": round(float(best[top]), 4),
                              "nearest_esc50": Path(esc50.clips[best_clip[top]].path).name, "nearest_label": esc50.clips[best_clip[top]].label})
    control_similarity = float((unit(control.window) @ reference[0]).max())
    flagged = [r for r in per_recording if r["max_similarity"] >= args.flag]
    maxima = np.array([r["max_similarity"] for r in per_recording])
    result = {
        "name": "outside_overlap",
        "recordings": len(rows),
        "flag": args.flag,
        "flagged": flagged,
        "control_similarity": round(control_similarity, 4),
        "control_found": control_similarity >= args.flag,
        "max_similarity_quantiles": {q: round(float(np.quantile(maxima, q)), 4) for q in (0.5, 0.9, 0.99, 1.0)},
        "per_recording": per_recording,
        "command": "python " + " ".join(shlex.quote(a) for a in [f"benchmarks/{Path(__file__).name}", *sys.argv[1:]]),
        "commit": git_commit(),
        "date": datetime.now(timezone.utc).date().isoformat(),
    }
    write_json(REPO / "benchmarks" / "results" / "outside_overlap.json", result)
    print({k: v for k, v in result.items() if k != "per_recording"})


if __name__ == "__main__":
    main()
