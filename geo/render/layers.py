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
from geo.render.data import Focus, MapData, approximate
from geo.render.legend import class_colors

#: Quartier names are drawn when at most this many fall in each square inch of the map frame.
QUARTIER_LABELS_PER_SQ_IN = 0.6
#: Facility names are drawn only when at most this many facilities are in view.
MAX_FACILITY_LABELS = 30
MARKER_GID = st.MARKER_GID
OUTSIDE_ALPHA = st.OUTSIDE_ALPHA


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
        palette = list(classes.colors) if classes.colors else class_colors(len(classes.bins))
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

    shown = _draw_facilities(ax, data, view, extent, ctx)
    if coverage is not None:
        draw_points(ax, coverage, extent, ctx)
    if focus is not None and focus.kind == "facility":
        fx, fy = focus.bounds[:2]
        ax.scatter([fx], [fy], s=(15 * s) ** 2, facecolors="none", edgecolors="#111111", linewidths=1.6 * s, zorder=14,
                   gid=MARKER_GID)  # fmt: skip
    markers = np.concatenate([marker_boxes(ax), furniture_boxes(ax, ctx)])
    unit_labels = _unit_labels(ax, data, focus, extent, frame, ctx, markers)
    if 0 < len(shown) <= MAX_FACILITY_LABELS:
        _facility_labels(ax, shown, unit_labels, ctx)


def marker_boxes(ax) -> np.ndarray:
    """Return the display-space box ``(x0, y0, x1, y1)`` of every marker drawn on ``ax`` (one row per point)."""
    boxes = []
    px_per_pt = ax.figure.dpi / 72
    for coll in ax.collections:
        if coll.get_gid() != MARKER_GID:
            continue
        offsets = np.asarray(coll.get_offsets(), dtype=float)
        sizes = coll.get_sizes()
        if not len(offsets) or not len(sizes):
            continue
        centres = ax.transData.transform(offsets)
        radius = np.sqrt(np.broadcast_to(sizes, len(offsets))) / 2 * px_per_pt
        boxes.append(np.column_stack([centres - radius[:, None], centres + radius[:, None]]))
    return np.concatenate(boxes) if boxes else np.empty((0, 4))


def furniture_boxes(ax, ctx: Ctx) -> np.ndarray:
    """Return the display-space boxes of the scale bar (lower left) and the north arrow (upper right).

    They are drawn after the names (geo.render.furniture), at these places, so names keep off them.
    """
    frame = ax.get_window_extent(ax.figure.canvas.get_renderer())
    px = ax.figure.dpi / 72 * ctx.s
    return np.array(
        [
            [frame.x0, frame.y0, frame.x0 + 0.25 * frame.width + 44 * px, frame.y0 + 42 * px],
            [frame.x1 - 36 * px, frame.y1 - 50 * px, frame.x1, frame.y1],
        ]
    )


def _overlaps(box: Bbox, others: np.ndarray) -> np.ndarray:
    """Return which rows of ``others`` (x0, y0, x1, y1) overlap ``box``."""
    if not len(others):
        return np.zeros(0, bool)
    return (others[:, 0] < box.x1) & (others[:, 2] > box.x0) & (others[:, 1] < box.y1) & (others[:, 3] > box.y0)


#: Cost of a name placed out of its unit: worse than straddling a boundary or touching another name,
#: better than covering a symbol (10 per symbol) or leaving the frame (1000).
OUT_OF_UNIT_COST = 8


def _offsets(radii: tuple[float, ...], directions: int) -> list[tuple[float, float]]:
    angles = np.radians(np.arange(directions) * 360 / directions + 90)
    return [(0.0, 0.0)] + [(r * np.cos(a), r * np.sin(a)) for r in radii for a in angles]


#: Offsets (in scaled points) tried for a unit name, nearest first: the name moves off markers and frame edges.
#: Commune names are few and large: they may travel further, in more directions, to stay in their commune.
_UNIT_OFFSETS = _offsets((5, 9, 14, 20, 27, 35, 45, 56, 68), 8)
_COMMUNE_OFFSETS = _offsets((6, 12, 18, 26, 35, 45, 56, 68, 82, 98, 116, 136), 16)


