"""Read the OCHA COD-AB boundaries: District outline, communes (admin 3), quartiers (admin 4)."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pyogrio

from geo.errors import DataError
from geo.vocabulary import DISTRICT_NAME, METRIC_CRS, STORE_CRS


def _read_single_layer(path: Path, required: tuple[str, ...]) -> gpd.GeoDataFrame:
    layers = pyogrio.list_layers(path)
    if len(layers) != 1:
        raise DataError(f"{path}: expected one layer, found {[str(n) for n, _ in layers]}")
    frame = pyogrio.read_dataframe(path, layer=layers[0][0])
    missing = [c for c in required if c not in frame.columns]
    if missing:
        raise DataError(f"{path}: missing columns {missing}")
    frame = frame.to_crs(STORE_CRS) if frame.crs is not None else frame.set_crs(STORE_CRS)
    # The communes file declares geometry type "Unknown"; make every polygon valid.
    frame["geometry"] = frame.geometry.make_valid()
    return frame


def area_km2(frame: gpd.GeoDataFrame) -> gpd.pd.Series:
    """Return polygon areas in km², computed in UTM 29N (EPSG:32629)."""
    return frame.geometry.to_crs(METRIC_CRS).area / 1e6


def read_communes(path: Path) -> gpd.GeoDataFrame:
    """Return the communes: ``pcode``, ``name``, ``area_km2``, geometry (EPSG:4326)."""
    raw = _read_single_layer(path, ("admin3Pcod", "admin3Name"))
    out = gpd.GeoDataFrame(
        {"pcode": raw["admin3Pcod"].str.strip(), "name": raw["admin3Name"].str.strip()},
        geometry=raw.geometry,
        crs=STORE_CRS,
    )
    out["area_km2"] = area_km2(out).round(4)
    return out.sort_values("pcode").reset_index(drop=True)


def read_quartiers(path: Path) -> gpd.GeoDataFrame:
    """Return the admin-4 units with P-code, names, commune and ``area_km2`` (EPSG:4326)."""
    raw = _read_single_layer(path, ("admin4Pcod", "admin4Name", "admin4AltN", "admin3Pcod", "admin3Name"))
    out = gpd.GeoDataFrame(
        {
            "pcode": raw["admin4Pcod"].str.strip(),
            "name": raw["admin4Name"].str.strip(),
            "alt_name": raw["admin4AltN"].fillna("").str.strip(),
            "commune_pcode": raw["admin3Pcod"].str.strip(),
            "commune_name": raw["admin3Name"].str.strip(),
        },
        geometry=raw.geometry,
        crs=STORE_CRS,
    )
    out["area_km2"] = area_km2(out).round(4)
    return out.sort_values("pcode").reset_index(drop=True)


def read_district(path: Path) -> gpd.GeoDataFrame:
    """Return the District outline as a one-row GeoDataFrame (EPSG:4326)."""
    raw = _read_single_layer(path, ())
    return gpd.GeoDataFrame({"name": [DISTRICT_NAME]}, geometry=[raw.geometry.union_all()], crs=STORE_CRS)
