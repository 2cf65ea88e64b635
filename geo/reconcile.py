"""Reconcile the CSCOM register: the DNACPN sheet against the 2021 health-facility survey.

The two sources name the same centres differently: the sheet writes ASACO
codes ("ASACOKOSA", "ABOSAC", "ASACOMI"), the surveyors wrote free text
("Asacokossa", "Scom de Bozola", "Cscom missira", or only "Centre de santé
communautaire"), surveyed some centres several times, and tagged some private
practices as community health centres. For several centres whose names agree
exactly the two points are 1–1.7 km apart.

Rules (distances in EPSG:32629, metres; name scores 0–100 on :func:`name_core`):

1. A survey "cscom" whose name has no community marker and whose operator is
   private (or whose name says cabinet, clinique, pharmacie) is a probable
   mislabel: it is re-kinded clinic or pharmacy and takes no further part.
2. Survey centres closer than ``duplicate_m`` whose names do not conflict are
   one centre surveyed several times and collapse into one row.
3. A sheet row and a survey centre may pair when
   - they are co-located (``colocated_m``), whatever the names (ABOSAC is the
     Bozola centre 6 m away); or
   - their names agree strongly, each is the other's best name match, and the
     points are within ``far_m`` (or the sheet row has no point and the
     declared communes agree); or
   - they are within ``near_m`` and their names do not conflict;
   never when the survey name names another sheet centre exactly, nor (except
   co-located) when the survey point sits on another sheet centre.
4. Pairs are assigned one-to-one, greedily: co-located pairs nearest first,
   then name pairs best score first, then near pairs. A name pair is skipped
   when a free rival fits as well ("ASACOYirimadjo" fits ASACOYIR and ASACOYI).
5. A survey row of another kind named as a CSCOM that sits on a sheet CSCOM
   ("Cscom benkadi", typed pharmacy, 20 m from Benkadi) is reported as a
   probable mislabel with that sheet id, and left unchanged.

A pair keeps the sheet's name: the ASACO code is the register's own, stable
spelling, where the survey often has only "Centre de santé communautaire".

Wrong merges are worse than missed ones: each rule errs towards two rows.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
from rapidfuzz import fuzz
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import connected_components

from geo.errors import DataError
from geo.model import METRIC_CRS, SOURCE_FACILITY_COLUMNS
from geo.text import commune_pcode_from_text, normalize_name

log = logging.getLogger(__name__)

SHEET_SOURCE = "dnacpn_cscom"
SURVEY_SOURCE = "survey_health"
STATUSES = ("matched", "sheet_only", "survey_only", "probable_mislabel", "survey_duplicate")
REPORT_COLUMNS = ("status", "sheet_id", "survey_id", "sheet_name", "survey_name", "distance_m", "name_score")
#: Extra report columns: the output row that holds the source row, and why.
REPORT_EXTRA_COLUMNS = ("kept_id", "note")
#: Columns the sheet adds to the store schema (empty on survey-only rows).
SHEET_COLUMNS = ("asaco_code", "commune_pcode_sheet")

#: Words that say "a health centre" without saying which one.
GENERIC_TOKENS = frozenset(
    "cscom cscomm scom csc cs asaco assaco ascom association centre center centres sante soin soins "
    "communautaire communautaires communitaire publique public batiment aire de du des d l la le les et".split()
)
#: ASACO-style prefixes glued to the distinctive part ("ASACOKOSA", "CSCODA", "ASCOMISSABOUGOU").
_ACRONYM_PREFIX = re.compile(r"^(?:assaco|asaco|cscom|csco|asco|scom)(?=[a-z0-9]{2})")
#: A name that says "community" the ways the sources write it.
_COMMUNITY_MARKER = re.compile(r"\b(?:c?scom\w*|as+aco\w*|asco\w*|\w+asco|communautaire|communitaire)\b")
#: Kind a mislabelled private practice gets from a word of its name ("clinic" when none).
PRIVATE_PRACTICE_KINDS: dict[str, str] = {
    "pharmacie": "pharmacy",
    "pharmacy": "pharmacy",
    "officine": "pharmacy",
    "cabinet": "clinic",
    "clinique": "clinic",
    "polyclinique": "clinic",
    "clinic": "clinic",
}
_NUMERIC = ("beds", "doctors", "nurses")
_GROUP_NOTES = ("co-located", "names agree", "near, names compatible")


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
    """

    colocated_m: float = 60.0
    near_m: float = 300.0
    far_m: float = 2000.0
    duplicate_m: float = 60.0
    strong_score: float = 85.0
    rival_score: float = 80.0
    conflict_score: float = 50.0
    exact_score: float = 95.0


