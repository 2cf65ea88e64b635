"""Display-time translation of the build's English notes, and the labels of controlled values."""

from __future__ import annotations

import pytest

from geo.publication import phrases
from geo.vocabulary import VALUE_LABELS, value_label

#: Every template of geo.publication.phrases, as the build writes it, and its French text.
KNOWN = [
    ("name: accented letters lost in the source were restored", "nom : accents perdus dans la source rétablis"),
    ("quartier: accented letters lost in the source (shown as U+FFFD) could not be restored",
     "quartier : accents perdus dans la source, non rétablis (affichés �)"),
    ("kind inferred from the name (type missing in the survey)", "type déduit du nom (absent de l'enquête)"),
    ("labelled CSCOM in the survey, re-kinded clinic",
     "classé CSCOM dans l'enquête, type changé en « clinique / cabinet médical »"),
    ("a collector's remark after the name was dropped", "remarque de l'enquêteur après le nom retirée"),
    ("survey name: Asaco bakon", "nom dans l'enquête : Asaco bakon"),
    ("survey point 39 m away", "point de l'enquête à 39 m"),
    ("point from the survey (none in the sheet)", "point de l'enquête (aucun dans la fiche DNACPN)"),
    ("surveyed 2 times", "relevé 2 fois par l'enquête"),
    ("entered twice in the sheet (rows 12 and 40, 3.5 m apart, under Commune V and Commune VI)",
     "saisi deux fois dans la fiche DNACPN (lignes 12 et 40, à 3,5 m l'une de l'autre, en Commune V et Commune VI)"),
    ("row 0201", "ligne 0201"),
    ("revert of change 4", "annulation de la modification n° 4"),
    ("removed from the sources", "retiré des sources"),
    ("public administrative data, redistributed by HOT Open Cities Africa (no licence file)",
     "données administratives publiques, rediffusées par HOT Open Cities Africa (sans fichier de licence)"),
    ("no licence file; collected by OpenStreetMap Mali / HOT for Open Cities Africa",
     "sans fichier de licence ; collectées par OpenStreetMap Mali / HOT pour Open Cities Africa"),
]  # fmt: skip


@pytest.mark.parametrize(("english", "french"), KNOWN)
def test_every_template_translates_and_keeps_its_english(english, french):
    assert phrases.translate(english, "fr") == french
    assert phrases.translate(english, "en") == english.replace(
        "re-kinded clinic", "re-kinded clinic / medical practice"
    )


def test_every_template_is_listed_here():
    assert len(phrases.TEMPLATES) == len(KNOWN)


def test_notes_translate_segment_by_segment_and_unknown_text_stays():
    note = "survey name: Asaco; survey point 39 m away; surveyed 2 times"
    assert (
        phrases.translate(note, "fr")
        == "nom dans l'enquête : Asaco ; point de l'enquête à 39 m ; relevé 2 fois par l'enquête"
    )
    assert phrases.translate("row 55;row 0201", "fr") == "ligne 55 ; ligne 0201"
    assert phrases.translate("Exact site unknown.", "fr") == "Exact site unknown."
    assert phrases.translate(None, "fr") == "" and phrases.translate(float("nan"), "fr") == ""


def test_controlled_values_have_labels_in_both_languages():
    assert value_label("operator_type", "community") == "Communautaire"
    assert value_label("confidence", "medium", "en") == "Medium"
    assert value_label("status", "retired") == "retiré"
    assert value_label("in_analysis", True) == "oui" and value_label("anything", False, "en") == "no"
    assert value_label("join_status", "snapped").startswith("juste hors du District")
    assert value_label("operator_type", "guild") == "guild"  # unknown values as written
    for column, labels in VALUE_LABELS.items():
        for key, text in labels.items():
            assert text("fr") and text("en"), (column, key)
