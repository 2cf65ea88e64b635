"""Read an uploaded file (CSV, GeoJSON, GeoPackage, OpenStreetMap) into facility rows and per-row errors.

Each format of :data:`IMPORT_FORMATS` has a reader (:mod:`geo.planning.imports.readers`) that
turns the bytes into candidate rows; one validator
(:mod:`geo.planning.imports.validate`) then checks every candidate the same way and
sorts them into rows ready for :meth:`geo.planning.edits.EditStore.apply_rows` and
:class:`RowError` records naming the line, the field and a stable problem code.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

import geopandas as gpd

from geo.errors import InvalidParameter
from geo.planning.edits.validate import storable_text
from geo.planning.imports.osm import OSM_LICENCE
from geo.planning.imports.readers import Extract, file_error, read_csv, read_geojson, read_gpkg, read_osm_upload
from geo.planning.imports.roads import TARGETS, parse_roads
from geo.planning.imports.validate import RowError, validate
from geo.vocabulary import STORE_CRS

log = logging.getLogger(__name__)

_CONTROL = re.compile(r"[\x00-\x1f\x7f]")

#: Whole-file problem codes (``InvalidParameter("file", …).code``) the web layer translates.
FILE_PROBLEMS: dict[str, str] = {
    "file_too_large": "the file is over the size limit (20 MB)",
    "too_many_rows": "the file has more rows than accepted (50 000)",
    "empty_file": "the file is empty",
    "unknown_format": "the file type is not one of the accepted ones",
    "bad_encoding": "the text is not in a readable encoding (UTF-8, Windows-1252, Latin-1)",
    "bad_csv": "the CSV cannot be split into fields (an unclosed quote)",
    "missing_columns": "the CSV lacks name, kind or a position column",
    "invalid_json": "the file is not valid JSON",
    "invalid_geojson": "the JSON is not a GeoJSON FeatureCollection or Feature",
    "unknown_crs": "the declared coordinate reference system is unknown",
    "unreadable_geopackage": "the GeoPackage is truncated or corrupt",
    "unsafe_geopackage": "the GeoPackage holds SQL views or virtual tables, which are not accepted",
    "geopackage_too_slow": "checking the GeoPackage took longer than its time budget",
    "unknown_layer": "the GeoPackage has no layer by that name",
    "unreadable_osm": "the OpenStreetMap file is truncated or corrupt",
    "roads_need_osm": "a road layer is imported from an OpenStreetMap extract (.osm or .osm.pbf)",
    "no_roads": "the OpenStreetMap file holds no highway=* way inside the District",
    "import_too_slow": "reading and checking the file took longer than its time budget (IMPORT_SECONDS)",
    "import_too_large_in_memory": "reading the file needed more memory than its budget (IMPORT_MEMORY_MB)",
    "import_reader_crashed": "the reader stopped on the file (corrupt, or too large for its budget)",
}

#: Largest upload accepted, in bytes.
MAX_BYTES = 20 * 1024 * 1024
#: Most data rows (features) accepted in one import.
MAX_ROWS = 50_000


@dataclass
class ParsedImport:
    """The rows of an upload ready to add, its per-row errors and how it was read.

    ``rows`` are dicts ``{"line", "fields", "lonlat", "quartier_pcode"}``:
    ``fields`` holds facility columns for :meth:`geo.planning.edits.EditStore.create`,
    ``lonlat`` is ``[lon, lat]`` in EPSG:4326. With ``target`` ``"roads"`` rows are road ways
    ``{"line", "fields": {"highway", "name"}, "coords"}`` (:mod:`geo.planning.imports.roads`).
    """

    rows: list[dict[str, Any]]
    errors: list[RowError]
    format: str
    source_crs: str | None
    filename: str = ""
    encoding: str | None = None
    licence: str | None = None
    total: int = 0  # candidate rows read
    skipped: dict[str, int] = field(default_factory=dict)
    ignored_columns: list[str] = field(default_factory=list)
    target: str = "facilities"

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-ready dict."""
        out = asdict(self)
        out["errors"] = [e.to_dict() for e in self.errors]
        return out


@dataclass(frozen=True)
class Format:
    """One upload format: its key, the file name endings that select it and its reader."""

    key: str
    suffixes: tuple[str, ...]
    read: Callable[[bytes, str, dict[str, Any]], Extract]


#: Upload formats, tried by file name ending (longest first).
IMPORT_FORMATS: dict[str, Format] = {
    f.key: f
    for f in (
        Format("csv", (".csv", ".txt"), read_csv),
        Format("geojson", (".geojson", ".json"), read_geojson),
        Format("gpkg", (".gpkg",), read_gpkg),
        Format("osm", (".osm.pbf", ".pbf", ".osm"), read_osm_upload),
    )
}


