"""What the map pages tell their script: translated labels, symbols, indicators, basemaps and view state.

The script (webmap/static/atlas.js) holds no user-visible text of its own:
every label comes from here, translated by Flask-Babel for the request's
language, and reaches the page as JSON through ``|tojson``.
"""

from __future__ import annotations

from flask import url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from geo.analysis import map_indicators as indicators
from geo.pipeline.sources import registry
from geo.publication import symbols as styles
from geo.publication.viewstate import (
    BASEMAPS,
    DEFAULT_BASEMAP,
    DEFAULT_CENTER,
    DEFAULT_LAYERS,
    DEFAULT_ZOOM,
    FACILITY_LAYERS,
    ViewState,
)
from geo.vocabulary import KINDS
from webmap.snapshot import snapshot

#: Data attribution shown on every map.
DATA_ATTRIBUTION = _l("Limites : OCHA COD-AB ; équipements : OSM Mali / HOT Open Cities Bamako (2021), DNACPN")
#: Census year whose commune shares split the District total.
BASE_CENSUS_YEAR = 2009
#: Indicators offered in the choropleth menu (registry keys); the ones with kinds get one entry per layer.
MENU_INDICATORS = ("density", "per10k", "cover1km", "cover2km", "cover5km")
DEFAULT_KIND_LAYER = "cscom"

LAYER_LABELS = {
    "cscom": _l("CSCOM (centres de santé communautaires)"),
    "hospitals": _l("CSRef et hôpitaux"),
    "claec": _l("CLAEC (centres de lecture pour enfants)"),
    "kindergartens": _l("Jardins d'enfants"),
    "schools": _l("Écoles, collèges et universités"),
    "sports": _l("Terrains et plateaux sportifs"),
    "other_health": _l("Cliniques, pharmacies, autres soins"),
    "waste": _l("Dépôts de transit des déchets"),
    "qa": _l("Qualité des données : signalements"),
}
#: Short labels for the choropleth menu and tooltips.
LAYER_SHORT = {
    "cscom": _l("CSCOM"),
    "hospitals": _l("CSRef et hôpitaux"),
    "claec": _l("CLAEC"),
    "kindergartens": _l("Jardins d'enfants"),
    "schools": _l("Écoles"),
    "sports": _l("Sport"),
    "other_health": _l("Autres soins"),
    "waste": _l("Dépôts de déchets"),
    "qa": _l("Signalements"),
}
INDICATOR_LABELS = {
    "density": (_l("Densité de population"), _l("hab./km²")),
    "population": (_l("Population estimée"), _l("hab.")),
    "per10k": (_l("Équipements pour 10 000 habitants"), _l("pour 10 000 hab.")),
    "count": (_l("Nombre d'équipements"), _l("équipements")),
    "cover1km": (_l("Habitants à moins de 1 km (%)"), _l("%")),
    "cover2km": (_l("Habitants à moins de 2 km (%)"), _l("%")),
    "cover5km": (_l("Habitants à moins de 5 km (%)"), _l("%")),
}
#: Titles of per-kind entries; ``%(layer)s`` is the layer's short label.
KIND_TITLES = {
    "per10k": _l("%(layer)s pour 10 000 habitants"),
    "count": _l("%(layer)s : nombre par quartier"),
}
#: Labels of the QA checks of geo.pipeline.quality (unknown checks fall back to their key).
CHECK_LABELS = {
    "duplicate": _l("Doublon probable"),
    "outside_district": _l("Hors du District"),
    "snapped_to_boundary": _l("Juste hors limite, rattaché au quartier voisin"),
    "unit_mismatch": _l("Commune ou quartier déclaré différent de la position"),
    "probable_mislabel": _l("Type probablement erroné"),
    "missing_name": _l("Nom manquant"),
    "missing_coordinates": _l("Coordonnées manquantes"),
}
PRECISION_BADGES = {
    "quartier": _l("position approximative (quartier)"),
    "commune": _l("position approximative (commune)"),
}
BASEMAP_LABELS = {
    "osm": _l("OpenStreetMap"),
    "positron": _l("CARTO Positron (clair)"),
    "esri": _l("Esri imagerie satellite"),
    "none": _l("Aucun fond (hors ligne)"),
}
POP_METHODS = {
    "dasymetric": _l("répartition selon la densité d'écoles et la surface"),
    "area": _l("répartition selon la surface"),
    "commune_share": _l("part de la commune au recensement de 2009"),
}


