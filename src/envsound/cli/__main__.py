"""``python -m envsound.cli``: the same as the ``envsound`` command."""

from envsound.cli.main import main

main()
