"""Lay out and render a map page (Agg): title, map frame, legend, footer; save as PNG or PDF.

Object-oriented Figure API only, on an explicit Agg canvas (the Flask recipe
of the matplotlib docs): no pyplot, and no ``matplotlib.use`` either, so
importing the atlas never switches the backend of a notebook or another app.
Every text is drawn with mathtext and TeX off so names are shown as written,
and one lock is held around rendering because rcParams are process-wide.
"""

from __future__ import annotations

import io
import math
import textwrap
import threading
from collections.abc import Iterator
from contextlib import contextmanager

import matplotlib
import numpy as np
from babel.dates import format_date
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from pyproj import Transformer

from geo.analysis.population import round_people
from geo.errors import InvalidParameter
from geo.publication.viewstate import ViewState
from geo.render import legend as legend_mod
from geo.render import styles as st
from geo.render.cartography import Page, fit_extent, zoom_extent
from geo.render.coverage import CoverageLayer
from geo.render.ctx import Ctx, Translate, text
from geo.render.data import Focus, MapData, approximate, communes_in_view, resolve_focus
from geo.render.furniture import draw_north_arrow, draw_scale_bar
from geo.render.layers import draw_map
from geo.render.legend import indicator_title
from geo.render.metadata import file_metadata
from geo.vocabulary import ATTRIBUTION, MAP_LAYERS, METRIC_CRS, STORE_CRS

#: Output formats and their media types.
IMAGE_MEDIA_TYPES = {"png": "image/png", "pdf": "application/pdf"}
_RENDER_LOCK = threading.Lock()
_RC = {
    "text.usetex": False,
    "text.parse_math": False,
    "font.family": st.FONT_FAMILY,
    "pdf.fonttype": 42,  # embed TrueType: selectable, editable text with accents
    "axes.unicode_minus": True,
    "path.simplify": True,
}
#: Pages at least this wide (width / height) put the footer under the legend, beside the map.
WIDE_ASPECT = 1.5
#: Width of that footer column, as a share of the page width.
WIDE_FOOTER_SHARE = 0.3
#: A4 short side in inches: text and markers scale with the page's short side.
_A4_SHORT_IN = 210 / 25.4
_TO_METRIC = Transformer.from_crs(STORE_CRS, METRIC_CRS, always_xy=True)
_TO_LONLAT = Transformer.from_crs(METRIC_CRS, STORE_CRS, always_xy=True)


@contextmanager
def render_context() -> Iterator[None]:
    """Hold the render lock with the atlas' matplotlib settings (TeX and mathtext off)."""
    with _RENDER_LOCK, matplotlib.rc_context(_RC):
        yield


def render(
    data: MapData,
    view: ViewState,
    *,
    preset: st.Preset,
    page: Page,
    fmt: str,
    lang: str = "fr",
    translate: Translate = lambda s: s,
    coverage: CoverageLayer | None = None,
) -> bytes:
    """Render ``view`` of the prepared store to PNG or PDF bytes.

    Parameters
    ----------
    data
        The store's layers prepared by ``geo.render.data.prepare`` (EPSG:32629).
    view
        Layers, indicator, focus, centre and zoom (the basemap is not drawn: no tiles are fetched).
    preset
        Title and default layers (already merged into ``view`` by the caller).
    page
        Size and resolution; a PNG is exactly ``page.pixels``, a PDF page is ``page.width_in`` ×
        ``page.height_in`` inches.
    fmt
        ``"png"`` or ``"pdf"``.
    lang, translate
        Language of number and date formats, and the function translating French source strings.
    coverage
        The coverage map's quartier classes and points, drawn instead of the view's indicator and layers.
    """
    if fmt not in IMAGE_MEDIA_TYPES:
        raise InvalidParameter("format", f"unknown format {fmt!r}; allowed: {', '.join(IMAGE_MEDIA_TYPES)}")
    with render_context():
        fig = draw(data, view, preset=preset, page=page, fmt=fmt, lang=lang, translate=translate, coverage=coverage)
        ctx = Ctx(translate, lang, 1.0)
        title = _title(view, preset, ctx, coverage)
        focus = resolve_focus(data, view.focus)
        place = _place(data, view, focus, ctx, _view_extent(data, view, focus, page.width_in, page.height_in))
        if coverage is not None:  # the file says how its figures were produced, as the page does
            place = " — ".join(filter(None, [place, coverage.subtitle, coverage.method]))
        keywords = ["Bamako", "Mali", *(MAP_LAYERS[k].short(lang) for k in view.layers)]
        metadata = file_metadata(fmt, title=title, place=place, ctx=ctx, created=data.built_at, keywords=keywords)
        buf = io.BytesIO()
        fig.savefig(buf, format=fmt, dpi=page.dpi, facecolor="white", metadata=metadata)
    return buf.getvalue()


