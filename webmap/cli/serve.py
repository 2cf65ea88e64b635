"""``bamako-atlas serve``: run the web atlas with a production WSGI server.

Two or more workers run under gunicorn (one process per worker, each with its
threads), so the server uses every core despite Python's GIL; one worker, or
a platform without gunicorn, runs a single waitress process. Every worker sees
the planners' edits on its next request (the catalog polls the edits stamp).
"""

from __future__ import annotations

import logging
import os

import click

from webmap.cli.settings import current_settings

log = logging.getLogger(__name__)


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535), help="Port to listen on.")
@click.option(
    "--workers",
    default=min(os.cpu_count() or 1, 4),
    show_default="CPU count, at most 4",
    type=click.IntRange(1, 32),
    help="Server processes (gunicorn); 1 runs a single waitress process.",
)
@click.option(
    "--threads",
    default=2,
    show_default=True,
    type=click.IntRange(1, 64),
    help="Threads per worker (few threads keep tail latency low; more help when many slow requests overlap).",
)
@click.option("--dev", is_flag=True, help="Run Flask's development server with the reloader instead.")
def serve(host: str, port: int, workers: int, threads: int, dev: bool) -> None:
    """Serve the web atlas (builds the store first if there is none)."""
    from geo.store import store_path
    from webmap import create_app

    if not store_path(current_settings()).exists():
        from geo.pipeline.build import build  # only then: the build's imports would lengthen every start-up

        click.echo("Aucun magasin : construction à partir des sources…")
        build(current_settings())
    app = create_app({"ATLAS_SETTINGS": current_settings()})
    _ = app.extensions["atlas_catalog"].atlas  # load once, before the workers fork
    click.echo(f"Atlas de Bamako : ouvrez http://{host}:{port}/ dans un navigateur (Ctrl+C pour arrêter)")
    if dev:
        app.run(host=host, port=port, debug=True, use_reloader=True)
        return
    if workers > 1:
        try:
            from gunicorn.app.base import BaseApplication
        except ImportError:  # e.g. Windows: gunicorn needs fork()
            log.warning("gunicorn is not available here: serving with one waitress process")
        else:
            _gunicorn(BaseApplication, app, bind=f"{host}:{port}", workers=workers, threads=threads).run()
            return
    import waitress

    waitress.serve(app, host=host, port=port, threads=threads, ident="bamako-atlas")


def _gunicorn(base, app, **options):
    """Return a gunicorn application serving the already-loaded ``app``."""

    class Server(base):
        def load_config(self):
            settings = {
                **options,
                "worker_class": "gthread",
                "timeout": 120,  # a large import commit or a first export build may take seconds
                "graceful_timeout": 10,
                "accesslog": None,
                "errorlog": "-",
                "loglevel": "warning",
            }
            for key, value in settings.items():
                self.cfg.set(key, value)

        def load(self):
            return app

    return Server()
