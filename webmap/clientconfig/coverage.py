"""What the coverage page tells its script, and the texts of the printed coverage map.

Like ``mapconfig`` for the main map: every user-visible text of
webmap/static/coverage.js comes from here, translated for the request's
language, and reaches the page as JSON through ``|tojson``. Placeholders the
script fills are written ``{name}``; those filled here ``%(name)s``.
"""

from __future__ import annotations

from collections.abc import Sequence

from flask import url_for
from flask_babel import format_decimal
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from geo.analysis.coverage import MAX_ADD, CoverageSpec, resolve_kinds, walk_minutes
from geo.analysis.coverage import formats as cf
from geo.analysis.coverage.service import CoverageQuery, CoverageState, default_threshold
from geo.analysis.coverage.suggest import MAX_SITES
from geo.analysis.travel import default_thresholds
from geo.analysis.travel.service import default_minutes
from geo.vocabulary import KIND_GROUPS, KINDS, data_level
from webmap import staticsite
from webmap.clientconfig import map as mapconfig

#: Distance steps of the threshold slider (metres); a threshold from the URL is added when missing.
THRESHOLD_STEPS_M = (250, 500, 750, 1000, 1500, 2000, 3000, 4000, 5000)


#: What the atlas knows of each kinds' coverage (``CoverageQuery.data``) → a caveat shown with the results.
DATA_NOTES = {
    "surveyed": _l(
        "Équipements des enquêtes 2021 et du registre DNACPN : un centre ouvert depuis, ou manqué, n'y figure pas."
    ),
    "network": _l(
        "Seul le réseau des six CLAEC du jumelage Angers–Bamako est cartographié ; "
        "d'autres centres de lecture existent."
    ),  # fmt: skip
    "partial": _l(
        "Liste partielle : un quartier sans équipement connu n'en est pas forcément dépourvu (« données partielles »)."
    ),  # fmt: skip
}


def print_caption(data: str) -> str:
    """Return the short caption of the facilities on the printed map, with the data caveat."""
    captions = {
        "surveyed": _("analysés, dans le District"),
        "network": _("le réseau du jumelage Angers–Bamako seulement"),
        "partial": _("liste partielle : un quartier sans équipement connu peut en avoir"),
    }
    return captions[data]


def layer_of(kind: str, kinds: tuple[str, ...]) -> str:
    """Return the map layer whose symbol stands for a kind group or kind key (its group's, or its first kind's)."""
    if kind in KIND_GROUPS:
        return KIND_GROUPS[kind].layer
    return KINDS[kinds[0]].layer if kinds and kinds[0] in KINDS else "cscom"


def kind_label(kind: str) -> str:
    """Return the label of a kind group or kind key in the request's language."""
    if kind in KIND_GROUPS:
        return KIND_GROUPS[kind].label(mapconfig.language())
    return mapconfig.kind_label(kind)


def method_labels() -> dict[str, str]:
    """Return the label of each method of the page's select (key ``""``: the straight line, then the travel modes)."""
    return {"": _("Distance à vol d'oiseau"), "walk": _("Temps de marche"), "moto": _("Temps à moto")}


def reach_text(metres: float, minutes: float | None = None, mode: str | None = None) -> str:
    """Return ``2 km`` or ``15 min à pied`` / ``10 min à moto``: the threshold as the figures read it."""
    if minutes is None:
        return distance_text(metres)
    number = format_decimal(minutes, format="#,##0.#")
    return _("%(min)s min à moto", min=number) if mode == "moto" else _("%(min)s min à pied", min=number)


def method_text(mode: str | None, *, roads: bool = False) -> str:
    """Return the sentence naming the method of the figures (summary, printed map)."""
    if mode is None:
        return _("Méthode : distance à vol d'oiseau (marche ≈ distance × détour ÷ vitesse).")
    if mode == "moto":
        return _("Méthode : temps de trajet à moto sur les routes importées, le Niger franchi par ses ponts.")
    if roads:
        return _("Méthode : temps de marche en suivant les routes importées, le Niger franchi par ses ponts.")
    return _("Méthode : temps de marche, le Niger franchi par ses ponts.")


def distance_text(metres: float) -> str:
    """Return ``500 m`` or ``1,5 km`` (the request's number format)."""
    if metres < 1000:
        return f"{format_decimal(round(metres), format='#,##0')} m"
    return f"{format_decimal(metres / 1000, format='#,##0.#')} km"


def phrase(kind: str) -> str:
    """Return "Habitants à moins de %(distance)s d'un CSCOM" for a kind group or kind key."""
    if kind in KIND_GROUPS:
        return KIND_GROUPS[kind].within(mapconfig.language())
    return _("Habitants à moins de %(distance)s : %(kind)s", distance="%(distance)s", kind=kind_label(kind))


