"""The command line's language: English source text, a French catalog, chosen by the locale.

The language comes from the environment as for every gettext program
(``LANGUAGE``, ``LC_ALL``, ``LC_MESSAGES``, then ``LANG``): a French locale
(``LANG=fr_FR.UTF-8``) gives French help, any other (``en_US.UTF-8``, ``C``)
English. English is the source because click's own text (``Usage:``,
``Options``, its error messages) is English gettext text: one catalog,
``locale/fr/LC_MESSAGES/bamako-atlas-cli.po``, translates both, so a
``--help`` page is never in two languages. Command help (docstrings and
``help=``) is translated when the command line starts, from the source kept on
each command, so the same process may run in either language.

Update the catalog after changing help text: add the entries to the ``.po``, then
``pybabel compile -D bamako-atlas-cli -d webmap/cli/locale -l fr``
(``tests/webmap/test_cli_help.py`` fails when an entry is missing or the ``.mo`` is stale).
"""

from __future__ import annotations

import gettext
import inspect
from pathlib import Path

import click

DOMAIN = "bamako-atlas-cli"
LOCALE_DIR = Path(__file__).with_name("locale")
gettext.bindtextdomain(DOMAIN, str(LOCALE_DIR))  # where tr() looks; the global domain is switched only by localize()


def tr(message: str) -> str:
    """Return ``message`` in the locale's language (English when no catalog matches)."""
    return gettext.dgettext(DOMAIN, message)


def localize(command: click.Command) -> None:
    """Translate the help of ``command`` and of every subcommand, and click's own text, for this run."""
    gettext.textdomain(DOMAIN)  # click calls gettext.gettext: it then reads this catalog
    for cmd in walk(command):
        cmd._help_option = None  # click builds --help once with the text of that run's language
        _translate(cmd, "help")
        _translate(cmd, "short_help")
        for param in cmd.params:
            _translate(param, "help")
            if isinstance(getattr(param, "show_default", None), str):
                _translate(param, "show_default")


def walk(command: click.Command):
    """Yield ``command`` and every command below it."""
    yield command
    if isinstance(command, click.Group):
        for sub in command.commands.values():
            yield from walk(sub)


def _translate(obj, attr: str) -> None:
    source_attr = f"_source_{attr}"
    if not hasattr(obj, source_attr):
        setattr(obj, source_attr, getattr(obj, attr, None))
    source = getattr(obj, source_attr)
    if source:
        setattr(obj, attr, tr(inspect.cleandoc(source)))
