"""OpenStreetMap uploads (.osm XML and .osm.pbf): tag → kind mapping, ids, areas, licence, bad files."""

from __future__ import annotations

import pytest

from geo.errors import InvalidParameter
from geo.planning.imports import OSM_LICENCE, kind_for_tags, parse_upload
from tests.geo.imports.samples import ll, osm_xml


@pytest.mark.parametrize(
    ("tags", "kind"),
    [
        ({"leisure": "pitch", "sport": "soccer"}, "sports_ground"),
        ({"leisure": "stadium"}, "stadium"),
        ({"leisure": "sports_centre"}, "sports_ground"),
        ({"amenity": "clinic"}, "clinic"),
        ({"amenity": "doctors"}, "clinic"),
        ({"amenity": "hospital"}, "hospital"),
        ({"amenity": "pharmacy"}, "pharmacy"),
        ({"amenity": "school"}, "school"),
        ({"amenity": "kindergarten"}, "kindergarten"),
        ({"amenity": "college"}, "college"),
        ({"amenity": "university"}, "university"),
        ({"healthcare": "pharmacy"}, "pharmacy"),
        ({"healthcare": "hospital"}, "hospital"),
        ({"healthcare": "clinic"}, "clinic"),
        ({"healthcare": "doctor"}, "clinic"),
        ({"healthcare": "centre"}, "health_other"),
        ({"healthcare": "laboratory"}, "health_other"),
        ({"healthcare": "yes", "amenity": "pharmacy"}, "pharmacy"),  # amenity is more specific
        ({"amenity": "clinic", "name": "CSCOM de Sébénikoro"}, "cscom"),
        ({"healthcare": "centre", "name": "ASACOBA"}, "cscom"),
        ({"amenity": "hospital", "name": "CSRéf Commune IV"}, "csref"),
        ({"amenity": "school", "name": "École CSCOM"}, "school"),  # names refine health kinds only
        ({"shop": "bakery"}, None),
        ({"amenity": "restaurant"}, None),
        ({"leisure": "park"}, None),
        ({}, None),
    ],
)
def test_tag_mapping(tags, kind):
    assert kind_for_tags(tags) == kind


def _extract() -> tuple[list, list, list]:
    """Nodes, ways and relations of a small extract around the tiny District."""
    a, b = ll(500, 500), ll(1500, 500)
    sq = [ll(100, 100), ll(300, 100), ll(300, 300), ll(100, 300)]  # a 200 m square pitch
    rel = [ll(2100, 100), ll(2400, 100), ll(2400, 400), ll(2100, 400)]  # a multipolygon stadium
    nodes = [
        (1, *a, {"amenity": "pharmacy", "name": "Pharmacie Kanu", "opening_hours": "24/7"}),
        (2, *b, {"amenity": "clinic", "name": "CSCOM Niaréla", "operator:type": "community", "beds": "6"}),
        (3, -7.0, 12.0, {"amenity": "school", "name": "École loin"}),  # outside the District: skipped
        (4, *ll(800, 800), {"shop": "bakery", "name": "Boulangerie"}),  # not a facility: skipped
        (5, *ll(900, 900), {"leisure": "pitch"}),  # no name: a row error
        (6, *ll(950, 950), {"amenity": "school", "name": "É" * 201}),  # too long: a row error
    ]
    nodes += [(10 + i, *p, {}) for i, p in enumerate(sq)]
    nodes += [(20 + i, *p, {}) for i, p in enumerate(rel)]
    ways = [
        (100, [10, 11, 12, 13, 10], {"leisure": "pitch", "name": "Terrain de Faladjè"}),
        (101, [20, 21, 22, 23, 20], {}),
    ]
    relations = [(200, [("way", 101, "outer")], {"type": "multipolygon", "leisure": "stadium", "name": "Stade"})]
    return nodes, ways, relations


def _pbf(tmp_path, nodes, ways, relations) -> bytes:
    osmium = pytest.importorskip("osmium", reason="pyosmium (PyPI 'osmium') writes the .osm.pbf fixture")
    path = tmp_path / "extract.osm.pbf"
    writer = osmium.SimpleWriter(str(path))
    try:
        for i, lon, lat, tags in nodes:
            writer.add_node(osmium.osm.mutable.Node(id=i, version=1, location=(lon, lat), tags=tags))
        for i, refs, tags in ways:
            writer.add_way(osmium.osm.mutable.Way(id=i, version=1, nodes=refs, tags=tags))
        for i, members, tags in relations:
            writer.add_relation(osmium.osm.mutable.Relation(id=i, version=1, members=members, tags=tags))
    finally:
        writer.close()
    return path.read_bytes()


@pytest.fixture(params=["osm", "osm.pbf"])
def upload(request, tmp_path) -> tuple[bytes, str]:
    nodes, ways, relations = _extract()
    if request.param == "osm":
        return osm_xml(nodes, ways, relations), "bamako.osm"
    return _pbf(tmp_path, nodes, ways, relations), "bamako.osm.pbf"


def test_osm_extract_rows(quartiers, upload):
    data, filename = upload
    parsed = parse_upload(data, filename, quartiers=quartiers)
    assert parsed.format == "osm" and parsed.licence == OSM_LICENCE and "ODbL" in parsed.licence
    by_ref = {r["line"]: r for r in parsed.rows}
    assert sorted(by_ref) == ["osm:node/1", "osm:node/2", "osm:relation/200", "osm:way/100"]
    pharmacy = by_ref["osm:node/1"]["fields"]
    assert pharmacy == {
        "kind": "pharmacy",
        "name": "Pharmacie Kanu",
        "location_precision": "exact",
        "sources": "osm",
        "source_refs": "osm:node/1",
        "opening_hours": "24/7",
    }
    clinic = by_ref["osm:node/2"]["fields"]
    assert clinic["kind"] == "cscom" and clinic["operator_type"] == "community" and clinic["beds"] == 6
    assert by_ref["osm:way/100"]["fields"]["kind"] == "sports_ground"
    assert by_ref["osm:way/100"]["lonlat"] == pytest.approx(list(ll(200, 200)), abs=1e-6)  # the centroid
    assert by_ref["osm:relation/200"]["fields"]["kind"] == "stadium"
    assert by_ref["osm:relation/200"]["lonlat"] == pytest.approx(list(ll(2250, 250)), abs=1e-6)
    assert [(e.line, e.field, e.problem_code) for e in parsed.errors] == [
        ("osm:node/5", "name", "missing_name"),
        ("osm:node/6", "name", "name_too_long"),
    ]
    assert parsed.skipped == {"not_a_facility": 1, "outside_district": 1}


@pytest.mark.parametrize("filename", ["bamako.osm", "bamako.osm.pbf"])
@pytest.mark.parametrize("data", [b"garbage that is no OSM file", b"<osm><node id='1' lat='12.6'", b"   "])
def test_unreadable_osm_files(quartiers, filename, data):
    with pytest.raises(InvalidParameter) as info:
        parse_upload(data, filename, quartiers=quartiers)
    assert info.value.code in ("unreadable_osm", "empty_file") and filename in info.value.message


def test_truncated_pbf_is_refused(quartiers, tmp_path):
    nodes, ways, relations = _extract()
    nodes += [(1000 + i, *ll(i, 600), {"amenity": "school", "name": f"École {i}"}) for i in range(2000)]
    data = _pbf(tmp_path, nodes, ways, relations)
    with pytest.raises(InvalidParameter) as info:
        parse_upload(data[: len(data) // 2], "bamako.osm.pbf", quartiers=quartiers)
    assert info.value.code == "unreadable_osm"
