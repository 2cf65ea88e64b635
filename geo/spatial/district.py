"""The District of Bamako outline: built once into the store, read from there by every analysis and map.

The build writes a one-row ``district`` layer from the pinned COD-AB outline
(``Bamako_boundary.gpkg``) after checking that it matches the communes, which
tile it exactly. Readers call :func:`district_outline`; for a store written
before the layer existed (or an atlas assembled in code) it falls back to the
union of the quartiers, the same polygon on the pinned sources.
"""

from __future__ import annotations

from collections.abc import Mapping

import geopandas as gpd
import shapely

from geo.errors import DataError
from geo.vocabulary import DISTRICT_NAME, DISTRICT_PCODE, METRIC_CRS, STORE_CRS

#: Largest area (km²) by which the pinned outline may differ from the union of the communes.
OUTLINE_TOLERANCE_KM2 = 0.01


def district_layer(
    outline: gpd.GeoDataFrame, communes: gpd.GeoDataFrame, *, source: str = "district"
) -> gpd.GeoDataFrame:
    """Return the ``district`` layer (``pcode``, ``name``, ``area_km2``; EPSG:4326) from the pinned outline.

    Raises DataError naming ``source`` when the outline and the union of the
    ``communes`` differ by more than ``OUTLINE_TOLERANCE_KM2`` (areas in EPSG:32629).
    """
    polygon = units_outline(outline.to_crs(STORE_CRS))
    units = units_outline(communes.to_crs(STORE_CRS))
    metric = gpd.GeoSeries([polygon, shapely.symmetric_difference(polygon, units)], crs=STORE_CRS).to_crs(METRIC_CRS)
    gap_km2 = float(metric.iloc[1].area) / 1e6
    if gap_km2 > OUTLINE_TOLERANCE_KM2:
        raise DataError(f"{source}: the District outline and the communes differ by {gap_km2:.3f} km²")
    return gpd.GeoDataFrame(
        {"pcode": [DISTRICT_PCODE], "name": [DISTRICT_NAME], "area_km2": [round(float(metric.iloc[0].area) / 1e6, 4)]},
        geometry=[polygon],
        crs=STORE_CRS,
    )


def district_outline(layers: Mapping[str, gpd.GeoDataFrame]) -> shapely.Geometry:
    """Return the District polygon (EPSG:4326) of an atlas' layers: its ``district`` layer, else the quartiers' union."""
    if "district" in layers and len(layers["district"]):
        return layers["district"].to_crs(STORE_CRS).geometry.iloc[0]
    return units_outline(layers["quartiers"])


def units_outline(units: gpd.GeoDataFrame | gpd.GeoSeries) -> shapely.Geometry:
    """Return the union of units that tile the District (quartiers or communes), in their own CRS."""
    return shapely.union_all(units.geometry.values if isinstance(units, gpd.GeoDataFrame) else units.values)
