"""Which evidence says "background" (no event): declared 2026-12-07, before any figure existed.

    python benchmarks/background.py --name background_default            # the shipped pair
    python benchmarks/background.py --model fast --name background_fast

Question (issue #34): ten seconds of white noise at -55 dBFS is "crickets" at 96 % today. Which
evidence lets every model answer ``background`` on noise beds without costing ESC-50 answers?

Data, all made by this script (seeded) or read from ESC-50:
- test beds: white, pink and brown noise at -75, -65, -55, -45 and -40 dBFS RMS, 10 s each; mains
  hum (50 and 60 Hz, three harmonics) at -50 and -30 dBFS; a DC offset of 0.1 under -65 dBFS white
  noise. Seeds 1000 and up. Scored as ``timeline`` scores (2-s windows, 0.5-s hop); the figure is
  the share of 1-s cells whose answer is ``background``, and ``predict``'s answer per bed.
- fit beds (the ``learned`` arm only): the same generator with seeds 0-999, levels drawn from
  -85..-30 dBFS, spectral slopes drawn between brown and blue, hum of either mains frequency with
  random harmonics, DC offsets, and sums of those: never the test beds' seeds.
- ESC-50: each clip's embedding and the AudioSet head's scores, whole 5-s clip, from the model
  being measured. Per official fold k, anything fitted is fitted on the other four folds; the
  figure is the share of fold-k clips called background (each one an answer lost), pooled.
  For the shipped pair this is leak-free: its embedding and AudioSet head are the frozen
  backbone's. For ``fast`` the student saw every clip in training, so its figure is optimistic.

Arms (a window is background when ...):
- ``none``: never (today).
- ``level``: its RMS is under -70 dBFS (no fitting).
- ``audioset``: the AudioSet head's highest sigmoid among its background tags (Silence, White
  noise, Pink noise, Static, Hum, Mains hum, Buzz, Noise, Environmental noise, Inside small room)
  is at least t_k, t_k the 99.7th percentile of that score over the training folds' clips.
- ``learned``: a logistic regression (standardised embedding, C = 1, balanced) of fit beds (1)
  against training-fold clips (0) gives at least t_k, t_k the 99.7th percentile of its out-of-fold
  scores on the training folds' clips (inner folds = the four training folds).
- ``audioset+level`` and ``learned+level``: either.

Decision rule: keep the arms with (a) >= 99 % of test-bed cells background for this model and
(b) at most 0.3 % of ESC-50 test-fold clips called background (the shipped pair's figure; the
"within 0.3 points" of issue #34). Of those, ship the one with the fewest ESC-50 clips lost; a tie
goes to the one with less fitted (level < audioset < learned, alone before combined). If none
meets both, ship the arm meeting (b) with the most background cells, and #34 stays open.
Outside positives answered (``benchmarks/outside.py``) are measured after the choice, not used in it.
"""

from __future__ import annotations

import argparse
import shlex
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import torch

from envsound.audio import fix_length, iter_windows, load_audio
from envsound.augment.noise_beds import fit_beds, measurement_beds, rms_db
from envsound.data import load_dataset
from envsound.inference.predict import Predictor
from envsound.models.zero_shot import audioset_labels
from envsound.runs import device_name
from envsound.utils import write_json

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "benchmarks"))
from esc50_cv import git_commit, result_path  # noqa: E402

BACKGROUND_TAGS = ("Silence", "White noise", "Pink noise", "Static", "Hum", "Mains hum", "Buzz", "Noise", "Environmental noise", "Inside, small room")
LEVEL_DB = -70.0
QUANTILE = 99.7
ESC_LOSS_LIMIT = 0.003
BED_TARGET = 0.99
WINDOW, HOP = 2.0, 0.5  # timeline's defaults


