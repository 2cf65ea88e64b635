"""Compact encodings of geometry, ids and repeated strings for web clients.

Coordinates travel as integers in units of 10⁻ᵈ degrees (``decimals=5`` is
about 1.1 m at Bamako's latitude), as ``(lat, lon)`` pairs — Leaflet's order —
delta-encoded along each line: gzip packs small repeated integers far better
than decimal GeoJSON. Polygons of a coverage are written as a *topology*
(as TopoJSON does): each edge shared by two polygons is stored once as an
"arc" and polygons list the arcs of their rings, so quartiers and the communes
made of them cost little more than the quartiers alone. The ``decode_*``
functions are the reference decoders; the web client has the same few lines
in JavaScript (webmap/static/lib/shared.js).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence

import numpy as np
import pandas as pd
import shapely
from shapely.geometry import MultiPolygon, Point, Polygon

from geo.errors import DataError, InvalidParameter

#: Decimal places kept on degrees (5 → about 1.1 m).
DEFAULT_DECIMALS = 5

Vertex = tuple[int, int]


def check_decimals(decimals: int) -> None:
    """Raise InvalidParameter unless ``decimals`` is an integer from 0 to 7."""
    if not isinstance(decimals, int) or not 0 <= decimals <= 7:
        raise InvalidParameter("decimals", f"expected an integer from 0 to 7, got {decimals!r}")


def to_ints(coords: np.ndarray, decimals: int) -> np.ndarray:
    """Return (lat, lon) integer pairs in 10⁻ᵈ degrees from (x=lon, y=lat) coordinates."""
    return np.round(np.asarray(coords, dtype=float)[:, ::-1] * 10**decimals).astype(np.int64)


def _deltas(pts: np.ndarray) -> list[int]:
    return np.diff(pts, axis=0, prepend=np.zeros((1, 2), dtype=np.int64)).ravel().tolist()


def _ring_vertices(ring, decimals: int) -> list[Vertex]:
    """Return a ring's integer vertices without the closing one and without repeats."""
    pts = to_ints(np.asarray(ring.coords)[:-1], decimals)
    out: list[Vertex] = []
    for lat, lon in pts.tolist():
        if not out or out[-1] != (lat, lon):
            out.append((lat, lon))
    if len(out) > 1 and out[0] == out[-1]:
        out.pop()
    return out


def _polygon_parts(geom) -> list[Polygon]:
    if geom is None or geom.is_empty:
        return []
    if isinstance(geom, Polygon):
        return [geom]
    if isinstance(geom, MultiPolygon):
        return list(geom.geoms)
    raise DataError(f"encode_topology: expected polygons, got {geom.geom_type}")


def encode_topology(layers: Sequence[Iterable], *, decimals: int = DEFAULT_DECIMALS) -> dict:
    """Return polygon layers as shared arcs and arc references.

    Parameters
    ----------
    layers
        Sequences of (Multi)Polygons in EPSG:4326 whose shared edges have
        identical vertices (a quantised coverage, and unions of its cells).

    Returns
    -------
    dict
        ``{"arcs": [[lat0, lon0, dlat1, dlon1, …], …], "layers": [shapes, …]}``
        where a shape is ``[polygon, …]``, a polygon ``[ring, …]`` (exterior
        first) and a ring ``[arc ref, …]``; ref ``i >= 0`` is arc ``i`` forward,
        ``~i`` (``-i - 1``) is arc ``i`` reversed. Consecutive arcs of a ring
        share their end vertex; the ring closes on itself.
    """
    check_decimals(decimals)
    shapes = [[[_ring_vertices(r, decimals) for r in (p.exterior, *p.interiors)] for p in _polygon_parts(g)]
              for layer in layers for g in getattr(layer, "values", layer)]  # fmt: skip
    sizes = [len(getattr(layer, "values", layer)) for layer in layers]
    # A vertex where the boundary branches (3+ distinct neighbours) ends arcs.
    neighbours: dict[Vertex, set[Vertex]] = defaultdict(set)
    for shape in shapes:
        for polygon in shape:
            for ring in polygon:
                for a, b in zip(ring, ring[1:] + ring[:1], strict=True):
                    neighbours[a].add(b)
                    neighbours[b].add(a)
    junctions = {v for v, n in neighbours.items() if len(n) > 2}
    arcs: list[list[Vertex]] = []
    index: dict[tuple[Vertex, ...], int] = {}

    def ref(arc: list[Vertex]) -> int:
        key = tuple(arc)
        if key in index:
            return index[key]
        if key[::-1] in index:
            return ~index[key[::-1]]
        index[key] = len(arcs)
        arcs.append(arc)
        return index[key]

    def ring_refs(ring: list[Vertex]) -> list[int]:
        if len(ring) < 3:
            return []
        cuts = [i for i, v in enumerate(ring) if v in junctions]
        if not cuts:  # a closed ring shared whole (or not at all): start at its smallest vertex
            start = ring.index(min(ring))
            turned = ring[start:] + ring[:start]
            return [ref(turned + turned[:1])]
        turned = ring[cuts[0] :] + ring[: cuts[0]]
        offsets = [i - cuts[0] for i in cuts] + [len(ring)]
        closed = turned + turned[:1]
        return [ref(closed[a : b + 1]) for a, b in zip(offsets, offsets[1:], strict=False)]

    encoded = [[[ring_refs(ring) for ring in polygon] for polygon in shape] for shape in shapes]
    out_layers, start = [], 0
    for size in sizes:
        out_layers.append(encoded[start : start + size])
        start += size
    return {"arcs": [_deltas(np.asarray(arc, dtype=np.int64)) for arc in arcs], "layers": out_layers}


