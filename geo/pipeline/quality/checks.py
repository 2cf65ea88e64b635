"""The quality checks, registered in report order: each finds rows of the facilities layer and says why.

Distances are computed in UTM 29N (EPSG:32629) and given in metres; evidence
is in French, for the people who fix the data.
"""

from __future__ import annotations

import logging
import math
import re

import geopandas as gpd
import numpy as np
import pandas as pd
from scipy.spatial import cKDTree

from geo.pipeline.ingest.surveys import PERSONAL_NAME_NOTE
from geo.pipeline.quality.evidence import display, finding_rows, json_value, kind_label, metres, reference
from geo.pipeline.quality.names import name_similarity, quartier_matcher, unit_key
from geo.pipeline.quality.registry import CHECKS as CHECKS  # re-exported: the registry these checks fill
from geo.pipeline.quality.registry import Context, register
from geo.pipeline.reconcile.kinds import NOTE_PATTERN as REKINDED_NOTE
from geo.pipeline.reconcile.kinds import STATED_KINDS
from geo.text import normalize_name
from geo.vocabulary import METRIC_CRS, PLACED_PRECISIONS, POINT_PRECISIONS, Text

log = logging.getLogger(__name__)

#: Two points of the same kind closer than this may be the same facility.
DUPLICATE_RADIUS_M = 50.0
#: Names that say nothing beyond the kind ("Pharmacie", "Dépotoir", empty) only
#: make a duplicate this close: about the error of a phone GPS fix.
DUPLICATE_TIGHT_RADIUS_M = 5.0
#: Similarity (0–100) of the distinctive parts of two names (kind words such as
#: "Pharmacie", "École privée" removed) from which they are taken as spellings of
#: one name. Same-kind pairs within 50 m in the 2021 surveys: 80–97 are variants
#: (Dianguina/Diaguina 97, Makalou/Macalou 86, Source Vive/Sourvie 82, ESBAB/ESBAD
#: 80); the first clearly different pair scores 71 (Mahamadou Camara/Mamadou Moctar Bah).
DUPLICATE_NAME_SCORE = 80.0
#: Two CSCOMs of the analyses closer than this are one centre twice or a wrong point: the CSCOMs
#: SNISI tells apart are at least 250 m apart in the sheet (ASACODJENEKA, ASACODJIP).
CSCOM_CLOSE_M = 100.0
#: A point this close to the quartier its record declares is a boundary
#: ambiguity, not a mismatch: people's quartier limits are not COD-AB's. In the
#: 2021 surveys 474 of 2,007 located facilities declare another known quartier
#: than the one they fall in; 283 of them lie within 500 m of it.
QUARTIER_TOLERANCE_M = 500.0
#: Same for communes, whose limits (river, main roads) are well known: 16
#: disagreements in the surveys, 7 of them within 50 m of the declared commune.
COMMUNE_TOLERANCE_M = 50.0
#: From this many facilities declared in one quartier and found in one other, the evidence says so.
RECURRENT_MISMATCH = 5
#: Name patterns (on ``normalize_name``) → (what the name says, kinds compatible with it).
#: The first matching pattern decides, so specific patterns come first.
NAME_KIND_PATTERNS: tuple[tuple[str, str, frozenset[str]], ...] = (
    # names that state a private practice: the build gives them that kind (geo.pipeline.reconcile.kinds)
    (STATED_KINDS["pharmacy"].pattern, "une pharmacie", STATED_KINDS["pharmacy"].allowed),
    (STATED_KINDS["clinic"].pattern, "une clinique ou un cabinet", STATED_KINDS["clinic"].allowed),
    (r"^(?:cscom\b|asaco|centre de sante communautaire\b)", "un CSCOM", frozenset({"cscom"})),
    (r"^(?:csref|centre de sante de reference)\b", "un CSRéf", frozenset({"csref"})),
    (r"^(?:hopital|chu|centre hospitalier)\b", "un hôpital", frozenset({"hospital", "csref"})),
    # "École et jardin d'enfants …", "Crèche maternelle et primaire …": several levels, several kinds fit.
    (r"\b(?:jardin|maternelle|creche|garderie)\b.*\b(?:primaire|fondamentale?|ecole|scolaire|lycee|college)\b"
     r"|\b(?:ecole|scolaire|primaire|fondamentale?|lycee|college)\b.*\b(?:jardin|creche|garderie)\b",
     "un établissement scolaire", frozenset({"kindergarten", "school", "college"})),
    (r"^(?:l )?(?:jardin d enfants?|ecole maternelle|maternelle|creche|garderie)\b", "un jardin d'enfants", frozenset({"kindergarten"})),
    (r"^(?:universite|faculte|ecole superieure|ecole normale superieure)\b", "une université", frozenset({"university"})),
    (r"^(?:lycee|college)\b", "un lycée ou collège", frozenset({"college"})),
    (r"^(?:l )?ecole\b", "une école", frozenset({"school", "college", "university"})),
)  # fmt: skip
_NAME_KIND_RES = tuple(re.compile(pattern) for pattern, _, _ in NAME_KIND_PATTERNS)
#: What a name the build re-kinds says, by the kind it states.
_STATED_MEANING = {
    s.kind: meaning for s in STATED_KINDS.values() for p, meaning, _ in NAME_KIND_PATTERNS if p == s.pattern
}


