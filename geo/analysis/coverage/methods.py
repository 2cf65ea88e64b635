"""The share covered under every population method, for the range the coverage view and API show.

Whether a cell is covered depends on its distance to a facility, not on how many
people live in it: the share covered under another population method is one more
weighted sum over the same cells. ``population_methods`` gives the people per cell
of each method compared:

- the grid's own (``grid.method``, ``dasymetric`` in the store): the quartier
  estimates spread by the school kernel (``geo.analysis.coverage.grid``);
- ``uniform_in_quartier``: the same quartier estimates spread evenly over each quartier;
- ``commune_<method>``: the grid's people scaled, commune by commune, to another
  2022 commune projection (``pop_<method>`` of the communes layer, e.g.
  ``commune_uniform`` against the default ``growth``).

The quartier method ``areal`` (each commune split by area) is not compared: its
leave-one-out error on Commune V (123 %, data/README.md) rejects it, and it would
fill the airport and industrial zones. Each method is varied alone. Every method keeps the District total, so the
District population has no range; quartier and commune shares do not move with a
commune projection (a commune is scaled as a whole), only the District's does.
``share_ranges`` returns, per unit, the share under each method and the lowest
and highest of them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from geo.analysis.coverage.access import Access
from geo.analysis.coverage.grid import PopulationGrid
from geo.analysis.coverage.indicators import LEVELS, THRESHOLD_TOLERANCE_M, check_threshold, check_unit
from geo.analysis.population import COMMUNE_METHODS

#: Methods other than the grid's own, in the order they are reported.
UNIFORM_IN_QUARTIER = "uniform_in_quartier"
COMMUNE_PREFIX = "commune_"


@dataclass(frozen=True, eq=False)
class PopulationMethods:
    """People per grid cell under each population method (the grid's own first)."""

    default: str
    pop: Mapping[str, np.ndarray]

    @property
    def names(self) -> tuple[str, ...]:
        """Return the method keys, the default first."""
        return tuple(self.pop)


def _uniform_in_quartier(grid: PopulationGrid) -> np.ndarray:
    count = np.bincount(grid.unit, minlength=len(grid.quartier_pcodes)).astype(float)
    return (grid.unit_pop / np.maximum(count, 1.0))[grid.unit]


def _commune_projections(grid: PopulationGrid, communes: pd.DataFrame | None) -> dict[str, np.ndarray]:
    """Return the grid's people rescaled to each other commune projection of ``communes``."""
    if communes is None or "pop_commune_method" not in communes.columns:
        return {}
    by_pcode = communes.set_index(communes["pcode"].astype(str))
    if not set(grid.commune_pcodes) <= set(by_pcode.index):
        return {}
    rows = by_pcode.loc[list(grid.commune_pcodes)]
    current = pd.to_numeric(rows["pop_estimate"], errors="coerce").to_numpy(dtype=float)
    chosen = set(rows["pop_commune_method"].dropna().astype(str))
    out = {}
    for method in COMMUNE_METHODS:
        column = f"pop_{method}"
        if method in chosen or column not in rows.columns:
            continue
        other = pd.to_numeric(rows[column], errors="coerce").to_numpy(dtype=float)
        if not np.isfinite(other).all() or not (current > 0).all():
            continue
        out[COMMUNE_PREFIX + method] = grid.pop * (other / current)[grid.commune]
    return out


def population_methods(grid: PopulationGrid, communes: pd.DataFrame | None = None) -> PopulationMethods:
    """Return the people per cell of ``grid`` under every population method compared (module docstring).

    ``communes`` (the communes layer: ``pcode``, ``pop_estimate``,
    ``pop_commune_method``, ``pop_<method>``) adds the other commune
    projections; without it only the quartier methods are compared.
    """
    pop = {grid.method: grid.pop}
    if grid.method != "areal":
        pop[UNIFORM_IN_QUARTIER] = _uniform_in_quartier(grid)
    pop.update(_commune_projections(grid, communes))
    return PopulationMethods(grid.method, pop)


def share_ranges(
    grid: PopulationGrid, acc: Access, methods: PopulationMethods, *, threshold_m: float, unit: str
) -> pd.DataFrame:
    """Return, per unit (P-code order, as ``coverage``), the share covered under each method and its range.

    Columns: ``pcode``, ``share_covered_<method>`` for each method of
    ``methods``, ``share_covered_low`` and ``share_covered_high`` (the lowest
    and highest of them; NaN for a unit without people).
    """
    reach = check_threshold(threshold_m) + THRESHOLD_TOLERANCE_M
    return covered_share_ranges(grid, acc, methods, acc.nearest.distance_m <= reach, unit=unit)


def covered_share_ranges(
    grid: PopulationGrid, acc: Access, methods: PopulationMethods, covered: np.ndarray, *, unit: str
) -> pd.DataFrame:
    """Return ``share_ranges`` for any rule of coverage: ``covered`` says which grid cells are covered.

    The travel-time view passes the cells within its minutes (``geo.analysis.travel``).
    """
    group, codes, _ = LEVELS[check_unit(unit)](grid, acc)
    n = len(codes)
    shares = {}
    for name, pop in methods.pop.items():
        total = np.bincount(group, weights=pop, minlength=n)
        inside = np.bincount(group, weights=pop * covered, minlength=n)
        with np.errstate(invalid="ignore", divide="ignore"):
            shares[f"share_covered_{name}"] = np.where(total > 0, inside / np.where(total > 0, total, 1.0), np.nan)
    stacked = np.vstack(list(shares.values()))
    empty = np.isnan(stacked).all(axis=0)
    with np.errstate(invalid="ignore"):
        low = np.where(empty, np.nan, np.nanmin(np.where(np.isnan(stacked), np.inf, stacked), axis=0))
        high = np.where(empty, np.nan, np.nanmax(np.where(np.isnan(stacked), -np.inf, stacked), axis=0))
    return pd.DataFrame({"pcode": codes.astype(object), **shares, "share_covered_low": low, "share_covered_high": high})
