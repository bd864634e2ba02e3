"""envsound: environmental sound classification, leak-free and fast.

The Python API mirrors the CLI: ``cross_validate`` (``envsound cv``), ``train`` (``envsound
train``), ``Predictor`` (``envsound predict``), ``load_dataset`` (``envsound data``), with ``RunConfig``
the settings of the first two.
"""

from envsound._version import __version__  # noqa: E402,F401
from envsound.errors import EnvsoundError  # noqa: E402


def __getattr__(name: str):  # lazy, so `import envsound` stays fast for the CLI
    if name == "cross_validate":
        from envsound.training.crossval import cross_validate

        return cross_validate
    if name == "train":
        from envsound.training.fit import train

        return train
    if name == "Predictor":
        from envsound.inference.predict import Predictor

        return Predictor
    if name == "load_dataset":
        from envsound.data import load_dataset

        return load_dataset
    if name == "RunConfig":
        from envsound.config import RunConfig

        return RunConfig
    if name == "load_audio":
        from envsound.audio import load_audio

        return load_audio
    raise AttributeError(name)


__all__ = ["EnvsoundError", "RunConfig", "cross_validate", "train", "Predictor", "load_dataset", "load_audio", "__version__"]
