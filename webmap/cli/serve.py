"""``bamako-atlas serve``: run the web atlas behind its own asynchronous front.

The front (:mod:`webmap.server`) is waitress: whole requests are read in an
event loop before a thread sees them, so slow clients cannot take the worker
threads; on POSIX several processes share one listening socket so the server
uses every core despite Python's GIL. Every process sees the planners' edits on
its next request (the catalog polls the edits stamp).
"""

from __future__ import annotations

import os
from pathlib import Path

import click

from webmap.cli.settings import current_settings
from webmap.server import FrontOptions


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(0, 65535), help="Port to listen on.")
@click.option(
    "--workers",
    default=min(os.cpu_count() or 1, 4),
    show_default="CPU count, at most 4",
    type=click.IntRange(1, 32),
    help="Server processes sharing the listening socket (one on Windows).",
)
@click.option(
    "--threads",
    default=FrontOptions.threads,
    show_default=True,
    type=click.IntRange(1, 64),
    help="Threads per process running complete requests (slow clients never hold one).",
)
@click.option(
    "--connection-limit",
    default=FrontOptions.connection_limit,
    show_default=True,
    type=click.IntRange(10, 100_000),
    help="Open connections per process; more wait in the listen backlog.",
)
@click.option(
    "--header-timeout",
    default=FrontOptions.header_timeout_s,
    show_default=True,
    type=click.FloatRange(1, 3600),
    help="Seconds a client has to send a request's headers.",
)
@click.option(
    "--body-timeout",
    default=FrontOptions.body_timeout_s,
    show_default=True,
    type=click.FloatRange(1, 3600),
    help="Seconds a client has to send a request's body once its headers are in.",
)
@click.option("--dev", is_flag=True, help="Run Flask's development server with the reloader instead.")
def serve(
    host: str,
    port: int,
    workers: int,
    threads: int,
    connection_limit: int,
    header_timeout: float,
    body_timeout: float,
    dev: bool,
) -> None:
    """Serve the web atlas (builds the store first if there is none)."""
    from geo.store import store_backend
    from webmap import create_app, server

    if not store_backend(current_settings()).exists():
        from geo.pipeline.build import build  # only then: the build's imports would lengthen every start-up

        click.echo("Aucun magasin : construction à partir des sources…")
        build(current_settings())
    app = create_app({"ATLAS_SETTINGS": current_settings()})
    _ = app.extensions["atlas_catalog"].atlas  # load once, before the processes fork
    if app.config["ATLAS_READ_ONLY"]:
        folder = Path(app.config["ATLAS_EDITS_DB"]).parent
        click.echo(
            f"Dossier {folder} en lecture seule : l'atlas est servi en lecture seule (ni connexion ni modification)."
        )
    if dev:
        click.echo(f"Atlas de Bamako : ouvrez http://{host}:{port}/ dans un navigateur (Ctrl+C pour arrêter)")
        app.run(host=host, port=port, debug=True, use_reloader=True)
        return
    options = FrontOptions(
        workers=workers,
        threads=threads,
        connection_limit=connection_limit,
        header_timeout_s=header_timeout,
        body_timeout_s=body_timeout,
    )
    try:
        sock = server.bind(host, port, options.backlog)
    except OSError as exc:  # e.g. the port is taken: one line from the CLI's error boundary
        raise OSError(exc.errno, exc.strerror, f"{host}:{port}") from None
    bound = sock.getsockname()[1]
    click.echo(f"Atlas de Bamako : ouvrez http://{host}:{bound}/ dans un navigateur (Ctrl+C pour arrêter)")
    server.run(app, sock, options)
