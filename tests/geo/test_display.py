"""Display preparation: coverage simplification without gaps, classes, and the map payload."""

from __future__ import annotations

import json

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from shapely.geometry import Polygon

from geo.errors import DataError, InvalidParameter
from geo.publication import codec
from geo.publication import mapdata as display
from geo.vocabulary import METRIC_CRS
from tests.conftest import X0, Y0, tiny_layers

LAYERS = {"cscom": ("cscom",), "health": ("pharmacy", "clinic"), "qa": ()}


def zigzag_coverage() -> gpd.GeoDataFrame:
    """Two 1 km × 1 km cells (UTM 29N) sharing an edge with 2 m wiggles every 50 m."""
    ys = np.arange(0, 1001, 50.0)
    edge = [(X0 + 1000 + (2.0 if i % 2 else 0.0), Y0 + y) for i, y in enumerate(ys)]
    left = Polygon([(X0, Y0), *edge, (X0, Y0 + 1000)])
    right = Polygon([(X0 + 2000, Y0), (X0 + 2000, Y0 + 1000), *edge[::-1]])
    return gpd.GeoDataFrame({"pcode": ["A", "B"]}, geometry=[left, right], crs=METRIC_CRS).to_crs(4326)


def test_simplify_coverage_drops_vertices_and_leaves_no_gap_or_overlap():
    cells = zigzag_coverage()
    out = display.simplify_coverage(cells, tolerance_m=20)
    assert out.crs.to_epsg() == 4326
    assert list(out["pcode"]) == ["A", "B"]
    assert (
        shapely.get_num_coordinates(out.geometry.values).sum()
        < shapely.get_num_coordinates(cells.geometry.values).sum()
    )
    metric = out.to_crs(METRIC_CRS)
    assert metric.geometry.iloc[0].intersection(metric.geometry.iloc[1]).area < 1e-6  # no overlap
    assert metric.union_all().area == pytest.approx(2e6, rel=1e-6)  # no gap
    assert shapely.coverage_is_valid(out.geometry.values)


def test_simplify_coverage_checks_its_inputs():
    with pytest.raises(InvalidParameter, match="tolerance_m"):
        display.simplify_coverage(zigzag_coverage(), tolerance_m=-1)
    with pytest.raises(DataError, match="no CRS"):
        display.simplify_coverage(zigzag_coverage().set_crs(None, allow_override=True))


def test_quantize_keeps_shared_vertices_shared():
    cells = display.simplify_coverage(zigzag_coverage(), tolerance_m=0)
    rounded = display.quantize(cells.geometry, decimals=5)
    coords = shapely.get_coordinates(rounded)
    assert np.allclose(coords, np.round(coords, 5))
    assert shapely.coverage_is_valid(rounded)


def test_dissolve_coverage_unites_cells_by_column():
    quartiers = tiny_layers()["quartiers"]
    communes = display.dissolve_coverage(quartiers, "commune_pcode").to_crs(METRIC_CRS)
    assert list(communes["commune_pcode"]) == ["ML090101", "ML090102"]
    assert communes.area.round(-2).tolist() == [2e6, 1e6]
    with pytest.raises(InvalidParameter, match="no column"):
        display.dissolve_coverage(quartiers, "nope")


def test_classify_fisher_jenks_and_quantiles():
    values = [1, 2, 3, 10, 11, 12, 50, 51, np.nan]
    jenks = display.classify(values, k=3)
    assert jenks.bins == (3.0, 12.0, 51.0)
    assert jenks.classes.tolist() == [0, 0, 0, 1, 1, 1, 2, 2, -1]
    quant = display.classify(values, scheme="quantiles", k=2)
    assert quant.scheme == "quantiles" and len(quant.bins) == 2
    assert display.classify([5, 5, 7], k=5).bins == (5.0, 7.0)  # fewer distinct values than classes
    assert display.classify([np.nan]).bins == ()
    with pytest.raises(InvalidParameter, match="scheme"):
        display.classify(values, scheme="natural")


@pytest.fixture
def payload():
    options = {"density": ("density", ()), "per10k:cscom": ("per10k", ("cscom",))}
    return display.map_payload(tiny_layers(), facility_layers=LAYERS, indicator_options=options)


