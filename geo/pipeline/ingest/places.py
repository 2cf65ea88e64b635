"""Read the project's own table of places (``data/places.csv``): CLAEC, sports grounds, stadiums.

Each row is a fact compiled from a cited public source (``source_url``; the
provenance is described in ``data/README.md``). A row has coordinates and
precision "cited_point", or no coordinates and precision "quartier" or "commune": it
then gets an empty geometry, and :func:`geo.spatial.joins.place_unlocated` puts it at
its unit's representative point.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
from shapely import Point

from geo.errors import DataError
from geo.spatial.joins import quartier_lookup
from geo.text import commune_pcode_from_text, compact_name, normalize_name
from geo.vocabulary import CONFIDENCES, KINDS, METRIC_CRS, PLACED_PRECISIONS, SOURCE_FACILITY_COLUMNS, STORE_CRS

log = logging.getLogger(__name__)

SOURCE_KEY = "places"
#: Precision classes a row of data/places.csv may have: a point from its cited source, or a unit.
PLACE_PRECISIONS = ("cited_point", *PLACED_PRECISIONS)
#: Columns of data/places.csv, in order.
PLACES_COLUMNS = (
    "kind", "name", "commune", "quartier", "lat", "lon", "precision", "confidence", "source_url", "note", "note_fr",
)  # fmt: skip
#: (lon_min, lat_min, lon_max, lat_max) in degrees that every coordinate must fall in: the District
#: with a margin. Catches swapped or mistyped coordinates.
BAMAKO_BOUNDS = (-8.25, 12.40, -7.75, 12.85)
#: A place and a survey row of a kind it may duplicate closer than this are one facility.
MERGE_DISTANCE_M = 5.0
#: Place kind → survey kinds a row of that place kind may duplicate.
SURVEY_TWINS: dict[str, tuple[str, ...]] = {"claec": ("kindergarten",)}
#: Columns copied from the survey row when the place leaves them empty.
_FILLED_FROM_SURVEY = ("operator_type", "opening_hours", "beds", "doctors", "nurses", "pupils")
_NUMERIC_COLUMNS = ("beds", "doctors", "nurses", "pupils")


def place_id(name: str) -> str:
    """Return the stable id of a place: "lieu-" and the folded name with hyphens.

    >>> place_id("CLAEC Commune II")
    'lieu-claec-commune-ii'
    """
    return "lieu-" + normalize_name(name).replace(" ", "-")


def read_places(path: Path, quartiers: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Read and validate the places table into ``SOURCE_FACILITY_COLUMNS`` + geometry (EPSG:4326).

    Parameters
    ----------
    path
        ``data/places.csv`` (UTF-8, columns ``PLACES_COLUMNS``).
    quartiers
        COD-AB quartiers (``pcode``, ``name``, ``alt_name``, ``commune_pcode``);
        a declared quartier must be one of them, within the declared commune.

    Returns
    -------
    geopandas.GeoDataFrame
        One row per place, ids "lieu-<slug of the name>", ``sources`` "places",
        ``source_refs`` the source URL(s) separated by spaces; rows without
        coordinates have an empty point.

    Raises
    ------
    DataError
        The columns differ from ``PLACES_COLUMNS`` or some values are invalid;
        every problem is listed with its row number (1 = first data row) and field.
    """
    path = Path(path)
    try:
        table = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")
    except (OSError, ValueError) as exc:
        raise DataError(f"{path}: cannot read the places table ({type(exc).__name__}: {exc})") from None
    if tuple(table.columns) != PLACES_COLUMNS:
        raise DataError(f"{path}: columns must be {list(PLACES_COLUMNS)}, found {list(table.columns)}")
    table = table.apply(lambda column: column.str.strip())
    problems = validate_places(table, quartiers)
    if problems:
        raise DataError(f"{path}: {len(problems)} invalid value(s): " + "; ".join(problems))

    located = table["lat"] != ""
    frame = pd.DataFrame({column: "" for column in SOURCE_FACILITY_COLUMNS}, index=table.index)
    frame = frame.assign(
        id=table["name"].map(place_id),
        kind=table["kind"],
        name=table["name"],
        commune_declared=table["commune"],
        quartier_declared=table["quartier"],
        location_precision=table["precision"],
        sources=SOURCE_KEY,
        source_refs=table["source_url"].map(lambda urls: " ".join(urls.split())),
        confidence=table["confidence"],
        note=table["note"],
        note_fr=table["note_fr"],
    )
    for column in _NUMERIC_COLUMNS:
        frame[column] = pd.array([pd.NA] * len(frame), dtype="Int64")
    geometry = [
        Point(float(lon), float(lat)) if has else Point()
        for lat, lon, has in zip(table["lat"], table["lon"], located, strict=True)
    ]
    places = gpd.GeoDataFrame(frame[list(SOURCE_FACILITY_COLUMNS)], geometry=geometry, crs=STORE_CRS)
    log.info("%s: %d places (%d with coordinates)", path.name, len(places), int(located.sum()))
    return places


