"""Building blocks of OGC API – Features: collections, query parsing, paging and GeoJSON.

Framework-neutral: the web layer parses nothing itself and only adds URLs.
Every coordinate is WGS84 longitude/latitude (CRS84, the store CRS EPSG:4326).
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, time

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo.errors import FeatureNotFound, InvalidParameter, LayerNotFound
from geo.publication.exports import COORDINATE_DECIMALS, json_records, prepare
from geo.schema import SCHEMAS
from geo.spatial.query import parse_bbox as parse_bbox_2d
from geo.spatial.query import select
from geo.text import whole_number
from geo.vocabulary import KINDS, STORE_LAYERS, Text

log = logging.getLogger(__name__)

CRS84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
#: Page size when the request has no ``limit``.
DEFAULT_LIMIT = 100
#: Largest page served; a larger ``limit`` is capped to it (OGC API Features /req/core/fc-limit-response-1).
MAX_LIMIT = 10_000
#: Features clients read to guess field types: QGIS 3.22 and GDAL 3.6 ask for ``limit=10``
#: and type a field from those features only (a count that is null in all of them becomes text).
SAMPLE_SIZE = 10
#: Query parameters of the items request that are not property filters.
ITEMS_PARAMETERS = ("f", "lang", "bbox", "bbox-crs", "crs", "limit", "offset", "datetime")


@dataclass(frozen=True)
class Collection:
    """One feature collection: a store layer, optionally restricted to one facility kind.

    ``id_column`` holds the feature ids; ``None`` numbers the layer rows from 1.
    """

    id: str
    layer: str
    title: Text  # called with a language: ``title("en")``
    description: Text
    kind: str | None = None
    id_column: str | None = None


#: Feature-id column of each store layer (None: rows numbered from 1).
_ID_COLUMNS = {"communes": "pcode", "quartiers": "pcode", "facilities": "id", "qa_findings": None}

#: Collections served for every store layer, in listing order (titles from ``geo.vocabulary.STORE_LAYERS``).
LAYER_COLLECTIONS = tuple(
    Collection(key, key, layer.title, layer.description, id_column=_ID_COLUMNS[key])
    for key, layer in STORE_LAYERS.items()
)


def collections(layers: Mapping[str, gpd.GeoDataFrame]) -> dict[str, Collection]:
    """Return the collections of an atlas: its layers, then one per facility kind present.

    Kind collections follow the order of ``geo.vocabulary.KINDS`` and are keyed by the
    kind key (``cscom``, ``claec``…), which never contains a dot.
    """
    found = {c.id: c for c in LAYER_COLLECTIONS if c.layer in layers}
    if "facilities" in layers:
        present = set(layers["facilities"]["kind"].dropna())
        for key, kind in KINDS.items():
            if key in present:
                found[key] = Collection(
                    key,
                    "facilities",
                    kind.label,
                    Text(
                        f"Équipements de type « {kind.label.fr} » (extrait de la collection des équipements).",
                        f"Facilities of kind “{kind.label.en}” (subset of the facilities collection).",
                    ),
                    kind=key,
                    id_column="id",
                )
    return found


def get_collection(available: Mapping[str, Collection], collection_id: str) -> Collection:
    """Return the collection ``collection_id`` or raise LayerNotFound listing the ids."""
    try:
        return available[collection_id]
    except KeyError:
        raise LayerNotFound(f"unknown collection {collection_id!r}; available: {', '.join(available)}") from None


def collection_frame(
    layers: Mapping[str, gpd.GeoDataFrame],
    collection: Collection,
    *,
    bbox: tuple[float, float, float, float] | None = None,
) -> gpd.GeoDataFrame:
    """Return the rows of ``collection`` (EPSG:4326), optionally those intersecting ``bbox`` (degrees)."""
    kinds = [collection.kind] if collection.kind else None
    return select(dict(layers), collection.layer, kinds=kinds, bbox=bbox)


def spatial_extent(frame: gpd.GeoDataFrame) -> list[float] | None:
    """Return ``[minlon, minlat, maxlon, maxlat]`` of the frame's geometries, or None when it has none."""
    geoms = frame.geometry
    geoms = geoms[geoms.notna() & ~geoms.is_empty]
    if geoms.empty:
        return None
    scale = 10.0**COORDINATE_DECIMALS  # rounded outwards so the box still contains every feature
    x0, y0, x1, y1 = geoms.total_bounds
    return [
        float(np.floor(x0 * scale) / scale),
        float(np.floor(y0 * scale) / scale),
        float(np.ceil(x1 * scale) / scale),
        float(np.ceil(y1 * scale) / scale),
    ]


