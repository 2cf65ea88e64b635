"""Population estimates of the reference year for communes and quartiers, in whole people.

Communes keep their RGPH 2009 share of the District total of the reference year
(settings ``POP_YEAR`` / ``POP_TOTAL``). Each commune estimate is then split
among its admin-4 units ("quartiers") by a weighting method of
``QUARTIER_METHODS``. The default method is the one with the lower hold-out
error against the only published quartier table we have, Commune V in 2009
(``data/commune5_quartiers_2009.csv``). Every split uses the largest-remainder
method, so integer estimates add up exactly to the total they split.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Collection, Mapping
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from geo.errors import DataError, InvalidParameter
from geo.settings import data_dir

log = logging.getLogger(__name__)

#: File name of the Commune V quartier table in the project's ``data/`` folder.
COMMUNE5_TABLE = "commune5_quartiers_2009.csv"
#: Columns of that table.
COMMUNE5_COLUMNS = ("source_name", "pop_2009", "cod_ab_pcodes", "note", "source_url")
_PCODE = re.compile(r"^ML09\d{7}$")

#: Facility kinds whose density drives the dasymetric weights. Schools and
#: kindergartens serve a walking-distance catchment; colleges, lycées and
#: universities draw pupils from far wider areas, so they are left out.
DASYMETRIC_KINDS = ("school", "kindergarten")
#: Weight of the area term, as a fraction of the commune's mean facility density
#: (see ``dasymetric_weights``). Picked from the Commune V sensitivity sweep
#: reported in data/README.md, so the dasymetric hold-out score is in-sample.
DASYMETRIC_ALPHA = 0.1
#: Units COD-AB names as zones rather than quartiers: mostly non-residential land
#: (industrial estate; airport with its reserve land). Their surveyed school
#: density is 0 and 0.05 per km² against commune means of 7.8 and 3.8.
NON_RESIDENTIAL_UNITS: Mapping[str, str] = {
    "ML090102901": "Zone Industrielle",
    "ML090106903": "Zone aéroportuaire",
}
#: Share of a non-residential unit's area that counts in the area term.
NON_RESIDENTIAL_AREA_FACTOR = 0.1

#: A weighting method: (quartiers, facilities) → non-negative weights indexed like quartiers.
WeightMethod = Callable[[gpd.GeoDataFrame, pd.DataFrame], pd.Series]


def largest_remainder(weights: np.ndarray | pd.Series, total: int) -> np.ndarray:
    """Split the integer ``total`` in proportion to ``weights``; the parts sum exactly to ``total``.

    Each part gets the floor of its quota; the units left over go one each to
    the largest fractional remainders, ties to the earlier position.

    Raises
    ------
    InvalidParameter
        A weight is negative or not finite, ``total`` is negative, or the weights
        sum to zero while ``total`` is positive.
    """
    w = np.asarray(weights, dtype=float)
    if total < 0:
        raise InvalidParameter("total", f"must be >= 0, got {total}")
    if not np.all(np.isfinite(w)) or np.any(w < 0):
        raise InvalidParameter("weights", "must be finite and >= 0")
    if total == 0:
        return np.zeros(len(w), dtype=np.int64)
    if w.sum() <= 0:
        raise InvalidParameter("weights", f"sum to zero, cannot split {total}")
    quota = w / w.sum() * total
    parts = np.floor(quota).astype(np.int64)
    left = int(total - parts.sum())
    # Stable sort on -remainder: among equal remainders the earlier position wins.
    order = np.argsort(-(quota - parts), kind="stable")
    parts[order[:left]] += 1
    return parts


def estimate_communes(
    communes: gpd.GeoDataFrame, pop_2009: Mapping[str, int], *, year: int, total: int
) -> gpd.GeoDataFrame:
    """Return ``communes`` with ``pop_2009``, ``pop_estimate`` and ``pop_year`` (integers).

    Each commune keeps its share of the communes' 2009 sum; the shares are
    rounded by largest remainder so the estimates sum exactly to ``total``.

    Parameters
    ----------
    communes
        One row per commune with a ``pcode`` column (any CRS; geometry is kept).
    pop_2009
        RGPH 2009 population by commune P-code; keys of other units are ignored.
    year, total
        Reference year and District population of that year (settings
        ``POP_YEAR`` and ``POP_TOTAL``).
    """
    if total <= 0:
        raise InvalidParameter("total", f"must be a positive number of people, got {total}")
    missing = sorted(set(communes["pcode"]) - set(pop_2009))
    if missing:
        raise DataError(f"no RGPH 2009 population for communes {missing}")
    base = communes["pcode"].map(pop_2009).astype("int64")
    if (base <= 0).any():
        raise DataError(f"non-positive RGPH 2009 population for {sorted(communes.loc[base <= 0, 'pcode'])}")
    out = communes.copy()
    out["pop_2009"] = base.to_numpy()
    out["pop_estimate"] = largest_remainder(base.to_numpy(), int(total))
    out["pop_year"] = int(year)
    return out


def _facility_counts(quartiers: gpd.GeoDataFrame, facilities: pd.DataFrame, kinds: Collection[str]) -> pd.Series:
    """Return the number of in-analysis facilities of ``kinds`` per quartier (indexed like quartiers)."""
    missing = [c for c in ("kind", "quartier_pcode", "in_analysis") if c not in facilities.columns]
    if missing:
        raise DataError(f"facilities: missing columns {missing}")
    used = facilities["kind"].isin(list(kinds)) & facilities["in_analysis"].fillna(False).astype(bool)
    counts = facilities.loc[used, "quartier_pcode"].dropna().value_counts()
    return quartiers["pcode"].map(counts).fillna(0).astype(float)


def areal_weights(quartiers: gpd.GeoDataFrame, facilities: pd.DataFrame) -> pd.Series:
    """Return each unit's ``area_km2``: population spread evenly over the commune's land."""
    del facilities  # same signature as every method of the registry
    return quartiers["area_km2"].astype(float)


def dasymetric_weights(
    quartiers: gpd.GeoDataFrame,
    facilities: pd.DataFrame,
    *,
    alpha: float = DASYMETRIC_ALPHA,
    kinds: Collection[str] = DASYMETRIC_KINDS,
    non_residential: Collection[str] = tuple(NON_RESIDENTIAL_UNITS),
    non_residential_factor: float = NON_RESIDENTIAL_AREA_FACTOR,
) -> pd.Series:
    """Return weights from surveyed school density blended with area.

    ``weight = area_km2 × (alpha × r × D_c + n / area_km2) = n + alpha × r × area_km2 × D_c``
    where ``n`` counts the unit's in-analysis facilities of ``kinds``, ``D_c`` is
    the mean density of those facilities over the unit's commune (per km²) and
    ``r`` is ``non_residential_factor`` for the units of ``non_residential``,
    1 elsewhere. Scaling ``alpha`` by ``D_c`` makes the blend independent of how
    completely each commune was surveyed: within a commune the shares are a mix
    of the school share and the area share, with weights 1 and ``alpha``. A
    commune without any such facility falls back to ``r × area_km2``.
    """
    if not alpha >= 0:
        raise InvalidParameter("alpha", f"must be >= 0, got {alpha}")
    if not 0 <= non_residential_factor <= 1:
        raise InvalidParameter("non_residential_factor", f"must be within [0, 1], got {non_residential_factor}")
    n = _facility_counts(quartiers, facilities, kinds)
    area = quartiers["area_km2"].astype(float)
    factor = np.where(quartiers["pcode"].isin(list(non_residential)), non_residential_factor, 1.0)
    by_commune = quartiers["commune_pcode"]
    density = n.groupby(by_commune).transform("sum") / area.groupby(by_commune).transform("sum")
    weights = n + alpha * factor * area * density
    unsurveyed = density == 0
    if unsurveyed.any():
        log.warning(
            "no %s surveyed in communes %s: area weighting used there", kinds, sorted(set(by_commune[unsurveyed]))
        )
        weights[unsurveyed] = (factor * area)[unsurveyed]
    return weights


#: Quartier population methods, by name.
QUARTIER_METHODS: dict[str, WeightMethod] = {"areal": areal_weights, "dasymetric": dasymetric_weights}


def _method_or_raise(method: str) -> WeightMethod:
    try:
        return QUARTIER_METHODS[method]
    except KeyError:
        raise InvalidParameter("method", f"unknown method {method!r}; allowed: {', '.join(QUARTIER_METHODS)}") from None


def _split(quartiers: gpd.GeoDataFrame, totals: Mapping[str, int], weights: pd.Series) -> pd.Series:
    """Split each commune total among its quartiers by ``weights`` (largest remainder, P-code order)."""
    out = pd.Series(0, index=quartiers.index, dtype="int64")
    ordered = quartiers.sort_values("pcode")
    for commune, rows in ordered.groupby("commune_pcode", sort=True):
        try:
            out.loc[rows.index] = largest_remainder(weights.loc[rows.index], int(totals[commune]))
        except InvalidParameter as exc:
            raise DataError(f"commune {commune}: cannot split its population ({exc})") from None
    return out


def read_commune5_table(path: Path | None = None) -> pd.DataFrame:
    """Return the Commune V 2009 quartier table with a ``pcodes`` column (tuple of COD-AB P-codes).

    Parameters
    ----------
    path
        CSV file with ``COMMUNE5_COLUMNS``; default ``data/commune5_quartiers_2009.csv``.
    """
    path = Path(path) if path is not None else data_dir() / COMMUNE5_TABLE
    try:
        table = pd.read_csv(path, dtype=str, keep_default_na=False)
    except OSError as exc:
        raise DataError(f"{path}: cannot read ({exc.strerror or exc})") from None
    missing = [c for c in COMMUNE5_COLUMNS if c not in table.columns]
    if missing:
        raise DataError(f"{path}: missing columns {missing}")
    problems = []
    pcodes, seen = [], {}
    for line, row in enumerate(table.itertuples(), start=2):
        if not row.pop_2009.strip().isdigit():
            problems.append(f"line {line}: pop_2009 {row.pop_2009!r} is not a whole number")
        codes = tuple(p.strip() for p in row.cod_ab_pcodes.split(";") if p.strip())
        if not codes or not all(_PCODE.match(p) for p in codes):
            problems.append(f"line {line}: cod_ab_pcodes {row.cod_ab_pcodes!r} is not a ';'-list of P-codes")
        for p in codes:
            if p in seen:
                problems.append(f"line {line}: P-code {p} already in line {seen[p]}")
            seen[p] = line
        pcodes.append(codes)
    if problems:
        raise DataError(f"{path}: " + "; ".join(problems))
    table["pop_2009"] = table["pop_2009"].astype("int64")
    table["pcodes"] = pcodes
    return table


def holdout_table(
    quartiers: gpd.GeoDataFrame, facilities: pd.DataFrame, commune5_table: pd.DataFrame, *, method: str
) -> pd.DataFrame:
    """Compare ``method`` with a published quartier table of one commune, group by group.

    The table's total is split among that commune's units by ``method`` alone
    and the estimates are summed over each row's P-codes.

    Returns
    -------
    DataFrame
        ``source_name``, ``observed``, ``estimated`` (people) and ``ape_pct``
        (absolute percentage error).
    """
    weigh = _method_or_raise(method)
    listed = [p for codes in commune5_table["pcodes"] for p in codes]
    communes = set(quartiers.loc[quartiers["pcode"].isin(listed), "commune_pcode"])
    unknown = sorted(set(listed) - set(quartiers["pcode"]))
    if unknown or len(communes) != 1:
        raise DataError(f"hold-out table: P-codes {unknown} unknown or spread over communes {sorted(communes)}")
    (commune,) = communes
    units = quartiers[quartiers["commune_pcode"] == commune]
    uncovered = sorted(set(units["pcode"]) - set(listed))
    if uncovered:
        raise DataError(f"hold-out table: units {uncovered} of commune {commune} belong to no row")
    total = int(commune5_table["pop_2009"].sum())
    estimate = _split(units, {commune: total}, weigh(units, facilities))
    by_pcode = dict(zip(units["pcode"], estimate, strict=True))
    out = pd.DataFrame(
        {
            "source_name": commune5_table["source_name"],
            "observed": commune5_table["pop_2009"],
            "estimated": [sum(by_pcode[p] for p in codes) for codes in commune5_table["pcodes"]],
        }
    )
    out["ape_pct"] = (out["estimated"] - out["observed"]).abs() / out["observed"] * 100
    return out


def score_methods(
    quartiers: gpd.GeoDataFrame, facilities: pd.DataFrame, commune5_table: pd.DataFrame
) -> dict[str, float]:
    """Return the hold-out mean absolute percentage error (percent) of every method, by name."""
    return {
        name: float(holdout_table(quartiers, facilities, commune5_table, method=name)["ape_pct"].mean())
        for name in QUARTIER_METHODS
    }


def best_method(scores: Mapping[str, float]) -> str:
    """Return the method with the lowest score (ties go to the first in ``QUARTIER_METHODS``)."""
    return min(scores, key=lambda name: (scores[name], list(QUARTIER_METHODS).index(name)))


def estimate_quartiers(
    quartiers: gpd.GeoDataFrame,
    communes: pd.DataFrame,
    facilities: pd.DataFrame,
    *,
    method: str | None = None,
    commune5_table: pd.DataFrame | None = None,
) -> tuple[gpd.GeoDataFrame, dict[str, float]]:
    """Return ``quartiers`` with ``pop_estimate`` (int), ``pop_method`` and ``pop_year``, and the method scores.

    Parameters
    ----------
    quartiers
        Admin-4 units with ``pcode``, ``commune_pcode``, ``area_km2`` (km²,
        measured in EPSG:32629) and geometry (kept as is).
    communes
        ``pcode``, ``pop_estimate`` and ``pop_year``, as from ``estimate_communes``.
    facilities
        ``kind``, ``quartier_pcode`` and ``in_analysis`` (the store's facilities).
    method
        A key of ``QUARTIER_METHODS``; None or "" picks the best hold-out score.
    commune5_table
        The hold-out table (default: ``read_commune5_table()``).

    Returns
    -------
    tuple
        The estimated quartiers, whose estimates sum exactly to their commune's,
        and ``{method: hold-out MAPE in percent}``.
    """
    if method:
        _method_or_raise(method)
    table = read_commune5_table() if commune5_table is None else commune5_table
    scores = score_methods(quartiers, facilities, table)
    chosen = method or best_method(scores)
    log.info("quartier population method %s (hold-out MAPE %s)", chosen, {k: round(v, 1) for k, v in scores.items()})

    totals = dict(zip(communes["pcode"], communes["pop_estimate"], strict=True))
    orphans = sorted(set(quartiers["commune_pcode"]) - set(totals))
    empty = sorted(set(totals) - set(quartiers["commune_pcode"]))
    if orphans or empty:
        raise DataError(f"quartiers of communes without estimate {orphans}; communes without quartiers {empty}")
    years = set(communes["pop_year"])
    if len(years) != 1:
        raise DataError(f"communes carry several pop_year values {sorted(years)}")

    out = quartiers.copy()
    out["pop_estimate"] = _split(out, totals, QUARTIER_METHODS[chosen](out, facilities))
    out["pop_method"] = chosen
    out["pop_year"] = int(years.pop())
    return out, scores
