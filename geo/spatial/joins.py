"""Attach facilities to communes and quartiers, from their geometry.

Rules (stated in README):
- a point inside or on the boundary of quartiers gets the one with the lowest
  P-code among those it touches (deterministic on shared edges);
- a point outside the District but within ``SNAP_DISTANCE_M`` of a quartier is
  snapped to the nearest one and flagged ``snapped`` — unless its source names a
  commune outside the District (e.g. a Kati-cercle CSCOM);
- a point further out is flagged ``outside``, keeps no unit and is left out of
  analyses;
- a row without coordinates but with a known commune or quartier is placed at
  that unit's representative point with the matching ``location_precision``.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd

from geo.errors import DataError
from geo.text import commune_pcode_from_text, compact_name
from geo.vocabulary import FACILITY_COLUMNS, HEALTH_AREA_COLUMNS, METRIC_CRS, SNAP_DISTANCE_M, STORE_CRS


def analysed(facilities: pd.DataFrame) -> pd.DataFrame:
    """Return the facilities that count in analyses (``in_analysis`` true)."""
    if "in_analysis" not in facilities.columns:
        return facilities
    flag = facilities["in_analysis"]
    if flag.dtype == object or pd.api.types.is_string_dtype(flag):
        flag = flag.astype(str).str.lower().isin(("true", "1", "yes"))
    return facilities[flag.fillna(False).astype(bool).to_numpy()]


def _check_crs(*frames: gpd.GeoDataFrame) -> None:
    crs = {str(f.crs) for f in frames}
    if len(crs) != 1:
        raise DataError(f"CRS mismatch between joined layers: {sorted(crs)}")


def quartier_lookup(quartiers: gpd.GeoDataFrame) -> dict[tuple[str, str], str]:
    """Return {(commune_pcode, compact name): quartier pcode} over names and alternative names."""
    lookup: dict[tuple[str, str], str] = {}
    for row in quartiers.itertuples():
        for name in (row.name, row.alt_name):
            if name:
                lookup.setdefault((row.commune_pcode, compact_name(name)), row.pcode)
    return lookup


def place_unlocated(
    facilities: gpd.GeoDataFrame, communes: gpd.GeoDataFrame, quartiers: gpd.GeoDataFrame
) -> gpd.GeoDataFrame:
    """Put rows without coordinates at their declared unit's representative point.

    The quartier is used when ``location_precision`` is "quartier" and the
    declared name is found in that commune; otherwise the commune. Rows whose
    unit cannot be recognised keep an empty geometry.
    """
    _check_crs(facilities, communes, quartiers)
    out = facilities.copy()
    empty = out.geometry.isna() | out.geometry.is_empty
    if not empty.any():
        return out
    commune_points = communes.set_index("pcode").geometry.representative_point()
    quartier_points = quartiers.set_index("pcode").geometry.representative_point()
    lookup = quartier_lookup(quartiers)
    for idx in out.index[empty]:
        commune = commune_pcode_from_text(out.at[idx, "commune_declared"])
        if commune is None:
            continue
        quartier = lookup.get((commune, compact_name(out.at[idx, "quartier_declared"])))
        if out.at[idx, "location_precision"] == "quartier" and quartier:
            out.at[idx, "geometry"] = quartier_points[quartier]
        else:
            out.at[idx, "geometry"] = commune_points[commune]
            out.at[idx, "location_precision"] = "commune"
    return out


def assign_units(facilities: gpd.GeoDataFrame, quartiers: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Return ``facilities`` with ``commune_pcode``, ``quartier_pcode``, ``join_status``, ``in_analysis``.

    Parameters
    ----------
    facilities
        Points in EPSG:4326 (empty geometries allowed), store schema columns.
    quartiers
        The admin-4 units in EPSG:4326 with ``pcode`` and ``commune_pcode``.
    """
    _check_crs(facilities, quartiers)
    out = facilities.copy().reset_index(drop=True)
    pts = out.geometry.to_crs(METRIC_CRS)
    units = quartiers[["pcode", "commune_pcode", "geometry"]].to_crs(METRIC_CRS)
    located = ~(pts.isna() | pts.is_empty)

    quartier = pd.Series(None, index=out.index, dtype="object")  # None, not pd.NA: GDAL writes pd.NA as "<NA>"
    status = pd.Series("unlocated", index=out.index, dtype="object")

    # Point-in-polygon in the store CRS, on the original coordinates: reprojecting
    # first would move points that lie exactly on a shared edge.
    probe = gpd.GeoDataFrame(geometry=out.geometry[located], crs=STORE_CRS)
    hits = gpd.sjoin(probe, quartiers[["pcode", "geometry"]], how="inner", predicate="intersects")
    # On a shared edge a point touches two units: keep the lowest P-code.
    first = hits.sort_values("pcode").groupby(level=0)["pcode"].first()
    quartier.loc[first.index] = first
    status.loc[first.index] = "inside"

    loose = located & quartier.isna()
    if loose.any():
        near = gpd.sjoin_nearest(
            gpd.GeoDataFrame(geometry=pts[loose], crs=METRIC_CRS), units, how="left", distance_col="dist_m"
        )
        near = near.sort_values(["dist_m", "pcode"]).groupby(level=0).first()
        # A source that names a commune outside the District (a Kati-cercle CSCOM) is believed: never snapped in.
        declared = out.loc[near.index, "commune_declared"].fillna("")
        foreign = (declared.str.strip() != "") & declared.map(commune_pcode_from_text).isna()
        close = (near["dist_m"] <= SNAP_DISTANCE_M) & ~foreign
        quartier.loc[near.index[close]] = near.loc[close, "pcode"]
        status.loc[near.index[close]] = "snapped"
        status.loc[near.index[~close]] = "outside"
        out["snap_distance_m"] = np.nan
        out.loc[near.index, "snap_distance_m"] = near["dist_m"].round(1)

    commune_of = quartiers.set_index("pcode")["commune_pcode"]
    out["quartier_pcode"] = quartier
    out["commune_pcode"] = quartier.map(commune_of)
    # A commune-precision point sits at the commune's representative point: its quartier is unknown.
    out.loc[out["location_precision"] == "commune", "quartier_pcode"] = None
    out["join_status"] = status
    out["in_analysis"] = status.isin(["inside", "snapped"])
    for column in HEALTH_AREA_COLUMNS:  # filled later by the SNISI reconciliation, on CSCOMs only
        if column not in out:
            out[column] = None
    extra = [c for c in out.columns if c not in FACILITY_COLUMNS and c != "geometry"]
    return gpd.GeoDataFrame(out[list(FACILITY_COLUMNS) + extra + ["geometry"]], crs=STORE_CRS)