# --- queryables and the items query ---------------------------------------------------------

#: pandas inferred dtype → JSON Schema type of a queryable.
JSON_TYPES = {
    "integer": "integer",
    "floating": "number",
    "mixed-integer-float": "number",
    "decimal": "number",
    "boolean": "boolean",
}


#: ``geo.schema`` column type → JSON Schema type.
SCHEMA_JSON_TYPES = {"int": "integer", "float": "number", "bool": "boolean", "str": "string"}


def queryables(frame: gpd.GeoDataFrame, layer: str | None = None) -> dict[str, str]:
    """Return ``{property: JSON Schema type}`` of the properties (every non-geometry column).

    Columns of store ``layer`` declared in ``geo.schema`` take their declared
    type (a count column stays ``integer`` even where every value is missing);
    others are inferred from their values.
    """
    declared = SCHEMAS.get(layer or "", {})
    return {
        c: SCHEMA_JSON_TYPES[declared[c].type]
        if c in declared
        else JSON_TYPES.get(pd.api.types.infer_dtype(frame[c], skipna=True), "string")
        for c in frame.columns
        if c != frame.geometry.name
    }


def serving_order(
    layers: Mapping[str, gpd.GeoDataFrame], collection: Collection, types: Mapping[str, str]
) -> np.ndarray:
    """Return the layer row positions of ``collection`` in the order its items are served.

    Layer order, except that for every integer, number or boolean property
    with no value in the first :data:`SAMPLE_SIZE` features, the first feature
    that has one comes first: clients that type fields from a first page of 10
    (QGIS 3.22, GDAL 3.6 without the schema) then see a value of every typed
    property that has any. The order is stable for a store version, so paging
    with ``offset`` stays consistent.
    """
    frame = collection_frame(layers, collection)
    positions = layers[collection.layer].index.get_indexer(frame.index)
    typed = [c for c, t in types.items() if t in ("integer", "number", "boolean") and c in frame.columns]
    present = {c: frame[c].notna().to_numpy(dtype=bool) for c in typed}
    front: list[int] = []
    while True:  # moving rows forward may push another column's only early value out of the sample
        order = np.concatenate([front, np.setdiff1d(np.arange(len(frame)), front, assume_unique=True)]).astype(int)
        sample = order[:SAMPLE_SIZE]
        missing = [c for c in typed if present[c].any() and not present[c][sample].any()]
        if not missing or len(front) >= SAMPLE_SIZE:
            return positions[order]
        front.append(int(np.flatnonzero(present[missing[0]])[0]))


@dataclass(frozen=True)
class ItemsQuery:
    """A validated items request: spatial filter, equality filters and the page window."""

    bbox: tuple[float, float, float, float] | None = None
    filters: tuple[tuple[str, object], ...] = ()
    limit: int = DEFAULT_LIMIT
    offset: int = 0


def parse_bbox(text: str | None) -> tuple[float, float, float, float] | None:
    """Parse an OGC ``bbox`` of 4 numbers, or 6 (the heights are ignored), in CRS84 degrees."""
    if text:
        parts = text.split(",")
        if len(parts) == 6:
            text = ",".join(parts[i] for i in (0, 1, 3, 4))
    return parse_bbox_2d(text)


def parse_limit(text: str | None, *, default: int = DEFAULT_LIMIT, maximum: int = MAX_LIMIT) -> int:
    """Parse ``limit`` (an integer ≥ 1); values above ``maximum`` are capped, not refused."""
    if text is None or text == "":
        return default
    value = whole_number(text) or 0
    if value < 1:
        raise InvalidParameter("limit", f"{text!r} is not an integer from 1 to {maximum}; e.g. limit=100")
    return min(value, maximum)


_RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}(?:[Tt]\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:[Zz]|[+-]\d{2}:\d{2}))?$")


def _instant(text: str) -> datetime | None:
    """Return an RFC 3339 date (naive, at midnight) or date-time (aware), or None when malformed."""
    if not _RFC3339.match(text):
        return None
    try:
        if len(text) == len("2024-01-01"):
            return datetime.combine(date.fromisoformat(text), time())
        return datetime.fromisoformat(text.upper().replace("Z", "+00:00"))
    except ValueError:  # month 13, 25 o'clock…
        return None


def parse_datetime(text: str | None) -> str | None:
    """Validate an OGC ``datetime``: an RFC 3339 date or date-time, or an interval ``start/end`` (``..`` open).

    The collections have no temporal property, so a well-formed value selects
    every feature (OGC API Features Part 1, parameter datetime); a malformed
    one is an InvalidParameter naming ``datetime``.
    """
    if text is None:
        return None
    example = "e.g. datetime=2024-01-01T00:00:00Z or datetime=2024-01-01/.."
    parts = text.split("/")
    if len(parts) > 2 or (len(parts) == 2 and parts[0] in ("", "..") and parts[1] in ("", "..")):
        raise InvalidParameter("datetime", f"{text!r} is not a date-time or an interval; {example}")
    instants = []
    for part in parts:
        if len(parts) == 2 and part in ("", ".."):
            continue
        instant = _instant(part)
        if instant is None:
            raise InvalidParameter("datetime", f"{part!r} is not an RFC 3339 date or date-time; {example}")
        instants.append(instant)
    if len(instants) == 2:
        start, end = instants
        if (start.tzinfo is None) == (end.tzinfo is None) and start > end:
            raise InvalidParameter("datetime", f"{text!r} ends before it starts; {example}")
    return text


def parse_offset(text: str | None) -> int:
    """Parse ``offset`` (an integer ≥ 0, the number of matching features to skip)."""
    if text is None or text == "":
        return 0
    value = whole_number(text)
    if value is None:
        raise InvalidParameter("offset", f"{text!r} is not an integer ≥ 0; e.g. offset=100")
    return value


def _typed_value(name: str, text: str, json_type: str) -> object:
    if json_type == "boolean":
        value = {"true": True, "1": True, "false": False, "0": False}.get(text.lower())
        if value is None:
            raise InvalidParameter(name, f"{text!r} is not a boolean; use {name}=true or {name}=false")
        return value
    if json_type in ("integer", "number"):
        try:
            return float(text)
        except ValueError:
            raise InvalidParameter(name, f"{text!r} is not a number; e.g. {name}=2") from None
    return text


def parse_items_query(
    args: Mapping[str, str],
    available: Mapping[str, str],
    *,
    default_limit: int = DEFAULT_LIMIT,
    max_limit: int = MAX_LIMIT,
) -> ItemsQuery:
    """Validate the query parameters of an items request.

    ``available`` is the collection's queryables (see :func:`queryables`); any
    parameter that is neither in ``ITEMS_PARAMETERS`` nor a queryable is refused
    (OGC API Features /req/core/query-param-unknown). ``datetime`` is validated
    (:func:`parse_datetime`) and selects every feature: the atlas has no temporal data. ``crs`` and ``bbox-crs`` (Part 2,
    sent by GDAL) may only name CRS84, the one CRS served.
    """
    for name in ("crs", "bbox-crs"):
        if args.get(name) not in (None, CRS84):
            raise InvalidParameter(name, f"unsupported CRS {args.get(name)!r}; the only CRS served is {name}={CRS84}")
    parse_datetime(args.get("datetime"))
    filters = []
    for name, text in args.items():
        if name in ITEMS_PARAMETERS:
            continue
        if name not in available:
            raise InvalidParameter(
                name,
                f"unknown query parameter; accepted: {', '.join(ITEMS_PARAMETERS)} "
                f"and the property filters {', '.join(available)}",
            )
        filters.append((name, _typed_value(name, text, available[name])))
    return ItemsQuery(
        bbox=parse_bbox(args.get("bbox")),
        filters=tuple(filters),
        limit=parse_limit(args.get("limit"), default=default_limit, maximum=max_limit),
        offset=parse_offset(args.get("offset")),
    )