def format_for(filename: str) -> Format:
    """Return the format of ``filename`` from its ending, or raise InvalidParameter listing the accepted ones."""
    lower = filename.lower()
    for fmt in IMPORT_FORMATS.values():
        if lower.endswith(fmt.suffixes):
            return fmt
    endings = ", ".join(s for f in IMPORT_FORMATS.values() for s in f.suffixes)
    raise file_error("unknown_format", f"{filename}: unknown file type; accepted: {endings}")


#: How to bring a country extract under the limit (the District's bounding box, lon/lat, with a margin).
OSM_CLIP_HINT = (
    "clip it to Bamako first, e.g. 'osmium extract --bbox -8.10,12.48,-7.89,12.73 in.osm.pbf -o bamako.osm.pbf'"
)


def check_size(size: int, filename: str, *, max_bytes: int = MAX_BYTES) -> None:
    """Raise ``file_too_large`` when ``size`` bytes are over ``max_bytes`` (check before reading a file)."""
    if size > max_bytes:
        osm = filename.lower().endswith((".pbf", ".osm"))
        raise file_error(
            "file_too_large",
            f"{filename}: {size / 1024 / 1024:.1f} MB, larger than the {max_bytes / 1024 / 1024:.0f} MB accepted; "
            + (OSM_CLIP_HINT if osm else "split the file"),
        )


def parse_upload(
    data: bytes,
    filename: str,
    *,
    quartiers: gpd.GeoDataFrame,
    district: object = None,
    crs: str | None = None,
    layer: str | None = None,
    max_bytes: int = MAX_BYTES,
    max_rows: int = MAX_ROWS,
    target: str = "facilities",
) -> ParsedImport:
    """Read an uploaded file into facility rows and per-row errors; nothing is written.

    Parameters
    ----------
    data
        The file's bytes.
    filename
        Its name; the ending selects the format (:data:`IMPORT_FORMATS`).
    quartiers
        The District's quartiers (EPSG:4326, ``pcode``, ``name``, ``alt_name``,
        ``commune_pcode``): quartier names are matched against them and
        quartier-precision rows placed at their representative point.
    district
        The District outline (GeoDataFrame, GeoSeries or shapely geometry,
        EPSG:4326); default: the union of ``quartiers``. Points must fall in it.
    crs
        CRS to assume when the file declares none, e.g. "EPSG:32629" for a CSV's x/y in UTM metres.
    layer
        GeoPackage layer to read (default: the first point layer).
    max_bytes, max_rows
        Limits; larger files are refused.
    target
        ``"facilities"`` (any format) or ``"roads"``: the ``highway=*`` ways of an
        OpenStreetMap extract as a road layer (:data:`TARGETS`).

    Returns
    -------
    ParsedImport
        Rows in EPSG:4326 for :meth:`geo.planning.edits.EditStore.apply_rows`, per-row errors.

    Raises
    ------
    InvalidParameter
        Parameter ``"file"`` with a ``code`` of :data:`FILE_PROBLEMS`.
    """
    filename = storable_text(_CONTROL.sub("", re.split(r"[\\/]", filename or "")[-1])).strip() or "upload"
    if target not in TARGETS:
        raise InvalidParameter("target", f"unknown import target {target!r}; allowed: {', '.join(TARGETS)}")
    check_size(len(data), filename, max_bytes=max_bytes)
    if not data:
        raise file_error("empty_file", f"{filename}: the file is empty")
    if target == "roads":
        rows, errors, skipped, total = parse_roads(
            data, filename, quartiers=quartiers, district=district, max_rows=max_rows
        )
        return ParsedImport(
            rows=rows, errors=errors, format="osm", source_crs=STORE_CRS, filename=filename, licence=OSM_LICENCE,
            total=total, skipped=skipped, target=target,
        )  # fmt: skip
    fmt = format_for(filename)
    extract = fmt.read(data, filename, {"crs": crs, "layer": layer, "max_rows": max_rows})
    rows, errors, skipped = validate(extract, filename=filename, quartiers=quartiers, district=district)
    log.info("parsed %s import: %d rows, %d errors, skipped %s", fmt.key, len(rows), len(errors), skipped)
    return ParsedImport(
        rows=rows,
        errors=errors,
        format=fmt.key,
        source_crs=extract.source_crs,
        filename=filename,
        encoding=extract.encoding,
        licence=extract.licence,
        total=len(extract.frame),
        skipped=skipped,
        ignored_columns=extract.ignored_columns,
    )
