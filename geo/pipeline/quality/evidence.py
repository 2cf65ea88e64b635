"""What a check returns and how its evidence reads: finding rows, French wording, nulls."""

from __future__ import annotations

import math
from collections.abc import Iterable

import numpy as np
import pandas as pd

from geo.vocabulary import KINDS


def finding_rows(rows: Iterable[int], evidence: Iterable[str], related: Iterable[object] | None = None) -> pd.DataFrame:
    """Return a check's findings: facility ``row`` (position), French ``evidence`` and ``related_id``."""
    rows = np.asarray(list(rows), dtype=int)
    related = [None] * len(rows) if related is None else list(related)
    return pd.DataFrame({"row": rows, "evidence": list(evidence), "related_id": related})


def kind_label(kind: object) -> str:
    """Return the French label of a facility kind (the key itself when unknown)."""
    return KINDS[kind].label_fr if kind in KINDS else str(kind)


def display(name: object) -> str:
    """Return a name quoted « … » with spaces collapsed, or "(sans nom)"."""
    text = "" if name is None or (isinstance(name, float) and math.isnan(name)) else " ".join(str(name).split())
    return f"« {text} »" if text else "(sans nom)"


def reference(name: object, fid: str) -> str:
    """Return how evidence names another facility: « name » (id), or id (sans nom)."""
    shown = display(name)
    return f"{fid} {shown}" if shown == "(sans nom)" else f"{shown} ({fid})"


def metres(value: float) -> str:
    """Return a distance in metres as French text: "420 m", "1,3 km"."""
    return f"{value:.0f} m" if value < 1000 else f"{value / 1000:.1f} km".replace(".", ",")


def json_value(value: object) -> object:
    """Return None for a missing value (None, NA, NaN), else the value: findings carry nulls, never NaN."""
    return None if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)) else value
