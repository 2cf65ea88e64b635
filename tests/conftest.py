"""Shared fixtures: the backend (``--backend``), a tiny atlas built in code with exact geometry, and the real mirror."""

from __future__ import annotations

import os
from pathlib import Path

import geopandas as gpd
import pytest
from shapely.geometry import Point, box

from geo.schema import conform
from geo.spatial.district import district_layer
from geo.store import write_store
from geo.vocabulary import FACILITY_COLUMNS, METRIC_CRS, QA_COLUMNS, STORE_CRS
from tests import backends
from tests.pgcluster import pg_cluster, pg_url  # noqa: F401  (fixtures: a throw-away PostGIS cluster)


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--backend",
        choices=backends.BACKENDS,
        default=None,
        help=f"store and planners' database the apps use: gpkg (default) or postgis (env {backends.ENV})",
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", f"{backends.GPKG_ONLY}(reason): about the GeoPackage file itself")


def pytest_report_header(config: pytest.Config) -> str:
    return f"atlas backend: {backends.chosen(config)}"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Skip the GeoPackage-only tests on another backend, saying why."""
    if backends.chosen(config) == "gpkg":
        return
    for item in items:
        marker = item.get_closest_marker(backends.GPKG_ONLY)
        if marker is not None:
            reason = marker.args[0] if marker.args else marker.kwargs.get("reason", "")
            item.add_marker(pytest.mark.skip(reason=f"GeoPackage-only: {reason}"))


def pytest_terminal_summary(terminalreporter, exitstatus: int, config: pytest.Config) -> None:
    terminalreporter.write_sep("=", f"atlas backend: {backends.chosen(config)}", bold=True)


@pytest.fixture(scope="session", autouse=True)
def atlas_backend(request: pytest.FixtureRequest):
    """Return the session's backend (tests.backends); on postgis it starts the throw-away cluster."""
    name = backends.chosen(request.config)
    backend = backends.PostgisBackend(request.getfixturevalue("pg_cluster")) if name == "postgis" else None
    backends.activate(backend or backends.GpkgBackend())
    yield backends.current()
    backends.activate(backends.GpkgBackend())


@pytest.fixture(autouse=True)
def _backend_test_scope(atlas_backend):
    """Drop the databases a test made, once it is over (postgis)."""
    with atlas_backend.test_scope():
        yield


@pytest.fixture
def edits_db(tiny_store) -> Path | str:
    """Return the planners' database of the apps over ``tiny_store``: its edits.sqlite, or its PostGIS database."""
    return backends.planners_db(tiny_store)


@pytest.fixture
def blank_db(request, tmp_path) -> Path | str:
    """Return an empty planners' database: ``edits.sqlite`` in the test's folder, or a fresh PostGIS database."""
    if backends.current().name == "postgis":
        return request.getfixturevalue("pg_url")
    return tmp_path / backends.EDITS_FILENAME


# UTM 29N origin of the tiny atlas: near Bamako so lon/lat are realistic.
X0, Y0 = 600_000.0, 1_400_000.0


