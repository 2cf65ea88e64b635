"""Preview an import: rows to add, probable duplicates of existing facilities, per-row errors.

A parsed row is a probable duplicate of an existing facility when the two are
within :data:`geo.pipeline.quality.DUPLICATE_RADIUS_M` (50 m, measured in UTM 29N,
EPSG:32629), have the same or a compatible kind (:data:`geo.vocabulary.COMPATIBLE_KINDS`)
and similar names (:func:`name_score`, at least
:data:`geo.pipeline.quality.DUPLICATE_NAME_SCORE`). Duplicates are listed apart from
the rows to add; a commit adds them only when asked to.

Each row is compared with at most :data:`NEAREST` + :data:`SAME_NAME`
facilities (a spatial index, see :func:`_candidates`), so the check stays
near-linear in time and memory even when thousands of rows sit at one point.
A row with a facility of exactly its (normalised) name nearby lists those
matches only.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
from pyproj import Transformer
from scipy.spatial import cKDTree

from geo.pipeline.quality import DUPLICATE_NAME_SCORE, DUPLICATE_RADIUS_M, name_similarity
from geo.planning.imports.parse import ParsedImport
from geo.planning.imports.validate import RowError
from geo.text import normalize_name
from geo.vocabulary import COMPATIBLE_KINDS, KINDS, METRIC_CRS, STORE_CRS

#: Most matches listed per duplicate row, nearest first.
MAX_MATCHES = 3
#: Nearest facilities (within the radius) compared with each row, whatever their names.
NEAREST = 8
#: Nearest facilities bearing exactly the row's normalised name compared with it besides.
SAME_NAME = 4

_KIND_INDEX = {key: i for i, key in enumerate(KINDS)}
_COMPATIBLE = np.eye(len(KINDS) + 1, dtype=bool)  # last index: a kind outside the vocabulary
for _group in COMPATIBLE_KINDS:
    for _a in _group:
        for _b in _group:
            _COMPATIBLE[_KIND_INDEX[_a], _KIND_INDEX[_b]] = True
_COMPATIBLE[-1, -1] = False


@dataclass
class Preview:
    """What committing an import would do; JSON-ready through :meth:`to_dict`.

    ``duplicates`` items are ``{"row": <row>, "matches": [{"facility_id",
    "name", "kind", "distance_m", "name_score"}, …]}``.
    """

    to_add: list[dict[str, Any]]
    duplicates: list[dict[str, Any]]
    errors: list[RowError]
    format: str
    filename: str = ""
    source_crs: str | None = None
    encoding: str | None = None
    licence: str | None = None
    total: int = 0
    skipped: dict[str, int] = field(default_factory=dict)
    ignored_columns: list[str] = field(default_factory=list)
    target: str = "facilities"

    def counts(self) -> dict[str, int]:
        """Return the numbers shown first: rows read, to add, duplicates, errors, rows with errors."""
        return {
            "read": self.total,
            "to_add": len(self.to_add),
            "duplicates": len(self.duplicates),
            "errors": len(self.errors),
            "rows_with_errors": len({e.line for e in self.errors}),
            **{f"skipped_{k}": v for k, v in self.skipped.items()},
        }

    def summary(self) -> dict[str, Any]:
        """Return everything but the rows: counts and how the file was read."""
        return {
            "target": self.target,
            "format": self.format,
            "filename": self.filename,
            "source_crs": self.source_crs,
            "encoding": self.encoding,
            "licence": self.licence,
            "counts": self.counts(),
            "skipped": dict(self.skipped),
            "ignored_columns": list(self.ignored_columns),
        }

    def to_dict(self) -> dict[str, Any]:
        """Return the summary plus the rows to add, the duplicates and the errors."""
        return {
            **self.summary(),
            "to_add": self.to_add,
            "duplicates": self.duplicates,
            "errors": [e.to_dict() for e in self.errors],
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Preview:
        """Rebuild a preview from :meth:`to_dict` output."""
        return cls(
            to_add=list(data["to_add"]),
            duplicates=list(data["duplicates"]),
            errors=[RowError(**e) for e in data["errors"]],
            format=data["format"],
            filename=data.get("filename", ""),
            source_crs=data.get("source_crs"),
            encoding=data.get("encoding"),
            licence=data.get("licence"),
            total=int(data.get("counts", {}).get("read", 0)),
            skipped=dict(data.get("skipped", {})),
            ignored_columns=list(data.get("ignored_columns", [])),
            target=data.get("target", "facilities"),
        )


def _kind_codes(kinds: Any) -> np.ndarray:
    return np.array([_KIND_INDEX.get(k, len(KINDS)) for k in kinds], dtype=int)


def name_score(a: list[str], b: list[str]) -> np.ndarray:
    """Return the similarity (0–100) of normalised names, pairwise: ``a[i]`` with ``b[i]``.

    :func:`geo.pipeline.quality.name_similarity` on the whole names: the best of
    token-set similarity ("CSCOM ASACOFA" ⊇ "ASACOFA") and plain similarity
    without spaces ("Djicoroni" / "Dji Coroni"); 0 when the names carry
    different section markers ("École A" / "École B", "second cycle", "VII").
    """
    return name_similarity(a, b, whole_names=True)


def _metric_xy(lonlat: np.ndarray) -> np.ndarray:
    transformer = Transformer.from_crs(STORE_CRS, METRIC_CRS, always_xy=True)
    x, y = transformer.transform(lonlat[:, 0], lonlat[:, 1])
    return np.column_stack([x, y])


def _nearest(points: np.ndarray, queries: np.ndarray, k: int, radius_m: float) -> tuple[np.ndarray, ...]:
    """Return (query, point, distance) pairs: the ``k`` nearest ``points`` within ``radius_m`` of each query.

    Identical points are indexed once (a KD-tree cannot split a stack of
    equal points, and each query would then scan all of them), and at most
    ``k`` points are taken from each stack: O(n log n) whatever the clustering.
    """
    spots, spot_of = np.unique(points, axis=0, return_inverse=True)
    spot_of = spot_of.reshape(-1)
    by_spot = np.argsort(spot_of, kind="stable")
    sizes = np.bincount(spot_of, minlength=len(spots))
    starts = np.cumsum(sizes) - sizes
    dist, spot = cKDTree(spots).query(queries, k=min(k, len(spots)), distance_upper_bound=radius_m)
    dist, spot = dist.reshape(len(queries), -1), spot.reshape(len(queries), -1)
    query = np.repeat(np.arange(len(queries)), dist.shape[1])
    dist, spot = dist.reshape(-1), spot.reshape(-1)
    found = np.isfinite(dist)  # missing neighbours come back at infinity
    query, spot, dist = query[found], spot[found], dist[found]
    take = np.minimum(sizes[spot], k)
    within = np.arange(take.sum()) - np.repeat(np.cumsum(take) - take, take)
    point = by_spot[np.repeat(starts[spot], take) + within]
    query, dist = np.repeat(query, take), np.repeat(dist, take)
    order = np.lexsort((dist, query))
    query, point, dist = query[order], point[order], dist[order]
    rank = np.arange(len(query)) - np.searchsorted(query, query)
    keep = rank < k
    return query[keep], point[keep], dist[keep]


def _candidates(
    new_xy: np.ndarray, ex_xy: np.ndarray, new_codes: np.ndarray, ex_codes: np.ndarray, radius_m: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Return (row, facility, distance_m) pairs within ``radius_m``: at most NEAREST + SAME_NAME per row.

    Per row: its :data:`NEAREST` nearest facilities, plus up to
    :data:`SAME_NAME` of the nearest ones bearing exactly its normalised name
    (``*_codes``: one integer per name; names are set far apart in a third
    dimension), so a re-upload is matched even where thousands of facilities
    share one point. Time O(n log n), memory O(n · (NEAREST + SAME_NAME)).
    """
    gap = 4.0 * radius_m
    near = _nearest(ex_xy, new_xy, NEAREST, radius_m)
    named = _nearest(
        np.column_stack([ex_xy, ex_codes * gap]), np.column_stack([new_xy, new_codes * gap]), SAME_NAME, radius_m
    )
    i, j, dist = (np.concatenate(parts) for parts in zip(near, named, strict=True))
    _, first = np.unique(np.column_stack([i, j]), axis=0, return_index=True)
    first.sort()
    return i[first], j[first], dist[first]


