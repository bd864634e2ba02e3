"""Sound event detection on soundscapes: are events found in time, and is background left alone?
Declared 2026-12-07, before any figure existed; writes benchmarks/results/sed_<arm>.json.

    pip install -e '.[sed]'
    python benchmarks/sed.py --arm baseline        # today's timeline (no background outcome)
    python benchmarks/sed.py --arm background      # ... plus the background detector
    python benchmarks/sed.py --arm refined         # ... plus boundaries from the level above the noise floor

Leak-free models. For each official fold k, a model of the shipped pair's probe half is built from
folds other than k only: frozen mn04 embeddings -> standardise -> logistic regression (C by inner
3-fold CV, as ``mn04_probe``) folded into the network; its temperature and "unknown" thresholds
fitted on out-of-fold predictions of the four training folds (inner folds, C fixed to the outer
choice); novelty statistics and the background detector (``models/background.py``) fitted on the
training folds' embeddings. Its soundscapes are made from fold k's clips only, so no fold model
has heard them. (The shipped models heard every ESC-50 clip, so they are not measured here.)

Soundscapes (``augment/soundscapes.py``), 30 s at 32 kHz, seeded, for each fold:
- backgrounds: white, pink or brown noise at -75..-40 dBFS, or mains hum under white noise;
- 1-4 events per soundscape, each the active region of one fold-k clip (frames within 30 dB of
  its loudest 20-ms frame and above -70 dBFS: the strong label), at -35..-15 dBFS RMS and at
  least 6 dB above the background;
- two sets: ``no-overlap`` (events at least 0.5 s apart) and ``overlap`` (onsets uniform, overlap
  allowed); 40 soundscapes per fold and set (200 per set).

Arms, each scored by ``timeline``'s own code (2-s windows, 0.5-s hop, threshold 0.3):
- ``baseline``: the fold model without its background detector (today's timeline).
- ``background``: with it: background cells are no event.
- ``refined``: as ``background``, then each event segment's onset and offset are moved to where
  the level (20-ms frames) first and last rises 10 dB above the recording's noise floor (its
  10th-percentile frame level), searched within one window of the segment's edges; segments
  shorter than 0.25 s after that are dropped.

Metrics (sed_eval, psds_eval): event-based F1 (micro) with onset collars 200 ms and 500 ms, offset
collar max(collar, 20 % of the event); segment-based F1 at 1 s; the share of time outside every
reference event labelled with a class (the "background labelled" figure); and for ``overlap`` the
same. Events labelled "unknown" or "background" are not detections.

Decision rule: an arm replaces the one before it (baseline -> background -> refined) when it
raises no-overlap event-F1 (200 ms) and lowers background-labelled time, without lowering
segment-F1 by more than 0.02. The kept arm becomes what ``timeline`` and ``listen`` do. #34's
targets (event-F1 >= 0.60 and >= baseline + 0.25, segment-F1 >= 0.85, <= 5 % background
labelled) are then judged on the kept arm's no-overlap figures.
"""
