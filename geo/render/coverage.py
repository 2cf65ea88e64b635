"""The coverage map (``/maps/coverage.png|pdf``): quartiers by share covered, facilities and scenario points.

The caller (``webmap.views.coverage``) computes the shares and translates the
texts; this module only holds what to draw and draws the points. The rest of
the page (frame, boundaries, names, legend layout, footer) is the other maps'.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from geo.render import styles as st
from geo.render.ctx import Ctx

#: Marker of a hypothetical facility (scenario) and of a removed one.
ADDED_STYLE = st.LayerStyle("#111111", "*", 11.0, edge="white", zorder=13)
REMOVED_STYLE = st.LayerStyle("#777777", "X", 7.5, edge="white", zorder=12)


def _empty_points() -> pd.DataFrame:
    return pd.DataFrame({"x": pd.Series(dtype=float), "y": pd.Series(dtype=float)})


@dataclass(frozen=True)
class CoverageLayer:
    """What the coverage map draws instead of an indicator; texts already translated.

    ``classes`` is each quartier's class (aligned with ``MapData.quartiers``,
    -1: no value); points are in EPSG:32629 metres: ``facilities`` (``x``,
    ``y``, ``approximate``) are those analysed after the scenario's removals,
    ``added`` the hypothetical ones and ``removed`` the facilities taken out.
    """

    title: str
    subtitle: str
    legend_title: str
    legend_caption: str
    classes: np.ndarray
    colors: tuple[str, ...]
    labels: tuple[str, ...]
    no_value_label: str
    layer: str  # facility layer key whose symbol the facilities take
    facilities_title: str
    facilities_caption: str
    facilities_label: str
    approximate_label: str
    added_label: str
    removed_label: str
    method: str = ""  # how the shares were computed (straight line or travel time): a footer line
    facilities: pd.DataFrame = field(default_factory=_empty_points)
    added: pd.DataFrame = field(default_factory=_empty_points)
    removed: pd.DataFrame = field(default_factory=_empty_points)

    def fills(self, no_value: str) -> list[str]:
        """Return the fill of each quartier."""
        return [self.colors[i] if i >= 0 else no_value for i in self.classes]

    @property
    def style(self) -> st.LayerStyle:
        """Return the symbol of the facilities."""
        return st.LAYER_STYLES[self.layer]

    @property
    def has_approximate(self) -> bool:
        """Return True when some facility is placed only to its quartier or commune."""
        return bool(len(self.facilities) and self.facilities["approximate"].any())


def _in_extent(points: pd.DataFrame, extent) -> pd.DataFrame:
    x0, y0, x1, y1 = extent
    x, y = points["x"].to_numpy(dtype=float), points["y"].to_numpy(dtype=float)
    return points[(x >= x0) & (x <= x1) & (y >= y0) & (y <= y1)]


def draw_points(ax, layer: CoverageLayer, extent, ctx: Ctx) -> None:
    """Draw the facilities (hollow where approximate), the removed ones and the added ones."""
    s = ctx.s
    style = layer.style
    fac = _in_extent(layer.facilities, extent)
    approx = fac["approximate"].to_numpy(dtype=bool)
    area = (style.size_pt * s) ** 2
    common = {"s": area, "marker": style.marker, "zorder": style.zorder, "gid": st.MARKER_GID}
    ax.scatter(fac["x"][~approx], fac["y"][~approx], c=style.color, edgecolors=style.edge, linewidths=0.6 * s, **common)
    if approx.any():
        ax.scatter(fac["x"][approx], fac["y"][approx], c="white", edgecolors=style.color, linewidths=1.4 * s, **common)
    for points, mark in ((layer.removed, REMOVED_STYLE), (layer.added, ADDED_STYLE)):
        points = _in_extent(points, extent)
        if len(points):
            ax.scatter(points["x"], points["y"], s=(mark.size_pt * s) ** 2, marker=mark.marker, c=mark.color,
                       edgecolors=mark.edge, linewidths=0.6 * s, zorder=mark.zorder, gid=st.MARKER_GID)  # fmt: skip
