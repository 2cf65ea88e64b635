"""Select features of a store layer by kind, unit and bounding box."""

from __future__ import annotations

from collections.abc import Collection

import geopandas as gpd
from shapely.geometry import box

from geo.errors import InvalidParameter, LayerNotFound
from geo.vocabulary import KINDS, LAYERS

#: (layer, filter parameter) → the column holding that unit's P-code.
UNIT_COLUMNS = {
    ("communes", "commune"): "pcode",
    ("quartiers", "commune"): "commune_pcode",
    ("quartiers", "quartier"): "pcode",
    ("facilities", "commune"): "commune_pcode",
    ("facilities", "quartier"): "quartier_pcode",
    ("qa_findings", "commune"): "commune_pcode",
}


def parse_bbox(text: str | None) -> tuple[float, float, float, float] | None:
    """Parse ``"minlon,minlat,maxlon,maxlat"`` (WGS84 degrees) or raise InvalidParameter."""
    if text is None or text == "":
        return None
    parts = text.split(",")
    form = "bbox=minlon,minlat,maxlon,maxlat in WGS84 degrees, e.g. bbox=-8.05,12.60,-7.95,12.66"
    if len(parts) != 4:
        raise InvalidParameter("bbox", f"expected 4 numbers, got {len(parts)}; {form}")
    try:
        x0, y0, x1, y1 = (float(p) for p in parts)
    except ValueError:
        raise InvalidParameter("bbox", f"not a number in {text!r}; {form}") from None
    if not (-180 <= x0 <= x1 <= 180 and -90 <= y0 <= y1 <= 90):
        raise InvalidParameter("bbox", f"{text!r} is out of range or inverted; {form}")
    return x0, y0, x1, y1


def select(
    layers: dict[str, gpd.GeoDataFrame],
    layer: str,
    *,
    kinds: list[str] | None = None,
    commune: str | Collection[str] | None = None,
    quartier: str | Collection[str] | None = None,
    bbox: tuple[float, float, float, float] | None = None,
) -> gpd.GeoDataFrame:
    """Return the rows of ``layer`` matching every given filter (EPSG:4326).

    ``kinds`` applies to layers with a ``kind`` column; ``commune`` and
    ``quartier`` are P-codes (one or several) matched against the layer's own P-code columns;
    ``bbox`` keeps features whose geometry intersects the box.
    """
    if layer not in LAYERS or layer not in layers:
        raise LayerNotFound(f"unknown layer {layer!r}; available: {', '.join(LAYERS)}")
    frame = layers[layer]
    mask = frame.index == frame.index  # all True
    if kinds:
        unknown = [k for k in kinds if k not in KINDS]
        if unknown:
            raise InvalidParameter("kind", f"unknown kind {unknown[0]!r}; allowed: {', '.join(KINDS)}")
        if "kind" not in frame.columns:
            raise InvalidParameter("kind", f"layer {layer!r} has no kinds")
        mask &= frame["kind"].isin(kinds).to_numpy()
    for parameter, value in (("commune", commune), ("quartier", quartier)):
        if not value:
            continue
        column = UNIT_COLUMNS.get((layer, parameter))
        if column is None:
            raise InvalidParameter(parameter, f"layer {layer!r} cannot be filtered by {parameter}")
        codes = [value] if isinstance(value, str) else list(value)
        mask &= frame[column].isin(codes).to_numpy()
    if bbox is not None:
        mask &= frame.index.isin(frame.index[frame.sindex.query(box(*bbox), predicate="intersects")])
    return frame[mask]