def evidence(predictor: Predictor, windows: np.ndarray, batch: int = 16) -> dict[str, np.ndarray]:
    """Per window: the model's embedding, the AudioSet head's highest background-tag score, RMS dB."""
    network = predictor.loaded.scoring_network("cpu")
    names = audioset_labels()
    tags = [names.index(t) for t in BACKGROUND_TAGS]
    embeddings, tag_scores = [], []
    for i in range(0, len(windows), batch):
        features = torch.from_numpy(predictor.features(windows[i : i + batch]))
        with torch.inference_mode():
            embeddings.append(network.forward_with_embedding(features)[1].float().numpy())
            tag_scores.append(network.audioset_logits(features).sigmoid()[:, tags].amax(dim=1).float().numpy())
    return {"embedding": np.concatenate(embeddings), "audioset": np.concatenate(tag_scores), "level": np.array([rms_db(w) for w in windows])}


def learned_scores(fit_x: np.ndarray, clip_x: np.ndarray, score_x: np.ndarray) -> np.ndarray:
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    x = np.concatenate([fit_x, clip_x])
    y = np.concatenate([np.ones(len(fit_x)), np.zeros(len(clip_x))])
    model = make_pipeline(StandardScaler(), LogisticRegression(C=1.0, class_weight="balanced", max_iter=2000)).fit(x, y)
    return model.predict_proba(score_x)[:, 1]


