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
    ("labelled hospital in the survey, re-kinded pharmacy by its name",
     "classé « hôpital » dans l'enquête, type changé en « pharmacie » d'après son nom"),
    ("labelled CSCOM in the survey, re-kinded clinic",
     "classé CSCOM dans l'enquête, type changé en « clinique / cabinet médical »"),
    ("a collector's remark after the name was dropped", "remarque de l'enquêteur après le nom retirée"),
    ("survey name: Asaco bakon", "nom dans l'enquête : Asaco bakon"),
    ("survey point 39 m away", "point de l'enquête à 39 m"),
    ("point from the survey (none in the sheet)", "point de l'enquête (aucun dans la fiche DNACPN)"),
    ("surveyed 2 times", "relevé 2 fois par l'enquête"),
    ("entered twice in the sheet (rows 12 and 40, 3.5 m apart, under Commune V and Commune VI)",
     "saisi deux fois dans la fiche DNACPN (lignes 12 et 40, à 3,5 m l'une de l'autre, en Commune V et Commune VI)"),
    ("doctors: 412 kept but implausible (above 150)", "médecins : 412 conservé mais peu plausible (plus de 150)"),
    ("pupils: value discarded (not a count between 0 and 5000)",
     "élèves : valeur écartée (pas un effectif entre 0 et 5000)"),
    ("name replaced by a generic one: it contained the name of the row's data collector",
     "nom remplacé par un nom générique : il contenait le nom de l'enquêteur"),
    ('same facility as survey row educ-1479 ("Claec", 0 m)', "même équipement que la ligne educ-1479 de l'enquête (« Claec », 0 m)"),
    ("sheet point 12.55938, -7.99271 is 911 m from the survey GPS point: GPS point used",
     "point de la fiche DNACPN (lat. 12,55938, long. -7,99271) à 911 m du point GPS de l'enquête : point GPS retenu"),
    ("sheet point 39 m from the survey GPS point", "point de la fiche DNACPN à 39 m du point GPS de l'enquête"),
    ("sheet point 12.60115, -7.84211 is 7.6 km outside the District under Commune VI: coordinate error, placed at "
     "its health area's quartier",
     "point de la fiche DNACPN (lat. 12,60115, long. -7,84211) à 7,6 km hors du District, en Commune VI : erreur "
     "de coordonnées, placé au quartier de son aire de santé"),
    ("sheet point 12.60115, -7.84211 is 7.6 km outside the District under Commune VI: coordinate error, placed at "
     "its health area's commune",
     "point de la fiche DNACPN (lat. 12,60115, long. -7,84211) à 7,6 km hors du District, en Commune VI : erreur "
     "de coordonnées, placé à sa commune"),
    ("merged with dnacpn-41 (ASACOGA): same SNISI health area ASACOGA",
     "fusionné avec dnacpn-41 (ASACOGA) : même aire de santé SNISI ASACOGA"),
    ("health area ASACOLA B5 held by dnacpn-35 579 m away: not merged",
     "aire de santé ASACOLA B5 déjà tenue par dnacpn-35 à 579 m : non fusionné"),
    ("not in SNISI 2016 and in one source only: re-kinded pharmacy",
     "absent de la liste SNISI 2016 et d'une seule source : type changé en « pharmacie »"),
    ("not in SNISI 2016: CSRef-sized (17 doctors), re-kinded pharmacy",
     "absent de la liste SNISI 2016 : taille d'un CSRef (17 médecins), type changé en « pharmacie »"),
    ("not in SNISI 2016: a mutuelle, not an ASACO-run centre, re-kinded pharmacy",
     "absent de la liste SNISI 2016 : une mutuelle, pas un centre géré par une ASACO, type changé en « pharmacie »"),
    ("not in SNISI 2016: a faith-based centre, not an ASACO-run centre, re-kinded pharmacy",
     "absent de la liste SNISI 2016 : un centre confessionnel, pas un centre géré par une ASACO, type changé en "
     "« pharmacie »"),
    ("not in SNISI 2016: kept as CSCOM, the sheet and the survey agree",
     "absent de la liste SNISI 2016 : gardé comme CSCOM, la fiche DNACPN et l'enquête concordent"),
    ("not in SNISI 2016: kept as CSCOM, Badalabougou Sema I, opened in 2021 after the SNISI 2016 list "
     "(reference/README.md)",
     "absent de la liste SNISI 2016 : gardé comme CSCOM, Badalabougou Sema I, ouvert en 2021 après la liste "
     "SNISI 2016 (reference/README.md)"),
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


