"""The edit overlay on the real store (needs BAMAKO_ATLAS_MIRROR)."""

from __future__ import annotations

import pytest

from geo.planning.edits import EditStore
from geo.store import open_store

pytestmark = pytest.mark.integration


def test_overlay_on_the_real_facilities(real_store, blank_db):
    atlas = open_store(real_store)
    base, quartiers = atlas["facilities"], atlas["quartiers"]
    store = EditStore(blank_db, base=base, quartiers=quartiers)
    untouched = store.current()
    assert untouched.drop(columns="version").equals(base.reset_index(drop=True))

    inside = base[base["join_status"] == "inside"]
    points = inside.geometry.iloc[::-1]
    for n, fid in enumerate(inside["id"].iloc[:300]):
        if n % 3 == 0:
            store.update(fid, user="bench", version=1, fields={"name": f"renamed {n}"})
        elif n % 3 == 1:
            point = points.iloc[n]
            store.update(fid, user="bench", version=1, fields={}, lonlat=(point.x, point.y))
        else:
            store.retire(fid, user="bench", version=1, reason="closed")
    store.current()
    store.update(inside["id"].iloc[0], user="bench", version=2, fields={"beds": 1})
    now = store.current()  # its speed is measured by bench/, not here
    assert len(now) == len(base) - 100
    moved = now.set_index("id").loc[inside["id"].iloc[1]]
    assert moved["quartier_pcode"] == inside.iloc[::-1]["quartier_pcode"].iloc[1]
