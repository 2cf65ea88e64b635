"""Which features to export: a layer (or a facility kind) and filters, validated into an ``ExportRequest``."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import date

import geopandas as gpd

from geo.errors import InvalidParameter, LayerNotFound, UnitNotFound
from geo.spatial.query import UNIT_COLUMNS, parse_bbox
from geo.vocabulary import KINDS, LAYERS


@dataclass(frozen=True)
class ExportRequest:
    """Which features of which layer to export (validated; see ``parse_request``).

    ``alias`` is the facility kind used as a layer name (``cscom`` for
    ``facilities?kind=cscom``); ``kinds`` are in ``KINDS`` order; P-codes are
    upper case and sorted (a feature matches any of them); ``bbox`` is (minlon,
    minlat, maxlon, maxlat) in WGS84 degrees; ``scope`` is one of ``SCOPES``.
    """

    layer: str
    kinds: tuple[str, ...] = ()
    commune: tuple[str, ...] = ()
    quartier: tuple[str, ...] = ()
    bbox: tuple[float, float, float, float] | None = None
    alias: str | None = None
    scope: str = "district"

    @property
    def label(self) -> str:
        """Return the name of the selection: the kind for one-kind facilities, else the layer."""
        if self.alias:
            return self.alias
        if self.layer == "facilities" and len(self.kinds) == 1:
            return self.kinds[0]
        return self.layer

    def key(self) -> str:
        """Return a string identifying the selection (a cache key)."""
        bbox = ",".join(repr(v) for v in self.bbox) if self.bbox else ""
        units = f"{','.join(self.commune)}|{','.join(self.quartier)}"
        return f"{self.layer}|{','.join(self.kinds)}|{units}|{bbox}|{self.scope}"

    def stem(self, built_on: str) -> str:
        """Return the file name without extension, e.g. ``bamako-quartiers-commune-ml090105-2026-11-29``."""
        parts = ["bamako", self.label]
        if self.layer != "facilities" or len(self.kinds) != 1:
            parts += list(self.kinds)
        for word, value in (("commune", self.commune), ("quartier", self.quartier)):
            if value:
                parts += [word, *(code.lower() for code in value)]
        if self.bbox:
            parts.append("bbox")
        if self.scope != "district" and self.layer == "facilities":
            parts.append(self.scope)
        parts.append(built_on)
        return "-".join(parts).replace("_", "-")


def unit_pcodes(layers: Mapping[str, gpd.GeoDataFrame]) -> dict[str, frozenset[str]]:
    """Return the known P-codes by filter parameter: ``{"commune": …, "quartier": …}``."""
    return {
        "commune": frozenset(layers["communes"]["pcode"].astype(str)),
        "quartier": frozenset(layers["quartiers"]["pcode"].astype(str)),
    }


#: Query parameters of a layer export (the web API's and the CLI's filters).
PARAMETERS = ("kind", "commune", "quartier", "bbox", "scope")


def check_parameters(names: Collection[str]) -> None:
    """Raise InvalidParameter naming the first of ``names`` that is not in ``PARAMETERS``."""
    for name in names:
        if name not in PARAMETERS:
            raise InvalidParameter(name, f"unknown query parameter; accepted: {', '.join(PARAMETERS)}")


#: Which facilities a selection holds: ``district`` (default) those in the District (``in_analysis``);
#: ``all`` also those outside it, kept in the store and flagged ``in_analysis`` false / ``join_status`` outside.
SCOPES = ("district", "all")


def _split_kinds(text: str | Collection[str] | None) -> list[str]:
    if text is None:
        return []
    items = text.split(",") if isinstance(text, str) else [p for t in text for p in t.split(",")]
    return [p.strip() for p in items if p.strip()]


def parse_request(
    name: str,
    *,
    units: Mapping[str, Collection[str]],
    kind: str | Collection[str] | None = None,
    commune: str | Collection[str] | None = None,
    quartier: str | Collection[str] | None = None,
    bbox: str | None = None,
    scope: str | None = None,
) -> ExportRequest:
    """Validate a layer name and filters and return the export request.

    Parameters
    ----------
    name
        A store layer (``communes``, ``quartiers``, ``facilities``,
        ``qa_findings``) or a facility kind as a shortcut (``cscom``).
    units
        Known P-codes by parameter, from ``unit_pcodes``.
    kind
        Facility kinds, comma-separated or a list of comma-separated strings.
    commune, quartier
        P-codes (case-insensitive), comma-separated or a list: features in any of them.
    bbox
        ``"minlon,minlat,maxlon,maxlat"`` in WGS84 degrees.
    scope
        One of ``SCOPES`` (facility layers only; default ``district``).

    Raises
    ------
    LayerNotFound, UnitNotFound
        Unknown layer or kind, unknown P-code (the message lists the allowed values).
    InvalidParameter
        Malformed bbox, unknown scope, or a filter the layer does not support.
    """
    alias = None
    if name in KINDS:
        layer, alias = "facilities", name
    elif name in LAYERS:
        layer = name
    else:
        raise LayerNotFound(f"unknown layer {name!r}; available: {', '.join(LAYERS + tuple(KINDS))}")
    asked = _split_kinds(kind)
    unknown = [k for k in asked if k not in KINDS]
    if unknown:
        raise LayerNotFound(f"unknown kind {unknown[0]!r}; available: {', '.join(KINDS)}")
    if asked and layer in ("communes", "quartiers"):
        raise InvalidParameter("kind", f"layer {layer!r} has no facility kinds; use it without kind=")
    if alias:
        if asked and set(asked) != {alias}:
            raise InvalidParameter(
                "kind", f"layer {alias!r} already selects kind {alias!r}; use facilities?kind=… to combine kinds"
            )
        asked = [alias]
    kinds = tuple(k for k in KINDS if k in set(asked))
    pcodes: dict[str, tuple[str, ...]] = {}
    for parameter, value in (("commune", commune), ("quartier", quartier)):
        asked_codes = _split_kinds(value)
        if asked_codes and (layer, parameter) not in UNIT_COLUMNS:
            raise InvalidParameter(parameter, f"layer {name!r} cannot be filtered by {parameter}")
        for code in asked_codes:
            if code.upper() not in units[parameter]:
                allowed = ", ".join(sorted(units[parameter]))
                raise UnitNotFound(f"unknown {parameter} P-code {code!r}; available: {allowed}")
        pcodes[parameter] = tuple(sorted({code.upper() for code in asked_codes}))
    return ExportRequest(
        layer, kinds, pcodes["commune"], pcodes["quartier"], parse_bbox(bbox), alias, _scope(scope, layer)
    )


def _scope(value: str | None, layer: str) -> str:
    """Return the validated scope (``district`` when not given)."""
    if value is None or not value.strip():
        return "district"
    scope = value.strip().lower()
    if scope not in SCOPES:
        raise InvalidParameter("scope", f"unknown scope {value!r}; allowed: {', '.join(SCOPES)}")
    if layer != "facilities":
        raise InvalidParameter("scope", f"layer {layer!r} has no scope; it applies to facility layers")
    return scope


def build_date(meta: Mapping[str, object]) -> str:
    """Return the store's build date as ``YYYY-MM-DD`` (``undated`` when unknown)."""
    text = str(meta.get("built_at") or "")[:10]
    try:
        return date.fromisoformat(text).isoformat()
    except ValueError:
        return "undated"
