"""Name comparison: facility names by their distinctive words and section markers, quartier names by key.

Names are compared after :func:`geo.text.normalize_name` (lower case, no
accents or punctuation). Scores are 0–100 (``rapidfuzz``).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

import geopandas as gpd
import numpy as np
import pandas as pd
from rapidfuzz import fuzz, process

from geo.text import GENERIC_NAME_WORDS as _GENERIC_WORDS
from geo.text import normalize_name

#: Similarity (0–100) of a declared quartier name to a COD-AB name or alternative
#: name: accepts Sokonafing/Sogonafing, Zon Aéroportière/Zone aéroportuaire,
#: rejects Kadobougou/Kodabougou (80), which may be another place.
QUARTIER_NAME_SCORE = 85.0

# Section markers of schools sharing a compound ("A", "B", "second cycle", "II"): different markers, different facilities.
_ORDINALS = {
    "premier": "1", "premiere": "1", "1er": "1", "1ere": "1", "second": "2", "seconde": "2", "deuxieme": "2",
    "2eme": "2", "2e": "2", "2me": "2", "troisieme": "3", "3eme": "3", "3e": "3",
}  # fmt: skip
_ROMANS = {"i": "1", "ii": "2", "iii": "3", "iv": "4", "v": "5", "vi": "6", "vii": "7", "viii": "8", "ix": "9"}
_DIGITS = re.compile(r"\d+")


def split_name(norm: str) -> tuple[str, str]:
    """Return (distinctive words, section markers) of a normalised facility name.

    Words that only restate the kind ("pharmacie", "école privée") or are
    grammatical are dropped; letters, numbers, ordinals and Roman numerals that
    mark a section of a compound are returned sorted, joined by ``|``.

    >>> split_name("ecole privee niarela b second cycle")
    ('niarela', '2|b')
    >>> split_name("pharmacie")
    ('', '')
    """
    tokens = norm.split()
    core: list[str] = []
    marks: list[str] = []
    for k, token in enumerate(tokens):
        following = tokens[k + 1] if k + 1 < len(tokens) else None
        if token in _ORDINALS:
            marks.append(_ORDINALS[token])
        elif k > 0 and token in _ROMANS and len(token) > 1:
            marks.append(_ROMANS[token])
        elif len(token) == 1:
            # A lone letter is a section ("École X B", "cour F second cycle") at the end or before an ordinal;
            # elsewhere it is an elision or "à" and carries nothing.
            if k > 0 and (following is None or following in _ORDINALS or following == "cycle"):
                marks.append(token)
        else:
            marks += [d.lstrip("0") or "0" for d in _DIGITS.findall(token)]
            word = _DIGITS.sub("", token)
            word = word[5:] if word.startswith("asaco") and len(word) > 5 else word
            if word and word not in _GENERIC_WORDS:
                core.append(word)
    return " ".join(core), "|".join(sorted(marks))


def name_similarity(a: Sequence[str], b: Sequence[str], *, whole_names: bool = False) -> np.ndarray:
    """Return the similarity (0–100) of normalised facility names, pairwise: ``a[k]`` with ``b[k]``.

    The score is the best of token-set similarity and plain similarity with
    spaces removed ("Dianguina" / "Diaguina" 97, "Baco Djicoroni" /
    "Bacodjicoroni" 100) of the distinctive words (:func:`split_name`). It is 0
    when the section markers differ ("École X A" / "École X B") and NaN when
    they agree but a name has no distinctive word ("Pharmacie", "Groupe
    scolaire 2"): such names cannot tell two places apart, only positions can.

    Parameters
    ----------
    a, b
        Names after :func:`geo.text.normalize_name`, of the same length.
    whole_names
        Compare the whole names, kind words included, instead of their
        distinctive words (never NaN): "Pharmacie" then agrees with "Pharmacie
        Kanu" and a misspelt kind word costs little. The import preview does,
        as it lists candidates for a person to confirm.
    """
    if len(a) == 0:
        return np.zeros(0)
    parts = {name: split_name(name) for name in {*a, *b}}
    text_a = list(a) if whole_names else [parts[n][0] for n in a]
    text_b = list(b) if whole_names else [parts[n][0] for n in b]
    set_score = process.cpdist(text_a, text_b, scorer=fuzz.token_set_ratio)
    flat_a, flat_b = [s.replace(" ", "") for s in text_a], [s.replace(" ", "") for s in text_b]
    score = np.maximum(set_score, process.cpdist(flat_a, flat_b, scorer=fuzz.ratio)).astype(float)
    if not whole_names:
        score[(np.array(text_a) == "") | (np.array(text_b) == "")] = np.nan
    same_marks = np.array([parts[x][1] == parts[y][1] for x, y in zip(a, b, strict=True)], dtype=bool)
    return np.where(same_marks, score, 0.0)


def unit_key(value: object) -> str:
    """Return a quartier name as compact text with trailing Roman numerals as digits ("Badialan III" → "badialan3")."""
    tokens = normalize_name(value).split()
    return "".join(_ROMANS.get(t, t) if k else t for k, t in enumerate(tokens))


def quartier_matcher(quartiers: gpd.GeoDataFrame) -> Callable[[object], frozenset[str]]:
    """Return a function mapping a declared quartier name to the P-codes it designates (empty if unknown)."""
    names = pd.concat(
        [quartiers[["pcode", "name"]], quartiers[["pcode", "alt_name"]].rename(columns={"alt_name": "name"})]
    )
    names["key"] = names["name"].map(unit_key)
    names = names[names["key"] != ""].drop_duplicates(["pcode", "key"])
    letters = names["key"].str.replace(r"\d", "", regex=True).tolist()
    digits = names["key"].str.replace(r"\D", "", regex=True).tolist()
    by_key = names.groupby("key")["pcode"].agg(frozenset).to_dict()
    pcodes = names["pcode"].tolist()
    padded = [f" {normalize_name(n)} " for n in names["name"]]

    def match(declared: object) -> frozenset[str]:
        key = unit_key(declared)
        if not key:
            return frozenset()
        if key in by_key:
            found = by_key[key]
        else:
            want = re.sub(r"\d", "", key), re.sub(r"\D", "", key)
            hits = process.extract(want[0], letters, scorer=fuzz.ratio, score_cutoff=QUARTIER_NAME_SCORE, limit=None)
            hits = [(score, k) for _, score, k in hits if digits[k] == want[1]]
            best = max((s for s, _ in hits), default=None)
            found = frozenset(pcodes[k] for s, k in hits if s == best)
        if not found:
            return found
        # A unit named after the declared one is part of it: "Niamakoro" covers "Niamakoro 1621".
        words = f" {normalize_name(declared)} "
        return found | {pcodes[k] for k, text in enumerate(padded) if words in text}

    return match


def unknown_quartier_names(facilities: pd.DataFrame, quartiers: gpd.GeoDataFrame) -> pd.DataFrame:
    """Return declared quartier names that match no COD-AB name, with their commune and row count.

    They are gaps of the gazetteer (sectors, customary names), not errors of a
    facility record, so ``find_issues`` does not report them per facility.
    """
    match = quartier_matcher(quartiers)
    declared = facilities[["commune_declared", "quartier_declared"]].fillna("")
    declared = declared[declared["quartier_declared"].str.strip() != ""]
    counts = declared.value_counts().rename("count").reset_index()
    unknown = [not match(q) for q in counts["quartier_declared"]]
    return counts[unknown].reset_index(drop=True)
