"""Population estimates of the reference year for communes and quartiers, in whole people.

Communes: the District total of the reference year (settings ``POP_YEAR`` /
``POP_TOTAL``) is split by each commune's own 1998–2009 growth (``growth``,
default) or by its 2009 share (``uniform``); both are kept, as the range.
Each commune estimate is then split among its admin-4 units ("quartiers") by a
method of ``QUARTIER_METHODS``, scored in-sample and by leave-one-out against
the only published quartier table we have, Commune V in 2009
(``data/commune5_quartiers_2009.csv``); the default is the better
leave-one-out score, and every quartier gets an interval from the
leave-one-out errors. Every split uses the largest-remainder method, so
integer estimates add up exactly to the total they split.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
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


def round_people(value: float, *, digits: int = 2) -> int:
    """Round a number of people to ``digits`` significant digits (25 347 → 25 000), what an estimate bears."""
    if value == 0:
        return 0
    return int(round(value, digits - 1 - int(np.floor(np.log10(abs(value))))))


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


#: File name of the commune RGPH 1998 table in the project's ``data/`` folder.
COMMUNES_RGPH_TABLE = "communes_rgph.csv"
#: Year of the earlier census the ``growth`` method uses.
CENSUS_1998 = 1998
#: Year of the census the commune figures of ``pop_2009`` come from.
CENSUS_2009 = 2009
#: Commune methods, by name; the default is the first (see data/README.md for why).
COMMUNE_METHODS = ("growth", "uniform")


def read_communes_rgph(path: Path | None = None) -> dict[str, int]:
    """Return the RGPH 1998 population by commune P-code from ``data/communes_rgph.csv``."""
    path = Path(path) if path is not None else data_dir() / COMMUNES_RGPH_TABLE
    try:
        table = pd.read_csv(path, dtype=str, keep_default_na=False)
    except OSError as exc:
        raise DataError(f"{path}: cannot read ({exc.strerror or exc})") from None
    missing = [c for c in ("commune_pcode", "pop_1998") if c not in table.columns]
    if missing:
        raise DataError(f"{path}: missing columns {missing}")
    bad = [f"line {i}: pop_1998 {v!r}" for i, v in enumerate(table["pop_1998"], start=2) if not v.strip().isdigit()]
    if bad:
        raise DataError(f"{path}: not a whole number of people: " + "; ".join(bad))
    return {row.commune_pcode.strip(): int(row.pop_1998) for row in table.itertuples()}


def commune_weights(pop_2009: np.ndarray, pop_1998: np.ndarray | None, *, year: int, method: str) -> np.ndarray:
    """Return the weights splitting the District total of ``year`` among communes.

    ``uniform`` keeps the 2009 shares. ``growth`` projects each commune from
    2009 at its own mean annual growth of 1998–2009,
    ``pop_2009 × (pop_2009 / pop_1998) ** ((year - 2009) / 11)``.
    """
    if method == "uniform":
        return pop_2009.astype(float)
    if method == "growth":
        if pop_1998 is None:
            raise InvalidParameter("method", "growth needs the RGPH 1998 commune figures")
        span = CENSUS_2009 - CENSUS_1998
        return pop_2009 * (pop_2009 / pop_1998.astype(float)) ** ((year - CENSUS_2009) / span)
    raise InvalidParameter("method", f"unknown commune method {method!r}; allowed: {', '.join(COMMUNE_METHODS)}")


def estimate_communes(
    communes: gpd.GeoDataFrame,
    pop_2009: Mapping[str, int],
    *,
    year: int,
    total: int,
    pop_1998: Mapping[str, int] | None = None,
    method: str | None = None,
) -> gpd.GeoDataFrame:
    """Return ``communes`` with the population estimates of ``year`` (integers).

    Adds ``pop_2009``, ``pop_uniform`` (2009 shares of ``total``), ``pop_growth``
    (each commune's own 1998–2009 growth, constrained to ``total``; null without
    ``pop_1998``), ``pop_estimate`` (the ``method`` one), ``pop_low``/``pop_high``
    (the range across the methods), ``pop_commune_method`` and ``pop_year``.
    Every method is rounded by largest remainder and sums exactly to ``total``.

    Parameters
    ----------
    communes
        One row per commune with a ``pcode`` column (any CRS; geometry is kept).
    pop_2009, pop_1998
        RGPH population by commune P-code; keys of other units are ignored.
    year, total
        Reference year and District population of that year (settings
        ``POP_YEAR`` and ``POP_TOTAL``).
    method
        A name of ``COMMUNE_METHODS``; None picks ``growth`` when ``pop_1998``
        is given, ``uniform`` otherwise.
    """
    if total <= 0:
        raise InvalidParameter("total", f"must be a positive number of people, got {total}")
    missing = sorted(set(communes["pcode"]) - set(pop_2009))
    if missing:
        raise DataError(f"no RGPH 2009 population for communes {missing}")
    base = communes["pcode"].map(pop_2009).astype("int64")
    if (base <= 0).any():
        raise DataError(f"non-positive RGPH 2009 population for {sorted(communes.loc[base <= 0, 'pcode'])}")
    early = None
    if pop_1998 is not None:
        missing = sorted(set(communes["pcode"]) - set(pop_1998))
        if missing:
            raise DataError(f"no RGPH 1998 population for communes {missing}")
        early = communes["pcode"].map(pop_1998).astype("int64").to_numpy()
        if (early <= 0).any():
            raise DataError("non-positive RGPH 1998 population in the commune table")
    chosen = method or ("growth" if early is not None else "uniform")
    available = [m for m in COMMUNE_METHODS if early is not None or m == "uniform"]
    if chosen not in available:
        raise InvalidParameter("method", f"unknown or unavailable commune method {chosen!r}; allowed: {available}")
    out = communes.copy()
    out["pop_2009"] = base.to_numpy()
    split = {
        m: largest_remainder(commune_weights(base.to_numpy(), early, year=year, method=m), int(total))
        for m in available
    }
    out["pop_uniform"] = split["uniform"]
    out["pop_growth"] = pd.array(split["growth"] if "growth" in split else [None] * len(out), dtype="Int64")
    out["pop_estimate"] = split[chosen]
    stacked = np.vstack(list(split.values()))
    out["pop_low"] = stacked.min(axis=0)
    out["pop_high"] = stacked.max(axis=0)
    out["pop_commune_method"] = chosen
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
    _method_or_raise(method)
    units = _commune5_units(quartiers, commune5_table)
    commune = units["commune_pcode"].iloc[0]
    total = int(commune5_table["pop_2009"].sum())
    estimate = _split(units, {commune: total}, _weights(units, facilities, method, DASYMETRIC_ALPHA))
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


#: Values of the ``pop_evidence`` column of quartiers.
EVIDENCE_SCHOOLS = "schools"
EVIDENCE_NONE = "none"
#: Alphas the leave-one-out refits the dasymetric blend from (``alpha = 0.1`` was picked in-sample).
ALPHA_GRID = (0.0, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0, 2.0)
#: Quantiles of the leave-one-out ratios observed / estimated that bound ``pop_low``/``pop_high``.
INTERVAL_QUANTILES = (0.1, 0.9)


def no_evidence(quartiers: gpd.GeoDataFrame, facilities: pd.DataFrame) -> pd.Series:
    """Return True for units without any surveyed school or kindergarten, in communes that have some."""
    n = _facility_counts(quartiers, facilities, DASYMETRIC_KINDS)
    surveyed = n.groupby(quartiers["commune_pcode"]).transform("sum") > 0
    return (n == 0) & surveyed


def _weights(quartiers: gpd.GeoDataFrame, facilities: pd.DataFrame, method: str, alpha: float) -> pd.Series:
    """Return the weights of ``method``; dasymetric units without evidence get their area share.

    A unit without a surveyed school would otherwise keep only the area term
    (``alpha`` of its area share) and a dense central quartier could end up
    nearly empty; it gets ``(1 + alpha) × r × area_km2 × D_c`` instead, the
    weight of a unit at the commune's mean school density.
    """
    if method != "dasymetric":
        return _method_or_raise(method)(quartiers, facilities)
    weights = dasymetric_weights(quartiers, facilities, alpha=alpha).copy()
    empty = no_evidence(quartiers, facilities)
    if empty.any():
        n = _facility_counts(quartiers, facilities, DASYMETRIC_KINDS)
        area = quartiers["area_km2"].astype(float)
        factor = np.where(quartiers["pcode"].isin(list(NON_RESIDENTIAL_UNITS)), NON_RESIDENTIAL_AREA_FACTOR, 1.0)
        by_commune = quartiers["commune_pcode"]
        density = n.groupby(by_commune).transform("sum") / area.groupby(by_commune).transform("sum")
        weights[empty] = ((1 + alpha) * factor * area * density)[empty]
    return weights


def _commune5_units(quartiers: gpd.GeoDataFrame, table: pd.DataFrame) -> gpd.GeoDataFrame:
    listed = [p for codes in table["pcodes"] for p in codes]
    communes = set(quartiers.loc[quartiers["pcode"].isin(listed), "commune_pcode"])
    unknown = sorted(set(listed) - set(quartiers["pcode"]))
    if unknown or len(communes) != 1:
        raise DataError(f"hold-out table: P-codes {unknown} unknown or spread over communes {sorted(communes)}")
    (commune,) = communes
    units = quartiers[quartiers["commune_pcode"] == commune]
    uncovered = sorted(set(units["pcode"]) - set(listed))
    if uncovered:
        raise DataError(f"hold-out table: units {uncovered} of commune {commune} belong to no row")
    return units


def leave_one_out(observed: np.ndarray, fit_predict: Callable[[np.ndarray, int], float]) -> np.ndarray:
    """Return the leave-one-out prediction of every row.

    ``fit_predict(train, i)`` fits on the boolean mask ``train`` (every row but
    ``i``) and returns the prediction of row ``i``.
    """
    predictions = np.empty(len(observed), dtype=float)
    for i in range(len(observed)):
        train = np.ones(len(observed), dtype=bool)
        train[i] = False
        predictions[i] = fit_predict(train, i)
    return predictions


def loo_table(
    quartiers: gpd.GeoDataFrame, facilities: pd.DataFrame, commune5_table: pd.DataFrame, *, method: str
) -> pd.DataFrame:
    """Score ``method`` by leave-one-out on a published quartier table of one commune.

    For each row, the method's free parameter (the dasymetric ``alpha``, from
    ``ALPHA_GRID``) is chosen on the other rows only (lowest MAPE), then the
    held-out row is predicted. ``areal`` has no parameter: its leave-one-out
    and in-sample errors are the same.

    Returns
    -------
    DataFrame
        ``source_name``, ``observed``, ``estimated`` (people), ``ape_pct`` and
        ``ratio`` (observed / estimated).
    """
    _method_or_raise(method)
    units = _commune5_units(quartiers, commune5_table)
    observed = commune5_table["pop_2009"].to_numpy(dtype=float)
    grid = ALPHA_GRID if method == "dasymetric" else (DASYMETRIC_ALPHA,)
    # Every method's weights are affine in alpha (see _weights): two evaluations serve the whole grid.
    ordered = units.sort_values("pcode")
    w0 = _weights(ordered, facilities, method, 0.0).to_numpy(dtype=float)
    slope = _weights(ordered, facilities, method, 1.0).to_numpy(dtype=float) - w0
    total = int(commune5_table["pop_2009"].sum())
    position = {p: i for i, p in enumerate(ordered["pcode"])}
    groups = [[position[p] for p in codes] for codes in commune5_table["pcodes"]]
    rows = {}
    for a in grid:
        estimate = largest_remainder(w0 + a * slope, total)
        rows[a] = np.array([estimate[g].sum() for g in groups], dtype=float)

    def fit_predict(train: np.ndarray, i: int) -> float:
        ape = {a: float(np.mean(np.abs(est[train] - observed[train]) / observed[train])) for a, est in rows.items()}
        best = min(grid, key=lambda a: (ape[a], abs(a - DASYMETRIC_ALPHA)))
        return float(rows[best][i])

    estimated = leave_one_out(observed, fit_predict)
    out = pd.DataFrame(
        {"source_name": commune5_table["source_name"], "observed": observed.astype("int64"), "estimated": estimated}
    )
    out["ape_pct"] = np.abs(out["estimated"] - out["observed"]) / out["observed"] * 100
    out["ratio"] = out["observed"] / out["estimated"].where(out["estimated"] > 0)
    return out


def interval_factors(ratios: pd.Series | np.ndarray) -> tuple[float, float]:
    """Return (low, high) multipliers of an estimate from leave-one-out ratios observed / estimated.

    The ``INTERVAL_QUANTILES`` of the finite ratios, widened to include 1 so the
    interval always contains the estimate.
    """
    r = np.asarray(ratios, dtype=float)
    r = r[np.isfinite(r)]
    if len(r) == 0:
        raise DataError("no finite leave-one-out ratio to derive an interval from")
    low, high = np.quantile(r, INTERVAL_QUANTILES)
    return min(float(low), 1.0), max(float(high), 1.0)


@dataclass(frozen=True)
class QuartierScores:
    """Scores of the quartier methods (MAPE in percent) and interval factors, by method."""

    in_sample: dict[str, float]
    loo: dict[str, float]
    factors: dict[str, tuple[float, float]]


def estimate_quartiers_scored(
    quartiers: gpd.GeoDataFrame,
    communes: pd.DataFrame,
    facilities: pd.DataFrame,
    *,
    method: str | None = None,
    commune5_table: pd.DataFrame | None = None,
) -> tuple[gpd.GeoDataFrame, QuartierScores]:
    """Return the estimated quartiers with their interval and evidence flag, and the scores.

    Adds ``pop_estimate``, ``pop_low``, ``pop_high`` (int), ``pop_method``,
    ``pop_evidence`` (``schools``, ``none``: no surveyed school, area share
    used; or the method name for ``areal``) and ``pop_year``. The default
    method is the one with the lower leave-one-out MAPE. Each unit's interval
    is its estimate times the ``interval_factors`` of the method actually used
    for it: the areal ones for units without evidence, whose low bound goes
    down to the blend's area term alone (``alpha / (1 + alpha)`` of the estimate).

    Parameters are those of ``estimate_quartiers``.
    """
    if method:
        _method_or_raise(method)
    table = read_commune5_table() if commune5_table is None else commune5_table
    in_sample = score_methods(quartiers, facilities, table)
    loos = {name: loo_table(quartiers, facilities, table, method=name) for name in QUARTIER_METHODS}
    loo = {name: float(t["ape_pct"].mean()) for name, t in loos.items()}
    factors = {name: interval_factors(t["ratio"]) for name, t in loos.items()}
    chosen = method or best_method(loo)
    log.info("quartier population method %s (leave-one-out MAPE %s)", chosen, {k: round(v, 1) for k, v in loo.items()})

    totals = dict(zip(communes["pcode"], communes["pop_estimate"], strict=True))
    orphans = sorted(set(quartiers["commune_pcode"]) - set(totals))
    empty = sorted(set(totals) - set(quartiers["commune_pcode"]))
    if orphans or empty:
        raise DataError(f"quartiers of communes without estimate {orphans}; communes without quartiers {empty}")
    years = set(communes["pop_year"])
    if len(years) != 1:
        raise DataError(f"communes carry several pop_year values {sorted(years)}")

    out = quartiers.copy()
    out["pop_estimate"] = _split(out, totals, _weights(out, facilities, chosen, DASYMETRIC_ALPHA))
    if chosen == "dasymetric":
        flag = no_evidence(out, facilities)
        out["pop_evidence"] = np.where(flag, EVIDENCE_NONE, EVIDENCE_SCHOOLS)
        # Without a school the unit may be as empty as the blend's area term alone says (Sema I, 594
        # people in 2009) or as full as its area share (Bamako Coura): the low bound keeps the former.
        floor = DASYMETRIC_ALPHA / (1 + DASYMETRIC_ALPHA)
        low = np.where(flag, min(factors["areal"][0], floor), factors[chosen][0])
        high = np.where(flag, factors["areal"][1], factors[chosen][1])
    else:
        out["pop_evidence"] = chosen
        low, high = factors[chosen]
    estimate = out["pop_estimate"].to_numpy(dtype=float)
    out["pop_low"] = np.floor(estimate * low).astype("int64")
    out["pop_high"] = np.ceil(estimate * high).astype("int64")
    out["pop_method"] = chosen
    out["pop_year"] = int(years.pop())
    return out, QuartierScores(in_sample=in_sample, loo=loo, factors=factors)


def estimate_quartiers(
    quartiers: gpd.GeoDataFrame,
    communes: pd.DataFrame,
    facilities: pd.DataFrame,
    *,
    method: str | None = None,
    commune5_table: pd.DataFrame | None = None,
) -> tuple[gpd.GeoDataFrame, dict[str, float]]:
    """Return the estimated quartiers (see ``estimate_quartiers_scored``) and the leave-one-out MAPE by method.

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
        A key of ``QUARTIER_METHODS``; None or "" picks the best leave-one-out score.
    commune5_table
        The hold-out table (default: ``read_commune5_table()``).
    """
    out, scores = estimate_quartiers_scored(
        quartiers, communes, facilities, method=method, commune5_table=commune5_table
    )
    return out, scores.loo
