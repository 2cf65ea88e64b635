"""Data-quality findings on the facilities layer: duplicates, misplacements, mislabels, gaps.

Each check is a small vectorised function registered in ``CHECKS``
(:mod:`geo.pipeline.quality.checks`, :mod:`~geo.pipeline.quality.registry`); ``find_issues``
(:mod:`~geo.pipeline.quality.report`) runs them and returns one row per finding
(``QA_COLUMNS`` plus the facility's point, EPSG:4326) whose ``evidence`` tells
the people who fix the data, in French, what was compared and what was found.
Distances are computed in UTM 29N (EPSG:32629) and given in metres. Names are
compared by :mod:`~geo.pipeline.quality.names`; :mod:`~geo.pipeline.quality.writers` writes the
findings as CSV and GeoJSON.
"""

from geo.pipeline.quality.checks import (
    COMMUNE_TOLERANCE_M,
    DUPLICATE_NAME_SCORE,
    DUPLICATE_RADIUS_M,
    DUPLICATE_TIGHT_RADIUS_M,
    NAME_KIND_PATTERNS,
    QUARTIER_TOLERANCE_M,
    RECURRENT_MISMATCH,
)
from geo.pipeline.quality.names import QUARTIER_NAME_SCORE, name_similarity, split_name, unknown_quartier_names
from geo.pipeline.quality.registry import CHECKS, Check
from geo.pipeline.quality.report import NO_COMMUNE, find_issues, summarize
from geo.pipeline.quality.writers import FINDING_WRITERS, write_findings

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
