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


class NotFound(AtlasError):
    """Something that does not exist was asked for (HTTP 404); subclasses say what.

    ``code`` is a stable key of what was missing (e.g. ``"facility_not_found"``).
    """

    code = "not_found"


class LayerNotFound(NotFound):
    """A layer, an OGC collection or a facility kind used as a layer does not exist."""

    code = "layer_not_found"


class FeatureNotFound(NotFound):
    """A feature of an OGC collection does not exist."""

    code = "feature_not_found"


class FacilityNotFound(NotFound):
    """No facility has the given id."""

    code = "facility_not_found"


class UnitNotFound(NotFound):
    """No commune or quartier has the given P-code."""

    code = "unit_not_found"


class FormatNotFound(NotFound):
    """A file asked for in a format the atlas does not write."""

    code = "format_not_found"


class MapNotFound(NotFound):
    """No print map (``/maps/<name>``) has the given name."""

    code = "map_not_found"


class UserNotFound(NotFound):
    """No account has the given name."""

    code = "user_not_found"


class TokenNotFound(NotFound):
    """No active API token matches the given token or prefix."""

    code = "token_not_found"


class ChangeNotFound(NotFound):
    """No recorded change has the given id."""

    code = "change_not_found"


class ImportNotFound(NotFound):
    """No import has the given id."""

    code = "import_not_found"


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
