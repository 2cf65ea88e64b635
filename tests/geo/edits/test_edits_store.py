"""EditStore operations: create, update, move, retire, merge, versions and their errors."""

from __future__ import annotations

import pytest

from geo.errors import FacilityNotFound, InvalidParameter, StoreError, VersionConflict
from tests.geo.edits.conftest import utm_lonlat

XSS = '"><img src=x onerror=alert(1)>'


def test_create_by_coordinates_stores_the_name_as_typed(store, inside):
    row = store.create(user="ana", fields={"kind": "claec", "name": XSS, "pupils": "40"}, lonlat=inside)
    assert row["id"].startswith("edit-") and row["version"] == 1
    assert (row["name"], row["pupils"], row["location_precision"], row["sources"]) == (XSS, 40, "exact", "planner")
    assert store.facility(row["id"]) == row
    now = store.current().set_index("id").loc[row["id"]]
    assert (now["name"], now["quartier_pcode"], now["join_status"], now["version"]) == (XSS, "ML090101002", "inside", 1)


def test_create_by_quartier_uses_its_representative_point(store):
    row = store.create(user="ana", fields={"kind": "claec", "name": "CLAEC"}, lonlat=None, quartier_pcode="ML090102001")
    assert (row["location_precision"], row["quartier_declared"], row["commune_declared"]) == (
        "quartier",
        "Dar Salam",
        "Commune II",
    )
    now = store.current().set_index("id").loc[row["id"]]
    assert (now["quartier_pcode"], now["commune_pcode"]) == ("ML090102001", "ML090102")


def test_create_needs_a_position_and_valid_fields(store, inside):
    with pytest.raises(InvalidParameter) as info:
        store.create(user="ana", fields={"kind": "claec", "name": "C"}, lonlat=None)
    assert info.value.code == "position_required"
    with pytest.raises(InvalidParameter) as info:
        store.create(user="ana", fields={"kind": "nope", "name": "C"}, lonlat=inside)
    assert info.value.code == "unknown_kind"
    with pytest.raises(InvalidParameter) as info:
        store.create(user="", fields={"kind": "claec", "name": "C"}, lonlat=inside)
    assert info.value.code == "user_required"
    assert store.stamp() == 0 and store.history() == []


def test_outside_the_district_needs_confirmation_then_is_flagged(store):
    far = utm_lonlat(10_000, 500)
    with pytest.raises(InvalidParameter) as info:
        store.create(user="ana", fields={"kind": "cscom", "name": "Kati"}, lonlat=far)
    assert (info.value.parameter, info.value.code) == ("lonlat", "outside_district")
    row = store.create(user="ana", fields={"kind": "cscom", "name": "Kati"}, lonlat=far, confirm_outside=True)
    now = store.current().set_index("id").loc[row["id"]]
    assert (now["join_status"], bool(now["in_analysis"])) == ("outside", False)


def test_update_changes_fields_and_bumps_the_version(store):
    row = store.update("dnacpn-01", user="bob", version=1, fields={"name": "ASACOFA II", "beds": 12}, reason="sign")
    assert (row["name"], row["beds"], row["version"]) == ("ASACOFA II", 12, 2)
    assert row["sources"] == "survey_health"  # untouched fields come from the base row
    [change] = store.history()
    assert (change["action"], change["changed"], change["reason"]) == ("update", ["name", "beds"], "sign")
    assert (change["before"]["name"], change["after"]["name"]) == ("ASACOFA", "ASACOFA II")


def test_a_new_note_replaces_the_sources_french_text(tmp_path, layers):
    from geo.planning.edits import EditStore

    base = layers["facilities"].copy()
    base.loc[base["id"] == "lieu-claec-commune-ii", ["note", "note_fr"]] = [
        "Exact site unknown.",
        "Emplacement inconnu.",
    ]
    store = EditStore(tmp_path / "edits.sqlite", base=base, quartiers=layers["quartiers"])
    try:
        row = store.update("lieu-claec-commune-ii", user="bob", version=1, fields={"beds": 3})
        assert row["note_fr"] == "Emplacement inconnu."  # other fields leave it alone
        row = store.update("lieu-claec-commune-ii", user="bob", version=2, fields={"note": "Au fond de la cour."})
        assert (row["note"], row["note_fr"] or None) == ("Au fond de la cour.", None)
        assert store.history()[0]["changed"] == ["note", "note_fr"]
    finally:
        store.close()


def test_an_update_that_changes_nothing_records_nothing(store):
    row = store.update("dnacpn-01", user="bob", version=1, fields={"name": "ASACOFA"})
    assert row["version"] == 1 and store.stamp() == 0 and store.history() == []


def test_move_joins_the_new_quartier_and_sets_exact_precision(store):
    target = utm_lonlat(2300, 300)
    row = store.update("lieu-claec-commune-ii", user="bob", version=1, fields={}, lonlat=target)
    assert (row["location_precision"], row["version"]) == ("exact", 2)
    now = store.current().set_index("id").loc["lieu-claec-commune-ii"]
    assert (now["quartier_pcode"], now["join_status"]) == ("ML090102001", "inside")
    assert now.geometry.x == pytest.approx(target[0])
    assert store.history()[0]["action"] == "move"


def test_stale_version_raises_conflict_with_current_values(store):
    store.update("educ-0001", user="ana", version=1, fields={"name": "École A"})
    with pytest.raises(VersionConflict) as info:
        store.update("educ-0001", user="bob", version=1, fields={"name": "École B"})
    assert info.value.current["name"] == "École A" and info.value.current["version"] == 2
    assert info.value.expected == 1
    assert store.facility("educ-0001")["name"] == "École A"


