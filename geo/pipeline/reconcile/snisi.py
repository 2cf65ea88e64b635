"""Reconcile the CSCOM register against the SNISI 2016 health areas: one CSCOM per health area.

Distances in EPSG:32629 (metres), name scores 0–100 on :func:`~geo.pipeline.reconcile.names.name_core`.

Rules, in order (each decision is a report row and a note on the record):

1. A DNACPN sheet point of a District commune further than ``outside_m`` from the District
   is a coordinate error (ASACONIA's longitude): the point is dropped and the row placed at its
   health area's quartier (via SNISI), or its commune, precision "quartier"/"commune".
2. A "cscom" named as a mutuelle or a faith-based centre is not ASACO-run: kind "health_other".
3. A CSCOM of the District matches the health area of its commune whose name, or one of whose
   quartier names, scores best with its name, at least ``area_score`` and strictly above the
   runner-up (ASACOYirimadjo → ASACOYIR by its quartier YIRIMADJO; ASACO GUARANTIBOUGOU →
   ASACOGA by GARANTIGUIBOUGOU). A CSCOM whose name says nothing ("Centre de santé
   communautaire") matches the one health area that serves its quartier, if only one does.
4. Several CSCOMs matching one health area within ``merge_m`` of the one kept (sheet and
   survey together first, then a GPS point, a sheet point, a placed point) are one centre: merged,
   every source reference kept. Further apart they stay two records and QA reports them.
5. A CSCOM SNISI does not know stays a CSCOM only when the sheet and the survey agree on it;
   otherwise it becomes "health_other" (a CSRef-sized one, ``csref_doctors`` doctors or more, says so).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from rapidfuzz import fuzz

from geo.pipeline.reconcile.matching import metric_xy
from geo.pipeline.reconcile.names import name_core, name_score
from geo.text import normalize_name
from geo.vocabulary import METRIC_CRS
from geo.vocabulary import SNISI_COMPARISON_COLUMNS as COMPARISON_COLUMNS

log = logging.getLogger(__name__)

SHEET_SOURCE = "dnacpn_cscom"
SURVEY_SOURCE = "survey_health"
#: Report statuses of this step.
SNISI_STATUSES = ("sheet_point_outside", "snisi_merged", "rekinded", "not_in_snisi", "same_area_apart")
_MUTUELLE = frozenset({"mutuelle", "mituelle", "mutualiste"})
_ROMAN = {"i": "1", "ii": "2", "iii": "3", "iv": "4"}
#: Centres opened after the SNISI 2016 list, by name core, with the citation that keeps them CSCOMs.
RECENT_OPENINGS = {
    "badalacema": "Badalabougou Sema I, opened in 2021 after the SNISI 2016 list (reference/README.md)",
}
_FAITH = frozenset({"evangelique", "catholique", "protestante", "islamique", "eglise", "mission", "adventiste"})
# Ordering of the records of one health area: the one kept is the best attested.
_RANK = {"gps_survey": 1, "sheet_dms_conflict": 1, "sheet_dms": 2, "quartier": 3, "commune": 4}


@dataclass(frozen=True)
class AreaRules:
    """Thresholds of the SNISI step (metres in EPSG:32629, name scores 0–100).

    Attributes
    ----------
    area_score
        A name (or one of the area's quartier names) scoring at least this names the area:
        "yi"/"yir" scores 80 (a two-letter prefix), "guarantibougou"/"garantiguibougou" 86.
    conflict_score
        Below this a name contradicts the area serving its quartier ("sicoro"/"sisou" 55 does not).
    near_m
        A record matched by its quartier (name weaker than ``area_score``) merges only this close
        (``MatchRules.near_m``).
    merge_m
        Records of one health area matched by name closer than this to the best-named one are one
        centre; the sheet points are up to 1.74 km off the surveyed building.
    outside_m
        A sheet point of a District commune further than this outside the District is a typing error.
    csref_doctors
        From this many doctors a centre is CSRef-sized (CSCOMs of the survey report 1–7).
    """

    area_score: float = 80.0
    conflict_score: float = 50.0
    near_m: float = 300.0
    merge_m: float = 2000.0
    outside_m: float = 2000.0
    csref_doctors: int = 10


def _entry(status: str, fid: str, name: str, kept_id: str, note: str, distance: float = np.nan) -> dict:
    sheet = fid.startswith("dnacpn-")
    return {
        "status": status,
        "sheet_id": fid if sheet else "",
        "survey_id": "" if sheet else fid,
        "sheet_name": name if sheet else "",
        "survey_name": "" if sheet else name,
        "distance_m": distance,
        "name_score": np.nan,
        "kept_id": kept_id,
        "note": note,
    }


def _join(*parts: object) -> str:
    return "; ".join(str(p) for p in parts if p and not (isinstance(p, float) and np.isnan(p)))


def area_core(name: object) -> str:
    """Return the name core with roman numerals as digits ("ASACOLA II" and "ASACOLA 2" both give "la2")."""
    return _text_core(name) if isinstance(name, str) else _core(name)


def _core(name: object) -> str:
    words = [_ROMAN.get(w, w) for w in normalize_name(name).split()]
    return name_core(" ".join(words))


#: A build takes the core of the same few hundred names thousands of times (every CSCOM against every area).
_text_core = lru_cache(maxsize=4096)(_core)


def _score(core: str, candidate: str) -> float | None:
    """Return ``name_score``, except that a long name does not fit a two-letter code by its first letters.

    "yi" fits "yir" (80) but "daoudabougou" does not fit "da": that is ASACODA's code, not its name.
    """
    if candidate and len(candidate) <= 2 < len(core):
        return float(fuzz.ratio(core, candidate))
    return name_score(core, candidate)


def area_scores(name: object, areas: pd.DataFrame) -> np.ndarray:
    """Return the score of ``name`` against each health area: best of its name and its quartier names (-1: none)."""
    core = area_core(name)
    scores = np.full(len(areas), -1.0)
    for i, (area_name, localities) in enumerate(zip(areas["name"], areas["locality_names"], strict=True)):
        found = [s for s in (_score(core, c) for c in _candidate_cores(area_name, tuple(localities))) if s is not None]
        scores[i] = max(found, default=-1.0)
    return scores


@lru_cache(maxsize=1024)
def _candidate_cores(area_name: object, localities: tuple) -> tuple[str, ...]:
    """Return the cores of a health area's name and of its quartiers' names."""
    return (area_core(area_name), *(area_core(n) for n in localities))


def match_area(name: object, quartier: object, areas: pd.DataFrame, rules: AreaRules) -> tuple[int | None, float]:
    """Return the position in ``areas`` (one commune's) that a CSCOM named ``name`` in ``quartier`` matches.

    The second value is the name score (0 for a match by quartier alone). A tie of best names is
    broken by the quartier; a name too weak to decide matches the one area serving the quartier
    when it does not contradict it (score at least ``conflict_score``).
    """
    if len(areas) == 0:
        return None, 0.0
    serving = np.array([bool(quartier) and quartier in q for q in areas["quartier_pcodes"]])
    if not area_core(name):
        return (int(np.flatnonzero(serving)[0]), 0.0) if serving.sum() == 1 else (None, 0.0)
    scores = area_scores(name, areas)
    best = scores.max()
    top = np.flatnonzero(scores == best)
    if best >= rules.area_score:
        if len(top) == 1:
            return int(top[0]), float(best)
        if serving[top].sum() == 1:
            return int(top[serving[top]][0]), float(best)
        return None, 0.0
    if serving.sum() == 1 and scores[serving][0] >= rules.conflict_score:
        return int(np.flatnonzero(serving)[0]), float(scores[serving][0])
    return None, 0.0


def fix_sheet_points_outside(
    facilities: gpd.GeoDataFrame,
    district: gpd.GeoDataFrame,
    areas: pd.DataFrame,
    quartiers: gpd.GeoDataFrame,
    rules: AreaRules | None = None,
) -> tuple[gpd.GeoDataFrame, list[dict]]:
    """Drop sheet points far outside the District of rows the sheet lists under a District commune (rule 1).

    The row keeps its id and sources; it is placed later by :func:`geo.spatial.joins.place_unlocated`
    at its health area's quartier (``quartier_declared`` is set to the COD-AB name) or its commune.
    """
    rules = rules or AreaRules()
    out = facilities.copy()
    outline = shapely.union_all(district.to_crs(METRIC_CRS).geometry.to_numpy())
    sheet_commune = out.get("commune_pcode_sheet", pd.Series("", index=out.index)).fillna("")
    suspects = (out["location_precision"] == "sheet_dms") & (sheet_commune != "") & ~out.geometry.is_empty
    names = quartiers.set_index("pcode")["name"]
    entries = []
    for idx in out.index[suspects]:
        point = out.at[idx, "geometry"]
        gap = float(gpd.GeoSeries([point], crs=out.crs).to_crs(METRIC_CRS).iloc[0].distance(outline))
        if gap <= rules.outside_m:
            continue
        commune = sheet_commune[idx]
        local = areas[(areas["commune_pcode"] == commune) & (areas["area_kind"] == "asaco")].reset_index(drop=True)
        pos, _score = match_area(out.at[idx, "name"], "", local, rules)
        quartier = local.at[pos, "quartier_pcodes"][0] if pos is not None and local.at[pos, "quartier_pcodes"] else ""
        note = (
            f"sheet point {point.y:.5f}, {point.x:.5f} is {gap / 1000:.1f} km outside the District under "
            f"{out.at[idx, 'commune_declared']}: coordinate error, placed at its "
            + ("health area's quartier" if quartier else "commune")
        )
        out.at[idx, "geometry"] = shapely.Point()
        out.at[idx, "location_precision"] = "quartier" if quartier else "commune"
        out.at[idx, "quartier_declared"] = names.get(quartier, "") if quartier else out.at[idx, "quartier_declared"]
        out.at[idx, "note"] = _join(out.at[idx, "note"], note)
        entries.append(_entry("sheet_point_outside", out.at[idx, "id"], out.at[idx, "name"], out.at[idx, "id"], note))
    return out, entries


def _not_asaco(name: object) -> str:
    words = set(normalize_name(name).split())
    if words & _MUTUELLE:
        return "a mutuelle, not an ASACO-run centre"
    if words & _FAITH:
        return "a faith-based centre, not an ASACO-run centre"
    return ""


_RANK_COLUMNS = ("sources", "location_precision", "id")


def _rank(row: Mapping[str, Any]) -> tuple:
    sources = str(row["sources"]).split(";")
    both = SHEET_SOURCE in sources and SURVEY_SOURCE in sources
    return (not both, _RANK.get(row["location_precision"], 5), row["id"])


def reconcile_health_areas(
    facilities: gpd.GeoDataFrame, areas: pd.DataFrame, communes: gpd.GeoDataFrame, rules: AreaRules | None = None
) -> tuple[gpd.GeoDataFrame, list[dict], pd.DataFrame]:
    """Match the District's CSCOMs to SNISI health areas, merge and re-kind them (rules 2–5).

    Parameters
    ----------
    facilities
        The joined facilities layer (EPSG:4326, ``commune_pcode``, ``quartier_pcode``, ``in_analysis``).
    areas
        :func:`geo.pipeline.ingest.snisi.read_health_areas`.
    communes
        The communes layer (``pcode``, ``name``), for the comparison table.

    Returns
    -------
    facilities
        With ``health_area_code``/``health_area_name`` on matched CSCOMs, merged records dropped
        (their ``sources``/``source_refs`` kept on the record that stays), re-kinded rows "health_other".
    report
        Report rows (``SNISI_STATUSES``) in the CSCOM reconciliation report's columns.
    comparison
        One row per commune and a District row: ``COMPARISON_COLUMNS``.
    """
    rules = rules or AreaRules()
    out = facilities.copy().reset_index(drop=True)
    out["health_area_code"] = out.get("health_area_code", pd.Series(None, index=out.index)).astype(object)
    out["health_area_name"] = out.get("health_area_name", pd.Series(None, index=out.index)).astype(object)
    report: list[dict] = []
    district = (out["kind"] == "cscom") & out["in_analysis"].astype(bool) & out["commune_pcode"].notna()

    names = out["name"].to_numpy()
    for idx in out.index[district]:
        reason = _not_asaco(names[idx])
        if reason:
            _rekind(out, idx, f"not in SNISI 2016: {reason}, re-kinded health_other", report)
    district &= out["kind"] == "cscom"

    asaco = areas[areas["area_kind"] == "asaco"].reset_index(drop=True)
    matched: dict[int, list[tuple[int, float]]] = {}
    by_commune = {c: asaco.index[asaco["commune_pcode"] == c] for c in asaco["commune_pcode"].unique()}
    local_areas = {c: asaco.loc[local] for c, local in by_commune.items()}
    communes_of, quartiers_of = out["commune_pcode"].to_numpy(), out["quartier_pcode"].to_numpy()
    for idx in out.index[district & ~out["name"].map(area_core).isin(list(RECENT_OPENINGS))]:
        commune = communes_of[idx]
        local = by_commune.get(commune, asaco.index[:0])
        frame = local_areas[commune] if commune in local_areas else asaco.iloc[:0]
        pos, score = match_area(names[idx], quartiers_of[idx], frame, rules)
        if pos is not None:
            matched.setdefault(int(local[pos]), []).append((idx, score))

    xy = metric_xy(out)
    # A row's rank reads what merges into other areas never change: each row is in one area's members.
    ranks = {m[0]: _rank({c: out.at[m[0], c] for c in _RANK_COLUMNS}) for members in matched.values() for m in members}
    dropped: list[int] = []
    for area_pos, members in matched.items():
        area = asaco.loc[area_pos]
        members.sort(key=lambda m: (-m[1], ranks[m[0]]))
        anchor = members[0][0]
        group = [anchor]
        for other, score in members[1:]:
            gap = float(np.hypot(*(xy[other] - xy[anchor])))
            placed = out.at[other, "location_precision"] in ("quartier", "commune")
            if placed or gap <= (rules.merge_m if score >= rules.area_score else rules.near_m):
                group.append(other)
                continue
            note = f"health area {area['name']} held by {out.at[anchor, 'id']} {gap:.0f} m away: not merged"
            out.at[other, "note"] = _join(out.at[other, "note"], note)
            report.append(_entry("same_area_apart", out.at[other, "id"], out.at[other, "name"], out.at[anchor, "id"],
                                 note, gap))  # fmt: skip
        keep = min(group, key=ranks.__getitem__)
        out.at[keep, "health_area_code"], out.at[keep, "health_area_name"] = area["code"], area["name"]
        for other in (i for i in group if i != keep):
            _merge(out, keep, other, area["name"], float(np.hypot(*(xy[other] - xy[keep]))), report)
            dropped.append(other)

    out = out.drop(index=dropped)
    for idx in out.index[(out["kind"] == "cscom") & district.reindex(out.index, fill_value=False)]:
        if out.at[idx, "health_area_code"] is not None and not pd.isna(out.at[idx, "health_area_code"]):
            continue
        sources = str(out.at[idx, "sources"]).split(";")
        doctors = out.at[idx, "doctors"]
        if pd.notna(doctors) and int(doctors) >= rules.csref_doctors:
            _rekind(
                out, idx, f"not in SNISI 2016: CSRef-sized ({int(doctors)} doctors), re-kinded health_other", report
            )
        elif (SHEET_SOURCE in sources and SURVEY_SOURCE in sources) or area_core(
            out.at[idx, "name"]
        ) in RECENT_OPENINGS:
            opening = RECENT_OPENINGS.get(area_core(out.at[idx, "name"]))
            note = (
                f"not in SNISI 2016: kept as CSCOM, {opening}"
                if opening
                else "not in SNISI 2016: kept as CSCOM, the sheet and the survey agree"
            )
            out.at[idx, "note"] = _join(out.at[idx, "note"], note)
            report.append(_entry("not_in_snisi", out.at[idx, "id"], out.at[idx, "name"], out.at[idx, "id"], note))
        else:
            _rekind(out, idx, "not in SNISI 2016 and in one source only: re-kinded health_other", report)
    out = out.sort_values("id", kind="stable").reset_index(drop=True)
    return out, report, comparison_table(out, areas, communes)


def _rekind(out: gpd.GeoDataFrame, idx: int, note: str, report: list[dict]) -> None:
    out.at[idx, "kind"] = "health_other"
    out.at[idx, "note"] = _join(out.at[idx, "note"], note)
    report.append(_entry("rekinded", out.at[idx, "id"], out.at[idx, "name"], out.at[idx, "id"], note))


def _merge(
    out: gpd.GeoDataFrame, keep: int, other: int, area: str, gap: float, report: list[dict], conflict_m: float = 300.0
) -> None:
    """Fold record ``other`` into ``keep``: sources, references and blank attributes; note both ids."""
    sources = dict.fromkeys([*str(out.at[keep, "sources"]).split(";"), *str(out.at[other, "sources"]).split(";")])
    out.at[keep, "sources"] = ";".join(s for s in sources if s)
    out.at[keep, "source_refs"] = _join(out.at[keep, "source_refs"], out.at[other, "source_refs"]).replace("; ", ";")
    for column in ("beds", "doctors", "nurses", "opening_hours", "quartier_declared"):
        if pd.isna(out.at[keep, column]) or out.at[keep, column] == "":
            out.at[keep, column] = out.at[other, column]
    note = f"merged with {out.at[other, 'id']} ({out.at[other, 'name']}): same SNISI health area {area}"
    point = out.at[other, "geometry"]
    if out.at[other, "location_precision"] == "sheet_dms" and out.at[keep, "location_precision"] == "gps_survey":
        if gap > conflict_m:  # the merged sheet point disagrees with the GPS point kept: say so, keep it as evidence
            out.at[keep, "location_precision"] = "sheet_dms_conflict"
            note = _join(
                note,
                f"sheet point {point.y:.5f}, {point.x:.5f} is {gap:.0f} m from the survey GPS point: GPS point used",
            )
    out.at[keep, "note"] = _join(out.at[keep, "note"], note)
    report.append(_entry("snisi_merged", out.at[other, "id"], out.at[other, "name"], out.at[keep, "id"], note, gap))


#: Short French headers of the comparison table, for the terminal (``data qa``).
COMPARISON_HEADERS_FR = {
    "commune_name": "Commune",
    "snisi_health_areas": "Aires SNISI",
    "atlas_cscoms": "CSCOM atlas",
    "matched_to_snisi": "Rapprochés",
    "atlas_not_in_snisi": "Atlas hors SNISI",
    "snisi_without_atlas": "SNISI sans CSCOM",
    "snisi_unmatched_names": "Aires SNISI sans CSCOM",
}


def comparison_text(table: pd.DataFrame) -> str:
    """Return the comparison table as aligned text with French headers (nulls shown as "—")."""
    shown = table[list(COMPARISON_HEADERS_FR)].rename(columns=COMPARISON_HEADERS_FR)
    return shown.astype(object).where(shown.notna(), "—").to_string(index=False)


def comparison_table(facilities: pd.DataFrame, areas: pd.DataFrame, communes: pd.DataFrame) -> pd.DataFrame:
    """Return the per-commune comparison of SNISI health areas and the atlas's CSCOMs, with a District row."""
    cscoms = facilities[(facilities["kind"] == "cscom") & facilities["in_analysis"].astype(bool)]
    asaco = areas[areas["area_kind"] == "asaco"]
    held = set(cscoms["health_area_code"].dropna())
    rows = []
    for pcode, name in sorted(zip(communes["pcode"], communes["name"], strict=True)):
        local, mine = asaco[asaco["commune_pcode"] == pcode], cscoms[cscoms["commune_pcode"] == pcode]
        missing = local[~local["code"].isin(held)]
        rows.append(
            {
                "commune_pcode": pcode,
                "commune_name": name,
                "snisi_health_areas": len(local),
                "atlas_cscoms": len(mine),
                "matched_to_snisi": int(mine["health_area_code"].notna().sum()),
                "atlas_not_in_snisi": int(mine["health_area_code"].isna().sum()),
                "snisi_without_atlas": len(missing),
                "snisi_unmatched_names": ", ".join(missing["name"]) or None,
            }
        )
    table = pd.DataFrame(rows, columns=list(COMPARISON_COLUMNS))
    total = {c: int(table[c].sum()) for c in COMPARISON_COLUMNS[2:-1]}
    district = {"commune_pcode": "ML0901", "commune_name": "District de Bamako", **total, "snisi_unmatched_names": None}
    return pd.concat([table, pd.DataFrame([district])], ignore_index=True)
