"""The ``bamako-atlas`` command: data, export and serve."""

from __future__ import annotations

import logging
import sys

import click

from geo.errors import AtlasError


class AtlasGroup(click.Group):
    """A click group that turns library errors into one clear line and exit status 2."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except AtlasError as exc:
            click.echo(f"Erreur : {exc}", err=True)
            sys.exit(2)


@click.group(cls=AtlasGroup)
@click.option("-v", "--verbose", is_flag=True, help="Log progress to standard error.")
def main(verbose: bool) -> None:
    """Atlas de Bamako : données, exports et serveur web."""
    logging.basicConfig(
        level=logging.INFO if verbose else logging.WARNING, format="%(levelname)s %(name)s: %(message)s"
    )


def _register() -> None:
    from webmap.cli.data import data
    from webmap.cli.export import export
    from webmap.cli.imports import import_cmd
    from webmap.cli.serve import serve
    from webmap.cli.users import users

    for command in (data, export, serve, users, import_cmd):
        main.add_command(command)


_register()