def _matches(
    rows: list[dict[str, Any]], existing: gpd.GeoDataFrame, *, radius_m: float, min_score: float
) -> dict[int, list[dict[str, Any]]]:
    """Return {row position: its probable duplicates among ``existing``, nearest first}."""
    ex = existing.to_crs(STORE_CRS) if str(existing.crs) != STORE_CRS else existing
    ex = ex[~(ex.geometry.isna() | ex.geometry.is_empty)]
    if not rows or not len(ex):
        return {}
    new_xy = _metric_xy(np.array([r["lonlat"] for r in rows], dtype=float))
    ex_metric = ex.geometry.to_crs(METRIC_CRS)
    ex_xy = np.column_stack([ex_metric.x.to_numpy(), ex_metric.y.to_numpy()])
    finite = np.isfinite(ex_xy).all(axis=1)  # a stored point the projection cannot take is no one's duplicate
    ex, ex_xy = ex[finite], ex_xy[finite]
    if not len(ex):
        return {}
    all_names = np.array([r["fields"]["name"] for r in rows] + ex["name"].tolist(), dtype=object)
    codes, distinct = pd.factorize(all_names, use_na_sentinel=False)
    folded = np.array([normalize_name(n) for n in distinct], dtype=object)  # each distinct name once
    codes, _ = pd.factorize(folded[codes])
    new_names, ex_names = folded[codes[: len(rows)]], folded[codes[len(rows) :]]
    i, j, dist = _candidates(new_xy, ex_xy, codes[: len(rows)], codes[len(rows) :], radius_m)
    keep = _COMPATIBLE[_kind_codes(r["fields"]["kind"] for r in rows)[i], _kind_codes(ex["kind"])[j]]
    i, j, dist = i[keep], j[keep], dist[keep]
    # A row with a facility of exactly its name nearby (a re-upload) lists those: no fuzzy scoring needed.
    exact = new_names[i] == ex_names[j]
    settled = np.zeros(len(rows), dtype=bool)
    settled[i[exact]] = True
    keep = exact | ~settled[i]
    i, j, dist, exact = i[keep], j[keep], dist[keep], exact[keep]
    score = np.full(len(i), 100.0)
    score[~exact] = name_score(list(new_names[i[~exact]]), list(ex_names[j[~exact]]))
    similar = score >= min_score
    ids, names, kinds = ex["id"].to_numpy(), ex["name"].to_numpy(), ex["kind"].to_numpy()
    matches: dict[int, list[dict[str, Any]]] = {}
    i, j, dist, score = i[similar], j[similar], dist[similar], score[similar]
    order = np.lexsort((j, dist, i))  # by row, then nearest first
    i, j, dist, score = i[order], j[order], dist[order], score[order]
    rank = np.arange(len(i)) - np.searchsorted(i, i)
    listed = rank < MAX_MATCHES
    for a, b, d, s in zip(i[listed].tolist(), j[listed].tolist(), dist[listed], score[listed], strict=True):
        matches.setdefault(a, []).append(
            {
                "facility_id": str(ids[b]),
                "name": str(names[b]),
                "kind": str(kinds[b]),
                "distance_m": round(float(d), 1),
                "name_score": round(float(s), 1),
            }
        )
    return matches