def validate_places(table: pd.DataFrame, quartiers: gpd.GeoDataFrame) -> list[str]:
    """Return every problem of the places table as "row N, field: message" (empty when valid)."""
    lookup = quartier_lookup(quartiers)
    problems: list[str] = []
    for number, row in enumerate(table.to_dict("records"), start=1):
        for field, check in _CHECKS:
            message = check(row, lookup)
            if message:
                problems.append(f"row {number}, {field}: {message}")
    ids = table["name"].map(place_id)
    for number in np.flatnonzero(ids.duplicated().to_numpy()) + 1:
        problems.append(f"row {number}, name: gives the id {ids.iloc[number - 1]!r} of an earlier row")
    return problems


def _check_kind(row: dict[str, str], _lookup: object) -> str:
    return "" if row["kind"] in KINDS else f"{row['kind']!r} is not a kind; allowed: {', '.join(KINDS)}"


def _check_name(row: dict[str, str], _lookup: object) -> str:
    return "" if normalize_name(row["name"]) else "is empty"


def _check_precision(row: dict[str, str], _lookup: object) -> str:
    if row["precision"] not in PLACE_PRECISIONS:
        return f"{row['precision']!r} is not a precision; allowed: {', '.join(PLACE_PRECISIONS)}"
    has_point = bool(row["lat"] or row["lon"])
    if (row["precision"] == "cited_point") != has_point:
        return "must be 'cited_point' with coordinates and 'quartier' or 'commune' without"
    return ""


def _check_confidence(row: dict[str, str], _lookup: object) -> str:
    if row["confidence"] in CONFIDENCES:
        return ""
    return f"{row['confidence']!r} is not a confidence; allowed: {', '.join(CONFIDENCES)}"


def _coordinate_problem(text: str, low: float, high: float) -> str:
    try:
        value = float(text)
    except ValueError:
        return f"{text!r} is not a number"
    if not math.isfinite(value) or not low <= value <= high:
        return f"{value} is outside {low}…{high} (the District with a margin)"
    return ""


def _check_lat(row: dict[str, str], _lookup: object) -> str:
    if bool(row["lat"]) != bool(row["lon"]):
        return "lat and lon must be given both or neither"
    return _coordinate_problem(row["lat"], BAMAKO_BOUNDS[1], BAMAKO_BOUNDS[3]) if row["lat"] else ""


def _check_lon(row: dict[str, str], _lookup: object) -> str:
    return _coordinate_problem(row["lon"], BAMAKO_BOUNDS[0], BAMAKO_BOUNDS[2]) if row["lon"] else ""


def _check_commune(row: dict[str, str], _lookup: object) -> str:
    if not row["commune"]:
        return (
            ""
            if row["precision"] == "cited_point" and not row["quartier"]
            else "is required without coordinates or with a quartier"
        )
    return (
        ""
        if commune_pcode_from_text(row["commune"])
        else f"{row['commune']!r} is not a commune (write 'Commune I'…'Commune VI')"
    )


def _check_quartier(row: dict[str, str], lookup: dict[tuple[str, str], str]) -> str:
    if not row["quartier"]:
        return "is required with precision 'quartier'" if row["precision"] == "quartier" else ""
    commune = commune_pcode_from_text(row["commune"])
    if commune and (commune, compact_name(row["quartier"])) not in lookup:
        return f"{row['quartier']!r} is not a COD-AB quartier name of {row['commune']}"
    return ""


def _check_note_fr(row: dict[str, str], _lookup: object) -> str:
    return "is empty: every note needs its French translation" if row["note"] and not row["note_fr"] else ""


def _check_source_url(row: dict[str, str], _lookup: object) -> str:
    urls = row["source_url"].split()
    if not urls:
        return "is empty: every place needs a source"
    bad = [u for u in urls if not u.startswith(("https://", "http://")) or ";" in u]
    return f"{bad} are not http(s) URLs without ';'" if bad else ""


