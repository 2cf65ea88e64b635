"""Write the findings for the people who fix the data: ``qa_findings.csv`` and ``qa_findings.geojson``."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from functools import partial
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from geo.files import write_files_atomic
from geo.pipeline.quality.evidence import json_value
from geo.text import defuse_formula
from geo.vocabulary import QA_COLUMNS, STORE_CRS

log = logging.getLogger(__name__)


def _write_csv(findings: gpd.GeoDataFrame, path: Path) -> None:
    table = pd.DataFrame({c: defuse_formula(findings[c].astype(object)) for c in QA_COLUMNS})
    points = findings.geometry
    located = ~(points.isna() | points.is_empty)
    table["lon"] = np.where(located, points.x.where(located).round(6), np.nan)
    table["lat"] = np.where(located, points.y.where(located).round(6), np.nan)
    # The BOM makes Excel read the file as UTF-8 (accents in names and evidence).
    table.to_csv(path, index=False, encoding="utf-8-sig", lineterminator="\r\n")


def _write_geojson(findings: gpd.GeoDataFrame, path: Path) -> None:
    features = []
    for record, geom in zip(
        findings[list(QA_COLUMNS)].astype(object).to_dict("records"), findings.geometry, strict=True
    ):
        point = None
        if geom is not None and not geom.is_empty:
            point = {"type": "Point", "coordinates": [round(geom.x, 6), round(geom.y, 6)]}
        features.append(
            {"type": "Feature", "geometry": point, "properties": {k: json_value(v) for k, v in record.items()}}
        )
    # RFC 7946: WGS 84 lon/lat implied, so no "crs" member.
    with open(path, "w", encoding="utf-8") as f:
        json.dump({"type": "FeatureCollection", "features": features}, f, ensure_ascii=False)


#: Files written by ``write_findings``: name → writer.
FINDING_WRITERS: dict[str, Callable[[gpd.GeoDataFrame, Path], None]] = {
    "qa_findings.csv": _write_csv,
    "qa_findings.geojson": _write_geojson,
}


def write_findings(findings: gpd.GeoDataFrame, out_dir: Path) -> list[Path]:
    """Write the findings as ``qa_findings.csv`` and ``qa_findings.geojson`` in ``out_dir``.

    The CSV is UTF-8 with a BOM, cells that a spreadsheet would take for a
    formula are quoted, and ``lon``/``lat`` (EPSG:4326, 6 decimals) are added.
    Every file is written to a temporary name and renamed only once all are
    complete: on error no partial or new file is left behind.
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    if findings.crs is not None and str(findings.crs) != STORE_CRS:
        findings = findings.to_crs(STORE_CRS)
    written = write_files_atomic({out_dir / name: partial(write, findings) for name, write in FINDING_WRITERS.items()})
    log.info("%d finding(s) written to %s", len(findings), out_dir)
    return written
