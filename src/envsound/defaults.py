"""Defaults that several layers and the CLI share, in one light module (no torch), so each has one
home and `envsound --help` stays fast."""

# The AudioSet checkpoint envsound uses unless told otherwise (the one the shipped model is built on).
DEFAULT_CHECKPOINT = "mn04_as"

# Timelines (CLI and web page): 2-s windows localise an event within about a second, a 0.5-s hop is
# the time resolution, and cells below 0.3 probability stay unlabelled.
TIMELINE_WINDOW = 2.0
TIMELINE_HOP = 0.5
TIMELINE_THRESHOLD = 0.3
# Timeline events of one class at most this many seconds apart are one event (benchmarks/sed.py's
# declared arm 'join', kept: SED event-F1 0.434 -> 0.449, sed_join.json).
TIMELINE_JOIN_SECONDS = 1.0
# Once answered, an event's edges follow its sound's active frames at most this far past the windows
# that heard it (benchmarks/sed.py's declared arm 'extent', kept: event-F1 0.548 -> 0.602, sed_extent.json).
TIMELINE_GROW_SECONDS = 1.0
# An event is cut where its sound leaves at least TIMELINE_JOIN_SECONDS of bed, and events up to this
# long are answered from their own audio (as predict answers a file that long), so the audio held for
# that stays bounded (benchmarks/sed.py's declared arm 'pieces', kept: segment-F1 0.771 -> 0.832,
# sed_pieces_rw_pair.json).
TIMELINE_ANSWER_AT_MOST_SECONDS = 60.0
# The longest window timeline and listen accept: the networks pool over time and were trained on 5 s,
# so longer windows only blur events and cost memory (a window of 1e9 s was an allocation of 116 TiB).
MAX_WINDOW_SECONDS = 60.0
# Test-time augmentation's copies per window: each is a full forward pass; measured up to 4 (docs/trust.md).
MAX_TTA = 16
