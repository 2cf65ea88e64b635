"""Run the registered checks into one findings layer, and count the findings per check and commune."""

from __future__ import annotations

import logging
from collections.abc import Iterable

import geopandas as gpd
import pandas as pd

from geo.errors import DataError, InvalidParameter
from geo.pipeline.quality.checks import CHECKS  # the registry, filled
from geo.pipeline.quality.evidence import finding_rows, json_value
from geo.pipeline.quality.registry import Context
from geo.pipeline.reconcile import REPORT_COLUMNS
from geo.vocabulary import QA_COLUMNS, STORE_CRS

log = logging.getLogger(__name__)

#: Column of ``summarize`` counting findings without a commune.
NO_COMMUNE = "(hors commune)"

_REQUIRED = ("id", "kind", "name", "commune_declared", "quartier_declared", "location_precision",
             "commune_pcode", "quartier_pcode", "join_status")  # fmt: skip


def _validate(
    facilities: gpd.GeoDataFrame, quartiers: gpd.GeoDataFrame, communes: gpd.GeoDataFrame, report: pd.DataFrame | None
) -> None:
    problems = []
    missing = [c for c in _REQUIRED if c not in facilities.columns]
    if missing:
        problems.append(f"facilities: missing columns {missing}")
    crs = {str(f.crs) for f in (facilities, quartiers, communes)}
    if len(crs) != 1:
        problems.append(f"CRS mismatch between facilities, quartiers and communes: {sorted(crs)}")
    if report is not None and (gaps := [c for c in REPORT_COLUMNS if c not in report.columns]):
        problems.append(f"cscom_report: missing columns {gaps}")
    if problems:
        raise DataError("; ".join(problems))


def find_issues(
    facilities: gpd.GeoDataFrame,
    quartiers: gpd.GeoDataFrame,
    communes: gpd.GeoDataFrame,
    *,
    cscom_report: pd.DataFrame | None = None,
    checks: Iterable[str] | None = None,
) -> gpd.GeoDataFrame:
    """Run the quality checks and return one row per finding.

    Parameters
    ----------
    facilities
        The facilities layer after ``geo.spatial.joins.assign_units`` (``FACILITY_COLUMNS``, points in EPSG:4326).
    quartiers, communes
        The admin-4 and admin-3 layers, in the same CRS as ``facilities``.
    cscom_report
        Optional CSCOM reconciliation (``status``, ``sheet_id``, ``survey_id``, ``sheet_name``,
        ``survey_name``, ``distance_m``, ``name_score``); its ``probable_mislabel`` rows become findings.
    checks
        Keys of ``CHECKS`` to run (default: all, in registry order).

    Returns
    -------
    geopandas.GeoDataFrame
        ``QA_COLUMNS`` plus the facility's point (EPSG:4326; None when it has none),
        sorted by check, commune and facility id.
    """
    keys = list(CHECKS) if checks is None else list(checks)
    unknown = [k for k in keys if k not in CHECKS]
    if unknown:
        raise InvalidParameter("checks", f"unknown check(s) {unknown}; allowed: {', '.join(CHECKS)}")
    _validate(facilities, quartiers, communes, cscom_report)
    ctx = Context(facilities.reset_index(drop=True), quartiers, communes, cscom_report)
    parts = [finding_rows([], []).assign(check=pd.Series(dtype=object))]
    for key in keys:
        part = CHECKS[key].find(ctx).assign(check=key)
        log.info("quality check %s: %d finding(s)", key, len(part))
        parts.append(part)
    found = pd.concat(parts, ignore_index=True)
    fac = ctx.facilities
    rows = found["row"].to_numpy(dtype=int)
    columns = {
        "check": found["check"],
        "facility_id": fac["id"].to_numpy()[rows],
        "facility_name": fac["name"].fillna("").to_numpy()[rows],
        "kind": fac["kind"].to_numpy()[rows],
        "commune_pcode": fac["commune_pcode"].to_numpy()[rows],
        "evidence": found["evidence"],
        "related_id": found["related_id"],
    }
    # Object columns with None for "no value", so that stores and JSON see nulls, not NaN.
    out = pd.DataFrame({k: pd.Series([json_value(v) for v in c], dtype=object) for k, c in columns.items()})
    geometry = gpd.GeoSeries(fac.geometry.to_numpy()[rows], crs=fac.crs).to_crs(STORE_CRS)
    out = gpd.GeoDataFrame(out, geometry=geometry.to_numpy(), crs=STORE_CRS)
    order = {k: n for n, k in enumerate(CHECKS)}
    out = out.assign(_order=out["check"].map(order), _commune=out["commune_pcode"].fillna("~"))
    out = out.sort_values(["_order", "_commune", "facility_id", "related_id"], na_position="first", kind="stable")
    return out.drop(columns=["_order", "_commune"]).reset_index(drop=True)[[*QA_COLUMNS, "geometry"]]


def summarize(findings: pd.DataFrame) -> pd.DataFrame:
    """Return the number of findings per check (rows) and commune P-code (columns), with totals.

    Every registered check has a row, even at zero; findings without a commune
    are counted under ``NO_COMMUNE``.
    """
    commune = findings["commune_pcode"].astype(object).where(findings["commune_pcode"].notna(), NO_COMMUNE)
    counts = pd.crosstab(findings["check"], commune) if len(findings) else pd.DataFrame()
    checks = list(CHECKS) + sorted(set(findings["check"]) - set(CHECKS))
    columns = sorted(c for c in counts.columns if c != NO_COMMUNE) + (
        [NO_COMMUNE] if NO_COMMUNE in counts.columns else []
    )
    table = counts.reindex(index=checks, columns=columns, fill_value=0).astype(int)
    table["total"] = table.sum(axis=1)
    table.loc["total"] = table.sum(axis=0)
    table = table.astype(int)
    table.index.name, table.columns.name = "check", "commune_pcode"
    return table
