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


def test_cscom_register_is_reconciled_against_snisi_per_commune(atlas, real_store):
    from geo.store import read_table

    table = read_table(real_store, "snisi_comparison").set_index("commune_name")
    columns = ["snisi_health_areas", "atlas_cscoms", "matched_to_snisi", "atlas_not_in_snisi", "snisi_without_atlas"]
    assert table[columns].astype(int).to_dict(orient="index") == {
        "Commune I": dict(zip(columns, [12, 10, 10, 0, 2], strict=True)),
        "Commune II": dict(zip(columns, [10, 8, 8, 0, 2], strict=True)),
        "Commune III": dict(zip(columns, [8, 7, 7, 0, 1], strict=True)),
        "Commune IV": dict(zip(columns, [10, 9, 9, 0, 1], strict=True)),
        "Commune V": dict(zip(columns, [12, 12, 9, 3, 3], strict=True)),
        "Commune VI": dict(zip(columns, [14, 11, 11, 0, 3], strict=True)),
        "District de Bamako": dict(zip(columns, [66, 57, 54, 3, 12], strict=True)),
    }
    assert atlas.meta["snisi_comparison"][-1]["atlas_cscoms"] == 57
    fac = atlas["facilities"].set_index("id")
    cscoms = fac[(fac["kind"] == "cscom") & fac["in_analysis"]]
    # Every CSCOM either holds its SNISI health area, once, or says why it is a CSCOM without one.
    held = cscoms["health_area_code"].dropna()
    assert not held.duplicated().any()
    assert cscoms.loc[cscoms["health_area_code"].isna(), "note"].str.contains("not in SNISI 2016: kept as CSCOM").all()
    # The duplicates of the issue are one record each, with every source reference.
    for area, refs in (("ASACOGA", {"row 41", "row 46"}), ("ASACOYIR", {"row 58", "row 61"})):
        row = cscoms[cscoms["health_area_name"] == area].iloc[0]
        assert refs <= set(row["source_refs"].split(";")) and "dnacpn_cscom" in row["sources"]
    # Non-ASACO structures are not CSCOMs, with the reason on the record.
    for fid, reason in (("dnacpn-62", "a mutuelle"), ("sante-0196", "faith-based"), ("sante-0205", "CSRef-sized")):
        assert fac.at[fid, "kind"] == "health_other" and reason in fac.at[fid, "note"]
    # No two CSCOMs of the analyses on one point or within 100 m unflagged.
    findings = atlas["qa_findings"]
    assert findings.loc[findings["check"] == "cscom_close", ["facility_id", "related_id"]].values.tolist() == [
        ["dnacpn-37", "sante-0160"]
    ]


def test_sheet_gps_conflicts_use_the_gps_point_and_asaconia_is_in_commune_vi(atlas):
    fac = atlas["facilities"].set_index("id")
    for fid in ("dnacpn-01", "dnacpn-10", "dnacpn-20", "dnacpn-21", "dnacpn-24"):  # KOSA, BA, DES, KOULPOINT, BAKON
        row = fac.loc[fid]
        assert row["location_precision"] == "sheet_dms_conflict"
        assert "m from the survey GPS point: GPS point used" in row["note"]
    niamakoro = fac.loc["dnacpn-56"]
    assert niamakoro["name"] == "ASACONIA" and niamakoro["in_analysis"]
    assert (niamakoro["commune_pcode"], niamakoro["quartier_pcode"]) == ("ML090106", "ML090106496")
    assert niamakoro["location_precision"] == "quartier" and "coordinate error" in niamakoro["note"]
    assert sorted(atlas.meta["sheet_gps_distances_m"])[len(atlas.meta["sheet_gps_distances_m"]) // 2] > 80
    # The unit mismatches the atlas made with sheet points of matched centres are gone.
    findings = atlas["qa_findings"]
    mismatched = set(findings.loc[findings["check"] == "unit_mismatch", "facility_id"])
    assert mismatched.isdisjoint({"dnacpn-01", "dnacpn-10", "dnacpn-20", "dnacpn-21", "dnacpn-24"})


def test_facilities_whose_name_states_their_kind_take_it(atlas):
    """« PHARMACIE » answered hospital is a pharmacy; two practices answered CSRef are clinics; answers kept."""
    fac = atlas["facilities"].set_index("id")
    rekinded = fac[fac["note"].fillna("").str.contains("by its name")]
    assert rekinded["kind"].to_dict() == {"sante-0244": "pharmacy", "sante-0389": "clinic", "sante-0390": "clinic"}
    assert fac.at["sante-0244", "note"] == "labelled hospital in the survey, re-kinded pharmacy by its name"
    assert atlas.meta["facility_kinds"]["hospital"] == 5 and atlas.meta["facility_kinds"]["csref"] == 6
    findings = atlas["qa_findings"]
    mislabels = findings[findings["check"] == "probable_mislabel"].set_index("facility_id")["evidence"]
    assert mislabels["sante-0244"].startswith("classé « Hôpital » dans l'enquête, mais le nom « PHARMACIE »")
    assert "à la construction" in mislabels["sante-0389"] and "à la construction" in mislabels["sante-0390"]
