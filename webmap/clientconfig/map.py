"""What the map pages tell their script: translated labels, symbols, indicators, basemaps and view state.

The script (webmap/static/atlas.js) holds no user-visible text of its own:
every label comes from here, translated by Flask-Babel for the request's
language, and reaches the page as JSON through ``|tojson``.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from typing import Any

from flask import url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from geo.analysis import map_indicators as indicators
from geo.pipeline.quality import CHECKS
from geo.pipeline.sources import registry
from geo.planning.edits.state import CREATED_SOURCE
from geo.publication import symbols as styles
from geo.publication.viewstate import (
    BASEMAPS,
    DEFAULT_BASEMAP,
    DEFAULT_CENTER,
    DEFAULT_LAYERS,
    DEFAULT_ZOOM,
    ViewState,
)
from geo.vocabulary import ATTRIBUTION, FACILITY_LAYERS, KINDS, MAP_LAYERS, PLANNER_SOURCE_LABEL, POP_METHODS
from webmap import staticsite
from webmap.snapshot import snapshot

#: Census year whose commune shares split the District total.
BASE_CENSUS_YEAR = 2009
#: Indicators offered in the choropleth menu (registry keys); the ones with kinds get one entry per layer.
MENU_INDICATORS = ("density", "per10k", "cover1km", "cover2km", "cover5km")
DEFAULT_KIND_LAYER = "cscom"

#: Titles of per-kind entries; ``%(layer)s`` is the layer's short label.
KIND_TITLES = {
    "per10k": _l("%(layer)s pour 10 000 habitants"),
    "count": _l("%(layer)s : nombre par quartier"),
}
PRECISION_BADGES = {
    "sheet_dms_conflict": _l("GPS 2021, autre point sur la fiche DNACPN"),
    "sheet_dms": _l("fiche DNACPN, non vérifiée"),
    "cited_point": _l("source citée"),
    "exact": _l("saisie utilisateur"),
    "quartier": _l("position approximative (quartier)"),
    "commune": _l("position approximative (commune)"),
}
BASEMAP_LABELS = {
    "atlas": _l("Fond de l'atlas (hors ligne)"),
    "osm": _l("OpenStreetMap"),
    "positron": _l("CARTO Positron (clair)"),
    "esri": _l("Esri imagerie satellite"),
    "none": _l("Aucun fond (hors ligne)"),
}


def language() -> str:
    """Return the request's language code ("fr" or "en")."""
    return str(get_locale() or "fr")


def kind_label(key: str) -> str:
    """Return the label of a facility kind in the request's language."""
    kind = KINDS.get(key)
    return kind.label(language()) if kind else key


def check_label(key: str) -> str:
    """Return the label of a data-quality check in the request's language (unknown: the key)."""
    check = CHECKS.get(key)
    return check.label(language()) if check else key


def pop_method_label(method: str) -> str:
    """Return the label of a quartier population method in the request's language (unknown: the key)."""
    label = POP_METHODS.get(method)
    return label(language()) if label else method


def source_label(key: str) -> str:
    """Return who to credit for a source key of data/sources.toml (or the project's own places)."""
    if key == "places":
        return _("Lieux compilés par le projet")
    if key == CREATED_SOURCE:
        return PLANNER_SOURCE_LABEL(language())
    source = registry().get(key)
    return source.attribution if source else key


def pop_note(year: object, commune_method: object = None) -> str:
    """Return the visible caveat on population figures (``commune_method`` as in the store's meta)."""
    if commune_method == "growth":
        return _(
            "Population : projection %(year)s selon la croissance 1998–2009 de chaque commune ; "
            "quartiers : estimation (fourchette d'erreur hors échantillon)",
            year=year or "",
        )
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
    """Return the choropleth menu with translated labels (built once per language: every map page sends it).

    Each entry: ``id``, ``indicator``, ``kind`` (layer key or None), ``group``
    (menu group label or None), ``title`` (what the menu shows), ``legend``
    (the legend's title with the unit, only where it differs from ``title``), ``unit`` and ``decimals``.
    """
    return [dict(entry) for entry in _per_language(_build_indicator_menu, language())]