def draw(
    data: MapData,
    view: ViewState,
    *,
    preset: st.Preset,
    page: Page,
    fmt: str = "png",
    lang: str = "fr",
    translate: Translate = lambda s: s,
    coverage: CoverageLayer | None = None,
) -> Figure:
    """Return the map as a matplotlib Figure (call inside ``render_context()``); see ``render``."""
    paper = min(page.width_in, page.height_in) / _A4_SHORT_IN
    ctx = Ctx(translate, lang, float(np.clip(paper * page.text_scale, 0.6, 2.5)))
    # The map's symbols and names grow less than the text read from afar: a crowded District stays legible.
    map_ctx = Ctx(translate, lang, float(np.clip(paper * math.sqrt(page.text_scale), 0.6, 2.5)))
    if fmt == "png":  # size the figure so Agg's integer canvas is exactly page.pixels
        size = ((page.pixels[0] + 0.01) / page.dpi, (page.pixels[1] + 0.01) / page.dpi)
    else:
        size = (page.width_in, page.height_in)
    focus = resolve_focus(data, view.focus)
    if coverage is None:
        data.choropleth(view.indicator, view.extra.get("kind"))  # unknown indicator or missing kind: raise now
    fig = Figure(figsize=size, dpi=page.dpi, facecolor="white")
    FigureCanvasAgg(fig)
    _compose(fig, data, view, preset, focus, ctx, coverage, map_ctx=map_ctx)
    return fig


def _title(view: ViewState, preset: st.Preset, ctx: Ctx, coverage: CoverageLayer | None = None) -> str:
    """Return the coverage map's or the preset's title, else one built from the layers and the indicator."""
    if coverage is not None:
        return coverage.title
    if preset.title:
        return ctx.tr(preset.title)
    if len(view.layers) == 1:
        return MAP_LAYERS[view.layers[0]].title(ctx.lang)
    if view.layers and view.indicator == "density":
        return ctx.tr(st.N_("Équipements et densité de population"))
    indicator = indicator_title(view.indicator, view.extra.get("kind"), ctx)
    return f"{ctx.tr(st.N_('Équipements'))} — {indicator}" if view.layers else indicator


def _place(data: MapData, view: ViewState, focus: Focus | None, ctx: Ctx, extent=None) -> str:
    """Return the subtitle: the focused unit with its population range, else the communes in view, and the District.

    Without a focus, a map zoomed in on part of the District names the communes it mostly shows.
    """
    district = ctx.tr(st.N_("District de Bamako"))
    if focus is None:
        names = communes_in_view(data, extent) if extent is not None and view.zoom is not None else []
        return " — ".join([", ".join(names[:3]), district] if names else [district])
    name = f"{focus.name} ({focus.context})" if focus.context else focus.name
    if focus.population is not None:
        name += " · " + population_text(focus.population, data.pop_year, ctx)
    return f"{name} — {district}"


def population_text(population: tuple[int, int, int], year: int | None, ctx: Ctx) -> str:
    """Return « ~25 000 hab. (15 000–40 000) en 2022 »: an estimate rounded to what it bears, with its interval."""
    # the bounds at the estimate's precision, outwards, so a narrow range does not read « 970 000–970 000 »
    step = 10 ** max(0, math.floor(math.log10(max(population[0], 1))) - 1)
    estimate = ctx.num(round_people(population[0]))
    low, high = ctx.num(math.floor(population[1] / step) * step), ctx.num(math.ceil(population[2] / step) * step)
    if year:
        return ctx.t(st.N_("~%(estimate)s hab. (%(low)s–%(high)s) en %(year)s"), estimate=estimate, low=low,
                     high=high, year=year)  # fmt: skip
    return ctx.t(st.N_("~%(estimate)s hab. (%(low)s–%(high)s)"), estimate=estimate, low=low, high=high)


def _view_extent(data: MapData, view: ViewState, focus: Focus | None, width_in: float, height_in: float):
    """Return about the extent the map frame of a page this size shows (to name the communes in view)."""
    return _frame(data, view, focus, (max(width_in * 0.62, 1.0), max(height_in * 0.75, 1.0)))[0]


