"""Train and measure: cv, train, evaluate, augment, ensemble, calibrate, robustness, report, compare."""

from __future__ import annotations

import time
from pathlib import Path
from typing import List, Optional

import typer

from envsound.cli.options import ADDRESS_OPT, DATA_OPT, MODEL_HELP, command_line, echo
from envsound.errors import ConfigError

SET_OPT = typer.Option(None, "--set", help="A training setting, KEY=VALUE (repeatable), e.g. --set lr=0.0001 --set head_init=probe.")
TRAIN_DEVICE_OPT = typer.Option("cpu", help="Where networks train: cpu, cuda (under torchrun: each rank's own GPU, cuda:LOCAL_RANK, with nccl), cuda:N or auto.")


GROUP_PATTERN_OPT = typer.Option(None, "--group-pattern", help="A folder's or CSV's files of one source: a regular expression whose first group (or match) in the file name is the source; default: ESC-50-style names ({fold}-{source}-{take}-{class}).")


def run_config(model: Optional[str], dataset: Optional[str], data: Optional[str], folds: Optional[str], epochs: Optional[int], seed: Optional[int], config: Optional[Path],
               settings: Optional[List[str]] = None, group_pattern: Optional[str] = None):
    """A --config file's settings, with what the command line gives explicitly on top."""
    from dataclasses import replace

    from envsound.config import RunConfig, load_config, parse_overrides
    from envsound.data import dataset_info
    from envsound.models.registry import resolve

    cfg = load_config(config) if config else RunConfig()
    cfg = replace(cfg, dataset=dataset or cfg.dataset, data_root=data or cfg.data_root, group_pattern=group_pattern or cfg.group_pattern)
    info = dataset_info(cfg.dataset)
    if info is not None and not config:  # a named corpus sets the clip length its features use
        cfg = replace(cfg, features=replace(cfg.features, clip_seconds=info.clip_seconds))
    changes = {key: value for key, value in (("model", model), ("seed", seed), ("epochs", epochs)) if value is not None}
    cfg = cfg.with_train(**changes, **parse_overrides(settings or []))
    if folds:
        try:
            cfg = replace(cfg, folds=tuple(int(f) for f in folds.split(",")))
        except ValueError:
            raise ConfigError(f"--folds takes comma-separated integers, got '{folds}'") from None
    return resolve(cfg)  # the model's own front end, and its options checked before any work


