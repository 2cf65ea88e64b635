"""Merge the DNACPN CSCOM sheet into the health survey and report every decision.

Distances are in EPSG:32629 (metres); see :mod:`geo.pipeline.reconcile` for the rules.
"""

from __future__ import annotations

import logging

import geopandas as gpd
import numpy as np
import pandas as pd

from geo.errors import DataError
from geo.pipeline.reconcile.matching import (
    NUMERIC_COLUMNS,
    MatchRules,
    assign_pairs,
    metric_xy,
    pair_evidence,
    pairwise_distances,
    score_matrix,
    survey_centres,
)
from geo.pipeline.reconcile.names import has_community_marker, name_core, probable_mislabel_kinds
from geo.schema import COUNT_COLUMNS
from geo.vocabulary import SOURCE_FACILITY_COLUMNS

log = logging.getLogger(__name__)

SHEET_SOURCE = "dnacpn_cscom"
SURVEY_SOURCE = "survey_health"
STATUSES = ("matched", "sheet_only", "survey_only", "probable_mislabel", "survey_duplicate")
REPORT_COLUMNS = ("status", "sheet_id", "survey_id", "sheet_name", "survey_name", "distance_m", "name_score")
#: Extra report columns: the output row that holds the source row, and why.
REPORT_EXTRA_COLUMNS = ("kept_id", "note")
#: Columns the sheet adds to the store schema (empty on survey-only rows).
SHEET_COLUMNS = ("asaco_code", "commune_pcode_sheet")
# Report note of a pair, by its rule group (``Evidence.group``: 0, 1, 2).
_GROUP_NOTES = ("co-located", "names agree", "near, names compatible")


def _blank(value: object) -> bool:
    return value is None or value is pd.NA or value == "" or (isinstance(value, float) and np.isnan(value))


def _is_empty(geometry: object) -> bool:
    return geometry is None or geometry.is_empty


def _join_note(*parts: object) -> str:
    return "; ".join(str(p) for p in parts if p)


def _pair_precision(located: bool, surveyed: bool, distance: float, conflict_m: float) -> str:
    """Return the precision class of a matched pair: the survey GPS point, flagged when the sheet disagrees."""
    if not surveyed:
        return "sheet_dms" if located else "commune"
    return "sheet_dms_conflict" if located and distance > conflict_m else "gps_survey"


def _position_note(sheet_point: object, distance: float, conflict_m: float) -> str:
    """Return the note keeping the sheet point as evidence (fixed templates, translated at display time)."""
    if distance > conflict_m:
        return f"sheet point {sheet_point.y:.5f}, {sheet_point.x:.5f} is {distance:.0f} m from the survey GPS point: GPS point used"
    return f"sheet point {distance:.0f} m from the survey GPS point"


