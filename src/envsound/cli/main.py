"""The one entry point, ``envsound <command>``: assembles the commands, turns failures into one line.

The commands live by what they do (``data``, ``experiments``, ``inference``, ``models``); each one
builds configs and calls the Python API. This module only assembles them and turns every failure
into one line and an exit status."""

from __future__ import annotations

import sys

import typer

from envsound.cli import data, experiments, inference, models
from envsound.errors import EnvsoundError

app = typer.Typer(add_completion=False, no_args_is_help=True, rich_markup_mode=None, help="Environmental sound classification: data, cross-validation, training, prediction.")
for _module in (inference, models, experiments, data):  # the order `envsound --help` lists them in
    for _name, _command in _module.COMMANDS.items():
        app.command(_name)(_command)
    for _name, _group in getattr(_module, "GROUPS", {}).items():
        app.add_typer(_group, name=_name)


# What the runtime install (`pip install envsound`: predict, timeline, listen, card on ONNX models)
# leaves out, and the extra that brings it.
EXTRAS_OF = {"torch": "train", "sklearn": "train", "matplotlib": "train", "audiomentations": "train", "skops": "train", "openpyxl": "train", "scipy": "train",
             "onnx": "train", "fastapi": "serve", "uvicorn": "serve", "multipart": "serve", "pyroomacoustics": "robust", "sounddevice": "live", "ray": "distributed",
             "av": "formats"}


def _usage_errors() -> tuple[type[Exception], ...]:
    """Click's usage errors (unknown option, missing argument, bad value), as this typer raises
    them: typer 0.2x vendors click (its errors subclass ``typer.TyperException``); older typer
    raised click's own. Either way they carry ``show()`` and ``exit_code``."""
    kinds: list[type[Exception]] = []
    if hasattr(typer, "TyperException"):
        kinds.append(typer.TyperException)
    try:
        import click

        kinds.append(click.exceptions.ClickException)
    except ImportError:
        pass
    return tuple(kinds)


def main() -> None:
    try:
        code = app(standalone_mode=False)  # click returns typer.Exit's code instead of raising
        sys.exit(code if isinstance(code, int) else 0)
    except EnvsoundError as err:
        typer.echo(f"error: {err}", err=True)
        sys.exit(2)
    except KeyboardInterrupt:
        typer.echo("interrupted; resume with `envsound cv --resume RUN_DIR`", err=True)
        sys.exit(130)
    except typer.Exit as exit_:
        sys.exit(exit_.exit_code)
    except typer.Abort:
        sys.exit(1)
    except ModuleNotFoundError as err:  # the runtime install (no torch) running a command of the full one
        top = (err.name or "").split(".")[0]
        if top not in EXTRAS_OF:
            raise
        typer.echo(f"error: this needs {top}, which this install does not have: pip install 'envsound[{EXTRAS_OF[top]}]'", err=True)
        sys.exit(2)
    except OSError as err:  # the machine said no (permission, disk full, no such folder): one line, not a traceback
        where = f": {err.filename}" if err.filename else ""
        typer.echo(f"error: {err.strerror or err}{where}", err=True)
        sys.exit(1)
    except _usage_errors() as err:  # non-standalone mode hands usage errors to the caller
        err.show()
        sys.exit(err.exit_code)


if __name__ == "__main__":
    main()
