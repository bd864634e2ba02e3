"""`make demo`: classify the example clips with the shipped model (offline, no training)."""

from __future__ import annotations

import time
from pathlib import Path

from envsound.inference.predict import Predictor
from envsound.inference.shipped import default_model_path

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def main() -> None:
    started = time.perf_counter()
    predictor = Predictor.from_file()
    clips = sorted(EXAMPLES.glob("*.flac"))
    print(f"envsound demo: shipped ESC-50 model ({default_model_path().name}) on {len(clips)} example clips\n")
    for clip in clips:
        result = predictor.predict_file(clip, top_k=3)
        tags = predictor.audioset_tags(clip, top_k=3)
        print(f"{clip.name}")
        print("  ESC-50:   " + ", ".join(f"{label} {p:.0%}" for label, p in zip(result.labels, result.probabilities)))
        print("  AudioSet: " + ", ".join(f"{label} {p:.0%}" for label, p in zip(tags.labels, tags.probabilities)))
    print(f"\ndone in {time.perf_counter() - started:.1f} s. Try: .venv/bin/envsound predict YOUR_FILE.wav")


if __name__ == "__main__":
    main()
