"""Writers of the single-file formats: GeoJSON, CSV, GeoPackage and KML.

Each writer turns a prepared layer (``prepare``: EPSG:4326, coordinates
rounded) and an ``ExportContext`` into bytes. Writers that need GDAL work in a
temporary folder that is always removed.
"""

from __future__ import annotations

import csv
import io
import json
import re
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from xml.etree import ElementTree

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely

from geo import vocabulary
from geo.publication.exports.prepare import COORDINATE_DECIMALS, json_default, json_records
from geo.store import GPKG_DATASET_OPTIONS
from geo.text import defuse_formula

#: Credit line written into every export (exports are in French).
ATTRIBUTION = vocabulary.ATTRIBUTION.fr
#: Geometry of each store layer, as an OGR type for the formats that need one.
LAYER_GEOMETRY = {
    "communes": "MultiPolygon",
    "quartiers": "MultiPolygon",
    "facilities": "Point",
    "qa_findings": "Point",
}
#: Column used as feature id (GeoJSON ``id``) per layer, when there is one.
ID_COLUMNS = {"communes": "pcode", "quartiers": "pcode", "facilities": "id"}
#: Column shown as the feature name in KML.
NAME_COLUMNS = {"communes": "name", "quartiers": "name", "facilities": "name", "qa_findings": "facility_name"}
_KML_NS = "http://www.opengis.net/kml/2.2"
# Characters XML 1.0 cannot carry (C0 controls but tab/line ends, surrogates, U+FFFE/U+FFFF).
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def xml_safe(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Return ``frame`` with every character XML 1.0 cannot carry in its text replaced by U+FFFD.

    The edit checks refuse such names, but a store written before them (or by
    another tool) may still hold one: the KML must stay well-formed anyway.
    """
    out = frame
    for col in frame.columns:
        if col == frame.geometry.name or not (frame[col].dtype == object or pd.api.types.is_string_dtype(frame[col])):
            continue
        text = frame[col]
        bad = text.map(lambda v: isinstance(v, str) and _NOT_XML.search(v) is not None).to_numpy(dtype=bool)
        if bad.any():
            out = out.copy() if out is frame else out
            out.loc[bad, col] = text[bad].map(lambda v: _NOT_XML.sub("\ufffd", v))
    return out


@dataclass(frozen=True)
class ExportContext:
    """What a writer needs besides the features: names, title and column documentation."""

    layer: str  # the store layer
    name: str  # file stem, e.g. "bamako-cscom-2026-11-29"
    layer_name: str = ""  # layer name inside GPKG/KML, e.g. "cscom" (default: ``layer``)
    title: str = ""
    #: column → (French, English) definition, written to the Shapefile's fields.csv.
    column_docs: Mapping[str, tuple[str, str]] = field(default_factory=dict)


def to_geojson(frame: gpd.GeoDataFrame, ctx: ExportContext) -> bytes:
    """Return an RFC 7946 FeatureCollection: lon/lat WGS84, no ``crs`` member, JSON-safe properties."""
    geometries = shapely.to_geojson(frame.geometry.to_numpy())
    id_column = ID_COLUMNS.get(ctx.layer)
    features = []
    for props, geometry in zip(json_records(frame), geometries, strict=True):
        feature = {"type": "Feature"}
        if id_column and props.get(id_column) is not None:
            feature["id"] = props[id_column]
        feature["geometry"] = json.loads(geometry) if geometry is not None else None
        feature["properties"] = props
        features.append(feature)
    doc = {"type": "FeatureCollection", "name": ctx.name, "attribution": ATTRIBUTION, "features": features}
    return json.dumps(doc, ensure_ascii=False, allow_nan=False, default=json_default, separators=(",", ":")).encode()


def csv_frame(frame: gpd.GeoDataFrame, layer: str) -> pd.DataFrame:
    """Return the table written to CSV: attributes, ``lon``/``lat``, and ``wkt`` for polygon layers.

    Points give their own lon/lat; polygons give a representative point (always
    inside the polygon) plus the polygon as WKT. Text cells are formula-safe.
    """
    table = pd.DataFrame(frame.drop(columns=frame.geometry.name))
    for col in table.columns:
        if table[col].dtype == object or pd.api.types.is_string_dtype(table[col]):
            table[col] = defuse_formula(table[col].astype(object))
    geoms = frame.geometry.to_numpy()
    points = geoms if LAYER_GEOMETRY[layer] == "Point" else shapely.point_on_surface(geoms)
    empty = shapely.is_missing(points) | shapely.is_empty(points)
    table["lon"] = np.where(empty, np.nan, np.round(shapely.get_x(points), COORDINATE_DECIMALS))
    table["lat"] = np.where(empty, np.nan, np.round(shapely.get_y(points), COORDINATE_DECIMALS))
    if LAYER_GEOMETRY[layer] != "Point":
        table["wkt"] = shapely.to_wkt(geoms, rounding_precision=COORDINATE_DECIMALS, trim=True)
    return table


def to_csv(frame: gpd.GeoDataFrame, ctx: ExportContext) -> bytes:
    """Return UTF-8 CSV with a byte-order mark (so spreadsheets detect UTF-8), CRLF line ends."""
    buffer = io.StringIO()
    csv_frame(frame, ctx.layer).to_csv(buffer, index=False, lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)
    return buffer.getvalue().encode("utf-8-sig")


def write_with_gdal(frame: gpd.GeoDataFrame, path: Path, *, layer: str, name: str, driver: str, **options) -> None:
    """Write ``frame`` as layer ``name`` of ``path`` with the OGR ``driver``, typed as store layer ``layer``."""
    geometry_type = LAYER_GEOMETRY[layer]
    pyogrio.write_dataframe(
        frame,
        path,
        layer=name,
        driver=driver,
        geometry_type=geometry_type,
        promote_to_multi=geometry_type.startswith("Multi"),
        **options,
    )


def to_gpkg_layers(frames: Mapping[str, tuple[gpd.GeoDataFrame, ExportContext]]) -> bytes:
    """Return one GeoPackage holding every ``(frame, context)`` as a layer named after its key."""
    with tempfile.TemporaryDirectory(prefix="bamako-export-") as tmp:
        path = Path(tmp) / "export.gpkg"
        for name, (frame, ctx) in frames.items():
            description = f"{ctx.title} — {ATTRIBUTION}" if ctx.title else ATTRIBUTION
            write_with_gdal(
                frame,
                path,
                layer=ctx.layer,
                name=name,
                driver="GPKG",
                append=path.exists(),
                dataset_options=None if path.exists() else GPKG_DATASET_OPTIONS,  # GeoPackage 1.2: QGIS 3.22 reads it
                layer_options={"DESCRIPTION": description},
            )
        return path.read_bytes()


def to_gpkg(frame: gpd.GeoDataFrame, ctx: ExportContext) -> bytes:
    """Return a one-layer GeoPackage; the layer is named after the selection (e.g. ``cscom``)."""
    return to_gpkg_layers({ctx.layer_name or ctx.layer: (frame, ctx)})


def _int32(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Return ``frame`` with 64-bit integer columns as 32-bit ones: GDAL's KML driver types only those ``int``."""
    wide = [c for c in frame.columns if str(frame[c].dtype) in ("Int64", "int64")]
    return frame.astype(dict.fromkeys(wide, "Int32")) if wide else frame


def to_kml(frame: gpd.GeoDataFrame, ctx: ExportContext) -> bytes:
    """Return KML written by GDAL's KML driver, with the attribution as document description.

    GDAL escapes names and attributes; the document name and description are
    added with ElementTree, so no text is ever pasted into markup. Characters
    XML 1.0 cannot carry are replaced first (:func:`xml_safe`).
    """
    with tempfile.TemporaryDirectory(prefix="bamako-export-") as tmp:
        path = Path(tmp) / "export.kml"
        write_with_gdal(
            _int32(xml_safe(frame)),
            path,
            layer=ctx.layer,
            name=ctx.layer_name or ctx.layer,
            driver="KML",
            dataset_options={"NameField": NAME_COLUMNS[ctx.layer]},
        )
        ElementTree.register_namespace("", _KML_NS)
        tree = ElementTree.parse(path)
    booleans = {c for c in frame.columns if c != frame.geometry.name and pd.api.types.is_bool_dtype(frame[c])}
    for simple in tree.getroot().iter(f"{{{_KML_NS}}}SimpleField"):
        if simple.get("name") in booleans:  # GDAL declares them int; KML has xsd:boolean (values 1/0)
            simple.set("type", "bool")
    document = tree.getroot().find(f"{{{_KML_NS}}}Document")
    for position, (tag, text) in enumerate((("name", ctx.title or ctx.name), ("description", ATTRIBUTION))):
        element = ElementTree.Element(f"{{{_KML_NS}}}{tag}")
        element.text = text
        document.insert(position, element)
    buffer = io.BytesIO()
    tree.write(buffer, encoding="utf-8", xml_declaration=True)
    return buffer.getvalue()
