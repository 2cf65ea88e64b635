"""Per-unit indicators of communes and quartiers, and the profile of one unit or facility.

Indicators live in the ``INDICATORS`` registry (key → ``Indicator``); other
analyses add theirs with ``register``. Each takes the units (the ``communes``
or the ``quartiers`` layer), the facilities and a tuple of facility kinds, and
returns one value per unit, indexed like the units. Only facilities with
``in_analysis`` true are counted (points far outside the District are not).
Population figures are the store's estimates (``pop_estimate``, ``pop_year``).
The coverage indicators ``cover1km``, ``cover2km`` and ``cover5km`` (share of
inhabitants within that straight-line distance of a facility) come from
``geo.analysis.coverage``'s population grid.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import partial

import geopandas as gpd
import numpy as np
import pandas as pd

from geo.analysis.coverage.shared import grid_and_distances
from geo.errors import FacilityNotFound, InvalidParameter, UnitNotFound
from geo.settings import Settings, resolve
from geo.spatial.joins import analysed
from geo.vocabulary import FACILITY_COLUMNS, KINDS, QA_COLUMNS, Text, kind_or_raise

log = logging.getLogger(__name__)

#: Inhabitants per which facility ratios are given.
PER_INHABITANTS = 10_000

#: An indicator function: (units, facilities, kinds) → values indexed like the units.
IndicatorFunction = Callable[[gpd.GeoDataFrame, pd.DataFrame, tuple[str, ...]], pd.Series]


@dataclass(frozen=True)
class Indicator:
    """One per-unit indicator: its label and unit (FR/EN pairs) and how to compute it."""

    key: str
    label: Text
    unit: Text
    compute: IndicatorFunction
    needs_kinds: bool = False  # True when it is computed for chosen facility kinds
    decimals: int = 0  # display precision
    uses_settings: bool = False  # True when ``compute`` takes ``settings=`` (geo.settings.Settings)
    #: Fixed class upper bounds and their fills (same length), instead of classes fitted to the values:
    #: the coverage shares use the /couverture page's, so one indicator looks the same on both maps.
    fixed_bins: tuple[float, ...] | None = None
    fixed_colors: tuple[str, ...] | None = None


#: Registry of indicators, in menu order.
INDICATORS: dict[str, Indicator] = {}


def register(indicator: Indicator) -> Indicator:
    """Add ``indicator`` to ``INDICATORS`` (replacing one with the same key) and return it."""
    INDICATORS[indicator.key] = indicator
    return indicator


def facility_column(units: pd.DataFrame) -> str:
    """Return the facilities column holding the P-code of ``units``' level.

    The quartiers layer is recognised by its ``commune_pcode`` column.
    """
    return "quartier_pcode" if "commune_pcode" in units.columns else "commune_pcode"


def _check_kinds(kinds: tuple[str, ...]) -> tuple[str, ...]:
    for key in kinds:
        kind_or_raise(key)
    return tuple(kinds)


def facility_counts(units: gpd.GeoDataFrame, facilities: pd.DataFrame, kinds: tuple[str, ...] = ()) -> pd.Series:
    """Return the number of analysed facilities of ``kinds`` (all when empty) in each unit."""
    fac = analysed(facilities)
    if kinds:
        fac = fac[fac["kind"].isin(_check_kinds(kinds)).to_numpy()]
    counts = fac[facility_column(units)].value_counts()
    return pd.Series(units["pcode"].map(counts).fillna(0).astype(int).to_numpy(), index=units.index, name="count")


def counts_by_kind(units: gpd.GeoDataFrame, facilities: pd.DataFrame) -> pd.DataFrame:
    """Return analysed facility counts per unit (rows, like ``units``) and kind (columns, every key of KINDS)."""
    fac = analysed(facilities)
    table = pd.crosstab(fac[facility_column(units)], fac["kind"]).reindex(columns=list(KINDS), fill_value=0)
    table = table.reindex(units["pcode"].to_numpy(), fill_value=0).fillna(0).astype(int)
    table.index = units.index
    return table


def population(units: gpd.GeoDataFrame, facilities: pd.DataFrame, kinds: tuple[str, ...] = ()) -> pd.Series:
    """Return the estimated population of each unit (inhabitants)."""
    return units["pop_estimate"].astype(float).rename("population")


def population_density(units: gpd.GeoDataFrame, facilities: pd.DataFrame, kinds: tuple[str, ...] = ()) -> pd.Series:
    """Return inhabitants per km² (area computed in EPSG:32629 at ingest: ``area_km2``)."""
    area = units["area_km2"].astype(float)
    return (units["pop_estimate"].astype(float) / area.where(area > 0)).rename("density")


def per_inhabitants(units: gpd.GeoDataFrame, facilities: pd.DataFrame, kinds: tuple[str, ...] = ()) -> pd.Series:
    """Return analysed facilities of ``kinds`` per 10 000 inhabitants (NaN where population is 0)."""
    pop = units["pop_estimate"].astype(float)
    return (facility_counts(units, facilities, kinds) * PER_INHABITANTS / pop.where(pop > 0)).rename("per10k")


def count(units: gpd.GeoDataFrame, facilities: pd.DataFrame, kinds: tuple[str, ...] = ()) -> pd.Series:
    """Return the number of analysed facilities of ``kinds`` in each unit, as floats."""
    return facility_counts(units, facilities, kinds).astype(float)


register(Indicator("density", Text("Densité de population", "Population density"),
                   Text("hab./km²", "inhabitants/km²"), population_density))  # fmt: skip
register(Indicator("population", Text("Population estimée", "Estimated population"), Text("hab.", "inhabitants"),
                   population))  # fmt: skip
register(Indicator("per10k", Text("Équipements pour 10 000 habitants", "Facilities per 10,000 inhabitants"),
                   Text("pour 10 000 hab.", "per 10,000 inhabitants"), per_inhabitants, needs_kinds=True,
                   decimals=2))  # fmt: skip
register(Indicator("count", Text("Nombre d'équipements", "Number of facilities"), Text("équipements", "facilities"),
                   count, needs_kinds=True))  # fmt: skip


# ------------------------------------------------------------------ coverage
#: Thresholds (metres) of the registered coverage indicators ``cover1km``, ``cover2km`` and ``cover5km``.
COVERAGE_INDICATOR_THRESHOLDS_M = (1000, 2000, 5000)


def coverage_share(
    units: gpd.GeoDataFrame,
    facilities: pd.DataFrame,
    kinds: tuple[str, ...] = (),
    *,
    threshold_m: float,
    settings: Settings | None = None,
) -> pd.Series:
    """Return the share (%) of each unit's inhabitants within ``threshold_m`` of an analysed facility of ``kinds``.

    Straight-line distances in EPSG:32629 from the cells of the coverage
    population grid (``geo.analysis.coverage``, setting ``COVERAGE_CELL_M`` of ``settings``); the grid
    spreads each unit's ``pop_estimate`` over its cells. Units without a
    ``commune_pcode`` column (the communes layer) are gridded on their own.
    The grid and the distances are computed once per input and reused for
    every threshold. NaN for units without inhabitants.
    """
    from geo.analysis.coverage import access, coverage, facility_points

    settings = resolve(settings)
    grid, distances = grid_and_distances(units, facilities, float(settings["COVERAGE_CELL_M"]))
    key = tuple(sorted(_check_kinds(tuple(kinds))))
    acc = distances.get(key, lambda: access(grid, facility_points(facilities, key)))
    table = coverage(grid, acc.points, threshold_m=threshold_m, unit="quartier", access_result=acc, settings=settings)
    share = pd.Series(table["share_covered"].to_numpy() * 100.0, index=table["pcode"].to_numpy())
    return pd.Series(share.reindex(units["pcode"].to_numpy()).to_numpy(), index=units.index, name="coverage")


def _coverage_indicator(threshold_m: int) -> Indicator:
    from geo.analysis.coverage.formats import SHARE_BINS, SHARE_COLORS

    km = threshold_m // 1000
    return Indicator(
        f"cover{km}km",
        Text(f"Habitants à moins de {km} km (%)", f"Inhabitants within {km} km (%)"),
        Text("%", "%"),
        partial(coverage_share, threshold_m=threshold_m),
        needs_kinds=True,
        uses_settings=True,
        fixed_bins=tuple(round(b * 100.0, 6) for b in SHARE_BINS),  # the shares are in % here
        fixed_colors=SHARE_COLORS,
    )


for _threshold in COVERAGE_INDICATOR_THRESHOLDS_M:
    register(_coverage_indicator(_threshold))


def indicator_or_raise(key: str) -> Indicator:
    """Return the registered indicator ``key`` or raise InvalidParameter listing the keys."""
    try:
        return INDICATORS[key]
    except KeyError:
        raise InvalidParameter("indicator", f"unknown indicator {key!r}; allowed: {', '.join(INDICATORS)}") from None


def compute(
    key: str,
    units: gpd.GeoDataFrame,
    facilities: pd.DataFrame,
    *,
    kinds: tuple[str, ...] = (),
    settings: Settings | None = None,
) -> pd.Series:
    """Return indicator ``key`` for every unit (NaN where undefined); ``settings`` reach the coverage shares."""
    indicator = indicator_or_raise(key)
    if indicator.needs_kinds and not kinds:
        raise InvalidParameter("kind", f"indicator {key!r} needs facility kinds; allowed: {', '.join(KINDS)}")
    kinds = _check_kinds(tuple(kinds))
    if indicator.uses_settings:
        return indicator.compute(units, facilities, kinds, settings=settings)
    return indicator.compute(units, facilities, kinds)


def neighbours(units: gpd.GeoDataFrame, pcode: str) -> gpd.GeoDataFrame:
    """Return the units whose polygon touches or overlaps unit ``pcode`` (queen contiguity)."""
    row = _unit_row(units, pcode)
    hits = units.sindex.query(units.geometry.loc[row], predicate="intersects")
    others = units.iloc[hits]
    return others[others["pcode"] != pcode].sort_values("name")


def _unit_row(units: pd.DataFrame, pcode: str):
    matches = units.index[units["pcode"] == pcode]
    if len(matches) == 0:
        raise UnitNotFound(f"no unit with P-code {pcode!r}")
    return matches[0]


def _plain(value: object) -> object:
    """Return a JSON-ready scalar (None for NaN/None, Python numbers for numpy ones)."""
    if value is None or (not isinstance(value, str | bytes) and pd.isna(value)):
        return None
    return value.item() if isinstance(value, np.generic) else value


def _records(frame: pd.DataFrame, columns: tuple[str, ...]) -> list[dict]:
    cols = [c for c in columns if c in frame.columns]
    return [{c: _plain(v) for c, v in zip(cols, row, strict=True)} for row in frame[cols].itertuples(index=False)]


def _round(value: float, decimals: int) -> float | None:
    return None if not np.isfinite(value) else round(float(value), decimals)


def kind_table(counts: pd.Series, pop: float) -> list[dict]:
    """Return ``[{kind, count, per_10k}]`` for every kind of KINDS from counts indexed by kind."""
    ratio = PER_INHABITANTS / pop if pop and pop > 0 else float("nan")
    return [{"kind": k, "count": int(counts.get(k, 0)), "per_10k": _round(counts.get(k, 0) * ratio, 2)} for k in KINDS]


def unit_profile(layers: Mapping[str, gpd.GeoDataFrame], pcode: str, *, level: str | None = None) -> dict:
    """Return what the page of a commune or quartier shows, JSON-ready.

    Area in km², population estimate with year and method, density
    (inhabitants/km²), facilities by kind with counts and ratios per 10 000
    inhabitants, the facility list, QA findings, parent, children and neighbours.
    ``level`` ("communes" or "quartiers") restricts the search to one layer.
    Raises UnitNotFound for an unknown P-code.
    """
    if level is None:
        level = "quartiers" if (layers["quartiers"]["pcode"] == pcode).any() else "communes"
    elif level not in ("communes", "quartiers"):
        raise InvalidParameter("level", f"expected communes or quartiers, got {level!r}")
    units, fac, qa = layers[level], layers["facilities"], layers["qa_findings"]
    row = units.loc[_unit_row(units, pcode)]
    column = facility_column(units)
    mine = fac[(fac[column] == pcode).to_numpy()]
    counts = analysed(mine)["kind"].value_counts()
    pop = float(row["pop_estimate"])
    profile = {
        "type": level[:-1],
        "pcode": pcode,
        "name": row["name"],
        "area_km2": _round(row["area_km2"], 2),
        "pop_estimate": int(pop),
        "pop_year": _plain(row.get("pop_year")),
        "pop_method": _plain(row.get("pop_method")) or "commune_share",
        "pop_low": _plain(row.get("pop_low")),
        "pop_high": _plain(row.get("pop_high")),
        "pop_evidence": _plain(row.get("pop_evidence")),
        "density_per_km2": _round(pop / row["area_km2"], 0) if row["area_km2"] > 0 else None,
        "bbox": [round(float(v), 5) for v in units.geometry.loc[[row.name]].total_bounds],
        "facilities_by_kind": kind_table(counts, pop),
        "facilities_total": int(counts.sum()),
        "facilities": _records(
            mine.sort_values(["kind", "name"]),
            ("id", "kind", "name", "quartier_pcode", "location_precision", "in_analysis"),
        ),  # fmt: skip
        "qa_findings": _records(qa[qa["facility_id"].isin(mine["id"]).to_numpy()], QA_COLUMNS),
        "neighbours": _records(neighbours(units, pcode), ("pcode", "name")),
    }
    if level == "quartiers":
        profile["alt_name"] = _plain(row.get("alt_name")) or ""
        communes = layers["communes"]
        parent = communes[communes["pcode"] == row["commune_pcode"]]
        profile["parent"] = _records(parent, ("pcode", "name"))[0] if len(parent) else None
        profile["children"] = []
    else:
        profile["pop_2009"] = _plain(row.get("pop_2009"))
        profile["parent"] = None
        quartiers = layers["quartiers"]
        children = quartiers[(quartiers["commune_pcode"] == pcode).to_numpy()].sort_values("name")
        table = counts_by_kind(children, fac)
        density = population_density(children, fac)
        profile["children"] = [
            {"pcode": q["pcode"], "name": q["name"], "area_km2": _round(q["area_km2"], 2),
             "pop_estimate": int(q["pop_estimate"]), "density_per_km2": _round(density.loc[i], 0),
             "pop_low": _plain(q.get("pop_low")), "pop_high": _plain(q.get("pop_high")),
             "counts": {k: int(v) for k, v in table.loc[i].items() if v}}
            for i, q in children.iterrows()
        ]  # fmt: skip
    return profile


def facility_profile(layers: Mapping[str, gpd.GeoDataFrame], facility_id: str) -> dict:
    """Return what the page of one facility shows, JSON-ready (store columns, lon/lat, units, QA findings).

    Raises FacilityNotFound for an unknown id.
    """
    fac = layers["facilities"]
    matches = fac.index[fac["id"] == facility_id]
    if len(matches) == 0:
        raise FacilityNotFound(f"no facility with id {facility_id!r}")
    return facility_profiles({**layers, "facilities": fac.loc[matches[:1]]})[facility_id]


def facility_profiles(layers: Mapping[str, gpd.GeoDataFrame]) -> dict[str, dict]:
    """Return :func:`facility_profile` of every facility, by id, reading each layer once (the first of a duplicate id)."""
    fac = layers["facilities"]
    units = {}
    for level in ("quartier", "commune"):
        frame = layers[level + "s"]
        records = _records(frame, ("pcode", "name"))
        units[level] = {}
        for pcode, record in zip(frame["pcode"], records, strict=True):
            units[level].setdefault(pcode, record)
    qa = layers["qa_findings"]
    qa = qa[qa["facility_id"].isin(fac["id"]).to_numpy()]
    findings: dict[str, list[dict]] = {}
    for facility_id, record in zip(qa["facility_id"], _records(qa, QA_COLUMNS), strict=True):
        findings.setdefault(facility_id, []).append(record)
    present = [c for c in FACILITY_COLUMNS if c in fac.columns]
    profiles: dict[str, dict] = {}
    for values, geom in zip(pd.DataFrame(fac)[present].itertuples(index=False), fac.geometry, strict=True):
        out = dict.fromkeys(FACILITY_COLUMNS)
        out.update({c: _plain(v) for c, v in zip(present, values, strict=True)})
        if out["id"] in profiles:
            continue
        located = geom is not None and not geom.is_empty
        point = geom if located and geom.geom_type == "Point" else (geom.representative_point() if located else None)
        out["lon"] = round(point.x, 6) if point is not None else None
        out["lat"] = round(point.y, 6) if point is not None else None
        for level, column in (("quartier", "quartier_pcode"), ("commune", "commune_pcode")):
            unit = units[level].get(out[column]) if out[column] else None
            out[level] = dict(unit) if unit is not None else None
        out["qa_findings"] = findings.get(out["id"], [])
        profiles[out["id"]] = out
    return profiles
