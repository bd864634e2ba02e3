"""Run configuration: command-line overrides read as JSON where they parse, checked by name."""

import pytest

from envsound.config import RunConfig, TrainConfig, parse_overrides
from envsound.errors import ConfigError


def test_overrides_parse_json_and_fall_back_to_strings():
    changes = parse_overrides(["lr=0.0001", "spec_augment=false", 'model_kwargs={"width": 32}', "head_init=probe", 'model="compact"'])
    assert changes == {"lr": 0.0001, "spec_augment": False, "model_kwargs": {"width": 32}, "head_init": "probe", "model": "compact"}
    cfg = RunConfig().with_train(**changes)
    assert cfg.train.lr == 0.0001 and cfg.train.head_init == "probe" and cfg.train.model_kwargs == {"width": 32}


def test_unknown_setting_names_the_known_ones():
    with pytest.raises(ConfigError, match=r"unknown training settings: \['learning_rate'\]; known: model, model_kwargs, epochs"):
        RunConfig().with_train(learning_rate=0.1)
    with pytest.raises(ConfigError, match=r"unknown training settings: \['learnig_rate'\]"):
        RunConfig.from_dict({"train": {"learnig_rate": 0.1}})  # a config file's typo, same message


def test_sweep_values_and_safe_folder_names():
    from envsound.config import parse_sweep, run_name_part

    assert parse_sweep("lr=0.001,0.003") == ("lr", [0.001, 0.003])
    assert parse_sweep("head_init=random,probe") == ("head_init", ["random", "probe"])
    for bad in ("lr=0.001", "lr", "=1,2"):
        with pytest.raises(ConfigError, match="--sweep"):
            parse_sweep(bad)
    assert run_name_part("lr", 0.001) == "lr0.001"
    assert "/" not in run_name_part("x", "../../etc") and not run_name_part("", "..").startswith(".")


@pytest.mark.parametrize("key, value, message", [
    ("epochs", "abc", "epochs must be an integer, got 'abc'"),
    ("epochs", True, "epochs must be an integer"),
    ("lr", "fast", "lr must be a number"),
    ("threads", "2", "threads must be an integer or null"),
    ("spec_augment", 1, "spec_augment must be true or false"),
    ("model_kwargs", [1], "model_kwargs must be a mapping"),
])
def test_a_value_of_the_wrong_type_is_one_config_error(key, value, message):
    """``--set epochs=abc`` used to reach a comparison in __post_init__ and end in a bare TypeError."""
    with pytest.raises(ConfigError, match=message):
        RunConfig().with_train(**{key: value})


def test_values_of_the_right_type_pass_including_ints_for_floats():
    cfg = RunConfig().with_train(lr=1, threads=None, warmup_epochs=0.5, teacher="runs/t", distill_weight=1)
    assert cfg.train.lr == 1 and cfg.train.distill_weight == 1


def test_a_front_end_setting_of_the_wrong_type_is_one_config_error():
    with pytest.raises(ConfigError, match="n_mels must be an integer"):
        RunConfig.from_dict({"features": {"kind": "logmel", "n_mels": "many"}})


@pytest.mark.parametrize("key, value, message", [
    ("lr", float("inf"), "lr must be a finite number"), ("weight_decay", float("nan"), "weight_decay must be a finite number"),
    ("weight_decay", -0.1, "weight_decay must be >= 0"), ("mixup_alpha", -1.0, "mixup_alpha must be >= 0"),
    ("gain_db", -6.0, "gain_db must be >= 0"), ("label_smoothing", 1.0, "label_smoothing must be in"),
])
def test_values_out_of_range_are_one_config_error(key, value, message):
    """A JSON config may spell NaN or Infinity, and `--set mixup_alpha=-1` used to train as if it were 0."""
    with pytest.raises(ConfigError, match=message):
        TrainConfig(**{key: value})


@pytest.mark.parametrize("changes, message", [
    ({"folds": (1, 1)}, "name each fold to score once"),  # fold 1 was trained twice, then the summary failed with a traceback
    ({"folds": ()}, "folds is empty"),
    ({"n_folds": 1}, "n_folds must be an integer of at least 2"),
])
def test_fold_choices_that_cannot_make_a_cross_validation_are_refused(changes, message):
    with pytest.raises(ConfigError, match=message):
        RunConfig(**changes)
    with pytest.raises(ConfigError, match=message):  # and in a config file
        RunConfig.from_dict({**RunConfig().to_dict(), **{k: list(v) if isinstance(v, tuple) else v for k, v in changes.items()}})


def test_shipped_recipes_load_by_name_and_by_their_old_path(tmp_path):
    """The declared recipes ship inside the package (usable after pip install); a command recorded
    in a checkout as --config configs/NAME.json still finds them."""
    import pytest

    from envsound.config import config_path, load_config, shipped_configs
    from envsound.errors import ConfigError

    assert {"mn04_finetune", "mn04_lpft", "rw_finetune_all"} <= set(shipped_configs())
    assert load_config("mn04_lpft") == load_config("configs/mn04_lpft.json")
    assert config_path("mn04_lpft").parent.name == "configs" and config_path("mn04_lpft").is_file()
    own = tmp_path / "mine.json"
    own.write_text('{"train": {"epochs": 3}}')
    assert load_config(own).train.epochs == 3
    with pytest.raises(ConfigError, match="no shipped recipe of that name"):
        load_config("nope")
