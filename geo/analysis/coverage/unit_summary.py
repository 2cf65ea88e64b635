"""What a quartier page says about access: coverage at a few distances and the nearest facilities of each kind.

Reads a :class:`~geo.analysis.coverage.service.CoverageState` (built once per store version); distances
are straight lines in EPSG:32629 (metres), from the quartier's representative point (always inside it).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from geo.analysis.coverage.access import facility_points, to_metric
from geo.analysis.coverage.service import CoverageState, parse_query
from geo.errors import UnitNotFound
from geo.vocabulary import KIND_GROUPS

#: Distances of the quartier page's coverage table (metres).
SUMMARY_THRESHOLDS_M = (1000, 2000, 5000)
#: Nearest facilities listed per kind group.
NEAREST_N = 3


@dataclass(frozen=True)
class AccessTables:
    """What every quartier page reads, computed once per store version: shares per kind and distance, points."""

    thresholds_m: tuple[float, ...]
    shares: dict[str, list[dict[str, float]]]  # kind → per threshold: pcode → share covered
    data: dict[str, object]  # kind → the query's data description
    points: dict[str, object]  # kind → facility_points of the kind


def access_tables(
    state: CoverageState,
    *,
    kinds: Sequence[str] = tuple(KIND_GROUPS),
    thresholds_m: Sequence[float] = SUMMARY_THRESHOLDS_M,
) -> AccessTables:
    """Return the coverage tables and facility points every quartier page reads (one table per kind and distance)."""
    shares, data, points = {}, {}, {}
    for kind in kinds:
        shares[kind] = []
        for threshold in thresholds_m:
            query = parse_query({"kind": kind, "threshold_m": threshold}, specs=state.specs)
            table = state.table(query)
            shares[kind].append(dict(zip(table["pcode"], table["share_covered"], strict=True)))
        data[kind] = query.data
        points[kind] = facility_points(state.facilities, query.kinds)
    return AccessTables(tuple(thresholds_m), shares, data, points)


def quartier_access(
    state: CoverageState,
    pcode: str,
    *,
    kinds: Sequence[str] = tuple(KIND_GROUPS),
    thresholds_m: Sequence[float] = SUMMARY_THRESHOLDS_M,
    nearest_n: int = NEAREST_N,
    tables: AccessTables | None = None,
) -> dict:
    """Return a quartier's coverage per kind group and distance, its nearest facilities, and its centre.

    Returns ``{"centre": [lon, lat], "coverage": [{kind, shares: [share or None per threshold], data}],
    "nearest": [{kind, facilities: [{id, name, distance_m, approximate}]}], "thresholds_m": [...]}``;
    a share is None where the quartier has no inhabitants. ``tables`` (:func:`access_tables` of ``state`` for
    the same kinds and distances) spares recomputing them for each quartier.
    """
    quartiers = state.quartiers
    match = quartiers[quartiers["pcode"] == pcode]
    if not len(match):
        raise UnitNotFound(f"unknown quartier {pcode!r}")
    tables = tables or access_tables(state, kinds=kinds, thresholds_m=thresholds_m)
    centre = match.geometry.iloc[0].representative_point()
    cx, cy = to_metric(np.array([centre.x]), np.array([centre.y]))
    rows, nearest = [], []
    for kind in kinds:
        shares = [by_pcode.get(pcode) for by_pcode in tables.shares[kind]]
        shares = [None if share is None or not np.isfinite(share) else float(share) for share in shares]
        rows.append({"kind": kind, "shares": shares, "data": tables.data[kind]})
        points = tables.points[kind]
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
        "thresholds_m": [float(t) for t in tables.thresholds_m],
        "coverage": rows,
        "nearest": nearest,
    }
