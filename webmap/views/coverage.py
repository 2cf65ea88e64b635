"""The coverage view: ``/couverture`` and ``/embed/couverture``, ``/api/v1/coverage…`` and ``/maps/coverage.png|pdf``.

Every URL takes the same parameters: ``kind`` (a kind group such as
``cscom`` or ``sports``, or a facility kind), ``threshold_m`` (straight-line
metres, 0 < t ≤ 50 000; default per kind from ``COVERAGE_THRESHOLDS_M``) and
the scenario ``add=lon,lat;lon,lat`` (hypothetical facilities) and
``remove=id,id`` (facilities left out). The API also takes ``unit``
(quartier, commune, district) and ``commune`` (keep one commune's units: the page's table filter), and ``/api/v1/coverage/suggest`` takes ``k``
(1–20 sites). With ``mode`` (``walk``), ``minutes`` (0 < m ≤ 600) and ``season``
every answer is in minutes of travel time on the river-aware network instead
(``geo.analysis.travel.service``), and states its ``method``;
``/api/v1/coverage/difference`` compares the two methods per unit. The extension names the format (``/api/v1/coverage.csv``,
``.geojson``, ``/api/v1/coverage/suggest.csv``; JSON without one); the older
``?format=csv`` redirects there (webmap.params).

Views are thin: parse and validate the request (400 naming the parameter),
look the answer up in the per-store-version ``CoverageState`` or compute and
keep it, send it with a strong ETag; ``webmap.compress`` gzips text and
answers 304 on a matching If-None-Match.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd
from flask import Blueprint, Response, render_template, request, url_for
from flask_babel import force_locale, get_locale
from flask_babel import gettext as _

from geo.analysis.coverage import formats as cf
from geo.analysis.coverage import walk_minutes
from geo.analysis.coverage.headings import heading as coverage_heading
from geo.analysis.coverage.service import parse_k
from geo.analysis.travel.service import MinutesCoverageState as CoverageState
from geo.analysis.travel.service import MinutesQuery as CoverageQuery
from geo.analysis.travel.service import minutes_coverage_state
from geo.cache import LRUCache
from geo.errors import InvalidParameter
from geo.publication import exports
from geo.publication.exports import ATTRIBUTION
from geo.render import PRESETS, file_name, render
from geo.render.cartography import parse_page
from geo.render.coverage import CoverageLayer
from geo.text import defuse_formula
from webmap.clientconfig import coverage as coverage_config
from webmap.clientconfig import map as mapconfig
from webmap.pagecache import cached_html
from webmap.params import image_language, redirect_format_parameter, view_state
from webmap.send import Body, send
from webmap.settings import current_settings
from webmap.snapshot import snapshot
from webmap.views.images import send_image

bp = Blueprint("coverage", __name__)

API_CACHE_CONTROL = "public, max-age=300"
#: Finished responses kept (per store version): entries and bytes.
RESPONSE_CACHE_LIMITS = (256, 64 * 2**20)
#: Response formats of /api/v1/coverage: media type and file extension.
COVERAGE_FORMATS = {
    "json": ("application/json", "json"),
    "csv": ("text/csv; charset=utf-8", "csv"),
    "fr.csv": ("text/csv; charset=utf-8", "fr.csv"),  # French Excel (geo.publication.exports.excel)
    "geojson": ("application/geo+json", "geojson"),
}
SUGGEST_FORMATS = ("json", "csv")
#: Threshold parameters (a catchment or the method difference does not depend on them).
THRESHOLDS = ("threshold_m", "minutes")
#: Bump when the coverage map's drawing changes (with images.RENDER_REVISION).
COVERAGE_MAP_REVISION = "3"


def _state() -> CoverageState:
    snap = snapshot()
    return minutes_coverage_state(snap, current_settings(), roads=snap.roads)


def _responses() -> LRUCache[Body]:
    """Return the finished coverage responses of this store version (bodies of different keys compute concurrently)."""
    roads = snapshot().roads
    version = roads.version if roads is not None else "-"
    return snapshot().memo(
        f"coverage:responses:{version}", lambda: LRUCache(*RESPONSE_CACHE_LIMITS, single_flight="key")
    )


def _send(body: Body, *, attachment: bool = False) -> Response:
    return send(body, cache_control=API_CACHE_CONTROL, disposition="attachment" if attachment else None)


def _stem(query: CoverageQuery, what: str = "couverture") -> str:
    scenario = "-scenario" if not query.scenario.is_empty else ""
    return f"bamako-{what}-{query.kind}-{query.threshold_label}{scenario}"


def _header(state: CoverageState, query: CoverageQuery) -> dict:
    return {
        "kind": query.kind,
        "kinds": list(query.kinds),
        "kind_data": query.data,
        "threshold_m": cf.plain(query.threshold_m) if query.travel is None else None,
        **(
            {}
            if query.travel is None
            else {"mode": query.travel.mode, "season": query.travel.season, "minutes": cf.plain(query.travel.minutes)}
        ),  # fmt: skip
        "unit": query.unit,
        "scenario": query.scenario.as_params(),
        "method": state.method(query),
        "build": state.version,
    }


def _method(state: CoverageState, query: CoverageQuery) -> dict:
    method = {**state.method(query), "cell_m": state.grid.cell_m, "population_methods": list(state.methods.names)}
    if query.travel is None:
        method["distance"] = "straight line, EPSG:32629"
        minutes = float(walk_minutes(query.threshold_m, settings=state.settings))
        method["walk_min_at_threshold"] = cf.plain(minutes, "walk_min")
    else:
        method["distance"] = "least-cost travel time, Niger crossed at its bridges, EPSG:32629"
    return method


def _links(query: CoverageQuery) -> dict:
    params = query.params()
    no_unit = query.params(unit=False)
    return {
        "json": url_for("coverage.coverage_api", **params),
        "csv": url_for("coverage.coverage_file", fmt="csv", **params),
        "geojson": url_for("coverage.coverage_file", fmt="geojson", **params),
        "suggest": url_for("coverage.suggest_api", **no_unit),
        "catchments": url_for("coverage.catchments_api", **{k: v for k, v in no_unit.items() if k not in THRESHOLDS}),
        "difference": url_for("coverage.difference_api", **{k: v for k, v in no_unit.items() if k not in THRESHOLDS}),
        "surface": url_for("coverage.surface_png", **no_unit),
        "png": url_for("coverage.coverage_map", fmt="png", **no_unit),
        "page": url_for("coverage.page", **no_unit),
    }


def _excel_fr(table: pd.DataFrame) -> bytes:
    """Return a coverage table as French-Excel CSV (rounded as the JSON, text formula-safe)."""
    plain = pd.DataFrame(cf.records(table), columns=list(table.columns))
    for column in plain.columns:
        if plain[column].dtype == object:
            plain[column] = defuse_formula(plain[column])
    return exports.excel_fr(plain, headings=coverage_heading)


def _commune_filter(state: CoverageState) -> str | None:
    """Return ``?commune=`` (a commune P-code whose units the table keeps), checked; None when absent."""
    commune = request.args.get("commune") or None
    if commune is not None and commune not in state.names["commune"]:
        allowed = ", ".join(sorted(state.names["commune"]))
        raise InvalidParameter("commune", f"unknown commune {commune!r}; expected one of {allowed}")
    return commune


def _coverage_body(state: CoverageState, query: CoverageQuery, fmt: str, commune: str | None = None) -> Body:
    table = state.table(query)  # validates the scenario against the store first
    if commune is not None:  # the page's commune filter, carried into its CSV links
        column = "commune_pcode" if "commune_pcode" in table.columns else "pcode"
        table = table[(table[column] == commune).to_numpy()]
    media_type, extension = COVERAGE_FORMATS[fmt]
    filename = f"{_stem(query)}-{query.unit}.{extension}"
    if fmt == "csv":
        return Body(cf.to_csv(table), media_type, filename)
    if fmt == "fr.csv":
        return Body(_excel_fr(table), media_type, filename)
    if fmt == "geojson":
        return Body(cf.to_geojson(table, state.unit_geometry[query.unit], _header(state, query)), media_type, filename)
    district = state.table(query, unit="district")
    document = {
        **_header(state, query),
        "scenario": state.scenario_info(query),
        "method": _method(state, query),
        "district": cf.records(district)[0],
        "units": cf.records(table),
        "links": _links(query),
        "attribution": ATTRIBUTION,
    }
    return Body(cf.to_json(document), media_type, filename)


def _coverage_response(fmt: str) -> Response:
    state = _state()
    query = state.parse(request.args)
    commune = _commune_filter(state)
    key = query.key("coverage", fmt, commune, request.script_root)
    cached = _responses().get(key, lambda: _coverage_body(state, query, fmt, commune))
    return _send(cached, attachment=fmt != "json")


@bp.get("/api/v1/coverage")
def coverage_api() -> Response:
    """Coverage indicators per unit as JSON (``?format=csv|geojson`` redirects to the extension URL)."""
    redirect_format_parameter("format", tuple(COVERAGE_FORMATS), default="json")
    return _coverage_response("json")


@bp.get("/api/v1/coverage.<any(json, csv, geojson, 'fr.csv'):fmt>")
def coverage_file(fmt: str) -> Response:
    """Coverage indicators per unit in the format named by the extension."""
    return _coverage_response(fmt)


def _suggest_body(state: CoverageState, query: CoverageQuery, k: int, fmt: str) -> Body:
    sites = state.suggest(query, k)
    frame = cf.suggestions_frame(sites)
    if fmt == "csv":
        return Body(cf.to_csv(frame), COVERAGE_FORMATS["csv"][0], f"{_stem(query, 'sites')}-k{k}.csv")
    header = _header(state, query)
    header.pop("unit")
    document = {
        **header,
        "scenario": state.scenario_info(query),
        "k": k,
        "uncovered_before": cf.plain(sites.attrs.get("uncovered_before"), "uncovered"),
        "candidate_spacing_m": cf.plain(sites.attrs.get("candidate_spacing_m")),
        "n_candidates": sites.attrs.get("n_candidates"),
        "sites": cf.records(frame),
        "attribution": ATTRIBUTION,
    }
    return Body(cf.to_json(document), COVERAGE_FORMATS["json"][0], f"{_stem(query, 'sites')}-k{k}.json")


@bp.get("/api/v1/coverage/suggest")
def suggest_api() -> Response:
    """The ``k`` sites that would newly cover the most people (greedy maximal covering), with their gains."""
    redirect_format_parameter("format", SUGGEST_FORMATS, default="json")
    return _suggest_response("json")


@bp.get("/api/v1/coverage/suggest.<any(json, csv):fmt>")
def suggest_file(fmt: str) -> Response:
    """The suggested sites in the format named by the extension."""
    return _suggest_response(fmt)


def _suggest_response(fmt: str) -> Response:
    state = _state()
    query = state.parse(request.args)
    k = parse_k(request.args.get("k"))
    cached = _responses().get(query.key("suggest", k, fmt), lambda: _suggest_body(state, query, k, fmt))
    return _send(cached, attachment=fmt == "csv")


@bp.get("/api/v1/coverage/catchments")
def catchments_api() -> Response:
    """Each facility's catchment (nearest-facility area, clipped to the District) and the people it serves, GeoJSON."""
    state = _state()
    query = state.parse(request.args)
    header = _header(state, query)
    for key in ("unit", "threshold_m", "minutes"):
        header.pop(key, None)

    def body() -> Body:
        areas = state.catchments(query)
        return Body(
            cf.catchments_geojson(areas, header), COVERAGE_FORMATS["geojson"][0], f"{_stem(query, 'aires')}.geojson"
        )

    return _send(_responses().get(query.key("catchments"), body))


