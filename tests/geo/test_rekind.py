"""The build rule that gives a surveyed facility the kind its name states (« PHARMACIE » answered hospital)."""

from __future__ import annotations

import pandas as pd
import pytest

from geo.pipeline.reconcile import rekind_by_name, stated_kinds
from geo.publication import phrases


def survey(*rows: tuple[str, str, str]) -> pd.DataFrame:
    """Return survey rows (id, kind answered, name), without notes."""
    return pd.DataFrame(
        [{"id": f"sante-{i:04d}", "kind": kind, "name": name, "note": ""} for i, (kind, name) in enumerate(rows, 1)]
    )


def test_a_pharmacie_answered_hospital_becomes_a_pharmacy_and_keeps_the_answer():
    out = rekind_by_name(survey(("hospital", "PHARMACIE"), ("csref", "Cabinet médical Dao")))
    assert out["kind"].tolist() == ["pharmacy", "clinic"]
    assert out["note"].tolist() == [
        "labelled hospital in the survey, re-kinded pharmacy by its name",
        "labelled csref in the survey, re-kinded clinic by its name",
    ]
    assert phrases.translate(out.at[0, "note"], "fr") == (
        "classé « hôpital » dans l'enquête, type changé en « pharmacie » d'après son nom"
    )


def test_the_note_is_appended_to_the_build_notes_already_there():
    rows = survey(("clinic", "Bâtiment pharmacie Kanu"), ("pharmacy", "Pharmacie Kanu"))
    rows["note"] = ["a collector's remark after the name was dropped", None]
    out = rekind_by_name(rows)
    assert out.at[0, "note"] == (
        "a collector's remark after the name was dropped; labelled clinic in the survey, re-kinded pharmacy by its name"
    )
    assert out.at[1, "kind"] == "pharmacy" and pd.isna(out.at[1, "note"])  # agreed: untouched
    assert rows.at[0, "kind"] == "clinic"  # the input frame is left as it was


@pytest.mark.parametrize(
    ("kind", "name"),
    [
        ("hospital", "Clinique Pasteur"),  # a clinic with beds may be answered hospital
        ("health_other", "Cabinet de soins Kanu"),
        ("cscom", "Cabinet médical Kanu"),  # CSCOM answers: the CSCOM reconciliation weighs the operator
        ("cscom", "Pharmacie Kanu"),
        ("hospital", "Centre de santé Pharmacie Espoir"),  # the kind word does not begin the name
        ("pharmacy", "Hôpital du Mali"),  # hôpital, CSCOM, CSRef: the registers' levels, not the name's
        ("clinic", "CSCOM Kanu"),
        ("clinic", "Centre de santé de référence"),
        ("hospital", ""),
    ],
)
def test_names_that_do_not_state_a_kind_against_the_answer_are_not_rekinded(kind, name):
    out = rekind_by_name(survey((kind, name)))
    assert out.at[0, "kind"] == kind and out.at[0, "note"] == ""


def test_stated_kinds_reads_the_first_word_of_the_name_whatever_its_case_and_accents():
    names = pd.Series(["PHARMACIE", "Officine du Fleuve", "Dépôt de médicaments", "POLYCLINIQUE", "Ecole", None])
    assert stated_kinds(names).tolist() == ["pharmacy", "pharmacy", "pharmacy", "clinic", "", ""]