def _build_indicator_menu() -> list[dict]:
    menu = []
    for entry in menu_entries():
        ind = indicators.INDICATORS[entry["indicator"]]
        label, unit = ind.label(language()), ind.unit(language())
        if entry["kind"]:
            layer = MAP_LAYERS[entry["kind"]].short(language())
            template = KIND_TITLES.get(ind.key)
            title = str(template) % {"layer": layer} if template else f"{label} : {layer}"
            entry = {**entry, "group": label, "title": title}  # the legend's title is the title
        else:
            entry = {**entry, "group": None, "title": label, "legend": f"{label} ({unit})"}
        menu.append({**entry, "unit": unit, "decimals": ind.decimals})
    return menu


@lru_cache(maxsize=8)
def _per_language(build: Callable[[], Any], lang: str) -> Any:
    """Return ``build()`` made in language ``lang`` (the request's), once per process (catalogs never change)."""
    return build()


def ui_strings() -> dict[str, str]:
    """Return the script's translated strings (built once per language)."""
    return dict(_per_language(_build_ui_strings, language()))


def _build_ui_strings() -> dict[str, str]:
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
        "tiles_failed": _("Fond de carte en ligne indisponible : le fond de l'atlas est affiché."),
        "river": _("Niger"),
        "wheel_hint": _("Cliquez sur la carte pour zoomer avec la molette."),
        "drag_hint": _("Touchez la carte une fois pour la déplacer ; faites défiler la page à côté."),
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
    commune_method: object = None,
    extent: list[float] | None = None,
) -> dict:
    """Return the JSON object a map page hands to its script."""
    lang = language()
    return {
        "lang": lang,
        "embed": embed,
        "dataUrl": data_url,
        "dataParts": {part: f"{data_url}{'&' if '?' in data_url else '?'}part={part}" for part in ("shapes", "rest")},
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
            {"key": k, "label": m.title(lang), "short": m.short(lang), "kinds": list(FACILITY_LAYERS[k])}
            for k, m in MAP_LAYERS.items()
        ],  # fmt: skip
        "symbols": styles.symbols_json(),
        "palette": list(styles.PALETTE),
        "noData": styles.NO_DATA,
        "outline": styles.OUTLINE,
        "context": styles.CONTEXT,
        "kinds": {k: kind_label(k) for k in KINDS},
        "checks": {k: check.label(lang) for k, check in CHECKS.items()},
        "precisions": {k: str(v) for k, v in PRECISION_BADGES.items()},
        "sources": {k: source_label(k) for k in (*registry(), "places", CREATED_SOURCE)},
        "indicators": indicator_menu(),
        "basemaps": [
            {"key": k, "label": str(BASEMAP_LABELS[k])}
            | (
                {"url": b.url, "attribution": b.attribution, "maxZoom": b.max_zoom, "subdomains": b.subdomains}
                if b.url
                else {}
            )
            for k, b in styles.BASEMAPS.items()
            if k in BASEMAPS
        ],  # tiles only for the online ones
        "attribution": ATTRIBUTION(lang),
        "popNote": pop_note(pop_year, commune_method),
        "urls": {
            "map": url_for("pages.index"),
            "embed": url_for("pages.embed"),
            "png": staticsite.server_url(url_for("images.static_map", name="view", fmt="png")),
            "pdf": staticsite.server_url(url_for("images.static_map", name="view", fmt="pdf")),
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
    commune_method = atlas.meta.get("population", {}).get("commune_method")
    extent = [round(float(v), 5) for v in quartiers.total_bounds]
    return client_config(
        view,
        data_url=map_data_url(),
        focus=focus,
        embed=embed,
        pop_year=pop_year,
        commune_method=commune_method,
        extent=extent,
    )
