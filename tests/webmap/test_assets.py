"""Asset paths resolve against the manifest: no spelling adds to the memory held (issue 13, finding 4)."""

from __future__ import annotations

import itertools

from webmap import assets

TARGET = "/vendor/leaflet/leaflet-src.js.map"


def _spellings(n: int) -> list[str]:
    """Return ``n`` distinct hostile or odd spellings of asset paths."""
    prefixes = ["", "./", "images/../", "././", "images/./../", "x/../", "%2e/", "%2e%2e/", "../", "nope/../../"]
    names = ["leaflet-src.js.map", "leaflet.js", "leaflet.css", "images/layers.png", "missing.js", "..%2fsetup.py"]
    out = []
    for rounds in itertools.count(1):
        for prefix, name in itertools.product(prefixes, names):
            out.append(f"/vendor/leaflet/{'r' * rounds}/../{prefix}{name}?n={len(out)}")
            if len(out) == n:
                return out
    return out


def test_600_spellings_leave_the_asset_cache_unchanged(client):
    assert client.get(TARGET).status_code == 200
    assert client.get("/vendor/leaflet/missing.js").status_code == 404  # the error page's own assets load once
    held = len(assets._files)
    statuses = set()
    for url in _spellings(600):
        resp = client.get(url)
        statuses.add(resp.status_code)
        assert resp.status_code in (301, 404), url
        if resp.status_code == 301:
            target = resp.headers["Location"]
            assert "/../" not in target and "/./" not in target and "?n=" not in target
    assert statuses == {301, 404}
    assert len(assets._files) == held
    assert len(assets._files) <= sum(len(assets.manifest(b)) for b in (*assets.BUNDLES, assets.OWN_BUNDLE))


def test_a_normalisable_spelling_redirects_to_the_canonical_url(client):
    resp = client.get("/vendor/leaflet/images/../leaflet.js?v=1.9.3")
    assert resp.status_code == 301
    assert resp.headers["Location"].endswith("/vendor/leaflet/leaflet.js?v=1.9.3")
    assert client.get(resp.headers["Location"]).status_code == 200


def test_nul_backslash_and_escapes_are_404(client):
    for url in ("/vendor/leaflet/leaflet.js%00", "/vendor/leaflet/%00", "/vendor/leaflet/images%5clayers.png",
                "/vendor/leaflet/%2e%2e/%2e%2e/setup.py", "/vendor/atlas/../views/pages.py"):  # fmt: skip
        assert client.get(url).status_code == 404, url
    assert client.get("/vendor/leaflet/./leaflet.js?filename=x&bundle=y").status_code == 301


def test_the_manifest_lists_every_served_file_and_nothing_outside():
    listed = assets.manifest("leaflet")
    assert "leaflet.js" in listed and "images/layers.png" in listed
    assert not any(name.startswith("..") or name.startswith("/") for name in listed)
    assert "atlas.js" in assets.manifest(assets.OWN_BUNDLE)