def cv(
    model: Optional[str] = typer.Option(None, help="Model name (see `envsound models`); default: the config's, else compact."),
    dataset: Optional[str] = typer.Option(None, help="esc50, esc10, a folder-per-class path or a CSV manifest; default: the config's, else esc50."),
    data: Optional[str] = DATA_OPT,
    group_pattern: Optional[str] = GROUP_PATTERN_OPT,
    out: Optional[Path] = typer.Option(None, help="Run folder to create (default runs/<dataset>-<model>)."),
    folds: Optional[str] = typer.Option(None, help="Comma-separated folds to run (default: all)."),
    epochs: Optional[int] = typer.Option(None, help="Training epochs per fold."),
    seed: Optional[int] = typer.Option(None, help="Random seed (recorded in config.json); default: the config's, else 0."),
    config: Optional[Path] = typer.Option(None, help="JSON RunConfig to start from: a file, or a shipped recipe by name (mn04_finetune, mn04_lpft, mn04_lpft_frozen_bn, rw_finetune_all, ...)."),
    settings: Optional[List[str]] = SET_OPT,
    resume: Optional[Path] = typer.Option(None, help="Continue an interrupted run folder."),
    no_report: bool = typer.Option(False, "--no-report", help="Skip writing report.html at the end."),
    save_models: bool = typer.Option(False, "--save-models", help="Keep each fold's trained model (fold-K/model.pt) to score it again later (robustness, calibration)."),
    engine: str = typer.Option("local", help="local: folds one after another here; ray: every fold a Ray task (pip install 'envsound[distributed]')."),
    address: Optional[str] = ADDRESS_OPT,
    seeds: Optional[str] = typer.Option(None, help="Comma-separated seeds: one run folder per seed (OUT-seedN), all folds of all of them as jobs."),
    sweep: Optional[str] = typer.Option(None, help="KEY=V1,V2,...: one run folder per value of a training setting (OUT-KEYV), with --seeds too."),
    cpus_per_fold: int = typer.Option(1, help="With --engine ray: CPUs (and torch threads) per fold task."),
    device: str = TRAIN_DEVICE_OPT,
) -> None:
    """Cross-validate on official folds (or stratified group folds) and write metrics.json."""
    from dataclasses import replace

    from envsound.devices import use_training_device
    from envsound.engines import check_engine
    from envsound.training.crossval import cross_validate, cross_validate_runs
    from envsound.training.distributed import finish, init_from_env

    check_engine(engine)
    if use_training_device(device).type != "cpu" and engine == "ray":
        raise ConfigError("--engine ray trains its fold tasks on the CPU; use --engine local (or torchrun) with --device cuda")
    world = init_from_env()  # under torchrun: this process's rank; one process otherwise
    if resume:
        runs = [(None, resume)]
    else:
        cfg = run_config(model, dataset, data, folds, epochs, seed, config, settings, group_pattern)
        run_dir = out or Path("runs") / f"{Path(cfg.dataset).stem}-{cfg.train.model}"
        runs = [(cfg, run_dir)]
        if sweep:
            from envsound.config import parse_sweep, run_name_part
            from envsound.models.registry import resolve

            key, values = parse_sweep(sweep)
            runs = [(resolve(c.with_train(**{key: v})), d.with_name(f"{d.name}-{run_name_part(key, v)}")) for c, d in runs for v in values]
        if seeds:
            try:
                chosen = [int(s) for s in seeds.split(",") if s.strip()]
            except ValueError:
                raise ConfigError(f"--seeds takes comma-separated integers, got '{seeds}'") from None
            runs = [(replace(c, train=replace(c.train, seed=s)), d.with_name(f"{d.name}-seed{s}")) for c, d in runs for s in chosen]
    if engine == "ray":
        results = cross_validate_runs(runs, resume=bool(resume), command=command_line(), save_models=save_models, address=address, cpus_per_fold=cpus_per_fold)
    else:
        results = [cross_validate(c, d, resume=bool(resume), command=command_line(), save_models=save_models) for c, d in runs]
    if not world.is_main:
        finish()
    for (_, run_dir), metrics in zip(runs, results):
        echo(f"{metrics['mean_accuracy']:.4f} ± {metrics['std_accuracy']:.4f} mean accuracy; results in {run_dir}")
        if not no_report:
            from envsound.evaluation.report import build_report

            echo(f"report: {build_report(run_dir)}")
    finish()  # under torchrun: all ranks leave together (a no-op in one process)


def train(
    data_arg: Optional[str] = typer.Argument(None, metavar="DATA", help="What to learn: a folder with one subfolder of audio per class "
                                             "(a 'background' or '_none' subfolder of other sounds is not a class), a CSV with path and label columns "
                                             "(optional fold, group; paths relative to the CSV), or esc50 / esc10 / urbansound8k."),
    out: Path = typer.Option(..., help="Model file to write."),
    model: Optional[str] = typer.Option(None, help="Model name (see `envsound models`); default: the recipe for your data (the pretrained probe, calibrated)."),
    dataset: Optional[str] = typer.Option(None, help="The same as DATA (kept for scripts); default: the config's, else esc50."),
    data: Optional[str] = DATA_OPT,
    group_pattern: Optional[str] = GROUP_PATTERN_OPT,
    epochs: Optional[int] = typer.Option(None),
    seed: Optional[int] = typer.Option(None, help="Random seed; default: the config's, else 0."),
    config: Optional[Path] = typer.Option(None, help="JSON RunConfig to start from: a file, or a shipped recipe by name (mn04_finetune, mn04_lpft, mn04_lpft_frozen_bn, rw_finetune_all, ...)."),
    settings: Optional[List[str]] = SET_OPT,
    device: str = TRAIN_DEVICE_OPT,
    calibrate: bool = typer.Option(True, help="With the default recipe: fit calibration, 'unknown' and 'background' inside training (--no-calibrate: raw probabilities)."),
    negatives: Optional[Path] = typer.Option(None, help="With the default recipe: a folder of sounds that are none of the classes, answered 'background' (default: DATA's background/ or _none/ subfolder)."),
) -> None:
    """Train on every clip of a dataset and write one model file.

    With no --model and no --config, the default recipe: the AudioSet backbone's linear probe,
    written as a network that answers "unknown" for sounds of none of your classes and
    "background" where there is no event (calibrated on held-out folds of your clips, files of
    one source kept together). A named model trains as configured (data-parallel under torchrun)."""
    from envsound.devices import use_training_device
    from envsound.training.distributed import finish, init_from_env
    from envsound.training.fit import train as fit
    from envsound.utils import check_writable

    if data_arg is not None and dataset is not None and data_arg != dataset:
        raise ConfigError(f"DATA ({data_arg}) and --dataset ({dataset}) name two datasets; give one")
    dataset = data_arg or dataset
    cfg = run_config(model, dataset, data, None, epochs, seed, config, settings, group_pattern)
    check_writable(out)  # before the training, not after it
    if model is None and config is None and not settings:
        from envsound.data import load_dataset
        from envsound.training.recipe import train_default

        started = time.perf_counter()
        manifest = load_dataset(cfg.dataset, cfg.data_root, cfg.group_pattern)
        manifest.check_output_outside(out)
        negative = negative_audio(negatives, manifest)
        if negative:
            typer.echo(f"negatives: {len(negative)} files of sounds that are none of the classes, fitted as background", err=True)
        train_default(manifest, out, cfg, command=command_line(), calibrate=calibrate, say=lambda line: typer.echo(line, err=True), negatives=negative)
        echo(f"model written to {out} ({len(manifest)} clips, {len(manifest.classes)} classes, {time.perf_counter() - started:.1f} s); "
             f"check it with `envsound card {out}`, measure it with held-out clips")
        return
    if negatives is not None:
        raise ConfigError("--negatives goes with the default recipe (no --model, --config or --set)")
    use_training_device(device)
    init_from_env()
    fit(cfg, out, command=command_line())
    finish()


