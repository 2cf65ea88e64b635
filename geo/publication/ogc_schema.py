"""JSON Schemas of the OGC API collections: queryables, the Part 5 schema and the GeoJSON feature schema.

The Part 5 schema (OGC API – Features – Part 5 / Common – Part 3, "Schemas") is the
logical model of a collection's features: every property with its JSON type, a
title and a description in the reader's language, its position (``x-ogc-propertySeq``)
and its role (``x-ogc-role``: ``id``, ``primary-geometry``, ``type``). No column is a
date, so no schema has a temporal property (``primary-instant``). Framework-neutral:
the web layer only passes the ``$id`` URL.
"""

from __future__ import annotations

from collections.abc import Mapping

from geo.schema import DOCS, heading
from geo.vocabulary import Text

#: The JSON Schema dialect of every schema served.
DIALECT = "https://json-schema.org/draft/2020-12/schema"

#: Geometry types present → Part 5 ``format`` of the geometry property.
GEOMETRY_FORMATS = {
    frozenset({"Point"}): "geometry-point",
    frozenset({"MultiPoint"}): "geometry-multipoint",
    frozenset({"Point", "MultiPoint"}): "geometry-point-or-multipoint",
    frozenset({"Polygon"}): "geometry-polygon",
    frozenset({"MultiPolygon"}): "geometry-multipolygon",
    frozenset({"Polygon", "MultiPolygon"}): "geometry-polygon-or-multipolygon",
}
#: Column holding the feature type of a store layer (Part 5 role ``type``): a facility's kind.
TYPE_COLUMNS = {"facilities": "kind"}
#: Unit (UCUM, case-sensitive) of a column, read from the suffix its name carries.
UNIT_SUFFIXES = {"_km2": "km2", "_km": "km", "_m": "m"}

_ROW_ID_TITLE = Text("Numéro de l'objet", "Feature number")
_ROW_ID_DOC = Text(
    "Numéro de l'objet dans la collection (à partir de 1), son identifiant dans l'API.",
    "Number of the feature in the collection (from 1), its identifier in the API.",
)
_GEOMETRY_TITLE = Text("Géométrie", "Geometry")


def _described(name: str, layer: str, lang: str) -> dict:
    """Return the title and, when the column is documented, the description of property ``name``."""
    out = {"title": heading(name, lang)}
    doc = DOCS.get(layer, {}).get(name)
    if doc is not None:
        out["description"] = doc(lang)
    return out


def queryables_schema(types: Mapping[str, str], *, layer: str, schema_id: str, title: str, lang: str) -> dict:
    """Return the queryables of a collection (Part 3 and Part 5) as a JSON Schema.

    ``types`` maps each property usable as an ``?name=value`` filter to its JSON
    type. ``additionalProperties`` is false: the items request refuses any other
    property name with a 400 (Part 5, ``/req/queryables/response`` C).
    """
    props = {name: {**_described(name, layer, lang), "type": kind} for name, kind in types.items()}
    return {
        "$schema": DIALECT,
        "$id": schema_id,
        "type": "object",
        "title": title,
        "properties": props,
        "additionalProperties": False,
    }


def feature_schema(
    types: Mapping[str, str],
    *,
    layer: str,
    schema_id: str,
    title: str,
    description: str,
    lang: str,
    id_column: str | None,
    geometry_types: frozenset[str],
) -> dict:
    """Return the Part 5 schema of a collection's features (the ``ogc-rel:schema`` resource).

    ``types`` maps properties to JSON types in column order; ``id_column`` is the
    column holding the feature ids, or None when features are numbered from 1
    (the schema then declares that number as an ``id`` property, as the GeoJSON
    ``id`` member carries it); ``geometry_types`` are the geometry types present,
    which give the geometry's ``format``. Property ``title``/``description``
    come from :data:`geo.schema.HEADINGS` and :data:`geo.schema.DOCS` in ``lang``.

    Raises
    ------
    ValueError
        ``id_column`` is None but a column is already named ``id``.
    """
    props: dict[str, dict] = {}
    if id_column is None:
        if "id" in types:
            raise ValueError(f"layer {layer!r} has an 'id' column that is not its feature id")
        row_id = {"title": _ROW_ID_TITLE(lang), "description": _ROW_ID_DOC(lang), "type": "integer"}
        props["id"] = {**row_id, "readOnly": True, "x-ogc-role": "id"}
    for name, kind in types.items():
        prop = {**_described(name, layer, lang), "type": kind}
        if name == id_column:
            prop.update({"readOnly": True, "x-ogc-role": "id"})
        elif name == TYPE_COLUMNS.get(layer) and kind == "string":
            prop["x-ogc-role"] = "type"
        unit = next((u for suffix, u in UNIT_SUFFIXES.items() if name.endswith(suffix)), None)
        if unit and kind in ("integer", "number"):
            prop["x-ogc-unit"] = unit
        props[name] = prop
    props["geometry"] = {
        "title": _GEOMETRY_TITLE(lang),
        "format": GEOMETRY_FORMATS.get(frozenset(geometry_types), "geometry-any"),
        "x-ogc-role": "primary-geometry",
    }
    for seq, prop in enumerate(props.values(), start=1):
        prop["x-ogc-propertySeq"] = seq
    return {
        "$schema": DIALECT,
        "$id": schema_id,
        "type": "object",
        "title": title,
        "description": description,
        "properties": props,
    }


def geojson_feature_schema(types: Mapping[str, str], *, schema_id: str, title: str) -> dict:
    """Return a JSON Schema of one GeoJSON Feature whose ``properties`` have ``types``.

    Served as the collection's ``describedby`` document: GDAL's OAPIF driver
    takes field types from it instead of guessing them from a first page whose
    values may all be null.
    """
    # No "id" property: GDAL makes its "id" field from the feature id and would add a second one.
    props = {name: {"type": kind} for name, kind in types.items() if name != "id"}
    return {
        "$schema": DIALECT,
        "$id": schema_id,
        "title": title,
        "type": "object",
        "required": ["type", "geometry", "properties"],
        "properties": {
            "type": {"type": "string", "enum": ["Feature"]},
            "id": {"oneOf": [{"type": "string"}, {"type": "integer"}]},
            "geometry": {"type": "object"},
            "properties": {"type": "object", "properties": props},
        },
    }
