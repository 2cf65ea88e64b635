"""Display-time translation of the texts the build writes in English (notes, row references, licences).

The build keeps its notes in English in the store (they are data, exported as
written); pages show them in the reader's language through :data:`TEMPLATES`:
a registry of ``(pattern, Text)`` pairs, each pattern a regular expression
matching one whole note segment (notes are ``"; "``-joined segments), each
``Text`` a ``str.format`` template filled with the pattern's groups. A segment
no template matches is shown as written. Add a template here when the build
writes a new kind of note; ``tests/geo/test_phrases.py`` lists the known ones.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import pandas as pd

from geo.vocabulary import KINDS, Text

#: Separator of the translated segments of a note, by language (French typography: a space before ";").
SEPARATORS = {"fr": " ; ", "en": "; "}


@dataclass(frozen=True)
class Phrase:
    """A note template: a pattern matching a whole segment and its text in French and English."""

    pattern: re.Pattern[str]
    text: Text

    def render(self, match: re.Match[str], lang: str) -> str:
        """Return the segment in ``lang``, kind keys among the groups shown as kind labels."""
        return self.text(lang).format(*(_group(g, lang) for g in match.groups()))


def _group(value: str, lang: str) -> str:
    """Return a matched group for display: a kind key as its label, a French decimal comma, a field's name."""
    if value in KINDS:
        return KINDS[value].label(lang).lower()
    if lang != "en" and re.fullmatch(r"-?\d+\.\d+", value):
        return value.replace(".", ",")
    return FIELD_NAMES[value](lang) if value in FIELD_NAMES else value


#: Field names the notes start with ("name: …").
FIELD_NAMES = {
    "name": Text("nom", "name"),
    "quartier": Text("quartier", "quartier"),
    "commune": Text("commune", "commune"),
    "beds": Text("lits", "beds"),
    "doctors": Text("médecins", "doctors"),
    "nurses": Text("infirmiers", "nurses"),
    "pupils": Text("élèves", "pupils"),
}


def _phrase(pattern: str, fr: str, en: str) -> Phrase:
    return Phrase(re.compile(pattern), Text(fr, en))


