"""Exceptions raised by the atlas library.

Each carries a message that is safe to show to a user; the web layer and the
CLI translate them to HTTP statuses or exit codes in one place each.
"""

from __future__ import annotations


class AtlasError(Exception):
    """Base class of every error the library raises on purpose."""


class InvalidParameter(AtlasError):
    """A caller-supplied value is malformed or out of range."""

    def __init__(self, parameter: str, message: str, *, code: str = "invalid"):
        super().__init__(f"{parameter}: {message}")
        self.parameter = parameter
        self.message = message
        #: Stable key of the problem (e.g. "name_required") the web layer translates.
        self.code = code


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


class VersionConflict(AtlasError):
    """A facility was changed by someone else since the version the caller edited.

    ``current`` holds the facility as it is now (its fields, position and
    version), so the caller can show it and let the user redo the edit.
    """

    def __init__(self, facility_id: str, *, expected: int, current: dict):
        super().__init__(
            f"facility {facility_id!r} was changed by someone else: you edited version {expected}, "
            f"it is now at version {current.get('version')}; reload it and redo the change"
        )
        self.facility_id = facility_id
        self.expected = expected
        self.current = current


class AuthRequired(AtlasError):
    """The request needs a signed-in user (or valid credentials) and has none."""


class PermissionDenied(AtlasError):
    """The signed-in user's role does not allow the action."""


class RateLimited(AtlasError):
    """Too many failed attempts: further attempts are refused for a while (HTTP 429, not 401).

    ``retry_after_s`` is how long (seconds) until attempts are accepted again.
    """

    def __init__(self, message: str, *, retry_after_s: int = 0):
        super().__init__(message)
        self.retry_after_s = retry_after_s
