"""OpenStreetMap extracts (``.osm`` XML, ``.osm.pbf``): tag → kind registry and feature reading.

Features are read with GDAL's OSM driver through pyogrio: tagged nodes from
the ``points`` layer and closed ways and multipolygon relations from the
``multipolygons`` layer (represented by their centroid, computed in UTM 29N).
Each feature whose tags map to a kind of :data:`geo.vocabulary.KINDS` becomes a
candidate row that keeps its OSM id (``osm:node/123``, ``osm:way/45``,
``osm:relation/6``); everything else is counted and left out. OpenStreetMap
data is © OpenStreetMap contributors under the ODbL (:data:`OSM_LICENCE`).
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio

from geo.text import normalize_name
from geo.vocabulary import KINDS, METRIC_CRS, STORE_CRS

log = logging.getLogger(__name__)

#: Source key and licence recorded for every row imported from OpenStreetMap.
OSM_SOURCE = "osm"
OSM_LICENCE = "ODbL 1.0 — © OpenStreetMap contributors (https://www.openstreetmap.org/copyright)"


@dataclass(frozen=True)
class TagRule:
    """Map ``key=value`` tags to a kind; ``values`` None means any value of ``key`` (→ ``default``)."""

    key: str
    values: Mapping[str, str] | None = None
    default: str | None = None

    def kind(self, tags: Mapping[str, str]) -> str | None:
        """Return the kind these tags map to under this rule, or None."""
        value = tags.get(self.key)
        if value is None:
            return None
        value = value.strip().lower()
        if self.values is not None and value in self.values:
            return self.values[value]
        return self.default


#: Tag rules, most specific first: the first rule that gives a kind decides.
TAG_RULES: tuple[TagRule, ...] = (
    TagRule(
        "amenity",
        {
            "hospital": "hospital",
            "clinic": "clinic",
            "doctors": "clinic",
            "dentist": "clinic",
            "pharmacy": "pharmacy",
            "kindergarten": "kindergarten",
            "school": "school",
            "college": "college",
            "university": "university",
            "waste_transfer_station": "waste_site",
        },
    ),
    TagRule(
        "healthcare",
        {
            "hospital": "hospital",
            "clinic": "clinic",
            "doctor": "clinic",
            "dentist": "clinic",
            "pharmacy": "pharmacy",
        },
        default="health_other",
    ),
    TagRule("leisure", {"pitch": "sports_ground", "stadium": "stadium", "sports_centre": "sports_ground"}),
)

#: Health facilities whose name says CSCOM or CSRéf get that kind (patterns on ``normalize_name``).
NAME_REFINEMENTS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"\b(?:cscom|asaco\w*|centre de sante communautaire)\b"), "cscom"),
    (re.compile(r"\b(?:csref|centre de sante de reference)\b"), "csref"),
)

#: Tags tried in order for a feature's name.
NAME_TAGS = ("name", "name:fr", "official_name", "alt_name")

#: ``operator:type`` values → ``operator_type`` of the atlas.
OPERATOR_TYPES = {
    "public": "public",
    "government": "public",
    "private": "private",
    "community": "community",
    "religious": "religious",
    "ngo": "ngo",
}

# GDAL OSM driver configuration: every tag as a JSON object, health and leisure ways as areas.
_CONFIG = """\
closed_ways_are_polygons=aeroway,amenity,boundary,building,craft,geological,healthcare,historic,landuse,leisure,military,natural,office,place,shop,sport,tourism
attribute_name_laundering=no
[points]
osm_id=yes
attributes=name
other_tags=no
all_tags=yes
tags_format=json
[multipolygons]
osm_id=yes
attributes=name
other_tags=no
all_tags=yes
tags_format=json
"""


def kind_for_tags(tags: Mapping[str, str]) -> str | None:
    """Return the atlas kind of an OSM feature from its tags, or None when it is not a facility.

    >>> kind_for_tags({"amenity": "clinic", "name": "CSCOM de Sébénikoro"})
    'cscom'
    >>> kind_for_tags({"leisure": "pitch", "sport": "soccer"})
    'sports_ground'
    >>> kind_for_tags({"shop": "bakery"}) is None
    True
    """
    for rule in TAG_RULES:
        kind = rule.kind(tags)
        if kind is not None:
            break
    else:
        return None
    if KINDS[kind].group == "health":
        name = normalize_name(feature_name(tags))
        for pattern, refined in NAME_REFINEMENTS:
            if pattern.search(name):
                return refined
    return kind


def feature_name(tags: Mapping[str, str]) -> str:
    """Return the first non-empty name tag of :data:`NAME_TAGS`, or ""."""
    for key in NAME_TAGS:
        value = (tags.get(key) or "").strip()
        if value:
            return value
    return ""


def _tags(value: object) -> dict[str, str]:
    if isinstance(value, dict):
        return {str(k): str(v) for k, v in value.items()}
    if isinstance(value, str) and value:
        return {str(k): str(v) for k, v in json.loads(value).items()}
    return {}


def _layer(path: Path, config: Path, layer: str) -> gpd.GeoDataFrame:
    frame = pyogrio.read_dataframe(path, layer=layer, CONFIG_FILE=str(config))
    if frame.crs is None:
        frame = frame.set_crs(STORE_CRS)
    if layer == "points":
        frame["ref"] = "osm:node/" + frame["osm_id"].astype(str)
    else:
        # A closed way carries osm_way_id, a multipolygon relation osm_id.
        way = frame["osm_way_id"].notna()
        frame["ref"] = np.where(
            way, "osm:way/" + frame["osm_way_id"].astype(str), "osm:relation/" + frame["osm_id"].astype(str)
        )
    return frame


def read_osm(path: Path) -> tuple[pd.DataFrame, int]:
    """Read the facilities of an OSM extract at ``path``.

    Parameters
    ----------
    path
        A ``.osm`` (XML) or ``.osm.pbf`` file.

    Returns
    -------
    tuple
        A frame with one row per mapped feature — ``ref`` (OSM id), ``kind``,
        ``name``, ``operator_type``, ``opening_hours``, ``beds``, ``x``, ``y``
        (lon/lat, EPSG:4326; areas at their centroid) — and the number of
        tagged features that are not facilities.

    Raises
    ------
    Exception
        Whatever GDAL raises on an unreadable file; the caller turns it into a clear error.
    """
    config = path.with_name("osmconf.ini")
    config.write_text(_CONFIG, encoding="utf-8")
    frames = [_layer(path, config, layer) for layer in ("points", "multipolygons")]
    frame = pd.concat(frames, ignore_index=True)
    tags = frame["all_tags"].map(_tags)
    kinds = tags.map(kind_for_tags)
    mapped = kinds.notna().to_numpy()
    skipped = int((~mapped).sum())
    tags, frame = tags[mapped], frame.loc[mapped]
    geoms = gpd.GeoSeries(frame.geometry.to_numpy(), crs=frame.crs)
    areas = ~geoms.geom_type.isin(["Point"]).to_numpy()
    if areas.any():
        geoms[areas] = geoms[areas].to_crs(METRIC_CRS).centroid.to_crs(geoms.crs)
    geoms = geoms.to_crs(STORE_CRS)
    out = pd.DataFrame(
        {
            "ref": frame["ref"].to_numpy(),
            "kind": kinds[mapped].to_numpy(),
            "name": tags.map(feature_name).to_numpy(),
            "operator_type": tags.map(
                lambda t: OPERATOR_TYPES.get((t.get("operator:type") or "").strip().lower(), "")
            ).to_numpy(),
            "opening_hours": tags.map(lambda t: t.get("opening_hours", "")).to_numpy(),
            "beds": tags.map(lambda t: t.get("beds", "")).to_numpy(),
            "x": geoms.x.to_numpy(),
            "y": geoms.y.to_numpy(),
        }
    )
    log.info("OSM extract: %d facilities, %d other tagged features", len(out), skipped)
    return out, skipped
