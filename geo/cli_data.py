"""``bamako-atlas data …``: build the store, show its status, report data quality."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import click

from geo import sources
from geo.store import open_store, read_meta, read_table, store_path


@click.group("data")
def data() -> None:
    """Construire et inspecter le magasin de données (GeoPackage)."""


@data.command("build")
@click.option("--force", is_flag=True, help="Rebuild even if the store is up to date.")
def build_cmd(force: bool) -> None:
    """Télécharger/lire les sources, vérifier leurs sha256 et construire le magasin."""
    from geo.build import build

    report = build(force=force)
    if report is None:
        click.echo(f"Magasin à jour : {store_path()} (--force pour reconstruire)")
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


@data.command("status")
def status_cmd() -> None:
    """Afficher les sources, leurs empreintes, les effectifs et l'âge du magasin."""
    path = store_path()
    click.echo(f"Magasin : {path}")
    meta = read_meta(path) if path.exists() else None
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
    """Lister les anomalies des données par contrôle et par commune ; écrire CSV et GeoJSON."""
    from geo import quality
    from geo.exports import defuse_formula, write_atomic

    atlas = open_store(store_path())
    findings = atlas["qa_findings"]
    names = dict(zip(atlas["communes"]["pcode"], atlas["communes"]["name"], strict=True))
    summary = quality.summarize(findings).rename(columns=names)
    click.echo(summary.to_string())
    out = out_dir or store_path().parent
    written = quality.write_findings(findings, out)
    report = read_table(store_path(), "cscom_reconciliation")
    click.echo("\nRapprochement des CSCOM (fiche DNACPN × enquête 2021) :")
    for status, count in report["status"].value_counts().items():
        click.echo(f"  {status:<18} {count:>4}")
    table = report.apply(lambda column: defuse_formula(column.astype(object)))
    csv_bytes = table.to_csv(index=False, lineterminator="\r\n").encode("utf-8-sig")
    written.append(write_atomic(out / "cscom_reconciliation.csv", csv_bytes))
    for path in written:
        click.echo(f"Écrit : {path}")
