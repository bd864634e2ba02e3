"""The model that ships with envsound, so `envsound predict FILE` works with no arguments."""

from __future__ import annotations

from pathlib import Path

from envsound.errors import RunError

SHIPPED_DIR = Path(__file__).resolve().parent.parent / "assets"
SHIPPED_MODEL = SHIPPED_DIR / "esc50-default.pt"


def default_model_path() -> Path:
    if not SHIPPED_MODEL.exists():
        raise RunError(f"no shipped model at {SHIPPED_MODEL}; pass --model PATH (train one with `envsound train`)")
    return SHIPPED_MODEL