def title(kind: str, threshold_m: float, minutes: float | None = None, mode: str | None = None) -> str:
    """Return "Habitants à moins de 2 km d'un CSCOM" (or "… de 15 min à pied …") for a kind group or kind key."""
    return phrase(kind) % {"distance": reach_text(threshold_m, minutes, mode)}


def kind_entry(kind: str, specs: Sequence[CoverageSpec] | None = None) -> dict:
    """Return a kind of the page's menu: key, label, phrase template, kinds, default threshold, data and caveat.

    The default threshold is the kind's in ``specs`` (setting ``COVERAGE_THRESHOLDS_M``).
    """
    kinds = resolve_kinds(kind)
    data = data_level(kinds)
    return {"key": kind, "label": kind_label(kind), "phrase": phrase(kind), "kinds": list(kinds),
            "default_m": default_threshold(kind, specs), "data": data, "note": str(DATA_NOTES[data])}  # fmt: skip


def ui_strings() -> dict[str, str]:
    """Return the coverage script's translated strings."""
    return {
        "sep": _(" : "),
        "loading": _("Calcul…"),
        "failed": _("Calcul impossible"),
        "km": _("km"),
        "m": _("m"),
        "walk": _("≈ {min} min à pied ({speed} km/h, détour ×{detour})"),
        "share_caption": _("Part des habitants de chaque quartier (%)"),
        "no_people": _("sans habitants"),
        "surface_title": _("Au-delà de {distance} : distance à l'équipement le plus proche"),
        "more_than": _("plus de {distance}"),
        "facilities": _("Équipements analysés"),
        "approximate": _("Position approximative (centre du quartier ou de la commune)"),
        "added": _("Site ajouté (scénario)"),
        "removed": _("Équipement retiré (scénario)"),
        "district_summary": _("des habitants du District ({covered} sur {pop}) vivent à moins de {distance}."),
        "show_all": _("Afficher les {n} quartiers"),
        "show_less": _("N'afficher que les 20 premiers"),
        "change": _("Scénario : {delta} habitants couverts ({points} points)."),
        "no_change": _("Scénario : pas un habitant couvert de plus ni de moins."),
        "inhabitants": _("hab."),
        "population": _("Population"),
        "uncovered": _("Non couverts"),
        "share": _("Part couverte"),
        "before_after": _("Avant → après"),
        "median": _("Distance médiane"),
        "facilities_in_unit": _("Équipements dans le quartier"),
        "partial": _("données partielles"),
        "partial_help": _("Aucun équipement connu dans ce quartier, et la liste de ce type est partielle."),
        "approx_people": _("{n} hab. couverts selon des positions approximatives"),
        "approx_short": _("positions approx. : {n} hab."),
        "range_note": _(
            "Entre parenthèses : la fourchette selon la répartition de la population (autour des écoles relevées "
            "ou uniforme dans chaque quartier) et la projection 2022 des communes."
        ),
        "unsurveyed": _(
            "{share} des habitants couverts le sont par un équipement dont la position n'a pas été "
            "relevée au GPS sur place."
        ),
        "rank": _("Rang"),
        "sort": _("Trier"),
        "quartier": _("Quartier"),
        "unit_page": _("Fiche du quartier"),
        "served": _("Population desservie (aire de desserte)"),
        "remove": _("Retirer (scénario)"),
        "restore": _("Remettre"),
        "delete": _("Supprimer"),
        "new_site": _("Site hypothétique {n}"),
        "edit_on": _("Cliquez sur la carte pour ajouter un site, sur un équipement pour le retirer."),
        "outside": _("Ce point est hors du District : choisissez un quartier."),
        "too_many": _("Un scénario compte au plus {n} sites ajoutés."),
        "none_added": _("Aucun site ajouté."),
        "none_removed": _("Aucun équipement retiré."),
        "suggest_none": _("Aucun site ne couvrirait davantage d'habitants."),
        "site": _("Site {n}"),
        "gain": _("+{n} habitants couverts"),
        "add_site": _("Ajouter au scénario"),
        "unnamed": _("(sans nom)"),
        "copied": _("Copié"),
        "copy_failed": _("Copie impossible : sélectionnez le texte"),
        "iframe_title": _("Atlas de Bamako : couverture"),
        "map_label": _("Carte de la couverture par quartier"),
        "load_failed": _("Les données de la carte n'ont pas pu être chargées."),
        "min_walk": _("{min} min à pied"),
        "min_moto": _("{min} min à moto"),
        "minutes": _("min"),
        "median_time": _("Temps médian"),
        "surface_time_title": _("Au-delà de {distance} : temps jusqu'à l'équipement le plus proche"),
        "method_distance": method_text(None),
        "method_walk": method_text("walk"),
        "method_walk_roads": method_text("walk", roads=True),
        "method_moto": method_text("moto"),
        "difference": _(
            "Écart avec la distance à vol d'oiseau ({distance} ≈ {min} min à pied) : {changes} habitants ont un autre "
            "équipement le plus proche en temps ; {loses} ne sont plus couverts, {gains} le deviennent."
        ),
    }


