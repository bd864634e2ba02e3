"""A user's own classes: N-way K-shot tasks through the plain `envsound train`. Declared 2026-12-07,
before any figure; writes benchmarks/results/custom_classes_<arm>.json (resumable: draws done are kept).

    python benchmarks/custom_classes.py --arm default --ways 5 --shots 1,2,8      # the plain command today
    python benchmarks/custom_classes.py --arm compact --ways 5 --shots 8          # the plain command before (scratch CNN)

A task: N classes drawn from ESC-50's 50, K training clips of each from folds 1-4 (a CSV of their
paths, so files of one source stay together as `envsound train` groups them), tested on fold 5's
clips of those classes (8 each). Negatives: 40 fold-5 clips of other classes, the 113 outside
negatives (``runs/outside``, scripts/build_outside_set.py) and the 18 noise beds. Figures per arm
and (N, K), over ``--draws`` random tasks (seeded by draw): in-class clips answered with their
class, in-class answered at all, negatives called "unknown" or "background", ECE of the in-class
answers, and train seconds (2 cores).

Arms: ``compact`` = `envsound train --model compact` (the plain command's model before the
default recipe), ``default`` = `envsound train DATA` now (training/recipe.py), ``negatives`` =
the same with a negatives folder (`--negatives`, fitted as background): 40 clips drawn per task
from folds 1-4 of classes that are not the task's (declared 2026-12-07 before its run). Its
measured negatives are fold-5 clips of other classes (which may share a class with the negatives
folder: reported apart, as ``esc50_other``), the outside negatives (no class in common: the honest
figure) and the beds. Rule, declared with the arm: the recipe keeps using a negatives folder if,
at 5-way 8-shot, it raises the outside negatives' rejection by at least 5 points with in-class
right within 2 points of ``default``; otherwise negatives go back to being skipped.
Issue #35's targets are judged on ``default`` at 5-way 8-shot: >= 95 % in-class answered and
right, >= 90 % of negatives rejected, train <= 30 s. This run measures N = 5 only, K in {1, 2, 8}
(and compact at K = 8); the rest of the issue's grid (N = 10, K = 4, 16, 32) is left for a longer run.

Arm ``ledoitwolf`` (declared 2026-12-07 before any figure of it): the plain command with the
novelty cut's covariance shrunk by Ledoit-Wolf (``Novelty.fit(shrinkage="ledoit-wolf")``, in the
held-out folds that fit the thresholds and in the shipped statistics) instead of the fixed 1e-3 of
the mean variance chosen for ESC-50's 1,600 clips. Why: 40 clips give a covariance of rank at most
35 in the embedding's many dimensions, so with the fixed share the distance is mostly the clip's
residual off the training clips' span, which a new clip of a known class has too (negatives
rejected: 75.9 % at 5-way 8-shot). Run at 5-way 8-shot and 2-shot, 20 draws, the same tasks as
``default``. Its rule: the recipe takes Ledoit-Wolf when, at 5-way 8-shot, negatives rejected rise
by at least 5 points and in-class right falls by at most 1 point, and at 2-shot in-class right
falls by at most 2 points; otherwise the fixed share stays.
Result (commit c49cc15, ``custom_classes_ledoitwolf.json``): at 8-shot, negatives rejected 75.9 %
-> 77.8 % (+1.9, the rule asked for 5) with in-class right 94.0 % -> 93.5 %; at 2-shot no change
(fewer than three clips a class fit no novelty cut). Not kept: the recipe keeps the fixed share.

Arm ``groups`` (declared 2026-12-07 before any figure of it): the plain command with the novelty
cut set on distances measured with each source left out alone (``recipe.NOVELTY_HELD_OUT =
"groups"``) instead of the inner folds'. Why: the cut is meant to keep 95 % of in-class clips, but
distances measured from statistics of 4/5 of 40 clips run longer than the shipped statistics' (all
40), so it keeps more and rejects less. A look (a scratch simulation on cached ESC-50 embeddings,
20 draws of 5-way 8-shot tasks like these, distance cut alone, fold-5 clips of other classes as
negatives): inner-fold cut, 98.8 % of in-class kept and 69.3 % of negatives rejected; each clip
left out alone, 97.3 % and 81.2 %. Run at 5-way 8-shot and 4-shot, 20 draws, the same tasks as
``default``. Its rule: the recipe takes it when, at 5-way 8-shot, negatives rejected rise by at
least 5 points and in-class right falls by at most 2 points, and at 4-shot in-class right falls
by at most 2 points; otherwise the inner folds stay.
Result (commit 686a917, ``custom_classes_groups.json``): at 8-shot, negatives rejected 75.9 % ->
80.6 % (+4.7; the rule asked for 5) with in-class right 94.0 % -> 92.3 %; at 4-shot 85.0 % ->
89.0 % rejected, in-class right 86.0 % -> 85.0 %. Not kept: the recipe keeps the inner folds
(``NOVELTY_HELD_OUT = "folds"``; "groups" stays only to reproduce this).

Arm ``exposure`` (declared 2026-12-07 before any figure of it): the plain command with the
outlier-exposure cut (``recipe.EXPOSURE_CENTROIDS``): eight k-means centroids of the exposure set's
frozen embeddings (``runs/exposure``, 197 recordings from Debian packages disjoint from the outside
set's: UI sounds, drum kits, spoken letters, ...; scripts/build_outside_set.py) join the novelty
statistics, and a clip nearer them than the held-out in-class clips allow is "unknown" (a third cut
at the joint quantile that keeps 95 % of held-out in-class clips, as ``calibrate --exposure``
does). Why: at 8-shot a quarter of the outside negatives (sounds of no ESC-50 class) are named
(73.8 % rejected), and nothing in 40 clips tells the model what "none of these" sounds like. Run
at 5-way 8-shot and 4-shot, 20 draws, the same tasks as ``default``. Its rule: the recipe ships
those centroids and uses them when, at 5-way 8-shot, negatives rejected rise by at least 5 points
and in-class right falls by at most 2 points, and at 4-shot in-class right falls by at most 2
points; otherwise no third cut.
A first run (commit 8db3a72's file, in git history) embedded 183 of the 197 recordings: folders
were searched for known audio extensions and ``.oga`` (Ogg audio, as sound themes name it) was not
one. With ``.oga`` read (2026-12-07), the arm is run again on all 197, and the rule is judged on
that run.
Result (commit 73a6523, ``custom_classes_exposure.json``): at 8-shot, negatives rejected 75.9 % ->
90.5 % (outside recordings 73.8 % -> 94.2 %, other ESC-50 classes 71.0 % -> 75.8 %) with in-class
right 94.0 % both; at 4-shot 85.0 % -> 91.8 % rejected, in-class right 86.0 % -> 85.5 %. Kept: the
recipe ships the centroids (``src/envsound/assets/exposure-mn04_as.npz``,
scripts/build_exposure_centroids.py) and ``default`` measures them from that commit on (cells
record their commit: the 10-way cells begun at f633912 have no third cut). The exposure set's UI
sounds are of a kind the outside negatives also hold (from other packages), so part of the
outside gain may be that kinship; an independent set of negatives is the real test.
The 10-way grid with the cut then found it misfiring at 320 training clips (10-way 32-shot:
in-class answered 82.6 %, against 87-95 % at 40-160 clips; one task answered 66 % with the cut and
91 % without). So the recipe applies it only up to ``recipe.EXPOSURE_AT_MOST_CLIPS`` (160), a
guard chosen after those figures (declared 2026-12-07 before the two checks it gets): 5-way
32-shot (160 clips: the cut applies) and 10-way 32-shot again (320: it does not), under the arm
``guarded`` (the shipped recipe as it now is), same tasks.
Result (``custom_classes_guarded.json``): 5-way 32-shot, the cut applied, 93.75 % right (answered
94.6 %) and 90.5 % rejected (without the cut, ``default``: 94.4 % and 82.9 %); 10-way 32-shot, the
cut not applied, 94.0 % right (answered 95.6 %) and 70.0 % rejected, against 81.5 % and 92.8 %
with it. Past 160 clips the recipe is as it was before the cut.

Arm ``recall97`` (declared 2026-12-07 after ``exposure`` was kept, before any figure of it): the
kept recipe (with the exposure cut) with its thresholds set to keep 97 % of held-out in-class
clips instead of 95 % (``recipe.RECALL``). Why: at 8-shot, 94.75 % of in-class clips are answered
and 99.2 % of those are right, so the 95 % target for in-class right is short by abstentions,
while rejection (90.5 %) has half a point to spare. Run at 5-way 8-shot and 4-shot, 20 draws, the
same tasks. Its rule: the recipe keeps 97 % when, at 5-way 8-shot, in-class right reaches 95.0 %
and negatives rejected stay at or above 90.0 % (both of issue #35's targets), and at 4-shot
negatives rejected fall by at most 3 points; otherwise 95 % stays.
Result (commit 1905f31, ``custom_classes_recall97.json``): at 8-shot, in-class right
94.25 % (answered 95.0 %) and negatives rejected 89.7 %; at 4-shot 86.1 % right and 90.4 % rejected.
Neither 8-shot target is reached: not kept (``RECALL`` stays 0.95). Abstaining less buys a quarter
point of in-class right for most of a point of rejection.

Arm ``measurable`` (declared 2026-12-07 before any figure of it): the plain command with two changes
to the conservative setting's guard (``recipe.MIN_HELD_OUT_ERRORS = 2``, ``recipe.CONSERVATIVE_CUTS =
"joint"``): (1) a calibration counts as measured only when at least two held-out clips were wrong
(one wrong clip is all a fitted temperature then rests on); (2) the conservative setting's
confidence and distance cuts sit at one common quantile that keeps ``RECALL`` of held-out clips
past both, as the measured setting's do, instead of each at its own 5 % quantile (which together
keep about 90 % of them, not 95 %). Why, from a look on a development split that never touches
fold 5 (tasks drawn with other seeds, training clips from folds 1-3, tested on fold 4's clips and
40 fold-4 clips of other classes; 20 draws of 5-way 8-shot; scratch code, not kept): in-class
answered 91.25 %, with the conservative setting used in 11 of 20 draws and answering 85-97.5 % of
in-class clips in them; a draw with one held-out error answered 77.5 % (its temperature put the
confidence cut at 0.997). Replaying that look's scores with both changes: in-class right 90.6 % ->
92.6 %, other-class clips rejected 84.75 % -> 86.5 %. Run at 5-way 8-shot and 4-shot, 20 draws,
the same tasks as ``default``. Its rule: the recipe takes both changes when, at 5-way 8-shot,
in-class right rises by at least 0.5 points and negatives rejected fall by at most 1 point, and
at 4-shot in-class right falls by at most 1 point; otherwise both stay as they are.
Result (commit cedc983, ``custom_classes_measurable.json``): at 8-shot, in-class right 94.0 % ->
93.6 % and negatives rejected 90.5 % -> 88.0 %; at 4-shot 85.5 % -> 86.5 % right, 91.8 % -> 88.2 %
rejected. Not kept (the development look's gain did not carry over to fold 5): both knobs stay
at today's values (``MIN_HELD_OUT_ERRORS = 1``, ``CONSERVATIVE_CUTS = "separate"``).

Arm ``ratio`` (declared 2026-12-07 before any figure of it): the plain command with the exposure
cut's score as the log of the ratio of the two squared distances (nearest class against nearest
exposure centroid, ``recipe.EXPOSURE_FORM = "log_ratio"``) instead of their difference, and no
clip limit on the cut (``recipe.EXPOSURE_AT_MOST_CLIPS = None``). Why: the difference's threshold,
set on held-out folds (statistics of 4/5 of the clips), did not carry over to the model fitted on
every clip at 320 clips (the limit of 160 came from that); a ratio does not change when both
distances scale together, as they do when more clips tighten the covariance. A look on the
development split of ``measurable`` (folds 1-3 train, fold 4 tested, other seeds; scratch code on
cached embeddings, confidence and distance cuts as the recipe's, in-class answered / other-class
clips rejected, 20 draws): 10-way 24-shot (240 clips) difference 92.7 % / 74.1 %, log ratio
95.3 % / 73.0 %, no third cut 97.2 % / 63.9 %; 10-way 16-shot 95.9 / 67.9 against 96.3 / 68.2;
5-way 16-shot 95.6 / 84.7 against 96.0 / 84.1; 5-way 8-shot (10 draws) 92.7 / 81.0 against
92.7 / 81.5. Run at 5-way 8-shot and 10-way 32-shot (320 clips), 20 draws, the same tasks as
``exposure`` and ``guarded``. Its rule: the recipe takes the log ratio and drops the clip limit
when, at 10-way 32-shot, in-class right is at least 92.0 % (within 2 points of the 94.0 % that
``guarded`` measured with no third cut) and negatives rejected at least 75.0 % (5 points over its
70.0 %), and at 5-way 8-shot in-class right is at least 93.5 % and negatives rejected at least
89.5 % (within 0.5 and 1 point of ``exposure``'s 94.0 % and 90.5 %); otherwise the difference
and the limit stay.
Result (commit bb0e2b1, ``custom_classes_ratio.json``; run beside a fine-tuning job, so its train
seconds are not timings): 10-way 32-shot 92.4 % in-class right (answered 93.9 %) and 89.4 % of
negatives rejected; 5-way 8-shot 94.0 % right and 90.4 % rejected. It met its rule and is kept:
the recipe scores the exposure cut as a log ratio at any size (``EXPOSURE_FORM = "log_ratio"``,
``EXPOSURE_AT_MOST_CLIPS = None``).

Arm ``size`` (declared 2026-12-07 before any figure of it): which recipe the plain command should
fit for the data's size (issue #35: "the pretrained probe for small data, LP-FT or fine-tuning
beyond"). On each draw of ``default``'s tasks it trains the plain command (the probe) and the two
shipped fine-tuning recipes on the same CSV, with no other flag: ``mn04_lpft`` (the network's head
started from the probe, lr 1e-4) and ``mn04_finetune`` (a new head, lr 6e-4), 20 epochs, batch 32,
mixup 0.3, as ``src/envsound/configs`` declares them. The figure is each one's top-1 accuracy on
the task's fold-5 clips (fine-tuned networks carry no calibration, so answered-and-right would
not compare), with each one's train seconds. Run at 5-way 32-shot (160 clips, 20 draws) and
10-way 32-shot (320 clips, 10 draws: about 3 minutes a draw on 2 cores), the largest tasks the
benchmark draws; ESC-50's own cross-validation (50 classes, 1,600 training clips a fold) already
measured the probe at 93.8 %, ``mn04_finetune`` at 93.1 % and ``mn04_lpft`` at 92.15 %
(``mn04_linear_probe.json``, ``mn04_finetune.json``, ``mn04_lpft.json``). Its rule: the plain
command fine-tunes (with the better of the two recipes) from the smallest measured size at which
that recipe's mean top-1 beats the probe's by at least 2 points; where none does, the probe stays
the recipe at every size, and the docs say so with these figures. (Smaller tasks are not measured:
fine-tuning has fewer clips to learn from there, not more.)
Amended the same day after two 5-way draws had run (about 8 minutes a draw while other benchmarks
shared the machine, which would not finish in the time at hand): 8 draws at 5-way 32-shot and 4
at 10-way 32-shot, the first draws of the declared sets; the rule is unchanged.
Result (``custom_classes_size.json``; 5-way cells at commits 7406e87 and c107d90, 10-way at db117cc;
the machine was shared with other benchmarks, so the seconds are not timings): top-1 on fold 5,
5-way 32-shot, probe 97.8 %, ``mn04_lpft`` 96.6 %, ``mn04_finetune`` 95.3 % (train 13 s, 270 s
and 173 s); 10-way 32-shot, 97.2 %, 95.0 % and 94.1 % (13 s, 221 s, 158 s). Neither fine-tuning
recipe beats the probe at any measured size, nor on ESC-50's own folds (1,600 clips): by the rule
the probe stays the plain command's recipe at every size.

The rest of the grid for ``default`` (2026-12-07, a measurement, no rule):
    python benchmarks/custom_classes.py --arm default --ways 5 --shots 4,16,32
    python benchmarks/custom_classes.py --arm default --ways 10 --shots 1,2,4,8,16,32
Each cell records the commit and command it was measured with (a file's cells may span commits).
"""

