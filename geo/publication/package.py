"""The partner package: every layer as GeoPackage, GeoJSON and CSV, with a bilingual README.

The README is built from the structured texts below (French and English side by
side, selected by ``lang``), the store's metadata and ``geo.pipeline.sources.registry()``.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping

import pandas as pd

from geo import __version__
from geo.errors import InvalidParameter
from geo.pipeline.sources import references, registry
from geo.publication.exports import (
    COORDINATE_DECIMALS,
    Export,
    ExportContext,
    build_date,
    prepare,
    to_csv,
    to_geojson,
    to_gpkg_layers,
    zip_bytes,
)
from geo.schema import DOCS
from geo.settings import Settings, resolve
from geo.store import Atlas
from geo.vocabulary import ATTRIBUTION, KINDS, LANGUAGES, LAYERS, SNISI_COMPARISON_COLUMNS, STORE_LAYERS, Text

log = logging.getLogger(__name__)


def lang_or_raise(lang: str | None) -> str:
    """Return ``lang`` if supported (None → ``fr``) or raise InvalidParameter."""
    if lang is None or lang == "":
        return "fr"
    if lang not in LANGUAGES:
        raise InvalidParameter("lang", f"unknown language {lang!r}; allowed: {', '.join(LANGUAGES)}")
    return lang


#: Definition of every exported column, by layer (from the one schema, :mod:`geo.schema`).
COLUMNS: dict[str, dict[str, Text]] = {layer: dict(docs) for layer, docs in DOCS.items()}

#: Coded values of the columns, with their meaning.
VOCABULARIES: dict[str, dict[str, Text]] = {
    "location_precision": {
        "gps_survey": Text(
            "point GPS du relevé 2021 (enquêtes santé, éducation, déchets)",
            "GPS point of the 2021 survey (health, education, waste)",
        ),
        "sheet_dms_conflict": Text(
            "point GPS du relevé 2021 ; le point de la fiche DNACPN, à plus de 300 m, est gardé dans la note",
            "GPS point of the 2021 survey; the DNACPN sheet point, more than 300 m away, is kept in the note",
        ),
        "sheet_dms": Text(
            "coordonnées saisies à la main dans la fiche DNACPN, sans point GPS pour les vérifier",
            "coordinates typed by hand in the DNACPN sheet, no GPS point to check them",
        ),
        "cited_point": Text(
            "point tiré d'une source citée (lieux compilés par le projet, voir source_refs)",
            "point taken from a cited source (places compiled by the project, see source_refs)",
        ),
        "exact": Text("point saisi par un utilisateur (édition ou import)", "point entered by a user (edit or import)"),
        "quartier": Text(
            "pas de coordonnées : point représentatif du quartier déclaré",
            "no coordinates: representative point of the declared quartier",
        ),
        "commune": Text(
            "pas de coordonnées : point représentatif de la commune déclarée",
            "no coordinates: representative point of the declared commune",
        ),
    },
    "join_status": {
        "inside": Text("dans un quartier du District", "within a quartier of the District"),
        "snapped": Text(
            "hors limite de moins de 250 m, rattaché à l'unité la plus proche",
            "outside by less than 250 m, assigned to the nearest unit",
        ),  # fmt: skip
        "outside": Text(
            "plus loin hors du District : gardé, mais exclu des indicateurs (in_analysis faux)",
            "further outside the District: kept, but left out of the indicators (in_analysis false)",
        ),  # fmt: skip
        "unlocated": Text("sans coordonnées (voir location_precision)", "no coordinates (see location_precision)"),
    },
    "pop_method": {
        "areal": Text("poids = superficie de l'unité", "weight = area of the unit"),
        "dasymetric": Text(
            "poids = écoles et jardins d'enfants recensés dans l'unité + 0,1 × leur densité moyenne dans la commune "
            "× superficie (superficie comptée à 10 % pour les deux zones non résidentielles)",
            "weight = schools and kindergartens surveyed in the unit + 0.1 × their mean density in the commune "
            "× area (area counted at 10 % for the two non-residential zones)",
        ),
    },
    "operator_type": {
        "private": Text("privé", "private"),
        "public": Text("public", "public"),
        "community": Text("communautaire (ASACO…)", "community (ASACO…)"),
        "religious": Text("confessionnel", "religious"),
        "ngo": Text("ONG / association", "NGO / association"),
    },
    "confidence": {
        "low": Text("faible", "low"),
        "low-medium": Text("faible à moyenne", "low to medium"),
        "medium": Text("moyenne", "medium"),
        "medium-high": Text("moyenne à élevée", "medium to high"),
        "high": Text("élevée", "high"),
    },
    "check": {
        "duplicate": Text(
            "doublon probable (même type, noms proches, à courte distance)",
            "probable duplicate (same kind, similar names, close by)",
        ),
        "cscom_close": Text(
            "deux CSCOM à moins de 100 m : un même centre deux fois ou un point erroné",
            "two CSCOMs within 100 m: one centre twice or a wrong point",
        ),
        "outside_district": Text("point hors du District", "point outside the District"),
        "snapped_to_boundary": Text(
            "juste hors limite, rattaché au quartier voisin",
            "just outside the boundary, assigned to the neighbouring quartier",
        ),
        "unit_mismatch": Text(
            "commune ou quartier déclaré différent de la position",
            "declared commune or quartier differs from the position",
        ),
        "probable_mislabel": Text("type probablement erroné d'après le nom", "kind probably wrong given the name"),
        "missing_name": Text("nom manquant", "missing name"),
        "missing_coordinates": Text("coordonnées manquantes", "missing coordinates"),
        "suspected_personal_data": Text(
            "nom remplacé : il contenait le nom de l'enquêteur (donnée personnelle probable)",
            "name replaced: it contained the data collector's name (suspected personal data)",
        ),
    },
}

INDICATORS: dict[str, Text] = {
    "density": Text(
        "Densité de population = pop_estimate / area_km2, en habitants par km².",
        "Population density = pop_estimate / area_km2, in inhabitants per km².",
    ),
    "per_10k": Text(
        "Équipements pour 10 000 habitants = 10 000 × (équipements du type avec in_analysis vrai dans l'unité) "
        "/ pop_estimate.",
        "Facilities per 10 000 inhabitants = 10 000 × (facilities of the kind with in_analysis true in the unit) "
        "/ pop_estimate.",
    ),
}

#: Headings and fixed sentences of the README.
T: dict[str, Text] = {
    "title": Text("Atlas de Bamako — données pour les partenaires", "Bamako Atlas — data for partners"),
    "built": Text(
        "Construit le {date} (construction {build_id}, logiciel bamako-atlas {version}).",
        "Built on {date} (build {build_id}, bamako-atlas software {version}).",
    ),  # fmt: skip
    "credit": Text("Crédit à citer", "Credit line"),
    "contents": Text("Contenu", "Contents"),
    "readme": Text("ce fichier", "this file"),
    "gpkg": Text(
        "GeoPackage avec toutes les couches ({layers}) — le format le plus complet, pour QGIS/ArcGIS.",
        "GeoPackage with every layer ({layers}) — the most complete format, for QGIS/ArcGIS.",
    ),  # fmt: skip
    "geojson": Text(
        "une couche par fichier, GeoJSON RFC 7946 : longitude/latitude WGS84, {decimals} décimales (≈ 0,1 m).",
        "one layer per file, RFC 7946 GeoJSON: WGS84 longitude/latitude, {decimals} decimals (≈ 0.1 m).",
    ),
    "csv": Text(
        "une couche par fichier, CSV UTF-8 avec BOM : colonnes lon/lat (pour les polygones, un point intérieur) et, "
        "pour les polygones, la géométrie en WKT. Les textes commençant par =, +, -, @, une tabulation ou un retour "
        "chariot sont précédés d'une apostrophe pour qu'un tableur ne les exécute pas comme formule.",
        "one layer per file, UTF-8 CSV with BOM: lon/lat columns (for polygons, a point inside) and, for polygons, "
        "the geometry as WKT. Texts starting with =, +, -, @, a tab or a carriage return are prefixed with an "
        "apostrophe so that a spreadsheet does not run them as a formula.",
    ),
    "metadata": Text("métadonnées de construction lisibles par machine.", "machine-readable build metadata."),
    "layers": Text("Couches", "Layers"),
    "features": Text("entités", "features"),
    "column": Text("colonne", "column"),
    "definition": Text("définition", "definition"),
    "vocabularies": Text("Vocabulaires", "Vocabularies"),
    "value": Text("valeur", "value"),
    "meaning": Text("signification", "meaning"),
    "population": Text("Population", "Population"),
    "pop_assumption": Text(
        "Les populations {year} sont des estimations, pas des comptages : chaque commune garde sa part de 2009 "
        "(RGPH 2009) du total du District au RGPH {year}, {total} habitants (méthode du plus fort reste, les six "
        "communes totalisent exactement ce total). Chaque commune est ensuite répartie entre ses quartiers selon "
        "la méthode « {method} » (colonne pop_method).",
        "The {year} populations are estimates, not counts: each commune keeps its 2009 share (RGPH 2009 census) of "
        "the District's RGPH {year} total of {total} inhabitants (largest remainder, so the six communes add up "
        "exactly to it). Each commune is then split among its quartiers by the “{method}” method (pop_method "
        "column).",
    ),
    "pop_assumption_growth": Text(
        "Les populations {year} sont des estimations, pas des comptages : chaque commune est projetée depuis le "
        "RGPH 2009 selon sa propre croissance 1998–2009, puis les six sont ramenées au total du District au RGPH "
        "{year}, {total} habitants (colonne pop_growth ; pop_uniform garde la part de 2009 ; pop_low–pop_high "
        "encadrent les deux). Chaque commune est ensuite répartie entre ses quartiers selon la méthode "
        "« {method} » (colonne pop_method).",
        "The {year} populations are estimates, not counts: each commune is projected from the 2009 census at its "
        "own 1998–2009 growth, then the six are scaled to the District's RGPH {year} total of {total} inhabitants "
        "(pop_growth column; pop_uniform keeps the 2009 share; pop_low–pop_high span both). Each commune is then "
        "split among its quartiers by the “{method}” method (pop_method column).",
    ),
    "holdout": Text(
        "Erreur de validation en échantillon (répartition du total 2009 de la Commune V comparée au tableau publié "
        "par quartier, MAPE en %) : {scores}.",
        "In-sample validation error (Commune V's 2009 total split and compared with the published table by "
        "quartier, MAPE in %): {scores}.",
    ),
    "loo": Text(
        "Erreur hors échantillon (validation croisée en laissant un quartier de côté, MAPE en %) : {scores}. "
        "pop_low–pop_high de chaque quartier : l'estimation multipliée par les quantiles 10 % et 90 % de ces "
        "erreurs.",
        "Out-of-sample error (leave-one-out over the quartier rows, MAPE in %): {scores}. Each quartier's "
        "pop_low–pop_high: the estimate times the 10th and 90th percentiles of these errors.",
    ),
    "indicators": Text("Indicateurs de la carte", "Map indicators"),
    "sources": Text("Sources", "Sources"),
    "sources_intro": Text(
        "Fichiers amont : chaque URL est épinglée à un commit du dépôt d'origine, et chaque fichier est vérifié "
        "par son sha256 avant usage.",
        "Upstream files: every URL is pinned at a commit of the original repository, and every file is checked "
        "against its sha256 before use.",
    ),
    "file": Text("Fichier", "File"),
    "role": Text("Contenu", "Content"),
    "licence": Text("Licence", "Licence"),
    "attribution": Text("Attribution", "Attribution"),
    "store_hash": Text("sha256 utilisé pour ce magasin", "sha256 used for this store"),
    "same": Text("identique", "identical"),
    "differs": Text("DIFFÉRENT du registre actuel", "DIFFERS from the current registry"),
    "missing": Text("non enregistré", "not recorded"),
    "places": Text(
        "places : lieux compilés par le projet (data/places.csv du dépôt bamako-atlas), avec leur confiance.",
        "places: places compiled by the project (data/places.csv in the bamako-atlas repository), with their "
        "confidence.",
    ),
    "snisi": Text("CSCOM et aires de santé SNISI 2016", "CSCOMs and SNISI 2016 health areas"),
    "snisi_intro": Text(
        "Par commune : aires de santé communautaires (ASACO) du SNISI 2016, CSCOM de l'atlas (dans le District), "
        "CSCOM rapprochés d'une aire, CSCOM hors SNISI, aires sans CSCOM dans l'atlas (csv/snisi_comparison.csv).",
        "Per commune: SNISI 2016 community health areas (ASACOs), the atlas's CSCOMs (in the District), CSCOMs "
        "matched to an area, CSCOMs not in SNISI, areas without a CSCOM in the atlas (csv/snisi_comparison.csv).",
    ),
    "licence_title": Text("Licence et crédit", "Licence and credit"),
    "licence_text": Text(
        "Chaque donnée reste sous la licence de sa source (voir « Sources »). Toute carte ou réutilisation doit "
        "porter la mention :",
        "Each piece of data stays under its source's licence (see “Sources”). Every map or reuse must carry the "
        "credit line:",
    ),
}


def layer_title(label: str, lang: str = "fr") -> str:
    """Return the title of a layer or of a facility kind used as a layer (``cscom``)."""
    return KINDS[label].label(lang) if label in KINDS else STORE_LAYERS[label].title(lang)


def column_docs(layer: str) -> dict[str, tuple[str, str]]:
    """Return column → (French, English) definition for ``layer``."""
    return {column: (text.fr, text.en) for column, text in COLUMNS[layer].items()}


def _cell(text: object) -> str:
    """Return ``text`` safe inside a Markdown table cell."""
    return str(text).replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ")


def _number(value: int) -> str:
    return f"{int(value):,}".replace(",", " ")


def _table(header: tuple[str, str], rows: list[tuple[object, object]]) -> list[str]:
    return [f"| {header[0]} | {header[1]} |", "|---|---|", *(f"| `{_cell(a)}` | {_cell(b)} |" for a, b in rows), ""]


def readme(atlas: Atlas, *, lang: str = "fr", settings: Settings | None = None) -> str:
    """Return the package README (Markdown) in ``lang``, from the store metadata and the source registry."""
    lang = lang_or_raise(lang)
    meta = atlas.meta
    day = build_date(meta)
    lines = [
        f"# {T['title'](lang)}",
        "",
        T["built"](lang).format(
            date=day, build_id=meta.get("build_id", "?"), version=meta.get("package_version", __version__)
        ),
        "",
        f"**{T['credit'](lang)}{' :' if lang == 'fr' else ':'}** {ATTRIBUTION(lang)}",
        "",
        f"## {T['contents'](lang)}",
        "",
        f"- `README.md` — {T['readme'](lang)}",
        f"- `bamako-atlas-{day}.gpkg` — {T['gpkg'](lang).format(layers=', '.join(LAYERS))}",
        f"- `geojson/<…>.geojson` — {T['geojson'](lang).format(decimals=COORDINATE_DECIMALS)}",
        f"- `csv/<…>.csv` — {T['csv'](lang)}",
        f"- `metadata.json` — {T['metadata'](lang)}",
        "",
        f"## {T['layers'](lang)}",
        "",
    ]
    for layer in LAYERS:
        count = len(atlas.layers[layer]) if layer in atlas.layers else 0
        lines += [f"### {layer} — {STORE_LAYERS[layer].title(lang)} ({_number(count)} {T['features'](lang)})", ""]
        lines += [STORE_LAYERS[layer].description(lang), ""]
        lines += _table((T["column"](lang), T["definition"](lang)), [(c, t(lang)) for c, t in COLUMNS[layer].items()])
    lines += [f"## {T['vocabularies'](lang)}", "", "### kind", ""]
    lines += _table((T["value"](lang), T["meaning"](lang)), [(k, layer_title(k, lang)) for k in KINDS])
    for column, values in VOCABULARIES.items():
        lines += [f"### {column}", ""]
        lines += _table((T["value"](lang), T["meaning"](lang)), [(v, t(lang)) for v, t in values.items()])
    lines += _population_section(atlas, lang, settings)
    lines += [f"## {T['indicators'](lang)}", "", *(f"- {t(lang)}" for t in INDICATORS.values()), ""]
    lines += _snisi_section(meta, lang)
    lines += _sources_section(meta, lang)
    lines += [f"## {T['licence_title'](lang)}", "", T["licence_text"](lang), "", f"> {ATTRIBUTION(lang)}", ""]
    return "\n".join(lines)


def _population_section(atlas: Atlas, lang: str, settings: Settings | None) -> list[str]:
    pop = atlas.meta.get("population") or {}
    if "year" not in pop or "total" not in pop:  # a store built before they were recorded: the settings say
        settings = resolve(settings)
        pop = {"year": settings["POP_YEAR"], "total": settings["POP_TOTAL"], **pop}
    year, total = pop["year"], pop["total"]
    method = pop.get("method") or ", ".join(sorted(set(atlas.layers["quartiers"]["pop_method"].dropna().astype(str))))
    lines = [f"## {T['population'](lang)}", ""]
    assumption = "pop_assumption_growth" if pop.get("commune_method") == "growth" else "pop_assumption"
    lines += [T[assumption](lang).format(year=year, total=_number(total), method=method), ""]
    for key, text in (("holdout_mape", "holdout"), ("loo_mape", "loo")):
        if pop.get(key):
            scores = ", ".join(f"{k} {v:.1f}" for k, v in pop[key].items())
            lines += [T[text](lang).format(scores=scores), ""]
    return lines


def _snisi_section(meta: Mapping, lang: str) -> list[str]:
    rows = meta.get("snisi_comparison") or []
    if not rows:  # a store built before the SNISI reconciliation
        return []
    columns = list(SNISI_COMPARISON_COLUMNS[1:])
    lines = [f"## {T['snisi'](lang)}", "", T["snisi_intro"](lang), ""]
    lines += ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    lines += ["| " + " | ".join(_cell("" if r.get(c) is None else r[c]) for c in columns) + " |" for r in rows]
    return [*lines, ""]


def snisi_csv(meta: Mapping) -> bytes:
    """Return the per-commune SNISI comparison recorded in the store metadata as CSV (UTF-8 with BOM)."""
    frame = pd.DataFrame(meta.get("snisi_comparison") or [], columns=list(SNISI_COMPARISON_COLUMNS))
    return frame.to_csv(index=False, lineterminator="\r\n").encode("utf-8-sig")


def _sources_section(meta: Mapping, lang: str) -> list[str]:
    sources = {**registry(), **references()}
    stored = meta.get("sources") or {}
    lines = [f"## {T['sources'](lang)}", "", T["sources_intro"](lang), ""]
    for key, source in sources.items():
        recorded = stored.get(key, (meta.get("references") or {}).get(key))
        state = T["missing"](lang) if recorded is None else T["same" if recorded == source.sha256 else "differs"](lang)
        lines += [
            f"### {key}",
            "",
            f"- {T['file'](lang)} : `{source.path}` — {source.url}",
            *([f"- citation : {source.citation}"] if source.citation else []),
            f"- {T['role'](lang)} : {source.role}",
            f"- sha256 : `{source.sha256}`",
            f"- {T['store_hash'](lang)} : `{recorded or '—'}` ({state})",
            f"- {T['licence'](lang)} : {source.licence}",
            f"- {T['attribution'](lang)} : {source.attribution}",
            "",
        ]
    lines += [f"- {T['places'](lang)}", ""]
    if lang == "en":  # English typography: no space before the colon
        lines = [line.replace(" : ", ": ", 1) if line.startswith("- ") else line for line in lines]
    return lines


def metadata(atlas: Atlas) -> dict:
    """Return the machine-readable metadata of the package (build, sources, layer counts)."""
    return {
        "attribution": ATTRIBUTION.fr,
        "build": {k: atlas.meta.get(k) for k in ("build_id", "built_at", "package_version")},
        "counts": {layer: int(len(atlas.layers[layer])) for layer in LAYERS if layer in atlas.layers},
        "population": atlas.meta.get("population"),
        "snisi_comparison": atlas.meta.get("snisi_comparison"),
        "sources": {
            key: {
                "url": s.url,
                "sha256": s.sha256,
                "store_sha256": (atlas.meta.get("sources") or {}).get(key),
                "licence": s.licence,
                "attribution": s.attribution,
            }
            for key, s in registry().items()
        },
    }


def package_filename(atlas: Atlas, *, lang: str = "fr") -> str:
    """Return the package's file name, e.g. ``bamako-atlas-fr-2026-11-29.zip``."""
    return f"bamako-atlas-{lang_or_raise(lang)}-{build_date(atlas.meta)}.zip"