def language() -> str:
    """Return the request's language code ("fr" or "en")."""
    return str(get_locale() or "fr")


def kind_label(key: str) -> str:
    """Return the label of a facility kind in the request's language."""
    kind = KINDS.get(key)
    if kind is None:
        return key
    return kind.label_en if language() == "en" else kind.label_fr


def source_label(key: str) -> str:
    """Return who to credit for a source key of data/sources.toml (or the project's own places)."""
    if key == "places":
        return _("Lieux compilés par le projet")
    source = registry().get(key)
    return source.attribution if source else key


def pop_note(year: object) -> str:
    """Return the visible caveat on population figures."""
    return _(
        "Population : estimation %(year)s, part %(base)s de chaque commune",
        year=year or "",
        base=BASE_CENSUS_YEAR,
    )


def menu_entries() -> list[dict]:
    """Return the choropleth menu entries without labels: ``[{id, indicator, kind}]``.

    ``kind`` is a facility layer key for indicators computed per kind of facility.
    """
    out = []
    for key in MENU_INDICATORS:
        if not indicators.INDICATORS[key].needs_kinds:
            out.append({"id": key, "indicator": key, "kind": None})
        else:
            out.extend(
                {"id": f"{key}:{layer}", "indicator": key, "kind": layer} for layer, k in FACILITY_LAYERS.items() if k
            )
    return out


def indicator_options() -> dict[str, tuple[str, tuple[str, ...]]]:
    """Return ``{menu id: (indicator key, facility kinds)}`` for geo.publication.mapdata.map_payload."""
    return {e["id"]: (e["indicator"], FACILITY_LAYERS[e["kind"]] if e["kind"] else ()) for e in menu_entries()}


def indicator_menu() -> list[dict]:
    """Return the choropleth menu with translated labels.

    Each entry: ``id``, ``indicator``, ``kind`` (layer key or None), ``group``
    (menu group label or None), ``title`` (what the menu shows), ``legend``
    (the legend's title, with the unit), ``unit`` and ``decimals``.
    """
    menu = []
    for entry in menu_entries():
        ind = indicators.INDICATORS[entry["indicator"]]
        fallback = (ind.label_en, ind.unit_en) if language() == "en" else (ind.label_fr, ind.unit_fr)
        label, unit = (str(x) for x in INDICATOR_LABELS.get(ind.key, fallback))
        if entry["kind"]:
            layer = str(LAYER_SHORT[entry["kind"]])
            template = KIND_TITLES.get(ind.key)
            title = str(template) % {"layer": layer} if template else f"{label} : {layer}"
            entry = {**entry, "group": label, "title": title, "legend": title}
        else:
            entry = {**entry, "group": None, "title": label, "legend": f"{label} ({unit})"}
        menu.append({**entry, "unit": unit, "decimals": ind.decimals})
    return menu


def ui_strings() -> dict[str, str]:
    """Return the script's translated strings."""
    return {
        "sep": _(" : "),  # between a label and its value
        "search_none": _("Aucun résultat"),
        "quartier": _("Quartier"),
        "commune": _("Commune"),
        "kind": _("Type"),
        "population": _("Population estimée"),
        "inhabitants": _("hab."),
        "area": _("Superficie"),
        "sources": _("Sources"),
        "details": _("Fiche détaillée"),
        "unit_page": _("Fiche du quartier"),
        "commune_page": _("Fiche de la commune"),
        "outside": _("hors du District : exclu des analyses"),
        "unnamed": _("(sans nom)"),
        "no_data": _("pas de donnée"),
        "qa_finding": _("Signalement qualité"),
        "qa_facility": _("Équipement concerné"),
        "qa_count": _("signalement(s) qualité"),
        "facilities_here": _("Équipements"),
        "copied": _("Copié"),
        "copy_failed": _("Copie impossible : sélectionnez le texte"),
        "fullscreen": _("Plein écran"),
        "fullscreen_exit": _("Quitter le plein écran"),
        "locate": _("Me localiser"),
        "zoom_in": _("Zoom avant"),
        "zoom_out": _("Zoom arrière"),
        "locate_failed": _("Localisation impossible"),
        "you_are_here": _("Vous êtes ici"),
        "tiles_failed": _("Fond de carte indisponible (hors ligne ?) : choisissez « Aucun fond »."),
        "loading": _("Chargement des données…"),
        "load_failed": _("Les données de la carte n'ont pas pu être chargées."),
        "iframe_title": _("Atlas de Bamako"),
        "map_label": _("Carte interactive des quartiers et équipements de Bamako"),
    }


