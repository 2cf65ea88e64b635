"""Prepare a layer for a file: EPSG:4326 rounded coordinates, JSON-safe records."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo.publication.phrases import french_notes
from geo.schema import conform
from geo.vocabulary import STORE_CRS

#: Decimals kept in exported coordinates (degrees; 1e-6° ≈ 0.11 m at Bamako).
COORDINATE_DECIMALS = 6


def prepare(frame: gpd.GeoDataFrame, layer: str | None = None) -> gpd.GeoDataFrame:
    """Return a copy in EPSG:4326 with coordinates rounded and RFC 7946 ring orientation.

    Attributes are typed by the schema of store layer ``layer`` (:func:`geo.schema.conform`:
    real nulls, integer counts); without ``layer`` only missing texts become nulls. A
    layer with a ``note`` gets its French text in ``note_fr`` on every row that has a note
    (:func:`geo.publication.phrases.french_notes`), right after ``note``.
    Exterior rings are counter-clockwise, holes clockwise. Rows without
    geometry are kept (their geometry stays empty).
    """
    out = frame.to_crs(STORE_CRS) if frame.crs is not None and frame.crs != STORE_CRS else frame
    out = conform(out, layer or "")
    if "note" in out.columns:
        french = french_notes(out)
        if "note_fr" in out.columns:
            out["note_fr"] = french
        else:  # a store built before note_fr
            out.insert(out.columns.get_loc("note") + 1, "note_fr", french)
    geoms = shapely.transform(out.geometry.to_numpy(), lambda xy: np.round(xy, COORDINATE_DECIMALS))
    out = out.set_geometry(gpd.GeoSeries(shapely.orient_polygons(geoms), index=out.index, crs=STORE_CRS))
    return out.reset_index(drop=True)


def json_records(frame: pd.DataFrame) -> list[dict]:
    """Return the non-geometry columns as JSON-safe dicts: NaN/NaT/inf → None, numpy → Python."""
    props = pd.DataFrame(frame.drop(columns=frame.geometry.name) if isinstance(frame, gpd.GeoDataFrame) else frame)
    props = props.replace([np.inf, -np.inf], np.nan)
    return props.astype(object).where(props.notna(), None).to_dict("records")


def json_default(value):
    """Return numpy scalars and timestamps as JSON values (``default=`` of ``json.dumps``)."""
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, pd.Timestamp):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")