#: Templates of the notes the build writes (geo.pipeline.ingest, geo.pipeline.reconcile), first match wins.
TEMPLATES: tuple[Phrase, ...] = (
    _phrase(r"(name|quartier|commune): accented letters lost in the source were restored",
            "{0} : accents perdus dans la source rétablis", "{0}: accented letters lost in the source were restored"),
    _phrase(r"(name|quartier|commune): accented letters lost in the source \(shown as U\+FFFD\) could not be restored",
            "{0} : accents perdus dans la source, non rétablis (affichés �)",
            "{0}: accented letters lost in the source (shown as U+FFFD) could not be restored"),
    _phrase(r"kind inferred from the name \(type missing in the survey\)",
            "type déduit du nom (absent de l'enquête)", "kind inferred from the name (type missing in the survey)"),
    _phrase(r"labelled (\S+) in the survey, re-kinded (\S+) by its name",
            "classé « {0} » dans l'enquête, type changé en « {1} » d'après son nom",
            "labelled {0} in the survey, re-kinded {1} by its name"),
    _phrase(r"labelled (\S+) in the survey, re-kinded (\S+)",
            "classé {0} dans l'enquête, type changé en « {1} »", "labelled {0} in the survey, re-kinded {1}"),
    _phrase(r"a collector's remark after the name was dropped",
            "remarque de l'enquêteur après le nom retirée", "a collector's remark after the name was dropped"),
    _phrase(r"survey name: ([^;]+)", "nom dans l'enquête : {0}", "survey name: {0}"),
    _phrase(r"survey point (\d+) m away", "point de l'enquête à {0} m", "survey point {0} m away"),
    _phrase(r"point from the survey \(none in the sheet\)",
            "point de l'enquête (aucun dans la fiche DNACPN)", "point from the survey (none in the sheet)"),
    _phrase(r"surveyed (\d+) times", "relevé {0} fois par l'enquête", "surveyed {0} times"),
    _phrase(r"entered twice in the sheet \(rows (\d+) and (\d+), ([\d.]+) m apart, under ([^;]+) and ([^;]+)\)",
            "saisi deux fois dans la fiche DNACPN (lignes {0} et {1}, à {2} m l'une de l'autre, en {3} et {4})",
            "entered twice in the sheet (rows {0} and {1}, {2} m apart, under {3} and {4})"),
    _phrase(r"(\w+): (\d+) kept but implausible \(above (\d+)\)",
            "{0} : {1} conservé mais peu plausible (plus de {2})", "{0}: {1} kept but implausible (above {2})"),
    _phrase(r"(\w+): value discarded \(not a count between 0 and (\d+)\)",
            "{0} : valeur écartée (pas un effectif entre 0 et {1})",
            "{0}: value discarded (not a count between 0 and {1})"),
    _phrase(r"name replaced by a generic one: it contained the name of the row's data collector",
            "nom remplacé par un nom générique : il contenait le nom de l'enquêteur",
            "name replaced by a generic one: it contained the name of the row's data collector"),
    _phrase(r'same facility as survey row (\S+) \("(.*)", (\d+) m\)',
            "même équipement que la ligne {0} de l'enquête (« {1} », {2} m)",
            'same facility as survey row {0} ("{1}", {2} m)'),
    # the CSCOM register checked against SNISI 2016 (geo.pipeline.reconcile.snisi)
    _phrase(r"sheet point (-?[\d.]+), (-?[\d.]+) is (\d+) m from the survey GPS point: GPS point used",
            "point de la fiche DNACPN (lat. {0}, long. {1}) à {2} m du point GPS de l'enquête : point GPS retenu",
            "sheet point {0}, {1} is {2} m from the survey GPS point: GPS point used"),
    _phrase(r"sheet point (\d+) m from the survey GPS point",
            "point de la fiche DNACPN à {0} m du point GPS de l'enquête",
            "sheet point {0} m from the survey GPS point"),
    _phrase(r"sheet point (-?[\d.]+), (-?[\d.]+) is ([\d.]+) km outside the District under ([^:]+): "
            r"coordinate error, placed at its health area's quartier",
            "point de la fiche DNACPN (lat. {0}, long. {1}) à {2} km hors du District, en {3} : erreur de "
            "coordonnées, placé au quartier de son aire de santé",
            "sheet point {0}, {1} is {2} km outside the District under {3}: coordinate error, "
            "placed at its health area's quartier"),
    _phrase(r"sheet point (-?[\d.]+), (-?[\d.]+) is ([\d.]+) km outside the District under ([^:]+): "
            r"coordinate error, placed at its health area's commune",
            "point de la fiche DNACPN (lat. {0}, long. {1}) à {2} km hors du District, en {3} : erreur de "
            "coordonnées, placé à sa commune",
            "sheet point {0}, {1} is {2} km outside the District under {3}: coordinate error, "
            "placed at its health area's commune"),
    _phrase(r"merged with (\S+) \(([^)]*)\): same SNISI health area ([^;]+)",
            "fusionné avec {0} ({1}) : même aire de santé SNISI {2}",
            "merged with {0} ({1}): same SNISI health area {2}"),
    _phrase(r"health area ([^;]+) held by (\S+) (\d+) m away: not merged",
            "aire de santé {0} déjà tenue par {1} à {2} m : non fusionné",
            "health area {0} held by {1} {2} m away: not merged"),
    _phrase(r"not in SNISI 2016 and in one source only: re-kinded (\S+)",
            "absent de la liste SNISI 2016 et d'une seule source : type changé en « {0} »",
            "not in SNISI 2016 and in one source only: re-kinded {0}"),
    _phrase(r"not in SNISI 2016: CSRef-sized \((\d+) doctors\), re-kinded (\S+)",
            "absent de la liste SNISI 2016 : taille d'un CSRef ({0} médecins), type changé en « {1} »",
            "not in SNISI 2016: CSRef-sized ({0} doctors), re-kinded {1}"),
    _phrase(r"not in SNISI 2016: a mutuelle, not an ASACO-run centre, re-kinded (\S+)",
            "absent de la liste SNISI 2016 : une mutuelle, pas un centre géré par une ASACO, type changé en « {0} »",
            "not in SNISI 2016: a mutuelle, not an ASACO-run centre, re-kinded {0}"),
    _phrase(r"not in SNISI 2016: a faith-based centre, not an ASACO-run centre, re-kinded (\S+)",
            "absent de la liste SNISI 2016 : un centre confessionnel, pas un centre géré par une ASACO, "
            "type changé en « {0} »",
            "not in SNISI 2016: a faith-based centre, not an ASACO-run centre, re-kinded {0}"),
    _phrase(r"not in SNISI 2016: kept as CSCOM, the sheet and the survey agree",
            "absent de la liste SNISI 2016 : gardé comme CSCOM, la fiche DNACPN et l'enquête concordent",
            "not in SNISI 2016: kept as CSCOM, the sheet and the survey agree"),
    _phrase(r"not in SNISI 2016: kept as CSCOM, ([^;]+), opened in (\d{4}) after the SNISI 2016 list \(([^)]*)\)",
            "absent de la liste SNISI 2016 : gardé comme CSCOM, {0}, ouvert en {1} après la liste SNISI 2016 ({2})",
            "not in SNISI 2016: kept as CSCOM, {0}, opened in {1} after the SNISI 2016 list ({2})"),
    _phrase(r"row (\w+)", "ligne {0}", "row {0}"),
    # reasons the planners' register writes itself (geo.planning.edits)
    _phrase(r"revert of change (\d+)", "annulation de la modification n° {0}", "revert of change {0}"),
    _phrase(r"removed from the sources", "retiré des sources", "removed from the sources"),
    # licences of data/sources.toml
    _phrase(r"public administrative data, redistributed by HOT Open Cities Africa \(no licence file\)",
            "données administratives publiques, rediffusées par HOT Open Cities Africa (sans fichier de licence)",
            "public administrative data, redistributed by HOT Open Cities Africa (no licence file)"),
    _phrase(r"no licence file; collected by OpenStreetMap Mali / HOT for Open Cities Africa",
            "sans fichier de licence ; collectées par OpenStreetMap Mali / HOT pour Open Cities Africa",
            "no licence file; collected by OpenStreetMap Mali / HOT for Open Cities Africa"),
)  # fmt: skip