def augment(
    dataset: str = typer.Argument(..., help="esc50, esc10, a folder-per-class path or a CSV manifest."),
    out: Path = typer.Option(..., help="Folder for audio/ and manifest.csv (re-running resumes)."),
    transforms: str = typer.Option("noise,shift,pitch,stretch", help="Comma-separated: noise, shift, pitch, stretch, gain, background; real-world: mix (another training clip of the same fold), room, band, codec, noise_snr, excerpt, floor, onset, beds (the clip on a soundscape bed)."),
    copies: int = typer.Option(1, help="Copies per clip and transform."),
    seed: int = typer.Option(0),
    data: Optional[str] = DATA_OPT,
    background: Optional[str] = typer.Option(None, help="Folder of noise recordings for the background transform."),
    sample_rate: Optional[int] = typer.Option(None, help="Rate the copies are made and written at (default: the dataset's)."),
    workers: int = typer.Option(2),
) -> None:
    """Write an augmented dataset: every copy keeps its source clip's fold and records its parameters."""
    from envsound.augment.offline import augment_dataset
    from envsound.data import load_dataset
    from envsound.data.registry import dataset_info

    manifest = load_dataset(dataset, data)
    info = dataset_info(dataset)  # a named corpus's clip length (what its features pad or crop to); a user's clips keep theirs
    path = augment_dataset(manifest, out, tuple(t.strip() for t in transforms.split(",") if t.strip()), copies, seed, sample_rate=sample_rate,
                           background=background, workers=workers, seconds=None if info is None else info.clip_seconds)
    echo(f"{path}  (train on it with: envsound cv --dataset {path})")


def report(run_dir: Path = typer.Argument(..., help="A finished `envsound cv` run folder.")) -> None:
    """Write RUN_DIR/report.html (self-contained) and the PNGs in RUN_DIR/report/."""
    from envsound.evaluation.report import build_report

    echo(str(build_report(run_dir)))


def compare(
    run_dirs: List[Path] = typer.Argument(..., help="Finished run folders."),
    out: Path = typer.Option(Path("compare.png"), help="Bar chart to write."),
    labels: Optional[str] = typer.Option(None, help="Comma-separated names for the runs (default: folder names)."),
    baseline: Optional[str] = typer.Option(None, help="Name of the run to pair the others against, fold by fold (adds a gain panel)."),
) -> None:
    """A table and a bar chart of mean ± std accuracy across runs."""
    from envsound.evaluation.compare import compare_runs

    echo(compare_runs(list(run_dirs), out, labels=labels.split(",") if labels else None, baseline=baseline))
    echo(f"chart: {out}")


