"""Map furniture: a scale bar in true metres and a north arrow turned to true north."""

from __future__ import annotations

import math

from matplotlib.patches import FancyBboxPatch, Polygon, Rectangle
from pyproj import Transformer

from geo.render import styles as st
from geo.render.cartography import grid_north_angle_deg, scale_bar
from geo.render.ctx import Ctx, halo, text
from geo.vocabulary import METRIC_CRS, STORE_CRS

_TO_LONLAT = Transformer.from_crs(METRIC_CRS, STORE_CRS, always_xy=True)


def draw_scale_bar(ax, extent, frame, ctx: Ctx) -> None:
    """Draw a scale bar in the lower left corner; the map is in UTM metres so lengths are true."""
    s = ctx.s
    x0, y0, x1, y1 = extent
    m_per_pt = (x1 - x0) / (frame[0] * 72)
    bar = scale_bar(x1 - x0, fraction=0.25)
    bx, by = x0 + 14 * s * m_per_pt, y0 + 14 * s * m_per_pt
    bh = 3.6 * s * m_per_pt
    values = bar.tick_values()
    labelled = {0, len(bar.ticks_m) - 1} | ({(len(bar.ticks_m) - 1) // 2} if (len(bar.ticks_m) - 1) % 2 == 0 else set())
    pad = 6 * s * m_per_pt
    ax.add_patch(
        FancyBboxPatch(
            (bx - pad, by - pad),
            bar.length_m + 2 * pad + 14 * s * m_per_pt,
            bh + 2 * pad + 9 * s * m_per_pt,
            boxstyle="round,pad=0,rounding_size=%g" % (2 * s * m_per_pt),
            facecolor=(1, 1, 1, 0.82),
            edgecolor="none",
            zorder=20,
        )
    )
    for i in range(len(bar.ticks_m) - 1):
        ax.add_patch(
            Rectangle(
                (bx + bar.ticks_m[i], by),
                bar.ticks_m[i + 1] - bar.ticks_m[i],
                bh,
                facecolor="#222222" if i % 2 == 0 else "white",
                edgecolor="#222222",
                linewidth=0.6 * s,
                zorder=21,
            )
        )
    for i in sorted(labelled):
        label = ctx.dec(values[i]) + (f" {bar.unit}" if i == len(bar.ticks_m) - 1 else "")
        text(
            ax,
            bx + bar.ticks_m[i],
            by + bh + 1.5 * s * m_per_pt,
            label,
            ha="center",
            va="bottom",
            fontsize=6.5 * s,
            color=st.TEXT_COLOR,
            zorder=22,
        )


def draw_north_arrow(ax, extent, frame, ctx: Ctx) -> None:
    """Draw a north arrow in the upper right corner, turned to true north (grid convergence)."""
    s = ctx.s
    x0, y0, x1, y1 = extent
    lon, lat = _TO_LONLAT.transform((x0 + x1) / 2, (y0 + y1) / 2)
    angle = math.radians(grid_north_angle_deg(lon, lat))
    w_in, h_in = 0.34 * s, 0.56 * s
    inset = ax.inset_axes(
        (1 - (w_in + 0.12 * s) / frame[0], 1 - (h_in + 0.1 * s) / frame[1], w_in / frame[0], h_in / frame[1]), zorder=25
    )
    unit = w_in / 2
    inset.set_xlim(-1, 1)
    inset.set_ylim(-1.05, -1.05 + h_in / unit)
    inset.set_axis_off()
    inset.add_patch(
        FancyBboxPatch(
            (-1, -1.05),
            2,
            h_in / unit,
            boxstyle="round,pad=0,rounding_size=0.3",
            facecolor=(1, 1, 1, 0.82),
            edgecolor="none",
        )
    )
    cos, sin = math.cos(angle), math.sin(angle)

    def turn(points):
        return [(x * cos + y * sin, -x * sin + y * cos) for x, y in points]

    inset.add_patch(
        Polygon(
            turn([(0, 1), (-0.6, -0.9), (0, -0.45)]),
            closed=True,
            facecolor="#222222",
            edgecolor="#222222",
            linewidth=0.6 * s,
        )
    )
    inset.add_patch(
        Polygon(
            turn([(0, 1), (0.6, -0.9), (0, -0.45)]),
            closed=True,
            facecolor="white",
            edgecolor="#222222",
            linewidth=0.6 * s,
        )
    )
    nx, ny = turn([(0, 1.25)])[0]
    text(
        inset,
        nx,
        ny,
        "N",
        ha="center",
        va="bottom",
        fontsize=9 * s,
        fontweight="bold",
        color=st.TEXT_COLOR,
        path_effects=halo(ctx, 2.4),
    )
