"""Vocabulary and schema of the atlas store: facility kinds, layer columns, CRS.

This module is the contract between the ingest modules, the store and the web
layer. Everything here is data; nothing reads files.
"""

from __future__ import annotations

from dataclasses import dataclass

#: Geographic CRS of every layer in the store (GeoJSON-friendly lon/lat).
STORE_CRS = "EPSG:4326"
#: Local metric CRS for every distance and area (UTM zone 29N covers Bamako).
METRIC_CRS = "EPSG:32629"
#: Credit line carried by every export and map.
ATTRIBUTION = "Limites : OCHA COD-AB ; équipements : OSM Mali / HOT Open Cities Bamako (2021), DNACPN"


@dataclass(frozen=True)
class Kind:
    """One facility kind of the controlled vocabulary."""

    key: str
    label_fr: str
    label_en: str
    group: str  # health | education | sports | waste


#: Controlled vocabulary of facility kinds, keyed by ``Kind.key``.
KINDS: dict[str, Kind] = {
    k.key: k
    for k in (
        Kind("cscom", "Centre de santé communautaire (CSCOM)", "Community health centre (CSCOM)", "health"),
        Kind("csref", "Centre de santé de référence (CSRef)", "Reference health centre (CSRef)", "health"),
        Kind("hospital", "Hôpital", "Hospital", "health"),
        Kind("clinic", "Clinique / cabinet médical", "Clinic / medical practice", "health"),
        Kind("pharmacy", "Pharmacie", "Pharmacy", "health"),
        Kind("health_other", "Autre structure de santé", "Other health facility", "health"),
        Kind("claec", "Centre de lecture (CLAEC)", "Children's reading centre (CLAEC)", "education"),
        Kind("kindergarten", "Jardin d'enfants", "Kindergarten", "education"),
        Kind("school", "École", "School", "education"),
        Kind("college", "Collège / lycée", "Secondary school", "education"),
        Kind("university", "Université / institut", "University / institute", "education"),
        Kind("plateau_sportif", "Plateau sportif", "Sports court (plateau sportif)", "sports"),
        Kind("stadium", "Stade", "Stadium", "sports"),
        Kind("sports_ground", "Terrain de sport", "Sports ground", "sports"),
        Kind("waste_site", "Dépôt de transit des déchets", "Waste transfer site", "waste"),
    )
}

#: Location precision values, from best to worst.
PRECISIONS = ("exact", "quartier", "commune")

#: Confidence levels of project-compiled places (data/places.csv), from worst to best.
CONFIDENCES = ("low", "low-medium", "medium", "medium-high", "high")

#: How a facility point relates to the District boundary after the spatial join.
#: ``inside``: within a quartier; ``snapped``: outside but within the snap
#: distance, assigned to the nearest unit; ``outside``: further out, kept in the
#: store and QA but excluded from analyses; ``unlocated``: no coordinates at all
#: (placed at its unit's representative point when the unit is known).
JOIN_STATUSES = ("inside", "snapped", "outside", "unlocated")

#: Points outside the District but closer than this are snapped to the nearest unit.
SNAP_DISTANCE_M = 250.0

#: Columns of the ``communes`` layer (plus geometry).
COMMUNE_COLUMNS = ("pcode", "name", "area_km2", "pop_2009", "pop_estimate", "pop_year")

#: Columns of the ``quartiers`` layer (plus geometry).
QUARTIER_COLUMNS = (
    "pcode",
    "name",
    "alt_name",
    "commune_pcode",
    "commune_name",
    "area_km2",
    "pop_estimate",
    "pop_method",
    "pop_year",
)

#: Columns of the ``facilities`` layer (plus point geometry in EPSG:4326).
#: Every ingest module returns at least ``SOURCE_FACILITY_COLUMNS``; the spatial
#: join adds the rest.
SOURCE_FACILITY_COLUMNS = (
    "id",  # stable across rebuilds of the same sources, e.g. "sante-0160"
    "kind",  # a key of KINDS
    "name",
    "commune_declared",  # as written in the source (may be empty)
    "quartier_declared",  # as written in the source (may be empty)
    "location_precision",  # one of PRECISIONS
    "sources",  # ";"-joined source keys of data/sources.toml or "places"
    "source_refs",  # ";"-joined row references within those sources
    "operator_type",  # private | public | community | religious | ngo | ""
    "beds",
    "doctors",
    "nurses",
    "opening_hours",
    "pupils",
    "confidence",  # one of CONFIDENCES, or "" (project-compiled places only)
    "note",
)
FACILITY_COLUMNS = SOURCE_FACILITY_COLUMNS + (
    "commune_pcode",
    "quartier_pcode",
    "join_status",  # one of JOIN_STATUSES
    "in_analysis",  # bool: False for ``outside`` points
)

#: Columns of the ``qa_findings`` layer (plus optional point geometry).
QA_COLUMNS = ("check", "facility_id", "facility_name", "kind", "commune_pcode", "evidence", "related_id")

#: Layer names in the store.
LAYERS = ("communes", "quartiers", "facilities", "qa_findings")


def kind_or_raise(key: str) -> Kind:
    """Return the Kind for ``key`` or raise InvalidParameter listing the allowed keys."""
    from geo.errors import InvalidParameter

    try:
        return KINDS[key]
    except KeyError:
        raise InvalidParameter("kind", f"unknown kind {key!r}; allowed: {', '.join(KINDS)}") from None
