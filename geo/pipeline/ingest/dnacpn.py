"""Read the DNACPN inventory of CSCOMs (``Vector/DNACPN_latrines_CSCOM.gpkg``).

The sheet is a spreadsheet saved as points. Each commune is a block of rows
whose first row alone carries the commune name and its RGPH 2009 population;
the coordinates are DMS text typed by hand (parsed here with
:mod:`geo.pipeline.ingest.dms`, not taken from the file's geometry); some rows have no
coordinates at all; the last row is a totals row without a name. Rows 1–63 are
the six communes of the District, the rest peri-urban communes of Kati cercle,
which are kept and left for the spatial join to flag as outside.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
from shapely import Point

from geo.errors import DataError, InvalidParameter
from geo.pipeline.ingest.dms import parse_lat_lon
from geo.text import COMMUNE_NUMERALS, commune_pcode_from_text, compact_name
from geo.vocabulary import METRIC_CRS, SOURCE_FACILITY_COLUMNS, STORE_CRS

log = logging.getLogger(__name__)

SOURCE_KEY = "dnacpn_cscom"
#: Columns of the sheet this reader uses (the file holds no personal data).
SHEET_COLUMNS = ("Communes", "Population", "Cscom", "Latitudes", "Longitudes")
#: Two rows with the same compacted name closer than this are one CSCOM entered twice.
DUPLICATE_DISTANCE_M = 50.0
#: Columns added to SOURCE_FACILITY_COLUMNS by this reader.
EXTRA_COLUMNS = ("asaco_code", "commune_pcode_sheet")
_NUMERIC_COLUMNS = ("beds", "doctors", "nurses", "pupils")
_PCODE_NUMERAL = {pcode: numeral for numeral, pcode in COMMUNE_NUMERALS.items()}


@dataclass
class DnacpnSheet:
    """The DNACPN CSCOM sheet, read and cleaned.

    Attributes
    ----------
    cscoms
        One row per CSCOM in EPSG:4326 (empty geometry when the sheet gives no
        coordinates) with ``SOURCE_FACILITY_COLUMNS`` + ``asaco_code`` and
        ``commune_pcode_sheet`` ("" for the Kati-cercle communes).
    pop_2009
        RGPH 2009 population of the six communes, keyed by P-code ML090101…ML090106.
    pop_2009_outside
        The same for the Kati-cercle communes, keyed by the name as written.
    dropped_rows
        1-based sheet row numbers of rows dropped for having no name.
    merged_rows
        ``{kept row: [merged rows]}`` for duplicates inside the sheet.
    district_rows
        Named sheet rows in the blocks of the six communes, before merging (63).
    """

    cscoms: gpd.GeoDataFrame
    pop_2009: dict[str, int]
    pop_2009_outside: dict[str, int] = field(default_factory=dict)
    dropped_rows: list[int] = field(default_factory=list)
    merged_rows: dict[int, list[int]] = field(default_factory=dict)
    district_rows: int = 0


def _read_raw(path: Path) -> pd.DataFrame:
    try:
        raw = pyogrio.read_dataframe(path, columns=list(SHEET_COLUMNS), read_geometry=False)
    except Exception as exc:  # GDAL errors are not typed usefully
        raise DataError(f"{path}: cannot read the DNACPN sheet ({type(exc).__name__}: {exc})") from None
    missing = [c for c in SHEET_COLUMNS if c not in raw.columns]
    if missing:
        raise DataError(f"{path}: missing columns {missing}")
    raw = raw.reset_index(drop=True)
    raw.insert(0, "row", np.arange(1, len(raw) + 1))
    text = ["Communes", "Cscom", "Latitudes", "Longitudes"]
    raw[text] = raw[text].apply(lambda col: col.fillna("").astype(str).str.strip())
    return raw


def _points(raw: pd.DataFrame, path: Path) -> list[Point | None]:
    """Parse the DMS text of every row; None where both texts are empty."""
    points: list[Point | None] = []
    for row, lat_text, lon_text in raw[["row", "Latitudes", "Longitudes"]].itertuples(index=False):
        if not lat_text and not lon_text:
            points.append(None)
            continue
        try:
            lat, lon, swapped = parse_lat_lon(lat_text, lon_text)
        except InvalidParameter as exc:
            raise DataError(f"{path}: row {row}: {exc.message}") from None
        if swapped:
            log.warning("%s: row %d: latitude and longitude were swapped in the sheet", path.name, row)
        points.append(Point(lon, lat))
    return points


def _populations(raw: pd.DataFrame, path: Path) -> tuple[dict[str, int], dict[str, int]]:
    heads = raw[(raw["Communes"] != "") & raw["Population"].notna()]
    inside: dict[str, int] = {}
    outside: dict[str, int] = {}
    for name, pop in zip(heads["Communes"], heads["Population"], strict=True):
        pcode = commune_pcode_from_text(name)
        (inside if pcode else outside)[pcode or name] = int(pop)
    if sorted(inside) != sorted(COMMUNE_NUMERALS.values()):
        raise DataError(f"{path}: expected a population for each of the six communes, found {sorted(inside)}")
    return inside, outside


def _merge_duplicates(frame: gpd.GeoDataFrame) -> tuple[gpd.GeoDataFrame, dict[int, list[int]]]:
    """Merge rows with the same compacted name less than DUPLICATE_DISTANCE_M apart; the first row is kept.

    The same name far apart is two CSCOMs (ASACOSO is Sotuba in Commune I and
    another centre in Commune VI); rows without coordinates are never merged.
    The commune block of the kept row is trusted; the spatial join checks it.
    """
    metric = frame.geometry.to_crs(METRIC_CRS)
    merged: dict[int, list[int]] = {}
    drop: list[int] = []
    groups: dict[str, list] = {}  # compacted name → row labels, in sheet order (no sub-frame per name)
    for label, key in zip(frame.index, frame["name"].map(compact_name), strict=True):
        groups.setdefault(key, []).append(label)
    for members in groups.values():
        if len(members) < 2:
            continue
        first = members[0]
        for other in members[1:]:
            distance = metric[first].distance(metric[other]) if not metric[[first, other]].is_empty.any() else np.inf
            if distance >= DUPLICATE_DISTANCE_M:
                continue
            drop.append(other)
            merged.setdefault(int(frame.at[first, "row"]), []).append(int(frame.at[other, "row"]))
            frame.at[first, "source_refs"] += f";row {frame.at[other, 'row']:02d}"
            frame.at[first, "note"] = (
                f"entered twice in the sheet (rows {frame.at[first, 'row']:02d} and {frame.at[other, 'row']:02d}, "
                f"{distance:.1f} m apart, under {frame.at[first, 'commune_declared']} "
                f"and {frame.at[other, 'commune_declared']})"
            )
    return frame.drop(index=drop), merged


def read_dnacpn(path: Path) -> DnacpnSheet:
    """Read the DNACPN CSCOM sheet into store-schema rows and commune populations.

    Parameters
    ----------
    path
        The verified local copy of ``Vector/DNACPN_latrines_CSCOM.gpkg``.

    Returns
    -------
    DnacpnSheet
        ``cscoms`` in EPSG:4326, ids "dnacpn-NN" (NN the 1-based sheet row),
        ``location_precision`` "sheet_dms" with coordinates, "commune" without
        (empty geometry, to be placed by :func:`geo.spatial.joins.place_unlocated`).

    Raises
    ------
    DataError
        A column is missing, a coordinate text cannot be parsed (the row is
        named), or a commune population is missing.
    """
    path = Path(path)
    raw = _read_raw(path)
    unnamed = raw["Cscom"] == ""
    dropped = raw.loc[unnamed, "row"].tolist()
    if dropped:
        log.info("%s: dropped %d row(s) without a name (sheet rows %s)", path.name, len(dropped), dropped)
    raw["Communes"] = raw["Communes"].replace("", np.nan).ffill().fillna("")
    raw = raw[~unnamed].reset_index(drop=True)
    if (raw["Communes"] == "").any():
        raise DataError(f"{path}: rows {raw.loc[raw['Communes'] == '', 'row'].tolist()} come before any commune name")
    pop_2009, pop_outside = _populations(raw, path)

    pcode = raw["Communes"].map(lambda name: commune_pcode_from_text(name) or "")
    declared = np.where(pcode != "", "Commune " + pcode.map(_PCODE_NUMERAL).fillna(""), raw["Communes"])
    points = _points(raw, path)
    located = pd.Series([p is not None for p in points])
    refs = raw["row"].map(lambda n: f"{n:02d}")
    frame = pd.DataFrame({column: "" for column in SOURCE_FACILITY_COLUMNS}, index=raw.index)
    frame = frame.assign(
        id="dnacpn-" + refs,
        kind="cscom",
        name=raw["Cscom"],
        commune_declared=declared,
        location_precision=np.where(located, "sheet_dms", "commune"),
        sources=SOURCE_KEY,
        source_refs="row " + refs,
        # The sheet lists community health centres (its "Observation" column says ASACO on every filled row).
        operator_type="community",
        asaco_code=raw["Cscom"],
        commune_pcode_sheet=pcode,
    )
    for column in _NUMERIC_COLUMNS:
        frame[column] = pd.array([pd.NA] * len(frame), dtype="Int64")
    geometry = gpd.GeoSeries([p if p is not None else Point() for p in points], index=raw.index, crs=STORE_CRS)
    cscoms = gpd.GeoDataFrame(frame, geometry=geometry, crs=STORE_CRS)
    cscoms["row"] = raw["row"]
    cscoms, merged = _merge_duplicates(cscoms)
    cscoms = cscoms.drop(columns="row").reset_index(drop=True)
    cscoms = cscoms[[*SOURCE_FACILITY_COLUMNS, *EXTRA_COLUMNS, "geometry"]]
    log.info(
        "%s: %d CSCOM rows (%d in the six communes, %d without coordinates), %d duplicate row(s) merged",
        path.name,
        len(cscoms),
        int((cscoms["commune_pcode_sheet"] != "").sum()),
        int(cscoms.geometry.is_empty.sum()),
        sum(len(v) for v in merged.values()),
    )
    return DnacpnSheet(cscoms, pop_2009, pop_outside, dropped, merged, district_rows=int((pcode != "").sum()))
