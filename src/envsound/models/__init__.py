"""Models: torch networks (plain nn.Module) and classic estimators, looked up by name."""

from envsound.models.registry import MODELS, ModelSpec, get_model

__all__ = ["MODELS", "ModelSpec", "get_model"]
