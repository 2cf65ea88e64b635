"""OGC API – Features – Part 5 (Schemas): one assertion per requirement the declared classes carry.

Part 5 is published both as OGC API – Features – Part 5 and as OGC API – Common – Part 3;
the service declares "Schemas", "Core roles for features" (Common: "Advanced property
roles") and "Queryables" under both names. Requirement paths below are those of the
standard (``/req/schemas/…``, ``/req/core-roles-features/…``, ``/req/queryables/…``).
"""

from __future__ import annotations

from urllib.parse import urlsplit

import jsonschema
import pytest

from geo.publication import ogc as features
from geo.publication.openapi_ogc import CONFORMANCE
from geo.schema import SCHEMAS
from tests.backends import app_config
from tests.conftest import tiny_layers
from webmap import create_app

SCHEMA_TYPE = "application/schema+json"
DIALECT = "https://json-schema.org/draft/2020-12/schema"
REL_SCHEMA = "http://www.opengis.net/def/rel/ogc/1.0/schema"
REL_QUERYABLES = "http://www.opengis.net/def/rel/ogc/1.0/queryables"
PART5 = "http://www.opengis.net/spec/ogcapi-features-5/1.0/conf/"
COMMON3 = "http://www.opengis.net/spec/ogcapi-common-3/1.0/conf/"
#: JSON Schema keywords the schemas may use (/rec/schemas/properties T); anything else starts with "x-ogc-".
KEYWORDS = {"title", "description", "type", "format", "readOnly", "writeOnly", "enum"}
GEOMETRY_FORMATS = {f"geometry-{g}" for g in ("point", "multipoint", "linestring", "multilinestring", "polygon",
                    "multipolygon", "geometrycollection", "any", "point-or-multipoint",
                    "linestring-or-multilinestring", "polygon-or-multipolygon")}  # fmt: skip
PYTHON_TYPES = {"integer": (int,), "number": (int, float), "string": (str,), "boolean": (bool,)}
COLLECTIONS = list(features.collections(tiny_layers()))


def _get(client, url: str, accept: str = SCHEMA_TYPE):
    resp = client.get(url, headers={"Accept": accept})
    assert resp.status_code == 200, (url, resp.status_code)
    return resp


def _collection_link(client, cid: str, rel: str) -> dict:
    links = [link for link in client.get(f"/ogcapi/collections/{cid}").get_json()["links"] if link["rel"] == rel]
    assert len(links) == 1, (cid, rel)
    return links[0]


def _schemas(client, cid: str) -> dict[str, dict]:
    """Return the Part 5 schema and the queryables of collection ``cid``, fetched through their links."""
    return {
        rel: _get(client, _collection_link(client, cid, rel)["href"]).get_json() for rel in (REL_SCHEMA, REL_QUERYABLES)
    }


def test_conformance_declares_the_part_5_classes_under_both_names(client):
    declared = client.get("/ogcapi/conformance").get_json()["conformsTo"]
    for name in ("schemas", "core-roles-features", "queryables"):
        assert PART5 + name in declared
    for name in ("schemas", "advanced-property-roles", "queryables"):
        assert COMMON3 + name in declared
    # Not declared: features carry JSON nulls that single-typed properties refuse (see openapi_ogc.CONFORMANCE).
    assert not any(uri.endswith("/returnables-and-receivables") for uri in declared)
    assert declared == list(CONFORMANCE)


def test_the_openapi_document_lists_the_conformance_classes_and_schema_responses(client):
    doc = client.get("/ogcapi/openapi").get_json()
    assert doc["components"]["schemas"]["confClasses"]["example"]["conformsTo"] == list(CONFORMANCE)
    conformance = doc["paths"]["/conformance"]["get"]["responses"]["200"]["content"]["application/json"]
    assert conformance["schema"] == {"$ref": "#/components/schemas/confClasses"}
    for path in ("/collections/cscom/schema", "/collections/cscom/queryables"):
        content = doc["paths"][path]["get"]["responses"]["200"]["content"]
        assert content[SCHEMA_TYPE]["schema"] == {"$ref": "#/components/schemas/jsonSchema"}, path


