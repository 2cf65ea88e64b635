"""Imports of facilities from files: upload → preview → commit (all rows or none).

Formats: CSV, GeoJSON, GeoPackage and OpenStreetMap extracts (``.osm``,
``.osm.pbf``). :func:`parse_upload` reads and checks a file,
:func:`preview` sets probable duplicates of existing facilities apart,
:func:`save_preview` keeps the preview in the ``imports`` table of the edits
database, and :func:`commit` creates the facilities through
:meth:`geo.planning.edits.EditStore.apply_rows` in one transaction. Only the
uploader (``ImportRecord.user``) or an admin may commit or discard an import
(:func:`check_owner`). :func:`parse_and_preview` reads and previews in a child
process under a time and memory budget (settings ``IMPORT_SECONDS``,
``IMPORT_MEMORY_MB``); the web app and the command line use it. With
``target="roads"`` the ``highway=*`` ways of an OpenStreetMap extract become
the road layer travel time follows (:mod:`geo.planning.imports.roads`,
:func:`current_road_layer`).
"""

from geo.planning.imports.budget import Budget, ImportReaderError, parse_and_preview
from geo.planning.imports.osm import OSM_LICENCE, TAG_RULES, kind_for_tags
from geo.planning.imports.parse import (
    FILE_PROBLEMS,
    IMPORT_FORMATS,
    MAX_BYTES,
    MAX_ROWS,
    ParsedImport,
    check_size,
    format_for,
    parse_upload,
)
from geo.planning.imports.preview import COMPATIBLE_KINDS, Preview, preview
from geo.planning.imports.roads import TARGETS, current_road_layer, road_layer_info, road_layer_version
from geo.planning.imports.store import (
    ImportRecord,
    check_owner,
    commit,
    discard,
    list_imports,
    load_import,
    save_preview,
)
from geo.planning.imports.validate import ROW_PROBLEMS, RowError

__all__ = [
    "COMPATIBLE_KINDS",
    "FILE_PROBLEMS",
    "IMPORT_FORMATS",
    "MAX_BYTES",
    "MAX_ROWS",
    "OSM_LICENCE",
    "ROW_PROBLEMS",
    "TAG_RULES",
    "TARGETS",
    "Budget",
    "ImportReaderError",
    "ImportRecord",
    "ParsedImport",
    "Preview",
    "RowError",
    "check_owner",
    "check_size",
    "commit",
    "current_road_layer",
    "discard",
    "format_for",
    "kind_for_tags",
    "list_imports",
    "load_import",
    "parse_and_preview",
    "parse_upload",
    "preview",
    "road_layer_info",
    "road_layer_version",
    "save_preview",
]
