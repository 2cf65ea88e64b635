"""The coverage paths of the /api/v1 OpenAPI document (``/coverage…``), with their media types; no Flask here."""

from __future__ import annotations

from typing import Any

from geo.analysis.coverage.access import KIND_GROUPS
from geo.analysis.coverage.indicators import MAX_THRESHOLD_M, UNIT_LEVELS
from geo.analysis.coverage.suggest import MAX_SITES
from geo.vocabulary import KINDS

#: Media type of each ``format`` of the coverage API.
MEDIA_TYPES = {"json": "application/json", "csv": "text/csv", "fr.csv": "text/csv", "geojson": "application/geo+json"}
SUGGEST_FORMATS = ("json", "csv")


def _query(name: str, schema: dict, description: str) -> dict:
    return {"name": name, "in": "query", "required": False, "description": description, "schema": schema}


def _content(media_types: list[str]) -> dict:
    """Return response content for ``media_types``: JSON ones as objects, the others as files."""
    return {
        mt: {"schema": {"type": "object"} if mt.endswith("json") else {"type": "string", "format": "binary"}}
        for mt in media_types
    }


def _get(op_id: str, summary: str, media_types: list[str], parameters: list, description: str) -> dict:
    return {
        "get": {
            "operationId": op_id,
            "summary": summary,
            "description": description,
            "security": [],
            "parameters": parameters,
            "responses": {
                "200": {"description": "Coverage (ETag; gzip for text)", "content": _content(media_types)},
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
            "Straight-line distance in metres (EPSG:32629); default per kind.",
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
            "/coverage.{fmt}; the older `?format=` redirects there).",
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
        "/coverage/surface.png": _get(
            "getCoverageSurface", "Distance image beyond the threshold", ["image/png"], query,
            "Cells beyond the threshold shaded by distance bands (bounds in the coverage page config).",
        ),
    }  # fmt: skip