@register("duplicate", Text("Doublon probable", "Probable duplicate"))
def _duplicates(ctx: Context) -> pd.DataFrame:
    fac = ctx.facilities
    pos = np.flatnonzero(ctx.located & fac["location_precision"].isin(POINT_PRECISIONS).to_numpy())
    if len(pos) < 2:
        return finding_rows([], [])
    pts = ctx.metric.iloc[pos]
    xy = np.column_stack([pts.x.to_numpy(), pts.y.to_numpy()])
    pairs = cKDTree(xy).query_pairs(DUPLICATE_RADIUS_M, output_type="ndarray")
    kind = fac["kind"].to_numpy()
    pairs = pairs[kind[pos[pairs[:, 0]]] == kind[pos[pairs[:, 1]]]]
    dist = np.hypot(*(xy[pairs[:, 0]] - xy[pairs[:, 1]]).T)
    i, j = pos[pairs[:, 0]], pos[pairs[:, 1]]
    norm = ctx.names.to_numpy()
    score = name_similarity(norm[i], norm[j])  # NaN: a name says nothing beyond the kind
    generic = np.isnan(score)
    keep = np.where(generic, dist <= DUPLICATE_TIGHT_RADIUS_M, score >= DUPLICATE_NAME_SCORE)
    i, j, dist, score, generic = i[keep], j[keep], dist[keep], score[keep], generic[keep]
    ids = fac["id"].to_numpy()
    first = np.where(ids[i] <= ids[j], i, j)
    other = np.where(ids[i] <= ids[j], j, i)
    names = fac["name"].to_numpy()
    evidence = [
        f"à {d:.0f} m de {reference(names[o], ids[o])}, "
        + ("nom peu distinctif, points à moins de 5 m" if g else f"noms similaires à {s:.0f} %")
        for o, d, s, g in zip(other, dist, score, generic, strict=True)
    ]
    return finding_rows(first, evidence, ids[other])


@register("cscom_close", Text("Deux CSCOM à moins de 100 m", "Two CSCOMs within 100 m"))
def _cscoms_close(ctx: Context) -> pd.DataFrame:
    """Find CSCOMs of the analyses closer than ``CSCOM_CLOSE_M``: one centre twice, or a wrong point."""
    fac = ctx.facilities
    in_analysis = fac["in_analysis"].fillna(False).astype(bool).to_numpy() if "in_analysis" in fac else True
    pos = np.flatnonzero(ctx.located & (fac["kind"] == "cscom").to_numpy() & in_analysis)
    if len(pos) < 2:
        return finding_rows([], [])
    pts = ctx.metric.iloc[pos]
    xy = np.column_stack([pts.x.to_numpy(), pts.y.to_numpy()])
    pairs = cKDTree(xy).query_pairs(CSCOM_CLOSE_M, output_type="ndarray")
    ids, names = fac["id"].to_numpy(), fac["name"].to_numpy()
    rows, evidence, related = [], [], []
    for a, b in pairs:
        first, other = sorted((pos[a], pos[b]), key=lambda r: ids[r])
        gap = float(np.hypot(*(xy[a] - xy[b])))
        where = "au même point" if gap < 1 else f"à {gap:.0f} m"
        rows.append(first)
        related.append(ids[other])
        evidence.append(
            f"{where} du CSCOM {reference(names[other], ids[other])} : deux aires de santé distinctes selon "
            "le SNISI ou un même centre ; vérifiez les deux points"
        )
    return finding_rows(rows, evidence, related)


