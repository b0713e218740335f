"""Exceptions that carry a message a user can act on.

The CLI prints ``str(exc)`` on one line and exits with ``exc.exit_code``.
"""
from __future__ import annotations


class KneeCvError(Exception):
    """Base class for every error knee-cv raises on purpose."""

    exit_code = 1


class InputError(KneeCvError):
    """The input (video, landmark file, config) cannot be used."""

    exit_code = 2


class NoPersonError(InputError):
    """No person was found in the video."""


class ModelError(KneeCvError):
    """A pose model is missing, cannot be downloaded, or fails verification."""

    exit_code = 3


class CameraError(KneeCvError):
    """A camera cannot be opened or stopped delivering frames."""

    exit_code = 4


class ConfigError(InputError):
    """A settings file is malformed or names unknown settings."""


class OutputError(KneeCvError):
    """An output folder or file cannot be created or written."""

    exit_code = 5
