"""Front ends are one table: each kind's config type and adaptation (features/frontends.py) and its
extractor (models/registry.EXTRACTORS) are registered under the same name."""

import pytest

from envsound.config import RunConfig
from envsound.errors import ConfigError
from envsound.features.frontends import FRONT_ENDS, adapt_front_end, front_end_from_dict, kind_of
from envsound.features.logmel import LogMelConfig
from envsound.models.registry import EXTRACTORS, MODELS


def test_every_front_end_kind_has_an_extractor_and_every_model_reads_a_registered_kind():
    assert set(EXTRACTORS) == set(FRONT_ENDS)
    assert {spec.front_end for spec in MODELS.values()} <= set(FRONT_ENDS)


@pytest.mark.parametrize("kind", sorted(FRONT_ENDS))
def test_a_config_adapted_to_each_kind_is_of_it_keeps_the_clip_length_and_reads_back(kind):
    current = LogMelConfig(sample_rate=22050, clip_seconds=3.0)
    adapted = adapt_front_end(current, kind, {})
    assert kind_of(adapted) == kind and adapted.clip_seconds == 3.0
    assert front_end_from_dict(adapted.to_dict()) == adapted
    if kind in ("logmel", "handcrafted", "two-branch"):  # these read the dataset's own rate
        assert adapted.sample_rate == 22050


def test_an_unknown_kind_is_one_config_error():
    with pytest.raises(ConfigError, match="unknown front end kind 'mfcc'"):
        front_end_from_dict({"kind": "mfcc"})
    with pytest.raises(ConfigError, match="unknown front end kind"):
        adapt_front_end(RunConfig().features, "mfcc", {})


def test_a_resolved_config_is_made_once_and_builders_take_nothing_else():
    from dataclasses import replace

    from envsound.models.registry import ResolvedRunConfig, get_model, resolve, run_config_dict

    plain = RunConfig().with_train(model="mn04_probe")
    resolved = resolve(plain)
    small = RunConfig().with_train(model="compact")
    with pytest.warns(DeprecationWarning, match="resolved config"):  # extenders' old calls: resolved, with a warning
        assert get_model("compact").extractor(small).describe() == get_model("compact").extractor(resolve(small)).describe()
    with pytest.warns(DeprecationWarning, match="resolved config"):
        assert run_config_dict(plain) == run_config_dict(resolved)
    assert isinstance(resolved, ResolvedRunConfig) and resolve(resolved) is resolved
    assert kind_of(resolved.features) == "efficientat-embedding"
    assert type(resolved.with_train(model="compact")) is RunConfig  # another model: resolved again, not trusted
    assert replace(resolved, train=replace(resolved.train, seed=7)).train.seed == 7  # a change that keeps it resolved
    with pytest.raises(ConfigError, match="resolve the config again"):
        replace(resolved, train=replace(resolved.train, model="compact"))
