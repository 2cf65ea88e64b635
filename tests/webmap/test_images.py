"""Static map images: /maps/<name>.png|pdf over the tiny atlas, and the renderer itself."""

from __future__ import annotations

import io
import re
import warnings
from pathlib import Path

import pytest
from matplotlib.text import Text
from PIL import Image

from geo.publication.viewstate import FACILITY_LAYERS, ViewState, parse_view
from geo.render import LAYER_STYLES, PRESETS, prepare, render
from geo.render.cartography import parse_page
from geo.render.figure import draw, render_context
from geo.store import open_store
from tests.backends import app_config
from webmap import create_app

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
MEDIABOX = re.compile(rb"/MediaBox \[ 0 0 ([\d.]+) ([\d.]+) \]")


def png_size(data: bytes) -> tuple[int, int]:
    assert data.startswith(PNG_MAGIC)
    with Image.open(io.BytesIO(data)) as img:
        return img.size


def pdf_page_pt(data: bytes) -> tuple[int, int]:
    assert data.startswith(b"%PDF-")
    boxes = MEDIABOX.findall(data)
    assert len(boxes) == 1, "one page"
    return round(float(boxes[0][0])), round(float(boxes[0][1]))


def test_default_png_is_a4_landscape_at_150_dpi(client):
    resp = client.get("/maps/view.png")
    assert resp.status_code == 200
    assert resp.mimetype == "image/png"
    assert png_size(resp.data) == (1754, 1240)
    assert resp.headers["Content-Disposition"] == 'inline; filename="bamako-view-A4-landscape.png"'
    assert "Set-Cookie" not in resp.headers


@pytest.mark.parametrize(
    ("query", "pixels"),
    [
        ("size=A4-portrait&dpi=100", (827, 1169)),
        ("size=A3&dpi=72", (1191, 842)),
        ("size=1600x900", (1600, 900)),
        ("size=1600x900&dpi=300", (1600, 900)),
        ("size=800x600&dpi=50", (800, 600)),
        ("size=A4-landscape&dpi=300", (3508, 2480)),
    ],
)
def test_png_pixel_size(client, query, pixels):
    resp = client.get(f"/maps/district.png?{query}")
    assert resp.status_code == 200, resp.data[-300:]
    assert png_size(resp.data) == pixels


@pytest.mark.parametrize(
    ("size", "points"), [("A4-landscape", (842, 595)), ("A4-portrait", (595, 842)), ("A3-portrait", (842, 1191))]
)
def test_pdf_page_size(client, size, points):
    resp = client.get(f"/maps/cscom.pdf?size={size}")
    assert resp.status_code == 200
    assert resp.mimetype == "application/pdf"
    assert pdf_page_pt(resp.data) == points
    assert resp.headers["Content-Disposition"] == f'inline; filename="bamako-cscom-{size}.pdf"'


def test_pdf_embeds_dejavu_and_is_reproducible(client, tiny_store):
    first = client.get("/maps/district.pdf").data
    assert b"DejaVuSans" in first
    other = create_app(app_config(tiny_store, TESTING=True))  # another process: a second render
    assert other.test_client().get("/maps/district.pdf").data == first


@pytest.mark.parametrize("name", sorted(PRESETS))
def test_every_preset_renders(client, name):
    resp = client.get(f"/maps/{name}.png?size=800x600&dpi=72")
    assert resp.status_code == 200
    assert png_size(resp.data) == (800, 600)


@pytest.mark.parametrize(
    "query",
    [
        "focus=ML090101",  # commune
        "focus=ML090102001",  # quartier
        "focus=lieu-stade",  # facility
        "center=-7.98,12.66&zoom=15",
        "center=-7.98,12.66",
        "zoom=14",
        "layers=",  # the choropleth alone
        "layers=cscom,hospitals,claec,kindergartens,schools,sports,other_health,waste,qa",
        "basemap=osm",  # accepted, no tiles drawn
        "indicator=per10k&kind=claec",
        "indicator=per10k",  # the web map's default kind
        "lang=en",
    ],
)
def test_view_parameters(client, query):
    resp = client.get(f"/maps/view.png?size=800x600&dpi=72&{query}")
    assert resp.status_code == 200, resp.data[-300:]
    assert png_size(resp.data) == (800, 600)


