"""``bamako-atlas export …``: write a layer, a selection of it, or the partner package to a file."""

from __future__ import annotations

from pathlib import Path

import click

from geo.publication import exports, package
from geo.store import store_backend
from webmap.cli.settings import current_settings


@click.command("export")
@click.argument("layer")
@click.option(
    "--format", "fmt", default="geojson", show_default=True, help=f"Output format: {', '.join(exports.EXPORT_FORMATS)}."
)
@click.option(
    "--kind",
    "kinds",
    multiple=True,
    help="Facility kind(s), repeatable or comma-separated (e.g. cscom,claec).",
)
@click.option("--commune", default=None, help="P-code(s) of communes, comma-separated (e.g. ML090105,ML090106).")
@click.option("--quartier", default=None, help="P-code(s) of quartiers, comma-separated (e.g. ML090105595).")
@click.option("--bbox", default=None, help="minlon,minlat,maxlon,maxlat in WGS84 degrees.")
@click.option("--scope", type=click.Choice(exports.SCOPES), default=None,
              help="Facilities: district (default) those in the District; all adds those outside it, flagged.")  # fmt: skip
@click.option("--lang", default="fr", show_default=True, help="Language of the package README (fr or en).")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="File to write (default: a descriptive name in the current folder).")  # fmt: skip
def export(
    layer: str,
    fmt: str,
    kinds: tuple[str, ...],
    commune: str | None,
    quartier: str | None,
    bbox: str | None,
    scope: str | None,
    lang: str,
    output: Path | None,
) -> None:
    """Export LAYER (communes, quartiers, facilities, qa_findings, a kind such as cscom, or package).

    \b
    Examples:
      bamako-atlas export cscom --format gpkg
      bamako-atlas export quartiers --format csv --commune ML090105 -o quartiers-c5.csv
      bamako-atlas export package -o bamako-atlas.zip --lang en

    The file is written next to its destination, then renamed: never a partial file.
    """
    lang = package.lang_or_raise(lang)
    if layer == "package":
        result = package.build_package(_atlas(), lang=lang, settings=current_settings())
    else:
        exports.format_or_raise(fmt)  # fail on a bad format before loading the store
        atlas = _atlas()
        selection = exports.parse_request(
            layer, units=exports.unit_pcodes(atlas.layers), kind=list(kinds) or None,
            commune=commune, quartier=quartier, bbox=bbox, scope=scope,
        )  # fmt: skip
        result = exports.export_layer(
            atlas, selection, fmt,
            title=package.layer_title(selection.label, lang),
            column_docs=package.column_docs(selection.layer),
        )  # fmt: skip
    path = exports.write_atomic(output or Path.cwd() / result.filename, result.data)
    size = f"{len(result.data):,}".replace(",", " ")
    click.echo(f"Écrit : {path} ({result.count} entités, {size} octets)")


def _atlas():
    return store_backend(current_settings()).open()  # the GeoPackage, or the PostGIS database (DATABASE)