def filter_mask(frame: pd.DataFrame, filters: tuple[tuple[str, object], ...]) -> np.ndarray:
    """Return the boolean mask of rows whose properties equal every filter value (missing values never match)."""
    mask = np.ones(len(frame), dtype=bool)
    for column, value in filters:
        series = frame[column]
        if isinstance(value, float):
            series = pd.to_numeric(series, errors="coerce")
        elif isinstance(value, str):
            series = series.astype("string")
        mask &= (series == value).to_numpy(dtype=bool, na_value=False)
    return mask


@dataclass(frozen=True)
class Page:
    """One page of matching features: row positions in the layer and the paging numbers."""

    rows: np.ndarray
    number_matched: int
    limit: int
    offset: int

    @property
    def number_returned(self) -> int:
        """Return the number of features on this page."""
        return len(self.rows)

    @property
    def next_offset(self) -> int | None:
        """Return the offset of the next page, or None on the last page."""
        following = self.offset + self.limit
        return following if following < self.number_matched else None

    @property
    def prev_offset(self) -> int | None:
        """Return the offset of the previous page, or None on the first page."""
        return max(self.offset - self.limit, 0) if self.offset > 0 else None


def select_page(
    layers: Mapping[str, gpd.GeoDataFrame],
    collection: Collection,
    query: ItemsQuery,
    *,
    order: np.ndarray | None = None,
) -> Page:
    """Return the page of ``collection`` matching ``query``, rows in ``order`` (see :func:`serving_order`) or layer order."""
    frame = collection_frame(layers, collection, bbox=query.bbox)
    frame = frame[filter_mask(frame, query.filters)]
    rows = layers[collection.layer].index.get_indexer(frame.index)
    if order is not None:
        rank = np.full(len(layers[collection.layer]), len(order), dtype=int)
        rank[order] = np.arange(len(order))
        rows = rows[np.argsort(rank[rows], kind="stable")]
    return Page(rows[query.offset : query.offset + query.limit], len(rows), query.limit, query.offset)


# --- GeoJSON ----------------------------------------------------------------------------------


def feature_ids(frame: pd.DataFrame, collection: Collection) -> list:
    """Return the feature ids of every row of the collection's layer (1-based row numbers without an id column)."""
    if collection.id_column is None:
        return list(range(1, len(frame) + 1))
    return frame[collection.id_column].tolist()


def find_row(layer: pd.DataFrame, collection: Collection, feature_id: str) -> int:
    """Return the layer row position of ``feature_id`` in ``collection`` or raise FeatureNotFound."""
    ids = pd.Series(feature_ids(layer, collection), dtype="string")
    mask = (ids == feature_id).to_numpy(dtype=bool, na_value=False)
    if collection.kind:
        mask &= (layer["kind"] == collection.kind).to_numpy(dtype=bool, na_value=False)
    found = np.flatnonzero(mask)
    if len(found) == 0:
        raise FeatureNotFound(f"no feature {feature_id!r} in collection {collection.id!r}")
    return int(found[0])


def geojson_features(layer: gpd.GeoDataFrame, collection: Collection) -> list[dict]:
    """Return RFC 7946 Feature objects for every row of ``layer``, in row order.

    Encoded as ``geo.publication.exports`` does (longitude/latitude rounded to
    ``COORDINATE_DECIMALS``, counter-clockwise exterior rings, JSON-safe
    properties); missing or empty geometries become ``null``.
    """
    prepared = prepare(layer, collection.layer)
    geoms = prepared.geometry.to_numpy()
    geoms = np.where(shapely.is_missing(geoms) | shapely.is_empty(geoms), None, geoms)
    return [
        {"type": "Feature", "id": fid, "geometry": json.loads(text) if text else None, "properties": record}
        for fid, text, record in zip(
            feature_ids(prepared, collection), shapely.to_geojson(geoms), json_records(prepared), strict=True
        )
    ]