def test_an_open_ended_template_never_swallows_the_next_segment():
    """A facility merged with its twin also carries the sheet-point segment: both are translated (real store)."""
    note = (
        "merged with dnacpn-35 (ASACOLA B5): same SNISI health area ASACOLA B5; "
        "sheet point 12.61681, -8.05005 is 1500 m from the survey GPS point: GPS point used"
    )
    assert phrases.translate(note, "fr") == (
        "fusionné avec dnacpn-35 (ASACOLA B5) : même aire de santé SNISI ASACOLA B5 ; point de la fiche DNACPN "
        "(lat. 12,61681, long. -8,05005) à 1500 m du point GPS de l'enquête : point GPS retenu"
    )
    held = "health area Sabalibougou held by dnacpn-12 80 m away: not merged; surveyed 2 times"
    assert phrases.translate(held, "fr").endswith(" : non fusionné ; relevé 2 fois par l'enquête")
    opened = "not in SNISI 2016: kept as CSCOM, ASACO X, opened in 2018 after the SNISI 2016 list (press); row 7"
    assert phrases.translate(opened, "fr").endswith("après la liste SNISI 2016 (press) ; ligne 7")


@pytest.mark.parametrize(
    ("hours", "french", "english"),
    [("Mo-Fri 08:00-17:00", "lun.–ven. 08:00–17:00", "Mo-Fri 08:00-17:00"),
     ("Mo-Sa 07:30-15:00; other", "lun.–sam. 07:30–15:00 ; autres horaires", "Mo-Sa 07:30-15:00; other hours"),
     ("other; 24/7", "autres horaires ; 24 h/24, 7 j/7", "other hours; 24/7"),
     ("7h45 à 17h", "7h45 à 17h", "7h45 à 17h"), (None, "", "")],
)  # fmt: skip
def test_opening_hours_read_in_the_readers_language(hours, french, english):
    assert phrases.opening_hours(hours, "fr") == french
    assert phrases.opening_hours(hours, "en") == english


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


def test_a_facility_note_is_shown_in_french_from_its_own_french_text():
    note = 'Exact site unknown.; same facility as survey row educ-1479 ("Claec", 0 m)'
    note_fr = 'Emplacement précis inconnu.; same facility as survey row educ-1479 ("Claec", 0 m)'
    assert phrases.note_text(note, note_fr, "fr") == (
        "Emplacement précis inconnu. ; même équipement que la ligne educ-1479 de l'enquête (« Claec », 0 m)"
    )
    assert phrases.note_text(note, note_fr, "en") == note
    # without a French text the English note is translated template by template, as before
    assert phrases.note_text("survey point 39 m away", None, "fr") == "point de l'enquête à 39 m"
    assert phrases.note_text(None, float("nan"), "fr") == phrases.note_text("", "", "en") == ""


def test_french_notes_fill_every_row_with_a_note():
    import pandas as pd

    frame = pd.DataFrame({"note": ["Exact site unknown.", "surveyed 2 times", None],
                          "note_fr": ["Emplacement précis inconnu.", None, None]})  # fmt: skip
    assert phrases.french_notes(frame).tolist() == ["Emplacement précis inconnu.", "relevé 2 fois par l'enquête", None]
    assert phrases.french_notes(frame[["note"]]).tolist() == [
        "Exact site unknown.",
        "relevé 2 fois par l'enquête",
        None,
    ]
