"""The legend of a static map: choropleth classes, facility symbols with counts, boundaries.

Built from offsetbox packers so it can be measured before the map frame is
placed: the renderer lays the map out around the legend's real size.
"""

from __future__ import annotations

import textwrap

import numpy as np
from matplotlib.lines import Line2D
from matplotlib.offsetbox import AnchoredOffsetbox, DrawingArea, HPacker, TextArea, VPacker
from matplotlib.patches import Rectangle

from geo.analysis import map_indicators as indicators
from geo.render import styles as st
from geo.render.coverage import ADDED_STYLE, REMOVED_STYLE, CoverageLayer
from geo.render.ctx import Ctx
from geo.render.data import Choropleth
from geo.vocabulary import MAP_LAYERS

#: Characters per legend line before wrapping.
LABEL_CHARS = 34


def class_colors(n: int) -> list[str]:
    """Return ``n`` fills spread over the five-step choropleth ramp."""
    if n <= 0:
        return []
    if n == 1:
        return [st.CHOROPLETH_COLORS[2]]
    steps = np.round(np.linspace(0, len(st.CHOROPLETH_COLORS) - 1, n)).astype(int)
    return [st.CHOROPLETH_COLORS[i] for i in steps]


def _label(text: str, size: float, *, bold: bool = False, muted: bool = False) -> TextArea:
    lines = "\n".join(textwrap.wrap(text, LABEL_CHARS)) or text
    props = {
        "fontsize": size,
        "color": st.MUTED_TEXT if muted else st.TEXT_COLOR,
        "parse_math": False,
        "usetex": False,
        "fontweight": "bold" if bold else "normal",
        "linespacing": 1.15,
    }
    return TextArea(lines, textprops=props)


def _swatch_patch(k: float, face: str, hatch: str | None = None) -> DrawingArea:
    area = DrawingArea(16 * k, 10 * k)
    area.add_artist(
        Rectangle((0, 0), 16 * k, 10 * k, facecolor=face, edgecolor="#8a8a8a", linewidth=0.5 * k, hatch=hatch)
    )
    return area


def _swatch_marker(k: float, style: st.LayerStyle, *, hollow: bool = False, alpha: float = 1.0) -> DrawingArea:
    area = DrawingArea(16 * k, 10 * k)
    face = "none" if style.color == "none" else ("white" if hollow else style.color)
    edge = style.color if hollow else style.edge
    area.add_artist(
        Line2D(
            [8 * k],
            [5 * k],
            marker=style.marker,
            markersize=max(style.size_pt, 5.5) * k,
            markerfacecolor=face,
            markeredgecolor=edge,
            markeredgewidth=(1.3 if hollow else 0.7) * k,
            linestyle="none",
            alpha=alpha,
        )
    )
    return area


def _swatch_line(k: float, color: str, width: float) -> DrawingArea:
    area = DrawingArea(16 * k, 10 * k)
    area.add_artist(Line2D([0, 16 * k], [5 * k, 5 * k], color=color, linewidth=width * k))
    return area


def _row(k: float, swatch: DrawingArea, label: TextArea) -> HPacker:
    return HPacker(children=[swatch, label], align="center", pad=0, sep=5 * k)


def _section(k: float, header: str, caption: str, rows: list) -> VPacker:
    head = [_label(header, 8.5 * k, bold=True)] + ([_label(caption, 6.8 * k, muted=True)] if caption else [])
    return VPacker(
        children=[VPacker(children=head, align="left", pad=0, sep=1 * k), *rows], align="left", pad=0, sep=3 * k
    )


def class_labels(classes: Choropleth, ctx: Ctx) -> list[str]:
    """Return one label per class: ``lower – upper`` bounds, or the value when a class holds only one."""
    labels = []
    bounds = classes.bounds
    for i in range(len(classes.bins)):
        members = classes.values[classes.index == i]
        if len(members) and members.min() == members.max():
            labels.append(ctx.fmt(members.min(), classes.decimals))
        else:
            labels.append(f"{ctx.fmt(bounds[i], classes.decimals)} – {ctx.fmt(bounds[i + 1], classes.decimals)}")
    return labels


def indicator_title(key: str, kind: str | None, ctx: Ctx) -> str:
    """Return the translated name of indicator ``key``, with the facility layer it counts if any."""
    indicator = indicators.indicator_or_raise(key)
    label = indicator.label(ctx.lang)
    if not (indicator.needs_kinds and kind):
        return label
    colon = "\u00a0: " if ctx.lang == "fr" else ": "  # French puts a no-break space before the colon
    return label + colon + MAP_LAYERS[kind].short(ctx.lang)


def _indicator_titles(classes: Choropleth, ctx: Ctx) -> tuple[str, str]:
    indicator = indicators.INDICATORS[classes.key]
    unit = indicator.unit(ctx.lang)
    header = indicator_title(classes.key, classes.kind, ctx)
    return header, ctx.t(st.N_("%(unit)s, par quartier"), unit=unit)


