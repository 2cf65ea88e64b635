"""How the CSCOM sources name a centre: distinctive cores, name scores, community markers.

The DNACPN sheet writes ASACO codes ("ASACOKOSA", "ABOSAC", "ASACOMI"), the
2021 survey free text ("Asacokossa", "Scom de Bozola", "Cscom missira", or only
"Centre de santé communautaire"). Scores are 0–100 (``rapidfuzz``).
"""

from __future__ import annotations

import re

import pandas as pd
from rapidfuzz import fuzz

from geo.text import normalize_name

#: Words that say "a health centre" without saying which one.
GENERIC_TOKENS = frozenset(
    "cscom cscomm scom csc cs asaco assaco ascom association centre center centres sante soin soins "
    "communautaire communautaires communitaire publique public batiment aire de du des d l la le les et".split()
)
#: ASACO-style prefixes glued to the distinctive part ("ASACOKOSA", "CSCODA", "ASCOMISSABOUGOU").
_ACRONYM_PREFIX = re.compile(r"^(?:assaco|asaco|cscom|csco|asco|scom)(?=[a-z0-9]{2})")
#: A name that says "community" the ways the sources write it.
_COMMUNITY_MARKER = re.compile(r"\b(?:c?scom\w*|as+aco\w*|asco\w*|\w+asco|communautaire|communitaire)\b")
#: Kind a mislabelled private practice gets from a word of its name ("clinic" when none).
PRIVATE_PRACTICE_KINDS: dict[str, str] = {
    "pharmacie": "pharmacy",
    "pharmacy": "pharmacy",
    "officine": "pharmacy",
    "cabinet": "clinic",
    "clinique": "clinic",
    "polyclinique": "clinic",
    "clinic": "clinic",
}


def name_core(name: object) -> str:
    """Return the distinctive part of a health-centre name, compacted ("" when only generic words).

    >>> name_core("ASACOKOSA"), name_core("Cscom ASACOMI"), name_core("Scom de Bozola")
    ('kosa', 'mi', 'bozola')
    >>> name_core("Centre de santé communautaire")
    ''
    """
    tokens = [t for t in normalize_name(name).split() if t not in GENERIC_TOKENS]
    return "".join(_ACRONYM_PREFIX.sub("", t) for t in tokens)


def name_score(a: str, b: str) -> float | None:
    """Return the similarity 0–100 of two name cores, or None when either is empty.

    A core that begins the other ("kal" and "kalko") scores 90, or 80 when it
    has two letters ("mi" and "missira": enough to agree with a point nearby,
    not to fetch one far away).
    """
    if not a or not b:
        return None
    prefix = {0: 0.0, 1: 0.0, 2: 80.0}.get(min(len(a), len(b)), 90.0) if a.startswith(b) or b.startswith(a) else 0.0
    return max(float(fuzz.ratio(a, b)), prefix)


def has_community_marker(name: object) -> bool:
    """Return whether a name says "community" (CSCOM, ASACO, communautaire) in any of the sources' spellings."""
    return bool(_COMMUNITY_MARKER.search(normalize_name(name)))


def probable_mislabel_kinds(survey: pd.DataFrame) -> pd.Series:
    """Return per row the kind a "cscom"-labelled private practice should have ("" when not one).

    A CSCOM is run by its community association (ASACO): a row whose name has no
    community marker and whose operator is private, or whose name says
    cabinet/clinique/pharmacie under a non-community operator, is a private practice.
    """
    words = survey["name"].map(lambda n: set(normalize_name(n).split()))
    practice = words.map(lambda w: next((PRIVATE_PRACTICE_KINDS[t] for t in PRIVATE_PRACTICE_KINDS if t in w), ""))
    unmarked = ~survey["name"].map(has_community_marker)
    private = survey["operator_type"] == "private"
    suspect = (
        (survey["kind"] == "cscom")
        & unmarked
        & (private | ((practice != "") & (survey["operator_type"] != "community")))
    )
    return practice.replace("", "clinic").where(suspect, "")
