"""The zipped Shapefile: 10-character dBase field names, texts cut to 254 bytes, ``fields.csv`` and a README."""

from __future__ import annotations

import csv
import io
import logging
import tempfile
from collections.abc import Collection, Mapping
from pathlib import Path

import geopandas as gpd

from geo.files import zip_bytes
from geo.publication.exports.writers import ATTRIBUTION, ExportContext, write_with_gdal

log = logging.getLogger(__name__)

#: Longest text a Shapefile (dBase) field can hold; longer values are cut by GDAL.
DBF_TEXT_LIMIT = 254


def shapefile_field_names(columns: Collection[str]) -> dict[str, str]:
    """Return column → unique dBase field name of at most 10 characters (``commune_pcode`` → ``commune_pc``)."""
    names: dict[str, str] = {}
    taken: set[str] = set()
    for column in columns:
        candidate = column[:10]
        n = 1
        while candidate.lower() in taken:
            suffix = f"_{n}"
            candidate = column[: 10 - len(suffix)] + suffix
            n += 1
        taken.add(candidate.lower())
        names[column] = candidate
    return names


def _fields_csv(frame: gpd.GeoDataFrame, names: Mapping[str, str], ctx: ExportContext) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(["field", "column", "definition_fr", "definition_en"])
    for column, short in names.items():
        fr, en = ctx.column_docs.get(column, ("", ""))
        writer.writerow([short, column, fr, en])
    return buffer.getvalue().encode("utf-8-sig")


def _shp_readme(ctx: ExportContext, names: Mapping[str, str]) -> bytes:
    renamed = [f"{short:<10}  {column}" for column, short in names.items() if short != column]
    lines = [
        f"{ctx.name} — {ctx.title}".rstrip(" —"),
        ATTRIBUTION,
        "",
        "FR : Shapefile en WGS84 (EPSG:4326), attributs en UTF-8 (fichier .cpg). Les noms de champs",
        "dBase sont limités à 10 caractères : fields.csv donne pour chaque champ la colonne complète et",
        f"sa définition. Les textes de plus de {DBF_TEXT_LIMIT} caractères sont tronqués ; le GeoPackage ne l'est pas.",
        "",
        "EN: Shapefile in WGS84 (EPSG:4326), UTF-8 attributes (.cpg file). dBase field names are at most",
        "10 characters: fields.csv gives each field's full column name and definition. Texts longer than",
        f"{DBF_TEXT_LIMIT} characters are cut; the GeoPackage keeps them whole.",
        "",
        f"{'field':<10}  column",
        *renamed,
        "",
    ]
    return "\r\n".join(lines).encode("utf-8")


def fit_dbf_text(frame: gpd.GeoDataFrame, *, limit: int = DBF_TEXT_LIMIT) -> gpd.GeoDataFrame:
    """Return ``frame`` with texts longer than ``limit`` UTF-8 bytes cut at a character boundary, ending in "…".

    dBase fields hold at most 254 bytes; cutting here keeps the UTF-8 valid and
    makes the cut visible instead of leaving it to GDAL.
    """
    out = frame.copy()
    marker = "…"
    room = limit - len(marker.encode())
    for column in out.columns.drop(out.geometry.name):
        values = out[column]
        too_long = values.map(lambda v: isinstance(v, str) and len(v.encode()) > limit).astype(bool)
        if too_long.any():
            cut = values[too_long].map(lambda v: v.encode()[:room].decode("utf-8", errors="ignore") + marker)
            out[column] = values.astype(object).where(~too_long, cut)
            log.info("shapefile: %d value(s) of %s cut to %d bytes", int(too_long.sum()), column, limit)
    return out


def to_shp_zip(frame: gpd.GeoDataFrame, ctx: ExportContext) -> bytes:
    """Return a zip of the Shapefile (.shp .shx .dbf .prj .cpg) plus ``fields.csv`` and ``README.txt``."""
    columns = [c for c in frame.columns if c != frame.geometry.name]
    names = shapefile_field_names(columns)
    with tempfile.TemporaryDirectory(prefix="bamako-export-") as tmp:
        folder = Path(tmp)
        write_with_gdal(
            fit_dbf_text(frame).rename(columns=names),
            folder / f"{ctx.name}.shp",
            layer=ctx.layer,
            name=ctx.name,
            driver="ESRI Shapefile",
            layer_options={"ENCODING": "UTF-8"},
        )
        members = {p.name: p.read_bytes() for p in sorted(folder.iterdir())}
    members["fields.csv"] = _fields_csv(frame, names, ctx)
    members["README.txt"] = _shp_readme(ctx, names)
    return zip_bytes(members)
