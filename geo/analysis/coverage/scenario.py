"""What-if scenarios: add hypothetical facilities, remove existing ones, compare before and after.

A scenario is plain data that fits in a URL: ``add`` is a list of (lon, lat)
points in EPSG:4326, ``remove`` a list of facility ids. ``Scenario.parse``
reads the URL form (``add=-7.99,12.64;-8.01,12.60`` and
``remove=dnacpn-01,sante-0160``), ``validate`` checks it against the grid and
the facilities, and ``compare`` reports every unit's indicators before and
after. Errors name the parameter (``add`` or ``remove``).
"""

from __future__ import annotations

import logging
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd

from geo.analysis.coverage.access import Access, FacilityPoints, access, facility_points, resolve_kinds, to_metric
from geo.analysis.coverage.grid import PopulationGrid
from geo.analysis.coverage.indicators import check_threshold, check_unit, coverage
from geo.errors import InvalidParameter
from geo.vocabulary import STORE_CRS

log = logging.getLogger(__name__)

#: Most hypothetical facilities one scenario may add.
MAX_ADD = 50
#: Most facilities one scenario may remove.
MAX_REMOVE = 200
#: Decimals kept for lon/lat (about 0.1 m).
COORD_DECIMALS = 6

#: Indicators compared by ``compare`` (each gets ``_before`` and ``_after`` columns).
COMPARED = (
    "pop_covered",
    "share_covered",
    "pop_uncovered",
    "mean_distance_m",
    "median_distance_m",
    "facilities",
    "per_10k",
    "pop_depending_on_approximate",
)


def _parse_add(value: str | Iterable[Sequence[float]] | None) -> tuple[tuple[float, float], ...]:
    if value is None or (isinstance(value, str) and not value.strip()):
        return ()
    if isinstance(value, str):
        pairs = [p.strip() for p in value.replace("|", ";").split(";") if p.strip()]
        raw = [p.split(",") for p in pairs]
    else:
        raw = [p.split(",") if isinstance(p, str) else list(np.ravel(np.asarray(p, dtype=object))) for p in value]
    points = []
    for i, pair in enumerate(raw, start=1):
        if len(pair) != 2:
            raise InvalidParameter("add", f"point {i}: expected lon,lat, got {pair!r}")
        try:
            lon, lat = float(pair[0]), float(pair[1])
        except (TypeError, ValueError):
            raise InvalidParameter("add", f"point {i}: lon,lat must be numbers, got {pair!r}") from None
        if not (math.isfinite(lon) and math.isfinite(lat) and -180 <= lon <= 180 and -90 <= lat <= 90):
            raise InvalidParameter("add", f"point {i}: ({lon}, {lat}) is not a lon,lat position in degrees")
        points.append((round(lon, COORD_DECIMALS), round(lat, COORD_DECIMALS)))
    if len(points) > MAX_ADD:
        raise InvalidParameter("add", f"at most {MAX_ADD} points, got {len(points)}")
    return tuple(points)


def _parse_remove(value: str | Iterable[str] | None) -> tuple[str, ...]:
    if value is None:
        return ()
    items = value.split(",") if isinstance(value, str) else list(value)
    ids = []
    for item in items:
        if not isinstance(item, str):
            raise InvalidParameter("remove", f"expected facility ids, got {item!r}")
        if item.strip() and item.strip() not in ids:
            ids.append(item.strip())
    if len(ids) > MAX_REMOVE:
        raise InvalidParameter("remove", f"at most {MAX_REMOVE} facilities, got {len(ids)}")
    return tuple(ids)


