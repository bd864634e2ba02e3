"""Model files and weights: models, card, upgrade-model, weights list/download."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Optional

import typer

from envsound.cli.options import MODEL_HELP, echo
from envsound.defaults import DEFAULT_CHECKPOINT


def card(
    model: Optional[Path] = typer.Argument(None, help=MODEL_HELP),
    as_json: bool = typer.Option(False, "--json", help="Print the whole card as JSON."),
) -> None:
    """What a model file is: network, classes, how it was made, its licence, its calibration."""
    from envsound.inference.shipped import resolve_model

    path = resolve_model(model)
    if path.suffix.lower() == ".onnx":
        from envsound.inference.onnx_runtime import onnx_card

        info = onnx_card(path)
    else:
        from envsound.models.model_file import model_card

        info = model_card(path)
    if as_json:
        echo(json.dumps(info, indent=2))
        return
    details = info["info"]
    members = f", {info['members']} networks averaged" if info["members"] > 1 else ""
    exported = info.get("export")
    how = f" (ONNX export of {exported['source']}{', int8' if exported.get('int8') else ''})" if exported else ""
    echo(f"{info['file']} ({info['megabytes']} MB): {info['model']}{members}, {info['sample_rate']} Hz input{how}")
    echo(f"classes ({len(info['classes'])}): {', '.join(info['classes'])}")
    for key, name in (("how", "how"), ("license", "licence"), ("cross_validation", "cross-validation"), ("command", "made by"), ("calibrated_from", "calibrated on")):
        if details.get(key):
            echo(f"{name}: {details[key]}")
    if not details.get("license"):
        echo("licence: not recorded in the file (a model follows its training data's and its pretrained backbone's)")
    cal = info["calibration"]
    if cal is None:
        echo("calibration: none (probabilities as trained; never answers 'unknown'; add one with `envsound calibrate`)")
    else:
        cuts = [f"calibrated top probability below {cal['abstain_below']:.3f}"] if cal["abstain_below"] is not None else []
        cuts += [f"embedding distance above {cal['distance_above']:.0f}"] if cal["distance_above"] is not None else []
        form = (info.get("novelty_exposure_form") or "difference").replace("_", " ")
        cuts += [f"exposure score ({form}) above {cal['exposure_above']:.4g}"] if cal["exposure_above"] is not None else []
        unknown = f"; 'unknown' when {' or '.join(cuts)}" if cuts else ""
        echo(f"calibration: temperature {cal['temperature']:.3f}{unknown}")
    background = info.get("background")
    if background is None:
        echo("background: no detector (never answers 'background'; add one with `envsound calibrate --model` or scripts/fit_background.py)")
    else:
        echo(f"background: when the detector's score reaches {background['threshold']:.3f} ({background.get('fitted_on', '')})")


def upgrade_model(old: Path = typer.Argument(..., help="A model file from envsound 0.1."), out: Path = typer.Option(..., help="The model file to write.")) -> None:
    """Convert an envsound 0.1 network model file to the current format (checksummed, loads without
    running code). The old file is read as tensors only, so converting is as safe as loading."""
    from envsound.models.model_file import load_model
    from envsound.models.model_file import upgrade_model as upgrade

    upgrade(old, out)
    load_model(out)
    echo(f"{old} → {out}")


weights_app = typer.Typer(no_args_is_help=True, rich_markup_mode=None, help="Pretrained checkpoints: list, download.")


@weights_app.command("list")
def weights_list() -> None:
    """Known checkpoints, and whether each is available offline."""
    from envsound.errors import DownloadError
    from envsound.models.weights import CHECKPOINTS, weights_path

    for ckpt in CHECKPOINTS.values():
        try:
            where = str(weights_path(ckpt.name, download=False))
        except DownloadError:
            where = "not downloaded"
        usable = "" if ckpt.family == "mn" else "  (DyMN: download only, not loadable by envsound)"
        echo(f"{ckpt.name:9s} width {ckpt.width:<4g} {ckpt.params_millions:6.2f} M params  AudioSet mAP {ckpt.audioset_map:.3f}  {where}{usable}")


@weights_app.command("download")
def weights_download(name: str = typer.Argument(DEFAULT_CHECKPOINT), url: Optional[str] = typer.Option(None, help="Mirror URL of the file.")) -> None:
    """Download a checkpoint into the cache, verifying its sha256 where known."""
    from envsound.data.fetch import recorded_sha256
    from envsound.models.weights import get_checkpoint, verify, weights_path

    path = weights_path(name, url=url)
    status = {True: "sha256 verified", False: "SHA256 MISMATCH", None: "no checksum known"}[verify(name, path)]
    if get_checkpoint(name).sha256 is None and recorded_sha256(path):
        status = f"no published checksum; sha256 {recorded_sha256(path)} recorded at download"
    echo(f"{name}: {path} ({status})")


def list_models() -> None:
    """Models envsound can train."""
    from envsound.models.registry import MODELS

    for spec in MODELS.values():
        echo(f"{spec.name:16s} {spec.method:12s} {spec.description}")


GROUPS = {"weights": weights_app}
COMMANDS = {"models": list_models, "card": card, "upgrade-model": upgrade_model}