#: (field, check) pairs run on every row; a check returns "" or a message.
_CHECKS: tuple[tuple[str, Callable[[dict[str, str], dict[tuple[str, str], str]], str]], ...] = (
    ("kind", _check_kind),
    ("name", _check_name),
    ("precision", _check_precision),
    ("confidence", _check_confidence),
    ("lat", _check_lat),
    ("lon", _check_lon),
    ("commune", _check_commune),
    ("quartier", _check_quartier),
    ("source_url", _check_source_url),
    ("note_fr", _check_note_fr),
)


def merge_survey_duplicates(
    places: gpd.GeoDataFrame, education: gpd.GeoDataFrame, *, max_distance_m: float = MERGE_DISTANCE_M
) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    """Merge survey rows that are the same facility as a place (e.g. a CLAEC surveyed as a kindergarten).

    A located place of a kind in ``SURVEY_TWINS`` is matched with the nearest
    survey row of a twin kind within ``max_distance_m`` (measured in
    EPSG:32629). The survey row is removed; the place keeps its name, takes
    the survey's GPS point and its precision class (``gps_survey``), and gets
    the survey's source and row reference appended to ``sources`` and
    ``source_refs``, the survey's values where its own are empty, and a note.

    Returns
    -------
    tuple of geopandas.GeoDataFrame
        ``(places, education)`` after the merge, both EPSG:4326.

    Raises
    ------
    DataError
        The CRS differ, or one survey row is the nearest match of two places.
    """
    if str(places.crs) != str(education.crs):
        raise DataError(f"CRS mismatch between places ({places.crs}) and survey ({education.crs})")
    places, education = places.copy(), education.copy()
    near = pd.concat(
        [_nearest_twins(places, education, kind, twins, max_distance_m) for kind, twins in SURVEY_TWINS.items()]
    )
    if near.empty:
        return places, education
    taken = near["survey_index"].duplicated(keep=False)
    if taken.any():
        ids = places.loc[near.index[taken], "id"].tolist()
        raise DataError(f"places {ids} all match the same survey row within {max_distance_m} m")
    for place_index, survey_index, distance in zip(near.index, near["survey_index"], near["distance_m"], strict=True):
        survey = education.loc[survey_index]
        places.at[place_index, "sources"] += ";" + survey["sources"]
        places.at[place_index, "source_refs"] += ";" + survey["source_refs"]
        for column in _FILLED_FROM_SURVEY:
            own = places.at[place_index, column]
            if pd.isna(own) or own == "":
                places.at[place_index, column] = survey[column]
        # The survey's GPS point is the position (the cited point was read off it): its precision class too.
        places.at[place_index, "geometry"] = survey.geometry
        places.at[place_index, "location_precision"] = survey["location_precision"]
        merged = f'same facility as survey row {survey["id"]} ("{survey["name"]}", {distance:.0f} m)'
        # The same (English) segment ends the French note: geo.publication.phrases translates it for display.
        for column in ("note", "note_fr"):
            places.at[place_index, column] = "; ".join(p for p in (places.at[place_index, column], merged) if p)
    log.info("merged %d survey row(s) into places", len(near))
    return places, education.drop(index=near["survey_index"])


def _nearest_twins(
    places: gpd.GeoDataFrame, survey: gpd.GeoDataFrame, kind: str, twins: tuple[str, ...], max_distance_m: float
) -> pd.DataFrame:
    """Return, per located place of ``kind``, the nearest survey row of a twin kind within the distance.

    The frame is indexed by the place index, with ``survey_index`` and ``distance_m`` (metres).
    """
    located = places[(places["kind"] == kind) & ~(places.geometry.isna() | places.geometry.is_empty)]
    candidates = survey[survey["kind"].isin(twins)]
    empty = pd.DataFrame({"survey_index": pd.Series(dtype=object), "distance_m": pd.Series(dtype=float)})
    if located.empty or candidates.empty:
        return empty
    near = gpd.sjoin_nearest(
        located[["geometry"]].to_crs(METRIC_CRS),
        candidates[["geometry"]].to_crs(METRIC_CRS),
        how="inner",
        max_distance=max_distance_m,
        distance_col="distance_m",
    )
    if near.empty:
        return empty
    near = near.rename(columns={"index_right": "survey_index"})
    # Ties (two survey rows at the same distance) keep the first survey row.
    near = near.sort_values(["distance_m", "survey_index"], kind="stable").groupby(level=0).head(1)
    return pd.DataFrame(near[["survey_index", "distance_m"]])
