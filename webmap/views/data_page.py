"""The « Données » page (``/donnees``): every layer, its formats and filters, the package, the OGC API.

Built from the same layer list as ``/api/v1/layers`` (:func:`webmap.views.api.layers_doc`);
the selection form works without JavaScript: it sends its fields to ``/donnees/export``,
which checks them and redirects to the download URL of the API.
"""

from __future__ import annotations

from flask import Blueprint, Response, redirect, render_template, request, url_for
from flask_babel import lazy_gettext as _l

from geo.errors import InvalidParameter
from geo.pipeline.sources import registry
from geo.publication import exports, package
from geo.vocabulary import ATTRIBUTION, KINDS
from webmap.clientconfig.map import kind_label, language, source_label
from webmap.pagecache import cached_html
from webmap.snapshot import snapshot
from webmap.views.api import layers_doc

bp = Blueprint("data_page", __name__)

#: How each export format is named on the pages (a format missing here is shown by its key).
FORMAT_LABELS = {
    "geojson": _l("GeoJSON"),
    "gpkg": _l("GeoPackage"),
    "csv": _l("CSV"),
    "fr.csv": _l("CSV Excel (fr)"),
    "kml": _l("KML"),
    "shp.zip": _l("Shapefile (zip)"),
}
#: Formats offered for a commune's or a quartier's facilities on the unit pages.
UNIT_FORMATS = ("geojson", "gpkg", "csv", "fr.csv", "kml")
#: Largest GDAL version whose OGC API driver asks for small pages unless told ``-oo PAGE_SIZE``.
GDAL_PAGE_SIZE = 1000


def format_label(key: str) -> str:
    """Return the name of an export format as the pages show it."""
    label = FORMAT_LABELS.get(key)
    return str(label) if label is not None else key


def unit_downloads(level: str, pcode: str) -> list[dict[str, str]]:
    """Return the download links of a commune's or quartier's facilities: ``[{format, label, url}]``."""
    param = {"communes": "commune", "quartiers": "quartier"}[level]
    return [
        {"format": fmt, "label": format_label(fmt), "url": url_for("api.layer_file", name=f"facilities.{fmt}", **{param: pcode})}
        for fmt in UNIT_FORMATS
    ]  # fmt: skip


def _units() -> tuple[list[dict], list[dict]]:
    layers = snapshot().atlas.layers
    communes = layers["communes"].sort_values("pcode")
    quartiers = layers["quartiers"].sort_values(["commune_name", "name"])
    return (
        [{"pcode": p, "name": n} for p, n in zip(communes["pcode"], communes["name"], strict=True)],
        [{"pcode": p, "name": n, "commune": c}
         for p, n, c in zip(quartiers["pcode"], quartiers["name"], quartiers["commune_name"], strict=True)],
    )  # fmt: skip


def _context() -> dict:
    lang = language()
    doc = layers_doc(lang)
    communes, quartiers = _units()
    ogcapi = url_for("ogcapi.landing", _external=True).rstrip("/")
    return {
        "doc": doc,
        "formats": [{"key": k, "label": format_label(k)} for k in exports.EXPORT_FORMATS],
        "kinds": [{"key": k, "label": kind_label(k)} for k in KINDS],
        "communes": communes,
        "quartiers": quartiers,
        "scopes": exports.SCOPES,
        "ogcapi": ogcapi,
        "page_size": GDAL_PAGE_SIZE,
        "attribution": ATTRIBUTION(lang),
        "licence_text": package.T["licence_text"](lang),
        "sources": [
            {"key": key, "credit": source_label(key), "licence": source.licence} for key, source in registry().items()
        ],
        "packages": doc["package"],
        "coverage_csv": url_for("coverage.coverage_file", fmt="csv"),
        "coverage_csv_fr": url_for("coverage.coverage_file", fmt="fr.csv"),
    }


@bp.get("/donnees")
def page() -> Response:
    """Every layer with its count, formats, filters, licence and credit; the package; the OGC API."""
    return cached_html(("data.html", language(), request.host_url, request.script_root),
                       lambda: render_template("data.html", **_context()))  # fmt: skip


@bp.get("/donnees/export")
def export() -> Response:
    """Redirect the page's selection form to the API download URL of that selection (empty fields dropped)."""
    args = request.args
    layer, fmt = args.get("layer", "facilities"), args.get("format", "geojson")
    exports.format_or_raise(fmt)
    allowed = {"layer", "format", *exports.PARAMETERS}
    unknown = sorted(set(args) - allowed - {"lang"})
    if unknown:
        raise InvalidParameter(unknown[0], f"unknown parameter; allowed: {', '.join(sorted(allowed))}")
    filters = {k: ",".join(v for v in args.getlist(k) if v) for k in exports.PARAMETERS if k in args}
    filters = {k: v for k, v in filters.items() if v}
    if layer in KINDS and "kind" in filters:  # a kind layer is its own kind filter
        filters.pop("kind")
    if layer not in ("facilities", *KINDS):
        filters.pop("scope", None)
    # parse here, so a bad selection is named on a page rather than after the redirect
    exports.parse_request(
        layer,
        units=snapshot().memo("api:units", lambda: exports.unit_pcodes(snapshot().atlas.layers)),
        kind=filters.get("kind"),
        commune=filters.get("commune"),
        quartier=filters.get("quartier"),
        bbox=filters.get("bbox"),
        scope=filters.get("scope"),
    )
    return redirect(url_for("api.layer_file", name=f"{layer}.{fmt}", **filters), code=303)
