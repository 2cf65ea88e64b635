"""Vocabulary and schema of the atlas: kinds, groups, layers, titles, attribution, CRS and units.

The one place for each of these facts, in French and English: the ingest
modules, the store, the analyses, the exports and the web layer read them from
here. Data vocabulary is written as :class:`Text` pairs; interface text goes
through gettext (``webmap/translations``). Everything here is data; nothing
reads files.
"""

from __future__ import annotations

from dataclasses import dataclass

#: Geographic CRS of every layer in the store (GeoJSON-friendly lon/lat, degrees).
STORE_CRS = "EPSG:4326"
#: Local metric CRS for every distance and area (UTM zone 29N covers Bamako; metres).
METRIC_CRS = "EPSG:32629"
#: Languages of the data vocabulary (French first: the atlas' language).
LANGUAGES = ("fr", "en")


def _keyed(*items):
    """Return ``items`` keyed by their ``key``, in order (a registry)."""
    return {item.key: item for item in items}


@dataclass(frozen=True)
class Text:
    """A text of the data vocabulary in French and English."""

    fr: str
    en: str

    def __call__(self, lang: str) -> str:
        """Return the text in ``lang`` (``en`` gives English, anything else French)."""
        return self.en if lang == "en" else self.fr


#: Credit line of every map, export and document.
ATTRIBUTION = Text(
    "Limites : OCHA COD-AB ; équipements : OSM Mali / HOT Open Cities Bamako (2021), DNACPN",
    "Boundaries: OCHA COD-AB; facilities: OSM Mali / HOT Open Cities Bamako (2021), DNACPN",
)

#: How completely the atlas knows a kind across the District:
#: "surveyed" — the 2021 Open Cities surveys (health, education, waste) and the
#: DNACPN register set out to cover the whole District: a unit without a point has
#: no such facility as far as those sources go (centres opened since, or missed, are not known);
#: "network" — a complete list of one named network, here the six CLAEC of the
#: Angers–Bamako twinning (one per commune); other reading centres are not mapped;
#: "partial" — a hand-compiled, knowingly incomplete list (data/places.csv): a
#: unit without a point has *no data*, not *no facility*.
DATA_LEVELS = ("surveyed", "network", "partial")

#: Sectors of the facility kinds (``Kind.group``), in menu order.
GROUP_LABELS: dict[str, Text] = {
    "health": Text("Santé", "Health"),
    "education": Text("Éducation", "Education"),
    "sports": Text("Sport", "Sports"),
    "waste": Text("Déchets", "Waste"),
}


@dataclass(frozen=True)
class MapLayer:
    """A facility layer of the maps: its title and short name (after an indicator: "… : CSCOM")."""

    key: str
    title: Text
    short: Text


#: Facility layers of the web and printed maps, in menu order; their kinds are ``Kind.layer``.
MAP_LAYERS: dict[str, MapLayer] = _keyed(
    MapLayer("cscom", Text("CSCOM (centres de santé communautaires)", "CSCOM (community health centres)"),
             Text("CSCOM", "CSCOM")),
    MapLayer("hospitals", Text("CSRef et hôpitaux", "CSRef and hospitals"),
             Text("CSRef et hôpitaux", "CSRef and hospitals")),
    MapLayer("claec", Text("CLAEC (centres de lecture pour enfants)", "CLAEC (children's reading centres)"),
             Text("CLAEC", "CLAEC")),
    MapLayer("kindergartens", Text("Jardins d'enfants", "Kindergartens"), Text("Jardins d'enfants", "Kindergartens")),
    MapLayer("schools", Text("Écoles, collèges et universités", "Schools, secondary schools and universities"),
             Text("Écoles", "Schools")),
    MapLayer("sports", Text("Terrains et plateaux sportifs", "Sports grounds and courts"), Text("Sport", "Sports")),
    MapLayer("other_health", Text("Cliniques, pharmacies, autres soins", "Clinics, pharmacies, other care"),
             Text("Autres soins", "Other care")),
    MapLayer("waste", Text("Dépôts de transit des déchets", "Waste transfer sites"),
             Text("Dépôts de déchets", "Waste sites")),
    MapLayer("qa", Text("Qualité des données : signalements", "Data quality: findings"),
             Text("Signalements", "Findings")),  # the data-quality findings: no kind
)  # fmt: skip


