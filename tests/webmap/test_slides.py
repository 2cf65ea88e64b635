"""Map images for slides and print: presets, metadata, focus subtitle, label placement and the image menus."""

from __future__ import annotations

import io

import numpy as np
import pytest
from matplotlib.text import Text
from PIL import Image

from geo.publication.viewstate import ViewState
from geo.render import PRESETS, prepare
from geo.render.cartography import parse_page
from geo.render.data import communes_in_view
from geo.render.figure import draw, population_text, render_context
from geo.render.layers import marker_boxes
from geo.render.metadata import licences
from geo.store import open_store

pypdf = pytest.importorskip("pypdf")


def _png(data: bytes) -> Image.Image:
    return Image.open(io.BytesIO(data))


@pytest.mark.parametrize(
    ("query", "pixels"),
    [("size=slide-16x9", (1920, 1080)), ("size=slide-4x3", (1440, 1080)), ("size=slide-16x9&dpi=72", (960, 540)),
     ("size=A4-landscape&dpi=100", (1169, 827)), ("size=A3-landscape&dpi=100", (1654, 1169))],
)  # fmt: skip
def test_presets_give_their_pixel_sizes(client, query, pixels):
    resp = client.get(f"/maps/view.png?{query}")
    assert resp.status_code == 200
    assert _png(resp.data).size == pixels


def test_slide_pdf_is_a_widescreen_page(client):
    resp = client.get("/maps/cscom.pdf?size=slide-16x9")
    page = pypdf.PdfReader(io.BytesIO(resp.data)).pages[0]
    assert (round(float(page.mediabox.width)), round(float(page.mediabox.height))) == (960, 540)


def test_slides_have_larger_text_than_paper():
    assert parse_page("slide-16x9", None).text_scale > parse_page("A4-landscape", None).text_scale == 1.0


@pytest.mark.parametrize(("query", "fragment"), [("size=slide-2x1", "slide-16x9"), ("size=slide-16x9&dpi=400", "dpi")])
def test_bad_sizes_are_400_naming_the_parameter(client, query, fragment):
    resp = client.get(f"/maps/view.png?{query}")
    assert resp.status_code == 400
    body = resp.get_data(as_text=True)
    assert ("dpi:" if "dpi=" in query else "size:") in body and fragment in body


def test_png_metadata_holds_title_credit_licence_and_date(client):
    img = _png(client.get("/maps/cscom.png?size=640x480&focus=ML090101").data)
    meta = img.text
    assert meta["Title"] == "Centres de santé communautaires (CSCOM)"
    assert meta["Author"] == "Atlas de Bamako"
    assert "Commune I" in meta["Description"]
    assert meta["Source"].startswith("Limites : OCHA COD-AB")
    assert "CC BY-IGO" in meta["Copyright"] and "licence" in meta["Copyright"]
    assert meta["Creation Time"] == "2026-11-29T00:00:00+00:00"  # the store's build time


def test_pdf_metadata_holds_title_credit_licence_and_date(client):
    info = pypdf.PdfReader(io.BytesIO(client.get("/maps/cscom.pdf?lang=en").data)).metadata
    assert info.title.startswith("Community health centres") and "District" in info.title
    assert info.author == "Atlas de Bamako"
    assert info.subject.count("CC BY-IGO") >= 1 and "Boundaries: OCHA COD-AB" in info.subject
    assert "Bamako" in info["/Keywords"] and "CSCOM" in info["/Keywords"]
    assert info.creation_date.year == 2026 and info.creation_date.month == 11


def test_licences_list_every_source():
    assert licences().count(":") >= 3 and "CC BY-IGO" in licences()


def _texts(fig) -> list[str]:
    return [t.get_text() for t in fig.findobj(Text) if t.get_text()]


def test_focus_subtitle_names_the_commune_with_its_population_range(tiny_store):
    atlas = open_store(tiny_store)
    data = prepare(atlas.layers, atlas.meta)
    with render_context():
        fig = draw(data, ViewState(layers=("cscom",), focus="ML090101"), preset=PRESETS["view"],
                   page=parse_page("800x600", "72"))  # fmt: skip
    subtitle = next(t for t in _texts(fig) if t.endswith("District de Bamako"))
    assert subtitle.startswith("Commune I")
    row = atlas.layers["communes"].set_index("pcode").loc["ML090101"]
    if "pop_low" in row and row["pop_low"] == row["pop_low"]:
        assert "hab." in subtitle and "–" in subtitle


def test_population_text_is_rounded_with_its_interval():
    from geo.render.ctx import Ctx

    ctx = Ctx(lambda s: s, "fr", 1.0)
    assert population_text((25347, 15210, 40980), 2022, ctx) == "~25\u202f000 hab. (15\u202f000–41\u202f000) en 2022"


