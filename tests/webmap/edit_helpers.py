"""Helpers of the editing tests: an app over the tiny atlas with planner accounts, sign-in, tokens, positions."""

from __future__ import annotations

import re
from pathlib import Path

from geo.planning import accounts
from tests.backends import app_config, planners_db
from tests.conftest import tiny_layers
from webmap import create_app

PASSWORD = "correct horse battery"
#: Accounts created in every editing app: name → role.
USERS = {"awa": "editor", "admin1": "admin", "viewer1": "viewer"}
SECURITY_HEADERS = ("Content-Security-Policy", "X-Content-Type-Options", "Referrer-Policy", "X-Frame-Options")


def make_app(tiny_store: Path, db: Path | str | None = None):
    """Return an app over the tiny store with the planners' database ``db`` (default: the store's) and USERS."""
    db = planners_db(tiny_store) if db is None else db
    app = create_app(app_config(tiny_store, edits_db=db, TESTING=True))
    for name, role in USERS.items():
        accounts.create_user(db, name, role, PASSWORD)
    return app


def login(client, name: str = "awa") -> str:
    """Sign ``name`` in with a session; return the session's CSRF token."""
    html = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)
    resp = client.post("/login", data={"name": name, "password": PASSWORD, "csrf_token": token})
    assert resp.status_code == 302, resp.get_data(as_text=True)
    with client.session_transaction() as sess:
        return sess["csrf_token"]


def bearer(db: Path | str, name: str = "awa") -> dict[str, str]:
    """Return the Authorization header of a new API token of ``name``."""
    return {"Authorization": f"Bearer {accounts.issue_token(db, name)}"}


def inside(pcode: str = "ML090101002") -> tuple[float, float]:
    """Return (lon, lat) of the centre of a tiny quartier (inside the District)."""
    point = tiny_layers()["quartiers"].set_index("pcode").geometry[pcode].centroid
    return point.x, point.y