def place_labels(
    ax, labels: list, anchors: list, markers: np.ndarray, ctx: Ctx, *, inside: list | None = None, whole: bool = False
) -> None:
    """Move each text of ``labels`` to the nearest offset of its anchor where it covers no marker and no other label.

    ``anchors`` are the data points the texts are centred on; ``markers`` display-space marker
    boxes (``marker_boxes``); ``inside``, when given, the path (data coordinates) each text's
    centre must stay in, and with ``whole`` its two ends as well if it can (a commune name
    straddling a boundary reads as the neighbour's). A name that fits nowhere goes where it
    covers the fewest markers, inside the frame when it can.
    """
    renderer = ax.figure.canvas.get_renderer()
    frame = ax.get_window_extent(renderer)
    pt = ax.figure.dpi / 72 * ctx.s
    data_per_px = np.abs(ax.transData.inverted().transform([[1, 1]]) - ax.transData.inverted().transform([[0, 0]]))[0]
    pad = 2.0 * pt
    taken: list[Bbox] = []
    for i, (label, (x, y)) in enumerate(zip(labels, anchors, strict=True)):
        best = None
        # first inside the unit; then near its anchor: a commune name that covers symbols there,
        # or any name cut by the frame there
        offsets = _COMMUNE_OFFSETS if whole else _UNIT_OFFSETS
        tries = [(o, True) for o in offsets] + [(o, False) for o in offsets]
        good_enough = OUT_OF_UNIT_COST if whole else 999
        for (dx, dy), in_unit in tries:
            if not in_unit and best is not None and best[0] <= good_enough:
                break  # nothing out of the unit does better
            pos = (x + dx * pt * data_per_px[0], y + dy * pt * data_per_px[1])
            if in_unit and inside is not None and inside[i] is not None and not inside[i].contains_point(pos):
                continue
            label.set_position(pos)
            raw = label.get_window_extent(renderer)
            box = raw.padded(pad)
            fits = frame.x0 <= box.x0 and box.x1 <= frame.x1 and frame.y0 <= box.y0 and box.y1 <= frame.y1
            cost = (0 if fits else 1000) + int(_overlaps(box, markers).sum()) * 10
            # another name: overlapping it is the worst, only touching it (padded boxes) is minor
            cost += sum(20 if raw.overlaps(t) else 3 if box.overlaps(t) else 0 for t in taken)
            if inside is not None and inside[i] is not None:
                if not in_unit:
                    cost += OUT_OF_UNIT_COST
                elif whole:
                    mid = (box.y0 + box.y1) / 2
                    ends = ax.transData.inverted().transform([[box.x0, mid], [box.x1, mid]])
                    cost += 2 * int((~inside[i].contains_points(ends)).sum())
            if best is None or cost < best[0]:
                best = (cost, pos, raw)
            if cost == 0:
                break
        if best is None:  # no offset stays inside the unit: keep the anchor
            label.set_position((x, y))
            best = (0, (x, y), label.get_window_extent(renderer))
        label.set_position(best[1])
        taken.append(best[2])


def _unit_labels(ax, data: MapData, focus: Focus | None, extent, frame, ctx: Ctx, markers: np.ndarray) -> list:
    """Name the quartiers when the scale allows, else the communes; return the texts drawn.

    Each name is moved off the facility symbols (``place_labels``) and drawn above them with a halo.
    """
    s = ctx.s
    x0, y0, x1, y1 = extent
    in_view = _in_extent(data.quartiers, extent, "label_x", "label_y")
    if in_view.sum() <= QUARTIER_LABELS_PER_SQ_IN * frame[0] * frame[1]:
        rows, style = data.quartiers[in_view], {"fontsize": 6.3 * s, "color": st.MUTED_TEXT, "style": "italic"}
        names, width, communes = [_wrap_label(n) for n in rows["name"]], 2.0, False
        paths = [data.quartier_paths[i] for i in np.flatnonzero(in_view)]
    else:
        keep = _in_extent(data.communes, extent, "label_x", "label_y")
        if focus is not None and focus.kind == "commune":  # its name is in the subtitle
            keep &= (data.communes["pcode"] != focus.key).to_numpy()
        rows, style = data.communes[keep], {"fontsize": 9.5 * s, "color": st.TEXT_COLOR, "fontweight": "bold"}
        names, width, communes = list(rows["name"]), 2.8, True
        paths = [data.commune_paths[i] for i in np.flatnonzero(keep)]
    anchors = list(zip(rows["label_x"], rows["label_y"], strict=True))
    labels = [
        text(ax, x, y, name, ha="center", va="center", zorder=16, clip_on=True, path_effects=halo(ctx, width), **style)
        for (x, y), name in zip(anchors, names, strict=True)
    ]
    place_labels(ax, labels, anchors, markers, ctx, inside=paths, whole=communes)
    return labels


def _facility_labels(ax, shown: pd.DataFrame, avoid: list, ctx: Ctx) -> None:
    """Name the facilities shown, each on the first side of its marker where it overlaps no other label.

    A name that fits nowhere inside the frame is left out (its marker stays).
    """
    renderer = ax.figure.canvas.get_renderer()
    frame = ax.get_window_extent(renderer)
    px = ax.figure.dpi / 72 * ctx.s  # pixels per scaled point
    taken = [t.get_window_extent(renderer).padded(2 * px) for t in avoid]
    taken += [Bbox.from_extents(*box) for box in furniture_boxes(ax, ctx)]
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
    """Scatter each facility layer of the view; return the facilities drawn inside the extent.

    As on the web map, approximate positions get a hollow symbol and the facilities left out
    of analyses (outside the District) a faded one.
    """
    s = ctx.s
    drawn = []
    for key in view.layers:
        style = st.LAYER_STYLES[key]
        rows = data.qa if key == "qa" else data.facilities[data.facilities["layer"] == key]
        rows = rows[_in_extent(rows, extent)] if len(rows) else rows
        if not len(rows):
            continue
        common = {"s": (style.size_pt * s) ** 2, "marker": style.marker, "zorder": style.zorder, "gid": MARKER_GID}
        if key == "qa":
            ax.scatter(rows["x"], rows["y"], facecolors="none", edgecolors=style.edge, linewidths=1.3 * s, **common)
            continue
        approx = approximate(rows)
        counted = data.is_counted(rows)
        for mask, look in (
            (~approx & counted, {"c": style.color, "edgecolors": style.edge, "linewidths": 0.6 * s}),
            (approx & counted, {"c": "white", "edgecolors": style.color, "linewidths": 1.4 * s}),
            (~counted, {"c": style.color, "edgecolors": style.edge, "linewidths": 0.6 * s, "alpha": OUTSIDE_ALPHA}),
        ):
            if mask.any():
                ax.scatter(rows["x"][mask], rows["y"][mask], **look, **common)
        drawn.append(rows)
    return pd.concat(drawn, ignore_index=True) if drawn else data.facilities.iloc[0:0]
