"""Folium maps of the atlas for analysts in notebooks and slide decks (no Flask needed).

>>> from webmap.notebook import folium_map
>>> m = folium_map(layers=("cscom", "claec"), indicator="per10k", kind="cscom")
>>> m                     # shown inline in Jupyter; m.save("carte.html") writes a page

Without ``atlas`` the store of ``BAMAKO_ATLAS_HOME`` is opened (build it first
with ``bamako-atlas data build``); pass an ``Atlas`` (``geo.store.open_store``)
or a dict of layers to map something else. The map has the web map's symbols,
palette, classes, labels and attribution: quartiers coloured by an indicator,
commune outlines, one layer per facility group (tooltips only, names set as
text), a legend and a layer switch.

The web pages do not use this: their map is drawn by webmap/static/atlas.js from
the compact payload of ``geo.publication.mapdata.map_payload`` (a tenth of the
bytes). Folium's default page pulls jQuery, Bootstrap and Font Awesome from
CDNs; this map needs only Leaflet, and ``leaflet_js``/``leaflet_css`` point it at
local copies (e.g. the app's ``/vendor/leaflet/…``) to work offline.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import folium
import geopandas as gpd
from jinja2 import Environment
from markupsafe import escape

from geo.analysis import map_indicators as indicators
from geo.errors import InvalidParameter
from geo.publication import mapdata as display
from geo.publication import symbols as styles
from geo.publication.exports import ATTRIBUTION
from geo.publication.viewstate import DEFAULT_LAYERS, DEFAULT_ZOOM, FACILITY_LAYERS, parse_view
from geo.store import Atlas, open_store, store_path
from geo.vocabulary import KINDS, MAP_LAYERS, STORE_CRS
from webmap.clientconfig.map import DEFAULT_KIND_LAYER

_LEGEND = Environment(autoescape=True).from_string(
    """<div class="atlas-legend" style="position:absolute;z-index:1000;bottom:24px;left:10px;background:#fff;