def test_filename_names_focus_and_language(client):
    resp = client.get("/maps/cscom.png?focus=ML090101&lang=en&size=1600x900")
    assert resp.headers["Content-Disposition"] == 'inline; filename="bamako-cscom-ml090101-1600x900-en.png"'


@pytest.mark.parametrize(
    ("query", "parameter", "fragment"),
    [
        ("size=A5", "size", "A4 or A3"),
        ("size=big", "size", "WIDTHxHEIGHT"),
        ("size=7000x900", "size", "6000"),
        ("dpi=high", "dpi", "an integer from 50 to 300"),
        ("dpi=301", "dpi", "maximum of 300"),
        ("center=north", "center", "center=lon,lat"),
        ("center=0,95", "center", "latitude"),
        ("zoom=far", "zoom", "number from 8 to 19"),
        ("zoom=30", "zoom", "number from 8 to 19"),
        ("layers=cscom,pubs", "layers", "allowed:"),
        ("indicator=wealth", "indicator", "allowed:"),
        ("basemap=google", "basemap", "allowed:"),
        ("lang=de", "lang", "lang=fr or lang=en"),
        ("focus=ML099999", "focus", "P-code"),
    ],
)
def test_bad_parameters_are_400_naming_the_parameter(client, query, parameter, fragment):
    resp = client.get(f"/maps/view.png?{query}")
    assert resp.status_code == 400
    body = resp.get_data(as_text=True)
    assert f"{parameter}:" in body
    assert fragment in body.replace("&#39;", "'").replace("&amp;", "&")


@pytest.mark.parametrize("path", ["/maps/nowhere.png", "/maps/view.svg", "/maps/view", "/maps/district.jpeg"])
def test_unknown_map_or_format_is_404(client, path):
    assert client.get(path).status_code == 404


def test_etag_and_304(client):
    first = client.get("/maps/district.png?size=800x600")
    etag = first.headers["ETag"]
    assert first.headers["Cache-Control"].startswith("public")
    again = client.get("/maps/district.png?size=800x600", headers={"If-None-Match": etag})
    assert again.status_code == 304
    assert again.data == b""
    assert again.headers["ETag"] == etag
    assert client.get("/maps/district.png?size=800x600", headers={"If-None-Match": '"other"'}).status_code == 200
    # Same view written differently → same ETag; another view → another.
    assert client.get("/maps/district.png?size=800x600&zoom=&basemap=osm").headers["ETag"] == etag
    assert client.get("/maps/district.png?size=800x601").headers["ETag"] != etag
    assert client.get("/maps/district.pdf?size=800x600").headers["ETag"] != etag


def test_images_are_cached_per_store_version(client, app, monkeypatch):
    import webmap.views.images as images

    calls = []
    real = images.render

    def counting(*args, **kwargs):
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(images, "render", counting)
    a = client.get("/maps/claec.png?size=640x480").data
    b = client.get("/maps/claec.png?size=640x480").data
    assert a == b and len(calls) == 1
    client.get("/maps/claec.png?size=640x480&lang=en")
    assert len(calls) == 2


def test_byte_cache_is_bounded():
    from webmap.views.images import ByteCache

    cache = ByteCache(max_items=2, max_bytes=10)
    cache.put("a", b"1234")
    cache.put("b", b"1234")
    assert cache.get("a") == b"1234"  # a is now the most recent
    cache.put("c", b"12")
    assert cache.get("b") is None and len(cache) == 2
    cache.put("d", b"123456789")
    assert cache.get("d") == b"123456789" and len(cache) == 1


# --- the renderer, without Flask -------------------------------------------------