def robustness(
    run_dirs: List[Path] = typer.Argument(..., help="Finished `envsound cv --save-models` runs (several: scored as their ensemble)."),
    out: Path = typer.Option(..., "--out", "-o", help="JSON file to write."),
    corruptions: Optional[str] = typer.Option(None, help="Comma-separated subset (default all): white_noise, pink_noise, background, reverb, band_limit, codec, clipping, crop."),
    seed: int = typer.Option(0, help="Seed of the corruptions (recorded)."),
) -> None:
    """ESC-50-C: each fold's saved model(s) on that fold's test clips, corrupted at three severities."""
    from envsound.augment.table import CORRUPTIONS
    from envsound.evaluation.robustness import robustness as measure
    from envsound.utils import write_json

    chosen = tuple(c.strip() for c in corruptions.split(",")) if corruptions else CORRUPTIONS
    unknown = set(chosen) - set(CORRUPTIONS)
    if unknown:
        raise ConfigError(f"unknown corruptions {sorted(unknown)}; known: {', '.join(CORRUPTIONS)}")
    result = measure(run_dirs, chosen, seed=seed)
    write_json(out, {**result, "command": command_line()})
    echo(f"clean {result['clean_accuracy']:.1%}, mean corruption accuracy {result['mean_corruption_accuracy']:.1%} "
          f"(drop {result['drop_from_clean']:.1%}) over {result['clips']} clips → {out}")
    for name, accs in result["accuracy"].items():
        echo(f"  {name:12s} " + "  ".join(f"{a:6.1%}" for a in accs))


def evaluate(
    model: str = typer.Argument(..., metavar="MODEL", help=MODEL_HELP),
    dataset: str = typer.Argument(..., metavar="DATA", help="Labelled clips the model never saw: a folder with one subfolder per class, a CSV (path,label), or a named dataset."),
    out: Path = typer.Option(..., "--out", "-o", help="JSON file to write the figures to."),
    report: Optional[Path] = typer.Option(None, help="Also write them as an HTML page."),
    negatives: Optional[Path] = typer.Option(None, help="A folder of sounds that are none of the classes (default: DATA's background/ or _none/ subfolder)."),
    data: Optional[str] = DATA_OPT,
    group_pattern: Optional[str] = GROUP_PATTERN_OPT,
    device: str = typer.Option("auto", help="Where a torch network runs: auto, cpu, cuda, cuda:N."),
) -> None:
    """Score a model on labelled test clips: accuracy per class and overall, the answers' confusion,
    the share answered and its accuracy, calibration error, and how many sounds of none of its
    classes it called unknown or background."""
    from envsound.data import load_dataset
    from envsound.evaluation.evaluate import evaluate as score
    from envsound.evaluation.evaluate import write_evaluation
    from envsound.inference.predict import Predictor
    from envsound.utils import check_writable, table_format

    table_format(out, ("json",))
    check_writable(out)
    if report is not None:
        check_writable(report)
    manifest = load_dataset(dataset, data, group_pattern)
    extra = negative_audio(negatives, manifest)
    predictor = Predictor.from_file(model, device=device)
    figures = score(predictor, manifest, extra, progress=len(manifest) + len(extra) > 20)
    write_evaluation(figures, str(model), out, report)

    def pct(value: float | None) -> str:
        return "–" if value is None else f"{value:.1%}"

    echo(f"{figures['clips']} clips of {len(figures['classes'])} classes: top label right {pct(figures['accuracy'])}, answered {pct(figures['answered'])} "
         f"(right {pct(figures['accuracy_answered'])}), calibration error {pct(figures['ece'])}")
    if figures["negatives"]["files"]:
        echo(f"{figures['negatives']['files']} sounds of none of the classes: {pct(figures['negatives']['rejected'])} called unknown or background")
    echo(f"→ {out}" + (f" and {report}" if report else ""))
    for error in figures["errors"]:
        typer.echo(f"error: {error['error']}", err=True)
    if figures["errors"]:
        raise typer.Exit(1)


def negative_audio(folder: Optional[Path], manifest) -> list[Path]:
    """``--negatives DIR`` (every audio file under it), else the dataset folder's background/ or
    _none/ subfolders."""
    from envsound.audio import is_audio_file
    from envsound.data.folders import negative_files

    if folder is None:
        return negative_files(manifest.folder) if manifest.folder is not None else []
    if not folder.is_dir():
        raise ConfigError(f"--negatives {folder}: folder not found")
    found = sorted(p for p in folder.rglob("*") if is_audio_file(p))
    if not found:
        raise ConfigError(f"--negatives {folder}: no audio files in it")
    return found


