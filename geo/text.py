"""Text helpers shared by matching, search and joins."""

from __future__ import annotations

import re

import pandas as pd
from unidecode import unidecode

#: Characters that make a spreadsheet read a cell as a formula (OWASP CSV injection).
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
_NON_ALNUM = re.compile(r"[^a-z0-9]+")

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
    return _NON_ALNUM.sub(" ", unidecode(str(value)).lower()).strip()


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
