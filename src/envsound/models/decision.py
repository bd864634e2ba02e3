"""The one decision rule: scores of a window, a cell or a file -> what a user reads.

Every answer is one of three outcomes:
- a class name: the calibrated top class, confident and near a known class;
- ``unknown``: an event, but of no class the model knows (under the confidence threshold, or far
  from every class in the embedding); its closest class is kept beside it;
- ``background``: no event at all (hiss, room tone, hum, silence), decided before the class is read.

``predict``, ``timeline``, ``listen``, ``serve`` and the ONNX path all call ``decide``, so a rule
changes in one place and every output follows.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from envsound.models.calibration import Calibration

UNKNOWN = "unknown"
BACKGROUND = "background"
OUTCOMES = ("class", UNKNOWN, BACKGROUND)


@dataclass(frozen=True)
class Decisions:
    """Outcomes of n rows (windows, cells or files), with the calibrated probabilities behind them."""

    probabilities: np.ndarray  # (n, classes), calibrated when the model has a calibration
    abstained: np.ndarray  # (n,) bool: an event of no known class ("unknown")
    background: np.ndarray  # (n,) bool: no event ("background"); wins over abstained
    distance: np.ndarray | None = None  # (n,) novelty distance, when the model measures it

    def answers(self, classes: tuple[str, ...]) -> list[str]:
        top = self.probabilities.argmax(axis=1)
        return [BACKGROUND if b else UNKNOWN if a else classes[i] for i, a, b in zip(top, self.abstained, self.background)]


def decide(probs: np.ndarray, calibration: Calibration | None, abstain: bool = True, distance: np.ndarray | None = None,
           exposure: np.ndarray | None = None, background: np.ndarray | None = None, background_above: float | None = None) -> Decisions:
    """Raw probabilities (n, classes) and the evidence beside them -> calibrated probabilities and
    each row's outcome. ``background``: the background detector's score per row
    (``models/background.py``), background at or above ``background_above``; it needs no
    calibration. ``abstain=False`` (``--no-abstain``) never answers "unknown": an event always
    gets its closest class (background stays background: it says there is no event to name)."""
    probs = np.atleast_2d(np.asarray(probs, dtype=np.float64))
    calibrated = calibration.apply(probs) if calibration is not None else probs
    distance = None if distance is None else np.atleast_1d(distance)
    none = np.zeros(len(probs), dtype=bool)
    abstained = calibration.abstains(calibrated, distance, exposure) if calibration is not None and abstain else none
    quiet = none
    if background is not None and background_above is not None:
        quiet = np.atleast_1d(background) >= background_above
    return Decisions(calibrated, abstained & ~quiet, quiet, distance)
