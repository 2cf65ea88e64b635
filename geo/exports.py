"""Export atlas layers for partners: GeoJSON, GeoPackage, CSV, KML and zipped Shapefile.

Formats come from a registry (``FORMATS``). Each writer turns a prepared layer
(EPSG:4326, coordinates rounded to ``COORDINATE_DECIMALS``) into bytes; writers
that need GDAL work in a temporary folder that is always removed. Nothing here
knows about HTTP: the web API and the CLI call the same functions.
"""

from __future__ import annotations

import csv
import io
import json
import logging
import os
import tempfile
import zipfile
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from xml.etree import ElementTree

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely

from geo.errors import InvalidParameter, LayerNotFound
from geo.model import KINDS, LAYERS, STORE_CRS
from geo.query import UNIT_COLUMNS, parse_bbox, select
from geo.store import Atlas

log = logging.getLogger(__name__)

#: Credit line carried by every export and map.
ATTRIBUTION = "Limites : OCHA COD-AB ; équipements : OSM Mali / HOT Open Cities Bamako (2021), DNACPN"
#: Decimals kept in exported coordinates (degrees; 1e-6° ≈ 0.11 m at Bamako).
COORDINATE_DECIMALS = 6
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
#: Characters that make a spreadsheet read a cell as a formula (OWASP CSV injection).
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
#: Longest text a Shapefile (dBase) field can hold; longer values are cut by GDAL.
DBF_TEXT_LIMIT = 254
_KML_NS = "http://www.opengis.net/kml/2.2"


@dataclass(frozen=True)
class ExportRequest:
    """Which features of which layer to export (validated; see ``parse_request``).

    ``alias`` is the facility kind used as a layer name (``cscom`` for
    ``facilities?kind=cscom``); ``kinds`` are in ``KINDS`` order; P-codes are
    upper case; ``bbox`` is (minlon, minlat, maxlon, maxlat) in WGS84 degrees.
    """

    layer: str
    kinds: tuple[str, ...] = ()
    commune: str | None = None
    quartier: str | None = None
    bbox: tuple[float, float, float, float] | None = None
    alias: str | None = None

    @property
    def label(self) -> str:
        """Return the name of the selection: the kind for one-kind facilities, else the layer."""
        if self.alias:
            return self.alias
        if self.layer == "facilities" and len(self.kinds) == 1:
            return self.kinds[0]
        return self.layer

    def key(self) -> str:
        """Return a string identifying the selection (a cache key)."""
        bbox = ",".join(repr(v) for v in self.bbox) if self.bbox else ""
        return f"{self.layer}|{','.join(self.kinds)}|{self.commune or ''}|{self.quartier or ''}|{bbox}"

    def stem(self, built_on: str) -> str:
        """Return the file name without extension, e.g. ``bamako-quartiers-commune-ml090105-2026-11-29``."""
        parts = ["bamako", self.label]
        if self.layer != "facilities" or len(self.kinds) != 1:
            parts += list(self.kinds)
        for word, value in (("commune", self.commune), ("quartier", self.quartier)):
            if value:
                parts += [word, value.lower()]
        if self.bbox:
            parts.append("bbox")
        parts.append(built_on)
        return "-".join(parts).replace("_", "-")


@dataclass(frozen=True)
class ExportContext:
    """What a writer needs besides the features: names, title and column documentation."""

    layer: str  # the store layer
    name: str  # file stem, e.g. "bamako-cscom-2026-11-29"
    layer_name: str = ""  # layer name inside GPKG/KML, e.g. "cscom" (default: ``layer``)
    title: str = ""
    #: column → (French, English) definition, written to the Shapefile's fields.csv.
    column_docs: Mapping[str, tuple[str, str]] = field(default_factory=dict)


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


# --------------------------------------------------------------------------- requests


def unit_pcodes(layers: Mapping[str, gpd.GeoDataFrame]) -> dict[str, frozenset[str]]:
    """Return the known P-codes by filter parameter: ``{"commune": …, "quartier": …}``."""
    return {
        "commune": frozenset(layers["communes"]["pcode"].astype(str)),
        "quartier": frozenset(layers["quartiers"]["pcode"].astype(str)),
    }


def _split_kinds(text: str | Collection[str] | None) -> list[str]:
    if text is None:
        return []
    items = text.split(",") if isinstance(text, str) else [p for t in text for p in t.split(",")]
    return [p.strip() for p in items if p.strip()]