def name_core(name: object) -> str:
    """Return the distinctive part of a health-centre name, compacted ("" when only generic words).

    >>> name_core("ASACOKOSA"), name_core("Cscom ASACOMI"), name_core("Scom de Bozola")
    ('kosa', 'mi', 'bozola')
    >>> name_core("Centre de santé communautaire")
    ''
    """
    tokens = [t for t in normalize_name(name).split() if t not in GENERIC_TOKENS]
    return "".join(_ACRONYM_PREFIX.sub("", t) for t in tokens)


def name_score(a: str, b: str) -> float | None:
    """Return the similarity 0–100 of two name cores, or None when either is empty.

    A core that begins the other ("kal" and "kalko") scores 90, or 80 when it
    has two letters ("mi" and "missira": enough to agree with a point nearby,
    not to fetch one far away).
    """
    if not a or not b:
        return None
    prefix = {0: 0.0, 1: 0.0, 2: 80.0}.get(min(len(a), len(b)), 90.0) if a.startswith(b) or b.startswith(a) else 0.0
    return max(float(fuzz.ratio(a, b)), prefix)


def _has_community_marker(name: object) -> bool:
    return bool(_COMMUNITY_MARKER.search(normalize_name(name)))


def probable_mislabel_kinds(survey: pd.DataFrame) -> pd.Series:
    """Return per row the kind a "cscom"-labelled private practice should have ("" when not one).

    A CSCOM is run by its community association (ASACO): a row whose name has no
    community marker and whose operator is private, or whose name says
    cabinet/clinique/pharmacie under a non-community operator, is a private practice.
    """
    words = survey["name"].map(lambda n: set(normalize_name(n).split()))
    practice = words.map(lambda w: next((PRIVATE_PRACTICE_KINDS[t] for t in PRIVATE_PRACTICE_KINDS if t in w), ""))
    unmarked = ~survey["name"].map(_has_community_marker)
    private = survey["operator_type"] == "private"
    suspect = (
        (survey["kind"] == "cscom")
        & unmarked
        & (private | ((practice != "") & (survey["operator_type"] != "community")))
    )
    return practice.replace("", "clinic").where(suspect, "")


def _xy(frame: gpd.GeoDataFrame) -> np.ndarray:
    """Return metric coordinates (EPSG:32629), NaN for empty geometries."""
    geometry = frame.geometry.to_crs(METRIC_CRS)
    empty = (geometry.isna() | geometry.is_empty).to_numpy()
    xy = np.full((len(frame), 2), np.nan)
    xy[~empty] = np.column_stack([geometry[~empty].x, geometry[~empty].y])
    return xy


