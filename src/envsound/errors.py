"""Errors a user can cause. The CLI prints them as one line, without a traceback."""

from __future__ import annotations


class EnvsoundError(Exception):
    """Base class: anything the user can fix by changing input, paths or options."""


class AudioError(EnvsoundError):
    """An audio file is missing, unreadable, empty or not audio."""


class DatasetError(EnvsoundError):
    """A dataset layout, manifest or CSV is malformed or incomplete."""


class DownloadError(EnvsoundError):
    """A download failed or its checksum did not match."""


class ConfigError(EnvsoundError):
    """An option or configuration value is invalid."""


class RunError(EnvsoundError):
    """A run directory is missing, incomplete or incompatible with the request."""