def parse_request(
    name: str,
    *,
    units: Mapping[str, Collection[str]],
    kind: str | Collection[str] | None = None,
    commune: str | None = None,
    quartier: str | None = None,
    bbox: str | None = None,
) -> ExportRequest:
    """Validate a layer name and filters and return the export request.

    Parameters
    ----------
    name
        A store layer (``communes``, ``quartiers``, ``facilities``,
        ``qa_findings``) or a facility kind as a shortcut (``cscom``).
    units
        Known P-codes by parameter, from ``unit_pcodes``.
    kind
        Facility kinds, comma-separated or a list of comma-separated strings.
    commune, quartier
        A P-code (case-insensitive).
    bbox
        ``"minlon,minlat,maxlon,maxlat"`` in WGS84 degrees.

    Raises
    ------
    LayerNotFound
        Unknown layer, kind or P-code (the message lists the allowed values).
    InvalidParameter
        Malformed bbox, or a filter the layer does not support.
    """
    alias = None
    if name in KINDS:
        layer, alias = "facilities", name
    elif name in LAYERS:
        layer = name
    else:
        raise LayerNotFound(f"unknown layer {name!r}; available: {', '.join(LAYERS + tuple(KINDS))}")
    asked = _split_kinds(kind)
    unknown = [k for k in asked if k not in KINDS]
    if unknown:
        raise LayerNotFound(f"unknown kind {unknown[0]!r}; available: {', '.join(KINDS)}")
    if asked and layer in ("communes", "quartiers"):
        raise InvalidParameter("kind", f"layer {layer!r} has no facility kinds; use it without kind=")
    if alias:
        if asked and set(asked) != {alias}:
            raise InvalidParameter(
                "kind", f"layer {alias!r} already selects kind {alias!r}; use facilities?kind=… to combine kinds"
            )
        asked = [alias]
    kinds = tuple(k for k in KINDS if k in set(asked))
    pcodes: dict[str, str | None] = {}
    for parameter, value in (("commune", commune), ("quartier", quartier)):
        pcodes[parameter] = None
        if value is None or not value.strip():
            continue
        code = value.strip().upper()
        if (layer, parameter) not in UNIT_COLUMNS:
            raise InvalidParameter(parameter, f"layer {name!r} cannot be filtered by {parameter}")
        if code not in units[parameter]:
            allowed = ", ".join(sorted(units[parameter]))
            raise LayerNotFound(f"unknown {parameter} P-code {value!r}; available: {allowed}")
        pcodes[parameter] = code
    return ExportRequest(layer, kinds, pcodes["commune"], pcodes["quartier"], parse_bbox(bbox), alias)


def format_or_raise(key: str) -> ExportFormat:
    """Return the export format ``key`` or raise LayerNotFound listing the formats."""
    try:
        return FORMATS[key]
    except KeyError:
        raise LayerNotFound(f"unknown format {key!r}; available: {', '.join(FORMATS)}") from None


def build_date(meta: Mapping[str, object]) -> str:
    """Return the store's build date as ``YYYY-MM-DD`` (``undated`` when unknown)."""
    text = str(meta.get("built_at") or "")[:10]
    try:
        return date.fromisoformat(text).isoformat()
    except ValueError:
        return "undated"


# --------------------------------------------------------------------------- preparation