def _nearest_unit(ctx: Context, mask: np.ndarray) -> pd.DataFrame:
    """Return the nearest quartier and its distance (m) for the rows in ``mask``."""
    probe = gpd.GeoDataFrame(geometry=ctx.metric[mask], crs=METRIC_CRS)
    near = gpd.sjoin_nearest(probe, ctx.metric_quartiers, how="left", distance_col="dist_m")
    near = near[["pcode", "commune_pcode", "dist_m"]]  # only these are used: no geometry to carry through
    return near.sort_values(["dist_m", "pcode"]).groupby(level=0).first()


def _boundary_findings(ctx: Context, mask: np.ndarray, wording: str) -> pd.DataFrame:
    if not mask.any():
        return finding_rows([], [])
    near = _nearest_unit(ctx, mask)
    declared = ctx.facilities.loc[near.index, "commune_declared"].map(display)
    evidence = [
        wording.format(
            dist=metres(d), quartier=ctx.quartier_name.get(q, q), commune=ctx.commune_name.get(c, c), declared=dc
        )
        for d, q, c, dc in zip(near["dist_m"], near["pcode"], near["commune_pcode"], declared, strict=True)
    ]
    return finding_rows(near.index, evidence)


@register("outside_district", Text("Hors du District", "Outside the District"))
def _outside(ctx: Context) -> pd.DataFrame:
    fac = ctx.facilities
    outside = ctx.located & (fac["join_status"] == "outside").to_numpy()
    # A record that itself names a commune outside the District (peri-urban CSCOMs of the
    # DNACPN sheet: "Kalaban-coro", "Tienfala") is consistent, not a finding.
    declared = fac["commune_declared"].map(normalize_name)
    says_outside = ((declared != "") & ctx.declared_commune.isna()).to_numpy()
    if (outside & says_outside).any():
        log.info(
            "outside_district: %d point(s) declared in a commune outside the District", (outside & says_outside).sum()
        )
    return _boundary_findings(
        ctx,
        outside & ~says_outside,
        "hors du District, à {dist} de la limite (quartier le plus proche « {quartier} », {commune}) ; "
        "commune déclarée {declared}",
    )


@register(
    "snapped_to_boundary",
    Text(
        "Juste hors limite, rattaché au quartier voisin", "Just outside the boundary, assigned to the nearest quartier"
    ),
)
def _snapped(ctx: Context) -> pd.DataFrame:
    snapped = ctx.located & (ctx.facilities["join_status"] == "snapped").to_numpy()
    return _boundary_findings(
        ctx, snapped, "hors du District à {dist} de la limite, rattaché à « {quartier} » ({commune})"
    )


