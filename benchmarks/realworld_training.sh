#!/usr/bin/env bash
# Issue #15, item 4, declared before its runs: does training on real-world damage help outside ESC-50?
# Arms (the linear probe on the frozen mn04 backbone; each arm's copies made by `envsound augment`,
# every copy in its source clip's fold, so a test fold's copies are never trained on):
#   rw_probe_none  the probe on clean clips (today's recipe, rerun with its fold models kept)
#   rw_probe_mix   + one copy per clip with another training clip of the same fold mixed under it
#                  at 0-15 dB (the label stays the foreground's)
#   rw_probe_all   + one copy each of mix, room (simulated rooms, RT60 0.25-1.1 s, wet/dry), band
#                  (random high/low-pass and tilt EQ) and codec (MP3 64/32/16 kbps)
# Compared side by side (docs/trust.md): clean 5-fold CV accuracy; ESC-50-C mean
# corruption accuracy (each fold's model on its own corrupted test fold); the outside set (top-1,
# top-3, negatives accepted) with a model trained on all folds, calibrated on its own CV run.
# Not run here (CPU time): fine-tune arms (about 45 min of CPU per 5-fold run and 5x that on 5x the clips).
# Results: benchmarks/results/rw_probe_*.json, robustness_rw_probe_*.json, outside_rw_probe_*.json.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PY:-.venv/bin/python}
export ENVSOUND_WEIGHTS=${ENVSOUND_WEIGHTS:-../shared/models/efficientat}
ESC50=${ENVSOUND_ESC50:-../shared/data/esc50}
$PY -m envsound.cli augment esc50 --out runs/esc50-rw-mix --transforms mix
$PY -m envsound.cli augment esc50 --out runs/esc50-rw-all --transforms mix,room,band,codec
for arm in none mix all; do
  case $arm in none) DATA=esc50 ;; *) DATA=runs/esc50-rw-$arm/manifest.csv ;; esac
  $PY benchmarks/esc50_cv.py --name rw_probe_$arm --model mn04_probe --dataset "$DATA" --save-models
  $PY benchmarks/robustness.py runs/bench-rw_probe_$arm --name robustness_rw_probe_$arm
  [ -f runs/rw_probe_$arm.pt ] || $PY -m envsound.cli train --model mn04_probe --dataset "$DATA" --out runs/rw_probe_$arm.pt
  $PY -m envsound.cli calibrate runs/bench-rw_probe_$arm --model runs/rw_probe_$arm.pt --out runs/rw_probe_$arm.pt --novelty
  $PY benchmarks/outside.py runs/outside --model runs/rw_probe_$arm.pt --name rw_probe_$arm
