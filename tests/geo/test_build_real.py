"""Integration: the store built from the real sources (needs BAMAKO_ATLAS_MIRROR)."""

from __future__ import annotations

import sqlite3

import pandas as pd
import pytest

from geo.pipeline import sources
from geo.store import open_store
from tests.geo.test_personal_data import (
    COLLECTOR_COLUMNS,
    allowed_source_text,
    collector_values,
    find_leaks,
    specific_values,
)

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def atlas(real_store):
    return open_store(real_store)


def test_six_communes_with_2009_population(atlas):
    communes = atlas["communes"]
    assert sorted(communes["pcode"]) == [f"ML09010{i}" for i in range(1, 7)]
    assert communes["pop_2009"].sum() == 1_810_366
    assert communes["pop_estimate"].sum() == 4_227_569


def test_population_carries_its_uncertainty(atlas):
    communes = atlas["communes"].set_index("pcode")
    assert communes["pop_uniform"].sum() == communes["pop_growth"].sum() == 4_227_569
    assert set(communes["pop_commune_method"]) == {"growth"}
    assert (communes["pop_low"] <= communes["pop_estimate"]).all()
    assert (communes["pop_estimate"] <= communes["pop_high"]).all()
    # the central communes grew slower than the District in 1998–2009
    assert communes.loc["ML090102", "pop_growth"] < communes.loc["ML090102", "pop_uniform"]
    assert communes.loc["ML090106", "pop_growth"] > communes.loc["ML090106", "pop_uniform"]
    q = atlas["quartiers"].set_index("name")
    assert (q["pop_low"] <= q["pop_estimate"]).all() and (q["pop_estimate"] <= q["pop_high"]).all()
    assert set(q["pop_evidence"]) == {"schools", "none"}
    assert q.loc["Bamako Coura", "pop_evidence"] == "none"
    assert q.loc["Bamako Coura", "pop_estimate"] > 2000  # no longer floored to ~590
    pop = atlas.meta["population"]
    assert set(pop["loo_mape"]) == set(pop["holdout_mape"]) == {"areal", "dasymetric"}
    assert pop["method"] == min(pop["loo_mape"], key=pop["loo_mape"].get)


def test_71_units_tile_the_district(atlas):
    quartiers = atlas["quartiers"]
    assert len(quartiers) == 71 and quartiers["pcode"].is_unique
    assert quartiers["area_km2"].sum() == pytest.approx(245.5, abs=0.5)
    # the pinned District outline, built into the store, is exactly the union of the units
    district = atlas["district"].to_crs("EPSG:32629").geometry.iloc[0]
    assert district.symmetric_difference(quartiers.to_crs("EPSG:32629").union_all()).area < 1.0  # m²
    assert atlas["district"]["area_km2"].item() == pytest.approx(245.55, abs=0.01)
    sums = quartiers.groupby("commune_pcode")["pop_estimate"].sum()
    expected = atlas["communes"].set_index("pcode")["pop_estimate"]
    assert (sums == expected.loc[sums.index]).all()


def test_every_commune_has_a_cscom(atlas):
    fac = atlas["facilities"]
    cscom = fac[(fac["kind"] == "cscom") & fac["in_analysis"]]
    assert set(cscom["commune_pcode"]) == {f"ML09010{i}" for i in range(1, 7)}
    assert fac["id"].is_unique


def test_facilities_follow_the_schema(atlas):
    from geo.vocabulary import FACILITY_COLUMNS, JOIN_STATUSES, KINDS, PRECISIONS

    fac = atlas["facilities"]
    assert list(fac.columns[: len(FACILITY_COLUMNS)]) == list(FACILITY_COLUMNS)
    assert set(fac["kind"]) <= set(KINDS)
    assert set(fac["location_precision"]) <= set(PRECISIONS)
    assert set(fac["join_status"]) <= set(JOIN_STATUSES)
    assert {"claec", "stadium", "plateau_sportif", "waste_site", "school"} <= set(fac["kind"])


def test_meta_records_every_source_hash(atlas):
    assert atlas.meta["sources"] == {k: s.sha256 for k, s in sources.registry().items()}
    assert atlas.meta["counts"]["facilities"] == len(atlas["facilities"])


def test_no_personal_data_anywhere_in_the_store(real_store, mirror_dir, atlas):
    """Search every table of the GeoPackage (not only the layers) for collector columns and values."""
    # Collectors sometimes typed a quartier name in their own fields: those names are not personal.
    gazetteer = " ".join(atlas["quartiers"][["name", "alt_name"]].to_numpy().ravel())
    values = specific_values(
        collector_values(mirror_dir), allowed_text=allowed_source_text(mirror_dir) + "\n" + gazetteer.lower()
    )
    assert len(values) > 1000  # the search is real
    con = sqlite3.connect(real_store)
    try:
        frames = []
        for (table,) in con.execute("SELECT name FROM sqlite_master WHERE type='table'").fetchall():
            info = con.execute(f'PRAGMA table_info("{table}")').fetchall()
            names = {row[1] for row in info}
            assert not names & set(COLLECTOR_COLUMNS), (table, names & set(COLLECTOR_COLUMNS))
            readable = [row[1] for row in info if row[2].upper() not in ("BLOB", "POINT", "MULTIPOLYGON", "GEOMETRY")]
            if readable:
                columns = ", ".join(f'"{c}"' for c in readable)
                rows = con.execute(f'SELECT {columns} FROM "{table}"').fetchall()
                frames.append(pd.DataFrame([[_text(v) for v in row] for row in rows], columns=readable))
    finally:
        con.close()
    assert len(frames) >= 5
    assert find_leaks(frames, values) == set()


def _text(value) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)
