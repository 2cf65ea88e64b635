"""``bamako-atlas publish``: a static copy of the read-only atlas (see :mod:`webmap.publish.site`)."""

from webmap.publish.site import PublishReport, publish

__all__ = ["PublishReport", "publish"]
