"""The coverage paths of the /api/v1 OpenAPI document (``/coverage…``), with their media types; no Flask here."""

from __future__ import annotations

from typing import Any

from geo.analysis.coverage.access import KIND_GROUPS
from geo.analysis.coverage.indicators import MAX_THRESHOLD_M, UNIT_LEVELS
from geo.analysis.coverage.methods import COMMUNE_PREFIX, UNIFORM_IN_QUARTIER
from geo.analysis.coverage.suggest import MAX_SITES
from geo.analysis.population import COMMUNE_METHODS
from geo.analysis.travel.crossings import SEASONS
from geo.analysis.travel.indicators import MAX_THRESHOLD_MIN
from geo.analysis.travel.planning import DIFFERENCE_COLUMNS
from geo.analysis.travel.speeds import modes
from geo.vocabulary import KINDS

#: Media type of each ``format`` of the coverage API.
MEDIA_TYPES = {"json": "application/json", "csv": "text/csv", "fr.csv": "text/csv", "geojson": "application/geo+json"}
SUGGEST_FORMATS = ("json", "csv")


def _field(kind: str, description: str, *, nullable: bool = False, **extra: Any) -> dict:
    return {"type": kind, "description": description, **({"nullable": True} if nullable else {}), **extra}


_SHARE = {"minimum": 0, "maximum": 1}


def _unit_properties() -> dict[str, dict]:
    """Return the fields of one row of ``units`` (and of ``district``) of /coverage, in order."""
    methods = {
        f"share_covered_{m}": _field("number", f"Share covered with the population of method `{m}`.", nullable=True,
                                     **_SHARE)
        for m in ("dasymetric", UNIFORM_IN_QUARTIER, *(COMMUNE_PREFIX + c for c in COMMUNE_METHODS))
    }  # fmt: skip
    return {
        "rank": _field("integer", "1 = most people beyond the threshold; null without facility data.", nullable=True),
        "unit": _field("string", "Reporting unit.", enum=list(UNIT_LEVELS)),
        "pcode": _field("string", "COD-AB P-code of the unit."),
        "name": _field("string", "Name of the unit; null when unknown.", nullable=True),
        "commune_pcode": _field("string", "Commune of a quartier (unit=quartier only).", nullable=True),
        "commune_name": _field("string", "Name of that commune (unit=quartier only).", nullable=True),
        "kind": _field("string", "The kind asked."),
        "threshold_m": _field("number", "Straight-line distance in metres (straight-line answers)."),
        "method": _field("string", "Travel-time answers (mode given): `travel_time`.", enum=["travel_time"]),
        "mode": _field("string", "Travel-time answers: the travel mode."),
        "season": _field("string", "Travel-time answers: the season of the crossings.", enum=list(SEASONS)),
        "threshold_min": _field("number", "Travel-time answers: the threshold in minutes."),
        "pop": _field("integer", "Estimated inhabitants of the unit (atlas estimate, reference year)."),
        "pop_low": _field("integer", "Low bound of the unit's population: the quartier estimate's interval, the "
                          "lowest commune projection; null for the District (its total is fixed).", nullable=True),
        "pop_high": _field("integer", "High bound of the unit's population (see pop_low).", nullable=True),
        "pop_covered": _field("integer", "Inhabitants within the threshold of a facility."),
        "share_covered": _field("number", "pop_covered / pop (4 decimals); null without inhabitants.", nullable=True,
                                **_SHARE),
        "share_covered_low": _field("number", "Lowest share covered across the population methods compared "
                                    "(method.population_methods); <= share_covered.", nullable=True, **_SHARE),
        "share_covered_high": _field("number", "Highest share covered across the population methods; "
                                     ">= share_covered.", nullable=True, **_SHARE),
        **methods,
        "pop_uncovered": _field("integer", "Inhabitants beyond the threshold."),
        "mean_distance_m": _field("integer", "Population-weighted mean distance to the nearest facility (m).",
                                  nullable=True),
        "median_distance_m": _field("integer", "Population-weighted median distance (m).", nullable=True),
        "median_walk_min": _field("number", "Walking minutes of the median distance.", nullable=True),
        "mean_min": _field("number", "Travel-time answers: population-weighted mean minutes to the fastest "
                           "facility.", nullable=True),
        "median_min": _field("number", "Travel-time answers: population-weighted median minutes.", nullable=True),
        "facilities": _field("integer", "Facilities of the kind located in the unit."),
        "per_10k": _field("number", "Facilities per 10 000 inhabitants.", nullable=True),
        "pop_depending_on_approximate": _field("integer", "Covered inhabitants who would not be covered by the "
                                               "exactly placed facilities alone."),
        "share_depending_on_approximate": _field("number", "Their share of pop_covered.", nullable=True, **_SHARE),
        "pop_depending_on_unsurveyed": _field("integer", "Covered inhabitants who would not be covered by the "
                                              "facilities placed by a GPS survey alone (location_precision other "
                                              "than gps_survey)."),
        "share_depending_on_unsurveyed": _field("number", "Their share of pop_covered.", nullable=True, **_SHARE),
        "has_facility_data": _field("boolean", "False where the kind's list is partial and the unit has none."),
        "norm_per_10k": _field("number", "Planning norm, facilities per 10 000 (kinds with a norm)."),
        "below_norm": _field("boolean", "Below the norm (kinds with a norm)."),
        "facilities_missing": _field("integer", "Facilities needed to reach the norm (kinds with a norm)."),
    }  # fmt: skip