@dataclass(frozen=True)
class Kind:
    """One facility kind: label, sector (``group``), map layer and data completeness (``DATA_LEVELS``)."""

    key: str
    label: Text
    group: str  # a key of GROUP_LABELS
    layer: str  # a key of MAP_LAYERS
    data: str  # one of DATA_LEVELS

    @property
    def label_fr(self) -> str:
        """Return the French label."""
        return self.label.fr

    @property
    def label_en(self) -> str:
        """Return the English label."""
        return self.label.en


#: Controlled vocabulary of facility kinds, keyed by ``Kind.key``.
KINDS: dict[str, Kind] = _keyed(
    Kind("cscom", Text("Centre de santé communautaire (CSCOM)", "Community health centre (CSCOM)"),
         "health", "cscom", "surveyed"),
    Kind("csref", Text("Centre de santé de référence (CSRef)", "Reference health centre (CSRef)"),
         "health", "hospitals", "surveyed"),
    Kind("hospital", Text("Hôpital", "Hospital"), "health", "hospitals", "surveyed"),
    Kind("clinic", Text("Clinique / cabinet médical", "Clinic / medical practice"), "health", "other_health",
         "surveyed"),
    Kind("pharmacy", Text("Pharmacie", "Pharmacy"), "health", "other_health", "surveyed"),
    Kind("health_other", Text("Autre structure de santé", "Other health facility"), "health", "other_health",
         "surveyed"),
    Kind("claec", Text("Centre de lecture (CLAEC)", "Children's reading centre (CLAEC)"), "education", "claec",
         "network"),
    Kind("kindergarten", Text("Jardin d'enfants", "Kindergarten"), "education", "kindergartens", "surveyed"),
    Kind("school", Text("École", "School"), "education", "schools", "surveyed"),
    Kind("college", Text("Collège / lycée", "Secondary school"), "education", "schools", "surveyed"),
    Kind("university", Text("Université / institut", "University / institute"), "education", "schools",
         "surveyed"),
    Kind("plateau_sportif", Text("Plateau sportif", "Sports court (plateau sportif)"), "sports", "sports",
         "partial"),
    Kind("stadium", Text("Stade", "Stadium"), "sports", "sports", "partial"),
    Kind("sports_ground", Text("Terrain de sport", "Sports ground"), "sports", "sports", "partial"),
    Kind("waste_site", Text("Dépôt de transit des déchets", "Waste transfer site"), "waste", "waste", "surveyed"),
)  # fmt: skip

#: Map layer key → the facility kinds it shows (in ``KINDS`` order; ``qa`` shows findings, no kind).
FACILITY_LAYERS: dict[str, tuple[str, ...]] = {
    layer: tuple(k.key for k in KINDS.values() if k.layer == layer) for layer in MAP_LAYERS
}


@dataclass(frozen=True)
class KindGroup:
    """Kinds analysed together under one key: label, "within X of …" title and the map layer standing for them.

    ``within`` holds the ``%(distance)s`` placeholder (gettext's style).
    """

    key: str
    kinds: tuple[str, ...]
    label: Text
    within: Text
    layer: str


#: Kind groups usable wherever a kind is asked for (coverage); every kind key is also one on its own.
KIND_GROUPS: dict[str, KindGroup] = _keyed(
    KindGroup("cscom", ("cscom",), MAP_LAYERS["cscom"].title,
              Text("Habitants à moins de %(distance)s d'un CSCOM", "Inhabitants within %(distance)s of a CSCOM"),
              "cscom"),
    KindGroup("health_primary", ("cscom", "csref"), Text("CSCOM et CSRef", "CSCOM and CSRef"),
              Text("Habitants à moins de %(distance)s d'un CSCOM ou d'un CSRef",
                   "Inhabitants within %(distance)s of a CSCOM or a CSRef"), "cscom"),
    KindGroup("health", ("cscom", "csref", "hospital", "clinic", "health_other"),
              Text("Tous soins : CSCOM, CSRef, hôpitaux, cliniques", "All care: CSCOM, CSRef, hospitals, clinics"),
              Text("Habitants à moins de %(distance)s d'un établissement de santé",
                   "Inhabitants within %(distance)s of a health facility"), "hospitals"),
    KindGroup("claec", ("claec",), MAP_LAYERS["claec"].title,
              Text("Habitants à moins de %(distance)s d'un CLAEC", "Inhabitants within %(distance)s of a CLAEC"),
              "claec"),
    KindGroup("sports", FACILITY_LAYERS["sports"], MAP_LAYERS["sports"].title,
              Text("Habitants à moins de %(distance)s d'un terrain de sport",
                   "Inhabitants within %(distance)s of a sports ground"), "sports"),
    KindGroup("schools", ("kindergarten", "school"), Text("Écoles et jardins d'enfants", "Schools and kindergartens"),
              Text("Habitants à moins de %(distance)s d'une école ou d'un jardin d'enfants",
                   "Inhabitants within %(distance)s of a school or a kindergarten"), "schools"),
)  # fmt: skip