def fold_rules(esc: dict, folds: np.ndarray, fit: dict, k: int) -> dict[str, tuple[np.ndarray, float]]:
    """For outer fold k: per fitted arm, (the scores of the held-out clips, threshold fitted on the others)."""
    train = folds != k
    out = {}
    out["audioset"] = (esc["audioset"][~train], float(np.percentile(esc["audioset"][train], QUANTILE)))
    inner = np.full(train.sum(), np.nan)
    train_folds = folds[train]
    for j in np.unique(train_folds):
        inner[train_folds == j] = learned_scores(fit["embedding"], esc["embedding"][train][train_folds != j], esc["embedding"][train][train_folds == j])
    out["learned"] = (esc["embedding"][~train], float(np.percentile(inner, QUANTILE)))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default=None, help="a model file or a shipped model's name (default: the shipped pair)")
    parser.add_argument("--name", default="background_default")
    parser.add_argument("--fit-beds", type=int, default=400)
    parser.add_argument("--data", default=None, help="ESC-50 root (default: $ENVSOUND_ESC50)")
    args = parser.parse_args()
    out_path = result_path(args.name)
    commit, began = git_commit(), time.time()
    torch.manual_seed(0)
    predictor = Predictor.from_file(args.model, device="cpu")
    rate, clip = predictor.extractor.sample_rate, predictor.window_samples

    manifest = load_dataset("esc50", args.data)
    folds = manifest.folds
    print(f"ESC-50: {len(manifest)} clips", flush=True)
    esc_windows = [fix_length(load_audio(c.path, rate), clip) for c in manifest.clips]
    esc = evidence(predictor, np.stack(esc_windows))
    del esc_windows
    beds = fit_beds(args.fit_beds, rate)
    fit_windows = [b.signal for b in beds] + [b.signal[: round(WINDOW * rate)] for b in beds]
    fit_long = evidence(predictor, np.stack([w for w in fit_windows if len(w) == clip]))
    fit_short = evidence(predictor, np.stack([w for w in fit_windows if len(w) != clip]))
    fit = {key: np.concatenate([fit_long[key], fit_short[key]]) for key in fit_long}

    tests = measurement_beds(rate)
    bed_windows = {b.name: np.stack([w for _, w in iter_windows([b.signal], round(WINDOW * rate), round(HOP * rate), tail="pad")]) for b in tests}
    bed_evidence = {name: evidence(predictor, w) for name, w in bed_windows.items()}
    print("evidence computed", flush=True)

    arms = ("none", "level", "audioset", "learned", "audioset+level", "learned+level")
    esc_lost = {arm: np.zeros(len(manifest), dtype=bool) for arm in arms}
    bed_background = {arm: {} for arm in arms}  # per bed: share of 1-s cells, over the five folds' detectors
    per_window = round(WINDOW / HOP)
    for k in sorted(np.unique(folds)):
        rules = fold_rules(esc, folds, fit, int(k))
        held = folds == k
        train = ~held
        learned_model_x = esc["embedding"][train]
        flags = {"level": esc["level"][held] < LEVEL_DB, "audioset": rules["audioset"][0] >= rules["audioset"][1],
                 "learned": learned_scores(fit["embedding"], learned_model_x, esc["embedding"][held]) >= rules["learned"][1]}
        flags["none"] = np.zeros(held.sum(), dtype=bool)
        flags["audioset+level"] = flags["audioset"] | flags["level"]
        flags["learned+level"] = flags["learned"] | flags["level"]
        for arm in arms:
            esc_lost[arm][held] = flags[arm]
        for name, ev in bed_evidence.items():
            window_scores = {"level": -ev["level"], "audioset": ev["audioset"], "learned": learned_scores(fit["embedding"], learned_model_x, ev["embedding"])}
            thresholds = {"level": -LEVEL_DB, "audioset": rules["audioset"][1], "learned": rules["learned"][1]}
            n = len(ev["level"])
            cells = {}
            for key, scores in window_scores.items():  # a 1-s cell's score: the mean of the windows covering it (as timeline averages)
                total, count = np.zeros(n + per_window), np.zeros(n + per_window)
                for i in range(n):
                    total[i : i + per_window] += scores[i]
                    count[i : i + per_window] += 1
                duration_cells = round(10.0 / HOP)
                mean = total[:duration_cells] / count[:duration_cells]
                cells[key] = mean >= thresholds[key]
            cells["none"] = np.zeros_like(cells["level"])
            cells["audioset+level"] = cells["audioset"] | cells["level"]
            cells["learned+level"] = cells["learned"] | cells["level"]
            for arm in arms:  # 0.5-s cells, paired into 1-s cells: background when both halves are
                one_second = cells[arm].reshape(-1, 2).all(axis=1)
                bed_background[arm].setdefault(name, []).append(float(one_second.mean()))
        print(f"fold {k} done", flush=True)

    summary = {}
    for arm in arms:
        beds_share = {name: float(np.mean(v)) for name, v in bed_background[arm].items()}
        summary[arm] = {"esc50_called_background": float(esc_lost[arm].mean()), "esc50_clips_lost": int(esc_lost[arm].sum()),
                        "bed_cells_background": float(np.mean(list(beds_share.values()))), "beds": beds_share,
                        "meets_beds": bool(np.mean(list(beds_share.values())) >= BED_TARGET), "meets_esc50": bool(esc_lost[arm].mean() <= ESC_LOSS_LIMIT)}
        print(f"{arm:16s} ESC-50 lost {summary[arm]['esc50_clips_lost']:4d} ({summary[arm]['esc50_called_background']:.2%})  beds background {summary[arm]['bed_cells_background']:.1%}", flush=True)
    lost_by_class = {arm: {} for arm in arms}
    for arm in arms:
        for i in np.flatnonzero(esc_lost[arm]):
            label = manifest.clips[i].label
            lost_by_class[arm][label] = lost_by_class[arm].get(label, 0) + 1
    write_json(out_path, {
        "name": args.name, "command": "python " + shlex.join(sys.argv), "commit": commit, "machine": device_name(),
        "date": datetime.now(timezone.utc).isoformat(timespec="seconds"), "seconds": round(time.time() - began, 1),
        "model": str(args.model or "default"), "fit_beds": args.fit_beds, "level_db": LEVEL_DB, "quantile": QUANTILE, "background_tags": list(BACKGROUND_TAGS),
        "arms": summary, "esc50_lost_by_class": lost_by_class,
    })
    print(f"→ {out_path}")


if __name__ == "__main__":
    main()