def coverage_schemas() -> dict[str, Any]:
    """Return the component schemas of the coverage responses (``CoverageUnit``, ``Coverage``)."""
    unit = {
        "type": "object",
        "description": "Coverage of one unit. With a scenario, compared fields also come as `<field>_before` and "
        "pop_covered, share_covered, pop_uncovered as `<field>_change`.",
        "properties": _unit_properties(),
    }
    document = {
        "type": "object",
        "properties": {
            "kind": {"type": "string"},
            "threshold_m": {"type": "number"},
            "unit": {"type": "string", "enum": list(UNIT_LEVELS)},
            "mode": {"type": "string", "description": "Travel mode (travel-time answers only)."},
            "season": {"type": "string", "enum": list(SEASONS)},
            "minutes": {"type": "number", "description": "Threshold in minutes (travel-time answers only)."},
            "method": {
                "type": "object",
                "description": "Which method produced every figure of the answer.",
                "properties": {
                    "name": {"type": "string", "enum": ["straight_line", "travel_time"]},
                    "mode": {"type": "string", "nullable": True},
                    "season": {"type": "string", "nullable": True, "enum": [*SEASONS, None]},
                    "speeds": {
                        "type": "object",
                        "description": "walk_kmh, offroad_detour (or detour for "
                        "straight lines), road_kmh per road class for motorised modes.",
                    },
                    "distance": {"type": "string"},
                    "population_methods": {
                        "type": "array",
                        "items": {"type": "string"},
                        "description": "Population methods the share range spans, the atlas's own first: "
                        f"`dasymetric` (quartier estimates spread by the school kernel), `{UNIFORM_IN_QUARTIER}` "
                        "(the same estimates spread evenly within each quartier), `commune_<method>` (another "
                        "2022 commune projection). Each is varied alone.",
                    },
                },
            },
            "district": {"$ref": "#/components/schemas/CoverageUnit"},
            "units": {"type": "array", "items": {"$ref": "#/components/schemas/CoverageUnit"}},
        },
    }
    return {"CoverageUnit": unit, "Coverage": document}


def _query(name: str, schema: dict, description: str) -> dict:
    return {"name": name, "in": "query", "required": False, "description": description, "schema": schema}


def _content(media_types: list[str], schema: dict | None = None) -> dict:
    """Return response content for ``media_types``: JSON as ``schema`` (default an object), the others as files."""

    def one(media_type: str) -> dict:
        if media_type.endswith("json"):
            return schema if schema is not None and media_type == MEDIA_TYPES["json"] else {"type": "object"}
        return {"type": "string", "format": "binary"}

    return {mt: {"schema": one(mt)} for mt in media_types}


def _get(
    op_id: str, summary: str, media_types: list[str], parameters: list, description: str, schema: dict | None = None
) -> dict:
    return {
        "get": {
            "operationId": op_id,
            "summary": summary,
            "description": description,
            "security": [],
            "parameters": parameters,
            "responses": {
                "200": {"description": "Coverage (ETag; gzip for text)", "content": _content(media_types, schema)},
                "400": {"$ref": "#/components/responses/BadRequest"},
            },
        }
    }


