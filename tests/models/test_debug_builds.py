"""Every registered model, built tiny and untrained, on random input of its front end's shape:
the whole zoo in well under a second, no weights and no audio needed."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from envsound.config import RunConfig
from envsound.features.frontends import front_end_from_dict
from envsound.models.registry import MODELS, resolve

SHAPES = {  # what each front end kind hands a model, for a 1-s clip (embedding: mn04's 384 numbers)
    "logmel": lambda f: (1, f.n_mels, f.n_frames),
    "efficientat-logmel": lambda f: (1, f.n_mels, 100),
    "efficientat-embedding": lambda f: (384,),
    "handcrafted": lambda f: (110,),
    "two-branch": lambda f: (110 + f.logmel.n_mels * f.logmel.n_frames,),
}


@pytest.mark.parametrize("name", sorted(MODELS))
def test_tiny_build_runs_on_random_input(name):
    spec = MODELS[name]
    cfg = resolve(RunConfig(features=front_end_from_dict({"kind": "logmel", "clip_seconds": 1.0, "n_mels": 32})).with_train(model=name, model_kwargs=dict(spec.debug)))
    shape = SHAPES[spec.front_end](cfg.features)
    model = spec.build_debug(3, cfg)
    rng = np.random.default_rng(0)
    if spec.kind == "network":
        with torch.inference_mode():
            out = model.eval()(torch.from_numpy(rng.standard_normal((2, *shape)).astype(np.float32)))
        assert out.shape == (2, 3) and torch.isfinite(out).all()
    else:
        x = rng.standard_normal((30, *shape)).astype(np.float32)
        y = np.arange(30) % 3
        from envsound.training.fitting import fit_classic

        fit_classic(model, x, y, np.arange(30) % 3 + 1)
        assert model.predict_proba(x[:2]).shape == (2, 3)