def data_level(kinds) -> str:
    """Return how completely the atlas knows ``kinds``: the weakest of their ``DATA_LEVELS`` (unknown: partial)."""
    levels = {KINDS[k].data if k in KINDS else "partial" for k in kinds}
    return max(levels, key=DATA_LEVELS.index, default="surveyed")


#: Kinds under which one facility is often recorded twice (a CSCOM tagged as a clinic, a pitch recorded
#: as a stadium): a row and an existing facility of one set may be the same place.
COMPATIBLE_KINDS: tuple[frozenset[str], ...] = (
    frozenset(KIND_GROUPS["health"].kinds),
    frozenset({"kindergarten", "school", "college"}),
    frozenset({"college", "university"}),
    frozenset(KIND_GROUPS["sports"].kinds),
)

#: Location precision classes, from best to worst, with their labels. The first five are points at
#: the facility itself (``POINT_PRECISIONS``); "quartier" and "commune" are a unit's representative
#: point (``PLACED_PRECISIONS``). See data/README.md "Position precision" for the reasoning.
PRECISION_LABELS: dict[str, Text] = {
    "gps_survey": Text("Point GPS du relevé 2021", "2021 survey GPS point"),
    "sheet_dms_conflict": Text(
        "Point GPS du relevé 2021 (la fiche DNACPN donne un autre point)",
        "2021 survey GPS point (the DNACPN sheet gives another point)",
    ),
    "sheet_dms": Text(
        "Coordonnées saisies de la fiche DNACPN (non vérifiées)", "Coordinates typed in the DNACPN sheet (unverified)"
    ),
    "cited_point": Text("Point tiré d'une source citée", "Point taken from a cited source"),
    "exact": Text("Point saisi par un utilisateur (édition ou import)", "Point entered by a user (edit or import)"),
    "quartier": Text("Approximative : quartier", "Approximate: quartier"),
    "commune": Text("Approximative : commune", "Approximate: commune"),
}
PRECISIONS = tuple(PRECISION_LABELS)
#: Precisions placed at a unit's representative point, not at the facility.
PLACED_PRECISIONS = ("quartier", "commune")
#: Precisions that are a point at the facility itself.
POINT_PRECISIONS = tuple(p for p in PRECISIONS if p not in PLACED_PRECISIONS)

#: Confidence levels of project-compiled places (data/places.csv), from worst to best, with their labels
#: ("": not known).
CONFIDENCE_LABELS: dict[str, Text] = {
    "": Text("Non renseignée", "Not known"),
    "low": Text("Faible", "Low"),
    "low-medium": Text("Faible à moyenne", "Low to medium"),
    "medium": Text("Moyenne", "Medium"),
    "medium-high": Text("Moyenne à élevée", "Medium to high"),
    "high": Text("Élevée", "High"),
}
CONFIDENCES = tuple(k for k in CONFIDENCE_LABELS if k)

#: Who runs a facility (``operator_type``; "": not known), with its label.
OPERATOR_LABELS: dict[str, Text] = {
    "": Text("Non renseigné", "Not known"),
    "public": Text("Public", "Public"),
    "community": Text("Communautaire", "Community"),
    "private": Text("Privé", "Private"),
    "religious": Text("Confessionnel", "Religious"),
    "ngo": Text("ONG", "NGO"),
}

#: How a facility point relates to the District boundary after the spatial join.
#: ``inside``: within a quartier; ``snapped``: outside but within the snap
#: distance, assigned to the nearest unit; ``outside``: further out, kept in the
#: store and QA but excluded from analyses; ``unlocated``: no coordinates at all
#: (placed at its unit's representative point when the unit is known).
JOIN_STATUSES = ("inside", "snapped", "outside", "unlocated")

