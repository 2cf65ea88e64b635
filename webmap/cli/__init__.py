"""The ``bamako-atlas`` command: data, export, serve and publish.

Every command first checks the store and the planners' database (see
:func:`check_databases`), and every failure ends as one line on standard
error with exit status 2: the CLI's one error boundary is :class:`AtlasGroup`.
"""

from __future__ import annotations

import errno
import logging
import sqlite3
import sys

import click

from geo.errors import AtlasError
from geo.settings import Settings
from webmap.cli.i18n import localize

log = logging.getLogger(__name__)

#: Subcommands that rebuild the store, so a damaged store must not stop them.
REBUILDS_STORE = {("data", "build")}
_DISK_FULL = {errno.ENOSPC, errno.EDQUOT}


class AtlasGroup(click.Group):
    """A click group that turns every error into one clear line and exit status 2 (no traceback)."""

    def main(self, *args, **kwargs):
        """Run the command line in the locale's language (see webmap.cli.i18n)."""
        localize(self)
        return super().main(*args, **kwargs)

    def invoke(self, ctx: click.Context):
        try:
            words = [*getattr(ctx, "_protected_args", ()), *ctx.args]  # the subcommand and its arguments
            if not ctx.resilient_parsing and not any(w in ("--help", "-h") for w in words):
                commands = tuple(w for w in words if not w.startswith("-"))[:2]
                check_databases(store=commands not in REBUILDS_STORE)
            return super().invoke(ctx)
        except AtlasError as exc:
            _fail(ctx, str(exc))
        except OSError as exc:
            _fail(ctx, _os_message(exc))
        except sqlite3.Error as exc:
            _fail(ctx, f"base de données SQLite : {exc}")
        except MemoryError:
            _fail(ctx, "mémoire insuffisante")
        except (click.exceptions.ClickException, click.exceptions.Exit, click.exceptions.Abort):
            raise
        except Exception as exc:  # e.g. GDAL's errors: still one line; -v shows the traceback
            message = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
            _fail(ctx, f"{type(exc).__name__} : {message} (relancez avec -v pour le détail)")


def _fail(ctx: click.Context, message: str) -> None:
    if ctx.params.get("verbose"):
        log.exception("failure")  # the traceback only with --verbose
    click.echo(f"Erreur : {' '.join(message.split())}", err=True)  # one line, whatever the message held
    sys.exit(2)


def _os_message(exc: OSError) -> str:
    where = f" : {exc.filename}" if exc.filename else ""
    if exc.errno == errno.EPIPE:  # the reader (e.g. `| head`) left: nothing to say
        sys.exit(2)
    if exc.errno in _DISK_FULL:
        return f"disque plein{where} ; rien n'a été remplacé, libérez de la place et recommencez"
    if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return f"accès refusé{where} ({exc.strerror})"
    return f"{exc.strerror or exc}{where}"


def check_databases(*, store: bool = True) -> None:
    """Refuse to go on when the store or ``edits.sqlite`` exists but is empty, foreign or corrupt."""
    from geo.integrity import check_database
    from geo.planning.edits.db import REMEDY, edits_path
    from geo.planning.edits.pg import is_url
    from geo.store import store_path

    if store:
        check_database(store_path(), remedy="rebuild it with 'bamako-atlas data build --force'")
    if not is_url(edits_path()):  # PostgreSQL checks its own pages
        check_database(edits_path(), remedy=REMEDY)


@click.group(cls=AtlasGroup)
@click.option("-v", "--verbose", is_flag=True, help="Log progress (and the traceback of a failure) to standard error.")
@click.pass_context
def main(ctx: click.Context, verbose: bool) -> None:
    """Bamako Atlas: data, exports and web server."""
    logging.basicConfig(
        level=logging.INFO if verbose else logging.WARNING, format="%(levelname)s %(name)s: %(message)s"
    )
    ctx.obj = Settings.resolve()  # once per command; passed to every library call that needs a setting


def _register() -> None:
    from webmap.cli.data import data
    from webmap.cli.export import export
    from webmap.cli.imports import import_cmd
    from webmap.cli.publish import publish
    from webmap.cli.serve import serve
    from webmap.cli.users import users

    for command in (data, export, serve, users, import_cmd, publish):
        main.add_command(command)


_register()
