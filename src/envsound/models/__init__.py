"""Models: torch networks (plain nn.Module) and classic estimators, looked up by name.

Names resolve lazily, so a light submodule (``calibration``, ``decision``, ``background``) loads
without the registry, and so without torch: an ONNX-only install reads its sidecar with them.
"""

from importlib import import_module

_HOMES = {"MODELS": "registry", "ModelSpec": "registry", "get_model": "registry"}

__all__ = sorted(_HOMES)


def __getattr__(name: str):
    if name in _HOMES:
        return getattr(import_module(f"envsound.models.{_HOMES[name]}"), name)
    raise AttributeError(name)
