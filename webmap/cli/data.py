"""``bamako-atlas data …``: build the store, show its status, report data quality, list conflicts, back up."""

from __future__ import annotations

import os
import shutil
import sqlite3
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import click

from geo.errors import StoreError
from geo.pipeline import sources
from geo.store import StoreBackend, store_backend, store_path
from webmap.cli.settings import current_settings


@click.group("data")
def data() -> None:
    """Build and inspect the data store (GeoPackage)."""


@data.command("build")
@click.option("--force", is_flag=True, help="Rebuild even if the store is up to date.")
def build_cmd(force: bool) -> None:
    """Download or read the sources, check their sha256 and build the store."""
    from geo.pipeline.build import build

    report = build(current_settings(), force=force)
    if report is None:
        click.echo(f"Magasin à jour : {store_backend(current_settings()).location} (--force pour reconstruire)")
        return
    meta = report.meta
    click.echo(f"Magasin construit : {report.path}")
    for name, count in meta["counts"].items():
        click.echo(f"  {name:<12} {count:>6}")
    click.echo("  CSCOM (rapprochement) : " + ", ".join(f"{k} {v}" for k, v in meta["cscom_reconciliation"].items()))
    pop = meta["population"]
    click.echo(
        f"  Population {pop['year']} : {pop['total']:,} hab. ; méthode quartiers : {pop['method']}".replace(",", " ")
    )
    _echo_conflicts(store_backend(current_settings()))


@data.command("status")
def status_cmd() -> None:
    """Show the sources, their hashes, the counts and the age of the store."""
    store = store_backend(current_settings())
    click.echo(f"Magasin : {store.location}")
    meta = store.read_meta() if store.exists() else None
    if meta is None:
        click.echo("  (absent — lancez 'bamako-atlas data build')")
    else:
        built = datetime.fromisoformat(meta["built_at"])
        age = datetime.now(UTC) - built
        click.echo(
            f"  construit le {meta['built_at']} (il y a {age.days} j {age.seconds // 3600} h), version {meta['package_version']}"
        )
        for name, count in meta["counts"].items():
            click.echo(f"  {name:<12} {count:>6}")
    click.echo("Sources :")
    for key, src in sources.registry().items():
        stored = (meta or {}).get("sources", {}).get(key)
        state = "" if meta is None else ("ok" if stored == src.sha256 else "CHANGÉE depuis la construction")
        click.echo(f"  {key:<17} {src.sha256}  {src.path}  {state}")


@data.command("qa")
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Folder for qa_findings.csv and .geojson (default: the data home).",
)
def qa_cmd(out_dir: Path | None) -> None:
    """List data-quality findings by check and commune; write CSV and GeoJSON."""
    from geo.pipeline import quality
    from geo.pipeline.reconcile import comparison_text
    from geo.publication.exports import defuse_formula, write_atomic

    store = store_backend(current_settings())
    atlas = store.open()
    findings = atlas["qa_findings"]
    names = dict(zip(atlas["communes"]["pcode"], atlas["communes"]["name"], strict=True))
    summary = quality.summarize(findings).rename(columns=names)
    click.echo(summary.to_string())
    out = out_dir or store_path(current_settings()).parent
    written = quality.write_findings(findings, out)
    report = store.read_table("cscom_reconciliation")
    click.echo("\nRapprochement des CSCOM (fiche DNACPN × enquête 2021) :")
    for status, count in report["status"].value_counts().items():
        click.echo(f"  {status:<18} {count:>4}")
    table = report.apply(lambda column: defuse_formula(column.astype(object)))
    csv_bytes = table.to_csv(index=False, lineterminator="\r\n").encode("utf-8-sig")
    written.append(write_atomic(out / "cscom_reconciliation.csv", csv_bytes))
    click.echo("\nCSCOM de l'atlas × aires de santé SNISI 2016, par commune :")
    try:
        click.echo(comparison_text(store.read_table("snisi_comparison")))
    except StoreError as exc:  # a store built before the SNISI reconciliation: say so, list the rest
        click.echo(f"  {exc}")
    for path in written:
        click.echo(f"Écrit : {path}")


@data.command("report")
@click.option("--write", "write", is_flag=True, help="Rewrite the report blocks of the documents.")
@click.option(
    "--root",
    type=click.Path(file_okay=False, exists=True, path_type=Path),
    default=None,
    help="Project folder holding README.md and data/README.md (default: this checkout).",
)
def report_cmd(write: bool, root: Path | None) -> None:
    """Render the documentation's figures from the store; exit 1 if a committed block differs."""
    import difflib

    from geo.publication.report import report_documents, write_documents

    atlas = store_backend(current_settings()).open()
    reports = report_documents(atlas, root or Path(__file__).resolve().parents[2])
    if write:
        for path in write_documents(reports):
            click.echo(f"Écrit : {path}")
        return
    stale = [r for r in reports if r.changed]
    for r in stale:
        diff = difflib.unified_diff(
            r.current.splitlines(keepends=True), r.rendered.splitlines(keepends=True), str(r.path), "build"
        )
        click.echo("".join(diff), nl=False)
    if stale:
        raise click.exceptions.Exit(1)
    click.echo("Documentation à jour.")


