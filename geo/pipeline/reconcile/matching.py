"""Which sheet row is which surveyed centre: thresholds, repeat visits collapsed, evidence, one-to-one pairs.

Distances are in EPSG:32629 (metres), name scores 0–100 on
:func:`geo.pipeline.reconcile.names.name_core`; see :mod:`geo.pipeline.reconcile` for the rules.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import Transformer
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import connected_components

from geo.pipeline.reconcile.names import has_community_marker, name_core, name_score
from geo.text import commune_pcode_from_text
from geo.vocabulary import METRIC_CRS

#: Survey attributes counted to choose the visit that stands for a centre, and filled from the others.
NUMERIC_COLUMNS = ("beds", "doctors", "nurses")


@dataclass(frozen=True)
class MatchRules:
    """Thresholds of the matcher (metres in EPSG:32629, name scores 0–100).

    Attributes
    ----------
    colocated_m
        Closer than this two points are one site whatever the names say; the
        survey's repeat visits of one centre are up to 38 m apart.
    near_m
        Up to this distance names need only not conflict. Errors of GPS and of
        hand-typed DMS are tens of metres; the closest two distinct CSCOMs of
        the sheet are 250 m apart (ASACODJENEKA, ASACODJIP), so a point further
        away may as well be the neighbour's.
    far_m
        Up to this distance a strong, mutually best, unrivalled name match is
        accepted: some sheet points are 1–1.7 km off the surveyed building
        (ASACOBAKON 1.09 km, ASACOKOULPOINT 1.74 km).
    duplicate_m
        Survey centres closer than this, names not conflicting, are one.
    strong_score
        A name score at least this is an agreement ("kosa"/"kossa" 88.9).
    rival_score
        A competing partner scoring at least this makes a non-exact name match ambiguous.
    conflict_score
        Two distinctive names scoring below this name different centres.
    exact_score
        A survey name scoring at least this with a sheet row names that row.
    conflict_m
        A matched sheet point further than this from the survey GPS point disagrees with it: the pair
        is placed at the GPS point with precision "sheet_dms_conflict". Over the 16 matched pairs with
        both points the gaps are 6–144 m (nine pairs), 359 and 449 m, then 1 068–1 739 m (five pairs),
        median 92 m; 300 m is ``near_m``, past which a point may as well be the neighbouring centre's.
    """

    colocated_m: float = 60.0
    near_m: float = 300.0
    far_m: float = 2000.0
    duplicate_m: float = 60.0
    strong_score: float = 85.0
    rival_score: float = 80.0
    conflict_score: float = 50.0
    exact_score: float = 95.0
    conflict_m: float = 300.0


def metric_xy(frame: gpd.GeoDataFrame) -> np.ndarray:
    """Return metric coordinates (EPSG:32629), NaN for empty geometries."""
    points = frame.geometry.to_numpy()
    empty = shapely.is_missing(points) | shapely.is_empty(points)
    xy = np.full((len(frame), 2), np.nan)
    if (~empty).any():
        x, y = _transformer(frame.crs.to_wkt()).transform(shapely.get_x(points[~empty]), shapely.get_y(points[~empty]))
        xy[~empty] = np.column_stack([x, y])
    return xy


@lru_cache(maxsize=8)
def _transformer(crs: str) -> Transformer:
    """Return the transformer to METRIC_CRS (geopandas' ``to_crs`` builds a new one per call)."""
    return Transformer.from_crs(crs, METRIC_CRS, always_xy=True)


def pairwise_distances(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Return the matrix of distances between the rows of ``a`` and ``b`` (x, y in metres; NaN propagates)."""
    return np.hypot(a[:, None, 0] - b[None, :, 0], a[:, None, 1] - b[None, :, 1])


def score_matrix(left: list[str], right: list[str]) -> np.ndarray:
    """Return name scores, NaN where a core is empty."""
    return np.array([[name_score(a, b) for b in right] for a in left], dtype=float).reshape(len(left), len(right))


def survey_centres(survey: gpd.GeoDataFrame, rules: MatchRules) -> pd.DataFrame:
    """Return one row per surveyed centre: CSCOM candidates with repeat visits collapsed.

    Candidates are the rows of kind "cscom" and rows of unknown type
    ("health_other") whose name says CSCOM or ASACO ("CSCOM de ANIASCo").
    """
    marked = survey["name"].map(has_community_marker)
    rows = survey[(survey["kind"] == "cscom") | ((survey["kind"] == "health_other") & marked)]
    xy, cores = metric_xy(rows), rows["name"].map(name_core).tolist()
    linked = pairwise_distances(xy, xy) < rules.duplicate_m
    for i, j in np.argwhere(linked):  # names are scored only for the visits close enough to be one centre
        score = name_score(cores[i], cores[j])
        linked[i, j] = score is None or not score < rules.conflict_score
    labels = connected_components(csr_matrix(linked), directed=False)[1] if len(rows) else np.array([], dtype=int)
    filled = rows[list(NUMERIC_COLUMNS)].notna().sum(axis=1) + (rows["opening_hours"].fillna("") != "")
    rank = pd.DataFrame({"label": labels, "named": [c != "" for c in cores], "filled": filled.to_numpy()})
    rank["pos"] = np.arange(len(rows))
    rank["id"] = rows["id"].to_numpy()
    # The visit with a distinctive name and the most attributes stands for the centre.
    rank = rank.sort_values(["label", "named", "filled", "id"], ascending=[True, False, False, True])
    centres = []
    for _, group in rank.groupby("label", sort=False):
        rep = int(group["pos"].iloc[0])
        centres.append(
            {
                "rep_id": rows["id"].iloc[rep],
                "member_ids": sorted(group["id"]),
                "cores": [cores[p] for p in group["pos"]],
                "x": xy[rep, 0],
                "y": xy[rep, 1],
                "commune_pcode": commune_pcode_from_text(rows["commune_declared"].iloc[rep]) or "",
                "name": rows["name"].iloc[rep],
            }
        )
    frame = pd.DataFrame(centres, columns=["rep_id", "member_ids", "cores", "x", "y", "commune_pcode", "name"])
    return frame.sort_values("rep_id").reset_index(drop=True)


@dataclass
class Evidence:
    """Sheet × centre matrices: distance (m, NaN without a sheet point), score (NaN: generic), group, reach."""

    dist: np.ndarray
    scores: np.ndarray
    group: np.ndarray  # 0 co-located, 1 names agree, 2 near, -1 not admissible
    reachable: np.ndarray


def pair_evidence(sheet: gpd.GeoDataFrame, centres: pd.DataFrame, rules: MatchRules) -> Evidence:
    """Return what speaks for each sheet row × centre pair and which rule group (if any) admits it."""
    dist = pairwise_distances(metric_xy(sheet), centres[["x", "y"]].to_numpy(dtype=float).reshape(-1, 2))
    sheet_cores = sheet["name"].map(name_core).tolist()
    scores = np.full(dist.shape, np.nan)
    for j, cores in enumerate(centres["cores"]):  # a centre scores the best name of its visits
        member = np.nan_to_num(score_matrix(sheet_cores, cores), nan=-1.0)
        scores[:, j] = member.max(axis=1, initial=-1.0)
    scores[scores < 0] = np.nan
    known = np.nan_to_num(scores, nan=-1.0)
    mutual = (known == known.max(axis=0, initial=-1.0)) & (known == known.max(axis=1, initial=-1.0)[:, None])
    exact = known >= rules.exact_score
    colocated = dist <= rules.colocated_m
    named_elsewhere = ((exact.sum(axis=0) - exact) > 0) & ~exact
    sits_elsewhere = ((colocated.sum(axis=0) - colocated) > 0) & ~colocated

    pcodes = sheet["commune_pcode_sheet"] if "commune_pcode_sheet" in sheet else sheet["commune_declared"]
    pcodes = pcodes.map(lambda v: commune_pcode_from_text(v) or ("" if pd.isna(v) else str(v))).to_numpy(dtype=object)
    same_commune = (pcodes[:, None] == centres["commune_pcode"].to_numpy(dtype=object)) & (pcodes[:, None] != "")
    reachable = (dist <= rules.far_m) | (np.isnan(dist) & same_commune)
    by_name = reachable & (known >= rules.strong_score) & mutual
    near = (dist <= rules.near_m) & ~((known >= 0) & (known < rules.conflict_score))
    group = np.select([colocated, by_name, near], [0, 1, 2], default=-1)
    group[named_elsewhere | (sits_elsewhere & (group > 0))] = -1
    return Evidence(dist, scores, group, reachable)


def assign_pairs(ev: Evidence, rules: MatchRules) -> tuple[list[tuple[int, int]], dict[tuple[str, int], str]]:
    """Return one-to-one (sheet, centre) positions and notes on name pairs skipped as ambiguous."""
    known = np.nan_to_num(ev.scores, nan=-1.0)
    dist = np.nan_to_num(ev.dist, nan=np.inf)
    candidates = [(int(s), int(c)) for s, c in zip(*np.nonzero(ev.group >= 0), strict=True)]
    candidates.sort(key=lambda p: (ev.group[p], -known[p] if ev.group[p] == 1 else 0, dist[p], -known[p], p))
    free_sheet, free_centre = np.ones(known.shape[0], bool), np.ones(known.shape[1], bool)
    pairs: list[tuple[int, int]] = []
    notes: dict[tuple[str, int], str] = {}
    for s, c in candidates:
        if not (free_sheet[s] and free_centre[c]):
            continue
        if ev.group[s, c] == 1:
            bar = rules.exact_score if known[s, c] >= rules.exact_score else rules.rival_score
            rival_sheets = free_sheet & ev.reachable[:, c] & (known[:, c] >= bar)
            rival_centres = free_centre & ev.reachable[s, :] & (known[s, :] >= bar)
            rival_sheets[s] = rival_centres[c] = False
            if rival_sheets.any() or rival_centres.any():
                note = f"ambiguous: name fits {int(rival_sheets.sum()) + int(rival_centres.sum()) + 1} partners"
                notes[("sheet", s)] = notes[("centre", c)] = note
                for r in np.flatnonzero(rival_sheets):
                    notes[("sheet", int(r))] = note
                for r in np.flatnonzero(rival_centres):
                    notes[("centre", int(r))] = note
                continue
        free_sheet[s] = free_centre[c] = False
        pairs.append((s, c))
    return sorted(pairs), notes
