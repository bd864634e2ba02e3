"""envsound: environmental sound classification, leak-free and fast.

The Python API mirrors the CLI: ``cross_validate`` (``envsound cv``), ``train`` (``envsound
train``), ``Predictor`` (``envsound predict``), ``load_dataset`` (``envsound data``), with ``RunConfig``
the settings of the first two.
"""

from envsound._version import __version__  # noqa: E402,F401
from envsound.errors import EnvsoundError  # noqa: E402

# Public name -> the module that defines it: imported on first use, so `import envsound` stays fast
# for the CLI and pulls no torch.
_LAZY = {
    "cross_validate": "envsound.training.crossval",
    "train": "envsound.training.fit",
    "Predictor": "envsound.inference.predict",
    "load_dataset": "envsound.data",
    "RunConfig": "envsound.config",
    "load_audio": "envsound.audio",
}


def __getattr__(name: str):
    if name not in _LAZY:
        raise AttributeError(name)
    from importlib import import_module

    return getattr(import_module(_LAZY[name]), name)


__all__ = ["EnvsoundError", "RunConfig", "cross_validate", "train", "Predictor", "load_dataset", "load_audio", "__version__"]