def test_unknown_ids_and_bad_versions(store):
    with pytest.raises(FacilityNotFound):
        store.update("nope", user="bob", version=1, fields={"name": "x"})
    with pytest.raises(FacilityNotFound):
        store.facility("edit-0000")
    with pytest.raises(InvalidParameter) as info:
        store.update("educ-0001", user="bob", version="1", fields={"name": "x"})
    assert info.value.code == "bad_version"


def test_retire_hides_the_facility_and_keeps_it_in_history(store):
    with pytest.raises(InvalidParameter) as info:
        store.retire("lieu-stade", user="bob", version=1, reason=" ")
    assert info.value.code == "reason_required"
    row = store.retire("lieu-stade", user="bob", version=1, reason="demolished in 2025")
    assert (row["status"], row["retired_reason"], row["version"]) == ("retired", "demolished in 2025", 2)
    assert "lieu-stade" not in set(store.current()["id"])
    assert store.history(facility_id="lieu-stade")[0]["reason"] == "demolished in 2025"
    with pytest.raises(InvalidParameter) as info:
        store.update("lieu-stade", user="bob", version=2, fields={"name": "x"})
    assert info.value.code == "facility_retired"


def test_merge_keeps_both_sources_and_retires_the_duplicate(tmp_path, layers):
    from geo.planning.edits import EditStore

    base = layers["facilities"].copy()
    base.loc[base["id"] == "dnacpn-01", ["sources", "source_refs"]] = ["dnacpn_cscom", "row 01"]
    base.loc[base["id"] == "sante-0001", ["sources", "source_refs"]] = ["survey_health", "row 0187"]
    store = EditStore(tmp_path / "e.sqlite", base=base, quartiers=layers["quartiers"])
    kept = store.merge("dnacpn-01", "sante-0001", user="bob", keep_version=1, drop_version=1, reason="QA duplicate")
    assert (kept["sources"], kept["source_refs"], kept["version"]) == (
        "dnacpn_cscom;survey_health",
        "row 01;row 0187",
        2,
    )
    dropped = store.facility("sante-0001")
    assert (dropped["status"], dropped["retired_reason"]) == ("retired", "merged into dnacpn-01")
    current = store.current().set_index("id")
    assert "sante-0001" not in current.index
    assert current.loc["dnacpn-01", "sources"] == "dnacpn_cscom;survey_health"
    assert store.stamp() == 1
    assert [c["action"] for c in store.history(facility_id="sante-0001")] == ["retire", "merge"]
    with pytest.raises(InvalidParameter) as info:
        store.merge("dnacpn-01", "dnacpn-01", user="bob", keep_version=2, drop_version=2)
    assert info.value.code == "same_facility"


def test_merge_checks_both_versions(store):
    store.update("sante-0001", user="ana", version=1, fields={"beds": 1})
    with pytest.raises(VersionConflict) as info:
        store.merge("dnacpn-01", "sante-0001", user="bob", keep_version=1, drop_version=1)
    assert info.value.facility_id == "sante-0001"
    assert store.facility("dnacpn-01")["version"] == 1  # nothing half-done


def test_without_base_or_quartiers_the_store_says_so(tmp_path, inside):
    from geo.planning.edits import EditStore

    bare = EditStore(tmp_path / "e.sqlite")
    with pytest.raises(StoreError):
        bare.create(user="ana", fields={"kind": "claec", "name": "C"}, lonlat=inside)
    with pytest.raises(StoreError):
        bare.update("dnacpn-01", user="ana", version=1, fields={"name": "x"})
    assert bare.stamp() == 0


def test_apply_rows_takes_the_rows_of_an_import(store, inside):
    rows = [
        {"line": "2", "fields": {"kind": "pharmacy", "name": "Pharmacie Osm", "sources": "osm",
                                 "source_refs": "node/42"}, "lonlat": list(inside), "quartier_pcode": None},
        {"line": "3", "fields": {"kind": "claec", "name": "CLAEC Q", "location_precision": "quartier"},
         "lonlat": None, "quartier_pcode": "ML090102001"},
        {"kind": "school", "name": "Flat row", "lon": inside[0], "lat": inside[1]},
    ]  # fmt: skip
    ids = store.apply_rows(rows, user="importer", import_id="imp-7")
    first, second, third = (store.facility(i) for i in ids)
    assert (first["sources"], first["source_refs"]) == ("osm", "node/42")
    assert (second["location_precision"], second["sources"], second["source_refs"]) == ("quartier", "import", "imp-7")
    assert third["name"] == "Flat row"
    assert store.stamp() == 1
    assert {c["facility_id"] for c in store.history(import_id="imp-7")} == set(ids)
    assert store.apply_rows([], user="importer", import_id="imp-8") == [] and store.stamp() == 1


def test_a_facility_that_vanished_from_the_sources_can_still_be_edited(tmp_path, layers):
    from geo.planning.edits import EditStore

    store = EditStore(tmp_path / "e.sqlite", base=layers["facilities"], quartiers=layers["quartiers"])
    store.update("educ-0001", user="a", version=1, fields={"pupils": 300})
    store.attach(base=layers["facilities"].query("id != 'educ-0001'"))
    row = store.update("educ-0001", user="a", version=2, fields={"name": "École (plus dans les sources)"})
    assert (row["version"], row["pupils"]) == (3, 300)
    assert store.current().set_index("id").loc["educ-0001", "name"] == "École (plus dans les sources)"


def test_join_unique_keeps_order_and_drops_repeats():
    from geo.planning.edits.state import join_unique

    assert join_unique("a;b", "b; c", "", "a") == "a;b;c"
