"""Tiny import files built in code, positioned on the tiny atlas of ``tests/conftest.py``.

The tiny District is three 1 km² quartiers side by side in UTM 29N from
(X0, Y0): Faladjè (ML090101001), Niaréla (ML090101002), Dar Salam
(ML090102001). Offsets below are metres from (X0, Y0).
"""

from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
from pyproj import Transformer

from tests.conftest import X0, Y0

_TO_LONLAT = Transformer.from_crs("EPSG:32629", "EPSG:4326", always_xy=True)


def ll(dx: float, dy: float) -> tuple[float, float]:
    """Return (lon, lat) of the point (X0 + dx, Y0 + dy) in EPSG:32629 metres."""
    return _TO_LONLAT.transform(X0 + dx, Y0 + dy)


def csv_bytes(
    rows: list[list[object]], header: str = "name,kind,lat,lon", *, sep: str = ",", encoding: str = "utf-8"
) -> bytes:
    """Return a CSV file: ``header`` (comma-separated names) then ``rows``, joined with ``sep``."""
    lines = [sep.join(header.split(","))] + [sep.join("" if v is None else str(v) for v in row) for row in rows]
    return ("\n".join(lines) + "\n").encode(encoding)


def point_feature(lon: float, lat: float, **properties: object) -> dict:
    """Return a GeoJSON point Feature."""
    return {"type": "Feature", "properties": properties, "geometry": {"type": "Point", "coordinates": [lon, lat]}}


def geojson_bytes(features: list[object], **members: object) -> bytes:
    """Return a FeatureCollection holding ``features`` and any extra top-level ``members`` (e.g. ``crs``)."""
    return json.dumps({"type": "FeatureCollection", **members, "features": features}).encode("utf-8")


def gpkg_bytes(tmp_path: Path, layers: dict[str, gpd.GeoDataFrame]) -> bytes:
    """Write ``layers`` (in order) to one GeoPackage and return its bytes."""
    path = tmp_path / "upload.gpkg"
    for name, frame in layers.items():
        frame.to_file(path, layer=name, driver="GPKG")
    return path.read_bytes()


def osm_xml(
    nodes: list[tuple[int, float, float, dict[str, str]]],
    ways: list[tuple[int, list[int], dict[str, str]]] = (),
    relations: list[tuple[int, list[tuple[str, int, str]], dict[str, str]]] = (),
) -> bytes:
    """Return an OSM XML document: nodes (id, lon, lat, tags), ways (id, node ids, tags), relations."""
    from xml.sax.saxutils import quoteattr

    def tags(t: dict[str, str]) -> str:
        return "".join(f"<tag k={quoteattr(k)} v={quoteattr(v)}/>" for k, v in t.items())

    parts = ['<?xml version="1.0" encoding="UTF-8"?>', '<osm version="0.6" generator="tests">']
    parts += [
        f'<node id="{i}" version="1" lat="{lat:.7f}" lon="{lon:.7f}">{tags(t)}</node>' for i, lon, lat, t in nodes
    ]
    for i, refs, t in ways:
        parts.append(f'<way id="{i}" version="1">' + "".join(f'<nd ref="{r}"/>' for r in refs) + tags(t) + "</way>")
    for i, members, t in relations:
        body = "".join(f'<member type="{kind}" ref="{ref}" role="{role}"/>' for kind, ref, role in members)
        parts.append(f'<relation id="{i}" version="1">{body}{tags(t)}</relation>')
    parts.append("</osm>")
    return "\n".join(parts).encode("utf-8")


def recursive_view_gpkg(tmp_path: Path) -> bytes:
    """Return a GeoPackage whose point layer ``evil`` is a view over an endless ``WITH RECURSIVE`` (no row, ever)."""
    import sqlite3

    from shapely.geometry import Point

    from tests.conftest import X0, Y0

    path = tmp_path / "evil.gpkg"
    gpd.GeoDataFrame({"name": ["A"], "kind": ["school"]}, geometry=[Point(X0 + 500, Y0 + 500)], crs=32629).to_file(
        path, layer="sites", driver="GPKG"
    )
    conn = sqlite3.connect(path)
    with conn:
        conn.execute(
            "CREATE VIEW evil AS WITH RECURSIVE c(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM c) "
            "SELECT n AS fid, geom, name, kind FROM c, sites WHERE n < 0"
        )
        conn.execute(
            "INSERT INTO gpkg_contents (table_name, data_type, identifier, srs_id) VALUES ('evil', 'features', 'evil', 32629)"
        )
        conn.execute(
            "INSERT INTO gpkg_geometry_columns (table_name, column_name, geometry_type_name, srs_id, z, m) "
            "VALUES ('evil', 'geom', 'POINT', 32629, 0, 0)"
        )
    conn.close()
    return path.read_bytes()


def lying_count_gpkg(tmp_path: Path, rows: int, declared: int) -> bytes:
    """Return a GeoPackage of ``rows`` points in the tiny District whose ``gpkg_ogr_contents`` declares ``declared``."""
    import sqlite3

    import numpy as np

    from tests.conftest import X0, Y0

    path = tmp_path / "lying.gpkg"
    offsets = np.arange(rows) % 900 + 50
    frame = gpd.GeoDataFrame(
        {"name": [f"Site {i}" for i in range(rows)], "kind": "school"},
        geometry=gpd.points_from_xy(X0 + offsets, Y0 + offsets),
        crs=32629,
    )
    frame.to_file(path, layer="sites", driver="GPKG")
    conn = sqlite3.connect(path)
    with conn:
        conn.execute("UPDATE gpkg_ogr_contents SET feature_count = ?", (declared,))
    conn.close()
    return path.read_bytes()
