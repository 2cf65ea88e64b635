"""Bamako Atlas web layer: a thin Flask adapter over the ``geo`` library."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Blueprint, Flask

#: Largest request body: the largest upload plus room for the multipart envelope.
UPLOAD_ENVELOPE_BYTES = 64 * 1024


def blueprints() -> tuple[Blueprint, ...]:
    """Return the app's blueprints, one per URL area, in registration order."""
    from webmap import assets
    from webmap.views import api, auth, coverage, data_page, edit_api, history, images, imports_page, ogcapi, pages

    return (pages.bp, assets.bp, api.bp, ogcapi.bp, images.bp, auth.bp, coverage.bp, imports_page.bp, edit_api.bp,
            history.bp, data_page.bp)  # fmt: skip


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    """Create the web atlas.

    Parameters
    ----------
    test_config
        Flask config overrides. ``ATLAS_STORE`` (path of the store GeoPackage)
        defaults to the store under the data home; ``ATLAS_SETTINGS`` holds
        overrides of ``geo.settings`` names, resolved once with the environment
        into ``app.extensions["atlas_settings"]`` (``webmap.settings.current_settings``).
    """
    from geo.planning.imports import MAX_BYTES
    from geo.store import GeoPackageStore, store_backend
    from webmap import auth, compress, errors, i18n, proxy, readonly, security, staticsite, templating
    from webmap import settings as atlas_settings
    from webmap.catalog import Catalog

    app = Flask(__name__)
    app.config.from_mapping(ATLAS_STORE=None, ATLAS_SETTINGS={}, JSON_SORT_KEYS=False)
    if test_config:
        app.config.update(test_config)
    if not app.config.get("MAX_CONTENT_LENGTH"):
        app.config["MAX_CONTENT_LENGTH"] = MAX_BYTES + UPLOAD_ENVELOPE_BYTES
    settings = atlas_settings.init_app(app)
    store = GeoPackageStore(Path(app.config["ATLAS_STORE"])) if app.config["ATLAS_STORE"] else store_backend(settings)
    auth.init_app(app)  # also resolves ATLAS_EDITS_DB, the planners' database
    readonly.init_app(app)
    app.extensions["atlas_catalog"] = Catalog(store, edits_path=app.config["ATLAS_EDITS_DB"], settings=settings)

    i18n.init_app(app)
    errors.init_app(app)
    security.init_app(app)
    compress.init_app(app)
    proxy.init_app(app, settings)  # trusted X-Forwarded-* headers and BASE_URL
    templating.init_app(app)
    staticsite.init_app(app)
    for bp in blueprints():
        app.register_blueprint(bp)
    return app