def minute_steps(state: CoverageState, minutes: float | None) -> list[float]:
    """Return the steps of the minutes slider: 5 and the setting ``TRAVEL_THRESHOLDS_MIN``, with the asked minutes."""
    steps = {5.0, *map(float, default_thresholds(state.settings))}
    return sorted(steps | ({float(minutes)} if minutes is not None else set()))


def modes_menu(state: CoverageState) -> list[dict[str, str]]:
    """Return the method select's entries: the straight line, walking, and moto only with a road layer."""
    labels = method_labels()
    offered = ("", *getattr(state, "modes", ("walk",)))
    return [{"key": key, "label": labels.get(key, key)} for key in offered]


def client_config(base: dict, state: CoverageState, query: CoverageQuery, *, embed: bool) -> dict:
    """Return the page's JSON config: the main map's ``base`` config plus a ``coverage`` section."""
    travel = getattr(query, "travel", None)
    minutes = travel.minutes if travel is not None else None
    minute_list = minute_steps(state, minutes)
    default_min = float(minutes if minutes is not None else default_minutes(state.settings))
    steps = sorted({*THRESHOLD_STEPS_M, round(query.threshold_m)} if query.threshold_m >= 1 else set(THRESHOLD_STEPS_M))
    kinds = [kind_entry(k, state.specs) for k in KIND_GROUPS]
    kinds += [kind_entry(query.kind, state.specs)] if query.kind not in KIND_GROUPS else []
    south_west, north_east = state.surface.bounds
    return {
        **{k: v for k, v in base.items() if k != "indicators"},  # the main map's indicator menu: none here
        "embed": embed,
        "coverage": {
            "state": {
                "kind": query.kind,
                "threshold_m": query.threshold_m,
                "mode": travel.mode if travel is not None else "",
                "minutes": default_min,
                "add": [list(p) for p in query.scenario.add],
                "remove": list(query.scenario.remove),
            },
            "kinds": kinds,
            "kindNames": {k: kind_label(k) for k in KINDS},
            "steps": steps,
            "stepIndex": steps.index(round(query.threshold_m)) if round(query.threshold_m) in steps else 0,
            "minuteSteps": minute_list,
            "minuteIndex": minute_list.index(default_min) if default_min in minute_list else 0,
            "modes": modes_menu(state),
            "roads": getattr(state, "roads", None) is not None,
            "cell_m": state.grid.cell_m,
            "bins": list(cf.SHARE_BINS),
            "colors": list(cf.SHARE_COLORS),
            "noValue": cf.NO_VALUE_COLOR,
            "bands": list(cf.SURFACE_BANDS),
            "bandColors": [f"rgba({r},{g},{b},{a / 255:.2f})" for r, g, b, a in cf.SURFACE_RGBA[1:]],
            "surfaceBounds": [list(south_west), list(north_east)],
            "walk": {
                "minPerKm": float(walk_minutes(1000.0, settings=state.settings)),
                "speed": float(state.settings["COVERAGE_WALK_SPEED_KMH"]),
                "detour": float(state.settings["COVERAGE_DETOUR"]),
            },
            "maxK": MAX_SITES,
            "maxAdd": MAX_ADD,
            "urls": {
                "api": url_for("coverage.coverage_api"),
                "csv": url_for("coverage.coverage_file", fmt="csv"),
                "csvfr": url_for("coverage.coverage_file", fmt="fr.csv"),
                "geojson": url_for("coverage.coverage_file", fmt="geojson"),
                "suggest": url_for("coverage.suggest_api"),
                "catchments": url_for("coverage.catchments_api"),
                "surface": url_for("coverage.surface_png"),
                "difference": staticsite.server_url(url_for("coverage.difference_api")),
                "png": staticsite.server_url(url_for("coverage.coverage_map", fmt="png")),
                "pdf": staticsite.server_url(url_for("coverage.coverage_map", fmt="pdf")),
                "page": url_for("coverage.page"),
                "embed": url_for("coverage.embed"),
            },
            "t": ui_strings(),
            "site": staticsite.coverage_site(kinds),
            "liveUrl": staticsite.live_url() if staticsite.enabled() else "",
        },
    }
