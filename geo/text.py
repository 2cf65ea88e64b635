"""Text helpers shared by matching, search and joins."""

from __future__ import annotations

import re
from functools import lru_cache

import pandas as pd
from unidecode import unidecode

#: Characters that make a spreadsheet read a cell as a formula (OWASP CSV injection).
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
_NON_ALNUM = re.compile(r"[^a-z0-9]+")
_WHOLE_NUMBER = re.compile(r"[0-9]{1,100}")

#: Words of facility names that only restate the kind or are grammatical (after ``normalize_name``).
GENERIC_NAME_WORDS = frozenset(
    "pharmacie pharmacies officine clinique polyclinique cabinet medical medicale medicaux dentaire soins soin "
    "centre sante cscom csref asaco communautaire hopital batiment ecole ecoles privee prive public publique "
    "fondamentale fondamental groupe scolaire complexe complexes lycee college jardin enfants enfant maternelle "
    "creche garderie cycle medersa franco arabe institut universite faculte superieure superieur depot depots "
    "depotoir depotoire dechet dechets ordure ordures poubelle transit site de du des la le les et au aux en pour".split()
)

# unidecode maps one character at a time: the Latin letters and punctuation of the sources, looked up once,
# fold with str.translate (10× faster on 50 000 names); anything else still goes through unidecode.
_FOLD = {cp: unidecode(chr(cp)) for cp in (*range(0x80, 0x250), *range(0x2000, 0x2070))}

#: Roman numerals of the six communes, as the sources write them.
COMMUNE_NUMERALS = {
    "I": "ML090101",
    "II": "ML090102",
    "III": "ML090103",
    "IV": "ML090104",
    "V": "ML090105",
    "VI": "ML090106",
}


def normalize_name(value: object) -> str:
    """Return ``value`` folded for comparison: no accents, lower case, single spaces.

    >>> normalize_name("  Faladjè ")
    'faladje'
    >>> normalize_name("N'Tominkorobougou")
    'n tominkorobougou'
    """
    if value is None or (isinstance(value, float) and value != value):
        return ""
    text = str(value)
    return _fold_cached(text) if len(text) <= _CACHED_LENGTH else _fold(text)


#: Texts up to this length are folded once per process (a build folds the same names ~10 times);
#: longer ones, rare, are not kept.
_CACHED_LENGTH = 200


def _fold(text: str) -> str:
    folded = text.translate(_FOLD)
    return _NON_ALNUM.sub(" ", (folded if folded.isascii() else unidecode(folded)).lower()).strip()


_fold_cached = lru_cache(maxsize=8192)(_fold)


def clear_name_cache() -> None:
    """Forget the names folded so far (a benchmark then times a build as cold as ``data build`` runs)."""
    _fold_cached.cache_clear()


def compact_name(value: object) -> str:
    """Return ``normalize_name(value)`` without spaces ("Baco Djicoroni" → "bacodjicoroni")."""
    return normalize_name(value).replace(" ", "")


def commune_pcode_from_text(value: object) -> str | None:
    """Return the P-code of a commune written as "Commune V", "V", "commune 5"…, or None."""
    text = normalize_name(value)
    text = text.removeprefix("commune").strip()
    if text.upper() in COMMUNE_NUMERALS:
        return COMMUNE_NUMERALS[text.upper()]
    if text.isdigit() and 1 <= int(text) <= 6:
        return f"ML09010{int(text)}"
    return None


def defuse_formula(values: pd.Series) -> pd.Series:
    """Prefix ``'`` to text cells a spreadsheet would run as a formula (= + - @ tab CR)."""
    is_text = values.map(lambda v: isinstance(v, str))
    risky = is_text & values.where(is_text, "").astype(str).str.startswith(FORMULA_PREFIXES)
    return values.where(~risky, "'" + values.where(risky, "").astype(str))


def whole_number(text: object) -> int | None:
    """Return ``text`` as an int when it is ASCII digits only (at most 100), else None.

    Stricter than ``int()``, which also takes "+1", " 1", "1_0" and other scripts' digits ("٣").

    >>> whole_number("42"), whole_number("+1"), whole_number("٣")
    (42, None, None)
    """
    return int(text) if isinstance(text, str) and _WHOLE_NUMBER.fullmatch(text) else None