def _merged_row(
    sheet_row: pd.Series, members: gpd.GeoDataFrame, rep_id: str, distance: float, conflict_m: float
) -> dict:
    """Return the one row a matched pair becomes: sheet id and name, survey GPS point and attributes."""
    rep = members.loc[rep_id]
    row = rep.to_dict()
    for column in (*NUMERIC_COLUMNS, "opening_hours", "quartier_declared", "operator_type"):
        if _blank(row[column]):  # a repeat visit fills what the chosen visit left blank
            row[column] = next((v for v in members[column] if not _blank(v)), row[column])
    located, surveyed = not _is_empty(sheet_row.geometry), not _is_empty(rep.geometry)
    # The sheet's ASACO code is the register's own, stable spelling; the survey's
    # free text replaces it only when the sheet says nothing distinctive ("Centre").
    use_survey_name = name_core(sheet_row["name"]) == "" and name_core(rep["name"]) != ""
    row.update(
        id=sheet_row["id"],
        kind="cscom",
        name=rep["name"] if use_survey_name else sheet_row["name"],
        commune_declared=sheet_row["commune_declared"] or rep["commune_declared"],
        location_precision=_pair_precision(located, surveyed, distance, conflict_m),
        sources=f"{SHEET_SOURCE};{SURVEY_SOURCE}",
        source_refs=";".join([sheet_row["source_refs"], *members["source_refs"].astype(str)]),
        operator_type=row["operator_type"] or sheet_row["operator_type"],
        geometry=rep.geometry if surveyed else sheet_row.geometry,
        note=_join_note(
            sheet_row["note"],
            f"survey name: {rep['name']}" if rep["name"] and not use_survey_name else "",
            _position_note(sheet_row.geometry, distance, conflict_m) if located and surveyed else "",
            "point from the survey (none in the sheet)" if surveyed and not located else "",
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
    rows = survey[(survey["kind"] != "cscom") & survey["name"].map(has_community_marker)]
    if rows.empty or sheet.empty:
        return []
    dist = pairwise_distances(metric_xy(rows), metric_xy(sheet))
    scores = score_matrix(rows["name"].map(name_core).tolist(), sheet["name"].map(name_core).tolist())
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
        Thresholds; see :class:`MatchRules` and the rules in :mod:`geo.pipeline.reconcile`.

    Returns
    -------
    facilities
        The survey frame with CSCOMs reconciled, sorted by id: a matched pair is
        one row with the sheet id and name (the survey's name when the sheet's is
        generic) at the survey GPS point (precision "gps_survey", or
        "sheet_dms_conflict" when the sheet point is more than ``rules.conflict_m``
        away, the sheet point then kept in the note), both sources and refs and the survey's attributes; repeat
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
    centres = survey_centres(out, rules)
    ev = pair_evidence(sheet, centres, rules)
    pairs, skipped = assign_pairs(ev, rules)
    partner = {c: s for s, c in pairs}
    sheet_taken, centre_taken = np.zeros(len(sheet), bool), np.zeros(len(centres), bool)
    sheet_taken[[s for s, _ in pairs]] = centre_taken[[c for _, c in pairs]] = True
    by_id = out.set_index("id", drop=False)
    merged: list[dict] = []
    dropped: set[str] = set()

    id_xy = dict(zip(by_id.index, metric_xy(by_id), strict=True))
    for c, centre in centres.iterrows():
        members, rep_id, s = by_id.loc[centre["member_ids"]], centre["rep_id"], partner.get(c)
        if s is not None:
            kept = sheet.at[s, "id"]
            merged.append(_merged_row(sheet.iloc[s], members, rep_id, ev.dist[s, c], rules.conflict_m))
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
            gap = float(np.hypot(*(id_xy[other] - rep_xy)))
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
    for column in COUNT_COLUMNS:  # merged records hold None: keep the counts numbers, never text
        if not pd.api.types.is_numeric_dtype(facilities[column]):
            facilities[column] = pd.to_numeric(facilities[column].astype(object)).astype("Int64")
    text = [c for c in columns[:-1] if not pd.api.types.is_numeric_dtype(facilities[c])]
    facilities[text] = facilities[text].fillna("")
    facilities = facilities[columns].sort_values("id", kind="stable").reset_index(drop=True)
    return facilities, _report_frame(report)


def _entry(status: str, **fields: object) -> dict:
    """Return one report row: ``status`` and the given fields, "" or NaN for the others."""
    blank = {c: np.nan if c in ("distance_m", "name_score") else "" for c in (*REPORT_COLUMNS, *REPORT_EXTRA_COLUMNS)}
    return {**blank, "status": status, **fields}


def append_report(report: pd.DataFrame, entries: list[dict]) -> pd.DataFrame:
    """Return the reconciliation ``report`` with more decision rows (same columns), sorted like it."""
    return _report_frame([*report.to_dict(orient="records"), *entries])


def _report_frame(entries: list[dict]) -> pd.DataFrame:
    frame = pd.DataFrame(entries, columns=[*REPORT_COLUMNS, *REPORT_EXTRA_COLUMNS])
    numeric = ["distance_m", "name_score"]
    text = [c for c in frame.columns if c not in numeric]
    frame[text] = frame[text].fillna("").astype(str)
    frame[numeric] = frame[numeric].astype(float).round(1)
    frame = frame.sort_values(["status", "sheet_id", "survey_id"], kind="stable").reset_index(drop=True)
    counts = frame["status"].value_counts()
    log.info("CSCOM reconciliation: %s", ", ".join(f"{s} {n}" for s, n in counts.items()))
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
