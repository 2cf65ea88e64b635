"""Browser fixtures: headless Chromium (Debian's, driven by Playwright) and the atlas served in a child process.

Every page opened through ``open_map`` is watched by a ``Guard``: a request
to any host other than 127.0.0.1 is aborted and recorded, and so are console
errors, page errors, failed requests, same-origin HTTP errors and dialogs
(``alert`` …). A test fails at teardown if its guard recorded anything.
"""

from __future__ import annotations

import json
import os
import selectors
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode, urlsplit

import geopandas as gpd
import pytest

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
#: Screenshots land here (git-ignored).
ARTIFACTS = ROOT / "tests" / "_artifacts" / "e2e"
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 360, "height": 740}
LOCALES = {"fr": "fr-FR", "en": "en-GB"}
SERVER_START_TIMEOUT_S = 60
#: The name that must stay text wherever the page shows it.
MARKUP_NAME = "<img src=x onerror=alert(1)>"
#: Planner accounts of the editing servers (``planner_server``): name → role; all share one password.
PLANNERS = {"awa": "editor", "ali": "admin", "vera": "viewer"}
PLANNER_PASSWORD = "e2e planner password"


# ------------------------------------------------------------------ browser
@pytest.fixture(scope="session")
def browser():
    """Return a headless Chromium (Debian's /usr/bin/chromium; Playwright never downloads one)."""
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed (test extra)")
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is missing: install Debian's chromium (scripts/setup does it as root)")
    with sync_api.sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


# ------------------------------------------------------------------- server
@dataclass
class Server:
    """The atlas served by waitress in a child process."""

    base_url: str
    process: subprocess.Popen
    store: Path | None = None  # the served store (tests.backends.planners_db gives its planners' database)


def start_server(store: Path, log_path: Path) -> Server:
    """Start tests/e2e/serve.py over ``store``; return once it listens."""
    from tests.backends import app_config

    config = json.dumps(app_config(store))  # the GeoPackage, or the PostGIS database standing for it
    log = log_path.open("wb")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen(
        [sys.executable, str(Path(__file__).with_name("serve.py")), config],
        stdout=subprocess.PIPE, stderr=log, cwd=ROOT, env=env,
    )  # fmt: skip
    log.close()
    with selectors.DefaultSelector() as sel:
        sel.register(proc.stdout, selectors.EVENT_READ)
        ready = sel.select(timeout=SERVER_START_TIMEOUT_S)
    line = proc.stdout.readline().decode() if ready else ""
    if not line.startswith("PORT "):
        proc.kill()
        proc.wait()
        pytest.fail(f"the atlas server did not start; its log: {log_path}\n{log_path.read_text()[-2000:]}")
    return Server(f"http://127.0.0.1:{int(line.split()[1])}", proc, Path(store))


def stop_server(server: Server) -> None:
    """Stop a server started by start_server (that process only)."""
    server.process.terminate()
    try:
        server.process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        server.process.kill()
        server.process.wait()
    server.process.stdout.close()


@pytest.fixture(scope="session")
def real_server(real_store, tmp_path_factory) -> Iterator[Server]:
    """Serve the real store built from the mirror (skips when BAMAKO_ATLAS_MIRROR is unset)."""
    server = start_server(real_store, tmp_path_factory.mktemp("e2e-real") / "server.log")
    yield server
    stop_server(server)


@pytest.fixture(scope="session")
def markup_store(tmp_path_factory) -> Path:
    """Return a tiny atlas whose CSCOM is named ``MARKUP_NAME``."""
    from geo.store import write_store
    from tests.conftest import tiny_layers

    layers = tiny_layers()
    fac = layers["facilities"]
    fac.loc[fac["id"] == "dnacpn-01", "name"] = MARKUP_NAME
    meta = {"build_id": "e2e-markup", "built_at": "2026-11-29T00:00:00+00:00", "package_version": "test",
            "sources": {}, "counts": {}}  # fmt: skip
    return write_store(tmp_path_factory.mktemp("e2e-markup") / "atlas.gpkg", layers, meta)


@pytest.fixture(scope="session")
def markup_server(markup_store, tmp_path_factory) -> Iterator[Server]:
    """Serve the tiny markup atlas."""
    server = start_server(markup_store, tmp_path_factory.mktemp("e2e-markup-log") / "server.log")
    yield server
    stop_server(server)


def add_planners(store: Path) -> Path | str:
    """Create the PLANNERS accounts in the planners' database the app serving ``store`` uses; return it.

    Hashed with a cheap scrypt cost (the cost is stored in each hash, so the server checks it as cheaply).
    """
    from geo.planning import accounts
    from tests.backends import planners_db

    db = planners_db(store)
    cost = accounts.SCRYPT_N
    accounts.SCRYPT_N = 2**10
    try:
        for name, role in PLANNERS.items():
            accounts.create_user(db, name, role, PLANNER_PASSWORD)
    finally:
        accounts.SCRYPT_N = cost
    return db


@pytest.fixture(scope="module")
def planner_server(tmp_path_factory) -> Iterator[Server]:
    """Serve a fresh tiny atlas with the PLANNERS accounts, one per test module (edits change it)."""
    from geo.store import write_store
    from tests.conftest import tiny_layers

    folder = tmp_path_factory.mktemp("e2e-planner")
    meta = {"build_id": "e2e-planner", "built_at": "2026-11-29T00:00:00+00:00", "package_version": "test",
            "sources": {}, "counts": {}}  # fmt: skip
    store = write_store(folder / "atlas.gpkg", tiny_layers(), meta)
    add_planners(store)
    server = start_server(store, folder / "server.log")
    yield server
    stop_server(server)


