"""The registry of export formats and the entry point that selects features and writes them in one."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import geopandas as gpd

from geo.errors import FormatNotFound
from geo.publication.exports.excel import to_excel_fr_csv
from geo.publication.exports.prepare import prepare
from geo.publication.exports.request import ExportRequest, build_date
from geo.publication.exports.shapefile import to_shp_zip
from geo.publication.exports.writers import ExportContext, to_csv, to_geojson, to_gpkg, to_kml
from geo.spatial.query import select
from geo.store import Atlas

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ExportFormat:
    """One export format of the registry."""

    key: str
    extension: str
    media_type: str
    text: bool  # worth compressing on the wire
    write: Callable[[gpd.GeoDataFrame, ExportContext], bytes]


@dataclass(frozen=True)
class Export:
    """An export ready to send or save."""

    data: bytes
    filename: str
    media_type: str
    count: int
    text: bool


#: Export formats by key (the URL suffix and the CLI ``--format`` value).
EXPORT_FORMATS: dict[str, ExportFormat] = {
    f.key: f
    for f in (
        ExportFormat("geojson", ".geojson", "application/geo+json", True, to_geojson),
        ExportFormat("gpkg", ".gpkg", "application/geopackage+sqlite3", False, to_gpkg),
        ExportFormat("csv", ".csv", "text/csv; charset=utf-8", True, to_csv),
        # French Excel: ";", decimal comma, French headings, oui/non (geo.publication.exports.excel)
        ExportFormat("fr.csv", ".fr.csv", "text/csv; charset=utf-8", True, to_excel_fr_csv),
        ExportFormat("kml", ".kml", "application/vnd.google-earth.kml+xml", True, to_kml),
        ExportFormat("shp.zip", ".shp.zip", "application/zip", False, to_shp_zip),
    )
}


def format_or_raise(key: str) -> ExportFormat:
    """Return the export format ``key`` or raise FormatNotFound listing the formats."""
    try:
        return EXPORT_FORMATS[key]
    except KeyError:
        raise FormatNotFound(f"unknown format {key!r}; available: {', '.join(EXPORT_FORMATS)}") from None


def export_layer(
    atlas: Atlas,
    request: ExportRequest,
    fmt: str,
    *,
    title: str = "",
    column_docs: Mapping[str, tuple[str, str]] | None = None,
) -> Export:
    """Select the requested features of ``atlas`` and write them in format ``fmt``.

    Parameters
    ----------
    atlas
        The loaded store (layers in EPSG:4326).
    request
        The validated selection, from ``parse_request``.
    fmt
        A key of ``EXPORT_FORMATS``.
    title
        Human title of the selection (KML document name, GeoPackage description).
    column_docs
        Column → (French, English) definition, for the Shapefile's ``fields.csv``.
    """
    spec = format_or_raise(fmt)
    frame = select(
        atlas.layers,
        request.layer,
        kinds=list(request.kinds) or None,
        commune=request.commune,
        quartier=request.quartier,
        bbox=request.bbox,
    )
    if request.layer == "facilities" and request.scope == "district":
        frame = frame[frame["in_analysis"].astype(bool).to_numpy()]
    stem = request.stem(build_date(atlas.meta))
    ctx = ExportContext(
        layer=request.layer, name=stem, layer_name=request.label, title=title, column_docs=dict(column_docs or {})
    )
    data = spec.write(prepare(frame, request.layer), ctx)
    log.info("exported %s: %d features, %d bytes", stem + spec.extension, len(frame), len(data))
    return Export(
        data=data, filename=stem + spec.extension, media_type=spec.media_type, count=len(frame), text=spec.text
    )
