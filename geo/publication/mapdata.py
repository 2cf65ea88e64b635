"""Prepare atlas layers for web maps: light geometry, choropleth classes, one compact payload.

Polygons are simplified as a *coverage* in UTM 29N (EPSG:32629), so an edge
shared by two quartiers stays shared and no gap or overlap opens between
neighbours, then brought back to EPSG:4326 and quantised. ``map_payload``
gathers what the interactive map draws, with short keys, string tables and
the integer encodings of ``geo.publication.codec``.
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo.analysis import map_indicators as indicators
from geo.analysis.population import round_people
from geo.errors import DataError, InvalidParameter
from geo.publication import codec
from geo.publication.landmarks import Landmark, landmarks_payload
from geo.publication.viewstate import ViewState
from geo.settings import Settings
from geo.text import normalize_name
from geo.vocabulary import METRIC_CRS, STORE_CRS

log = logging.getLogger(__name__)

#: Coverage simplification tolerance for city-wide maps, metres (UTM 29N).
DEFAULT_TOLERANCE_M = 20.0
#: Decimal places kept on degrees (5 → about 1.1 m at Bamako's latitude).
DEFAULT_DECIMALS = codec.DEFAULT_DECIMALS

#: Classification schemes for choropleths (key → mapclassify classifier name).
SCHEMES = {"fisher_jenks": "FisherJenks", "quantiles": "Quantiles"}
DEFAULT_SCHEME = "fisher_jenks"
DEFAULT_CLASSES = 5


def simplify_coverage(frame: gpd.GeoDataFrame, *, tolerance_m: float = DEFAULT_TOLERANCE_M) -> gpd.GeoDataFrame:
    """Return a copy of a polygon coverage simplified without gaps between neighbours.

    Parameters
    ----------
    frame
        Non-overlapping polygons that share edges exactly (the COD-AB quartiers),
        in any CRS.
    tolerance_m
        Visvalingam–Whyatt tolerance of ``shapely.coverage_simplify``, metres,
        applied in EPSG:32629. ``0`` keeps every vertex.

    Returns
    -------
    geopandas.GeoDataFrame
        The same rows and columns, geometry in EPSG:4326.
    """
    if frame.crs is None:
        raise DataError("simplify_coverage: the frame has no CRS; set it before simplifying")
    if not tolerance_m >= 0:
        raise InvalidParameter("tolerance_m", f"expected a number of metres >= 0, got {tolerance_m!r}")
    metric = frame.geometry.to_crs(METRIC_CRS)
    simplified = shapely.coverage_simplify(metric.values, tolerance_m) if tolerance_m > 0 else metric.values
    out = frame.copy()
    out = out.set_geometry(gpd.GeoSeries(simplified, index=frame.index, crs=METRIC_CRS).to_crs(STORE_CRS))
    return out


def quantize(geometries: Iterable, *, decimals: int = DEFAULT_DECIMALS) -> np.ndarray:
    """Return geometries with every coordinate rounded to ``decimals`` places.

    Rounding each vertex on its own keeps shared vertices shared, so a coverage
    stays a coverage (no snapping across edges as a precision grid would do).
    """
    codec.check_decimals(decimals)
    values = np.asarray(getattr(geometries, "values", geometries), dtype=object)
    return shapely.transform(values, lambda xy: np.round(xy, decimals))


def dissolve_coverage(frame: gpd.GeoDataFrame, by: str) -> gpd.GeoDataFrame:
    """Return one geometry per value of column ``by``: the union of its coverage cells.

    Uses ``shapely.coverage_union_all``, which is exact and fast on cells that
    share edges vertex for vertex (as ``simplify_coverage`` and ``quantize`` keep them).
    """
    if by not in frame.columns:
        raise InvalidParameter("by", f"no column {by!r}; available: {', '.join(map(str, frame.columns))}")
    groups = frame.groupby(by, sort=True).geometry
    keys = list(groups.groups)
    geoms = [shapely.coverage_union_all(frame.geometry[frame[by] == key].values) for key in keys]
    return gpd.GeoDataFrame({by: keys}, geometry=geoms, crs=frame.crs)


@dataclass(frozen=True)
class Classes:
    """Choropleth classes: upper bounds and the class of each value (-1 when missing)."""

    scheme: str
    bins: tuple[float, ...]
    classes: np.ndarray

    def to_json(self) -> dict:
        """Return the bins as a JSON-ready dict."""
        return {"scheme": self.scheme, "bins": [float(b) for b in self.bins]}


def classify(
    values: Sequence[float],
    *,
    scheme: str = DEFAULT_SCHEME,
    k: int = DEFAULT_CLASSES,
    fixed: Sequence[float] | None = None,
) -> Classes:
    """Return choropleth classes of ``values`` by a scheme of ``SCHEMES``, or by ``fixed`` upper bounds.

    Missing values get class ``-1``; fewer distinct values than ``k`` give
    fewer classes (never empty ones). Bins are inclusive upper bounds. With
    ``fixed`` (an indicator's own classes) the bins are those, empty classes included.
    """
    if fixed is not None:
        arr = np.asarray(values, dtype=float)
        finite = np.isfinite(arr)
        classes = np.full(len(arr), -1, dtype=int)
        classes[finite] = np.minimum(np.searchsorted(fixed, arr[finite], side="left"), len(fixed) - 1)
        return Classes("fixed", tuple(float(b) for b in fixed), classes)
    if scheme not in SCHEMES:
        raise InvalidParameter("scheme", f"unknown scheme {scheme!r}; allowed: {', '.join(SCHEMES)}")
    if not 1 <= k <= 9:
        raise InvalidParameter("k", f"expected an integer from 1 to 9, got {k!r}")
    arr = np.asarray(values, dtype=float)
    finite = np.isfinite(arr)
    classes = np.full(len(arr), -1, dtype=int)
    distinct = np.unique(arr[finite])
    if len(distinct) == 0:
        return Classes(scheme, (), classes)
    if len(distinct) <= k:
        bins = distinct
    else:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # "Numba not installed", "not enough unique values"
            import mapclassify  # lazily: it pulls in scipy.stats and scikit-learn (~1 s at start-up)

            bins = np.unique(getattr(mapclassify, SCHEMES[scheme])(arr[finite], k=k).bins)
    classes[finite] = np.minimum(np.searchsorted(bins, arr[finite], side="left"), len(bins) - 1)
    return Classes(scheme, tuple(float(b) for b in bins), classes)


#: Version of the ``map_payload`` layout; bump when the client must change with it.
PAYLOAD_VERSION = 1


def _optional_ints(frame: pd.DataFrame, column: str, *, shown: bool = False) -> list[int | None]:
    """Return ``column`` as integers with None for missing values (all None without the column).

    ``shown`` rounds them to two significant digits, as ``round_people`` shows a number of people.
    """
    if column not in frame.columns:
        return [None] * len(frame)
    as_int = round_people if shown else int
    return [None if pd.isna(v) else as_int(v) for v in frame[column]]


def indicator_values(
    quartiers: gpd.GeoDataFrame,
    facilities: pd.DataFrame,
    options: Mapping[str, tuple[str, tuple[str, ...]]],
    *,
    scheme: str = DEFAULT_SCHEME,
    k: int = DEFAULT_CLASSES,
    settings: Settings | None = None,
) -> dict[str, dict]:
    """Return ``{name: {"v": values, "b": bins}}`` for options ``{name: (indicator key, kinds)}``.

    Values follow the quartiers' order, rounded to the indicator's display
    decimals (``None`` where undefined) and classified with ``classify``.
    """
    out = {}
    for name, (key, kinds) in options.items():
        indicator = indicators.indicator_or_raise(key)
        values = indicators.compute(key, quartiers, facilities, kinds=tuple(kinds), settings=settings)
        values = values.round(indicator.decimals)
        classes = classify(values.to_numpy(), scheme=scheme, k=k, fixed=indicator.fixed_bins)
        out[name] = {"v": [None if not np.isfinite(v) else float(v) for v in values], "b": list(classes.bins)}
        if indicator.fixed_colors:
            out[name]["c"] = list(indicator.fixed_colors)  # one fill per class, as on /couverture
    return out


def qa_payload(qa: gpd.GeoDataFrame, facility_ids: pd.Series, *, decimals: int = DEFAULT_DECIMALS) -> dict:
    """Return the QA findings for the map, sized for the wire.

    Findings about a facility on the map are listed by that facility's index
    in ``facility_ids`` (sorted, delta-encoded under ``f``): the client draws
    them at the facility and fetches their evidence text from the facility's
    page on demand. Other findings ("orphans", e.g. about a facility without
    coordinates) carry their own point, facility name and evidence.

    Returns
    -------
    dict
        ``checks`` (table), ``k`` (check code per finding: linked ones first,
        in facility order, then orphans), ``f`` (deltas of facility indexes of
        the linked ones) and ``orphans`` {``n``, ``e``, ``pt``}.
    """
    position = pd.Series(np.arange(len(facility_ids)), index=facility_ids.to_numpy())
    index = qa["facility_id"].map(position)
    linked = index.notna().to_numpy()
    points = qa.geometry
    orphan = ~linked & ~(points.isna() | points.is_empty).to_numpy()  # findings with nowhere to draw are left out
    order = np.argsort(index[linked].to_numpy(), kind="stable")
    rows = pd.concat([qa[linked].iloc[order], qa[orphan]])
    checks, codes = codec.code_table(rows["check"])
    linked_index = index[linked].to_numpy()[order].astype(int)
    return {
        "checks": checks,
        "k": codes,
        "f": np.diff(linked_index, prepend=0).tolist(),
        "orphans": {
            "n": codec.join_texts(qa.loc[orphan, "facility_name"]),
            "e": codec.join_texts(qa.loc[orphan, "evidence"]),
            "pt": codec.encode_points(points[orphan], decimals=decimals),
        },
    }


def map_payload(
    layers: Mapping[str, gpd.GeoDataFrame],
    *,
    facility_layers: Mapping[str, Sequence[str]],
    indicator_options: Mapping[str, tuple[str, tuple[str, ...]]] | None = None,
    tolerance_m: float = DEFAULT_TOLERANCE_M,
    decimals: int = DEFAULT_DECIMALS,
    scheme: str = DEFAULT_SCHEME,
    settings: Settings | None = None,
    landmarks: Sequence[Landmark] = (),
) -> dict:
    """Return everything the interactive map draws, as compact JSON-ready values.

    Quartiers are coverage-simplified (``tolerance_m``, EPSG:32629) and
    quantised; communes are the union of their simplified quartiers, so both
    outlines coincide, and both are written as one arc topology. Repeated
    strings (kinds, precisions, sources, QA checks) are given once in a table
    and referenced by index; names are newline-joined strings. Facilities
    without a point are left out (their pages still list them).

    Parameters
    ----------
    layers
        Store layers ``communes``, ``quartiers``, ``facilities``, ``qa_findings`` (EPSG:4326).
    facility_layers
        Map layer key → facility kinds: per-quartier counts under ``counts``.
    indicator_options
        ``{name: (indicator key, kinds)}`` computed per quartier with their
        classes, under ``ind`` (default: population density only).
    settings
        ``geo.settings.Settings`` of the coverage indicators (grid cell size).
    landmarks
        Landmarks of the atlas's own basemap (``geo.publication.landmarks.read_landmarks``), under ``lm``
        (:func:`~geo.publication.landmarks.landmarks_payload`); none leaves ``lm`` out.
    """
    communes, fac, qa = layers["communes"], layers["facilities"], layers["qa_findings"]
    quartiers = simplify_coverage(layers["quartiers"], tolerance_m=tolerance_m)
    quartiers = quartiers.set_geometry(quantize(quartiers.geometry, decimals=decimals), crs=STORE_CRS)
    commune_index = {p: i for i, p in enumerate(communes["pcode"])}
    quartier_index = {p: i for i, p in enumerate(quartiers["pcode"])}
    outlines = dissolve_coverage(quartiers, "commune_pcode").set_index("commune_pcode").geometry
    commune_geoms = [outlines.get(p, g) for p, g in zip(communes["pcode"], communes.geometry, strict=True)]
    topology = codec.encode_topology([quartiers.geometry, commune_geoms], decimals=decimals)

    located = fac[~(fac.geometry.isna() | fac.geometry.is_empty).to_numpy()]
    counted = indicators.analysed(located)
    kinds, kind_codes = codec.code_table(located["kind"])
    precisions, precision_codes = codec.code_table(located["location_precision"], missing="gps_survey")
    sources, source_codes = codec.code_table(located["sources"])
    quartier_codes = [quartier_index.get(p, -1) for p in located["quartier_pcode"]]

    findings = qa_payload(qa, located["id"], decimals=decimals)
    alt = [a if normalize_name(a) != normalize_name(n) else "" for n, a in zip(quartiers["name"], quartiers["alt_name"].fillna(""), strict=True)]  # fmt: skip

    landmark_part = {"lm": landmarks_payload(landmarks, decimals=decimals)} if landmarks else {}
    return {
        "v": PAYLOAD_VERSION,
        "d": decimals,
        "arcs": topology["arcs"],
        "communes": {
            "p": communes["pcode"].tolist(),
            "n": communes["name"].tolist(),
            "g": topology["layers"][1],
            "lp": codec.label_points(commune_geoms, decimals=decimals),
        },
        "quartiers": {
            "p": quartiers["pcode"].tolist(),
            "n": codec.join_texts(quartiers["name"]),
            "a": codec.join_texts(alt),
            "c": [commune_index.get(p, -1) for p in quartiers["commune_pcode"]],
            "pop": [int(v) for v in quartiers["pop_estimate"].fillna(0)],
            # interval of the estimate as pages show it, two significant digits (None for a store built
            # before intervals existed)
            "lo": _optional_ints(quartiers, "pop_low", shown=True),
            "hi": _optional_ints(quartiers, "pop_high", shown=True),
            "g": topology["layers"][0],
            "lp": codec.label_points(quartiers.geometry, decimals=decimals),
        },
        "kinds": kinds,
        "prec": precisions,
        "src": sources,
        "f": {
            "id": codec.encode_ids(located["id"]),
            "k": kind_codes,
            "n": codec.join_texts(located["name"]),
            "q": quartier_codes,
            # the commune is the quartier's; given only where the quartier is unknown
            "c": [
                -1 if q >= 0 else commune_index.get(p, -1)
                for q, p in zip(quartier_codes, located["commune_pcode"], strict=True)
            ],  # fmt: skip
            "x": precision_codes,
            "s": source_codes,
            "o": [0 if ok else 1 for ok in located["id"].isin(counted["id"])],
            "pt": codec.encode_points(located.geometry, decimals=decimals),
        },
        "qa": findings,
        "counts": {
            key: indicators.facility_counts(quartiers, counted, tuple(kinds_)).tolist()
            for key, kinds_ in facility_layers.items()
            if kinds_
        },
        "ind": indicator_values(
            quartiers, counted, indicator_options or {"density": ("density", ())}, scheme=scheme, settings=settings
        ),
        **landmark_part,
    }


#: Keys of the map payload every part carries (format version, decimals, store build).
PART_COMMON = ("v", "d", "build")
#: Parts of the map payload a page fetches one after the other, so the first shapes need a fifth of the bytes:
#: "shapes" (quartiers, communes and the default view's choropleth) and "rest" (facilities, QA findings,
#: counts, the basemap's landmarks, and every indicator: ~1.8 KB brotli that a 400 kbit/s link need not carry before the first shapes).
PAYLOAD_PARTS = ("shapes", "rest")
SHAPE_KEYS = ("arcs", "communes", "quartiers")
#: Indicators the shapes part carries: the default view's.
SHAPE_INDICATORS = (ViewState().indicator,)


def payload_part(payload: Mapping, part: str) -> dict:
    """Return the keys of ``payload`` (as map_payload) in ``part``, one of PAYLOAD_PARTS.

    The two parts merged (``{**shapes, **rest}``) are the whole payload: ``ind`` of
    the shapes part holds only ``SHAPE_INDICATORS``, the rest's ``ind`` all of them.
    """
    if part not in PAYLOAD_PARTS:
        raise InvalidParameter("part", f"unknown part {part!r}; allowed: {', '.join(PAYLOAD_PARTS)}")
    if part == "rest":
        return {k: v for k, v in payload.items() if k not in SHAPE_KEYS}
    out = {k: v for k, v in payload.items() if k in PART_COMMON or k in SHAPE_KEYS}
    if "ind" in payload:
        out["ind"] = {k: v for k, v in payload["ind"].items() if k in SHAPE_INDICATORS}
    return out