def decode_topology(topology: dict, *, decimals: int = DEFAULT_DECIMALS) -> list[list]:
    """Return the layers of ``encode_topology`` output as lists of shapely geometries (lon/lat)."""
    scale = 10.0**decimals  # divide: exact for the decimals kept, unlike multiplying by 1e-5
    arcs = [np.cumsum(np.asarray(a, dtype=np.int64).reshape(-1, 2), axis=0) for a in topology["arcs"]]

    def ring(refs: list[int]) -> np.ndarray:
        parts = [arcs[r] if r >= 0 else arcs[~r][::-1] for r in refs]
        pts = np.concatenate([parts[0]] + [p[1:] for p in parts[1:]])
        return pts[:, ::-1] / scale

    layers = []
    for shapes in topology["layers"]:
        geoms = []
        for polygons in shapes:
            parts = [Polygon(ring(rings[0]), [ring(r) for r in rings[1:]]) for rings in polygons]
            geoms.append(None if not parts else parts[0] if len(parts) == 1 else MultiPolygon(parts))
        layers.append(geoms)
    return layers


def point_coordinates(geometries: Iterable) -> np.ndarray:
    """Return (n, 2) lon/lat of points; other geometries give a point on their surface."""
    values = np.asarray(getattr(geometries, "values", geometries), dtype=object)
    if len(values) == 0:
        return np.empty((0, 2))
    not_points = shapely.get_type_id(values) != 0
    if not_points.any():
        values = values.copy()
        values[not_points] = shapely.point_on_surface(values[not_points])
    return shapely.get_coordinates(values)


def encode_points(geometries: Iterable, *, decimals: int = DEFAULT_DECIMALS) -> list[int]:
    """Return points as one flat delta-encoded list ``[lat0, lon0, dlat1, dlon1, …]`` (10⁻ᵈ degrees)."""
    check_decimals(decimals)
    values = np.asarray(getattr(geometries, "values", geometries), dtype=object)
    if len(values) and (shapely.is_missing(values) | shapely.is_empty(values)).any():
        raise DataError("encode_points: missing or empty geometries; drop them before encoding")
    if len(values) == 0:
        return []
    return _deltas(to_ints(point_coordinates(values), decimals))


def decode_points(encoded: Sequence[int], *, decimals: int = DEFAULT_DECIMALS) -> list[Point]:
    """Return shapely Points (lon, lat) from ``encode_points`` output."""
    latlon = np.cumsum(np.asarray(encoded, dtype=np.int64).reshape(-1, 2), axis=0) / 10.0**decimals
    return [Point(lon, lat) for lat, lon in latlon]


def label_points(geometries: Iterable, *, decimals: int = DEFAULT_DECIMALS) -> list[int]:
    """Return a point inside each polygon as flat ``[lat, lon, …]`` integers (not delta-encoded)."""
    values = np.asarray(getattr(geometries, "values", geometries), dtype=object)
    return to_ints(shapely.get_coordinates(shapely.point_on_surface(values)), decimals).ravel().tolist()


def _split_id(value: str) -> tuple[str, str]:
    digits = len(value) - len(value.rstrip("0123456789"))
    return value[: len(value) - digits], value[len(value) - digits :]


def encode_ids(ids: Iterable[str]) -> list[str | int]:
    """Return ids with runs like ``educ-0001, educ-0002`` written as integer steps.

    An integer ``k`` stands for the previous id with its trailing number
    increased by ``k`` (same prefix, same width); any other id stays a string.
    Sorted store ids ("sante-0160", "sante-0161"…) shrink to runs of ``1``.
    """
    out: list[str | int] = []
    prev_prefix, prev_digits = None, ""
    for value in map(str, ids):
        prefix, digits = _split_id(value)
        if prefix == prev_prefix and digits and len(digits) == len(prev_digits) and int(digits) > int(prev_digits):
            out.append(int(digits) - int(prev_digits))
        else:
            out.append(value)
        prev_prefix, prev_digits = prefix, digits
    return out


def decode_ids(encoded: Iterable[str | int]) -> list[str]:
    """Return the ids written by ``encode_ids``."""
    out: list[str] = []
    for item in encoded:
        if isinstance(item, int):
            prefix, digits = _split_id(out[-1])
            out.append(f"{prefix}{int(digits) + item:0{len(digits)}d}")
        else:
            out.append(item)
    return out


def code_table(values: pd.Series, *, missing: object = "") -> tuple[list, list[int]]:
    """Return ``(table, codes)``: distinct values in first-seen order and each row's index in it."""
    filled = values.astype(object).where(values.notna(), missing)
    codes, uniques = pd.factorize(filled, sort=False)
    return [v.item() if isinstance(v, np.generic) else v for v in uniques], codes.tolist()


def join_texts(values: Iterable[object]) -> str:
    """Return texts joined by newlines (one string packs smaller than a JSON list); newlines inside become spaces."""
    return "\n".join("" if v is None or (isinstance(v, float) and v != v) else " ".join(str(v).split()) for v in values)