def build_package(atlas: Atlas, *, lang: str = "fr", settings: Settings | None = None) -> Export:
    """Return the partner package (zip) of ``atlas`` with the README in ``lang``.

    ``settings`` give the population year and total when the store's metadata lacks them.

    Contents, under a ``bamako-atlas-<date>/`` folder: ``README.md``, one
    multi-layer GeoPackage, ``geojson/<layer>.geojson`` and ``csv/<layer>.csv``
    for every layer, and ``metadata.json``. Coordinates are WGS84 lon/lat.
    """
    lang = lang_or_raise(lang)
    day = build_date(atlas.meta)
    root = f"bamako-atlas-{day}/"
    prepared = {}
    for layer in LAYERS:
        ctx = ExportContext(layer=layer, name=f"bamako-{layer.replace('_', '-')}-{day}", layer_name=layer,
                            title=layer_title(layer, lang), column_docs=column_docs(layer))  # fmt: skip
        prepared[layer] = (prepare(atlas.layers[layer], layer), ctx)
    members = {
        root + "README.md": readme(atlas, lang=lang, settings=settings).encode("utf-8"),
        root + f"bamako-atlas-{day}.gpkg": to_gpkg_layers(prepared),
    }
    for layer, (frame, ctx) in prepared.items():
        members[f"{root}geojson/{layer}.geojson"] = to_geojson(frame, ctx)
    for layer, (frame, ctx) in prepared.items():
        members[f"{root}csv/{layer}.csv"] = to_csv(frame, ctx)
    if atlas.meta.get("snisi_comparison"):
        members[f"{root}csv/snisi_comparison.csv"] = snisi_csv(atlas.meta)
    members[root + "metadata.json"] = json.dumps(metadata(atlas), ensure_ascii=False, indent=2).encode("utf-8")
    stamp = (int(day[:4]), int(day[5:7]), int(day[8:10]), 0, 0, 0) if day != "undated" else (2000, 1, 1, 0, 0, 0)
    data = zip_bytes(members, date_time=stamp)
    count = sum(len(frame) for frame, _ in prepared.values())
    log.info("partner package %s: %d features, %d bytes", package_filename(atlas, lang=lang), count, len(data))
    return Export(
        data=data, filename=package_filename(atlas, lang=lang), media_type="application/zip", count=count, text=False
    )
