"""Check candidate rows the same way for every format and turn them into EditStore rows and RowErrors.

Checks are vectorised over the candidates; each problem becomes a
:class:`RowError` naming the row (``line``), the field and a stable code of
:data:`ROW_PROBLEMS` that the web layer translates.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo.errors import InvalidParameter
from geo.planning.edits.validate import CREATE_FIELDS, TEXT_MAX, clean_fields, storable_text
from geo.planning.imports.readers import IMPORT_SOURCE, Extract
from geo.spatial.district import units_outline
from geo.spatial.joins import quartier_lookup
from geo.text import commune_pcode_from_text, compact_name
from geo.vocabulary import KINDS, STORE_CRS

#: Longest facility name accepted, in characters (the editor's limit).
NAME_MAX_CHARS = TEXT_MAX["name"]
#: Decimals kept of longitude/latitude (1e-7° ≈ 1 cm).
COORD_DECIMALS = 7
#: Optional attribute columns, checked with the editor's own rules (:func:`geo.planning.edits.validate.clean_fields`).
ATTRIBUTE_COLUMNS = ("operator_type", "beds", "doctors", "nurses", "pupils", "opening_hours", "note")
#: Per-row problem codes (stable keys the web layer translates) and what they mean.
ROW_PROBLEMS: dict[str, str] = {
    "missing_name": "the name is empty",
    "name_too_long": f"the name is longer than {NAME_MAX_CHARS} characters",
    "unknown_kind": "the kind is not in the vocabulary",
    "missing_coordinates": "no coordinates and no quartier",
    "unparseable_coordinates": "the coordinates cannot be read as numbers",
    "swapped_coordinates": "latitude and longitude are swapped",
    "projected_without_crs": "projected coordinates but the file declares no CRS",
    "coordinates_out_of_range": "a longitude beyond ±180° or a latitude beyond ±90°",
    "outside_district": "the point is outside the District of Bamako",
    "unknown_quartier": "the quartier is not one of the District's",
    "ambiguous_quartier": "the quartier name exists in several communes",
    "invalid_feature": "not a GeoJSON Feature",
    "invalid_geometry": "a road way has no line (fewer than two nodes)",
    # From the editor's field checks (geo.planning.edits.validate), for the optional attributes:
    "not_a_number": "a count is not a number",
    "negative": "a count is below 0",
    "not_integer": "a count is not a whole number",
    "too_large": "a count is implausibly large",
    "text_too_long": "a text is too long",
    "control_characters": "a text holds control characters",
    "unknown_value": "not an allowed value (operator_type)",
    "not_text": "not text",
}
#: Quartier problems and how the message ends.
QUARTIER_PROBLEMS = {
    "unknown_quartier": "is not a quartier of the District",
    "ambiguous_quartier": "exists in several communes; add a commune column",
}

#: Accepted spellings of ``operator_type`` values (``compact_name``) → stored value.
OPERATOR_TYPES: dict[str, str] = {
    "private": "private", "prive": "private", "privee": "private",
    "public": "public", "publique": "public", "etat": "public",
    "community": "community", "communautaire": "community",
    "religious": "religious", "religieux": "religious", "confessionnel": "religious",
    "ngo": "ngo", "ong": "ngo",
}  # fmt: skip


def _kind_lookup() -> dict[str, str]:
    """Return {compact spelling: kind key} over keys, French and English labels and their parts."""
    lookup: dict[str, str] = {}
    for kind in KINDS.values():
        spellings = {kind.key, kind.label_fr, kind.label_en}
        for label in (kind.label_fr, kind.label_en):
            bare = re.sub(r"\(([^)]*)\)", " ", label)
            spellings |= {bare, *re.findall(r"\(([^)]*)\)", label), *bare.split("/")}
        for spelling in spellings:
            lookup.setdefault(compact_name(spelling), kind.key)
    return lookup


#: Compact spelling (key, French or English label, or a part of one) → kind key.
KIND_SPELLINGS: dict[str, str] = _kind_lookup()


@dataclass(frozen=True)
class RowError:
    """One problem of one row: where (``line``), which ``field``, a stable ``problem_code`` and a message."""

    line: str  # "line 12" (CSV), "feature 3" (GeoJSON, GeoPackage), "osm:node/123"
    field: str
    problem_code: str
    message: str
    value: str = ""

    def to_dict(self) -> dict[str, str]:
        """Return the error as a JSON-ready dict."""
        return asdict(self)


def _district_areas(district: object, quartiers: gpd.GeoDataFrame) -> list[shapely.Geometry]:
    """Return the areas a point must fall in: the quartiers' union (the editor's test) and ``district`` if given."""
    areas = [units_outline(quartiers.to_crs(STORE_CRS))]
    if isinstance(district, gpd.GeoDataFrame | gpd.GeoSeries):
        areas.append(units_outline(district.to_crs(STORE_CRS)))
    elif district is not None:
        areas.append(district)
    for area in areas:
        shapely.prepare(area)
    return areas


def _inside(areas: list[shapely.Geometry], x: np.ndarray, y: np.ndarray) -> np.ndarray:
    inside = np.ones(len(x), dtype=bool)
    for area in areas:
        inside &= shapely.intersects_xy(area, x, y)
    return inside


class _Errors:
    """Collects per-row errors by candidate position."""

    def __init__(self, frame: pd.DataFrame):
        self.refs = frame["ref"].to_numpy()
        self.items: list[tuple[int, RowError]] = []
        self.bad = np.zeros(len(frame), dtype=bool)
        self.silent = np.zeros(len(frame), dtype=bool)
        # Rows that are not features at all get that one error, not one per missing field.
        state = frame["coord_state"].to_numpy(dtype=object) if "coord_state" in frame else np.full(len(frame), "")
        self.flag(state == "invalid", "feature", "invalid_feature", lambda _i: "not a GeoJSON Feature object")
        self.silent = self.bad.copy()

    def add(self, pos: int, field_: str, code: str, message: str, value: object = "") -> None:
        """Record one error of the row at ``pos``."""
        error = RowError(str(self.refs[pos]), field_, code, storable_text(message), storable_text(value)[:100])
        self.items.append((int(pos), error))
        self.bad[pos] = True

    def flag(
        self,
        mask: np.ndarray,
        field_: str,
        code: str,
        message: Callable[[int], str],
        value: Callable[[int], object] = lambda _i: "",
    ) -> None:
        """Record one error per position set in ``mask`` (the row is then left out)."""
        mask = mask & ~self.silent
        for pos in np.flatnonzero(mask):
            self.add(pos, field_, code, message(pos), value(pos))


def _text(frame: pd.DataFrame, column: str) -> np.ndarray:
    if column not in frame:
        return np.full(len(frame), "", dtype=object)
    return frame[column].fillna("").astype(str).str.strip().to_numpy(dtype=object)


def _locate_quartiers(
    quartier: np.ndarray, commune: np.ndarray, quartiers: gpd.GeoDataFrame
) -> tuple[np.ndarray, np.ndarray]:
    """Return (pcode or None, problem code or "") for each declared quartier name or P-code."""
    lookup = quartier_lookup(quartiers)
    by_name: dict[str, set[str]] = {}
    for (_commune, name), pcode in lookup.items():
        by_name.setdefault(name, set()).add(pcode)
    pcodes = set(quartiers["pcode"])
    found = np.full(len(quartier), None, dtype=object)
    problem = np.full(len(quartier), "", dtype=object)
    for pos in np.flatnonzero(quartier != ""):
        text = quartier[pos]
        if text.upper() in pcodes:
            found[pos] = text.upper()
            continue
        key = compact_name(text)
        commune_pcode = commune_pcode_from_text(commune[pos]) if commune[pos] else None
        if commune_pcode is not None and (commune_pcode, key) in lookup:
            found[pos] = lookup[(commune_pcode, key)]
        elif len(by_name.get(key, ())) == 1:
            found[pos] = next(iter(by_name[key]))
        else:
            problem[pos] = "ambiguous_quartier" if by_name.get(key) else "unknown_quartier"
    return found, problem


def _check_names(frame: pd.DataFrame, errors: _Errors) -> np.ndarray:
    name = _text(frame, "name")
    errors.flag(name == "", "name", "missing_name", lambda _i: "the name is empty")
    lengths = np.fromiter((len(s) for s in name), dtype=int, count=len(name))
    errors.flag(
        lengths > NAME_MAX_CHARS,
        "name",
        "name_too_long",
        lambda i: f"the name has {lengths[i]} characters, at most {NAME_MAX_CHARS} are accepted",
        lambda i: name[i],
    )
    return name


def _check_kinds(frame: pd.DataFrame, errors: _Errors) -> np.ndarray:
    text = _text(frame, "kind")
    kind = np.array([KIND_SPELLINGS.get(compact_name(k)) for k in text], dtype=object)

    def message(i: int) -> str:
        if not text[i]:
            return "the kind is empty"
        return f"unknown kind {text[i]!r}; use a key ({', '.join(KINDS)}) or its French label"

    errors.flag(pd.isna(kind), "kind", "unknown_kind", message, lambda i: text[i])
    return kind


@dataclass
class _Located:
    """Positions of the candidates (EPSG:4326) and how they were found."""

    x: np.ndarray
    y: np.ndarray
    quartier_pcode: np.ndarray  # P-code for quartier-precision rows, else None
    outside: np.ndarray  # outside the District (swapped or not)


def _locate(
    frame: pd.DataFrame, errors: _Errors, *, quartiers: gpd.GeoDataFrame, district: object, report_outside: bool
) -> _Located:
    n = len(frame)
    state = frame["coord_state"].to_numpy(dtype=object) if "coord_state" in frame else np.full(n, "missing")
    x, y = np.array(frame["x"], dtype=float), np.array(frame["y"], dtype=float)
    coord_text = _text(frame, "coord_text")
    errors.flag(
        state == "unparseable",
        "coordinates",
        "unparseable_coordinates",
        lambda i: f"cannot read coordinates {coord_text[i]!r} as decimal degrees",
        lambda i: coord_text[i],
    )

    quartier_text, commune_text = _text(frame, "quartier"), _text(frame, "commune")
    missing = state == "missing"
    errors.flag(
        missing & (quartier_text == ""),
        "coordinates",
        "missing_coordinates",
        lambda _i: "no coordinates and no quartier to place the facility",
    )
    pcode, problem = _locate_quartiers(np.where(missing, quartier_text, ""), commune_text, quartiers)
    for code, what in QUARTIER_PROBLEMS.items():
        errors.flag(
            problem == code, "quartier", code, lambda i, w=what: f"{quartier_text[i]!r} {w}", lambda i: quartier_text[i]
        )
    by_quartier = ~pd.isna(pcode)
    if by_quartier.any():
        points = quartiers.set_index("pcode").geometry.representative_point()
        chosen = points.loc[list(pcode[by_quartier])]
        x[by_quartier], y[by_quartier] = chosen.x.to_numpy(), chosen.y.to_numpy()
    # Rows keep 7 decimals (1 cm): test what will be stored, or a point on the edge could fail at commit.
    x, y = np.round(x, COORD_DECIMALS), np.round(y, COORD_DECIMALS)

    located = (state == "ok") & np.isfinite(x) & np.isfinite(y)
    # Projected metres are large on both axes; one degree out of range (latitude 95) is a typo, not a projection.
    projected = located & (np.abs(x) > 180) & (np.abs(y) > 90)
    out_of_range = located & ~projected & ((np.abs(x) > 180) | (np.abs(y) > 90))
    errors.flag(
        projected,
        "coordinates",
        "projected_without_crs",
        lambda i: (
            f"({x[i]:.1f}, {y[i]:.1f}) look like projected metres but the file declares no CRS; "
            "declare it or give longitude/latitude"
        ),
        lambda i: f"{x[i]}, {y[i]}",
    )
    errors.flag(
        out_of_range,
        "coordinates",
        "coordinates_out_of_range",
        lambda i: f"latitude {y[i]} is beyond ±90°" if abs(y[i]) > 90 else f"longitude {x[i]} is beyond ±180°",
        lambda i: f"{x[i]}, {y[i]}",
    )
    areas = _district_areas(district, quartiers)
    probe = located & ~projected & ~out_of_range
    outside = np.zeros(n, dtype=bool)
    outside[probe] = ~_inside(areas, x[probe], y[probe])
    swapped = np.zeros(n, dtype=bool)
    swapped[outside] = _inside(areas, y[outside], x[outside])
    if report_outside:
        errors.flag(
            swapped,
            "coordinates",
            "swapped_coordinates",
            lambda i: (
                f"latitude {y[i]:.6f} and longitude {x[i]:.6f} are swapped: the point is in Bamako "
                "only the other way round"
            ),
            lambda i: f"{y[i]}, {x[i]}",
        )
        errors.flag(
            outside & ~swapped,
            "coordinates",
            "outside_district",
            lambda i: f"({y[i]:.6f}, {x[i]:.6f}) is outside the District of Bamako",
            lambda i: f"{y[i]}, {x[i]}",
        )
    return _Located(x, y, np.where(by_quartier, pcode, None), outside)


def _check_attributes(frame: pd.DataFrame, errors: _Errors) -> dict[str, np.ndarray]:
    """Clean the optional attributes with the editor's rules; return their values (None where empty)."""
    out: dict[str, np.ndarray] = {}
    for column in (c for c in ATTRIBUTE_COLUMNS if c in frame):
        text = _text(frame, column)
        values = np.full(len(text), None, dtype=object)
        for pos in np.flatnonzero(text != ""):  # optional columns are mostly empty
            raw = text[pos]
            if column == "operator_type":
                raw = OPERATOR_TYPES.get(compact_name(raw), raw)
            try:
                values[pos] = clean_fields({column: raw}, allowed=CREATE_FIELDS, required=False)[column]
            except InvalidParameter as exc:
                errors.add(pos, column, exc.code, f"{column}: {exc.message}", text[pos])
        out[column] = values
    return out