def _distances(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.hypot(a[:, None, 0] - b[None, :, 0], a[:, None, 1] - b[None, :, 1])


def _score_matrix(left: list[str], right: list[str]) -> np.ndarray:
    """Return name scores, NaN where a core is empty."""
    return np.array([[name_score(a, b) for b in right] for a in left], dtype=float).reshape(len(left), len(right))


def _centres(survey: gpd.GeoDataFrame, rules: MatchRules) -> pd.DataFrame:
    """Return one row per surveyed centre: CSCOM candidates with repeat visits collapsed.

    Candidates are the rows of kind "cscom" and rows of unknown type
    ("health_other") whose name says CSCOM or ASACO ("CSCOM de ANIASCo").
    """
    marked = survey["name"].map(_has_community_marker)
    rows = survey[(survey["kind"] == "cscom") | ((survey["kind"] == "health_other") & marked)]
    xy, cores = _xy(rows), rows["name"].map(name_core).tolist()
    linked = (_distances(xy, xy) < rules.duplicate_m) & ~(_score_matrix(cores, cores) < rules.conflict_score)
    labels = connected_components(csr_matrix(linked), directed=False)[1] if len(rows) else np.array([], dtype=int)
    filled = rows[list(_NUMERIC)].notna().sum(axis=1) + (rows["opening_hours"].fillna("") != "")
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
class _Evidence:
    """Sheet × centre matrices: distance (m, NaN without a sheet point), score (NaN: generic), group, reach."""

    dist: np.ndarray
    scores: np.ndarray
    group: np.ndarray  # 0 co-located, 1 names agree, 2 near, -1 not admissible
    reachable: np.ndarray


def _evidence(sheet: gpd.GeoDataFrame, centres: pd.DataFrame, rules: MatchRules) -> _Evidence:
    dist = _distances(_xy(sheet), centres[["x", "y"]].to_numpy(dtype=float).reshape(-1, 2))
    sheet_cores = sheet["name"].map(name_core).tolist()
    scores = np.full(dist.shape, np.nan)
    for j, cores in enumerate(centres["cores"]):  # a centre scores the best name of its visits
        member = np.nan_to_num(_score_matrix(sheet_cores, cores), nan=-1.0)
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
    return _Evidence(dist, scores, group, reachable)


def _assign(ev: _Evidence, rules: MatchRules) -> tuple[list[tuple[int, int]], dict[tuple[str, int], str]]:
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


def _blank(value: object) -> bool:
    return value is None or value is pd.NA or value == "" or (isinstance(value, float) and np.isnan(value))


def _is_empty(geometry: object) -> bool:
    return geometry is None or geometry.is_empty


def _join_note(*parts: object) -> str:
    return "; ".join(str(p) for p in parts if p)


def _merged_row(sheet_row: pd.Series, members: gpd.GeoDataFrame, rep_id: str, distance: float) -> dict:
    """Return the one row a matched pair becomes: sheet id, name and point; survey attributes."""
    rep = members.loc[rep_id]
    row = rep.to_dict()
    for column in (*_NUMERIC, "opening_hours", "quartier_declared", "operator_type"):
        if _blank(row[column]):  # a repeat visit fills what the chosen visit left blank
            row[column] = next((v for v in members[column] if not _blank(v)), row[column])
    located = not _is_empty(sheet_row.geometry)
    # The sheet's ASACO code is the register's own, stable spelling; the survey's
    # free text replaces it only when the sheet says nothing distinctive ("Centre").
    use_survey_name = name_core(sheet_row["name"]) == "" and name_core(rep["name"]) != ""
    row.update(
        id=sheet_row["id"],
        kind="cscom",
        name=rep["name"] if use_survey_name else sheet_row["name"],
        commune_declared=sheet_row["commune_declared"] or rep["commune_declared"],
        location_precision="exact" if located or not _is_empty(rep.geometry) else sheet_row["location_precision"],
        sources=f"{SHEET_SOURCE};{SURVEY_SOURCE}",
        source_refs=";".join([sheet_row["source_refs"], *members["source_refs"].astype(str)]),
        operator_type=row["operator_type"] or sheet_row["operator_type"],
        geometry=sheet_row.geometry if located else rep.geometry,
        note=_join_note(
            sheet_row["note"],
            f"survey name: {rep['name']}" if rep["name"] and not use_survey_name else "",
            f"survey point {distance:.0f} m away" if located else "point from the survey (none in the sheet)",
            f"surveyed {len(members)} times" if len(members) > 1 else "",
        ),
        **{c: sheet_row.get(c, "") for c in SHEET_COLUMNS},
    )
    return row


def _check_inputs(sheet: gpd.GeoDataFrame, survey: gpd.GeoDataFrame) -> None:
    for label, frame in (("sheet", sheet), ("survey", survey)):
        missing = [c for c in SOURCE_FACILITY_COLUMNS if c not in frame.columns]
        if missing:
            raise DataError(f"reconcile_cscoms: the {label} frame lacks columns {missing}")
        dupes = frame["id"][frame["id"].duplicated()].tolist()
        if dupes:
            raise DataError(f"reconcile_cscoms: duplicate ids in the {label} frame: {dupes[:5]}")
    if sheet.crs != survey.crs:
        raise DataError(f"reconcile_cscoms: CRS mismatch, sheet {sheet.crs} and survey {survey.crs}")


def _misfiled_cscoms(survey: gpd.GeoDataFrame, sheet: gpd.GeoDataFrame, rules: MatchRules) -> list[dict]:
    """Report survey rows of another kind named as a CSCOM that sit on a sheet CSCOM ("Cscom benkadi", a pharmacy).

    Such a row is left as it is (it may be the centre's own dispensary); the
    report lets the QA step flag it.
    """
    rows = survey[(survey["kind"] != "cscom") & survey["name"].map(_has_community_marker)]
    if rows.empty or sheet.empty:
        return []
    dist = _distances(_xy(rows), _xy(sheet))
    scores = _score_matrix(rows["name"].map(name_core).tolist(), sheet["name"].map(name_core).tolist())
    fits = (dist <= rules.colocated_m) | ((dist <= rules.near_m) & (np.nan_to_num(scores) >= rules.strong_score))
    found = []
    for r in np.flatnonzero(fits.any(axis=1)):
        k = int(np.nanargmin(np.where(fits[r], dist[r], np.nan)))
        note = f"typed {rows['kind'].iloc[r]} in the survey but named as a CSCOM; kind left unchanged"
        found.append(
            _entry("probable_mislabel", sheet_id=sheet["id"].iloc[k], survey_id=rows["id"].iloc[r],
                   sheet_name=sheet["name"].iloc[k], survey_name=rows["name"].iloc[r], distance_m=dist[r, k],
                   name_score=scores[r, k], kept_id=rows["id"].iloc[r], note=note)
        )  # fmt: skip
    return found


def _nearest_note(dist: np.ndarray, taken: np.ndarray, others: pd.DataFrame, far_m: float) -> str:
    """Name the nearest unmatched counterpart (columns ``id``, ``name``) within ``far_m``, for the report."""
    line = np.where(taken, np.nan, dist)
    if not np.isfinite(line).any() or np.nanmin(line) > far_m:
        return ""
    k = int(np.nanargmin(line))
    return f"nearest unmatched: {others['id'].iloc[k]} ({others['name'].iloc[k]}) at {line[k]:.0f} m"


def reconcile_cscoms(
    sheet: gpd.GeoDataFrame, survey: gpd.GeoDataFrame, *, rules: MatchRules | None = None
) -> tuple[gpd.GeoDataFrame, pd.DataFrame]:
    """Merge the DNACPN CSCOM sheet into the health survey, one row per real centre.

    Parameters
    ----------
    sheet
        ``read_dnacpn(...).cscoms``: EPSG:4326, ids "dnacpn-NN", empty geometry
        where the sheet has no coordinates.
    survey
        The health-survey facilities in the store schema (EPSG:4326), all kinds.
    rules
        Thresholds; see :class:`MatchRules` and the module docstring.

    Returns
    -------
    facilities
        The survey frame with CSCOMs reconciled, sorted by id: a matched pair is
        one row with the sheet id, name and point (the survey's point, precision
        "exact", when the sheet has none; the survey's name when the sheet's is
        generic), both sources and refs and the survey's attributes; repeat
        visits collapsed into one row; sheet-only rows added; private practices
        labelled CSCOM re-kinded; other survey rows unchanged. Adds the columns
        ``SHEET_COLUMNS`` ("" on rows without a sheet row).
    report
        One row per decision: ``REPORT_COLUMNS`` + ``REPORT_EXTRA_COLUMNS``,
        ``status`` in ``STATUSES``, ``distance_m`` in metres (EPSG:32629).

    Raises
    ------
    DataError
        A frame lacks store columns, ids repeat, or the CRSs differ.
    """
    rules = rules or MatchRules()
    _check_inputs(sheet, survey)
    sheet = sheet.reset_index(drop=True)
    out = survey.reset_index(drop=True).copy()
    report = _relabel_private_practices(out)
    centres = _centres(out, rules)
    ev = _evidence(sheet, centres, rules)
    pairs, skipped = _assign(ev, rules)
    partner = {c: s for s, c in pairs}
    sheet_taken, centre_taken = np.zeros(len(sheet), bool), np.zeros(len(centres), bool)
    sheet_taken[[s for s, _ in pairs]] = centre_taken[[c for _, c in pairs]] = True
    by_id = out.set_index("id", drop=False)
    merged: list[dict] = []
    dropped: set[str] = set()

    for c, centre in centres.iterrows():
        members, rep_id, s = by_id.loc[centre["member_ids"]], centre["rep_id"], partner.get(c)
        if s is not None:
            kept = sheet.at[s, "id"]
            merged.append(_merged_row(sheet.iloc[s], members, rep_id, ev.dist[s, c]))
            dropped.update(centre["member_ids"])
            report.append(
                _entry("matched", sheet_id=kept, survey_id=rep_id, sheet_name=sheet.at[s, "name"],
                       survey_name=centre["name"], distance_m=ev.dist[s, c], name_score=ev.scores[s, c],
                       kept_id=kept, note=_GROUP_NOTES[ev.group[s, c]])
            )  # fmt: skip
        else:
            kept = rep_id
            dropped.update(m for m in centre["member_ids"] if m != kept)
            if len(members) > 1:
                idx = out.index[out["id"] == kept][0]
                out.at[idx, "source_refs"] = ";".join(members["source_refs"].astype(str))
                out.at[idx, "note"] = _join_note(out.at[idx, "note"], f"surveyed {len(members)} times")
            note = skipped.get(("centre", c)) or _nearest_note(ev.dist[:, c], sheet_taken, sheet, rules.far_m)
            report.append(_entry("survey_only", survey_id=kept, survey_name=centre["name"], kept_id=kept, note=note))
        rep_xy = np.array([centre["x"], centre["y"]])
        for other in (m for m in centre["member_ids"] if m != rep_id):
            gap = float(np.hypot(*(_xy(by_id.loc[[other]])[0] - rep_xy)))
            report.append(
                _entry("survey_duplicate", survey_id=other, survey_name=by_id.at[other, "name"], distance_m=gap,
                       kept_id=kept, note=f"repeat visit of {rep_id}")
            )  # fmt: skip
    named_centres = centres.rename(columns={"rep_id": "id"})
    for s in np.flatnonzero(~sheet_taken):
        note = skipped.get(("sheet", int(s))) or _nearest_note(ev.dist[s], centre_taken, named_centres, rules.far_m)
        report.append(
            _entry(
                "sheet_only",
                sheet_id=sheet.at[s, "id"],
                sheet_name=sheet.at[s, "name"],
                kept_id=sheet.at[s, "id"],
                note=note,
            )
        )
    report.extend(_misfiled_cscoms(out, sheet, rules))

    parts = [out[~out["id"].isin(dropped)], sheet[~sheet_taken]]
    if merged:
        parts.append(gpd.GeoDataFrame(merged, geometry="geometry", crs=survey.crs))
    facilities = gpd.GeoDataFrame(pd.concat(parts, ignore_index=True), geometry="geometry", crs=survey.crs)
    columns = [*survey.columns.drop("geometry"), *(c for c in SHEET_COLUMNS if c not in survey), "geometry"]
    text = [c for c in columns[:-1] if not pd.api.types.is_numeric_dtype(facilities[c])]
    facilities[text] = facilities[text].fillna("")
    facilities = facilities[columns].sort_values("id", kind="stable").reset_index(drop=True)
    return facilities, _report_frame(report)


def _entry(status: str, **fields: object) -> dict:
    """Return one report row: ``status`` and the given fields, "" or NaN for the others."""
    blank = {c: np.nan if c in ("distance_m", "name_score") else "" for c in (*REPORT_COLUMNS, *REPORT_EXTRA_COLUMNS)}
    return {**blank, "status": status, **fields}


def _report_frame(entries: list[dict]) -> pd.DataFrame:
    frame = pd.DataFrame(entries, columns=[*REPORT_COLUMNS, *REPORT_EXTRA_COLUMNS])
    numeric = ["distance_m", "name_score"]
    text = [c for c in frame.columns if c not in numeric]
    frame[text] = frame[text].fillna("").astype(str)
    frame[numeric] = frame[numeric].astype(float).round(1)
    frame = frame.sort_values(["status", "sheet_id", "survey_id"], kind="stable").reset_index(drop=True)
    counts = frame["status"].value_counts()
    log.info("CSCOM reconciliation: %s", ", ".join(f"{s} {counts.get(s, 0)}" for s in STATUSES))
    return frame


def _relabel_private_practices(out: gpd.GeoDataFrame) -> list[dict]:
    """Re-kind, in place, survey CSCOMs that are private practices; return their report rows."""
    relabel = probable_mislabel_kinds(out)
    entries = []
    for idx in relabel.index[relabel != ""]:
        kind, operator = relabel[idx], out.at[idx, "operator_type"] or "unknown"
        out.at[idx, "kind"] = kind
        out.at[idx, "note"] = _join_note(out.at[idx, "note"], f"labelled CSCOM in the survey, re-kinded {kind}")
        note = f"operator {operator}, no community marker in the name: re-kinded {kind}"
        fid = out.at[idx, "id"]
        entries.append(
            _entry("probable_mislabel", survey_id=fid, survey_name=out.at[idx, "name"], kept_id=fid, note=note)
        )
    return entries
