"""Spatial join rules: boundaries, snapping, outside points, approximate positions."""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
from shapely.geometry import Point

from geo.spatial.joins import assign_units, place_unlocated
from geo.vocabulary import FACILITY_COLUMNS, METRIC_CRS, SOURCE_FACILITY_COLUMNS, STORE_CRS
from tests.conftest import X0, Y0, tiny_layers


def facilities_at(points, precision="exact", commune="", quartier=""):
    n = len(points)
    data = {c: [""] * n for c in SOURCE_FACILITY_COLUMNS}
    data["id"] = [f"f{i}" for i in range(n)]
    data["kind"] = ["cscom"] * n
    data["location_precision"] = [precision] * n
    data["commune_declared"] = [commune] * n
    data["quartier_declared"] = [quartier] * n
    return gpd.GeoDataFrame(data, geometry=gpd.GeoSeries(points, crs=METRIC_CRS)).to_crs(STORE_CRS)


def test_inside_boundary_snapped_outside():
    quartiers = tiny_layers()["quartiers"]
    points = [
        Point(X0 + 500, Y0 + 500),  # inside the first quartier
        Point(X0 + 900, Y0 + 500),  # inside, near the edge with the second
        Point(X0 + 500, Y0 - 100),  # 100 m south of the District: snapped
        Point(X0 + 500, Y0 - 1000),  # 1 km south: outside
        None,  # no coordinates
    ]
    out = assign_units(facilities_at(points), quartiers)
    assert list(out.columns[: len(FACILITY_COLUMNS)]) == list(FACILITY_COLUMNS)
    assert list(out["join_status"]) == ["inside", "inside", "snapped", "outside", "unlocated"]
    assert out["quartier_pcode"].tolist()[:3] == ["ML090101001", "ML090101001", "ML090101001"]
    assert pd.isna(out["quartier_pcode"].iloc[3]) and pd.isna(out["commune_pcode"].iloc[3])
    assert out["in_analysis"].tolist() == [True, True, True, False, False]
    assert round(out["snap_distance_m"].iloc[2]) == 100


def test_vertex_shared_by_two_units_is_deterministic_whatever_the_order():
    quartiers = tiny_layers()["quartiers"]
    a, b = (set(g.exterior.coords) for g in quartiers.geometry.iloc[:2])
    shared = Point(sorted(a & b)[0])
    edge = gpd.GeoDataFrame(facilities_at([None]).drop(columns="geometry"), geometry=[shared], crs=STORE_CRS)
    first = assign_units(edge, quartiers)["quartier_pcode"].iloc[0]
    again = assign_units(edge, quartiers.iloc[::-1])["quartier_pcode"].iloc[0]
    assert first == again == "ML090101001"


def test_unlocated_rows_are_placed_at_their_declared_unit():
    layers = tiny_layers()
    rows = pd.concat(
        [
            facilities_at([None], precision="commune", commune="Commune II"),
            facilities_at([None], precision="quartier", commune="Commune I", quartier="Niarela"),
            facilities_at([None], precision="quartier", commune="Commune I", quartier="Unknown place"),
            facilities_at([None], precision="commune", commune="Kati"),
        ],
        ignore_index=True,
    )
    rows = gpd.GeoDataFrame(rows, crs=STORE_CRS)
    placed = assign_units(place_unlocated(rows, layers["communes"], layers["quartiers"]), layers["quartiers"])
    assert placed["commune_pcode"].tolist()[:3] == ["ML090102", "ML090101", "ML090101"]
    # Quartier precision keeps the quartier; commune precision (incl. fallback) has none.
    assert placed["quartier_pcode"].iloc[1] == "ML090101002"
    assert pd.isna(placed["quartier_pcode"].iloc[0]) and pd.isna(placed["quartier_pcode"].iloc[2])
    assert placed["location_precision"].tolist()[:3] == ["commune", "quartier", "commune"]
    assert placed["join_status"].iloc[3] == "unlocated" and not placed["in_analysis"].iloc[3]


def test_point_declared_in_a_commune_outside_the_district_is_not_snapped_in():
    quartiers = tiny_layers()["quartiers"]
    near = [Point(X0 + 500, Y0 - 100)]
    kati = assign_units(facilities_at(near, commune="Sangarebougou"), quartiers)
    bamako = assign_units(facilities_at(near, commune="Commune I"), quartiers)
    assert kati["join_status"].iloc[0] == "outside" and not kati["in_analysis"].iloc[0]
    assert bamako["join_status"].iloc[0] == "snapped"