#: Labels of ``JOIN_STATUSES``.
JOIN_STATUS_LABELS: dict[str, Text] = {
    "inside": Text("dans un quartier", "inside a quartier"),
    "snapped": Text("juste hors du District, rattaché au quartier le plus proche",
                    "just outside the District, assigned to the nearest quartier"),
    "outside": Text("hors du District", "outside the District"),
    "unlocated": Text("sans coordonnées", "no coordinates"),
}  # fmt: skip
#: States of a facility in the planners' register (``status``), with their labels.
STATUS_LABELS: dict[str, Text] = {"active": Text("en service", "active"), "retired": Text("retiré", "retired")}
#: Yes and no (``in_analysis`` and other booleans).
BOOLEAN_LABELS: dict[bool, Text] = {True: Text("oui", "yes"), False: Text("non", "no")}
#: Who added a facility (``sources``) besides the upstream sources and the project's places: the planners.
PLANNER_SOURCE_LABEL = Text("Planificateurs de l'atlas", "The atlas's planners")

#: Points outside the District but closer than this are snapped to the nearest unit.
SNAP_DISTANCE_M = 250.0

#: Columns of the ``communes`` layer (plus geometry).
COMMUNE_COLUMNS = (
    "pcode",
    "name",
    "area_km2",
    "pop_2009",
    "pop_estimate",
    "pop_uniform",
    "pop_growth",
    "pop_low",
    "pop_high",
    "pop_commune_method",
    "pop_year",
)

#: Columns of the ``quartiers`` layer (plus geometry).
QUARTIER_COLUMNS = (
    "pcode",
    "name",
    "alt_name",
    "commune_pcode",
    "commune_name",
    "area_km2",
    "pop_estimate",
    "pop_low",
    "pop_high",
    "pop_method",
    "pop_evidence",
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
    "note",  # in English, as the sources and the build write it
    "note_fr",  # its French text where the source gives one (data/places.csv), else empty
)
#: Columns the SNISI reconciliation fills on CSCOMs (null elsewhere): the SNISI 2016 health-area code and
#: name (the ASACO).
HEALTH_AREA_COLUMNS = ("health_area_code", "health_area_name")
FACILITY_COLUMNS = SOURCE_FACILITY_COLUMNS + (
    "commune_pcode",
    "quartier_pcode",
    "join_status",  # one of JOIN_STATUSES
    "in_analysis",  # bool: False for ``outside`` points
    *HEALTH_AREA_COLUMNS,
)

#: Columns of the per-commune table comparing the atlas's CSCOMs with the SNISI 2016 health areas
#: (store table and package ``csv/snisi_comparison.csv``; a last row for the District).
SNISI_COMPARISON_COLUMNS = (
    "commune_pcode",
    "commune_name",
    "snisi_health_areas",  # SNISI 2016 community health areas (ASACOs) of the commune
    "atlas_cscoms",  # CSCOMs of the atlas in the commune (in the analyses)
    "matched_to_snisi",  # of them, matched to a SNISI health area
    "atlas_not_in_snisi",  # of them, kept as CSCOM without a SNISI area (with the reason in their note)
    "snisi_without_atlas",  # SNISI health areas without a CSCOM in the atlas
    "snisi_unmatched_names",  # their names, ", "-joined
)

#: Columns of the ``qa_findings`` layer (plus optional point geometry).
QA_COLUMNS = ("check", "facility_id", "facility_name", "kind", "commune_pcode", "evidence", "related_id")

#: Layers the store keeps for the atlas itself, not published: the District outline (geo.spatial.district).
INTERNAL_LAYERS = ("district",)
#: Columns of the ``district`` layer (plus the outline polygon).
DISTRICT_COLUMNS = ("pcode", "name", "area_km2")
#: P-code and name of the District of Bamako (COD-AB admin 2), the one unit above the communes.
DISTRICT_PCODE = "ML0901"
DISTRICT_NAME = "District de Bamako"


@dataclass(frozen=True)
class StoreLayer:
    """A layer of the store as published (exports, package, OGC API): its title and description."""

    key: str
    title: Text
    description: Text