#: Day abbreviations of the surveys' opening-hours choices (« Mo-Fri 08:00-17:00 »), in French.
DAYS_FR = {"Mo": "lun.", "Tu": "mar.", "We": "mer.", "Th": "jeu.", "Fr": "ven.", "Fri": "ven.", "Sa": "sam.",
           "Su": "dim."}  # fmt: skip
_DAY_RANGE = re.compile(r"(Mo|Tu|We|Th|Fri?|Sa|Su)-(Mo|Tu|We|Th|Fri?|Sa|Su) (\d\d:\d\d)-(\d\d:\d\d)")
#: Whole opening-hours choices other than day ranges.
HOURS_WORDS = {"24/7": Text("24 h/24, 7 j/7", "24/7"), "other": Text("autres horaires", "other hours")}


def opening_hours(text: object, lang: str) -> str:
    """Return the surveys' opening hours (``"; "``-joined choices, or a collector's free text) for ``lang``.

    « Mo-Fri 08:00-17:00; other » reads « lun.–ven. 08:00–17:00 ; autres horaires » in French; free text
    (already French: « 7h45 à 17h ») is left as written.
    """
    if text is None or (isinstance(text, float) and text != text):
        return ""

    def one(part: str) -> str:
        if part in HOURS_WORDS:
            return HOURS_WORDS[part](lang)
        match = _DAY_RANGE.fullmatch(part)
        if match is None or lang == "en":
            return part
        first, last, start, end = match.groups()
        return f"{DAYS_FR[first]}–{DAYS_FR[last]} {start}–{end}"

    return SEPARATORS.get(lang, SEPARATORS["fr"]).join(one(p) for p in re.split(r"\s*;\s*", str(text)) if p)


def translate_segment(segment: str, lang: str) -> str:
    """Return one note segment in ``lang`` (as written when no template matches)."""
    for phrase in TEMPLATES:
        match = phrase.pattern.fullmatch(segment)
        if match:
            return phrase.render(match, lang)
    return segment


def _missing(value: object) -> bool:
    return value is None or value is pd.NA or (isinstance(value, float) and value != value) or value == ""


def note_text(note: object, note_fr: object, lang: str) -> str:
    """Return a facility's note in ``lang``: its French text (``note_fr``) for French when it has one.

    The English note is the fallback in every language; either is then translated
    segment by segment (:func:`translate`), so segments the build appended in
    English are shown in ``lang`` too.
    """
    chosen = note if lang == "en" or _missing(note_fr) else note_fr
    return translate(None if _missing(chosen) else chosen, lang)


def french_notes(frame: pd.DataFrame) -> pd.Series:
    """Return the French note of every row of a facility frame (``note``, ``note_fr``), None without a note."""
    french = frame["note_fr"] if "note_fr" in frame.columns else pd.Series(None, index=frame.index, dtype=object)
    texts = [note_text(n, f, "fr") or None for n, f in zip(frame["note"], french, strict=True)]
    return pd.Series(texts, index=frame.index, dtype=object)


def translate(text: object, lang: str) -> str:
    """Return a build note (or ``;``-joined row references) in ``lang``, segment by segment.

    The whole text is tried first, so a template may itself contain ``;`` (a
    licence); then each ``;``-separated segment. A missing value gives ``""``.
    """
    if text is None or (isinstance(text, float) and text != text):
        return ""
    text = str(text)
    whole = translate_segment(text, lang)
    if whole != text:
        return whole
    return SEPARATORS.get(lang, SEPARATORS["fr"]).join(
        translate_segment(p, lang) for p in re.split(r"\s*;\s*", text) if p
    )