from __future__ import annotations

import argparse
import csv
import json
import shlex
import sys
import tempfile
import time
from dataclasses import replace
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import soundfile as sf

from envsound.augment.noise_beds import measurement_beds
from envsound.config import RunConfig, load_config
from envsound.data import load_csv, load_esc50
from envsound.inference.predict import Predictor
from envsound.models.calibration import top_label_ece
from envsound.runs import device_name
from envsound.training import recipe
from envsound.training.fit import train as fit
from envsound.training.recipe import train_default
from envsound.utils import write_json

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "benchmarks"))
from esc50_cv import git_commit, result_path  # noqa: E402

TEST_PER_CLASS = 8
FINE_TUNING = ("mn04_lpft", "mn04_finetune")  # the arm 'size': shipped recipes beside the probe
OTHER_NEGATIVES = 40
EXPOSURE_NEGATIVES = 40  # the negatives arm: a user's "none of these" folder


def task(manifest, ways: int, shots: int, draw: int) -> tuple[list[str], list, list, list]:
    rng = np.random.default_rng([ways, shots, draw])
    classes = sorted(rng.choice(manifest.classes, size=ways, replace=False).tolist())
    train, test = [], []
    for label in classes:
        pool = [c for c in manifest.clips if c.label == label and c.fold <= 4]
        train += [pool[i] for i in rng.choice(len(pool), size=shots, replace=False)]
        test += [c for c in manifest.clips if c.label == label and c.fold == 5][:TEST_PER_CLASS]
    others = [c for c in manifest.clips if c.label not in classes and c.fold == 5]
    negatives = [others[i] for i in rng.choice(len(others), size=OTHER_NEGATIVES, replace=False)]
    return classes, train, test, negatives