def coverage_paths() -> dict[str, Any]:
    """Return the ``/coverage…`` path items (public, GET only)."""
    kinds = sorted(set(KIND_GROUPS) | set(KINDS))
    query = [
        _query("kind", {"type": "string", "enum": kinds, "default": "cscom"}, "A kind group or a facility kind."),
        _query(
            "threshold_m",
            {"type": "number", "exclusiveMinimum": True, "minimum": 0, "maximum": MAX_THRESHOLD_M},
            "Straight-line distance in metres (EPSG:32629); default per kind. Not with mode/minutes/season.",
        ),
        _query(
            "mode",
            {"type": "string", "enum": list(modes())},
            "Travel mode: answer in minutes of least-cost "
            "travel time (the Niger crossed at its bridges) instead of straight-line metres. Motorised modes "
            "need a road layer. Absent: straight lines (default).",
        ),
        _query(
            "minutes",
            {"type": "number", "exclusiveMinimum": True, "minimum": 0, "maximum": MAX_THRESHOLD_MIN},
            "Travel-time threshold in minutes (alone: mode=walk); default the middle of "
            "BAMAKO_ATLAS_TRAVEL_THRESHOLDS_MIN (15).",
        ),
        _query(
            "season",
            {"type": "string", "enum": list(SEASONS)},
            "Season of the crossings (dry: the Sotuba causeway too); default BAMAKO_ATLAS_TRAVEL_SEASON.",
        ),
        _query("add", {"type": "string"}, "Scenario: hypothetical facilities, lon,lat;lon,lat (WGS 84 degrees)."),
        _query("remove", {"type": "string"}, "Scenario: facility ids left out, comma-separated."),
    ]
    unit = _query("unit", {"type": "string", "enum": list(UNIT_LEVELS), "default": "quartier"}, "Reporting unit.")
    commune = _query("commune", {"type": "string"}, "Keep only the units of this commune (P-code, e.g. ML090106).")
    k = _query("k", {"type": "integer", "minimum": 1, "maximum": MAX_SITES, "default": 3}, "Number of sites.")
    by_extension = {
        "name": "fmt",
        "in": "path",
        "required": True,
        "schema": {"type": "string", "enum": list(MEDIA_TYPES)},
    }
    suggest_by_extension = {**by_extension, "schema": {"type": "string", "enum": list(SUGGEST_FORMATS)}}
    return {
        "/coverage": _get(
            "getCoverage", "Coverage indicators per unit", [MEDIA_TYPES["json"]], [*query, unit, commune],
            "Inhabitants and share within the threshold, distances, facilities per 10 000 (JSON; other formats: "
            "/coverage.{fmt}; the older `?format=` redirects there). Shares come with their range across the "
            "population methods (share_covered_low/high), populations with their interval (pop_low/high).",
            {"$ref": "#/components/schemas/Coverage"},
        ),
        "/coverage.{fmt}": _get(
            "getCoverageFile", "Coverage indicators as a file", sorted(set(MEDIA_TYPES.values())),
            [by_extension, *query, unit, commune],
            "The same as /coverage, in the format named by the extension (attachment); fr.csv is the French-Excel "
            "CSV (';', decimal comma, French headings, oui/non).",
        ),
        "/coverage/suggest": _get(
            "suggestSites", "Where to build next (greedy maximal covering)", [MEDIA_TYPES["json"]], [*query, k],
            "The k sites that would newly cover the most people, with their gains (JSON).",
        ),
        "/coverage/suggest.{fmt}": _get(
            "suggestSitesFile", "Where to build next, as a file", [MEDIA_TYPES[f] for f in SUGGEST_FORMATS],
            [suggest_by_extension, *query, k], "The same as /coverage/suggest, in the format named by the extension.",
        ),
        "/coverage/catchments": _get(
            "getCatchments", "Nearest-facility areas and the people each serves", [MEDIA_TYPES["geojson"]],
            [q for q in query if q["name"] != "threshold_m"], "Clipped to the District; GeoJSON.",
        ),
        "/coverage/difference": _get(
            "getMethodDifference", "Straight line against travel time, per unit", [MEDIA_TYPES["json"]],
            [q for q in query if q["name"] not in ("threshold_m", "minutes")] + [unit],
            "At the kind's default straight-line threshold and its walking time: people whose fastest facility "
            "is not their nearest, who lose or gain coverage (mode default walk, unit default commune). Fields: "
            + ", ".join(DIFFERENCE_COLUMNS) + ".",
        ),
        "/coverage/difference.{fmt}": _get(
            "getMethodDifferenceFile", "The method difference as a file", [MEDIA_TYPES[f] for f in SUGGEST_FORMATS],
            [suggest_by_extension, *[q for q in query if q["name"] not in ("threshold_m", "minutes")], unit],
            "The same as /coverage/difference, in the format named by the extension.",
        ),
        "/coverage/surface.png": _get(
            "getCoverageSurface", "Distance image beyond the threshold", ["image/png"], query,
            "Cells beyond the threshold shaded by distance bands (bounds in the coverage page config).",
        ),
    }  # fmt: skip