def _difference_response(fmt: str) -> Response:
    state = _state()
    for name in THRESHOLDS:
        if request.args.get(name):
            raise InvalidParameter(name, "the method difference is taken at the kind's default threshold")
    args = request.args.copy()  # a mutable MultiDict: walking per commune unless asked otherwise
    args.setdefault("mode", "walk")
    args.setdefault("unit", "commune")
    query = state.parse(args)

    def body() -> Body:
        table = state.difference(query, unit=query.unit)
        filename = f"bamako-ecart-methodes-{query.kind}-{query.unit}.{fmt}"
        if fmt == "csv":
            return Body(cf.to_csv(table), COVERAGE_FORMATS["csv"][0], filename)
        header = _header(state, query)
        for key in ("threshold_m", "minutes"):
            header.pop(key, None)
        first = table.iloc[0] if len(table) else None
        document = {
            **header,
            "scenario": state.scenario_info(query),
            "threshold_m": cf.plain(first["threshold_m"]) if first is not None else None,
            "threshold_min": cf.plain(first["threshold_min"], "walk_min") if first is not None else None,
            "compared": ["straight_line", state.method(query)["name"]],
            "units": cf.records(table),
            "attribution": ATTRIBUTION,
        }
        return Body(cf.to_json(document), COVERAGE_FORMATS["json"][0], filename)

    return _send(_responses().get(query.key("difference", fmt), body), attachment=fmt == "csv")