def negatives_for(manifest, classes: list[str], draw: int) -> list[Path]:
    """The ``negatives`` arm's folder: EXPOSURE_NEGATIVES clips of other classes from folds 1-4."""
    rng = np.random.default_rng([len(classes), draw, 7])
    pool = [c for c in manifest.clips if c.label not in classes and c.fold <= 4]
    return [pool[i].path for i in rng.choice(len(pool), size=EXPOSURE_NEGATIVES, replace=False)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--arm", choices=("default", "negatives", "compact", "ledoitwolf", "groups", "exposure", "recall97", "guarded", "measurable", "ratio", "size"), required=True)
    parser.add_argument("--exposure", type=Path, default=REPO / "runs" / "exposure", help="the exposure set (arm exposure)")
    parser.add_argument("--ways", type=int, default=5)
    parser.add_argument("--shots", default="8")
    parser.add_argument("--draws", type=int, default=20)
    parser.add_argument("--outside", type=Path, default=REPO / "runs" / "outside")
    args = parser.parse_args()
    out_path = result_path(f"custom_classes_{args.arm}")
    previous = json.loads(out_path.read_text()) if out_path.exists() else {}
    cells = previous.get("cells", {})
    for cell in cells.values():  # cells measured before each cell carried its own commit: the file's
        cell.setdefault("commit", previous.get("commit"))
        cell.setdefault("command", previous.get("command"))
    commit = git_commit()
    manifest = load_esc50()
    if args.arm == "recall97":
        recipe.RECALL = 0.97
    if args.arm == "measurable":
        recipe.MIN_HELD_OUT_ERRORS, recipe.CONSERVATIVE_CUTS = 2, "joint"
    if args.arm == "ratio":
        recipe.EXPOSURE_FORM, recipe.EXPOSURE_AT_MOST_CLIPS = "log_ratio", None
    if args.arm == "exposure":  # the centroids the recipe would ship, in the frozen embedding the probe reads
        from envsound.evaluation.calibration import exposure_embeddings
        from envsound.models.calibration import exposure_centroids
        from envsound.models.registry import get_model, resolve

        extractor = get_model("mn04_probe").extractor(resolve(RunConfig().with_train(model="mn04_probe")))
        recipe.EXPOSURE_CENTROIDS = exposure_centroids(exposure_embeddings(args.exposure / "audio", extractor, lambda features: features))
    with open(args.outside / "manifest.csv", newline="") as handle:
        outside = [args.outside / row["path"] for row in csv.DictReader(handle) if row["set"] == "negative"]
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        beds = []
        for bed in measurement_beds(32000):
            beds.append(tmp / f"{bed.name}.wav")
            sf.write(beds[-1], bed.signal, 32000)
        for shots in [int(k) for k in args.shots.split(",")]:
            key = f"{args.ways}-way {shots}-shot"
            draws = cells.get(key, {}).get("draws", [])
            for draw in range(len(draws), args.draws):
                classes, train, test, negatives = task(manifest, args.ways, shots, draw)
                listing = tmp / f"task{draw}.csv"
                with open(listing, "w", newline="") as handle:
                    writer = csv.writer(handle)
                    writer.writerow(["path", "label", "group"])
                    writer.writerows([str(c.path.resolve()), c.label, c.group] for c in train)
                model = tmp / f"task{draw}.pt"
                began = time.perf_counter()
                cfg = RunConfig(dataset=str(listing))
                if args.arm == "ledoitwolf":
                    recipe.NOVELTY_SHRINKAGE = "ledoit-wolf"
                if args.arm == "groups":
                    recipe.NOVELTY_HELD_OUT = "groups"
                if args.arm in ("default", "negatives", "ledoitwolf", "groups", "exposure", "recall97", "guarded", "measurable", "ratio", "size"):
                    folder = negatives_for(manifest, classes, draw) if args.arm == "negatives" else []
                    train_default(load_csv(listing), model, cfg, say=lambda line: None, negatives=folder)
                else:
                    fit(cfg.with_train(model="compact"), model, verbose=False)
                seconds = time.perf_counter() - began
                predictor = Predictor.from_file(model, device="cpu")
                positives = predictor.predict([c.path for c in test], top_k=1)
                rejected = predictor.predict([c.path for c in negatives] + outside + beds, top_k=1)
                right = np.array([p.answer == c.label for p, c in zip(positives, test)])
                answered = np.array([p.answer not in ("unknown", "background") for p in positives])
                confidence = np.array([p.probabilities[0] for p in positives])
                correct = np.array([p.labels[0] == c.label for p, c in zip(positives, test)])
                draws.append({"draw": draw, "classes": classes, "train_seconds": round(seconds, 2), "in_class_right": float(right.mean()),
                              "in_class_answered": float(answered.mean()), "negatives_rejected": float(np.mean([p.answer in ("unknown", "background") for p in rejected])),
                              "rejected_by_kind": {"esc50_other": float(np.mean([p.answer in ("unknown", "background") for p in rejected[:OTHER_NEGATIVES]])),
                                                   "outside": float(np.mean([p.answer in ("unknown", "background") for p in rejected[OTHER_NEGATIVES : OTHER_NEGATIVES + len(outside)]])),
                                                   "noise_beds": float(np.mean([p.answer == "background" for p in rejected[-len(beds):]]))},
                              "ece": top_label_ece(confidence, correct)})
                if args.arm == "size":
                    draws[-1]["top1"], draws[-1]["recipe_seconds"] = {"probe": float(correct.mean())}, {"probe": round(seconds, 2)}
                    for name in FINE_TUNING:
                        tuned = tmp / f"task{draw}-{name}.pt"
                        began = time.perf_counter()
                        fit(replace(load_config(name), dataset=str(listing)), tuned, verbose=False)
                        draws[-1]["recipe_seconds"][name] = round(time.perf_counter() - began, 2)
                        answers = Predictor.from_file(tuned, device="cpu").predict([c.path for c in test], top_k=1)
                        draws[-1]["top1"][name] = float(np.mean([p.labels[0] == c.label for p, c in zip(answers, test)]))
                        tuned.unlink()
                    print(f"{key} draw {draw}: top-1 {draws[-1]['top1']}", flush=True)
                print(f"{key} draw {draw}: right {right.mean():.0%}, negatives rejected {draws[-1]['negatives_rejected']:.0%}, {seconds:.1f} s", flush=True)
                mean = {k: float(np.mean([d[k] for d in draws])) for k in ("in_class_right", "in_class_answered", "negatives_rejected", "ece", "train_seconds")}
                if args.arm == "size":
                    mean["top1"] = {name: float(np.mean([d["top1"][name] for d in draws])) for name in draws[-1]["top1"]}
                    mean["recipe_seconds"] = {name: float(np.mean([d["recipe_seconds"][name] for d in draws])) for name in draws[-1]["recipe_seconds"]}
                cells[key] = {"draws": draws, "mean": mean, "commit": commit, "command": "python " + shlex.join(sys.argv)}
                write_json(out_path, {"arm": args.arm, "command": "python " + shlex.join(sys.argv), "commit": commit, "machine": device_name(),
                                      "date": datetime.now(timezone.utc).isoformat(timespec="seconds"), "cells": cells})
            print(key, cells[key]["mean"], flush=True)


if __name__ == "__main__":
    main()