@pytest.fixture
def tricky_data(tiny_store):
    """Prepared layers where names carry markup, TeX dollars and accents."""
    atlas = open_store(tiny_store)
    facilities = atlas.layers["facilities"].copy()
    facilities.loc[facilities["id"] == "lieu-stade", "name"] = "Stade $x$ & <i>Niaréla</i>"
    quartiers = atlas.layers["quartiers"].copy()
    quartiers.loc[quartiers["pcode"] == "ML090102001", "name"] = r"Dar $\alpha$ Salam"
    communes = atlas.layers["communes"].copy()
    communes.loc[communes["pcode"] == "ML090102", "name"] = "Commune <b>II</b> $5"
    layers = {**atlas.layers, "facilities": facilities, "quartiers": quartiers, "communes": communes}
    return prepare(layers, atlas.meta)


def test_qa_findings_without_point_take_their_facilitys(tiny_store):
    atlas = open_store(tiny_store)
    qa = atlas.layers["qa_findings"].copy()
    qa.loc[:, "geometry"] = None
    data = prepare({**atlas.layers, "qa_findings": qa}, atlas.meta)
    facility = data.facilities.set_index("id").loc["sante-0001"]
    assert (data.qa["x"].tolist(), data.qa["y"].tolist()) == ([facility["x"]], [facility["y"]])


def _texts(fig) -> dict[str, Text]:
    return {t.get_text(): t for t in fig.findobj(Text) if t.get_text()}


def test_names_are_drawn_as_plain_text(tricky_data):
    view = ViewState(layers=("sports", "claec"), focus="ML090102001")
    with render_context(), warnings.catch_warnings():
        warnings.simplefilter("error")  # a missing glyph (accents, narrow no-break space) would warn
        fig = draw(tricky_data, view, preset=PRESETS["view"], page=parse_page("A4-landscape", "72"))
        fig.canvas.draw()
        texts = _texts(fig)
        assert "Stade $x$ & <i>Niaréla</i>" in texts
        assert any("Dar $\\alpha$ Salam" in s for s in texts)  # in the subtitle
        for s, t in texts.items():
            assert not t.get_usetex(), s
            assert t._preprocess_math(s) == (s, False), s  # never parsed as mathtext


def test_commune_names_with_dollars_are_plain(tricky_data):
    with render_context():
        fig = draw(
            tricky_data,
            ViewState(layers=(), focus="ML090102"),
            preset=PRESETS["district"],
            page=parse_page("800x600", "72"),
        )
        fig.canvas.draw()
        texts = _texts(fig)
    subtitle = next(s for s in texts if "Commune <b>II</b> $5" in s)
    assert texts[subtitle]._preprocess_math(subtitle) == (subtitle, False)


def test_render_returns_png_and_pdf_bytes(tricky_data):
    view = parse_view({"layers": "cscom,sports"})
    png = render(tricky_data, view, preset=PRESETS["view"], page=parse_page("640x480", "72"), fmt="png")
    assert png_size(png) == (640, 480)
    pdf = render(tricky_data, view, preset=PRESETS["view"], page=parse_page("A4-portrait", None), fmt="pdf")
    assert pdf_page_pt(pdf) == (595, 842)


def test_translate_function_is_used(tricky_data):
    seen = []

    def translate(text):
        seen.append(text)
        return text.upper()  # also breaks every %(placeholder)s

    with render_context():
        fig = draw(
            tricky_data,
            ViewState(),
            preset=PRESETS["district"],
            page=parse_page("800x600", "72"),
            lang="en",
            translate=translate,
        )
    texts = _texts(fig)
    assert "Équipements et densité de population" in seen
    assert "ÉQUIPEMENTS ET DENSITÉ DE POPULATION" in texts
    # A translation that breaks a placeholder falls back to the French source instead of failing;
    # the attribution is data vocabulary, in the map's language.
    assert any(s.startswith("Sources : Boundaries: OCHA COD-AB") for s in texts)


