"""Read the SNISI 2016 health-area table (``reference/snisi_health_areas_bamako_2016.csv``).

One row per (health area, locality) in the source; one row per health area here. SNISI
locality codes are the COD-AB quartier P-codes in another spelling: ``9109`` + commune
digit + three digits is ``ML09010`` + the same digit + the same three digits
(91091112 BOULKASSOUMBOUGOU is ML090101112), checked by name on the 65 localities; the one code
without a COD-AB unit, 91095900 GARANTIGUIBOUGOU, is COD-AB's Garantiguibougou ``ML090105951``.
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from geo.errors import DataError
from geo.text import commune_pcode_from_text, normalize_name

COLUMNS = ("commune", "health_area_code", "health_area_name", "locality_code", "locality_name")
#: Kinds of SNISI health areas: a community health area (ASACO), a CSRef, another public structure.
AREA_KINDS = ("asaco", "csref", "other")
_LOCALITY_CODE = re.compile(r"^9109([1-6])(\d{3})$")
#: SNISI locality codes whose COD-AB P-code is not the transcribed one (checked by name).
CODE_FIXES = {"91095900": "ML090105951"}


def area_kind(name: str) -> str:
    """Return the kind of a SNISI health area from its name ("COMMUNE 1 CSREF" is a CSRef)."""
    words = normalize_name(name)
    if "csref" in words.split():
        return "csref"
    if words.startswith(("commune ", "maternite")):
        return "other"
    return "asaco"


def quartier_pcode(locality_code: str) -> str:
    """Return the COD-AB P-code of a SNISI locality code, "" when empty.

    >>> quartier_pcode("91091112")
    'ML090101112'
    """
    if not locality_code:
        return ""
    if locality_code in CODE_FIXES:
        return CODE_FIXES[locality_code]
    found = _LOCALITY_CODE.match(locality_code)
    if found is None:
        raise ValueError(f"locality code {locality_code!r} is not 9109 + commune digit + 3 digits")
    return f"ML09010{found.group(1)}{found.group(2)}"


def read_health_areas(path: Path) -> pd.DataFrame:
    """Return one row per SNISI health area of the six communes.

    Columns: ``commune_pcode``, ``code``, ``name``, ``area_kind`` (one of ``AREA_KINDS``),
    ``quartier_pcodes`` and ``locality_names`` (tuples, empty when SNISI lists none).

    Raises
    ------
    DataError
        A column is missing, or a row has an unknown commune, no code or name, or a bad locality code
        (the file and the row are named).
    """
    path = Path(path)
    try:
        raw = pd.read_csv(path, dtype=str, keep_default_na=False)
    except (OSError, ValueError) as exc:
        raise DataError(f"{path}: cannot read the SNISI table ({type(exc).__name__}: {exc})") from None
    missing = [c for c in COLUMNS if c not in raw.columns]
    if missing:
        raise DataError(f"{path}: missing columns {missing}")
    areas: dict[str, dict] = {}
    for line, row in enumerate(raw.itertuples(index=False), start=2):
        pcode = commune_pcode_from_text(row.commune)
        if pcode is None or not row.health_area_code or not row.health_area_name:
            raise DataError(f"{path}: line {line}: needs a commune of the District, a health-area code and a name")
        try:
            quartier = quartier_pcode(row.locality_code)
        except ValueError as exc:
            raise DataError(f"{path}: line {line}: {exc}") from None
        area = areas.setdefault(
            row.health_area_code,
            {
                "commune_pcode": pcode,
                "code": row.health_area_code,
                "name": row.health_area_name,
                "area_kind": area_kind(row.health_area_name),
                "quartier_pcodes": (),
                "locality_names": (),
            },
        )
        if quartier:
            area["quartier_pcodes"] += (quartier,)
            area["locality_names"] += (row.locality_name,)
    return pd.DataFrame(list(areas.values()), columns=["commune_pcode", "code", "name", "area_kind",
                                                      "quartier_pcodes", "locality_names"])  # fmt: skip