@bp.get("/api/v1/coverage/difference")
def difference_api() -> Response:
    """Straight line against travel time per unit: people whose fastest facility changes, who lose or gain coverage."""
    return _difference_response("json")


@bp.get("/api/v1/coverage/difference.<any(json, csv):fmt>")
def difference_file(fmt: str) -> Response:
    """The method difference in the format named by the extension."""
    return _difference_response(fmt)


@bp.get("/api/v1/coverage/surface.png")
def surface_png() -> Response:
    """The distance image: cells beyond the threshold shaded by distance bands (bounds in the page config)."""
    state = _state()
    query = state.parse(request.args)

    def body() -> Body:
        return Body(cf.surface_png(state.surface_bands(query, cf.SURFACE_BANDS)), "image/png", "distances.png")

    return _send(_responses().get(query.key("surface"), body))


# ------------------------------------------------------------------- pages
def _page(template: str, *, embed: bool) -> Response:
    view = view_state()  # basemap, center and zoom checked as on the map
    state = _state()
    query = state.parse(request.args)
    state.access(query)  # a scenario outside the District or with unknown ids is a 400, not a broken page

    def render() -> str:
        base = mapconfig.page_config(view, embed=embed)
        config = coverage_config.client_config(base, state, query, embed=embed)
        return render_template(template, config=config, view=view, query=query, kinds=config["coverage"]["kinds"])

    # cached (and brotli-compressed once) for anonymous visitors, as the map page; keyed as the coverage answers
    roads = snapshot().roads
    key = (template, request.path, embed, str(get_locale()), roads.version if roads is not None else "-")
    return cached_html(key, render)


