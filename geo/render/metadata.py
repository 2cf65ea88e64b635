"""What a map file says about itself: title, credit, licences and date in PNG tEXt chunks and the PDF Info.

Keys are the PNG keywords of the PNG specification (``Title``, ``Author``,
``Description``, ``Copyright``, ``Creation Time``, ``Source``) and the PDF
document information entries (``Title``, ``Author``, ``Subject``,
``Keywords``, ``CreationDate``). The date is the store's build time, not the
time of the render, so the same store and parameters give the same bytes.
"""

from __future__ import annotations

from datetime import datetime

from geo.pipeline.sources import registry
from geo.render import styles as st
from geo.render.ctx import Ctx
from geo.vocabulary import ATTRIBUTION

AUTHOR = "Atlas de Bamako"


def licences() -> str:
    """Return each pinned source with its licence, e.g. ``communes: CC BY-IGO; …`` (data/sources.toml)."""
    return "; ".join(f"{key}: {source.licence}" for key, source in registry().items())


def file_metadata(
    fmt: str, *, title: str, place: str, ctx: Ctx, created: datetime | None, keywords: list[str]
) -> dict[str, object]:
    """Return matplotlib's ``savefig(metadata=...)`` for a PNG or a PDF of the map ``title`` of ``place``."""
    credit = ATTRIBUTION(ctx.lang)
    rights = ctx.t(st.N_("Crédit : %(credit)s. Chaque donnée reste sous la licence de sa source — %(licences)s."),
                   credit=credit, licences=licences())  # fmt: skip
    description = f"{title} — {place}"
    if fmt == "pdf":
        return {
            "Title": description,
            "Author": AUTHOR,
            "Subject": f"{description}. {rights}",
            "Keywords": ", ".join(keywords),
            "Creator": AUTHOR,
            "CreationDate": created,  # None: no date rather than the render time (reproducible bytes)
        }
    meta = {
        "Title": title,
        "Author": AUTHOR,
        "Description": description,
        "Source": credit,
        "Copyright": rights,
    }
    if created is not None:
        meta["Creation Time"] = created.isoformat(timespec="seconds")
    return meta