#: Published layers of the store, in listing order.
STORE_LAYERS: dict[str, StoreLayer] = _keyed(
    StoreLayer(
        "communes",
        Text("Communes du District de Bamako", "Communes of the District of Bamako"),
        Text(
            "Les six communes du District (limites OCHA COD-AB admin 3, polygones), avec superficie, "
            "population du RGPH 2009 et population estimée.",
            "The six communes of the District (OCHA COD-AB admin-3 boundaries, polygons), with area, "
            "2009 census population and estimated population.",
        ),
    ),
    StoreLayer(
        "quartiers",
        Text("Quartiers (unités admin 4 COD-AB)", "Quartiers (COD-AB admin-4 units)"),
        Text(
            "Les unités admin 4 de COD-AB (polygones) : quartiers et deux zones surtout non résidentielles "
            "(Zone Industrielle, Zone aéroportuaire), avec population estimée.",
            "The COD-AB admin-4 units (polygons): quartiers and two mostly non-residential zones "
            "(Zone Industrielle, Zone aéroportuaire), with estimated population.",
        ),
    ),
    StoreLayer(
        "facilities",
        Text("Équipements (santé, éducation, sport, déchets)", "Facilities (health, education, sports, waste)"),
        Text(
            "Un point par équipement : inventaire DNACPN des CSCOM, enquêtes 2021 OSM Mali / HOT Open Cities "
            "(santé, éducation, déchets) et lieux compilés par le projet (CLAEC, terrains de sport…). Un "
            "équipement sans coordonnées est placé au point représentatif de son quartier ou de sa commune "
            "(voir location_precision).",
            "One point per facility: DNACPN inventory of CSCOMs, 2021 OSM Mali / HOT Open Cities surveys "
            "(health, education, waste) and places compiled by the project (CLAEC, sports grounds…). A "
            "facility without coordinates is placed at the representative point of its quartier or commune "
            "(see location_precision).",
        ),
    ),
    StoreLayer(
        "qa_findings",
        Text("Anomalies de qualité des données", "Data-quality findings"),
        Text(
            "Résultats des contrôles automatiques de la construction : une ligne par anomalie, au point de "
            "l'équipement concerné quand il en a un. À vérifier sur le terrain avant correction.",
            "Results of the automatic checks run by the build: one row per finding, at the point of the "
            "facility concerned when it has one. To be verified on the ground before any correction.",
        ),
    ),
)
#: Names of the published layers of the store.
LAYERS = tuple(STORE_LAYERS)

#: Quartier population methods (``pop_method`` of the quartiers; ``commune_share``: no quartier split).
POP_METHODS: dict[str, Text] = {
    "dasymetric": Text("répartition selon la densité d'écoles et la surface", "split by school density and area"),
    "areal": Text("répartition selon la surface", "split by area"),
    "commune_share": Text("part de la commune au recensement de 2009", "the commune's share at the 2009 census"),
}


#: Controlled values shown to readers: column → value → label (``value_label``); kinds come from ``KINDS``.
VALUE_LABELS: dict[str, dict] = {
    "kind": {k: kind.label for k, kind in KINDS.items()},
    "location_precision": PRECISION_LABELS,
    "confidence": CONFIDENCE_LABELS,
    "operator_type": OPERATOR_LABELS,
    "join_status": JOIN_STATUS_LABELS,
    "status": STATUS_LABELS,
    "in_analysis": BOOLEAN_LABELS,
    "pop_method": POP_METHODS,
}


def value_label(column: str, value: object, lang: str = "fr") -> str:
    """Return a controlled value of ``column`` as readers see it in ``lang`` (unknown values as written)."""
    if isinstance(value, bool) or type(value).__name__ == "bool_":
        value = bool(value)
    labels = VALUE_LABELS.get(column, BOOLEAN_LABELS if isinstance(value, bool) else {})
    try:
        label = labels.get(value)
    except TypeError:  # an unhashable value is not a controlled one
        label = None
    return label(lang) if label is not None else ("" if value is None else str(value))


def kind_or_raise(key: str) -> Kind:
    """Return the Kind for ``key`` or raise InvalidParameter listing the allowed keys."""
    from geo.errors import InvalidParameter

    try:
        return KINDS[key]
    except KeyError:
        raise InvalidParameter("kind", f"unknown kind {key!r}; allowed: {', '.join(KINDS)}") from None
