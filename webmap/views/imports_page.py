"""The planners' import page (``/imports``): upload a file, read its preview, commit it.

The page is a shell: its script (webmap/static/imports.js) talks to the JSON
API (``POST /api/v1/imports``, ``POST /api/v1/imports/<id>/commit``).
"""

from __future__ import annotations

from flask import Blueprint, make_response, render_template

from geo.planning.imports import road_layer_info
from webmap import auth
from webmap.catalog import current_catalog
from webmap.clientconfig import edit as editconfig

bp = Blueprint("imports_page", __name__)


@bp.get("/imports")
@auth.require_role("editor", login_page=True)
def page():
    """The import page (editors; anonymous visitors are sent to the sign-in page)."""
    roads = road_layer_info(current_catalog().edit_store().path)
    resp = make_response(render_template("imports.html", config=editconfig.import_config(), roads=roads))
    resp.headers["Cache-Control"] = "no-store"
    return resp
