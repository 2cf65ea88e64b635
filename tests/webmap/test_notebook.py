"""webmap.notebook: the folium map for analysts (no Flask app needed)."""

from __future__ import annotations

import re

import folium
import pytest

from geo.errors import InvalidParameter
from geo.store import open_store
from tests.conftest import tiny_layers
from webmap.notebook import folium_map


def test_loads_only_the_given_leaflet_and_escapes_names():
    fmap = folium_map(tiny_layers(), layers=("cscom", "other_health"), basemap="none", indicator="per10k",
                      kind="cscom", leaflet_js="/vendor/leaflet/leaflet.js", leaflet_css="/vendor/leaflet/leaflet.css")  # fmt: skip
    assert isinstance(fmap, folium.Map)
    html = fmap.get_root().render()
    assert sorted(set(re.findall(r'(?:src|href)="([^"]+)"', html))) == ["/vendor/leaflet/leaflet.css",
                                                                         "/vendor/leaflet/leaflet.js"]  # fmt: skip
    assert "<b>Kanu" not in html and "Kanu\\u0026lt;/b\\u0026gt;" in html
    assert "Équipements pour 10 000 habitants" in html  # the legend
    assert "CSCOM (centres de santé communautaires)" in html and "OCHA COD-AB" in html


def test_opens_the_store_and_takes_a_lon_lat_centre(tiny_store):
    fmap = folium_map(tiny_store, center=(-7.99, 12.64), zoom=14, basemap="positron")
    assert fmap.location == [12.64, -7.99] and fmap.options["zoom"] == 14  # folium keeps lat, lon
    assert "basemaps.cartocdn.com" in fmap.get_root().render()
    whole = folium_map(open_store(tiny_store), layers=())
    assert "fitBounds" in whole.get_root().render()  # no centre: fitted to the District


@pytest.mark.parametrize(
    ("options", "parameter"),
    [
        ({"layers": ("cscom", "pubs")}, "layers"),
        ({"indicator": "wealth"}, "indicator"),
        ({"indicator": "per10k", "kind": "qa"}, "kind"),
        ({"basemap": "google"}, "basemap"),
        ({"center": (-7.99, 95)}, "center"),
        ({"zoom": 40}, "zoom"),
    ],
)
def test_bad_options_name_the_parameter(options, parameter):
    with pytest.raises(InvalidParameter) as info:
        folium_map(tiny_layers(), **options)
    assert info.value.parameter == parameter