def calibrate(
    run_dir: Path = typer.Argument(..., help="A finished `envsound cv` or `envsound ensemble` run of the model's recipe."),
    model: Optional[Path] = typer.Option(None, help="A model file trained on all folds with that recipe, to write with the calibration."),
    out: Optional[Path] = typer.Option(None, help="Where to write the calibrated model file (with --model)."),
    recall: float = typer.Option(0.95, help="Share of in-set clips the abstention threshold keeps answered."),
    novelty: bool = typer.Option(True, help="With --model: also abstain on clips whose embedding is far from every class (Mahalanobis)."),
    exposure: Optional[Path] = typer.Option(None, help="With --model: a folder of sounds that are none of the classes (music, speech, UI tones, ...); "
                                            "a third cut then abstains on clips nearer them than the classes allow (outlier exposure)."),
    background: bool = typer.Option(True, help="With --model: also fit its background detector (answers 'background' on hiss, room tone, hum) on the run's dataset."),
) -> None:
    """Fit temperature scaling and an abstention threshold on a run's out-of-fold predictions.

    Prints the cross-fitted figures (each fold calibrated from the other folds only); with --model
    and --out, writes that model file with the calibration fitted on all folds' predictions, so
    `predict` prints calibrated probabilities and answers "unknown" below the threshold."""
    from envsound.evaluation.calibration import calibrate_run

    if not 0.5 <= recall < 1.0:
        raise ConfigError(f"--recall must be in [0.5, 1), got {recall}")
    if (model is None) != (out is None):
        raise ConfigError("--model and --out go together")
    from envsound.models.model_file import load_model, save_model

    if exposure is not None and (model is None or not novelty):
        raise ConfigError("--exposure needs --model and --novelty")
    if exposure is not None and not exposure.is_dir():
        raise ConfigError(f"--exposure {exposure}: not a folder")
    loaded = load_model(model) if model is not None else None
    figures, final, stats = calibrate_run(run_dir, recall, loaded if novelty else None, exposure)
    echo(f"cross-fitted: ECE {figures['ece']:.2%} -> {figures['ece_calibrated']:.2%}, NLL {figures['nll']:.3f} -> {figures['nll_calibrated']:.3f}; "
          f"abstaining answers {figures['coverage']:.1%} of clips, {figures['accuracy_answered']:.1%} of those right (all: {figures['accuracy']:.1%})")
    distance = f", or distance above {final.distance_above:.0f}" if final.distance_above is not None else ""
    distance += f", or exposure score above {final.exposure_above:.0f}" if final.exposure_above is not None else ""
    echo(f"fitted on all folds: temperature {final.temperature:.3f}, unknown below {final.abstain_below:.3f}{distance}")
    if loaded is not None and out is not None:
        info = {**loaded.info, "calibrated_from": str(run_dir)}
        info.pop("exposure", None)
        if exposure is not None:
            info["exposure"] = str(exposure)
        detector = loaded.background
        if background and (loaded.spec.kind != "network" or hasattr(loaded.model, "forward_with_embedding")):
            from envsound.models.background import fit_model_background
            from envsound.runs import load_run, run_dataset

            detector = fit_model_background(loaded, run_dataset(load_run(run_dir).config))
            info["background"] = detector.fitted_on
            echo(f"background when the detector's score reaches {detector.threshold:.3f}")
        save_model(out, loaded.spec, loaded.model, loaded.classes, loaded.config, info, final, stats, detector)
        echo(f"calibrated model → {out}")


def ensemble(
    run_dirs: List[Path] = typer.Argument(..., help="Finished `envsound cv` runs on the same dataset and folds."),
    out: Path = typer.Option(..., help="Run folder to write (metrics.json, per-fold predictions, report.html)."),
    no_report: bool = typer.Option(False, "--no-report", help="Skip writing report.html."),
) -> None:
    """Average the runs' predicted probabilities fold by fold: an ensemble scored on the same test folds."""
    from envsound.evaluation.ensemble import ensemble_runs

    metrics = ensemble_runs(list(run_dirs), out, command=command_line())
    echo(f"ensemble of {len(run_dirs)} runs: {metrics['mean_accuracy']:.1%} ± {metrics['std_accuracy']:.1%} over folds {metrics['folds']} → {out / 'metrics.json'}")
    if not no_report:
        from envsound.evaluation.report import build_report

        echo(f"report: {build_report(out)}")


COMMANDS = {"cv": cv, "train": train, "evaluate": evaluate, "augment": augment, "ensemble": ensemble, "calibrate": calibrate, "robustness": robustness, "report": report, "compare": compare}