def test_zoomed_view_names_the_commune_in_view(tiny_store):
    atlas = open_store(tiny_store)
    data = prepare(atlas.layers, atlas.meta)
    row = atlas.layers["communes"].to_crs(4326).iloc[0]
    c = row.geometry.representative_point()
    with render_context():
        fig = draw(data, ViewState(layers=(), center=(c.x, c.y), zoom=19), preset=PRESETS["view"],
                   page=parse_page("800x600", "72"))  # fmt: skip
    assert any(t.startswith(row["name"]) and t.endswith("District de Bamako") for t in _texts(fig))


def test_a_district_view_clipped_at_an_edge_names_the_district(tiny_store):
    """A browser's District view, estimated for a page, may clip a sliver: it is the District, not its largest commune."""
    atlas = open_store(tiny_store)
    data = prepare(atlas.layers, atlas.meta)
    x0, y0, x1, y1 = data.district_bounds
    assert communes_in_view(data, (x0, y0, x1, y1 - 0.03 * (y1 - y0))) == []
    half = communes_in_view(data, (x0, y0, (x0 + x1) / 2, y1))  # half the District: its communes are named
    assert half and len(half) < len(data.communes)


def test_outside_facilities_are_faded_and_in_the_legend(tiny_store):
    atlas = open_store(tiny_store)
    fac = atlas.layers["facilities"].copy()
    cscom = fac.index[fac["kind"] == "cscom"][0]
    fac.loc[cscom, "in_analysis"] = False
    data = prepare({**atlas.layers, "facilities": fac}, atlas.meta)
    with render_context():
        fig = draw(data, ViewState(layers=("cscom",)), preset=PRESETS["view"], page=parse_page("800x600", "72"))
    alphas = [c.get_alpha() for c in fig.axes[0].collections if c.get_gid() == "markers"]
    assert 0.45 in alphas
    assert any(t.startswith("Hors du District") for t in _texts(fig))


@pytest.mark.parametrize(("path", "marker"), [("/communes/ML090101", 'data-print="map-print"'),
                                              ("/couverture", 'data-print="cov-print"'), ("/", 'data-print="map-print"')])  # fmt: skip
def test_every_map_view_offers_the_image_menu(client, path, marker):
    html = client.get(path).get_data(as_text=True)
    assert marker in html
    assert 'value="slide-16x9"' in html and "Diapositive 16:9" in html


def test_image_menu_is_translated(client):
    html = client.get("/communes/ML090101?lang=en").get_data(as_text=True)
    assert "Image of this view" in html and "Slide 16:9" in html


# --- the real store ---------------------------------------------------------------


@pytest.mark.integration
@pytest.mark.parametrize("size", ["A4-landscape", "A3-portrait", "slide-16x9", "slide-4x3"])
def test_commune_labels_cover_no_marker_on_the_real_map(real_store, size):
    """No commune name overlaps a facility symbol (« Commune III » read « Commune II. » under a CSCOM dot)."""
    atlas = open_store(real_store)
    data = prepare(atlas.layers, atlas.meta)
    names = set(data.communes["name"])
    with render_context():
        fig = draw(data, ViewState(layers=("cscom", "hospitals", "claec", "sports")), preset=PRESETS["view"],
                   page=parse_page(size, "100"))  # fmt: skip
        fig.canvas.draw()
        renderer = fig.canvas.get_renderer()
        ax = fig.axes[0]
        markers = marker_boxes(ax)
        frame = ax.get_window_extent(renderer)
        labels = [t for t in ax.texts if t.get_text() in names]
        assert len(labels) == 6
        boxes = [label.get_window_extent(renderer) for label in labels]
        for i, a in enumerate(boxes):
            assert not any(a.overlaps(b) for b in boxes[i + 1 :]), f"{labels[i].get_text()} overlaps another name"
        for label in labels:
            box = label.get_window_extent(renderer)
            hits = (
                (markers[:, 0] < box.x1)
                & (markers[:, 2] > box.x0)
                & (markers[:, 1] < box.y1)
                & (markers[:, 3] > box.y0)
            )
            assert not hits.any(), f"{label.get_text()} covers {int(hits.sum())} marker(s) at {size}"
            assert frame.x0 <= box.x0 and box.x1 <= frame.x1 and frame.y0 <= box.y0 and box.y1 <= frame.y1
    assert len(markers) > 80 and np.isfinite(markers).all()


def test_a_narrow_population_range_is_widened_to_the_estimates_precision():
    from geo.render.ctx import Ctx

    ctx = Ctx(lambda s: s, "en", 1.0)
    assert population_text((973689, 965059, 973689), None, ctx) == "~970,000 hab. (960,000–980,000)"