@register(
    "unit_mismatch",
    Text(
        "Commune ou quartier déclaré différent de la position", "Declared commune or quartier differs from the position"
    ),
)
def _unit_mismatch(ctx: Context) -> pd.DataFrame:
    fac = ctx.facilities
    judged = (
        ctx.located
        & fac["location_precision"].isin(POINT_PRECISIONS).to_numpy()
        & fac["commune_pcode"].notna().to_numpy()
    )
    declared_commune = ctx.declared_commune
    differs = judged & declared_commune.notna().to_numpy() & (declared_commune != fac["commune_pcode"]).to_numpy()

    match = quartier_matcher(ctx.quartiers)
    lookup = {name: match(name) for name in fac.loc[judged, "quartier_declared"].drop_duplicates()}
    matched = [lookup.get(name, frozenset()) for name in fac["quartier_declared"]]
    pairs = pd.DataFrame({"row": fac.index, "declared": matched, "actual": fac["quartier_pcode"]})[judged]
    pairs = pairs[pairs["actual"].notna()]
    pairs = pairs[[bool(d) and a not in d for d, a in zip(pairs["declared"], pairs["actual"], strict=True)]]
    pairs = pairs.explode("declared")
    units = ctx.metric_quartiers.set_index("pcode").geometry
    pairs["dist_m"] = ctx.metric.loc[pairs["row"]].distance(units.loc[pairs["declared"]], align=False).to_numpy()
    gap = pairs.groupby("row")["dist_m"].min()
    quartier_bad = gap[gap > QUARTIER_TOLERANCE_M]
    # The same declared → computed pair over many facilities points at a COD-AB limit, not at one record.
    judged_rows = fac.loc[gap.index]
    pair_key = judged_rows["quartier_declared"].map(unit_key) + "→" + judged_rows["quartier_pcode"].astype(str)
    recurrence = pair_key.value_counts()

    commune_rows = np.flatnonzero(differs)
    shapes = ctx.communes.set_index("pcode").geometry.to_crs(METRIC_CRS)
    commune_gap = ctx.metric.iloc[commune_rows].distance(shapes.loc[declared_commune.iloc[commune_rows]], align=False)
    far = commune_gap.to_numpy() > COMMUNE_TOLERANCE_M
    evidence: dict[int, list[str]] = {}
    commune_pcode, commune_declared = fac["commune_pcode"].to_numpy(), fac["commune_declared"].to_numpy()
    quartier_pcode, quartier_declared = fac["quartier_pcode"].to_numpy(), fac["quartier_declared"].to_numpy()
    for row, dist in zip(commune_rows[far], commune_gap.to_numpy()[far], strict=True):
        computed = commune_pcode[row]
        evidence.setdefault(row, []).append(
            f"commune déclarée {display(commune_declared[row])} mais point en "
            f"{ctx.commune_name.get(computed, computed)}, à {metres(dist)} de la commune déclarée"
        )
    for row, dist in quartier_bad.items():
        actual = quartier_pcode[row]
        text = (
            f"quartier déclaré {display(quartier_declared[row])} mais point dans "
            f"« {ctx.quartier_name.get(actual, actual)} », à {metres(dist)} du quartier déclaré"
        )
        if (same := recurrence[pair_key[row]]) >= RECURRENT_MISMATCH:
            text += f" (écart récurrent, {same} équipements : limite COD-AB à vérifier)"
        evidence.setdefault(row, []).append(text)
    rows = sorted(evidence)
    return finding_rows(rows, [" ; ".join(evidence[r]) for r in rows])


def _report_mislabels(report: pd.DataFrame, fac: gpd.GeoDataFrame) -> pd.DataFrame:
    """Return the ``probable_mislabel`` rows of the CSCOM reconciliation as findings.

    A row with a sheet is a survey facility of another kind sitting on a DNACPN
    CSCOM; a row without one is a survey "CSCOM" the reconciliation re-kinded as
    a private practice. ``name_score`` is 0–100, ``distance_m`` in metres.
    """
    flagged = report[report["status"] == "probable_mislabel"]
    position = pd.Series(fac.index, index=fac["id"])
    known = flagged["survey_id"].isin(position.index)
    if not known.all():
        log.warning("CSCOM report: %d probable_mislabel row(s) name no facility of the layer", (~known).sum())
    flagged = flagged[known]
    rows = position.loc[flagged["survey_id"]].to_numpy()
    evidence, related = [], []
    for sheet_id, sheet_name, dist, score, kind in zip(
        flagged["sheet_id"].map(json_value), flagged["sheet_name"], flagged["distance_m"].astype(float),
        flagged["name_score"].astype(float), fac.loc[rows, "kind"], strict=True,
    ):  # fmt: skip
        if not sheet_id:
            evidence.append(
                "classé CSCOM dans l'enquête, mais ni le nom ni l'exploitant ne sont communautaires : type enregistré "
                f"changé en « {kind_label(kind)} » par le rapprochement CSCOM, à vérifier"
            )
        else:
            text = f"correspond à la fiche CSCOM DNACPN {display(sheet_name)} ({sheet_id})"
            text += "" if math.isnan(dist) else f" à {dist:.0f} m"
            evidence.append(text + ("" if math.isnan(score) else f", noms similaires à {score:.0f} %"))
        related.append(sheet_id or None)
    return finding_rows(rows, evidence, related)


def _rekinded_by_name(fac: gpd.GeoDataFrame) -> pd.DataFrame:
    """Return as findings the rows the build re-kinded by their name (their note keeps the survey's answer)."""
    noted = fac["note"].fillna("").astype(str).str.extract(REKINDED_NOTE)
    rows = np.flatnonzero(noted["answer"].notna().to_numpy())
    evidence = [
        f"classé « {kind_label(answer)} » dans l'enquête, mais le nom {display(name)} désigne "
        f"{_STATED_MEANING.get(stated, stated)} : type enregistré changé en « {kind_label(kind)} » "
        "à la construction, à vérifier"
        for answer, stated, name, kind in zip(
            noted["answer"].iloc[rows], noted["kind"].iloc[rows], fac["name"].iloc[rows], fac["kind"].iloc[rows],
            strict=True,
        )
    ]  # fmt: skip
    return finding_rows(fac.index[rows], evidence)


