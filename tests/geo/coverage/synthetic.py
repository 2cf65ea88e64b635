"""Tiny in-code layers with exact geometry for the coverage tests (EPSG:32629 origin near Bamako)."""

from __future__ import annotations

from collections.abc import Sequence

import geopandas as gpd
import numpy as np
from shapely.geometry import Point, box

from geo.analysis.coverage import PopulationGrid
from geo.vocabulary import FACILITY_COLUMNS, METRIC_CRS, STORE_CRS

X0, Y0 = 600_000.0, 1_400_000.0
COMMUNE = "ML090101"


def strips(
    widths_m: Sequence[float] = (1000, 1000, 1000),
    pops: Sequence[int] = (3000, 6000, 9000),
    *,
    height_m: float = 3000,
    communes: Sequence[str] | None = None,
    method: str = "areal",
) -> gpd.GeoDataFrame:
    """Return quartiers: vertical strips side by side from (X0, Y0), P-codes in x order (EPSG:32629)."""
    edges = X0 + np.concatenate([[0.0], np.cumsum(widths_m)])
    n = len(widths_m)
    communes = list(communes) if communes is not None else [COMMUNE] * n
    return gpd.GeoDataFrame(
        {
            "pcode": [f"{communes[i]}{i + 1:03d}" for i in range(n)],
            "name": [f"Q{i + 1}" for i in range(n)],
            "commune_pcode": communes,
            "area_km2": [w * height_m / 1e6 for w in widths_m],
            "pop_estimate": list(pops),
            "pop_method": method,
        },
        geometry=[box(edges[i], Y0, edges[i + 1], Y0 + height_m) for i in range(n)],
        crs=METRIC_CRS,
    )


def facilities(rows: Sequence[tuple]) -> gpd.GeoDataFrame:
    """Return a facilities layer (EPSG:4326) from (id, kind, dx, dy, precision, quartier, commune[, in_analysis]).

    ``dx``/``dy`` are metres from (X0, Y0).
    """
    data = {c: [""] * len(rows) for c in FACILITY_COLUMNS}
    data["in_analysis"] = [True] * len(rows)
    for i, row in enumerate(rows):
        fid, kind, _dx, _dy, precision, quartier, commune = row[:7]
        data["id"][i], data["kind"][i], data["location_precision"][i] = fid, kind, precision
        data["quartier_pcode"][i], data["commune_pcode"][i] = quartier, commune
        if len(row) > 7:
            data["in_analysis"][i] = row[7]
    geometry = [Point(X0 + r[2], Y0 + r[3]) for r in rows]
    return gpd.GeoDataFrame(data, geometry=geometry, crs=METRIC_CRS).to_crs(STORE_CRS)


def no_facilities() -> gpd.GeoDataFrame:
    """Return an empty facilities layer (EPSG:4326)."""
    return facilities([])


def random_grid(rng: np.random.Generator, n_cells: int, n_units: int, *, size_m: float = 5000) -> PopulationGrid:
    """Return a grid of random cells and populations in ``n_units`` units of two communes (no polygons)."""
    unit = np.sort(rng.integers(0, n_units, n_cells))
    unit[:n_units] = np.arange(n_units)  # every unit has a cell
    unit = np.sort(unit)
    return PopulationGrid(
        cell_m=100.0,
        x=X0 + rng.uniform(0, size_m, n_cells),
        y=Y0 + rng.uniform(0, size_m, n_cells),
        pop=rng.uniform(0, 100, n_cells),
        unit=unit,
        quartier_pcodes=np.array([f"ML0901010{i:02d}" for i in range(n_units)]),
        commune_of_unit=np.array(["ML090101" if i % 2 else "ML090102" for i in range(n_units)]),
    )