@bp.get("/couverture")
def page() -> Response:
    """The coverage view: share of inhabitants within a distance, scenarios, suggested sites, ranked table."""
    return _page("coverage.html", embed=False)


@bp.get("/embed/couverture")
def embed() -> Response:
    """The coverage map with minimal chrome, for iframes; the scenario is in the URL."""
    return _page("coverage.html", embed=True)


# ------------------------------------------------------------- static map
def _class_labels() -> tuple[str, ...]:
    bounds = (0.0, *cf.SHARE_BINS)
    return tuple(
        _("%(low)s–%(high)s %%", low=round(lo * 100), high=round(hi * 100))
        for lo, hi in zip(bounds, bounds[1:], strict=False)
    )


def _points(x: np.ndarray, y: np.ndarray, **columns) -> pd.DataFrame:
    return pd.DataFrame({"x": np.asarray(x, dtype=float), "y": np.asarray(y, dtype=float), **columns})


def _coverage_layer(state: CoverageState, query: CoverageQuery, quartier_pcodes: pd.Series) -> CoverageLayer:
    """Return what the coverage map draws, texts translated in the current locale."""
    table = state.table(query)
    share = quartier_pcodes.map(dict(zip(table["pcode"], table["share_covered"], strict=True)))
    classes = np.array([cf.share_class(v) for v in share.to_numpy(dtype=float)], dtype=int)
    points = state.access(query).points
    new = np.asarray(points.hypothetical, dtype=bool)
    base = state.base(query.kinds).access.points
    gone = np.isin(base.ids, list(query.scenario.remove))
    # one string per number (the catalog test reads no plural entries); n is at least 1 here
    added, removed = len(query.scenario.add), len(query.scenario.remove)
    changes = []
    if added:
        changes.append(_("%(num)s site ajouté", num=1) if added == 1 else _("%(num)s sites ajoutés", num=added))
    if removed:
        changes.append(
            _("%(num)s équipement retiré", num=1) if removed == 1 else _("%(num)s équipements retirés", num=removed)
        )
    subtitle = _("scénario : %(changes)s", changes=", ".join(changes)) if changes else ""
    travel = getattr(query, "travel", None)  # a straight-line CoverageQuery has none
    minutes, mode = (travel.minutes, travel.mode) if travel is not None else (None, None)
    method = coverage_config.method_text(mode, roads=getattr(state, "roads", None) is not None)
    if travel is not None:  # the subtitle names the method too (the footer says it in full)
        subtitle = " — ".join(filter(None, [_("temps de trajet, le Niger franchi par ses ponts"), subtitle]))
    label = coverage_config.kind_label(query.kind)
    return CoverageLayer(
        title=coverage_config.title(query.kind, query.threshold_m, minutes, mode),
        subtitle=subtitle,
        method=method,
        legend_title=_("Part des habitants couverts"),
        legend_caption=_(
            "à moins de %(distance)s, par quartier",
            distance=coverage_config.reach_text(query.threshold_m, minutes, mode),
        ),
        classes=classes,
        colors=cf.SHARE_COLORS,
        labels=_class_labels(),
        no_value_label=_("Pas d'habitants"),
        layer=coverage_config.layer_of(query.kind, query.kinds),
        facilities_title=_("Équipements"),
        facilities_caption=coverage_config.print_caption(query.data),
        facilities_label=f"{label}\u00a0—\u00a0{int((~new).sum())}",
        approximate_label=_("Position approximative (centre du quartier ou de la commune)"),
        added_label=_("Site ajouté (scénario)"),
        removed_label=_("Équipement retiré (scénario)"),
        facilities=_points(points.x[~new], points.y[~new], approximate=np.asarray(points.approximate)[~new]),
        added=_points(points.x[new], points.y[new]),
        removed=_points(base.x[gone], base.y[gone]),
    )


