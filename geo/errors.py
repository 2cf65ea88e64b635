"""Exceptions raised by the atlas library.

Each carries a message that is safe to show to a user; the web layer and the
CLI translate them to HTTP statuses or exit codes in one place each.
"""

from __future__ import annotations


class AtlasError(Exception):
    """Base class of every error the library raises on purpose."""


class InvalidParameter(AtlasError):
    """A caller-supplied value is malformed or out of range."""

    def __init__(self, parameter: str, message: str):
        super().__init__(f"{parameter}: {message}")
        self.parameter = parameter
        self.message = message


class LayerNotFound(AtlasError):
    """A layer, unit or facility that does not exist was asked for."""


class SourceError(AtlasError):
    """An upstream source is missing, unreachable or corrupt."""


class ChecksumMismatch(SourceError):
    """A downloaded or mirrored file does not have the pinned sha256."""

    def __init__(self, path: str, expected: str, actual: str):
        super().__init__(
            f"{path}: sha256 mismatch, expected {expected} but the file has {actual}; "
            "the file was refused and nothing was written"
        )
        self.path, self.expected, self.actual = path, expected, actual


class StoreError(AtlasError):
    """The atlas store is missing, unreadable or was built by an incompatible version."""


class DataError(AtlasError):
    """A source file has content the build cannot use (bad rows, missing columns)."""