padding:6px 10px;border:1px solid #888;border-radius:4px;font:12px system-ui,sans-serif;max-width:260px">
<strong>{{ title }}</strong>
{% for colour, text in classes %}<div><span style="display:inline-block;width:18px;height:11px;background:{{ colour }};
border:1px solid #666;margin-right:6px"></span>{{ text }}</div>{% endfor %}
{% for colour, text in layers %}<div><span style="display:inline-block;width:10px;height:10px;border-radius:50%;
background:{{ colour }};border:1px solid #222;margin-right:6px"></span>{{ text }}</div>{% endfor %}
<div style="color:#555;margin-top:4px">{{ note }}</div></div>"""
)

#: Tiles of a notebook map (a notebook runs online; the web pages default to the atlas's own basemap).
NOTEBOOK_BASEMAP = "positron"


def _class_labels(bins: tuple[float, ...], decimals: int) -> list[str]:
    fmt = f"{{:,.{decimals}f}}"
    out, low = [], None
    for upper in bins:
        text = fmt.format(upper).replace(",", "\u202f")
        out.append(f"≤ {text}" if low is None else f"{low} – {text}")
        low = text
    return out


def folium_map(
    atlas: Atlas | Mapping[str, gpd.GeoDataFrame] | str | Path | None = None,
    *,
    layers: Sequence[str] = DEFAULT_LAYERS,
    indicator: str = "density",
    kind: str | None = None,
    basemap: str = NOTEBOOK_BASEMAP,
    center: tuple[float, float] | None = None,
    zoom: int | None = None,
    title: str | None = None,
    note: str = "",
    leaflet_js: str | None = None,
    leaflet_css: str | None = None,
    tolerance_m: float = display.DEFAULT_TOLERANCE_M,
) -> folium.Map:
    """Return a folium map of the atlas: quartier choropleth, commune outlines, facility layers.

    Parameters
    ----------
    atlas
        The store (an ``Atlas``, its path, or a dict with the ``quartiers`` and
        ``facilities`` layers); None opens the store under ``BAMAKO_ATLAS_HOME``.
    layers
        Facility layers to draw (keys of ``FACILITY_LAYERS``: ``cscom``, ``claec``, ``sports``…).
    indicator
        Choropleth indicator (``density``, ``population``, ``per10k``, ``count``, ``cover1km``…).
    kind
        Facility layer counted by a per-facility indicator (``per10k``, ``cover2km``…; default ``cscom``).
    basemap
        ``osm``, ``positron``, ``esri`` (online tiles) or ``none``.
    center, zoom
        Map centre as (lon, lat) in degrees and zoom level (8–19); default: fit the District.
    leaflet_js, leaflet_css
        URLs of Leaflet; when given, the map loads nothing else (no jQuery,
        Bootstrap or icon fonts), so it works offline behind the app.

    Raises
    ------
    InvalidParameter
        An unknown layer, indicator, kind or basemap, or a centre or zoom out of range.
    """
    args = {"layers": ",".join(layers), "indicator": indicator, "basemap": basemap}
    if center is not None:
        args["center"] = ",".join(str(v) for v in center)
    if zoom is not None:
        args["zoom"] = str(zoom)
    view = parse_view(args, indicators=tuple(indicators.INDICATORS))
    kinds: tuple[str, ...] = ()
    if indicators.INDICATORS[view.indicator].needs_kinds:
        kind = kind or DEFAULT_KIND_LAYER
        if not FACILITY_LAYERS.get(kind):
            allowed = ", ".join(k for k, v in FACILITY_LAYERS.items() if v)
            raise InvalidParameter("kind", f"unknown facility layer {kind!r}; allowed: {allowed}")
        kinds = FACILITY_LAYERS[kind]
    frames = _layers(atlas)
    layer_labels = {k: layer.title.fr for k, layer in MAP_LAYERS.items()}
    quartiers = display.simplify_coverage(frames["quartiers"], tolerance_m=tolerance_m)
    indicator = indicators.indicator_or_raise(view.indicator)
    values = indicators.compute(view.indicator, quartiers, frames["facilities"], kinds=kinds)
    classes = display.classify(values.to_numpy())
    n = len(classes.bins)
    palette = [styles.PALETTE[round(i * (len(styles.PALETTE) - 1) / max(n - 1, 1))] for i in range(n)]

    location = [view.center[1], view.center[0]] if view.center else None  # folium wants lat, lon
    fmap = folium.Map(location=location, zoom_start=view.zoom or DEFAULT_ZOOM, tiles=None,
                      control_scale=True, prefer_canvas=True)  # fmt: skip
    if leaflet_js:
        fmap.default_js = [("leaflet", leaflet_js)]
    if leaflet_css:
        fmap.default_css = [("leaflet_css", leaflet_css)]
    basemap = styles.BASEMAPS.get(view.basemap)
    if basemap and basemap.url:
        folium.TileLayer(basemap.url, attr=basemap.attribution, name=basemap.key, max_zoom=basemap.max_zoom,
                         subdomains=basemap.subdomains).add_to(fmap)  # fmt: skip
    else:
        fmap.get_root().header.add_child(folium.Element(f"<style>.folium-map{{background:{styles.WATER}}}</style>"))

    shown = gpd.GeoDataFrame(
        {
            "name": [str(escape(v)) for v in quartiers["name"]],
            "commune": [str(escape(v)) for v in quartiers["commune_name"]],
            "colour": [palette[c] if c >= 0 else styles.NO_DATA for c in classes.classes],
        },
        geometry=quartiers.geometry.values,
        crs=quartiers.crs,
    )
    folium.GeoJson(
        shown,
        name=indicator.label.fr,
        style_function=lambda f: {
            "fillColor": f["properties"]["colour"],
            "color": styles.OUTLINE["quartier"],
            "weight": 0.8,
            "fillOpacity": 0.78,
        },  # fmt: skip
        tooltip=folium.GeoJsonTooltip(fields=["name", "commune"], labels=False),
    ).add_to(fmap)
    communes = display.dissolve_coverage(quartiers, "commune_pcode")
    folium.GeoJson(communes[["geometry"]], name="Communes", control=False,
                   style_function=lambda f: {"fill": False, "color": styles.OUTLINE["commune"], "weight": 2.6}).add_to(fmap)  # fmt: skip

    fac = indicators.analysed(frames["facilities"])
    fac = fac[~(fac.geometry.isna() | fac.geometry.is_empty).to_numpy()]
    for key in view.layers:
        layer_kinds = FACILITY_LAYERS.get(key, ())
        rows = fac[fac["kind"].isin(layer_kinds).to_numpy()]
        if rows.empty:
            continue
        symbol = styles.SYMBOLS[key]
        points = gpd.GeoDataFrame(
            {"label": [f"{escape(n or '')} — {escape(KINDS[k].label_fr)}" for n, k in zip(rows["name"], rows["kind"], strict=True)]},
            geometry=rows.geometry.values,
            crs=rows.crs,
        )  # fmt: skip
        folium.GeoJson(
            points,
            name=str(escape(layer_labels.get(key, key))),
            marker=folium.CircleMarker(
                radius=max(symbol.size / 3, 3),
                weight=1,
                color="#1a1a1a",
                fill=True,
                fill_color=symbol.color,
                fill_opacity=0.95,
            ),  # fmt: skip
            tooltip=folium.GeoJsonTooltip(fields=["label"], labels=False),
        ).add_to(fmap)

    legend = _LEGEND.render(
        title=title or f"{indicator.label.fr} ({indicator.unit.fr})",
        classes=list(zip(palette, _class_labels(classes.bins, indicator.decimals), strict=True)),
        layers=[(styles.SYMBOLS[k].color, layer_labels.get(k, k)) for k in view.layers if FACILITY_LAYERS.get(k)],
        note=" ".join(x for x in (note, ATTRIBUTION) if x),
    )
    fmap.get_root().html.add_child(folium.Element(legend))
    folium.LayerControl(collapsed=True).add_to(fmap)
    if not view.center:
        x0, y0, x1, y1 = quartiers.total_bounds
        fmap.fit_bounds([[y0, x0], [y1, x1]])
    return fmap


def _layers(atlas: Atlas | Mapping[str, gpd.GeoDataFrame] | str | Path | None) -> Mapping[str, gpd.GeoDataFrame]:
    """Return the layers to map, in EPSG:4326 (opening the store when given a path or nothing)."""
    if atlas is None or isinstance(atlas, (str, Path)):
        atlas = open_store(Path(atlas) if atlas is not None else store_path())
    layers = atlas.layers if isinstance(atlas, Atlas) else atlas
    return {name: frame.to_crs(STORE_CRS) if frame.crs and frame.crs != STORE_CRS else frame
            for name, frame in layers.items()}  # fmt: skip