def test_payload_geometry_decodes_to_the_units(payload):
    quartiers, communes = codec.decode_topology(
        {"arcs": payload["arcs"], "layers": [payload["quartiers"]["g"], payload["communes"]["g"]]}
    )
    areas = gpd.GeoSeries(quartiers, crs=4326).to_crs(METRIC_CRS).area
    assert areas.round(-3).tolist() == [1e6, 1e6, 1e6]
    assert gpd.GeoSeries(communes, crs=4326).to_crs(METRIC_CRS).area.round(-3).tolist() == [2e6, 1e6]
    assert payload["quartiers"]["n"].split("\n") == ["Faladjè", "Niaréla", "Dar Salam"]
    assert payload["quartiers"]["a"].split("\n") == ["Faladie", "", "Darsalam"]  # only where they differ
    assert payload["quartiers"]["c"] == [0, 0, 1]


def test_payload_facilities_keep_names_as_plain_text(payload):
    f = payload["f"]
    assert codec.decode_ids(f["id"]) == ["dnacpn-01", "sante-0001", "educ-0001", "lieu-claec-commune-ii", "lieu-stade"]
    names = f["n"].split("\n")
    assert names[1] == "Pharmacie <b>Kanu</b>" and names[4] == 'Stade "26 Mars" & co'
    assert [payload["kinds"][k] for k in f["k"]] == ["cscom", "pharmacy", "school", "claec", "stadium"]
    assert f["q"] == [0, 0, 1, -1, 2] and f["c"] == [-1, -1, -1, 1, -1]
    assert [payload["prec"][x] for x in f["x"]] == ["exact", "exact", "exact", "commune", "exact"]
    points = codec.decode_points(f["pt"])
    expected = tiny_layers()["facilities"].geometry
    assert max(p.distance(e) for p, e in zip(points, expected, strict=True)) < 1e-5


def test_payload_counts_indicators_and_findings(payload):
    assert payload["counts"] == {"cscom": [1, 0, 0], "health": [1, 0, 0]}
    assert payload["ind"]["density"]["v"] == [6000.0, 4000.0, 5000.0]
    assert payload["ind"]["per10k:cscom"]["v"] == [pytest.approx(1.67), 0.0, 0.0]
    assert payload["qa"]["f"] == [1] and payload["qa"]["checks"] == ["duplicate"]  # the pharmacy, index 1
    assert payload["qa"]["orphans"] == {"n": "", "e": "", "pt": []}
    json.dumps(payload, allow_nan=False)


def test_payload_skips_facilities_without_a_point():
    layers = tiny_layers()
    layers["facilities"].loc[2, "geometry"] = None
    payload = display.map_payload(layers, facility_layers=LAYERS)
    assert codec.decode_ids(payload["f"]["id"]) == ["dnacpn-01", "sante-0001", "lieu-claec-commune-ii", "lieu-stade"]
    assert list(payload["ind"]) == ["density"]


def test_findings_are_drawn_at_their_facility_or_carry_their_own_point():
    layers = tiny_layers()
    qa = layers["qa_findings"]
    extra = qa.iloc[[0, 0, 0]].copy()
    extra["facility_id"] = ["dnacpn-01", "gone-1", "gone-2"]
    extra["facility_name"] = ["", "Clinique <i>X</i>", "Sans point"]
    extra["evidence"] = ["", "hors limite", "sans coordonnées"]
    extra = extra.set_geometry([extra.geometry.iloc[0], extra.geometry.iloc[0], None])
    layers["qa_findings"] = gpd.GeoDataFrame(pd.concat([qa, extra]), crs=qa.crs)
    out = display.qa_payload(layers["qa_findings"], layers["facilities"]["id"])
    assert out["f"] == [0, 1]  # dnacpn-01 (0) then sante-0001 (1), delta-encoded
    assert len(out["k"]) == 3  # two linked findings and one orphan; the one without a point is left out
    assert out["orphans"]["n"] == "Clinique <i>X</i>" and out["orphans"]["e"] == "hors limite"
    assert len(codec.decode_points(out["orphans"]["pt"])) == 1