@bp.get("/maps/coverage.<any(png, pdf):fmt>")
def coverage_map(fmt: str) -> Response:
    """The coverage map for slides and print: quartiers by share covered, facilities and scenario points.

    Same parameters as the coverage page, plus ``size``, ``dpi``, ``lang`` and
    ``focus``/``center``/``zoom`` as for ``/maps/<name>.png``.
    """
    view = view_state()
    state = _state()
    query = state.parse(request.args)
    page_size = parse_page(request.args.get("size"), request.args.get("dpi"))
    lang = image_language()
    state.access(query)  # 400 for a bad scenario before any ETag is answered
    framing = {k: v for k, v in view.to_query().items() if k in ("focus", "center", "zoom")}
    roads = state.roads.version if state.roads is not None else None
    key = [COVERAGE_MAP_REVISION, fmt, page_size.label, page_size.dpi, lang, sorted(query.params(unit=False).items()),
           sorted(framing.items()), roads]  # fmt: skip

    def draw(data) -> bytes:
        with force_locale(lang):
            layer = _coverage_layer(state, query, data.quartiers["pcode"])
            return render(data, replace(view, layers=()), preset=PRESETS["coverage"], page=page_size, fmt=fmt,
                          lang=lang, translate=_, coverage=layer)  # fmt: skip

    name = f"coverage-{query.kind}-{query.threshold_label}" + ("-scenario" if not query.scenario.is_empty else "")
    filename = file_name(name, page_size, fmt, focus=view.focus, lang=lang)
    return send_image(key, fmt, filename, draw, cache="coverage:images")