done
# One fine-tune arm: ARM (the copies' folder runs/esc50-rw-ARM), its epochs and warmup for 1000 steps.
finetune_arm() {
  local arm=$1 epochs=$2 warmup=$3
  local data=runs/esc50-rw-$arm/manifest.csv
  $PY benchmarks/esc50_cv.py --name rw_finetune_$arm --config configs/mn04_finetune.json --dataset $data \
    --epochs $epochs --set warmup_epochs=$warmup --save-models
  $PY benchmarks/robustness.py runs/bench-rw_finetune_$arm --name robustness_rw_finetune_$arm
  $PY benchmarks/ensemble.py --name rw_probe_plus_finetune_$arm rw_probe_none rw_finetune_$arm
  $PY benchmarks/robustness.py runs/bench-rw_probe_none runs/bench-rw_finetune_$arm --name robustness_rw_probe_plus_finetune_$arm
  [ -f runs/rw_finetune_$arm.pt ] || $PY -m envsound.cli train --config configs/mn04_finetune.json --dataset $data \
    --epochs $epochs --set warmup_epochs=$warmup --out runs/rw_finetune_$arm.pt
  $PY scripts/build_default_model.py --finetuned runs/rw_finetune_$arm.pt --out runs/rw_ship_$arm.pt
  $PY -m envsound.cli calibrate runs/bench-rw_probe_plus_finetune_$arm --model runs/rw_ship_$arm.pt --out runs/rw_ship_$arm.pt --novelty
  $PY benchmarks/outside.py runs/outside --model runs/rw_ship_$arm.pt --name rw_probe_plus_finetune_$arm
}
# (declared before its run, 2026-11-26) item 4 for the fine-tune, one arm: rw_finetune_mix, the
# shipped fine-tune recipe (configs/mn04_finetune.json) on clean clips + the mix copies above, for
# 10 epochs with warmup 1.5 (twice the clips, so the same 1000 optimiser steps and schedule as the
# recipe's 20 epochs on clean clips). Compared with the recipe without copies (kd_teacher_finetune:
# 92.45 % CV, ESC-50-C mCA 74.6 %), alone and as the shipped pair's fine-tune half: the clean probe
# + this arm (CV ensemble, ESC-50-C of both fold models, and the outside set with both trained on
# all folds, calibrated on the ensemble's CV run) against the shipped model (94.9 / 77.8 / 66.7 %).
finetune_arm mix 10 1.5
# (declared before its run, 2026-11-26) item 4 for the fine-tune, the second arm: rw_finetune_all,
# the shipped fine-tune recipe on clean clips + one copy each of mix, room, band and codec (the
# rw_probe_all copies above), for 4 epochs with warmup 0.6 (five times the clips: the same 1000
# optimiser steps and schedule as the recipe's 20 epochs on clean clips). Compared like
# rw_finetune_mix: alone against the recipe without copies (kd_teacher_finetune: 92.45 % CV, mCA
# 74.6 %), and as the shipped pair's fine-tune half (the clean probe + this arm: CV ensemble,
# ESC-50-C of both fold models, outside set with both trained on all folds and calibrated on the
# ensemble's CV run) against the shipped model (94.9 / 77.8 / 66.7 %) by item 8.
finetune_arm all 4 0.6
# (declared before its run, 2026-11-26) int8 on the shipped fine-tune half's recipe: each
# rw_finetune_all fold model exported fp32 and --int8, both scored on that fold's test clips through
# onnxruntime (the previous figure, onnx_int8_mn04_finetune.json, is the previous recipe's).
$PY benchmarks/onnx_int8.py runs/bench-rw_finetune_all --name onnx_int8_rw_finetune_all
# (declared before its run, 2026-11-26) item 4, the third fine-tune arm: rw_finetune_all6, the
# shipped fine-tune half's recipe (rw_finetune_all) with two more copies per clip: noise_snr (white
# or pink noise at 0-25 dB SNR) and excerpt (a random 1-4 s stretch, zero-padded by the front end
# like any short recording; 214 of the 263 outside recordings are shorter than a 5-s window). Seven
# times the clips, 3 epochs with warmup 0.45 (1050 optimiser steps, the recipe's 1000 rounded up to
# whole epochs; the recipe's 15 % warm-up). Compared like the other arms: alone against
# rw_finetune_all (90.35 % CV, mCA 77.3 %), and as the fine-tune half of the pair beside the clean
# probe against the shipped pair (CV 94.6 %, mCA 80.3 %, outside top-1 74.0 %, 31 % of negatives
# accepted). #15's target for mCA is 77.8 + 5 = 82.8 %. Decision (item 8): the pair is shipped if
# its mCA and outside top-1 are both above the shipped pair's, its CV is within 0.5 points of it
# (>= 94.1 %) and it accepts at most 3 points more of the negatives (<= 34 %).
$PY -m envsound.cli augment esc50 --out runs/esc50-rw-all6 --transforms mix,room,band,codec,noise_snr,excerpt
finetune_arm all6 3 0.45
# (declared 2026-11-26, before its run) Where a sound sits in the window. benchmarks/position.py,
# read before this was declared: the shipped model names 65 % of the outside set's positives shorter
# than 1 s right when the sound starts the window (where `predict` puts it) and 45.7 % when it sits
# 0.25 s or more into it (where `timeline` and `listen` meet most short sounds); the clean probe
# 66.7 and 50.0 %, and its fold models lose 0.55-0.65 points of CV when their test clips are shifted
# circularly by a third or two thirds of the window (position_shipped.json,
# position_rw_probe_none.json). The robust fine-tune half does not depend on position but names few
# short sounds (21 of 60 at any offset, read with the same script before this was written). The
# probe never saw a sound anywhere but where its clip puts it. Arm rw_probe_shift: the probe on
# the clean clips plus one `shift` copy of each (envsound augment's study transform: a circular
# shift by -50 to +50 % of the clip, drawn per copy), every copy in its source clip's fold. Compared
# with rw_probe_none on: clean CV (93.8 %); position (its fold models on shifted test clips,
# 93.15 / 93.25 %; outside short positives away from the start, 50.0 %, and at the start, 66.7 %);
# ESC-50-C mCA (75.3 %); the outside set (top-1 / top-3 72.0 / 90.0 %, 31 % of negatives accepted).
# It passes if clean CV stays within 0.5 points (>= 93.3 %), outside short positives away from the
# start gain >= 5 points (3 of 60 recordings) and outside top-1 loses at most 2 points (>= 70.0 %).
# If it passes, the pair rw_probe_shift + rw_finetune_all is measured like the other pairs (CV
# ensemble, ESC-50-C, outside with both trained on all folds, position) and shipped by item 8's
# rule as written for rw_finetune_all6 above (mCA above 80.3 % and outside top-1 above 74.0 %,
# CV >= 94.1 %, negatives accepted <= 34 %).
$PY benchmarks/position.py --outside runs/outside --name position_shipped
$PY benchmarks/position.py --outside runs/outside --model runs/rw_probe_none.pt --run runs/bench-rw_probe_none --name position_rw_probe_none
$PY benchmarks/position.py --outside runs/outside --model runs/rw_finetune_all.pt --name position_rw_finetune_all  # read before the declaration above, committed after it
$PY -m envsound.cli augment esc50 --out runs/esc50-rw-shift --transforms shift
DATA=runs/esc50-rw-shift/manifest.csv
$PY benchmarks/esc50_cv.py --name rw_probe_shift --model mn04_probe --dataset $DATA --save-models
[ -f runs/rw_probe_shift.pt ] || $PY -m envsound.cli train --model mn04_probe --dataset $DATA --out runs/rw_probe_shift.pt
$PY -m envsound.cli calibrate runs/bench-rw_probe_shift --model runs/rw_probe_shift.pt --out runs/rw_probe_shift.pt --novelty
$PY benchmarks/position.py --outside runs/outside --model runs/rw_probe_shift.pt --run runs/bench-rw_probe_shift --name position_rw_probe_shift
$PY benchmarks/outside.py runs/outside --model runs/rw_probe_shift.pt --name rw_probe_shift
$PY benchmarks/robustness.py runs/bench-rw_probe_shift --name robustness_rw_probe_shift
# (declared 2026-11-27, before its run) Is the start effect ESC-50's digital silence? ESC-50 pads
# its short clips with zeros at the end, so the networks never heard exact zeros *before* a sound;
# outside recordings and users' streams have a noise floor instead. position.py --floor DB puts the
# same short outside positives on seeded white noise of that RMS (the window filled, the sound added
# on top). Arms: the shipped model at -70 and -50 dBFS, against position_shipped.json (zeros: 65 %
# at the start, 45.7 % away). Measured only, nothing chosen on it. Read: if the start-minus-away gap
# falls below 5 points with a floor, the effect is (mostly) the zeros in front, and timeline/listen on
# real recordings are less exposed than position_shipped.json suggests; if it stays, onset-aligned
# windows are the next lead (to be chosen on an in-domain ESC-50 proxy, not on the outside set).
for floor in -70 -50; do
  $PY benchmarks/position.py --outside runs/outside --floor $floor --name position_shipped_floor${floor#-}
done
# (declared 2026-11-27, before its run; after the floor figures above) The silence gate
# (features/gate.py; `predict/timeline/listen --gate`): in each window, 20-ms frames within 6 dB of
# the window's floor (the 10th percentile of its audible frames' levels) and at least 20 dB under
# its loudest frame are set to zeros before the front end, so a floor looks like the digital
# silence ESC-50's networks know. Inference only, no retraining; its constants are fixed here, not
# tuned. In-domain check (this decides): the shipped recipe's members rerun with fold models kept
# (rw_probe_none, and rw_finetune_all if the CPU time allows: about 35 min), each fold's models on
# their own test clips with no floor and with white-noise floors at -70 and -50 dBFS, each with the
# gate off and on (benchmarks/noise_floor.py → noise_floor_rw_probe_none.json,
# noise_floor_rw_probe_plus_finetune_all.json). The gate passes if, for the pair (or, if its
# fine-tune half could not be rerun, the probe alone), clean accuracy with the gate stays within 0.5
# points of without it and each floor gains at least 2 points with it. Then, measured on the
# outside set with the shipped model (no choice made on it except the ship rule below): position.py
# --gate on zeros and at both floors; outside.py --gate (top-1, top-3, negatives accepted). It
# becomes the default (defaults.SILENCE_GATE) only if it passes in-domain and, as #15 item 8 asks
# of anything shipped, the shipped model's outside top-1 with it is not lower (>= 74.0 %) and at
# most 3 points more of the negatives are accepted (<= 34 %).
$PY benchmarks/esc50_cv.py --name rw_probe_none --model mn04_probe --dataset esc50 --save-models
$PY benchmarks/noise_floor.py runs/bench-rw_probe_none --name noise_floor_rw_probe_none
[ -d runs/esc50-rw-all ] || $PY -m envsound.cli augment esc50 --out runs/esc50-rw-all --transforms mix,room,band,codec
$PY benchmarks/esc50_cv.py --name rw_finetune_all --config configs/mn04_finetune.json --dataset runs/esc50-rw-all/manifest.csv \
  --epochs 4 --set warmup_epochs=0.6 --save-models
$PY benchmarks/noise_floor.py runs/bench-rw_probe_none runs/bench-rw_finetune_all --name noise_floor_rw_probe_plus_finetune_all
$PY benchmarks/position.py --outside runs/outside --gate --name position_shipped_gate
for floor in -70 -50; do
  $PY benchmarks/position.py --outside runs/outside --floor $floor --gate --name position_shipped_floor${floor#-}_gate
done
$PY benchmarks/outside.py runs/outside --gate --name shipped_gate
# (declared 2026-11-27, before its run) Result of the gate check above: it fails on the probe
# alone, which the rule allows when the fine-tune half is not rerun (noise_floor_rw_probe_none.json:
# clean 93.75 % → 88.7 % with the gate; floors -70/-50 dBFS 89.9/84.8 % → 86.95/81.15 %), so the
# fine-tune rerun was stopped and the gate stays off. Those figures point elsewhere: a floor at
# -70 dBFS, 50 dB under a clip, costs the probe 3.85 points in-domain. The floor is white noise at
# the front end's 32 kHz, so most of its energy lies above 8 kHz, the top of the 16 kHz ESC-50 copy
# every envsound network was trained on: those mel bands were empty in every training clip, and a
# real 44.1 kHz recording fills them. Arm band8k (features/band.py; Predictor band_hz): the input
# low-passed to 8 kHz (soxr, down to 16 kHz and back) before the front end; inference only, no
# retraining. In-domain check (this decides): rw_probe_none's fold models, no floor and floors at
# -70/-50 dBFS, each without and with the band (noise_floor_rw_probe_none_band.json). Passes if
# clean accuracy stays within 0.5 points and each floor gains at least 2 points. Then measured on
# the outside set with the shipped model: outside.py --band-hz 8000 (top-1, top-3, negatives) and
# position.py --band-hz 8000 on zeros and at both floors. It becomes the default for models trained
# on 16 kHz audio only if it passes in-domain and the shipped model's outside top-1 with it is not
# lower (>= 74.0 %) with at most 3 points more of the negatives accepted (<= 34 %).
$PY benchmarks/noise_floor.py runs/bench-rw_probe_none --treatments band --band-hz 8000 --name noise_floor_rw_probe_none_band
$PY benchmarks/outside.py runs/outside --band-hz 8000 --name shipped_band8k
$PY benchmarks/position.py --outside runs/outside --band-hz 8000 --name position_shipped_band8k
for floor in -70 -50; do
  $PY benchmarks/position.py --outside runs/outside --floor $floor --band-hz 8000 --name position_shipped_floor${floor#-}_band8k
done
# (declared 2026-11-27, before its run) Arm rw_probe_floor: training with a floor, the lead left by
# the two inference-only fixes above. The probe on the clean clips plus one `floor` copy of each
# (envsound augment: white or pink noise at an absolute -80 to -40 dBFS RMS under the whole clip,
# made and written at 32 kHz so the floor also fills the bands above 8 kHz), every copy in its
# source clip's fold. Compared with rw_probe_none: clean CV (93.8 %); in-domain floors
# (noise_floor.py: 89.9 / 84.8 % at -70 / -50 dBFS); the outside set with a probe trained on all
# folds and calibrated on its CV run (top-1 / top-3 72.0 / 90.0 %, 31 % of negatives accepted);
# the short outside sounds on floors (position.py --floor, the same for rw_probe_none trained on
# all folds). It passes if clean CV stays within 0.5 points (>= 93.3 %), each in-domain floor gains
# at least 2 points and outside top-1 loses at most 2 (>= 70.0 %). Passing makes it a candidate
# for the pair's probe half, to be measured as a pair (CV, ESC-50-C, outside) by item 8's rule.
$PY -m envsound.cli augment esc50 --out runs/esc50-rw-floor --transforms floor --sample-rate 32000
$PY benchmarks/esc50_cv.py --name rw_probe_floor --model mn04_probe --dataset runs/esc50-rw-floor/manifest.csv --save-models
$PY benchmarks/noise_floor.py runs/bench-rw_probe_floor --treatments --name noise_floor_rw_probe_floor
for arm in none floor; do
  case $arm in none) DATA=esc50 ;; *) DATA=runs/esc50-rw-$arm/manifest.csv ;; esac
  [ -f runs/rw_probe_$arm.pt ] || $PY -m envsound.cli train --model mn04_probe --dataset "$DATA" --out runs/rw_probe_$arm.pt
  $PY -m envsound.cli calibrate runs/bench-rw_probe_$arm --model runs/rw_probe_$arm.pt --out runs/rw_probe_$arm.pt --novelty
  for floor in -70 -50; do
    $PY benchmarks/position.py --outside runs/outside --model runs/rw_probe_$arm.pt --floor $floor --name position_rw_probe_${arm}_floor${floor#-}
  done
done
$PY benchmarks/outside.py runs/outside --model runs/rw_probe_floor.pt --name rw_probe_floor
# (declared 2026-11-27, before its run) rw_probe_floor passed, so the pair is measured by item 8's
# rule as written for rw_finetune_all6 above (ship if mCA above 80.3 %, outside top-1 above 74.0 %,
# CV >= 94.1 %, negatives accepted <= 34 %): rw_probe_floor + rw_finetune_all (its fold models
# rerun), the CV ensemble, ESC-50-C, and the outside set with the pair built from both members
# trained on all folds, calibrated on the pair's CV run.
[ -d runs/esc50-rw-all ] || $PY -m envsound.cli augment esc50 --out runs/esc50-rw-all --transforms mix,room,band,codec
[ -f runs/bench-rw_finetune_all/fold-5/model.pt ] || $PY benchmarks/esc50_cv.py --name rw_finetune_all --config configs/mn04_finetune.json \
  --dataset runs/esc50-rw-all/manifest.csv --epochs 4 --set warmup_epochs=0.6 --save-models
$PY benchmarks/ensemble.py --name rw_probe_floor_plus_finetune_all rw_probe_floor rw_finetune_all
$PY benchmarks/robustness.py runs/bench-rw_probe_floor runs/bench-rw_finetune_all --name robustness_rw_probe_floor_plus_finetune_all
# (run on 2026-11-27, after the declaration above) The outside part went first, being the cheapest:
# the pair built from rw_probe_floor and the shipped model's own fine-tuned member (the all-fold
# rw_finetune_all), uncalibrated (a temperature does not move top-1), with a control that pairs the
# clean probe the same way and must give the shipped model's 74.0 % back. The pair's top-1 is 74.0 %,
# not above it, so item 8's rule fails whatever CV and ESC-50-C say; the fine-tune's CV rerun for
# those two was stopped.
$PY scripts/build_default_model.py --finetuned shipped --out runs/pair_clean.pt
$PY scripts/build_default_model.py --probe runs/rw_probe_floor.pt --finetuned shipped --out runs/pair_floor.pt
for m in pair_clean pair_floor; do $PY benchmarks/outside.py runs/outside --model runs/$m.pt --name $m; done
# (2026-11-27, measured after the verdict above, for #15's "every arm on all three": nothing
# depends on it) ESC-50-C of rw_probe_floor's fold models, against robustness_rw_probe_none.json.
$PY benchmarks/robustness.py runs/bench-rw_probe_floor --name robustness_rw_probe_floor
# (2026-11-27, later) With time left, the pair's CV and ESC-50-C were run after all (the verdict
# above stands; nothing rests on these): rw_finetune_all rerun with its fold models (identical folds
# to the recorded run, whose file is kept), the pair's CV ensemble and ESC-50-C (the declared lines
# above), and the pair calibrated on its CV ensemble, on the outside set.
$PY -m envsound.cli calibrate runs/bench-rw_probe_floor_plus_finetune_all --model runs/pair_floor.pt --out runs/pair_floor_calibrated.pt --novelty
$PY benchmarks/outside.py runs/outside --model runs/pair_floor_calibrated.pt --name pair_floor_calibrated
# (declared 2026-11-27, before the transform was written or run) Arm rw_probe_onset: single events.
# benchmarks/footsteps.py found that ESC-50 teaches footsteps only as sequences (median 13 onsets,
# sounding the whole clip) while 29 of the 33 outside footsteps are one or two steps (median 0.3 s
# sounding), and footsteps are 14 of the shipped model's 39 outside mistakes. The new `onset`
# transform (augment/realworld.py) cuts each clip to one event: a 0.2-0.6 s stretch starting just
# before an onset picked at random (any stretch where the clip has no onset), written short so the
# front end zero-pads it after the sound as `predict` does for a short recording; the label stays
# (one step of a walk is a footstep). The probe on the clean clips plus one `onset` copy of each,
# every copy in its source clip's fold. Compared with rw_probe_none: clean CV (93.8 %), the outside
# set with a probe trained on all folds and calibrated on its CV run (top-1 / top-3 72.0 / 90.0 %,
# 31 % of negatives accepted), outside footsteps named right (from per_recording), and ESC-50-C of
# its fold models (mCA 75.3 %), the last if time allows. It passes if clean CV stays within 0.5
# points (>= 93.3 %) and outside top-1 does not fall (>= 72.0 %). Passing makes it a candidate for
# the pair's probe half, measured by item 8's rule as for rw_probe_floor: the pair built with the
# shipped fine-tuned member (build_default_model.py --probe ... --finetuned shipped) must score
# outside top-1 above 74.0 %, then its CV ensemble with rw_finetune_all's fold models >= 94.1 %,
# ESC-50-C mCA above 80.3 % and, calibrated on that CV run, at most 34 % of negatives accepted;
# all of them, or the shipped model stays.
$PY -m envsound.cli augment esc50 --out runs/esc50-rw-onset --transforms onset
$PY benchmarks/esc50_cv.py --name rw_probe_onset --model mn04_probe --dataset runs/esc50-rw-onset/manifest.csv --save-models
[ -f runs/rw_probe_onset.pt ] || $PY -m envsound.cli train --model mn04_probe --dataset runs/esc50-rw-onset/manifest.csv --out runs/rw_probe_onset.pt
$PY -m envsound.cli calibrate runs/bench-rw_probe_onset --model runs/rw_probe_onset.pt --out runs/rw_probe_onset.pt --novelty
$PY benchmarks/outside.py runs/outside --model runs/rw_probe_onset.pt --name rw_probe_onset
$PY benchmarks/robustness.py runs/bench-rw_probe_onset --name robustness_rw_probe_onset
# (result, 2026-11-27) It fails: clean CV 92.3 %, outside top-1 66.7 % (footsteps 16 of 33 right,
# against 20). The pair was not built, and robustness_rw_probe_onset was not run (the line above).
# if it passes:
#   $PY scripts/build_default_model.py --probe runs/rw_probe_onset.pt --finetuned shipped --out runs/pair_onset.pt
#   $PY benchmarks/outside.py runs/outside --model runs/pair_onset.pt --name pair_onset
#   then, if top-1 is above 74.0 %: the CV ensemble, ESC-50-C and the calibrated outside run, as for rw_probe_floor above.
# (declared 2026-11-27, before its run) Arm rw_probe_views: the probe on a richer frozen embedding
# (configs/mn04_probe_views.json: the pooled features plus their time-max, the AudioSet head's hidden
# layer and its logits), clean clips only. Its CV was measured on 2026-11-25, commit 1126ef8 (93.6 %,
# mn04_probe_views.json) but never outside ESC-50. The hypothesis: time-max pooling keeps a short
# event from being averaged away, and the AudioSet head, trained on two million varied clips, may
# carry better outside. Rerun here with fold models (runs/ lost the old one), then trained on all
# folds, calibrated on its CV run and measured outside, against rw_probe_none (top-1 / top-3 72.0 /
# 90.0 %, 31 % of negatives accepted, footsteps 20 of 33). The same rule as rw_probe_onset: clean CV
# >= 93.3 % and outside top-1 >= 72.0 % make it a candidate for the pair's probe half, measured by
# item 8's rule as declared there.
$PY benchmarks/esc50_cv.py --name rw_probe_views --config configs/mn04_probe_views.json --save-models
[ -f runs/rw_probe_views.pt ] || $PY -m envsound.cli train --config configs/mn04_probe_views.json --out runs/rw_probe_views.pt
$PY -m envsound.cli calibrate runs/bench-rw_probe_views --model runs/rw_probe_views.pt --out runs/rw_probe_views.pt --novelty
$PY benchmarks/outside.py runs/outside --model runs/rw_probe_views.pt --name rw_probe_views
# (result, 2026-11-27) It fails: clean CV 93.8 %, outside top-1 65.3 % (footsteps 13 of 33). No pair.
