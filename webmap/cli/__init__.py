"""The ``bamako-atlas`` command: data, export and serve."""

from __future__ import annotations

import logging
import sys

import click

from geo.errors import AtlasError
from geo.settings import Settings
from webmap.cli.i18n import localize


class AtlasGroup(click.Group):
    """A click group that turns library errors into one clear line and exit status 2."""

    def main(self, *args, **kwargs):
        """Run the command line in the locale's language (see webmap.cli.i18n)."""
        localize(self)
        return super().main(*args, **kwargs)

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except AtlasError as exc:
            click.echo(f"Erreur : {exc}", err=True)
            sys.exit(2)


@click.group(cls=AtlasGroup)
@click.option("-v", "--verbose", is_flag=True, help="Log progress to standard error.")
@click.pass_context
def main(ctx: click.Context, verbose: bool) -> None:
    """Bamako Atlas: data, exports and web server."""
    logging.basicConfig(
        level=logging.INFO if verbose else logging.WARNING, format="%(levelname)s %(name)s: %(message)s"
    )
    ctx.obj = Settings.resolve()  # once per command; passed to every library call that needs a setting


def _register() -> None:
    import importlib

    for module_name, attr in (
        ("webmap.cli.data", "data"),
        ("webmap.cli.export", "export"),
        ("webmap.cli.serve", "serve"),
        ("webmap.cli.users", "users"),
        ("webmap.cli.imports", "import_cmd"),
    ):
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name != module_name:
                raise
            continue
        main.add_command(getattr(module, attr))


_register()