@dataclass(frozen=True)
class Expected:
    """What the map must draw, counted from the store."""

    quartiers: int
    cscom_located: int  # CSCOM with a point: each is one marker
    cscom_in_analysis: int


@pytest.fixture(scope="session")
def expected(real_store) -> Expected:
    """Count what the real store holds."""
    quartiers = gpd.read_file(real_store, layer="quartiers")
    fac = gpd.read_file(real_store, layer="facilities")
    cscom = fac[fac["kind"] == "cscom"]
    located = ~(cscom.geometry.isna() | cscom.geometry.is_empty)
    return Expected(len(quartiers), int(located.sum()), int(cscom["in_analysis"].astype(bool).sum()))


# -------------------------------------------------------------------- guard
def tile_hosts() -> tuple[str, ...]:
    """Return the hosts of the online basemaps' tiles (``{s}.`` subdomains dropped)."""
    from geo.publication import symbols as styles

    hosts = (urlsplit(b.url.replace("{s}.", "")).hostname for b in styles.BASEMAPS.values() if b.url)
    return tuple(h for h in hosts if h)


@dataclass
class Guard:
    """Record what a page must never do: leave 127.0.0.1, log errors, fail requests, open dialogs."""

    origin: str
    allow_tiles: bool = False  # an online basemap was chosen: its tile requests are aborted, not failures
    problems: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)

    def local(self, url: str) -> bool:
        return urlsplit(url).hostname == "127.0.0.1" or url.startswith(("data:", "blob:", "about:"))

    def tile(self, url: str) -> bool:
        host = urlsplit(url).hostname or ""
        return self.allow_tiles and any(host == h or host.endswith("." + h) for h in tile_hosts())

    def on_route(self, route) -> None:
        url = route.request.url
        if self.local(url):
            route.continue_()
            return
        if not self.tile(url):
            self.problems.append(f"request to another host: {url}")
        route.abort()  # never leave the machine, even for tiles

    def on_console(self, msg) -> None:
        if msg.type == "error" and not self.tile(msg.location.get("url", "")):
            self.problems.append(f"console error: {msg.text} ({msg.location.get('url')})")

    def on_request_failed(self, request) -> None:
        if self.local(request.url):  # other hosts were aborted by on_route, and recorded there
            self.problems.append(f"request failed: {request.url} ({request.failure})")

    def on_response(self, response) -> None:
        if response.url.startswith(self.origin) and response.status >= 400:
            self.problems.append(f"HTTP {response.status}: {response.url}")

    def on_dialog(self, dialog) -> None:
        self.dialogs.append(f"{dialog.type}: {dialog.message}")
        self.problems.append(f"a dialog fired: {dialog.type} {dialog.message!r}")
        dialog.dismiss()

    def attach(self, context, page) -> None:
        context.route("**/*", self.on_route)
        page.on("console", self.on_console)
        page.on("pageerror", lambda exc: self.problems.append(f"page error: {exc} {exc.stack}"))
        page.on("requestfailed", self.on_request_failed)
        page.on("response", self.on_response)
        page.on("dialog", self.on_dialog)


# -------------------------------------------------------------------- pages
def wait_for_map(page) -> None:
    """Wait until the script has drawn the map data (``#atlas.ready``)."""
    page.wait_for_selector("#atlas.ready", state="attached", timeout=20_000)


@pytest.fixture
def open_map(browser) -> Iterator[Callable]:
    """Return ``open_map(server, path, *, viewport=DESKTOP, lang="fr", allow_tiles=False, user=None, wait=True)``.

    Each call gets a fresh browser context (no cookies) whose Accept-Language
    is ``lang``; the page is loaded, guarded and waited for. With ``user`` (one
    of PLANNERS) the context signs in on /login first; ``wait=False`` is for
    pages without a map; ``responses`` (a list) receives every response of the page from its first request.
    At teardown the test fails if any guard recorded a problem.
    """
    opened: list[tuple[object, Guard]] = []

    def _open(server: Server, path: str, *, viewport: dict = DESKTOP, lang: str = "fr", allow_tiles: bool = False,
              user: str | None = None, wait: bool = True, responses: list | None = None):  # fmt: skip
        context = browser.new_context(viewport=viewport, locale=LOCALES[lang], service_workers="block",
                                      is_mobile=viewport["width"] < 600, has_touch=viewport["width"] < 600)  # fmt: skip
        page = context.new_page()
        guard = Guard(server.base_url, allow_tiles=allow_tiles)
        guard.attach(context, page)
        page.guard = guard
        if responses is not None:
            page.on("response", lambda response: responses.append(response))
        opened.append((context, guard))
        if user is not None:
            sign_in(page, server, user, then=path)
        else:
            page.goto(server.base_url + path)
        if wait:
            wait_for_map(page)
        return page

    yield _open
    problems = [p for _, guard in opened for p in guard.problems]
    for context, _ in opened:
        context.close()
    assert not problems, "the page misbehaved:\n" + "\n".join(problems)


def sign_in(page, server: Server, user: str, *, then: str = "/") -> None:
    """Sign ``user`` (one of PLANNERS) in through the login form of ``page``'s context, then go to ``then``."""
    page.goto(server.base_url + "/login?" + urlencode({"next": then}))
    page.wait_for_load_state("networkidle")  # the favicon too: leaving earlier aborts its request
    page.locator("#login-name").fill(user)
    page.locator("#login-password").fill(PLANNER_PASSWORD)
    with page.expect_navigation():
        page.locator(".login-page button[type=submit]").click()
    assert "/login" not in page.url, f"{user} could not sign in"


def screenshot(page, name: str) -> Path:
    """Save a screenshot under tests/_artifacts/e2e/ and return its path."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path))
    return path