def client_config(
    view: ViewState,
    *,
    data_url: str,
    focus: dict | None = None,
    embed: bool = False,
    pop_year: object = None,
    extent: list[float] | None = None,
) -> dict:
    """Return the JSON object a map page hands to its script."""
    lang = language()
    return {
        "lang": lang,
        "embed": embed,
        "dataUrl": data_url,
        "view": {
            "layers": list(view.layers),
            "indicator": view.indicator,
            "kind": view.extra.get("kind"),
            "basemap": view.basemap,
            "center": list(view.center) if view.center else None,
            "zoom": view.zoom,
            "focus": view.focus,
        },
        "defaults": {
            "layers": list(DEFAULT_LAYERS),
            "indicator": "density",
            "basemap": DEFAULT_BASEMAP,
            "center": list(DEFAULT_CENTER),
            "zoom": DEFAULT_ZOOM,
            "kind": DEFAULT_KIND_LAYER,
        },  # fmt: skip
        "focus": focus,
        "extent": extent,
        "layers": [
            {"key": k, "label": str(LAYER_LABELS[k]), "short": str(LAYER_SHORT[k]), "kinds": list(v)}
            for k, v in FACILITY_LAYERS.items()
        ],  # fmt: skip
        "symbols": styles.symbols_json(),
        "palette": list(styles.PALETTE),
        "noData": styles.NO_DATA,
        "outline": styles.OUTLINE,
        "kinds": {k: kind_label(k) for k in KINDS},
        "checks": {k: str(v) for k, v in CHECK_LABELS.items()},
        "precisions": {k: str(v) for k, v in PRECISION_BADGES.items()},
        "sources": {k: source_label(k) for k in (*registry(), "places")},
        "indicators": indicator_menu(),
        "basemaps": [
            {
                "key": k,
                "label": str(BASEMAP_LABELS[k]),
                "url": b.url,
                "attribution": b.attribution,
                "maxZoom": b.max_zoom,
                "subdomains": b.subdomains,
            }
            for k, b in styles.BASEMAPS.items()
            if k in BASEMAPS
        ],  # fmt: skip
        "attribution": str(DATA_ATTRIBUTION),
        "popNote": pop_note(pop_year),
        "urls": {
            "map": url_for("pages.index"),
            "embed": url_for("pages.embed"),
            "png": "/maps/view.png",
            "pdf": "/maps/view.pdf",
            "commune": url_for("pages.commune", pcode="PCODE"),
            "quartier": url_for("pages.quartier", pcode="PCODE"),
            "facility": url_for("pages.facility", facility_id="ID"),
        },
        "t": ui_strings(),
    }


def map_data_url() -> str:
    """Return the URL of the request's map data (naming the store version, so browsers may keep it)."""
    return url_for("pages.map_data", v=snapshot().version)


def page_config(view: ViewState, *, focus: dict | None = None, embed: bool = False) -> dict:
    """Return the map page config of ``view`` over the request's atlas (population year and extent)."""
    atlas = snapshot().atlas
    quartiers = atlas.layers["quartiers"]
    years = quartiers["pop_year"].dropna()
    pop_year = atlas.meta.get("population", {}).get("year") or (int(years.iloc[0]) if len(years) else None)
    extent = [round(float(v), 5) for v in quartiers.total_bounds]
    return client_config(view, data_url=map_data_url(), focus=focus, embed=embed, pop_year=pop_year, extent=extent)