@pytest.mark.parametrize("cid", COLLECTIONS)
def test_schema_and_queryables_links_and_operations(client, cid):
    """/req/queryables/link, /req/queryables/op, /req/queryables/response A; the schema link Part 5 names."""
    for rel, path in ((REL_SCHEMA, "schema"), (REL_QUERYABLES, "queryables")):
        link = _collection_link(client, cid, rel)
        assert link["type"] == SCHEMA_TYPE
        assert urlsplit(link["href"]).path == f"/ogcapi/collections/{cid}/{path}"
        resp = _get(client, link["href"])
        assert resp.headers["Content-Type"] == SCHEMA_TYPE


@pytest.mark.parametrize("cid", COLLECTIONS)
def test_every_schema_meets_requirements_class_schemas(client, cid):
    for schema in _schemas(client, cid).values():
        # /req/schemas/json-schema A: a valid JSON Schema; B: $schema, $id (no query, returns the schema), object.
        jsonschema.Draft202012Validator.check_schema(schema)
        assert schema["$schema"] == DIALECT and schema["type"] == "object"
        schema_id = urlsplit(schema["$id"])
        assert schema_id.scheme in ("http", "https") and not schema_id.query
        again = _get(client, schema["$id"])
        assert again.headers["Content-Type"] == SCHEMA_TYPE and again.get_json() == schema
        seqs = []
        for name, prop in schema["properties"].items():
            # /req/schemas/properties A–C: a type, except a spatial property: no type or $ref, a geometry format.
            if "type" in prop:
                assert prop["type"] in ("string", "integer", "number", "boolean"), name
                assert not str(prop.get("format", "")).startswith("geometry-"), name
            else:
                assert "$ref" not in prop and prop["format"] in GEOMETRY_FORMATS, name
            # D: no temporal property (the atlas holds no dates), so no date/date-time format either.
            assert prop.get("format") not in ("date", "date-time"), name
            # /rec/schemas/properties A: a human-readable title.
            assert prop["title"] and prop["title"] != name or name in ("id", "name", "note", "sources"), name
            # /req/schemas/additional-keywords: keywords outside JSON Schema start with "x-ogc-".
            assert all(k in KEYWORDS or k.startswith("x-ogc-") for k in prop), (name, set(prop))
            # /req/schemas/role: the role is a string.
            assert isinstance(prop.get("x-ogc-role", ""), str), name
            # /req/schemas/property-seq: integers, one per property.
            if "x-ogc-propertySeq" in prop:
                assert type(prop["x-ogc-propertySeq"]) is int, name
                seqs.append(prop["x-ogc-propertySeq"])
            # /req/schemas/unit: a UCUM unit on a number.
            if "x-ogc-unit" in prop:
                assert prop["type"] in ("number", "integer") and prop["x-ogc-unit"] in ("km2", "km", "m"), name
        assert len(seqs) == len(set(seqs))


@pytest.mark.parametrize("cid", COLLECTIONS)
def test_the_schema_declares_the_id_and_the_geometry_of_the_features(client, cid):
    schema = _schemas(client, cid)[REL_SCHEMA]
    props = schema["properties"]
    assert [p["x-ogc-propertySeq"] for p in props.values()] == list(range(1, len(props) + 1))
    # /req/schemas/role-id: exactly one id, a string or an integer, the identifier of the features.
    ids = [name for name, p in props.items() if p.get("x-ogc-role") == "id"]
    assert len(ids) == 1 and props[ids[0]]["type"] in ("string", "integer") and props[ids[0]]["readOnly"] is True
    items = client.get(f"/ogcapi/collections/{cid}/items").get_json()["features"]
    json_type = {"string": str, "integer": int}[props[ids[0]]["type"]]
    for feature in items:
        assert type(feature["id"]) is json_type
        if ids[0] in feature["properties"]:
            assert feature["properties"][ids[0]] == feature["id"]
    # /req/core-roles-features/role-primary-geometry A–C: the one spatial property, its format the items' type.
    geometries = [name for name, p in props.items() if "type" not in p]
    assert geometries == ["geometry"] and props["geometry"]["x-ogc-role"] == "primary-geometry"
    present = {f["geometry"]["type"] for f in items if f["geometry"]}
    assert props["geometry"]["format"] == features_format(present)
    # /req/core-roles-features/role-type: at most one, a string (the facility kind).
    types = [name for name, p in props.items() if p.get("x-ogc-role") == "type"]
    assert types == (["kind"] if features.collections(tiny_layers())[cid].layer == "facilities" else [])
    assert all(props[name]["type"] == "string" for name in types)
    # /req/core-roles-features/role-primary-instant (and the interval roles): no temporal property, no such role.
    assert not {p.get("x-ogc-role") for p in props.values()} & {
        "primary-instant", "primary-interval-start", "primary-interval-end", "primary-interval"
    }  # fmt: skip


