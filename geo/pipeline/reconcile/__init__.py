"""Reconcile the CSCOM register: the DNACPN sheet against the 2021 health-facility survey.

The two sources name the same centres differently: the sheet writes ASACO
codes ("ASACOKOSA", "ABOSAC", "ASACOMI"), the surveyors wrote free text
("Asacokossa", "Scom de Bozola", "Cscom missira", or only "Centre de santé
communautaire"), surveyed some centres several times, and tagged some private
practices as community health centres. For several centres whose names agree
exactly the two points are 1–1.7 km apart.

Rules (distances in EPSG:32629, metres; name scores 0–100 on :func:`name_core`):

1. A survey "cscom" whose name has no community marker and whose operator is
   private (or whose name says cabinet, clinique, pharmacie) is a probable
   mislabel: it is re-kinded clinic or pharmacy and takes no further part.
2. Survey centres closer than ``duplicate_m`` whose names do not conflict are
   one centre surveyed several times and collapse into one row.
3. A sheet row and a survey centre may pair when
   - they are co-located (``colocated_m``), whatever the names (ABOSAC is the
     Bozola centre 6 m away); or
   - their names agree strongly, each is the other's best name match, and the
     points are within ``far_m`` (or the sheet row has no point and the
     declared communes agree); or
   - they are within ``near_m`` and their names do not conflict;
   never when the survey name names another sheet centre exactly, nor (except
   co-located) when the survey point sits on another sheet centre.
4. Pairs are assigned one-to-one, greedily: co-located pairs nearest first,
   then name pairs best score first, then near pairs. A name pair is skipped
   when a free rival fits as well ("ASACOYirimadjo" fits ASACOYIR and ASACOYI).
5. A survey row of another kind named as a CSCOM that sits on a sheet CSCOM
   ("Cscom benkadi", typed pharmacy, 20 m from Benkadi) is reported as a
   probable mislabel with that sheet id, and left unchanged.

A pair keeps the sheet's name: the ASACO code is the register's own, stable
spelling, where the survey often has only "Centre de santé communautaire".

Wrong merges are worse than missed ones: each rule errs towards two rows.

Before the reconciliation, a survey row whose name states its kind against the
survey's answer (« PHARMACIE » answered hospital) takes the kind its name states
(:mod:`~geo.pipeline.reconcile.kinds`); CSCOM answers are left to rule 1.

:mod:`~geo.pipeline.reconcile.names` reads the names, :mod:`~geo.pipeline.reconcile.matching`
pairs sheet rows with surveyed centres, :mod:`~geo.pipeline.reconcile.cscoms` merges
the pairs and writes the report.
"""

from geo.pipeline.reconcile.cscoms import (
    REPORT_COLUMNS,
    REPORT_EXTRA_COLUMNS,
    SHEET_COLUMNS,
    SHEET_SOURCE,
    STATUSES,
    SURVEY_SOURCE,
    append_report,
    reconcile_cscoms,
)
from geo.pipeline.reconcile.kinds import STATED_KINDS, StatedKind, rekind_by_name, stated_kinds
from geo.pipeline.reconcile.matching import MatchRules
from geo.pipeline.reconcile.names import (
    GENERIC_TOKENS,
    PRIVATE_PRACTICE_KINDS,
    name_core,
    name_score,
    probable_mislabel_kinds,
)
from geo.pipeline.reconcile.snisi import (
    COMPARISON_COLUMNS,
    SNISI_STATUSES,
    AreaRules,
    comparison_table,
    comparison_text,
    fix_sheet_points_outside,
    reconcile_health_areas,
)

__all__ = [
    "COMPARISON_COLUMNS",
    "SNISI_STATUSES",
    "AreaRules",
    "append_report",
    "comparison_table",
    "comparison_text",
    "fix_sheet_points_outside",
    "reconcile_health_areas",
    "GENERIC_TOKENS",
    "PRIVATE_PRACTICE_KINDS",
    "REPORT_COLUMNS",
    "REPORT_EXTRA_COLUMNS",
    "SHEET_COLUMNS",
    "SHEET_SOURCE",
    "STATUSES",
    "SURVEY_SOURCE",
    "MatchRules",
    "name_core",
    "name_score",
    "probable_mislabel_kinds",
    "reconcile_cscoms",
    "rekind_by_name",
    "STATED_KINDS",
    "StatedKind",
    "stated_kinds",
]