@dataclass(frozen=True)
class Scenario:
    """Hypothetical facilities to add, as (lon, lat) in EPSG:4326, and facility ids to remove."""

    add: tuple[tuple[float, float], ...] = ()
    remove: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "add", _parse_add(self.add))
        object.__setattr__(self, "remove", _parse_remove(self.remove))

    @classmethod
    def parse(
        cls, add: str | Iterable[Sequence[float]] | None = None, remove: str | Iterable[str] | None = None
    ) -> Scenario:
        """Return the scenario of URL parameters ``add`` ("lon,lat;lon,lat") and ``remove`` ("id,id")."""
        return cls(add=add, remove=remove)

    @property
    def is_empty(self) -> bool:
        """Return True when the scenario changes nothing."""
        return not self.add and not self.remove

    def as_params(self) -> dict[str, str]:
        """Return the URL parameters that ``parse`` reads back to this scenario (empty ones left out)."""
        out = {}
        if self.add:
            out["add"] = ";".join(f"{lon:.{COORD_DECIMALS}f},{lat:.{COORD_DECIMALS}f}" for lon, lat in self.add)
        if self.remove:
            out["remove"] = ",".join(self.remove)
        return out

    def metric_xy(self) -> tuple[np.ndarray, np.ndarray]:
        """Return the added points in EPSG:32629 (metres)."""
        if not self.add:
            return np.empty(0), np.empty(0)
        lonlat = np.asarray(self.add, dtype=float)
        return to_metric(lonlat[:, 0], lonlat[:, 1], STORE_CRS)


def validate(
    scenario: Scenario, grid: PopulationGrid, facilities: gpd.GeoDataFrame, kinds: str | Iterable[str]
) -> FacilityPoints:
    """Check ``scenario`` and return the facility points of ``kinds`` with it applied.

    Raises
    ------
    InvalidParameter
        ``add`` for a point outside the District's units, ``remove`` for an id
        that is not an analysed facility of ``kinds``.
    """
    x, y = scenario.metric_xy()
    if len(x):
        outside = np.flatnonzero(grid.locate(x, y) < 0)
        if len(outside):
            where = ", ".join(f"{scenario.add[i][0]},{scenario.add[i][1]}" for i in outside[:5])
            raise InvalidParameter("add", f"point(s) outside the District of Bamako: {where}")
    return facility_points(facilities, kinds, remove_ids=scenario.remove, add_points=scenario.add, add_crs=STORE_CRS)


def compare(
    grid: PopulationGrid,
    facilities: gpd.GeoDataFrame,
    kinds: str | Iterable[str],
    scenario: Scenario,
    *,
    threshold_m: float,
    unit: str = "quartier",
    base_access: Access | None = None,
) -> pd.DataFrame:
    """Return each unit's coverage indicators before and after ``scenario``.

    Parameters
    ----------
    grid, facilities
        The population grid (EPSG:32629) and the facilities layer.
    kinds
        A kind group, kind key or list of them.
    scenario
        Facilities to add and remove.
    threshold_m, unit
        As for ``coverage``.
    base_access
        ``access(grid, facility_points(facilities, kinds))`` when cached.

    Returns
    -------
    DataFrame
        ``unit``, ``pcode``, ``kind``, ``threshold_m``, ``pop``, then
        ``<indicator>_before`` / ``<indicator>_after`` for each of ``COMPARED``,
        ``pop_covered_change``, ``share_covered_change`` and ``has_facility_data``
        (after).
    """
    threshold = check_threshold(threshold_m)
    level = check_unit(unit)
    resolved = resolve_kinds(kinds)
    label = kinds if isinstance(kinds, str) else "+".join(resolved)
    after_points = validate(scenario, grid, facilities, resolved)
    if base_access is None:
        base_access = access(grid, facility_points(facilities, resolved))
    before = coverage(
        grid, base_access.points, threshold_m=threshold, unit=level, kind=label, access_result=base_access
    )
    after = coverage(grid, after_points, threshold_m=threshold, unit=level, kind=label)
    out = before[["unit", "pcode", "kind", "threshold_m", "pop"]].copy()
    for column in COMPARED:
        out[f"{column}_before"] = before[column].to_numpy()
        out[f"{column}_after"] = after[column].to_numpy()
    out["pop_covered_change"] = out["pop_covered_after"] - out["pop_covered_before"]
    out["share_covered_change"] = out["share_covered_after"] - out["share_covered_before"]
    out["has_facility_data"] = after["has_facility_data"].to_numpy()
    return out
