"""Coverage results as JSON, CSV and GeoJSON, and the distance image as PNG. No Flask here.

The colours and classes are shared by the coverage page (through its JSON
config) and the printed coverage map (``geo.render.coverage``):

- quartiers are coloured by the share of their inhabitants within the
  threshold, in fixed classes 0–25–50–75–90–100 % (``SHARE_BINS``), on a
  sequential green–blue ramp (ColorBrewer GnBu, readable with the common
  colour-vision deficiencies);
- the distance image shades the cells *beyond* the threshold, in bands of
  1–1.5, 1.5–2 and over 2 times the threshold (``SURFACE_BANDS``), so it shows
  where the uncovered inhabitants live and how far they are.
"""

from __future__ import annotations

import csv
import io
import json
import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from PIL import Image

from geo.text import defuse_formula
from geo.vocabulary import ATTRIBUTION, STORE_CRS

#: Upper bounds (shares, inclusive) of the coverage classes.
SHARE_BINS = (0.25, 0.5, 0.75, 0.9, 1.0)
#: Fill of each class, least to best covered (ColorBrewer GnBu, 5 classes).
SHARE_COLORS = ("#f0f9e8", "#bae4bc", "#7bccc4", "#43a2ca", "#0868ac")
#: Fill of units without inhabitants (no share).
NO_VALUE_COLOR = "#d9d9d9"
#: Lower bounds of the distance bands, as multiples of the threshold (band i: beyond SURFACE_BANDS[i - 1] × threshold).
SURFACE_BANDS = (1.0, 1.5, 2.0)
#: RGBA of each band of the distance image (index 0 is transparent).
SURFACE_RGBA = ((0, 0, 0, 0), (253, 187, 132, 205), (239, 101, 72, 215), (179, 0, 0, 225))
#: Decimal places of lon/lat in responses (about 0.1 m) and of catchment outlines (about 1 m).
COORD_DECIMALS = 6
OUTLINE_DECIMALS = 5
#: Catchment outlines are simplified to this tolerance (metres, EPSG:32629) before they are sent.
CATCHMENT_TOLERANCE_M = 10.0
#: (column prefix or part, decimals kept in responses; 0: whole numbers). Other numbers are left as they are.
DECIMALS = (("share", 4), ("pop", 0), ("distance_m", 0), ("walk_min", 1), ("per_10k", 3), ("gain", 0),
            ("uncovered", 0), ("area_km2", 3), ("_min", 1))  # fmt: skip


def share_class(share: float) -> int:
    """Return the class index (0…4) of a share in [0, 1], -1 when undefined."""
    if share is None or not math.isfinite(share):
        return -1
    return int(min(np.searchsorted(SHARE_BINS, share, side="left"), len(SHARE_BINS) - 1))


def _decimals(column: str) -> int | None:
    return next((decimals for part, decimals in DECIMALS if part in column), None)


def plain(value: Any, column: str = "") -> Any:
    """Return a JSON-ready value: None for NaN, Python numbers rounded per ``DECIMALS``."""
    if value is None or (not isinstance(value, str | bytes | bool | np.bool_) and pd.isna(value)):
        return None
    if isinstance(value, bool | np.bool_):
        return bool(value)
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float):
        if not math.isfinite(value):
            return None
        decimals = _decimals(column)
        if decimals == 0:
            return int(round(value))
        if decimals is not None:
            return round(value, decimals)
        return int(value) if value.is_integer() else value
    return value


def records(frame: pd.DataFrame) -> list[dict]:
    """Return the rows of ``frame`` as JSON-ready dicts (see ``plain``)."""
    columns = list(frame.columns)
    return [
        {c: plain(v, c) for c, v in zip(columns, row, strict=True)} for row in frame.itertuples(index=False, name=None)
    ]


