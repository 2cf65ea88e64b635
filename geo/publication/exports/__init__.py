"""Export atlas layers for partners: GeoJSON, GeoPackage, CSV (standard and French Excel), KML, zipped Shapefile.

Formats come from a registry (:data:`EXPORT_FORMATS`, :mod:`geo.publication.exports.formats`).
Each writer (:mod:`~geo.publication.exports.writers`, :mod:`~geo.publication.exports.shapefile`) turns
a prepared layer (:mod:`~geo.publication.exports.prepare`: EPSG:4326, coordinates rounded
to ``COORDINATE_DECIMALS``) into bytes; writers that need GDAL work in a
temporary folder that is always removed. :mod:`~geo.publication.exports.request` validates
what to export, :mod:`geo.files` writes files atomically. Nothing here
knows about HTTP: the web API and the CLI call the same functions.
"""

from geo.files import write_atomic, write_files_atomic, zip_bytes
from geo.publication.exports.excel import excel_fr, to_excel_fr_csv
from geo.publication.exports.formats import EXPORT_FORMATS, Export, ExportFormat, export_layer, format_or_raise
from geo.publication.exports.prepare import COORDINATE_DECIMALS, json_records, prepare
from geo.publication.exports.request import (
    PARAMETERS,
    SCOPES,
    ExportRequest,
    build_date,
    check_parameters,
    parse_request,
    unit_pcodes,
)
from geo.publication.exports.shapefile import DBF_TEXT_LIMIT, fit_dbf_text, shapefile_field_names, to_shp_zip
from geo.publication.exports.writers import (
    ATTRIBUTION,
    ID_COLUMNS,
    LAYER_GEOMETRY,
    NAME_COLUMNS,
    ExportContext,
    csv_frame,
    to_csv,
    to_geojson,
    to_gpkg,
    to_gpkg_layers,
    to_kml,
)
from geo.text import FORMULA_PREFIXES, defuse_formula

__all__ = [
    "ATTRIBUTION",
    "COORDINATE_DECIMALS",
    "DBF_TEXT_LIMIT",
    "EXPORT_FORMATS",
    "FORMULA_PREFIXES",
    "ID_COLUMNS",
    "LAYER_GEOMETRY",
    "NAME_COLUMNS",
    "PARAMETERS",
    "SCOPES",
    "Export",
    "ExportContext",
    "ExportFormat",
    "ExportRequest",
    "build_date",
    "check_parameters",
    "csv_frame",
    "defuse_formula",
    "excel_fr",
    "export_layer",
    "fit_dbf_text",
    "format_or_raise",
    "json_records",
    "parse_request",
    "prepare",
    "shapefile_field_names",
    "to_csv",
    "to_excel_fr_csv",
    "to_geojson",
    "to_gpkg",
    "to_gpkg_layers",
    "to_kml",
    "to_shp_zip",
    "unit_pcodes",
    "write_atomic",
    "write_files_atomic",
    "zip_bytes",
]
