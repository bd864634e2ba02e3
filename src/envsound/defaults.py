"""Defaults that several layers and the CLI share, in one light module (no torch), so each has one
home and `envsound --help` stays fast."""

# The AudioSet checkpoint envsound uses unless told otherwise (the one the shipped model is built on).
DEFAULT_CHECKPOINT = "mn04_as"

# Timelines (CLI and web page): 2-s windows localise an event within about a second, a 0.5-s hop is
# the time resolution, and cells below 0.3 probability stay unlabelled.
TIMELINE_WINDOW = 2.0
TIMELINE_HOP = 0.5
TIMELINE_THRESHOLD = 0.3
