"""Clean the free-text answers of the KoBo surveys: names on one line, collector remarks, lost letters.

The waste survey lost its accented letters at the source: each became U+FFFD
("D\ufffdp\ufffdt d\ufffdchet"). :func:`repair_lost_letters` restores a word only
where exactly one word of a vocabulary fits, each U+FFFD standing for one
non-ASCII letter; everything else is left as it is, for the notes to report.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping

import geopandas as gpd

#: A continuation line of a name with at least this many words is a collector's remark.
REMARK_MIN_WORDS = 8
#: Accented words the waste survey lost to U+FFFD, spelled right (matched ignoring case).
#: "Aéroportière" is the collector's own spelling in the quartier answer "Zon A?roportière".
REPAIR_WORDS: tuple[str, ...] = (
    "Dépôt",
    "Dépôts",
    "Déchet",
    "Déchets",
    "Dépotoir",
    "Dépotoirs",
    "Décharge",
    "Aéroportière",
)

#: Unicode categories removed from names: pictographs, format and unassigned characters.
_DROPPED_CATEGORIES = {"So", "Cf", "Cs", "Co", "Cn"}
_VARIATION_SELECTOR = "\ufe0f"
#: The replacement character that stands for a lost letter.
LOST = "\ufffd"
_WORD = re.compile(r"[\w\ufffd]+")


def repair_vocabulary(quartiers: gpd.GeoDataFrame | None = None) -> dict[str, str]:
    """Return {lower-case word: word} of ``REPAIR_WORDS`` and the accented words of quartier names."""
    words: list[str] = list(REPAIR_WORDS)
    if quartiers is not None:
        for column in ("name", "alt_name"):
            for value in quartiers[column].dropna():
                words.extend(re.findall(r"\w+", str(value)))
    return {w.lower(): w for w in words if not w.isascii()}


def repair_lost_letters(text: str, vocabulary: Mapping[str, str]) -> str:
    """Restore letters lost as U+FFFD where exactly one vocabulary word fits.

    Each U+FFFD stands for one non-ASCII letter; the other letters must match
    (ignoring case). Words with no single fit keep their U+FFFD.

    >>> repair_lost_letters("D\\ufffdp\\ufffdt d\\ufffdchet", {"dépôt": "Dépôt", "déchet": "déchet"})
    'Dépôt déchet'
    """
    if LOST not in text:
        return text
    return _WORD.sub(lambda m: _repair_word(m.group(0), vocabulary), text)


def _repair_word(word: str, vocabulary: Mapping[str, str]) -> str:
    if LOST not in word:
        return word
    pattern = re.compile("".join("[^\\x00-\\x7f]" if c == LOST else re.escape(c) for c in word), re.IGNORECASE)
    fits = {key for key in vocabulary if len(key) == len(word) and pattern.fullmatch(key)}
    if len(fits) != 1:
        return word
    fit = vocabulary[fits.pop()]
    upper = word.replace(LOST, "").isupper()
    return "".join((f.upper() if upper else f) if c == LOST else c for c, f in zip(word, fit, strict=True))


def clean_text(value: object) -> str:
    """Return ``value`` as one line: lines joined, pictographs removed, spaces collapsed, ends trimmed."""
    if value is None or (isinstance(value, float) and value != value):
        return ""
    text = str(value)
    if not text.isascii():  # no ASCII character is in _DROPPED_CATEGORIES: only others need the scan
        text = "".join(
            c
            for c in text
            if c == LOST or (c != _VARIATION_SELECTOR and unicodedata.category(c) not in _DROPPED_CATEGORIES)
        )
    return " ".join(text.split()).strip(" ,;")


def split_remarks(value: object) -> tuple[str, bool]:
    """Return the name without continuation lines that are collector remarks, and whether one was dropped."""
    if value is None or (isinstance(value, float) and value != value):
        return "", False
    lines = [line for line in str(value).splitlines() if line.strip()]
    kept = lines[:1] + [line for line in lines[1:] if len(line.split()) < REMARK_MIN_WORDS]
    return " ".join(kept), len(kept) < len(lines)
