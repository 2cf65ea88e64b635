"""Folium maps of the atlas for notebooks and presentations (no Flask).

The web pages do not use these: their map is drawn by webmap/static/atlas.js
from the compact payload of ``geo.publication.mapdata.map_payload`` (a tenth of the bytes,
names set as text, view state in the URL). A folium map is handy in a
notebook or a slide deck; it is built here with the same symbols, palette and
classes. Folium's default page pulls jQuery, Bootstrap and Font Awesome from
CDNs and builds popups with jQuery: ``folium_map`` uses tooltips only, so
Leaflet is the one library it needs, and ``leaflet_js``/``leaflet_css`` let
a caller point it at local copies (e.g. the app's ``/vendor/leaflet/…``).
"""

from __future__ import annotations

from collections.abc import Mapping

import folium
import geopandas as gpd
from jinja2 import Environment
from markupsafe import escape

from geo.analysis import map_indicators as indicators
from geo.publication import mapdata as display
from geo.publication import symbols as styles
from geo.publication.viewstate import DEFAULT_ZOOM, FACILITY_LAYERS, ViewState
from geo.vocabulary import ATTRIBUTION, KINDS

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


def _class_labels(bins: tuple[float, ...], decimals: int) -> list[str]:
    fmt = f"{{:,.{decimals}f}}"
    out, low = [], None
    for upper in bins:
        text = fmt.format(upper).replace(",", "\u202f")
        out.append(f"≤ {text}" if low is None else f"{low} – {text}")
        low = text
    return out


def folium_map(
    layers: Mapping[str, gpd.GeoDataFrame],
    *,
    view: ViewState | None = None,
    kinds: tuple[str, ...] = (),
    leaflet_js: str | None = None,
    leaflet_css: str | None = None,
    layer_labels: Mapping[str, str] | None = None,
    title: str | None = None,
    note: str = "",
    attribution: str = ATTRIBUTION.fr,
    tolerance_m: float = display.DEFAULT_TOLERANCE_M,
) -> folium.Map:
    """Return a folium map: quartier choropleth, commune outlines, facility layers of ``view``.

    Parameters
    ----------
    layers
        Store layers (EPSG:4326).
    view
        Layers, indicator, basemap and centre/zoom (geo.publication.viewstate); default view if None.
    kinds
        Facility kinds of a per-kind indicator (``per10k``, ``count``).
    leaflet_js, leaflet_css
        URLs of Leaflet; when given, the map loads nothing else (no jQuery,
        Bootstrap or icon fonts), so it works offline behind the app.
    """
    view = view or ViewState()
    layer_labels = layer_labels or {}
    quartiers = display.simplify_coverage(layers["quartiers"], tolerance_m=tolerance_m)
    indicator = indicators.indicator_or_raise(view.indicator)
    values = indicators.compute(view.indicator, quartiers, layers["facilities"], kinds=kinds)
    classes = display.classify(values.to_numpy())
    n = len(classes.bins)
    palette = [styles.PALETTE[round(i * (len(styles.PALETTE) - 1) / max(n - 1, 1))] for i in range(n)]

    fmap = folium.Map(location=view.center or None, zoom_start=view.zoom or DEFAULT_ZOOM, tiles=None,
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

    fac = indicators.analysed(layers["facilities"])
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
        note=" ".join(x for x in (note, attribution) if x),
    )
    fmap.get_root().html.add_child(folium.Element(legend))
    folium.LayerControl(collapsed=True).add_to(fmap)
    if not view.center:
        x0, y0, x1, y1 = quartiers.total_bounds
        fmap.fit_bounds([[y0, x0], [y1, x1]])
    return fmap
