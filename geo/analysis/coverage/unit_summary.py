"""What a quartier page says about access: coverage at a few distances and the nearest facilities of each kind.

Reads a :class:`~geo.analysis.coverage.service.CoverageState` (built once per store version); distances
are straight lines in EPSG:32629 (metres), from the quartier's representative point (always inside it).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from geo.analysis.coverage.access import facility_points, to_metric
from geo.analysis.coverage.service import CoverageState, parse_query
from geo.errors import UnitNotFound
from geo.vocabulary import KIND_GROUPS

#: Distances of the quartier page's coverage table (metres).
SUMMARY_THRESHOLDS_M = (1000, 2000, 5000)
#: Nearest facilities listed per kind group.
NEAREST_N = 3


def quartier_access(
    state: CoverageState,
    pcode: str,
    *,
    kinds: Sequence[str] = tuple(KIND_GROUPS),
    thresholds_m: Sequence[float] = SUMMARY_THRESHOLDS_M,
    nearest_n: int = NEAREST_N,
) -> dict:
    """Return a quartier's coverage per kind group and distance, its nearest facilities, and its centre.

    Returns ``{"centre": [lon, lat], "coverage": [{kind, shares: [share or None per threshold], data}],
    "nearest": [{kind, facilities: [{id, name, distance_m, approximate}]}], "thresholds_m": [...]}``;
    a share is None where the quartier has no inhabitants.
    """
    quartiers = state.quartiers
    match = quartiers[quartiers["pcode"] == pcode]
    if not len(match):
        raise UnitNotFound(f"unknown quartier {pcode!r}")
    centre = match.geometry.iloc[0].representative_point()
    cx, cy = to_metric(np.array([centre.x]), np.array([centre.y]))
    rows, nearest = [], []
    for kind in kinds:
        shares = []
        for threshold in thresholds_m:
            query = parse_query({"kind": kind, "threshold_m": threshold}, specs=state.specs)
            table = state.table(query)
            row = table[table["pcode"] == pcode]
            share = row["share_covered"].iloc[0] if len(row) else None
            shares.append(None if share is None or not np.isfinite(share) else float(share))
        rows.append({"kind": kind, "shares": shares, "data": query.data})
        points = facility_points(state.facilities, query.kinds)
        distance = np.hypot(points.x - cx[0], points.y - cy[0])
        order = np.argsort(distance, kind="stable")[:nearest_n]
        nearest.append(
            {
                "kind": kind,
                "facilities": [
                    {"id": str(points.ids[i]), "name": state.facility_names.get(str(points.ids[i]), ""),
                     "distance_m": float(distance[i]), "approximate": bool(points.approximate[i])}
                    for i in order
                ],
            }
        )  # fmt: skip
    return {
        "centre": [round(centre.x, 5), round(centre.y, 5)],
        "thresholds_m": [float(t) for t in thresholds_m],
        "coverage": rows,
        "nearest": nearest,
    }