# --- planners' edits against the rebuilt sources ------------------------------------------------


def edit_conflicts(store: StoreBackend) -> list[dict[str, Any]] | None:
    """Return the conflicts between planners' edits and the store's sources, or None without an edits database.

    The database is the one the web atlas uses (``edits.sqlite`` under HOME).
    """
    from geo.planning.edits import EditStore
    from geo.planning.edits.db import edits_path
    from geo.planning.edits.pg import database_exists

    path = edits_path(current_settings())
    if not database_exists(path):
        return None
    atlas = store.open()
    edits = EditStore(path, base=atlas["facilities"], quartiers=atlas["quartiers"], settings=current_settings())
    try:
        return edits.conflicts()
    finally:
        edits.close()


def _shown(value: Any) -> str:
    return "(vide)" if value is None or value == "" else repr(value) if isinstance(value, str) else str(value)


def _echo_conflicts(store: StoreBackend) -> None:
    """Print where a rebuilt source changed a field a planner corrected (the planner's value is kept)."""
    found = edit_conflicts(store)
    if found is None:
        return
    if not found:
        click.echo("Corrections des planificateurs : aucun conflit avec les sources.")
        return
    click.echo(
        f"Corrections des planificateurs en conflit avec les sources : {len(found)} (valeur du planificateur gardée)"
    )
    for c in found:
        head = f"  {c['facility_id']} « {c['name']} »"
        if c["problem"] == "vanished":
            click.echo(f"{head} : disparu des sources, gardé tel que corrigé")
        else:
            click.echo(
                f"{head} — {c['field']} : source {_shown(c['source'])} (était {_shown(c['seen'])} à la correction), "
                f"planificateur {_shown(c['planner'])}"
            )
    click.echo("À revoir : page /history ou GET /api/v1/conflicts (POST /api/v1/conflicts/resolve pour trancher).")


@data.command("conflicts")
def conflicts_cmd() -> None:
    """List planners' corrections that the rebuilt sources contradict."""
    store = store_backend(current_settings())
    if not store.exists():
        raise StoreError(f"no store at {store.location}: run 'bamako-atlas data build' first")
    if edit_conflicts(store) is None:
        click.echo("Aucune base de modifications : aucun conflit possible.")
        return
    _echo_conflicts(store)


# --- backups ------------------------------------------------------------------------------------


def _stamp() -> str:
    return datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")


def copy_store(store: Path, dest_dir: Path) -> Path:
    """Copy the store into ``dest_dir`` as ``atlas-<UTC time>.gpkg``; the name appears only once complete.

    A rebuild replaces the store by renaming a new file over it, never by
    writing into it, so the file opened here stays one consistent build even
    when a rebuild finishes during the copy. The copy is checked
    (``PRAGMA quick_check``) before it takes its final name.
    """
    dest_dir.mkdir(parents=True, exist_ok=True)
    final = dest_dir / f"atlas-{_stamp()}.gpkg"
    partial = dest_dir / f".{final.name}.partial"
    try:
        with open(store, "rb") as src, open(partial, "wb") as out:
            shutil.copyfileobj(src, out, length=1024 * 1024)
            out.flush()
            os.fsync(out.fileno())
        con = sqlite3.connect(f"file:{partial}?mode=ro", uri=True)
        try:
            check = con.execute("PRAGMA quick_check").fetchone()[0]
        finally:
            con.close()
        if check != "ok":
            raise StoreError(f"{store}: the copy fails SQLite's quick_check ({check}); nothing was written")
        os.replace(partial, final)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    return final


@data.command("backup")
@click.argument("dest", type=click.Path(file_okay=False, path_type=Path))
def backup_cmd(dest: Path) -> None:
    """Copy the store and the edits database into DEST, even while the server runs."""
    from geo.planning.edits.db import EDITS_FILENAME, backup
    from geo.planning.edits.pg import is_url

    database = current_settings()["DATABASE"]
    if is_url(database):  # one pg_dump file holds the layers and the planners' tables
        from geo.pgbackup import RESTORE_HINT, dump

        click.echo(f"Base PostgreSQL copiée (couches et modifications) : {dump(database, dest)}")
        click.echo(f"Restauration : {RESTORE_HINT}")
        return
    store = store_path(current_settings())
    edits = store.with_name(EDITS_FILENAME)
    if not store.exists() and not edits.exists():
        raise StoreError(f"nothing to back up: neither {store} nor {edits} exists")
    if store.exists():
        click.echo(f"Magasin copié : {copy_store(store, dest)}")
    if edits.exists():
        click.echo(f"Modifications copiées : {backup(edits, dest)}")
    else:
        click.echo(f"(pas de base de modifications : {edits} n'existe pas)")
