"""``bamako-atlas import FILE --user NAME [--target roads]``: preview an import, then commit it on confirmation."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import click

from geo.errors import PermissionDenied
from geo.planning import accounts
from geo.planning.edits import EditStore
from geo.planning.edits.db import edits_path
from geo.planning.imports import TARGETS, check_size, commit, discard, parse_and_preview, save_preview
from geo.planning.imports.preview import Preview
from geo.store import store_backend
from webmap.cli.settings import current_settings


def _editor(db: Path, name: str) -> str:
    user = accounts.get_user(db, name)
    if user is None or not user.has_role("editor"):
        raise PermissionDenied(
            f"--user {name}: no active editor or admin account by that name (see 'bamako-atlas users list')"
        )
    return user.name


def _echo_preview(pv: Preview, *, max_errors: int) -> None:
    counts = pv.counts()
    click.echo(f"Fichier : {pv.filename} ({pv.format}" + (f", {pv.encoding}" if pv.encoding else "") + ")")
    if pv.source_crs:
        click.echo(f"  système de coordonnées : {pv.source_crs}")
    if pv.licence:
        click.echo(f"  licence : {pv.licence}")
    if pv.target == "roads":
        click.echo("  cible : couche de routes (remplace la couche actuelle ; le temps de trajet la suivra)")
    click.echo(f"  lignes lues           {counts['read']:>7}")
    click.echo(f"  à ajouter             {counts['to_add']:>7}")
    click.echo(f"  doublons probables    {counts['duplicates']:>7}")
    click.echo(f"  lignes en erreur      {counts['rows_with_errors']:>7}  ({counts['errors']} erreurs)")
    for key, value in pv.skipped.items():
        click.echo(f"  ignorées ({key}) {value:>7}")
    if pv.ignored_columns:
        click.echo("  colonnes ignorées : " + ", ".join(pv.ignored_columns))
    if pv.duplicates:
        click.echo("Doublons probables (non importés sans --include-duplicates) :")
        for dup in pv.duplicates[:max_errors]:
            best = dup["matches"][0]
            click.echo(
                f"  {dup['row']['line']}: {dup['row']['fields']['name']!r} ≈ {best['facility_id']} {best['name']!r} "
                f"à {best['distance_m']:.0f} m (noms {best['name_score']:.0f} %)"
            )
        if len(pv.duplicates) > max_errors:
            click.echo(f"  … et {len(pv.duplicates) - max_errors} autres (--max-errors pour en voir plus)")
    if pv.errors:
        by_code = Counter(e.problem_code for e in pv.errors)
        click.echo("Erreurs : " + ", ".join(f"{code} {n}" for code, n in by_code.most_common()))
        for error in pv.errors[:max_errors]:
            click.echo(f"  {error.line}, {error.field} [{error.problem_code}] : {error.message}")
        if len(pv.errors) > max_errors:
            click.echo(f"  … et {len(pv.errors) - max_errors} autres (--max-errors pour en voir plus)")


@click.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--user", "user_name", required=True, help="Editor account the import is recorded under.")
@click.option("--yes", is_flag=True, help="Commit without asking for confirmation.")
@click.option("--crs", default=None, help="CRS of a CSV's x/y columns when not lon/lat, e.g. EPSG:32629.")
@click.option("--layer", default=None, help="GeoPackage layer to read (default: the first point layer).")
@click.option(
    "--target",
    type=click.Choice(TARGETS),
    default="facilities",
    show_default=True,
    help="What the file holds: facilities, or roads (the highway=* ways of an .osm/.osm.pbf extract).",
)
@click.option("--include-duplicates", is_flag=True, help="Also add the rows flagged as probable duplicates.")
@click.option("--max-errors", default=50, show_default=True, help="How many errors and duplicates to list.")
def import_cmd(
    file: Path,
    user_name: str,
    yes: bool,
    crs: str | None,
    layer: str | None,
    target: str,
    include_duplicates: bool,
    max_errors: int,
) -> None:
    """Import facilities (CSV, GeoJSON, GeoPackage, .osm, .osm.pbf) or a road layer: preview, then commit."""
    db = edits_path(current_settings())
    user = _editor(db, user_name)
    check_size(file.stat().st_size, file.name)
    atlas = store_backend(current_settings()).open()
    edits = EditStore(db, base=atlas["facilities"], quartiers=atlas["quartiers"], settings=current_settings())
    pv = parse_and_preview(
        file.read_bytes(),
        file.name,
        quartiers=atlas["quartiers"],
        existing=edits.current(),
        crs=crs,
        layer=layer,
        target=target,
        settings=current_settings(),
    )
    _echo_preview(pv, max_errors=max_errors)
    import_id = save_preview(db, pv, user=user)
    count = len(pv.to_add) + (len(pv.duplicates) if include_duplicates else 0)
    if count == 0:
        click.echo(f"Rien à importer (aperçu {import_id} conservé).")
        return
    what = "voie(s) comme couche de routes" if target == "roads" else "établissement(s)"
    if not yes and not click.confirm(f"Importer {count} {what} ?", default=False):
        discard(db, import_id, user)
        click.echo(f"Import {import_id} abandonné.")
        return
    ids = commit(import_id, edits, user, include_duplicates=include_duplicates)
    if target == "roads":
        click.echo(f"Import {import_id} validé : couche de routes de {len(ids)} voie(s) par {user}.")
        return
    click.echo(f"Import {import_id} validé : {len(ids)} établissement(s) ajouté(s) par {user}.")
