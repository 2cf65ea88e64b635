"""Assert that two atlas stores hold the same data: every layer, every plain table, the metadata.

Run: ``.venv/bin/python bench/compare_stores.py BEFORE.gpkg AFTER.gpkg``. Used to check that a
change to the build (e.g. a speed-up) leaves its outputs unchanged. Layers are read raw with
pyogrio (no typing by :mod:`geo.schema`) and compared column by column, dtypes, nulls and
geometries (as WKB) included; the GeoPackage field types must match too. Metadata keys that
differ on every build (``build_id``, ``built_at``) are skipped. Exits 1 on the first difference
of each layer, listing them all.
"""

from __future__ import annotations

import json
import sqlite3
import sys
from pathlib import Path

import pandas as pd
import pyogrio
import shapely

#: Metadata that changes on every build by design.
VOLATILE_META = {"build_id", "built_at"}


def layer_names(path: Path) -> list[str]:
    """Return the GeoPackage's registered layers (``gpkg_contents``), sorted."""
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as con:
        names = sorted(r[0] for r in con.execute("SELECT table_name FROM gpkg_contents"))
    con.close()
    return names


def plain_tables(path: Path) -> list[str]:
    """Return the other SQLite tables (plain reports and metadata), sorted."""
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as con:
        names = [r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
    con.close()
    registered = set(layer_names(path))
    return sorted(n for n in names if n not in registered and not n.startswith(("gpkg_", "rtree_", "sqlite_")))


def compare_layer(before: Path, after: Path, name: str) -> list[str]:
    """Return the differences of one vector layer (empty when equal)."""
    info_a, info_b = pyogrio.read_info(before, layer=name), pyogrio.read_info(after, layer=name)
    problems = []
    for key in ("fields", "dtypes", "geometry_type", "crs", "features"):
        a, b = (_plain(info[key]) for info in (info_a, info_b))
        if a != b:
            problems.append(f"{name}: {key} differ: {a!r} != {b!r}")
    if problems:
        return problems
    a = pyogrio.read_dataframe(before, layer=name)
    b = pyogrio.read_dataframe(after, layer=name)
    if _geometry_name(a):
        geom_a = shapely.to_wkb(a.geometry.values, hex=True)
        geom_b = shapely.to_wkb(b.geometry.values, hex=True)
        if list(geom_a) != list(geom_b):
            problems.append(f"{name}: geometries differ")
        a, b = (pd.DataFrame(frame.drop(columns=frame.geometry.name)) for frame in (a, b))
    try:
        pd.testing.assert_frame_equal(a, b, check_exact=True)
    except AssertionError as exc:
        problems.append(f"{name}: {exc}")
    return problems


def _geometry_name(frame: pd.DataFrame) -> str | None:
    """Return the geometry column of ``frame``, None for a layer without geometry."""
    return getattr(frame, "_geometry_column_name", None)


def _plain(value: object) -> object:
    """Return ``value`` with numpy arrays as lists, for ``==``."""
    return value.tolist() if hasattr(value, "tolist") else value


def compare_table(before: Path, after: Path, name: str) -> list[str]:
    """Return the differences of one plain SQLite table (empty when equal)."""
    frames = []
    for path in (before, after):
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as con:
            frames.append(pd.read_sql_query(f'SELECT * FROM "{name}"', con))
        con.close()
    a, b = frames
    if name == "atlas_meta":
        a, b = (f[~f["key"].isin(sorted(VOLATILE_META))].sort_values("key").reset_index(drop=True) for f in (a, b))
        a["value"], b["value"] = a["value"].map(json.loads), b["value"].map(json.loads)
    try:
        pd.testing.assert_frame_equal(a, b, check_exact=True)
    except AssertionError as exc:
        return [f"{name}: {exc}"]
    return []


def compare(before: Path, after: Path) -> list[str]:
    """Return every difference between the two stores (empty when they hold the same data)."""
    problems = []
    layers_a, layers_b = layer_names(before), layer_names(after)
    if layers_a != layers_b:
        problems.append(f"layers differ: {layers_a} != {layers_b}")
    tables_a, tables_b = plain_tables(before), plain_tables(after)
    if tables_a != tables_b:
        problems.append(f"plain tables differ: {tables_a} != {tables_b}")
    for name in sorted(set(layers_a) & set(layers_b)):
        problems += compare_layer(before, after, name)
    for name in sorted(set(tables_a) & set(tables_b)):
        problems += compare_table(before, after, name)
    return problems


def main() -> None:
    before, after = (Path(arg) for arg in sys.argv[1:3])
    problems = compare(before, after)
    for line in problems:
        print(line)
    layers, tables = layer_names(before), plain_tables(before)
    if problems:
        sys.exit(1)
    print(f"equal: {len(layers)} layers ({', '.join(layers)}) and {len(tables)} tables ({', '.join(tables)})")


if __name__ == "__main__":
    main()
