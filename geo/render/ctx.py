"""Per-render context shared by the drawing modules: translation, number formats, text helpers."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from babel.numbers import format_decimal
from matplotlib import patheffects

Translate = Callable[[str], str]


@dataclass(frozen=True)
class Ctx:
    """Per-render settings shared by the drawing helpers."""

    tr: Translate
    lang: str
    s: float  # text and marker scale (1 on A4)

    def t(self, source: str, **values: object) -> str:
        """Translate ``source`` and fill its ``%(placeholders)s``; a broken translation falls back to French."""
        try:
            return self.tr(source) % values
        except (KeyError, TypeError, ValueError):
            return source % values

    def num(self, value: float) -> str:
        """Format a whole number the local way (narrow no-break space in French)."""
        return format_decimal(round(value), format="#,##0", locale=self.lang)

    def fmt(self, value: float, decimals: int = 0) -> str:
        """Format a number with ``decimals`` places the local way."""
        pattern = "#,##0" + ("." + "0" * decimals if decimals > 0 else "")
        return format_decimal(
            round(value, decimals) if decimals > 0 else round(value), format=pattern, locale=self.lang
        )

    def dec(self, value: float) -> str:
        """Format a short decimal (scale bar ticks)."""
        return format_decimal(value, format="#,##0.#", locale=self.lang)


def text(target, x, y, s, **kw):
    """Add a text that is never parsed as math or TeX (names may contain ``$``)."""
    return target.text(x, y, s, parse_math=False, usetex=False, **kw)


def halo(ctx: Ctx, width: float = 2.4):
    """Return a white outline so labels stay readable over fills and markers."""
    return [patheffects.withStroke(linewidth=width * ctx.s, foreground="white")]