def features_format(geometry_types: set[str]) -> str:
    """Return the Part 5 format for the geometry types present, as the standard spells it."""
    if len(geometry_types) == 1:
        return "geometry-" + next(iter(geometry_types)).lower()
    assert geometry_types == {"Polygon", "MultiPolygon"}, geometry_types
    return "geometry-polygon-or-multipolygon"


@pytest.mark.parametrize("cid", COLLECTIONS)
def test_every_feature_value_has_the_type_the_schema_states(client, cid):
    """What a client typing fields from the schema (QGIS reads it) receives: no count as 12.0, no number as text."""
    props = _schemas(client, cid)[REL_SCHEMA]["properties"]
    items = client.get(f"/ogcapi/collections/{cid}/items?limit=1000").get_json()["features"]
    assert items
    checked = 0
    for feature in items:
        assert set(feature["properties"]) <= set(props)
        for name, value in feature["properties"].items():
            if value is not None:  # a missing value is a JSON null (nullable columns, geo.schema)
                jsonschema.validate(value, {"type": props[name]["type"]})
                # JSON Schema takes 12.0 for an integer; a client typing the field from its first values does not.
                assert type(value) in PYTHON_TYPES[props[name]["type"]], (name, value)
                checked += 1
    assert checked


def test_titles_and_definitions_follow_the_language(client):
    fr = client.get("/ogcapi/collections/facilities/schema").get_json()
    en = client.get("/ogcapi/collections/facilities/schema?lang=en").get_json()
    assert fr["properties"]["beds"]["title"] == "Lits" and en["properties"]["beds"]["title"] == "Beds"
    assert fr["properties"]["beds"]["description"] == SCHEMAS["facilities"]["beds"].doc.fr
    assert en["properties"]["beds"]["description"] == SCHEMAS["facilities"]["beds"].doc.en
    assert fr["title"] != en["title"] and fr["description"] and en["description"]
    assert fr["$id"] == en["$id"]  # the language is a query parameter, never part of $id


def test_queryables_refuse_other_properties(client):
    """/req/queryables/response C: additionalProperties false, so any other property name is a 400."""
    queryables = client.get("/ogcapi/collections/cscom/queryables").get_json()
    assert queryables["additionalProperties"] is False
    assert "name" in queryables["properties"] and "geometry" not in queryables["properties"]
    resp = client.get("/ogcapi/collections/cscom/items?no_such_property=1")
    assert resp.status_code == 400 and "no_such_property" in resp.get_json()["description"]


def test_schema_ids_follow_the_public_address(tiny_store):
    """Behind a proxy on a sub-path, $id still dereferences to the schema."""
    app = create_app(app_config(tiny_store, settings={"TRUSTED_PROXIES": 1}, TESTING=True))
    headers = {"X-Forwarded-Prefix": "/atlas", "X-Forwarded-Host": "sig.example.org", "X-Forwarded-Proto": "https"}
    schema = app.test_client().get("/ogcapi/collections/communes/schema", headers=headers).get_json()
    assert schema["$id"] == "https://sig.example.org/atlas/ogcapi/collections/communes/schema"


def test_schema_pages_in_french(client):
    page = client.get("/ogcapi/collections/cscom/schema?f=html").get_data(as_text=True)
    assert "Lits" in page and "entier" in page and "géométrie principale" in page and "identifiant" in page
    assert "géométrie : point" in page and "integer" not in page
    queryables = client.get("/ogcapi/collections/cscom/queryables?f=html").get_data(as_text=True)
    assert "Filtrer les objets par égalité" in queryables
    assert "Filtrer les objets par égalité" not in page