def prepare(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Return a copy in EPSG:4326 with coordinates rounded and RFC 7946 ring orientation.

    Exterior rings are counter-clockwise, holes clockwise. Rows without
    geometry are kept (their geometry stays empty).
    """
    out = frame.to_crs(STORE_CRS) if frame.crs is not None and frame.crs != STORE_CRS else frame.copy()
    geoms = shapely.transform(out.geometry.to_numpy(), lambda xy: np.round(xy, COORDINATE_DECIMALS))
    out = out.set_geometry(gpd.GeoSeries(shapely.orient_polygons(geoms), index=out.index, crs=STORE_CRS))
    return out.reset_index(drop=True)


def json_records(frame: pd.DataFrame) -> list[dict]:
    """Return the non-geometry columns as JSON-safe dicts: NaN/NaT/inf → None, numpy → Python."""
    props = pd.DataFrame(frame.drop(columns=frame.geometry.name) if isinstance(frame, gpd.GeoDataFrame) else frame)
    props = props.replace([np.inf, -np.inf], np.nan)
    return props.astype(object).where(props.notna(), None).to_dict("records")


def _json_default(value):
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, pd.Timestamp):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


# --------------------------------------------------------------------------- writers


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
    return json.dumps(doc, ensure_ascii=False, allow_nan=False, default=_json_default, separators=(",", ":")).encode()


def defuse_formula(values: pd.Series) -> pd.Series:
    """Prefix ``'`` to text cells a spreadsheet would run as a formula (= + - @ tab CR)."""
    is_text = values.map(lambda v: isinstance(v, str))
    risky = is_text & values.where(is_text, "").astype(str).str.startswith(FORMULA_PREFIXES)
    return values.where(~risky, "'" + values.where(risky, "").astype(str))


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


def _write_with_gdal(frame: gpd.GeoDataFrame, path: Path, *, layer: str, name: str, driver: str, **options) -> None:
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
            _write_with_gdal(
                frame,
                path,
                layer=ctx.layer,
                name=name,
                driver="GPKG",
                append=path.exists(),
                layer_options={"DESCRIPTION": description},
            )
        return path.read_bytes()


def to_gpkg(frame: gpd.GeoDataFrame, ctx: ExportContext) -> bytes:
    """Return a one-layer GeoPackage; the layer is named after the selection (e.g. ``cscom``)."""
    return to_gpkg_layers({ctx.layer_name or ctx.layer: (frame, ctx)})


def to_kml(frame: gpd.GeoDataFrame, ctx: ExportContext) -> bytes:
    """Return KML written by GDAL's KML driver, with the attribution as document description.

    GDAL escapes names and attributes; the document name and description are
    added with ElementTree, so no text is ever pasted into markup.
    """
    with tempfile.TemporaryDirectory(prefix="bamako-export-") as tmp:
        path = Path(tmp) / "export.kml"
        _write_with_gdal(
            frame,
            path,
            layer=ctx.layer,
            name=ctx.layer_name or ctx.layer,
            driver="KML",
            dataset_options={"NameField": NAME_COLUMNS[ctx.layer]},
        )
        ElementTree.register_namespace("", _KML_NS)
        tree = ElementTree.parse(path)
    document = tree.getroot().find(f"{{{_KML_NS}}}Document")
    for position, (tag, text) in enumerate((("name", ctx.title or ctx.name), ("description", ATTRIBUTION))):
        element = ElementTree.Element(f"{{{_KML_NS}}}{tag}")
        element.text = text
        document.insert(position, element)
    buffer = io.BytesIO()
    tree.write(buffer, encoding="utf-8", xml_declaration=True)
    return buffer.getvalue()


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
        _write_with_gdal(
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


def zip_bytes(
    members: Mapping[str, bytes], *, date_time: tuple[int, int, int, int, int, int] = (2000, 1, 1, 0, 0, 0)
) -> bytes:
    """Return a deflated zip of ``{name: bytes}`` with fixed timestamps (same input, same bytes)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            info = zipfile.ZipInfo(name, date_time=date_time)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            archive.writestr(info, data)
    return buffer.getvalue()


#: Export formats by key (the URL suffix and the CLI ``--format`` value).
FORMATS: dict[str, ExportFormat] = {
    f.key: f
    for f in (
        ExportFormat("geojson", ".geojson", "application/geo+json", True, to_geojson),
        ExportFormat("gpkg", ".gpkg", "application/geopackage+sqlite3", False, to_gpkg),
        ExportFormat("csv", ".csv", "text/csv; charset=utf-8", True, to_csv),
        ExportFormat("kml", ".kml", "application/vnd.google-earth.kml+xml", True, to_kml),
        ExportFormat("shp.zip", ".shp.zip", "application/zip", False, to_shp_zip),
    )
}


# --------------------------------------------------------------------------- entry points


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
        A key of ``FORMATS``.
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
    stem = request.stem(build_date(atlas.meta))
    ctx = ExportContext(
        layer=request.layer, name=stem, layer_name=request.label, title=title, column_docs=dict(column_docs or {})
    )
    data = spec.write(prepare(frame), ctx)
    log.info("exported %s: %d features, %d bytes", stem + spec.extension, len(frame), len(data))
    return Export(
        data=data, filename=stem + spec.extension, media_type=spec.media_type, count=len(frame), text=spec.text
    )


def write_atomic(path: Path, data: bytes) -> Path:
    """Write ``data`` to ``path`` through a temporary file in the same folder, renamed when complete.

    Raises
    ------
    InvalidParameter
        The folder of ``path`` does not exist or ``path`` is a folder.
    """
    path = Path(path)
    if not path.parent.is_dir():
        raise InvalidParameter("output", f"folder {str(path.parent)!r} does not exist")
    if path.is_dir():
        raise InvalidParameter("output", f"{str(path)!r} is a folder; give a file name")
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}-", suffix=".part", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp_name, 0o644)
        os.replace(tmp_name, path)
    except BaseException:
        Path(tmp_name).unlink(missing_ok=True)
        raise
    return path
