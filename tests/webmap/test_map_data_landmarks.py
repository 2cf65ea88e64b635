"""The atlas's own basemap carries its landmarks in the second part of the map data, in both languages."""

from __future__ import annotations

from geo.publication.landmarks import read_landmarks


def test_the_rest_of_the_map_data_carries_the_landmarks(client):
    shapes = client.get("/api/v1/map-data.json?v=test-build-1&part=shapes").get_json()
    rest = client.get("/api/v1/map-data.json?v=test-build-1&part=rest").get_json()
    assert "lm" not in shapes  # the first shapes stay as light as before
    landmarks = read_landmarks()
    assert rest["lm"]["n"].split("\n") == [x.name_fr for x in landmarks]
    assert rest["lm"]["e"].split("\n") == [x.name_en for x in landmarks]
    assert len(rest["lm"]["pt"]) == 2 * len(landmarks) and rest["lm"]["z"] == [x.min_zoom for x in landmarks]
    assert "Pont des Martyrs" in rest["lm"]["n"] and "Martyrs Bridge" in rest["lm"]["e"]
