"""Landmarks of the atlas's own basemap (``data/landmarks.csv``): bridges, the airport, a stadium, a few buildings.

Planners orient by them; the web map draws them as small labelled symbols on the
« atlas » basemap. A row gives its position in one of three ways (``position``):
``cited`` (``lat``/``lon`` from its ``source_url``), or the row ``ref`` of
``data/crossings.csv`` or ``data/places.csv`` (those tables cite the position, so it
is written once). Provenance in ``data/README.md``.
"""

from __future__ import annotations

import csv
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import shapely

from geo.analysis.travel.crossings import read_crossings
from geo.errors import DataError
from geo.pipeline.ingest.places import BAMAKO_BOUNDS
from geo.publication import codec
from geo.settings import data_dir

#: Columns of data/landmarks.csv, in order.
LANDMARK_COLUMNS = ("name_fr", "name_en", "kind", "lat", "lon", "position", "ref", "min_zoom", "source_url", "note")
#: Kinds of landmarks (each has its symbol in webmap/static/atlas.css, ``.lm-<kind>``).
LANDMARK_KINDS = ("airport", "bridge", "hospital", "mosque", "palace", "stadium")
#: Where a landmark's position comes from: its own cited coordinates, or a row of another project table.
LANDMARK_POSITIONS = ("cited", "crossings.csv", "places.csv")
#: Zooms a landmark may start at (the web map's range).
ZOOM_RANGE = (9, 18)


@dataclass(frozen=True)
class Landmark:
    """One landmark: names, kind, WGS 84 degrees, the zoom it shows from, the pages that cite its position."""

    name_fr: str
    name_en: str
    kind: str
    lat: float
    lon: float
    min_zoom: int
    source_url: str
    precision: str  # "coordinates" (cited), or the precision class of the referenced row


def _places_positions(path: Path) -> dict[str, tuple[float, float, str]]:
    """Return name → (lat, lon, source URLs) of the located rows of data/places.csv."""
    with path.open(newline="", encoding="utf-8") as f:
        return {r["name"]: (float(r["lat"]), float(r["lon"]), r["source_url"]) for r in csv.DictReader(f) if r["lat"]}


def _problems(number: int, row: dict[str, str], crossings: dict, places: dict) -> list[str]:
    """Return "row N, field: message" for each invalid value of one landmark row."""
    out = []

    def bad(field: str, message: str) -> None:
        out.append(f"row {number}, {field}: {message}")

    for field in ("name_fr", "name_en"):
        if not row[field]:
            bad(field, "is empty")
    if row["kind"] not in LANDMARK_KINDS:
        bad("kind", f"{row['kind']!r} is not a kind; allowed: {', '.join(LANDMARK_KINDS)}")
    if not row["min_zoom"].isdigit() or not ZOOM_RANGE[0] <= int(row["min_zoom"]) <= ZOOM_RANGE[1]:
        bad("min_zoom", f"{row['min_zoom']!r} is not a zoom from {ZOOM_RANGE[0]} to {ZOOM_RANGE[1]}")
    position = row["position"]
    if position not in LANDMARK_POSITIONS:
        bad("position", f"{position!r} is not a position; allowed: {', '.join(LANDMARK_POSITIONS)}")
    elif position == "cited":
        urls = row["source_url"].split()
        if not urls or not all(u.startswith(("https://", "http://")) for u in urls):
            bad("source_url", "a cited position needs the http(s) URL(s) of its source")
        for field, low, high in (
            ("lat", BAMAKO_BOUNDS[1], BAMAKO_BOUNDS[3]),
            ("lon", BAMAKO_BOUNDS[0], BAMAKO_BOUNDS[2]),
        ):
            try:
                value = float(row[field])
            except ValueError:
                bad(field, f"{row[field]!r} is not a number")
                continue
            if not low <= value <= high:
                bad(field, f"{value} is outside {low}…{high} (the District with a margin)")
    else:
        table = crossings if position == "crossings.csv" else places
        if row["ref"] not in table:
            bad("ref", f"{row['ref']!r} is not a located row of data/{position}")
        if row["lat"] or row["lon"] or row["source_url"]:
            bad("position", f"a position from data/{position} takes its coordinates and sources from there")
    return out


def read_landmarks(path: Path | str | None = None) -> tuple[Landmark, ...]:
    """Return the landmarks of ``path`` (default ``data/landmarks.csv``), validated, in priority order.

    Positions given by reference are read from ``data/crossings.csv`` and ``data/places.csv``
    beside ``path``. Raises DataError naming the file, the row (1 = first data row) and the field.
    """
    path = Path(path) if path is not None else data_dir() / "landmarks.csv"
    try:
        with path.open(newline="", encoding="utf-8") as f:
            reader = csv.DictReader(f)
            if tuple(reader.fieldnames or ()) != LANDMARK_COLUMNS:
                raise DataError(f"{path.name}: columns must be {list(LANDMARK_COLUMNS)}, found {reader.fieldnames}")
            rows = [{k: (v or "").strip() for k, v in r.items()} for r in reader]
        crossings = {
            c.name: (c.lat, c.lon, c.source_url, c.precision) for c in read_crossings(path.parent / "crossings.csv")
        }
        places = {k: (*v, "cited_point") for k, v in _places_positions(path.parent / "places.csv").items()}
    except OSError as exc:
        raise DataError(f"{path}: cannot read the landmarks ({exc.strerror})") from None
    problems = [p for number, row in enumerate(rows, start=1) for p in _problems(number, row, crossings, places)]
    if problems:
        raise DataError(f"{path.name}: {len(problems)} invalid value(s): " + "; ".join(problems))
    out = []
    for row in rows:
        if row["position"] == "cited":
            lat, lon, urls, precision = float(row["lat"]), float(row["lon"]), row["source_url"], "coordinates"
        else:
            lat, lon, urls, precision = (crossings if row["position"] == "crossings.csv" else places)[row["ref"]]
        source = " ".join(urls.split())
        out.append(
            Landmark(row["name_fr"], row["name_en"], row["kind"], lat, lon, int(row["min_zoom"]), source, precision)
        )
    return tuple(out)


def landmarks_payload(landmarks: Sequence[Landmark], *, decimals: int = codec.DEFAULT_DECIMALS) -> dict:
    """Return the landmarks for the map data: names (``n`` French, ``e`` English), kinds, zooms, points.

    ``k`` indexes ``kinds``; ``z`` is the zoom each shows from; ``pt`` the delta-encoded points
    (:func:`geo.publication.codec.encode_points`). The list order is the priority of their labels.
    """
    kinds = sorted({lm.kind for lm in landmarks})
    return {
        "n": codec.join_texts(lm.name_fr for lm in landmarks),
        "e": codec.join_texts(lm.name_en for lm in landmarks),
        "kinds": kinds,
        "k": [kinds.index(lm.kind) for lm in landmarks],
        "z": [lm.min_zoom for lm in landmarks],
        "pt": codec.encode_points([shapely.Point(lm.lon, lm.lat) for lm in landmarks], decimals=decimals),
    }