def _coverage_sections(layer: CoverageLayer, k: float) -> tuple[VPacker, VPacker]:
    rows = [_row(k, _swatch_patch(k, c), _label(t, 7.5 * k)) for c, t in zip(layer.colors, layer.labels, strict=True)]
    if (layer.classes < 0).any():
        rows.append(_row(k, _swatch_patch(k, st.NO_DATA_COLOR), _label(layer.no_value_label, 7.5 * k)))
    choropleth = _section(k, layer.legend_title, layer.legend_caption, rows)
    marks = [(layer.style, layer.facilities_label, False, True)]
    marks += [
        (st.LayerStyle("#555555", "o", 6.0), layer.approximate_label, True, layer.has_approximate),
        (ADDED_STYLE, layer.added_label, False, len(layer.added) > 0),
        (REMOVED_STYLE, layer.removed_label, False, len(layer.removed) > 0),
    ]
    rows = [_row(k, _swatch_marker(k, s, hollow=h), _label(t, 7.5 * k)) for s, t, h, shown in marks if shown]
    return choropleth, _section(k, layer.facilities_title, layer.facilities_caption, rows)


def _sections(data, view, ctx, counts, counts_label, approx, k, coverage=None, outside=None):
    tr = ctx.tr
    if coverage is not None:
        choropleth, facilities = _coverage_sections(coverage, k)
        return choropleth, facilities, _limits(k, tr)
    classes = data.choropleth(view.indicator, view.extra.get("kind"))
    colors = list(classes.colors) if classes.colors else class_colors(len(classes.bins))
    rows = [
        _row(k, _swatch_patch(k, colors[i]), _label(text, 7.5 * k)) for i, text in enumerate(class_labels(classes, ctx))
    ]
    if (classes.index < 0).any():
        rows.append(_row(k, _swatch_patch(k, st.NO_DATA_COLOR), _label(tr(st.N_("Pas de donnée")), 7.5 * k)))
    choropleth = _section(k, *_indicator_titles(classes, ctx), rows)

    facilities = None
    if view.layers:
        rows = [
            _row(
                k,
                _swatch_marker(k, st.LAYER_STYLES[key]),
                _label(f"{MAP_LAYERS[key].title(ctx.lang)}\u00a0—\u00a0{ctx.num(counts.get(key, 0))}", 7.5 * k),
            )
            for key in view.layers
        ]
        if approx:
            grey = st.LayerStyle("#555555", "o", 6.0)
            rows.append(
                _row(
                    k,
                    _swatch_marker(k, grey, hollow=True),
                    _label(tr(st.N_("Position approximative (centre du quartier ou de la commune)")), 7.5 * k),
                )
            )
        if outside:
            rows.append(
                _row(
                    k,
                    _swatch_marker(k, st.LAYER_STYLES[outside], alpha=st.OUTSIDE_ALPHA),
                    _label(tr(st.N_("Hors du District : exclu des analyses et des nombres")), 7.5 * k),
                )
            )
        facilities = _section(k, tr(st.N_("Équipements")), counts_label, rows)

    return choropleth, facilities, _limits(k, tr)


def _limits(k: float, tr) -> VPacker:
    return _section(
        k,
        tr(st.N_("Limites")),
        "",
        [
            _row(k, _swatch_line(k, st.COMMUNE_EDGE, 1.6), _label(tr(st.N_("District")), 7.5 * k)),
            _row(k, _swatch_line(k, st.COMMUNE_EDGE, 0.9), _label(tr(st.N_("Commune")), 7.5 * k)),
            _row(k, _swatch_patch(k, st.CHOROPLETH_COLORS[1]), _label(tr(st.N_("Quartier (limite blanche)")), 7.5 * k)),
        ],
    )


def build(fig, data, view, ctx, *, counts, counts_label, approx, landscape, max_w, max_h, coverage=None, outside=None):
    """Add the legend to ``fig`` and return it with its width and height in inches.

    ``outside`` is the layer whose symbol, faded, stands for the facilities outside the District (None: none shown).

    The legend is shrunk (down to 60 %) until it fits ``max_w`` × ``max_h``
    inches; the caller anchors its upper left corner afterwards.
    """
    renderer = fig.canvas.get_renderer()
    k = ctx.s
    for attempt in range(5):
        choropleth, facilities, limits = _sections(data, view, ctx, counts, counts_label, approx, k, coverage, outside)
        if landscape:
            box = VPacker(children=[b for b in (choropleth, facilities, limits) if b], align="left", pad=0, sep=12 * k)
        else:
            left = VPacker(children=[choropleth, limits], align="left", pad=0, sep=10 * k)
            box = HPacker(children=[b for b in (left, facilities) if b], align="top", pad=0, sep=20 * k)
        anchored = AnchoredOffsetbox(
            loc="upper left",
            child=box,
            pad=0,
            borderpad=0,
            frameon=False,
            bbox_to_anchor=(0, 1),
            bbox_transform=fig.transFigure,
        )
        fig.add_artist(anchored)
        extent = anchored.get_window_extent(renderer)
        w, h = extent.width / fig.dpi, extent.height / fig.dpi
        if (w <= max_w and h <= max_h) or attempt == 4:
            return anchored, w, h
        anchored.remove()
        k *= 0.88
    raise AssertionError("unreachable")
