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
    if lang != "en" and re.fullmatch(r"\d+\.\d+", value):
        return value.replace(".", ",")
    return FIELD_NAMES[value](lang) if value in FIELD_NAMES else value


#: Field names the notes start with ("name: …").
FIELD_NAMES = {
    "name": Text("nom", "name"),
    "quartier": Text("quartier", "quartier"),
    "commune": Text("commune", "commune"),
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


def translate_segment(segment: str, lang: str) -> str:
    """Return one note segment in ``lang`` (as written when no template matches)."""
    for phrase in TEMPLATES:
        match = phrase.pattern.fullmatch(segment)
        if match:
            return phrase.render(match, lang)
    return segment


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