@pytest.mark.parametrize(("key", "kind"), [("density", None), ("per10k", "cscom"), ("per10k", "schools")])
def test_choropleth_classes_are_the_web_maps(tiny_store, key, kind):
    from geo.analysis import map_indicators as indicators
    from geo.publication import mapdata as display

    atlas = open_store(tiny_store)
    data = prepare(atlas.layers, atlas.meta)
    mine = data.choropleth(key, kind)
    fac = atlas.layers["facilities"]
    counted = indicators.analysed(fac[~(fac.geometry.isna() | fac.geometry.is_empty).to_numpy()])
    kinds = FACILITY_LAYERS[kind] if kind else ()
    web = display.indicator_values(atlas.layers["quartiers"], counted, {"x": (key, kinds)})["x"]
    assert list(mine.bins) == web["b"]
    assert [None if v != v else v for v in mine.values] == web["v"]


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_labels_are_the_web_maps(app, lang):
    from geo.render.ctx import Ctx
    from geo.render.legend import indicator_title
    from webmap.clientconfig import map as mapconfig

    ctx = Ctx(tr=lambda s: s, lang=lang, s=1.0)
    with app.test_request_context(f"/?lang={lang}"):
        menu = {entry["id"]: entry for entry in mapconfig.indicator_menu()}
    assert menu["density"]["title"] == indicator_title("density", None, ctx)
    assert menu["cover1km:cscom"]["group"] == indicator_title("cover1km", None, ctx)


def test_every_map_layer_has_a_style():
    assert set(LAYER_STYLES) == set(FACILITY_LAYERS)
    for preset in PRESETS.values():
        assert preset.layers is None or set(preset.layers) <= set(FACILITY_LAYERS)


def test_renderer_does_not_use_flask_or_pyplot():
    folder = Path(__file__).resolve().parents[2] / "geo" / "render"
    for path in folder.glob("*.py"):
        source = path.read_text(encoding="utf-8")
        assert not re.search(r"^\s*(from|import) flask", source, re.M), path
        assert not re.search(r"^\s*(from matplotlib import pyplot|import matplotlib.pyplot)", source, re.M), path


# --- the real store -------------------------------------------------------------


@pytest.mark.integration
def test_real_store_renders_district_and_focused_maps(real_store):
    client = create_app(app_config(real_store, TESTING=True)).test_client()
    client.get("/maps/view.png?size=300x300&dpi=50")  # load the store and prepare the layers
    for url, check in (
        ("/maps/district.png", lambda d: png_size(d) == (1754, 1240)),
        ("/maps/cscom.pdf?focus=ML090103", lambda d: pdf_page_pt(d) == (842, 595)),
    ):
        resp = client.get(url)  # its speed is measured by bench/, not here
        assert resp.status_code == 200 and check(resp.data)


def test_a_coverage_share_has_the_coverage_pages_classes_and_fills_everywhere(tiny_store):
    """Issue 10: « Habitants à moins de 2 km » looked different on / (fitted classes) and /couverture."""
    from geo.analysis import map_indicators as indicators
    from geo.analysis.coverage.formats import SHARE_BINS, SHARE_COLORS, share_class
    from geo.publication import mapdata as display

    atlas = open_store(tiny_store)
    data = prepare(atlas.layers, atlas.meta)
    image = data.choropleth("cover2km", "cscom")
    fac = atlas.layers["facilities"]
    counted = indicators.analysed(fac[~(fac.geometry.isna() | fac.geometry.is_empty).to_numpy()])
    web = display.indicator_values(atlas.layers["quartiers"], counted, {"x": ("cover2km", FACILITY_LAYERS["cscom"])})[
        "x"
    ]
    assert web["b"] == list(image.bins) == [b * 100 for b in SHARE_BINS]
    assert web["c"] == list(image.colors) == list(SHARE_COLORS)
    for value, cls in zip(image.values, image.index, strict=True):
        assert cls == share_class(value / 100)  # the class /couverture gives
    assert "c" not in display.indicator_values(atlas.layers["quartiers"], counted, {"d": ("density", ())})["d"]
