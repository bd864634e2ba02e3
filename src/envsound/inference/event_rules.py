"""How ``Timeline.events`` turns a timeline's cells into sound events: one rule set, its defaults
the arm that benchmarks/sed.py's declared rules kept last (``pieces``).

Every arm sed.py measured is a set of these rules (its ``EVENT_OPTIONS``), so any measured figure can
be made again after the defaults move on. Each field says what it does and which arm measured it;
"not kept" marks an arm that failed its declared rule.
"""

from __future__ import annotations

from dataclasses import dataclass

from envsound.defaults import TIMELINE_ANSWER_AT_MOST_SECONDS, TIMELINE_GROW_SECONDS, TIMELINE_JOIN_SECONDS
from envsound.errors import ConfigError

# Where the noise floor under the levels is measured: "recording", every 20-ms frame; "background",
# only the frames of cells the model calls background, and no level edges when they add up to less
# than MIN_FLOOR_SECONDS (the arm ``floor``, not kept: on short outside recordings it gave more
# negatives a class).
LEVEL_FLOORS = ("recording", "background")
# What moves an event's outer edges: the pre-emphasised broadband level ("level", the arm ``whole``),
# band levels with floors over the whole recording ("bands", not kept), or band floors measured on
# the cells the model calls background ("bed_bands").
EVENT_EDGES = ("level", "bands", "bed_bands")


@dataclass(frozen=True)
class EventRules:
    """The rules, in the order ``Timeline.events`` applies them: runs of cells that are not
    background (a cell is background only when every window over it is) become parts, each
    answered once; their outer edges move to where the sound's level rises over the bed; events
    are cut at pauses of bed; each is answered again from its own audio; edges grow over the
    sound's active frames; events of one class close together join. A model with no background
    detector has no events: its timeline is its ``segments``."""

    pooled: bool = True
    """An event is a run of cells that are not background, answered once by the decision rule on
    the mean scores of its cells. False: the cells' own labels, an "unknown" fragment joined to the
    class segment it touches (the arm ``refined``)."""
    split: bool = True
    """A run is cut where the cells' top class changes for at least a window (the arm ``split``)."""
    reach: float = 0.0
    """Seconds beyond a run that its level edges are searched for (the arms before ``tight``
    searched a window's length)."""
    inside: bool = True
    """A part is answered from its cells where the level is above the floor (the arm ``inside``)."""
    nearest: bool = False
    """A part's novelty distance is its closest cell's, not the mean (the arm ``nearest``, not kept)."""
    absorb: bool = True
    """An "unknown" part joins its known neighbour (the arm ``absorb``); False: every part stands alone."""
    clips: bool = True
    """An event up to ``longest`` seconds is answered again as ``predict`` answers it cut out
    (``timeline.as_clips``), when the timeline can read its source again (a file or an array; not a
    live stream). The arm ``clip``."""
    join: float = TIMELINE_JOIN_SECONDS
    """Events of one class at most this many seconds apart become one (the arm ``join``); 0: never."""
    floor: str = "recording"
    """Where the noise floor under the levels is measured (``LEVEL_FLOORS``)."""
    reabsorb: bool = True
    """An "unknown" part left by the second answer joins the known part it touches (the arm ``reabsorb``)."""
    whole: bool = True
    """Touching parts of one run are also answered as one clip when they fit in one; a class in
    that answer makes them one event (the arm ``whole``; it implies ``reabsorb``)."""
    edges: str = "bed_bands"
    """What moves an event's outer edges (``EVENT_EDGES``): to the first and last 20-ms frame where
    one band level rises ``BAND_ABOVE_FLOOR_DB`` over that band's floor measured on background
    cells, or with less than ``MIN_FLOOR_SECONDS`` of them where the broadband level rises
    ``EVENT_ABOVE_FLOOR_DB`` over the recording's floor (the arm ``bed_bands``). An event whose level
    never rises is dropped, and so is one under ``MIN_EVENT_SECONDS``."""
    grow: float = TIMELINE_GROW_SECONDS
    """Each outer edge moves outward over the sound's active frames, across gaps of at most
    ``GROW_GAP_SECONDS``, up to this many seconds past the run and never into a neighbouring event
    (the arm ``grow``); 0: no growing (the arm ``bed_bands``)."""
    grow_after: bool = True
    """Grow only once the events are answered, so answers and which events there are stay as
    without it (the arm ``extent``); False: before the answer (the arm ``grow``, not kept)."""
    gap: float = TIMELINE_JOIN_SECONDS
    """An event is cut where its active frames leave at least this many seconds of bed, each piece
    answered on its own: a pause the 2-s windows' cells cannot see (the arm ``gaps``); 0: no cut
    (the arm ``extent``)."""
    longest: float | None = TIMELINE_ANSWER_AT_MOST_SECONDS
    """The second answer takes events up to this many seconds, those longer than a clip through the
    model's clip windows, averaged (the arm ``long``); None: up to one clip (the arm ``gaps``)."""
    rejoin: bool = False
    """Pieces of one cut event that name one class or "unknown" are one event again (the arm
    ``rejoin``, not kept)."""
    keep_short: bool = True
    """No cut leaves a piece shorter than ``MIN_EVENT_SECONDS``: it stays with its nearer neighbour
    (the arm ``pieces``); False: such a piece is dropped (the arms ``gaps``, ``long``, ``rejoin``)."""
    final: bool = False
    """Once grown and joined, each event up to ``longest`` seconds is answered once more from its
    final span, and that answer is its label: a class, "unknown", or, when its own audio sounds
    like background or names nothing over the threshold, no event (the arm ``final``, not kept)."""

    def __post_init__(self) -> None:
        if self.floor not in LEVEL_FLOORS:
            raise ConfigError(f"floor must be one of {', '.join(LEVEL_FLOORS)}, got {self.floor!r}")
        if self.edges not in EVENT_EDGES:
            raise ConfigError(f"edges must be one of {', '.join(EVENT_EDGES)}, got {self.edges!r}")
