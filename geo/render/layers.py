"""Draw the map content: quartier choropleth, boundaries, labels and facility symbols."""

from __future__ import annotations

import textwrap

import numpy as np
import pandas as pd
from matplotlib.collections import PathCollection
from matplotlib.transforms import Bbox

from geo.publication.viewstate import ViewState
from geo.render import styles as st
from geo.render.coverage import CoverageLayer, draw_points
from geo.render.ctx import Ctx, halo, text
from geo.render.data import Focus, MapData
from geo.render.legend import class_colors
from geo.vocabulary import PLACED_PRECISIONS

#: Quartier names are drawn when at most this many fall in each square inch of the map frame.
QUARTIER_LABELS_PER_SQ_IN = 0.6
#: Facility names are drawn only when at most this many facilities are in view.
MAX_FACILITY_LABELS = 30


def draw_map(
    ax,
    data: MapData,
    view: ViewState,
    focus: Focus | None,
    extent,
    frame,
    ctx: Ctx,
    *,
    coverage: CoverageLayer | None = None,
) -> None:
    """Draw the choropleth, boundaries, names and facility symbols on ``ax`` (the coverage map's when given).

    ``extent`` is ``(xmin, ymin, xmax, ymax)`` in EPSG:32629 metres with the
    aspect ratio of ``frame`` (the axes' width and height in inches), so the
    map keeps true proportions without ``set_aspect``.
    """
    s = ctx.s
    x0, y0, x1, y1 = extent
    ax.set_xlim(x0, x1)
    ax.set_ylim(y0, y1)
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_facecolor(st.BACKGROUND_COLOR)
    for spine in ax.spines.values():
        spine.set_color("#9a9a9a")
        spine.set_linewidth(0.6 * s)

    if coverage is not None:
        fills = coverage.fills(st.NO_DATA_COLOR)
    else:
        classes = data.choropleth(view.indicator, view.extra.get("kind"))
        palette = class_colors(len(classes.bins))
        fills = [palette[i] if i >= 0 else st.NO_DATA_COLOR for i in classes.index]
    ax.add_collection(
        PathCollection(
            data.quartier_paths, facecolors=fills, edgecolors=st.QUARTIER_EDGE, linewidths=0.45 * s, zorder=1
        )
    )
    if focus is not None and focus.kind == "commune":
        others = [p for p, code in zip(data.commune_paths, data.communes["pcode"], strict=True) if code != focus.key]
        ax.add_collection(PathCollection(others, facecolors=(1, 1, 1, 0.6), edgecolors="none", zorder=2))
    ax.add_collection(
        PathCollection(data.commune_paths, facecolors="none", edgecolors=st.COMMUNE_EDGE, linewidths=0.9 * s, zorder=3)
    )
    ax.add_collection(
        PathCollection(data.district_paths, facecolors="none", edgecolors=st.COMMUNE_EDGE, linewidths=1.6 * s, zorder=3)
    )
    if focus is not None and focus.kind in ("commune", "quartier"):
        table, paths = (
            (data.communes, data.commune_paths) if focus.kind == "commune" else (data.quartiers, data.quartier_paths)
        )
        hit = [p for p, code in zip(paths, table["pcode"], strict=True) if code == focus.key]
        ax.add_collection(PathCollection(hit, facecolors="none", edgecolors="#111111", linewidths=2.2 * s, zorder=4))

    unit_labels = _unit_labels(ax, data, focus, extent, frame, ctx)
    shown = _draw_facilities(ax, data, view, extent, ctx)
    if coverage is not None:
        draw_points(ax, coverage, extent, ctx)
    if focus is not None and focus.kind == "facility":
        fx, fy = focus.bounds[:2]
        ax.scatter([fx], [fy], s=(15 * s) ** 2, facecolors="none", edgecolors="#111111", linewidths=1.6 * s, zorder=14)
    if 0 < len(shown) <= MAX_FACILITY_LABELS:
        _facility_labels(ax, shown, unit_labels, ctx)


def _unit_labels(ax, data: MapData, focus: Focus | None, extent, frame, ctx: Ctx) -> list:
    """Name the quartiers when the scale allows, else the communes; return the texts drawn.

    They sit below the facility symbols: a name may be read around a marker, a hidden marker is lost.
    """
    s = ctx.s
    x0, y0, x1, y1 = extent
    in_view = _in_extent(data.quartiers, extent, "label_x", "label_y")
    if in_view.sum() <= QUARTIER_LABELS_PER_SQ_IN * frame[0] * frame[1]:
        rows, style = data.quartiers[in_view], {"fontsize": 6.3 * s, "color": st.MUTED_TEXT, "style": "italic"}
        names, width = [_wrap_label(n) for n in rows["name"]], 2.0
    else:
        inner = (x0 + 0.08 * (x1 - x0), y0 + 0.05 * (y1 - y0), x1 - 0.08 * (x1 - x0), y1 - 0.05 * (y1 - y0))
        keep = _in_extent(data.communes, inner, "label_x", "label_y")
        if focus is not None and focus.kind == "commune":  # its name is in the subtitle
            keep &= (data.communes["pcode"] != focus.key).to_numpy()
        rows, style = data.communes[keep], {"fontsize": 9.5 * s, "color": st.TEXT_COLOR, "fontweight": "bold"}
        names, width = list(rows["name"]), 2.8
    return [
        text(ax, x, y, name, ha="center", va="center", zorder=5, clip_on=True, path_effects=halo(ctx, width), **style)
        for x, y, name in zip(rows["label_x"], rows["label_y"], names, strict=True)
    ]


