"""What several command groups share: common options, and the command line as typed.

The command line is recorded in every result a command writes, so a figure names its command."""

from __future__ import annotations

import shlex
import sys

import typer

MODEL_HELP = "A model file, or a shipped model by name: default (the pair, most trustworthy on real recordings) or fast (one network, half the cost)."
DATA_OPT = typer.Option(None, "--data", help="Dataset root folder; default $ENVSOUND_ESC50 (ESC-50, else ../shared/data/esc50) or $ENVSOUND_URBANSOUND8K.")
ADDRESS_OPT = typer.Option(None, help="With --engine ray: a running cluster (HEAD:6379); default: a private local instance.")


def command_line() -> str:
    return "envsound " + " ".join(shlex.quote(a) for a in sys.argv[1:])


def echo(text: str) -> None:
    typer.echo(text)
