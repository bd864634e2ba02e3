"""Build the shipped ESC-50 model and the example clips (run from the repo root).

    python scripts/build_default_model.py

Fits the linear probe (frozen EfficientAT mn04 embeddings -> standardise -> logistic regression,
C chosen by inner 3-fold CV) on all 2000 ESC-50 clips, folds it into one network file
(src/envsound/assets/esc50-default.pt), and checks the file reproduces the probe's probabilities.
"""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import numpy as np
import torch

from envsound.data import load_esc50
from envsound.features.cache import load_or_compute
from envsound.inference.model_file import save_model
from envsound.inference.predict import Predictor
from envsound.models.pretrained import classifier_from_probe
from envsound.models.registry import get_model
from envsound.training.config import RunConfig
from envsound.training.crossval import environment

REPO = Path(__file__).resolve().parent.parent
ASSETS = REPO / "src" / "envsound" / "assets"
EXAMPLES = REPO / "examples"
# ESC-10 clips (CC BY 3.0 subset); attribution in examples/ATTRIBUTION.md
EXAMPLE_CLIPS = ("1-100032-A-0", "1-26806-A-1", "1-17367-A-10", "1-47250-B-41", "1-187207-A-20")


def main() -> None:
    started = time.perf_counter()
    cfg = RunConfig(dataset="esc50").with_train(model="mn04_probe")
    manifest = load_esc50()
    probe_spec = get_model("mn04_probe")
    features = load_or_compute(manifest, probe_spec.extractor(cfg))
    probe = probe_spec.build(len(manifest.classes), cfg)
    probe.fit(np.asarray(features.features), manifest.targets)
    network = classifier_from_probe(probe, len(manifest.classes))
    with torch.inference_mode():
        ours = network.head(torch.from_numpy(np.asarray(features.features[:50]))).softmax(1).numpy()
    diff = np.abs(ours - probe.predict_proba(features.features[:50])).max()
    assert diff < 1e-4, diff
    ship_cfg = RunConfig(dataset="esc50").with_train(model="mn04_finetune")
    info = {
        "how": "linear probe (standardise + logistic regression, C by inner 3-fold CV) on frozen mn04_as embeddings, fitted on all 2000 ESC-50 clips, folded into the linear head",
        "chosen_C": float(np.ravel(probe[-1].C_)[0]),
        "command": "python scripts/build_default_model.py",
        "license": "weights derived from EfficientAT mn04_as (MIT, (c) 2022 Florian Schmid); head trained on ESC-50 (CC BY-NC 3.0)",
        "environment": environment(),
        "seconds": time.perf_counter() - started,
    }
    out = save_model(ASSETS / "esc50-default.pt", get_model("mn04_finetune"), network, manifest.classes, ship_cfg, info)
    shutil.copy(REPO.parent / "shared" / "models" / "efficientat" / "audioset_class_labels_indices.csv", ASSETS / "audioset_labels.csv")
    EXAMPLES.mkdir(exist_ok=True)
    by_id = {c.clip_id: c for c in manifest.clips}
    for stem in EXAMPLE_CLIPS:
        shutil.copy(by_id[stem].path, EXAMPLES / f"{stem}.flac")
    predictor = Predictor.from_file(out)
    for stem in EXAMPLE_CLIPS:
        p = predictor.predict_file(EXAMPLES / f"{stem}.flac", top_k=1)
        print(f"{stem}: {p.labels[0]} ({p.probabilities[0]:.1%}), truth {by_id[stem].label}")
    print(f"wrote {out} ({out.stat().st_size / 1e6:.1f} MB), max |p - probe| = {diff:.2e}")


if __name__ == "__main__":
    main()