def _facility_labels(ax, shown: pd.DataFrame, avoid: list, ctx: Ctx) -> None:
    """Name the facilities shown, each on the first side of its marker where it overlaps no other label.

    A name that fits nowhere inside the frame is left out (its marker stays).
    """
    renderer = ax.figure.canvas.get_renderer()
    frame = ax.get_window_extent(renderer)
    px = ax.figure.dpi / 72 * ctx.s  # pixels per scaled point
    taken = [t.get_window_extent(renderer).padded(2 * px) for t in avoid]
    # map furniture: the scale bar (lower left) and the north arrow (upper right)
    taken.append(Bbox.from_extents(frame.x0, frame.y0, frame.x0 + 0.3 * frame.width, frame.y0 + 40 * px))
    taken.append(Bbox.from_extents(frame.x1 - 40 * px, frame.y1 - 60 * px, frame.x1, frame.y1))
    d = 5 * ctx.s
    e = d * 0.7
    sides = (((d, 0), "left", "center"), ((-d, 0), "right", "center"), ((0, d), "center", "bottom"),
             ((0, -d), "center", "top"), ((e, e), "left", "bottom"), ((-e, e), "right", "bottom"),
             ((e, -e), "left", "top"), ((-e, -e), "right", "top"))  # fmt: skip
    for name, x, y in zip(shown["name"], shown["x"], shown["y"], strict=True):
        if not isinstance(name, str) or not name.strip():
            continue
        for offset, ha, va in sides:
            label = ax.annotate(name, (x, y), xytext=offset, textcoords="offset points", ha=ha, va=va,
                                fontsize=6.3 * ctx.s, color=st.TEXT_COLOR, zorder=15, annotation_clip=True,
                                parse_math=False, usetex=False, path_effects=halo(ctx, 2.0))  # fmt: skip
            box = label.get_window_extent(renderer)
            inside = frame.x0 <= box.x0 and box.x1 <= frame.x1 and frame.y0 <= box.y0 and box.y1 <= frame.y1
            if inside and not any(box.overlaps(other) for other in taken):
                taken.append(box.padded(1.5 * px))
                break
            label.remove()


def _wrap_label(name: str) -> str:
    return "\n".join(textwrap.wrap(str(name), 16, break_long_words=False)) or str(name)


def _in_extent(frame: pd.DataFrame, extent, xcol: str = "x", ycol: str = "y") -> np.ndarray:
    x0, y0, x1, y1 = extent
    x, y = frame[xcol].to_numpy(dtype=float), frame[ycol].to_numpy(dtype=float)
    return (x >= x0) & (x <= x1) & (y >= y0) & (y <= y1)


def _draw_facilities(ax, data: MapData, view: ViewState, extent, ctx: Ctx) -> pd.DataFrame:
    """Scatter each facility layer of the view; return the facilities drawn inside the extent."""
    s = ctx.s
    drawn = []
    for key in view.layers:
        style = st.LAYER_STYLES[key]
        rows = data.qa if key == "qa" else data.facilities[data.facilities["layer"] == key]
        rows = rows[_in_extent(rows, extent)] if len(rows) else rows
        if not len(rows):
            continue
        area = (style.size_pt * s) ** 2
        if key == "qa":
            ax.scatter(
                rows["x"],
                rows["y"],
                s=area,
                marker=style.marker,
                facecolors="none",
                edgecolors=style.edge,
                linewidths=1.3 * s,
                zorder=style.zorder,
            )
            continue
        exact = ~rows["location_precision"].isin(PLACED_PRECISIONS).to_numpy()
        ax.scatter(
            rows["x"][exact],
            rows["y"][exact],
            s=area,
            marker=style.marker,
            c=style.color,
            edgecolors=style.edge,
            linewidths=0.6 * s,
            zorder=style.zorder,
        )
        if (~exact).any():  # approximate positions: hollow marker in the layer colour
            ax.scatter(
                rows["x"][~exact],
                rows["y"][~exact],
                s=area,
                marker=style.marker,
                c="white",
                edgecolors=style.color,
                linewidths=1.4 * s,
                zorder=style.zorder,
            )
        drawn.append(rows)
    return pd.concat(drawn, ignore_index=True) if drawn else data.facilities.iloc[0:0]