def to_json(document: Mapping[str, Any]) -> bytes:
    """Return compact UTF-8 JSON (names as written, no NaN)."""
    return json.dumps(document, ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode()


def to_csv(frame: pd.DataFrame) -> bytes:
    """Return UTF-8 CSV with a byte-order mark and CRLF line ends (as the layer exports); text is formula-safe."""
    # object columns keep whole numbers whole next to nulls (a float column would write 1.0)
    table = pd.DataFrame(records(frame), columns=list(frame.columns), dtype=object)
    for column in table.columns:
        if table[column].dtype == object:
            table[column] = defuse_formula(table[column])
    buffer = io.StringIO()
    table.to_csv(buffer, index=False, lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)
    return buffer.getvalue().encode("utf-8-sig")


def _rounded_geometry(geoms: Iterable, decimals: int) -> list[dict | None]:
    values = shapely.transform(np.asarray(list(geoms), dtype=object), lambda xy: np.round(xy, decimals))
    return [None if g is None or g.is_empty else shapely.geometry.mapping(g) for g in values]


def to_geojson(frame: pd.DataFrame, geometry: gpd.GeoSeries, header: Mapping[str, Any]) -> bytes:
    """Return the units of ``frame`` as a GeoJSON FeatureCollection (EPSG:4326), indicators as properties.

    ``geometry`` is indexed by P-code; ``header`` goes into the collection (kind, threshold…).
    """
    geoms = geometry.to_crs(STORE_CRS).reindex(frame["pcode"].to_numpy())
    shapes = _rounded_geometry(geoms.to_numpy(), COORD_DECIMALS)
    features = [
        {"type": "Feature", "id": props["pcode"], "properties": props, "geometry": shape}
        for props, shape in zip(records(frame), shapes, strict=True)
    ]
    return to_json({"type": "FeatureCollection", **header, "attribution": ATTRIBUTION.fr, "features": features})


def catchments_geojson(areas: gpd.GeoDataFrame, header: Mapping[str, Any]) -> bytes:
    """Return catchments (``geo.analysis.coverage.catchments``, EPSG:32629) as light GeoJSON in EPSG:4326.

    Outlines are simplified to ``CATCHMENT_TOLERANCE_M`` and rounded to ``OUTLINE_DECIMALS``.
    """
    simplified = shapely.simplify(areas.geometry.to_numpy(), CATCHMENT_TOLERANCE_M, preserve_topology=True)
    lonlat = gpd.GeoSeries(simplified, crs=areas.crs).to_crs(STORE_CRS)
    props = records(pd.DataFrame(areas.drop(columns=areas.geometry.name)))
    features = [
        {"type": "Feature", "id": p["id"], "properties": p, "geometry": g}
        for p, g in zip(props, _rounded_geometry(lonlat.to_numpy(), OUTLINE_DECIMALS), strict=True)
    ]
    return to_json({"type": "FeatureCollection", **header, "attribution": ATTRIBUTION.fr, "features": features})


def scenario_json(
    add: Sequence[tuple[float, float]],
    add_units: Sequence[tuple[str | None, str | None]],
    remove: Sequence[str],
    remove_names: Mapping[str, str | None],
) -> dict:
    """Return the scenario as JSON: added points with their quartier, removed ids with their names."""
    return {
        "add": [
            {"lon": lon, "lat": lat, "quartier_pcode": pcode, "quartier_name": name}
            for (lon, lat), (pcode, name) in zip(add, add_units, strict=True)
        ],
        "remove": [{"id": i, "name": remove_names.get(i)} for i in remove],
    }


def suggestions_frame(sites: pd.DataFrame) -> pd.DataFrame:
    """Return the suggested sites with lon/lat rounded and without the metric coordinates."""
    out = sites.drop(columns=[c for c in ("x", "y") if c in sites.columns]).copy()
    out["lon"] = out["lon"].round(COORD_DECIMALS)
    out["lat"] = out["lat"].round(COORD_DECIMALS)
    return out


def surface_png(bands: np.ndarray, rgba: Sequence[tuple[int, int, int, int]] = SURFACE_RGBA) -> bytes:
    """Return band indices (uint8, row 0 at the north) as a palette PNG with per-band transparency."""
    height, width = bands.shape
    image = Image.frombytes("P", (width, height), np.ascontiguousarray(bands, dtype=np.uint8).tobytes())
    palette = [channel for colour in rgba for channel in colour[:3]]
    image.putpalette(palette + [0, 0, 0] * (256 - len(rgba)))
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", optimize=True, transparency=bytes(c[3] for c in rgba))
    return buffer.getvalue()
