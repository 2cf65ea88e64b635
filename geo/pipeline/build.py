"""Build the atlas store from the upstream sources and the project's own tables."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd

from geo import __version__
from geo.analysis import population
from geo.pipeline import quality, reconcile, sources
from geo.pipeline.ingest import admin, dnacpn, places, snisi, surveys
from geo.settings import Settings, data_dir, resolve
from geo.spatial import joins
from geo.spatial.district import district_layer
from geo.store import GeoPackageStore, store_backend
from geo.vocabulary import COMMUNE_COLUMNS, DISTRICT_COLUMNS, FACILITY_COLUMNS, LAYERS, QUARTIER_COLUMNS, STORE_CRS

log = logging.getLogger(__name__)


@dataclass
class BuildReport:
    """What a build produced: where the store was written (a file path or a database URL), counts and side reports."""

    path: Path | str
    meta: dict[str, Any]
    cscom_report: pd.DataFrame
    population_scores: population.QuartierScores
    snisi_comparison: pd.DataFrame = field(default_factory=pd.DataFrame)


def build_layers(paths: dict[str, Path], settings: Settings | Mapping[str, Any] | None = None):
    """Return (layers, cscom_report, snisi_comparison, population_scores) from verified source files.

    ``paths`` maps each source and reference key of ``data/sources.toml`` to a local file;
    ``settings`` gives ``POP_YEAR``, ``POP_TOTAL``, ``POP_METHOD`` and ``POP_COMMUNE_METHOD``.
    """
    settings = resolve(settings)
    communes = admin.read_communes(paths["communes"])
    quartiers = admin.read_quartiers(paths["quartiers"])
    district = district_layer(admin.read_district(paths["district"]), communes, source=str(paths["district"]))
    sheet = dnacpn.read_dnacpn(paths["dnacpn_cscom"])
    health = reconcile.rekind_by_name(surveys.read_health(paths["survey_health"]))
    education = surveys.read_education(paths["survey_education"])
    waste = surveys.read_waste(paths["survey_waste"], quartiers=quartiers)
    project_places = places.read_places(data_dir() / "places.csv", quartiers)
    project_places, education = places.merge_survey_duplicates(project_places, education)
    areas = snisi.read_health_areas(paths["snisi_health_areas"])
    health, cscom_report = reconcile.reconcile_cscoms(sheet.cscoms, health)
    health, outside_rows = reconcile.fix_sheet_points_outside(health, district, areas, quartiers)

    facilities = gpd.GeoDataFrame(
        pd.concat([health, education, waste, project_places], ignore_index=True), crs=STORE_CRS
    )
    facilities = joins.place_unlocated(facilities, communes, quartiers)
    facilities = joins.assign_units(facilities, quartiers)
    facilities, area_rows, comparison = reconcile.reconcile_health_areas(facilities, areas, communes)
    cscom_report = reconcile.append_report(cscom_report, [*outside_rows, *area_rows])

    year, total = settings["POP_YEAR"], settings["POP_TOTAL"]
    communes = population.estimate_communes(
        communes,
        sheet.pop_2009,
        year=year,
        total=total,
        pop_1998=population.read_communes_rgph(),
        method=settings["POP_COMMUNE_METHOD"] or None,
    )
    quartiers, scores = population.estimate_quartiers_scored(
        quartiers, communes, facilities, method=settings["POP_METHOD"] or None
    )
    findings = quality.find_issues(facilities, quartiers, communes, cscom_report=cscom_report)
    layers = {
        "communes": communes[list(COMMUNE_COLUMNS) + ["geometry"]],
        "quartiers": quartiers[list(QUARTIER_COLUMNS) + ["geometry"]],
        "facilities": facilities[list(FACILITY_COLUMNS) + ["geometry"]].sort_values("id").reset_index(drop=True),
        "qa_findings": findings,
        "district": district[list(DISTRICT_COLUMNS) + ["geometry"]],
    }
    return layers, cscom_report, comparison, scores


def build(
    settings: Settings | Mapping[str, Any] | None = None, *, force: bool = False, path: Path | None = None
) -> BuildReport | None:
    """Fetch the sources, build every layer and write the store atomically.

    Returns None when the store exists, ``force`` is False and every source
    hash is unchanged (nothing to do). The store is the GeoPackage at ``path``, else
    the one the settings name (``DATABASE``, else ``HOME``; :func:`geo.store.store_backend`).
    """
    settings = resolve(settings)
    target = store_backend(settings, path=Path(path) if path else None)
    registry = sources.registry()
    paths = sources.fetch_all(settings)
    hashes = {key: s.sha256 for key, s in registry.items()}
    reference_hashes = {key: s.sha256 for key, s in sources.references().items()}
    if target.exists() and not force:
        try:
            old = target.read_meta()
        except Exception:  # unreadable or old store: rebuild it
            old = {}
        if (old.get("sources"), old.get("references")) == (hashes, reference_hashes) and old.get(
            "package_version"
        ) == __version__:
            log.info("store %s is up to date", target)
            return None
    layers, cscom_report, comparison, scores = build_layers(paths, settings)
    fac = layers["facilities"]
    meta = {
        "build_id": uuid.uuid4().hex,
        "built_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "package_version": __version__,
        "sources": hashes,
        "references": reference_hashes,
        "counts": {name: int(len(layers[name])) for name in LAYERS},
        "facility_kinds": {k: int(v) for k, v in fac["kind"].value_counts().sort_index().items()},
        "cscom_reconciliation": {k: int(v) for k, v in cscom_report["status"].value_counts().items()},
        "snisi_comparison": comparison.astype(object).where(comparison.notna(), None).to_dict(orient="records"),
        "sheet_gps_distances_m": sorted(
            round(float(d), 1) for d in cscom_report.loc[cscom_report["status"] == "matched", "distance_m"].dropna()
        ),
        "population": {
            "year": int(settings["POP_YEAR"]),
            "total": int(settings["POP_TOTAL"]),
            "method": str(layers["quartiers"]["pop_method"].iloc[0]),
            "commune_method": str(layers["communes"]["pop_commune_method"].iloc[0]),
            "commune_methods": list(population.COMMUNE_METHODS),
            "holdout_mape": {k: round(float(v), 4) for k, v in scores.in_sample.items()},
            "loo_mape": {k: round(float(v), 4) for k, v in scores.loo.items()},
            "interval_quantiles": list(population.INTERVAL_QUANTILES),
            "interval_factors": {k: [round(lo, 4), round(hi, 4)] for k, (lo, hi) in scores.factors.items()},
            "no_evidence_units": int((layers["quartiers"]["pop_evidence"] == population.EVIDENCE_NONE).sum()),
        },
    }
    tables = {"cscom_reconciliation": cscom_report, "snisi_comparison": comparison}
    location = target.write(layers, meta, tables=tables)
    where = Path(location) if isinstance(target, GeoPackageStore) else location
    return BuildReport(where, meta, cscom_report, scores, comparison)
