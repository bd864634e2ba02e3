"""The command line, ``envsound <command>`` (see ``main``)."""

from envsound.cli.main import app, main

__all__ = ["app", "main"]
