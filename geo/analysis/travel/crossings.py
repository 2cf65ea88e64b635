"""River crossings of the Niger in Bamako (``data/crossings.csv``): bridges and the seasonal causeway.

Each row gives a crossing's position in WGS 84 degrees; ``precision`` says whether
a cited source gives the coordinates (``coordinates``) or the crossing was placed
at the midpoint of the bank boundary between the two quartiers the sources name
(``quartier_boundary``). See ``data/README.md``.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from geo.errors import DataError, InvalidParameter
from geo.settings import Settings, data_dir, resolve

#: Kinds of crossings: always open, or open in the dry season only.
CROSSING_KINDS = ("bridge", "seasonal_causeway")
#: How a crossing was placed.
CROSSING_PRECISIONS = ("coordinates", "quartier_boundary")
#: Seasons of the setting ``TRAVEL_SEASON``: the causeway is open in the dry season only.
SEASONS = ("wet", "dry")
_COLUMNS = ("name", "kind", "lat", "lon", "precision", "source_url", "note")
#: Accepted positions (degrees): the District with a margin, as for data/places.csv.
_LON_RANGE, _LAT_RANGE = (-8.25, -7.75), (12.40, 12.85)


@dataclass(frozen=True)
class Crossing:
    """One river crossing; ``lat``/``lon`` in WGS 84 degrees."""

    name: str
    kind: str
    lat: float
    lon: float
    precision: str
    source_url: str
    note: str


def _row(number: int, row: dict, path: Path) -> Crossing:
    where = f"{path.name} row {number}"
    if any(row.get(c) in (None, "") for c in _COLUMNS[:6]):
        missing = [c for c in _COLUMNS[:6] if row.get(c) in (None, "")]
        raise DataError(f"{where}: empty {', '.join(missing)}")
    if row["kind"] not in CROSSING_KINDS:
        raise DataError(f"{where}: kind {row['kind']!r} is not one of {', '.join(CROSSING_KINDS)}")
    if row["precision"] not in CROSSING_PRECISIONS:
        raise DataError(f"{where}: precision {row['precision']!r} is not one of {', '.join(CROSSING_PRECISIONS)}")
    try:
        lat, lon = float(row["lat"]), float(row["lon"])
    except ValueError:
        raise DataError(f"{where}: lat/lon must be numbers, got {row['lat']!r}, {row['lon']!r}") from None
    if not (_LAT_RANGE[0] <= lat <= _LAT_RANGE[1] and _LON_RANGE[0] <= lon <= _LON_RANGE[1]):
        raise DataError(f"{where}: {lat}, {lon} is outside the District")
    return Crossing(row["name"], row["kind"], lat, lon, row["precision"], row["source_url"], row.get("note") or "")


def read_crossings(path: Path | str | None = None) -> tuple[Crossing, ...]:
    """Return the crossings of ``path`` (default ``data/crossings.csv``), validated.

    Raises DataError naming the file, the row (1 = first data row) and the field.
    """
    path = Path(path) if path is not None else data_dir() / "crossings.csv"
    try:
        with path.open(newline="", encoding="utf-8") as f:
            reader = csv.DictReader(f)
            missing = [c for c in _COLUMNS if c not in (reader.fieldnames or ())]
            if missing:
                raise DataError(f"{path.name}: missing columns {missing}")
            return tuple(_row(i, row, path) for i, row in enumerate(reader, start=1))
    except OSError as exc:
        raise DataError(f"{path}: cannot read the crossings ({exc.strerror})") from None


def check_season(season: str) -> str:
    """Return ``season`` if it is one of ``SEASONS``, else raise InvalidParameter ``season``."""
    if season not in SEASONS:
        raise InvalidParameter("season", f"unknown season {season!r}; allowed: {', '.join(SEASONS)}")
    return season


def default_season(settings: Settings | None = None) -> str:
    """Return the season of the setting ``TRAVEL_SEASON`` (``wet``: the causeway is closed)."""
    return check_season(resolve(settings)["TRAVEL_SEASON"])


def open_crossings(crossings: tuple[Crossing, ...], season: str) -> tuple[Crossing, ...]:
    """Return the crossings open in ``season``: every bridge, and the causeway in the dry season."""
    season = check_season(season)
    return tuple(c for c in crossings if c.kind == "bridge" or season == "dry")


def crossing_lonlat(crossings: tuple[Crossing, ...]) -> np.ndarray:
    """Return the crossings' positions as an (n, 2) array of lon, lat degrees."""
    return np.array([(c.lon, c.lat) for c in crossings], dtype=float).reshape(-1, 2)
