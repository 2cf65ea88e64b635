"""Check planner input before it reaches the edit store: fields, positions, reasons.

Every problem raises :class:`geo.errors.InvalidParameter` naming the field, with
a stable ``code`` the web layer translates (``unknown_kind``, ``name_required``,
``name_too_long``, ``outside_district`` …) and an English message. Values are
returned cleaned (numbers as ``int``, text with surrounding blanks removed) but
never escaped: names are stored as typed and escaped where they are displayed.
Positions are lon/lat in EPSG:4326 (degrees).
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import numpy as np
import shapely

from geo.errors import InvalidParameter
from geo.pipeline.ingest.surveys import HARD_MAX, OPERATOR_TYPES
from geo.spatial.district import units_outline
from geo.vocabulary import CONFIDENCES, KINDS, PRECISIONS, STORE_CRS

#: Maximum length (characters) of each text field a planner may set.
TEXT_MAX: dict[str, int] = {
    "name": 200,
    "commune_declared": 200,
    "quartier_declared": 200,
    "opening_hours": 200,
    "note": 2000,
    "sources": 2000,
    "source_refs": 2000,
}
#: Count fields: whole numbers in [0, HARD_MAX] (the same bounds as the survey ingest).
NUMERIC_MAX: dict[str, int] = dict(HARD_MAX)
#: Closed vocabularies of the other fields ("" allowed: unknown).
CHOICES: dict[str, tuple[str, ...]] = {
    "kind": tuple(KINDS),
    "location_precision": PRECISIONS,
    "operator_type": ("", *sorted(set(OPERATOR_TYPES.values()))),
    "confidence": ("", *CONFIDENCES),
}
#: Fields an update may change (ids, sources and the spatial join are not editable).
EDITABLE_FIELDS: tuple[str, ...] = (
    "kind",
    "name",
    "location_precision",
    "commune_declared",
    "quartier_declared",
    "operator_type",
    "beds",
    "doctors",
    "nurses",
    "opening_hours",
    "pupils",
    "confidence",
    "note",
)
#: Fields a create (or an import row) may set.
CREATE_FIELDS: tuple[str, ...] = EDITABLE_FIELDS + ("sources", "source_refs")
#: Longest reason accepted for a retire, merge or revert.
REASON_MAX = 500

#: Envelope (degrees, EPSG:4326: min lon, min lat, max lon, max lat) every facility position must lie in,
#: confirmed "outside the District" ones included: the District (about 8.10–7.89° W, 12.48–12.73° N) with
#: a margin of about 1° (110 km) that keeps every source point (Kati-cercle CSCOMs at 8.88° W, survey points
#: down to 11.76° N). Farther points are typing errors, and they break the metric projection (UTM 29N,
#: EPSG:32629) every distance is measured in: (-99, 0) projects to infinity.
ENVELOPE: tuple[float, float, float, float] = (-9.0, 11.5, -7.0, 13.5)

# C0 controls and DEL break CSV, KML (XML 1.0) and terminals; a note may keep line breaks and tabs.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_CONTROL_STRICT = re.compile(r"[\x00-\x1f\x7f]")
# Text that XML 1.0 (KML) and UTF-8 (SQLite, JSON) cannot carry: C1 controls, surrogates, noncharacters.
_UNSTORABLE = re.compile(
    "[\x80-\x9f\ud800-\udfff\ufdd0-\ufdef"
    + "".join(f"{chr(plane * 0x10000 + 0xFFFE)}{chr(plane * 0x10000 + 0xFFFF)}" for plane in range(17))
    + "]"
)


def storable_text(value: object) -> str:
    """Return ``str(value)`` with control characters, surrogates and noncharacters replaced by U+FFFD.

    For echoing refused input back (error values, ignored column names): the
    text itself is refused, but the message about it must still be storable.
    """
    return _UNSTORABLE.sub("\ufffd", _CONTROL_STRICT.sub("\ufffd", str(value)))


def _text(field: str, value: Any) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise InvalidParameter(field, f"expected text, got {type(value).__name__}", code="not_text")
    value = value.strip()
    pattern = _CONTROL if field == "note" else _CONTROL_STRICT
    found = pattern.search(value) or _UNSTORABLE.search(value)
    if found:
        raise InvalidParameter(
            field,
            f"control characters, surrogates and Unicode noncharacters are not allowed (U+{ord(found.group()):04X})",
            code="control_characters",
        )
    limit = TEXT_MAX[field]
    if len(value) > limit:
        code = "name_too_long" if field == "name" else "text_too_long"
        raise InvalidParameter(field, f"at most {limit} characters, got {len(value)}", code=code)
    return value


#: A count as text: ASCII digits, optionally a decimal part ("12", "12.0", "12,0"; "-3" is refused as negative).
_COUNT_TEXT = re.compile(r"-?[0-9]{1,30}(?:[.,][0-9]{1,30})?")


def _count(field: str, value: Any) -> int | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, bool):
        raise InvalidParameter(field, "expected a number, got a boolean", code="not_a_number")
    if isinstance(value, str):
        # ASCII digits only: float() would also take "٣", "1_000", "1e3", "inf" and "nan".
        if not _COUNT_TEXT.fullmatch(value.strip()):
            raise InvalidParameter(field, f"expected a number, got {value[:40]!r}", code="not_a_number")
        value = float(value.strip().replace(",", "."))
    if not isinstance(value, int | float | np.integer | np.floating):
        raise InvalidParameter(field, f"expected a number, got {type(value).__name__}", code="not_a_number")
    if isinstance(value, float | np.floating) and math.isnan(value):
        return None
    if not math.isfinite(value):
        raise InvalidParameter(field, "expected a finite number", code="not_a_number")
    if value < 0:
        raise InvalidParameter(field, f"must be 0 or more, got {value}", code="negative")
    if value != int(value):
        raise InvalidParameter(field, f"expected a whole number, got {value}", code="not_integer")
    if value > NUMERIC_MAX[field]:
        raise InvalidParameter(field, f"at most {NUMERIC_MAX[field]}, got {value}", code="too_large")
    return int(value)


def _choice(field: str, value: Any) -> str:
    value = "" if value is None else value
    allowed = CHOICES[field]
    if value not in allowed:
        code = {"kind": "unknown_kind", "location_precision": "unknown_precision"}.get(field, "unknown_value")
        shown = ", ".join(repr(a) for a in allowed)
        raise InvalidParameter(field, f"unknown value {value!r}; allowed: {shown}", code=code)
    return value


def _cleaner(field: str):
    if field in CHOICES:
        return _choice
    if field in NUMERIC_MAX:
        return _count
    return _text


def clean_fields(fields: Mapping[str, Any], *, allowed: tuple[str, ...], required: bool) -> dict[str, Any]:
    """Return ``fields`` validated and cleaned, or raise InvalidParameter for the first problem.

    Parameters
    ----------
    fields
        Facility columns to set, e.g. ``{"name": "ASACOBA", "kind": "cscom", "beds": "12"}``.
    allowed
        The field names the caller may set (``CREATE_FIELDS`` or ``EDITABLE_FIELDS``).
    required
        True for a new facility: ``kind`` and ``name`` must be present and not empty.
    """
    unknown = sorted(set(fields) - set(allowed))
    if unknown:
        raise InvalidParameter(
            unknown[0], f"not an editable field; allowed: {', '.join(allowed)}", code="unknown_field"
        )
    clean = {field: _cleaner(field)(field, value) for field, value in fields.items()}
    if required and "kind" not in clean:
        raise InvalidParameter("kind", "a kind is required", code="kind_required")
    if (required or "name" in clean) and not clean.get("name"):
        raise InvalidParameter("name", "a name is required", code="name_required")
    return clean


def clean_reason(reason: Any, *, required: bool) -> str:
    """Return the reason text cleaned; raise ``reason_required`` / ``reason_too_long``."""
    if reason is None:
        reason = ""
    if not isinstance(reason, str):
        raise InvalidParameter("reason", "expected text", code="not_text")
    reason = reason.strip()
    if required and not reason:
        raise InvalidParameter("reason", "a reason is required", code="reason_required")
    if len(reason) > REASON_MAX:
        raise InvalidParameter("reason", f"at most {REASON_MAX} characters", code="reason_too_long")
    if _CONTROL.search(reason) or _UNSTORABLE.search(reason):
        raise InvalidParameter(
            "reason", "control characters, surrogates and noncharacters are not allowed", code="control_characters"
        )
    return reason


def clean_lonlat(lonlat: Any) -> tuple[float, float]:
    """Return ``(lon, lat)`` as floats in degrees; raise ``bad_coordinates`` or ``outside_envelope`` (:data:`ENVELOPE`)."""
    try:
        lon, lat = (float(v) for v in lonlat)
    except (TypeError, ValueError):
        raise InvalidParameter(
            "lonlat", f"expected two numbers (longitude, latitude), got {lonlat!r}", code="bad_coordinates"
        ) from None
    if not (math.isfinite(lon) and math.isfinite(lat) and -180 <= lon <= 180 and -90 <= lat <= 90):
        raise InvalidParameter(
            "lonlat", f"({lon}, {lat}) is not a longitude/latitude pair in degrees", code="bad_coordinates"
        )
    if not in_envelope(lon, lat) and in_envelope(lat, lon):
        raise InvalidParameter(
            "lonlat",
            f"({lon}, {lat}) is far from Bamako but ({lat}, {lon}) is near it: longitude and latitude look swapped",
            code="swapped_coordinates",
        )
    if not in_envelope(lon, lat):
        raise InvalidParameter(
            "lonlat",
            f"({lon}, {lat}) is far from Bamako: positions must lie within longitude {ENVELOPE[0]}…{ENVELOPE[2]} "
            f"and latitude {ENVELOPE[1]}…{ENVELOPE[3]}, even when confirmed outside the District",
            code="outside_envelope",
        )
    return lon, lat


def in_envelope(lon: np.ndarray | float, lat: np.ndarray | float) -> np.ndarray:
    """Return True where the point (EPSG:4326 degrees) lies inside :data:`ENVELOPE`."""
    min_lon, min_lat, max_lon, max_lat = ENVELOPE
    return (
        (np.asarray(lon) >= min_lon)
        & (np.asarray(lon) <= max_lon)
        & (np.asarray(lat) >= min_lat)
        & (np.asarray(lat) <= max_lat)
    )


@dataclass(frozen=True)
class District:
    """The District of Bamako as the union of its quartiers, prepared for fast point tests (EPSG:4326)."""

    area: shapely.Geometry
    quartiers: gpd.GeoDataFrame

    @classmethod
    def from_quartiers(cls, quartiers: gpd.GeoDataFrame) -> District:
        """Build from the ``quartiers`` layer (EPSG:4326, columns ``pcode``, ``name``, ``commune_*``)."""
        if str(quartiers.crs) != STORE_CRS:
            quartiers = quartiers.to_crs(STORE_CRS)
        area = units_outline(quartiers)
        shapely.prepare(area)
        return cls(area=area, quartiers=quartiers.set_index("pcode", drop=False))

    def contains(self, lon: np.ndarray | float, lat: np.ndarray | float) -> np.ndarray:
        """Return True where the point lies inside or on the District's boundary."""
        return shapely.intersects_xy(self.area, lon, lat)

    def check(self, lon: float, lat: float, *, confirm_outside: bool, field: str = "lonlat") -> bool:
        """Return whether the point is inside; raise unless inside or explicitly confirmed.

        A point outside whose swapped coordinates fall inside is refused even
        when confirmed (``swapped_coordinates``): it is a typing error, not a
        facility outside the District.
        """
        if bool(self.contains(lon, lat)):
            return True
        if bool(self.contains(lat, lon)):
            raise InvalidParameter(
                field,
                f"({lon}, {lat}) is outside the District but ({lat}, {lon}) is inside: "
                "longitude and latitude look swapped",
                code="swapped_coordinates",
            )
        if not confirm_outside:
            raise InvalidParameter(
                field,
                f"({lon:.6f}, {lat:.6f}) is outside the District of Bamako; confirm to keep it (flagged outside)",
                code="outside_district",
            )
        return False

    def quartier_point(self, pcode: str) -> tuple[float, float, dict[str, str]]:
        """Return the representative point (lon, lat) of quartier ``pcode`` and its names.

        Raises ``unknown_quartier`` when ``pcode`` is not a quartier P-code.
        """
        if pcode not in self.quartiers.index:
            raise InvalidParameter("quartier_pcode", f"unknown quartier {pcode!r}", code="unknown_quartier")
        row = self.quartiers.loc[pcode]
        point = row.geometry.representative_point()
        names = {"quartier_declared": str(row.get("name", "")), "commune_declared": str(row.get("commune_name", ""))}
        return point.x, point.y, names