def _declared_names(
    frame: pd.DataFrame, quartier_pcode: np.ndarray, quartiers: gpd.GeoDataFrame
) -> dict[str, np.ndarray]:
    """Return the declared quartier/commune names: as written, else the located quartier's (as the editor does)."""
    quartier, commune = _text(frame, "quartier"), _text(frame, "commune")
    placed = ~pd.isna(quartier_pcode)
    if placed.any() and "commune_name" in quartiers:
        units = quartiers.set_index("pcode")
        codes = list(quartier_pcode[placed])
        commune[placed] = np.where(commune[placed] == "", units.loc[codes, "commune_name"].to_numpy(), commune[placed])
    return {"quartier_declared": quartier, "commune_declared": commune}


def validate(
    extract: Extract, *, filename: str, quartiers: gpd.GeoDataFrame, district: object
) -> tuple[list[dict[str, Any]], list[RowError], dict[str, int]]:
    """Check every candidate of ``extract``; return (valid rows, errors in row order, skipped counts).

    A row with any error is left out whole. For extracts that cover more than
    the District (OpenStreetMap), points outside it are counted in
    ``skipped["outside_district"]`` instead of being reported one by one.
    """
    frame = extract.frame.reset_index(drop=True)
    errors = _Errors(frame)
    name = _check_names(frame, errors)
    kind = _check_kinds(frame, errors)
    attrs = _check_attributes(frame, errors)
    where = _locate(frame, errors, quartiers=quartiers, district=district, report_outside=not extract.skip_outside)
    skipped = dict(extract.skipped)
    keep = ~errors.bad
    if extract.skip_outside:
        skipped["outside_district"] = int(where.outside.sum())
        keep &= ~where.outside
    refs = frame["ref"].astype(str).to_numpy()
    declared = _declared_names(frame, where.quartier_pcode, quartiers)
    file_ref = filename.replace(";", ",")
    rows = []
    for i in np.flatnonzero(keep):
        fields: dict[str, Any] = {
            "kind": kind[i],
            "name": name[i],
            "location_precision": "exact" if where.quartier_pcode[i] is None else "quartier",
            "sources": extract.source,
            "source_refs": refs[i] if extract.source != IMPORT_SOURCE else f"{IMPORT_SOURCE}:{file_ref}:{refs[i]}",
        }
        for column, values in (declared | attrs).items():
            if values[i] is not None and values[i] != "":
                fields[column] = values[i]
        try:  # the editor's own checks: a row shown as valid here cannot fail at commit
            fields = clean_fields(fields, allowed=CREATE_FIELDS, required=True)
        except InvalidParameter as exc:
            errors.add(i, exc.parameter, exc.code, f"{exc.parameter}: {exc.message}", fields.get(exc.parameter, ""))
            continue
        rows.append(
            {
                "line": refs[i],
                "fields": fields,
                "lonlat": [float(where.x[i]), float(where.y[i])],
                "quartier_pcode": where.quartier_pcode[i],
            }
        )
    ordered = [error for _pos, error in sorted(errors.items, key=lambda item: item[0])]
    return rows, ordered, skipped