def _compose(
    fig: Figure,
    data: MapData,
    view: ViewState,
    preset: st.Preset,
    focus: Focus | None,
    ctx: Ctx,
    coverage: CoverageLayer | None = None,
    *,
    map_ctx: Ctx | None = None,
) -> None:
    """Lay out title, map frame, legend and footer on the page, then draw each (the map with ``map_ctx``'s scale)."""
    W, H = fig.get_size_inches()
    s = ctx.s
    margin = 0.3 * s
    title_pt, sub_pt, foot_pt = 16.5 * s, 10 * s, 6.3 * s
    title_lines = textwrap.wrap(_title(view, preset, ctx, coverage), _chars(W - 2 * margin, title_pt, bold=True))
    title_lines = title_lines or [""]
    place = _place(data, view, focus, ctx, _view_extent(data, view, focus, W, H)) + (
        f" — {coverage.subtitle}" if coverage is not None and coverage.subtitle else ""
    )
    sub_lines = textwrap.wrap(place, _chars(W - 2 * margin, sub_pt))
    # A wide page (16:9 slides) is short: the footer goes under the legend so the map takes the full height.
    wide = W / H >= WIDE_ASPECT
    foot_w = WIDE_FOOTER_SHARE * W if wide else W - 2 * margin
    method = coverage.method if coverage is not None else ""
    foot_lines = _footer_lines(data, ctx, _chars(foot_w, foot_pt), method)
    title_h = (len(title_lines) * title_pt * 1.25 + len(sub_lines) * sub_pt * 1.35) / 72
    foot_h = len(foot_lines) * foot_pt * 1.4 / 72
    body_top = H - margin - title_h - 0.15 * s
    body_bottom = margin if wide else margin + foot_h + 0.12 * s
    gap = 0.22 * s

    counts_label, counts, approx = _counts(data, view, focus, ctx)
    anchored, leg_w, leg_h = legend_mod.build(
        fig,
        data,
        view,
        ctx,
        counts=counts,
        counts_label=counts_label,
        approx=approx,
        landscape=W >= H,
        max_w=0.42 * W if W >= H else W - 2 * margin,
        max_h=(body_top - body_bottom - (foot_h + gap if wide else 0)) * (1.0 if W >= H else 0.42),
        coverage=coverage,
        outside=_outside_layer(data, view) if coverage is None else None,
    )
    if W >= H:
        avail = (W - 2 * margin - leg_w - gap, body_top - body_bottom)
    else:
        avail = (W - 2 * margin, body_top - body_bottom - leg_h - gap)
    extent, frame = _frame(data, view, focus, avail)
    fw, fh = frame
    if W >= H:
        left = max(margin, (W - fw - gap - leg_w) / 2)
        bottom = body_bottom + (avail[1] - fh) / 2
        legend_xy = (left + fw + gap, bottom + fh)
    else:
        left = max(margin, (W - fw) / 2)
        bottom = body_top - fh
        legend_xy = (min(left, max(margin, (W - leg_w) / 2)), bottom - gap)
    anchored.set_bbox_to_anchor((legend_xy[0] / W, legend_xy[1] / H), transform=fig.transFigure)

    ax = fig.add_axes((left / W, bottom / H, fw / W, fh / H))
    map_ctx = map_ctx or ctx
    draw_map(ax, data, view, focus, extent, (fw, fh), map_ctx, coverage=coverage)
    draw_scale_bar(ax, extent, (fw, fh), map_ctx)
    draw_north_arrow(ax, extent, (fw, fh), map_ctx)

    text_left = min(left, legend_xy[0]) / W
    foot_left = legend_xy[0] / W if wide else text_left
    if wide:  # wrap the footer to the column it really has, right of the map
        foot_lines = _footer_lines(data, ctx, _chars(W - margin - legend_xy[0], foot_pt), method)
    y = (H - margin) / H
    text(
        fig,
        text_left,
        y,
        "\n".join(title_lines),
        va="top",
        ha="left",
        fontsize=title_pt,
        fontweight="bold",
        color=st.TEXT_COLOR,
        linespacing=1.1,
    )
    y -= len(title_lines) * title_pt * 1.25 / 72 / H
    text(fig, text_left, y, "\n".join(sub_lines), va="top", ha="left", fontsize=sub_pt, color=st.MUTED_TEXT)
    text(
        fig,
        foot_left,
        (bottom if wide else margin) / H,
        "\n".join(foot_lines),
        va="bottom",
        ha="left",
        fontsize=foot_pt,
        color=st.MUTED_TEXT,
        linespacing=1.3,
    )


def _chars(width_in: float, size_pt: float, *, bold: bool = False) -> int:
    """Return how many characters of DejaVu Sans at ``size_pt`` fit in ``width_in`` (mean advance)."""
    return max(20, int(width_in * 72 / (size_pt * (0.62 if bold else 0.56))))