def preview(
    parsed: ParsedImport,
    existing: gpd.GeoDataFrame | None,
    *,
    radius_m: float = DUPLICATE_RADIUS_M,
    min_score: float = DUPLICATE_NAME_SCORE,
) -> Preview:
    """Split the parsed rows into rows to add and probable duplicates of ``existing`` facilities.

    Parameters
    ----------
    parsed
        The result of :func:`geo.planning.imports.parse_upload`.
    existing
        Facilities as they are now (``id``, ``kind``, ``name``, points in
        EPSG:4326), e.g. ``EditStore.current(base)``; None or empty: no duplicates.
    radius_m
        Largest distance (metres, UTM 29N) between a row and a facility it may duplicate.
    min_score
        Smallest name similarity (0–100) of a probable duplicate.
    """
    rows = parsed.rows
    roads = parsed.target != "facilities"  # road ways duplicate no facility
    matches = {} if existing is None or roads else _matches(rows, existing, radius_m=radius_m, min_score=min_score)
    return Preview(
        to_add=[row for k, row in enumerate(rows) if k not in matches],
        duplicates=[{"row": rows[k], "matches": found} for k, found in sorted(matches.items())],
        errors=list(parsed.errors),
        format=parsed.format,
        filename=parsed.filename,
        source_crs=parsed.source_crs,
        encoding=parsed.encoding,
        licence=parsed.licence,
        total=parsed.total,
        skipped=dict(parsed.skipped),
        ignored_columns=list(parsed.ignored_columns),
        target=parsed.target,
    )