def _to_store(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    return frame.set_crs(METRIC_CRS).to_crs(STORE_CRS)


def tiny_layers() -> dict[str, gpd.GeoDataFrame]:
    """Return atlas layers: 2 communes of 2 km² and 1 km², 3 quartiers of exactly 1 km² each."""
    q = [box(X0 + i * 1000, Y0, X0 + (i + 1) * 1000, Y0 + 1000) for i in range(3)]
    quartiers = _to_store(
        gpd.GeoDataFrame(
            {
                "pcode": ["ML090101001", "ML090101002", "ML090102001"],
                "name": ["Faladjè", "Niaréla", "Dar Salam"],
                "alt_name": ["Faladie", "Niarela", "Darsalam"],
                "commune_pcode": ["ML090101", "ML090101", "ML090102"],
                "commune_name": ["Commune I", "Commune I", "Commune II"],
                "area_km2": [1.0, 1.0, 1.0],
                "pop_estimate": [6000, 4000, 5000],
                "pop_low": [3000, 2000, 2500],
                "pop_high": [11000, 7000, 9000],
                "pop_method": ["dasymetric"] * 3,
                "pop_evidence": ["schools"] * 3,
                "pop_year": [2022] * 3,
            },
            geometry=q,
        )
    )
    communes = _to_store(
        gpd.GeoDataFrame(
            {
                "pcode": ["ML090101", "ML090102"],
                "name": ["Commune I", "Commune II"],
                "area_km2": [2.0, 1.0],
                "pop_2009": [4000, 2000],
                "pop_estimate": [10000, 5000],
                "pop_uniform": [10000, 5000],
                "pop_growth": [9000, 6000],
                "pop_low": [9000, 5000],
                "pop_high": [10000, 6000],
                "pop_commune_method": ["growth", "growth"],
                "pop_year": [2022, 2022],
            },
            geometry=[box(X0, Y0, X0 + 2000, Y0 + 1000), q[2]],
        )
    )
    rows = [
        # id, kind, name, x, y, quartier, commune, precision
        ("dnacpn-01", "cscom", "ASACOFA", 500, 500, "ML090101001", "ML090101", "exact"),
        ("sante-0001", "pharmacy", "Pharmacie <b>Kanu</b>", 520, 500, "ML090101001", "ML090101", "exact"),
        ("educ-0001", "school", "École Niaréla", 1500, 500, "ML090101002", "ML090101", "exact"),
        ("lieu-claec-commune-ii", "claec", "CLAEC Commune II", 2500, 500, None, "ML090102", "commune"),
        ("lieu-stade", "stadium", 'Stade "26 Mars" & co', 2200, 800, "ML090102001", "ML090102", "exact"),
    ]
    fac = {c: [None] * len(rows) for c in FACILITY_COLUMNS}  # real nulls, as the store holds them
    for i, (fid, kind, name, _x, _y, qp, cp, prec) in enumerate(rows):
        fac["id"][i], fac["kind"][i], fac["name"][i] = fid, kind, name
        fac["quartier_pcode"][i], fac["commune_pcode"][i], fac["location_precision"][i] = qp, cp, prec
        fac["join_status"][i], fac["in_analysis"][i] = "inside", True
        fac["sources"][i] = "places" if fid.startswith("lieu") else "survey_health"
    for col in ("beds", "doctors", "nurses", "pupils"):
        fac[col] = [None] * len(rows)
    facilities = _to_store(gpd.GeoDataFrame(fac, geometry=[Point(X0 + r[3], Y0 + r[4]) for r in rows]))
    qa = _to_store(
        gpd.GeoDataFrame(
            {
                "check": ["duplicate"],
                "facility_id": ["sante-0001"],
                "facility_name": ["Pharmacie <b>Kanu</b>"],
                "kind": ["pharmacy"],
                "commune_pcode": ["ML090101"],
                "evidence": ["à 20 m de « ASACOFA »"],
                "related_id": ["dnacpn-01"],
            },
            geometry=[Point(X0 + 520, Y0 + 500)],
        )
    )
    assert set(QA_COLUMNS) <= set(qa.columns)
    district = district_layer(_to_store(gpd.GeoDataFrame(geometry=[box(X0, Y0, X0 + 3000, Y0 + 1000)])), communes)
    layers = {"communes": communes, "quartiers": quartiers, "facilities": facilities, "qa_findings": qa}
    return {**{name: conform(frame, name) for name, frame in layers.items()}, "district": district}


@pytest.fixture
def tiny_store(tmp_path) -> Path:
    """Return the path of a tiny atlas GeoPackage written with the real store writer."""
    meta = {
        "build_id": "test-build-1",
        "built_at": "2026-11-29T00:00:00+00:00",
        "package_version": "test",
        "sources": {},
        "counts": {},
    }
    import pandas as pd

    report = pd.DataFrame(
        {
            "status": ["matched"],
            "sheet_id": ["dnacpn-01"],
            "survey_id": ["sante-0002"],
            "sheet_name": ["ASACOFA"],
            "survey_name": ["Cscom Asacofa"],
            "distance_m": [12.0],
            "name_score": [90.0],
        }
    )
    comparison = pd.DataFrame(
        [["ML090101", "Commune I", 12, 10, 10, 0, 2, "ASACODJAN, ASACOMSI"]],
        columns=["commune_pcode", "commune_name", "snisi_health_areas", "atlas_cscoms", "matched_to_snisi",
                 "atlas_not_in_snisi", "snisi_without_atlas", "snisi_unmatched_names"],
    )  # fmt: skip
    tables = {"cscom_reconciliation": report, "snisi_comparison": comparison}
    return write_store(tmp_path / "atlas.gpkg", tiny_layers(), meta, tables=tables)


@pytest.fixture(scope="session")
def mirror_dir() -> Path:
    """Return the real upstream mirror (BAMAKO_ATLAS_MIRROR) or skip."""
    value = os.environ.get("BAMAKO_ATLAS_MIRROR")
    if not value or not Path(value).is_dir():
        pytest.skip("BAMAKO_ATLAS_MIRROR is not set to the upstream mirror folder")
    return Path(value)


@pytest.fixture(scope="session")
def real_store(mirror_dir, tmp_path_factory) -> Path:
    """Build the real store once per test session from the mirror; return its path."""
    from geo.pipeline.build import build

    home = tmp_path_factory.mktemp("real-home")
    overrides = {"MIRROR": str(mirror_dir), "HOME": str(home), "CACHE": str(home / "cache")}
    report = build(overrides, force=True)
    return report.path