def _footer_lines(data: MapData, ctx: Ctx, width: int, method: str = "") -> list[str]:
    tr = ctx.tr
    parts = [method] if method else []
    parts.append(ctx.t(st.N_("Sources : %(attribution)s"), attribution=ATTRIBUTION(ctx.lang)) + ".")
    if data.pop_year:
        parts.append(
            ctx.t(
                st.N_("Population : estimations %(year)s par quartier (modèle, pas un recensement)."),
                year=data.pop_year,
            )
        )
    info = [tr(st.N_("Projection UTM zone 29N (EPSG:32629)"))]
    if data.data_date:
        info.append(
            ctx.t(st.N_("données du %(date)s"), date=format_date(data.data_date, format="long", locale=ctx.lang))
        )
    info.append(tr(st.N_("Atlas de Bamako")))
    parts.append(" · ".join(info))
    return [line for part in parts for line in textwrap.wrap(part, width)]


def _outside_layer(data: MapData, view: ViewState) -> str | None:
    """Return the first layer of the view with facilities outside the District (drawn faded), if any."""
    fac = data.facilities
    outside = fac[~data.is_counted(fac)]
    return next((key for key in view.layers if key != "qa" and (outside["layer"] == key).any()), None)


def _counts(data: MapData, view: ViewState, focus: Focus | None, ctx: Ctx) -> tuple[str, dict[str, int], bool]:
    """Return the legend's count caption, the features per layer in the focus area, and whether any is approximate."""
    fac = data.facilities
    if focus is not None and focus.kind == "commune":
        mask = (fac["commune_pcode"] == focus.key).to_numpy()
        qa_mask = (data.qa["commune_pcode"] == focus.key).to_numpy() if "commune_pcode" in data.qa else None
        caption = ctx.t(st.N_("nombre dans : %(place)s"), place=focus.name)
    elif focus is not None and focus.kind == "quartier":
        mask = (fac["quartier_pcode"] == focus.key).to_numpy()
        ids = set(fac.loc[mask, "id"])
        qa_mask = data.qa["facility_id"].isin(ids).to_numpy() if "facility_id" in data.qa else None
        caption = ctx.t(st.N_("nombre dans : %(place)s"), place=focus.name)
    else:
        mask = fac.index.isin(data.counted.index)  # the facilities that count in analyses
        qa_mask = np.ones(len(data.qa), bool)
        caption = ctx.tr(st.N_("nombre dans le District"))
    counts = {key: int(((fac["layer"] == key).to_numpy() & mask).sum()) for key in view.layers if key != "qa"}
    if "qa" in view.layers:
        counts["qa"] = int(qa_mask.sum()) if qa_mask is not None else len(data.qa)
    shown = fac["layer"].isin(view.layers).to_numpy() & mask
    approx = bool(approximate(fac[shown]).any())
    unverified = int((fac.loc[shown, "location_precision"] == "sheet_dms").sum())
    if unverified:  # the precision class in words: these points are hand-typed, not surveyed
        caption += " ; " + ctx.t(
            st.N_("dont %(n)s aux coordonnées de la fiche DNACPN, non vérifiées"), n=ctx.num(unverified)
        )
    return caption, counts, approx


def _frame(
    data: MapData, view: ViewState, focus: Focus | None, avail: tuple[float, float]
) -> tuple[tuple[float, float, float, float], tuple[float, float]]:
    """Return the map extent (EPSG:32629 metres) and the frame size (inches) within ``avail``."""
    aw, ah = avail
    district = data.district_bounds
    if view.zoom is not None or view.center is not None:
        if view.center is not None:
            cx, cy = _TO_METRIC.transform(*view.center)  # lon, lat
        else:
            b = focus.bounds if focus else district
            cx, cy = (b[0] + b[2]) / 2, (b[1] + b[3]) / 2
        if view.zoom is not None:
            lat = _TO_LONLAT.transform(cx, cy)[1]
            return zoom_extent((cx, cy), view.zoom, latitude=lat, width_in=aw, height_in=ah), (aw, ah)
        x0, y0, x1, y1 = fit_extent(district, aw / ah)
        return (cx - (x1 - x0) / 2, cy - (y1 - y0) / 2, cx + (x1 - x0) / 2, cy + (y1 - y0) / 2), (aw, ah)
    if focus is not None:  # the surroundings are worth showing: fill the whole frame
        min_span = 2500.0 if focus.kind == "facility" else 1200.0
        return fit_extent(focus.bounds, aw / ah, pad=0.04, min_span=min_span), (aw, ah)
    # The whole District: a frame of the District's own shape, so the legend sits right next to it.
    x0, y0, x1, y1 = fit_extent(district, (district[2] - district[0]) / (district[3] - district[1]), pad=0.04)
    aspect = float(np.clip((x1 - x0) / (y1 - y0), 0.6, 2.2))
    fw = min(aw, ah * aspect)
    return fit_extent(district, aspect, pad=0.04), (fw, fw / aspect)
