"""Data-quality findings on the facilities layer: duplicates, misplacements, mislabels, gaps.

Each check is a small vectorised function registered in ``CHECKS``
(:mod:`geo.quality.checks`, :mod:`~geo.quality.registry`); ``find_issues``
(:mod:`~geo.quality.report`) runs them and returns one row per finding
(``QA_COLUMNS`` plus the facility's point, EPSG:4326) whose ``evidence`` tells
the people who fix the data, in French, what was compared and what was found.
Distances are computed in UTM 29N (EPSG:32629) and given in metres. Names are
compared by :mod:`~geo.quality.names`; :mod:`~geo.quality.writers` writes the
findings as CSV and GeoJSON.
"""

from geo.quality.checks import (
    COMMUNE_TOLERANCE_M,
    DUPLICATE_NAME_SCORE,
    DUPLICATE_RADIUS_M,
    DUPLICATE_TIGHT_RADIUS_M,
    NAME_KIND_PATTERNS,
    QUARTIER_TOLERANCE_M,
    RECURRENT_MISMATCH,
)
from geo.quality.names import QUARTIER_NAME_SCORE, name_similarity, split_name, unknown_quartier_names
from geo.quality.registry import CHECKS, Check
from geo.quality.report import NO_COMMUNE, find_issues, summarize
from geo.quality.writers import FINDING_WRITERS, write_findings

__all__ = [
    "CHECKS",
    "COMMUNE_TOLERANCE_M",
    "DUPLICATE_NAME_SCORE",
    "DUPLICATE_RADIUS_M",
    "DUPLICATE_TIGHT_RADIUS_M",
    "FINDING_WRITERS",
    "NAME_KIND_PATTERNS",
    "NO_COMMUNE",
    "QUARTIER_NAME_SCORE",
    "QUARTIER_TOLERANCE_M",
    "RECURRENT_MISMATCH",
    "Check",
    "find_issues",
    "name_similarity",
    "split_name",
    "summarize",
    "unknown_quartier_names",
    "write_findings",
]
