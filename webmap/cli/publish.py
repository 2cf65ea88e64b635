"""``bamako-atlas publish DIR``: write the read-only atlas as a static site (see :mod:`webmap.publish`)."""

from __future__ import annotations

from pathlib import Path

import click

from geo.planning.edits.pg import is_url
from geo.store import store_path
from webmap.cli.settings import current_settings


@click.command("publish")
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
@click.option("--live-url", default="", help="Address of the live atlas, linked for what needs the server "
              "(login, edits, scenarios, selections); without it those parts are hidden.")  # fmt: skip
@click.option("--base-url", default="", help="Address the site will be served at, written in the OGC API's links "
              "(GDAL 3.6 needs absolute links); the pages link from the host's root whatever it is.")  # fmt: skip
def publish(directory: Path, live_url: str, base_url: str) -> None:
    """Write the read-only atlas to DIRECTORY as static files any web server or CDN can serve.

    \b
    Example:
      bamako-atlas publish site --live-url https://atlas.example.org

    DIRECTORY is written beside itself, then renamed: a failure leaves the previous one untouched.
    """
    from webmap.publish import publish as write_site

    for name, value in (("--live-url", live_url), ("--base-url", base_url)):
        if value and not value.startswith(("http://", "https://")):
            raise click.BadParameter(f"{value!r} is not an http(s) address", param_hint=name)
    settings = current_settings()
    store = settings["DATABASE"] if is_url(settings["DATABASE"]) else store_path(settings)  # PostGIS, else the file
    report = write_site(store, directory, live_url=live_url, base_url=base_url)
    size = f"{report.bytes:,}".replace(",", " ")
    click.echo(f"Écrit : {report.target} ({report.files} fichiers, {size} octets, {report.seconds:.1f} s)")