@register("probable_mislabel", Text("Type probablement erroné", "Probably wrong type"))
def _mislabels(ctx: Context) -> pd.DataFrame:
    fac = ctx.facilities
    parts = []
    # The first matching pattern decides: one pass over the names finds it for every row (-1: none).
    first = np.array(
        [next((k for k, rx in enumerate(_NAME_KIND_RES) if rx.search(n)), -1) for n in ctx.names], dtype=int
    )
    names, kind = fac["name"].to_numpy(), fac["kind"].to_numpy()
    for k, (_, meaning, kinds) in enumerate(NAME_KIND_PATTERNS):
        bad = (first == k) & ~fac["kind"].isin(list(kinds)).to_numpy()
        parts.append(
            finding_rows(
                fac.index[bad],
                [
                    f"le nom {display(n)} désigne {meaning}, mais le type enregistré est « {kind_label(t)} »"
                    for n, t in zip(names[bad], kind[bad], strict=True)
                ],
            )
        )
    parts.append(_rekinded_by_name(fac))
    if ctx.cscom_report is not None:
        parts.append(_report_mislabels(ctx.cscom_report, fac))
    found = pd.concat(parts, ignore_index=True)
    if found.empty:
        return found
    # A facility flagged by its name and by the reconciliation gets one finding.
    found = found.groupby("row", as_index=False, sort=True).agg(
        evidence=("evidence", " ; ".join), related_id=("related_id", lambda s: next((v for v in s if v), None))
    )
    untyped = ~found["evidence"].str.contains("type enregistré", regex=False)
    found.loc[untyped, "evidence"] += [
        f", mais le type enregistré est « {kind_label(k)} »" for k in fac.loc[found.loc[untyped, "row"], "kind"]
    ]
    return found


@register("missing_name", Text("Nom manquant", "Missing name"))
def _missing_name(ctx: Context) -> pd.DataFrame:
    bad = ctx.names == ""
    return finding_rows(
        ctx.facilities.index[bad],
        [f"aucun nom dans la source ({kind_label(k)})" for k in ctx.facilities.loc[bad, "kind"]],
    )


@register("missing_coordinates", Text("Coordonnées manquantes", "Missing coordinates"))
def _missing_coordinates(ctx: Context) -> pd.DataFrame:
    fac = ctx.facilities
    placed = fac["location_precision"].isin(PLACED_PRECISIONS).to_numpy() & ctx.located
    lost = ~ctx.located
    evidence = []
    for row in np.flatnonzero(placed):
        commune = ctx.commune_name.get(fac.at[row, "commune_pcode"], display(fac.at[row, "commune_declared"]))
        if fac.at[row, "location_precision"] == "quartier" and pd.notna(fac.at[row, "quartier_pcode"]):
            where = f"du quartier « {ctx.quartier_name.get(fac.at[row, 'quartier_pcode'])} » ({commune})"
        else:
            where = f"de la {commune}" if commune.startswith("Commune") else f"de {commune}"
        evidence.append(f"pas de coordonnées dans la source : placé au point représentatif {where}")
    for row in np.flatnonzero(lost):
        evidence.append(
            "pas de coordonnées et unité déclarée non reconnue (commune "
            f"{display(fac.at[row, 'commune_declared'])}, quartier {display(fac.at[row, 'quartier_declared'])}) : absent de la carte"
        )
    return finding_rows([*np.flatnonzero(placed), *np.flatnonzero(lost)], evidence)


@register(
    "suspected_personal_data", Text("Nom de personne probable (enquêteur)", "Probable personal name (data collector)")
)
def _suspected_personal_data(ctx: Context) -> pd.DataFrame:
    # The evidence never repeats the removed name: it is not in the store.
    flagged = np.flatnonzero(ctx.facilities["note"].fillna("").str.contains(PERSONAL_NAME_NOTE, regex=False))
    evidence = (
        "le nom de la source contenait le nom de l'enquêteur de la même ligne (donnée personnelle probable) : "
        "remplacé par un nom générique ; vérifiez le vrai nom de l'équipement"
    )
    return finding_rows(flagged, [evidence] * len(flagged))
