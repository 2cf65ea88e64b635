"""``bamako-atlas serve``: run the web atlas with a production WSGI server (waitress)."""

from __future__ import annotations

import logging

import click

log = logging.getLogger(__name__)


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535), help="Port to listen on.")
@click.option("--threads", default=8, show_default=True, type=click.IntRange(1, 64), help="Worker threads.")
@click.option("--dev", is_flag=True, help="Run Flask's development server with the reloader instead.")
def serve(host: str, port: int, threads: int, dev: bool) -> None:
    """Servir l'atlas web (construit le magasin d'abord s'il n'existe pas)."""
    from geo.store import store_path
    from webmap import create_app

    if not store_path().exists():
        from geo.build import build  # only then: the build's imports would lengthen every start-up

        click.echo("Aucun magasin : construction à partir des sources…")
        build()
    app = create_app()
    _ = app.extensions["atlas_catalog"].atlas  # load once before the first request
    click.echo(f"Atlas de Bamako : ouvrez http://{host}:{port}/ dans un navigateur (Ctrl+C pour arrêter)")
    if dev:
        app.run(host=host, port=port, debug=True, use_reloader=True)
        return
    import waitress

    waitress.serve(app, host=host, port=port, threads=threads, ident="bamako-atlas")
