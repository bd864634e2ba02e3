"""The models that ship with envsound, so `envsound predict FILE` works with no arguments, and a
faster one is one word away (`--model fast`).

Each ships twice: the torch model file, and its ONNX export (``.onnx`` and ``.onnx.json``, made
from that file by ``scripts/export_shipped.py``). An install without torch (``pip install
envsound``, the runtime) resolves the names to the ONNX form, as does ``--backend onnx``."""

from __future__ import annotations

import importlib.util
from pathlib import Path

from envsound.errors import RunError

SHIPPED_DIR = Path(__file__).resolve().parent.parent / "assets"
SHIPPED_MODEL = SHIPPED_DIR / "esc50-default.pt"
# Built-in models by name (assets/README.md says what each is and how it was measured):
# "default", the pair chosen for trust on real recordings, and "fast", one network at half the cost.
SHIPPED_MODELS = {"default": SHIPPED_MODEL, "fast": SHIPPED_DIR / "esc50-fast.pt"}


def default_model_path() -> Path:
    return shipped_model_path("default")


def torch_installed() -> bool:
    return importlib.util.find_spec("torch") is not None


def shipped_model_path(name: str, onnx: bool | None = None) -> Path:
    """The file of shipped model ``name``; ``onnx``: its ONNX export (default: when torch is not installed)."""
    path = SHIPPED_MODELS.get(name)
    if path is None:
        raise RunError(f"no shipped model called '{name}'; choose {' or '.join(SHIPPED_MODELS)}, or pass a model file")
    if onnx or (onnx is None and not torch_installed()):
        path = path.with_suffix(".onnx")
    if not path.exists():
        raise RunError(f"no shipped model at {path}; pass --model PATH (train one with `envsound train`)")
    return path


def resolve_model(model: str | Path | None, onnx: bool | None = None) -> Path:
    """A ``--model`` value: nothing is the default model, a shipped model's name is that model
    (its ONNX form with ``onnx``, or without torch), anything else is a file path. A file that
    exists wins over a name, so a model saved as ./fast is still reachable."""
    if model is None:
        return shipped_model_path("default", onnx)
    path = Path(model)
    if str(model) in SHIPPED_MODELS and not path.exists():
        return shipped_model_path(str(model), onnx)
    return path
