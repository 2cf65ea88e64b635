"""Give a surveyed facility the kind its name states when the survey's answer contradicts it.

A name that begins with « Pharmacie » (officine, dépôt pharmaceutique) is a
pharmacy, one that begins with « Clinique », « Polyclinique » or « Cabinet » a
private clinic or practice, whatever kind the 2021 survey answered: « PHARMACIE »
answered hospital is drawn, counted and analysed as a pharmacy. The record keeps
the survey's answer in its note (:data:`NOTE`).

Only these private-practice names decide. Names that say CSCOM, CSRef or hôpital
do not: those levels of care are the registers' to decide (DNACPN sheet, SNISI
2016), and « Hôpital du Mali » is also in a pharmacy's name. Survey CSCOM answers
are left to the CSCOM reconciliation (:func:`~geo.pipeline.reconcile.names.probable_mislabel_kinds`),
which weighs the operator too: a « Clinique » run by its community association
answered CSCOM is ambiguous and stays a CSCOM, flagged by the QA. School names
(« Lycée … » answered school) are not decisive either: they name neighbouring levels
of one sector that many establishments run together, and stay QA findings.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

from geo.text import normalize_name

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class StatedKind:
    """A name pattern (on ``normalize_name``) that states a kind, and the kinds such a name allows."""

    pattern: str
    kind: str
    allowed: frozenset[str]


#: Names that state their kind unambiguously, by the kind they state. A clinic with beds may be
#: answered hospital and a small one "other": the name allows those answers.
STATED_KINDS: dict[str, StatedKind] = {
    "pharmacy": StatedKind(
        r"^(?:batiment )?(?:pharmacie|officine|depot pharmaceutique|depot de medicaments?)\b",
        "pharmacy",
        frozenset({"pharmacy"}),
    ),
    "clinic": StatedKind(
        r"^(?:batiment )?(?:clinique|polyclinique|cabinet)\b",
        "clinic",
        frozenset({"clinic", "health_other", "hospital"}),
    ),
}
#: Answers a name never overrides: the CSCOM reconciliation decides them.
RECONCILED_KINDS = frozenset({"cscom"})
#: The note a re-kinded record gets (the survey's answer, the kind its name states).
NOTE = "labelled {answer} in the survey, re-kinded {kind} by its name"
#: :data:`NOTE` read back (QA evidence): groups ``answer`` and ``kind``.
NOTE_PATTERN = re.compile(r"labelled (?P<answer>\S+) in the survey, re-kinded (?P<kind>\S+) by its name")


def stated_kinds(names: pd.Series) -> pd.Series:
    """Return per row the kind its name states ("" when the name states none)."""
    folded = names.map(normalize_name)
    conditions = [folded.str.contains(s.pattern, regex=True).to_numpy(dtype=bool) for s in STATED_KINDS.values()]
    return pd.Series(
        np.select(conditions, [s.kind for s in STATED_KINDS.values()], ""), index=names.index, dtype=object
    )


def rekind_by_name(survey: pd.DataFrame) -> pd.DataFrame:
    """Return survey rows with the kind their name states where the answer contradicts it, the answer noted.

    ``survey`` has ``name``, ``kind`` and ``note``; CSCOM answers are left as they are
    (:data:`RECONCILED_KINDS`). Other rows are unchanged.
    """
    out = survey.copy()
    stated = stated_kinds(out["name"])
    contradicts = pd.Series(False, index=out.index)
    for s in STATED_KINDS.values():
        contradicts |= (stated == s.kind) & ~out["kind"].isin(list(s.allowed | RECONCILED_KINDS))
    if not contradicts.any():
        return out
    rows = out.index[contradicts]
    notes = [
        NOTE.format(answer=answer, kind=kind) for answer, kind in zip(out.loc[rows, "kind"], stated[rows], strict=True)
    ]
    before = out.loc[rows, "note"].fillna("").astype(str)
    out.loc[rows, "note"] = [f"{b}; {n}" if b else n for b, n in zip(before, notes, strict=True)]
    out.loc[rows, "kind"] = stated[rows]
    log.info("kinds: %d facilit(ies) re-kinded by their name: %s", len(rows), ", ".join(map(str, out.loc[rows, "id"])))
    return out
