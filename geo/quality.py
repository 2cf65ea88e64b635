"""Data-quality findings on the facilities layer: duplicates, misplacements, mislabels, gaps.

Each check is a small vectorised function registered in ``CHECKS``; ``find_issues``
runs them and returns one row per finding (``QA_COLUMNS`` plus the facility's
point, EPSG:4326) whose ``evidence`` tells the people who fix the data, in
French, what was compared and what was found. Distances are computed in UTM 29N
(EPSG:32629) and given in metres.
"""

from __future__ import annotations

import json
import logging
import math
import os
import re
import tempfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
from rapidfuzz import fuzz, process
from scipy.spatial import cKDTree

from geo.errors import DataError, InvalidParameter
from geo.exports import defuse_formula
from geo.model import KINDS, METRIC_CRS, QA_COLUMNS, STORE_CRS
from geo.text import commune_pcode_from_text, normalize_name

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
#: Similarity (0–100) of a declared quartier name to a COD-AB name or alternative
#: name: accepts Sokonafing/Sogonafing, Zon Aéroportière/Zone aéroportuaire,
#: rejects Kadobougou/Kodabougou (80), which may be another place.
QUARTIER_NAME_SCORE = 85.0
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

NO_COMMUNE = "(hors commune)"

# Words that only restate the kind or are grammatical: removed before names are compared.
_GENERIC_WORDS = frozenset(
    "pharmacie pharmacies officine clinique polyclinique cabinet medical medicale medicaux dentaire soins soin "
    "centre sante cscom csref asaco communautaire hopital batiment ecole ecoles privee prive public publique "
    "fondamentale fondamental groupe scolaire complexe complexes lycee college jardin enfants enfant maternelle "
    "creche garderie cycle medersa franco arabe institut universite faculte superieure superieur depot depots "
    "depotoir depotoire dechet dechets ordure ordures poubelle transit site de du des la le les et au aux en pour".split()
)
# Section markers of schools sharing a compound ("A", "B", "second cycle", "II"): different markers, different facilities.
_ORDINALS = {
    "premier": "1", "premiere": "1", "1er": "1", "1ere": "1", "second": "2", "seconde": "2", "deuxieme": "2",
    "2eme": "2", "2e": "2", "2me": "2", "troisieme": "3", "3eme": "3", "3e": "3",
}  # fmt: skip
_ROMANS = {"i": "1", "ii": "2", "iii": "3", "iv": "4", "v": "5", "vi": "6", "vii": "7", "viii": "8", "ix": "9"}
_DIGITS = re.compile(r"\d+")

#: Name patterns (on ``normalize_name``) → (what the name says, kinds compatible with it).
#: The first matching pattern decides, so specific patterns come first.
NAME_KIND_PATTERNS: tuple[tuple[str, str, frozenset[str]], ...] = (
    (r"^(?:batiment )?(?:pharmacie|officine|depot pharmaceutique|depot de medicaments?)\b", "une pharmacie", frozenset({"pharmacy"})),
    (r"^(?:batiment )?(?:clinique|polyclinique|cabinet)\b", "une clinique ou un cabinet", frozenset({"clinic", "health_other", "hospital"})),
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

_REQUIRED = ("id", "kind", "name", "commune_declared", "quartier_declared", "location_precision",
             "commune_pcode", "quartier_pcode", "join_status")  # fmt: skip
_REPORT_COLUMNS = ("status", "sheet_id", "survey_id", "sheet_name", "survey_name", "distance_m", "name_score")


@dataclass(frozen=True)
class Check:
    """One registered check: its key, a French label and the function that finds the rows."""

    key: str
    label_fr: str
    find: Callable[[_Context], pd.DataFrame]


#: Registry of checks, in report order.
CHECKS: dict[str, Check] = {}


def _register(key: str, label_fr: str) -> Callable:
    def decorate(fn: Callable[[_Context], pd.DataFrame]) -> Callable[[_Context], pd.DataFrame]:
        CHECKS[key] = Check(key, label_fr, fn)
        return fn

    return decorate


@dataclass
class _Context:
    """Inputs of the checks and the derived columns several of them share."""

    facilities: gpd.GeoDataFrame  # positional index, EPSG:4326
    quartiers: gpd.GeoDataFrame
    communes: gpd.GeoDataFrame
    cscom_report: pd.DataFrame | None

    @cached_property
    def metric(self) -> gpd.GeoSeries:
        return self.facilities.geometry.to_crs(METRIC_CRS)

    @cached_property
    def located(self) -> np.ndarray:
        return (~(self.metric.isna() | self.metric.is_empty)).to_numpy()

    @cached_property
    def names(self) -> pd.Series:
        return self.facilities["name"].map(normalize_name)

    @cached_property
    def name_parts(self) -> pd.DataFrame:
        parts = [_split_name(n) for n in self.names]
        return pd.DataFrame(parts, columns=["core", "marks"], index=self.facilities.index)

    @cached_property
    def commune_name(self) -> dict[str, str]:
        return dict(zip(self.communes["pcode"], self.communes["name"], strict=True))

    @cached_property
    def quartier_name(self) -> dict[str, str]:
        return dict(zip(self.quartiers["pcode"], self.quartiers["name"], strict=True))


def _split_name(norm: str) -> tuple[str, str]:
    """Return (distinctive words, section markers) of a normalised name."""
    tokens = norm.split()
    core: list[str] = []
    marks: list[str] = []
    for k, token in enumerate(tokens):
        following = tokens[k + 1] if k + 1 < len(tokens) else None
        if token in _ORDINALS:
            marks.append(_ORDINALS[token])
        elif k > 0 and token in _ROMANS and len(token) > 1:
            marks.append(_ROMANS[token])
        elif len(token) == 1:
            # A lone letter is a section ("École X B", "cour F second cycle") at the end or before an ordinal;
            # elsewhere it is an elision or "à" and carries nothing.
            if k > 0 and (following is None or following in _ORDINALS or following == "cycle"):
                marks.append(token)
        else:
            marks += [d.lstrip("0") or "0" for d in _DIGITS.findall(token)]
            word = _DIGITS.sub("", token)
            word = word[5:] if word.startswith("asaco") and len(word) > 5 else word
            if word and word not in _GENERIC_WORDS:
                core.append(word)
    return " ".join(core), "|".join(sorted(marks))


def _rows(rows: Iterable[int], evidence: Iterable[str], related: Iterable[object] | None = None) -> pd.DataFrame:
    rows = np.asarray(list(rows), dtype=int)
    related = [None] * len(rows) if related is None else list(related)
    return pd.DataFrame({"row": rows, "evidence": list(evidence), "related_id": related})


def _kind_label(kind: object) -> str:
    return KINDS[kind].label_fr if kind in KINDS else str(kind)


def _display(name: object) -> str:
    text = "" if name is None or (isinstance(name, float) and math.isnan(name)) else " ".join(str(name).split())
    return f"« {text} »" if text else "(sans nom)"


def _reference(name: object, fid: str) -> str:
    shown = _display(name)
    return f"{fid} {shown}" if shown == "(sans nom)" else f"{shown} ({fid})"


def _metres(value: float) -> str:
    return f"{value:.0f} m" if value < 1000 else f"{value / 1000:.1f} km".replace(".", ",")


@_register("duplicate", "Doublon probable")
def _duplicates(ctx: _Context) -> pd.DataFrame:
    fac = ctx.facilities
    pos = np.flatnonzero(ctx.located & (fac["location_precision"] == "exact").to_numpy())
    if len(pos) < 2:
        return _rows([], [])
    pts = ctx.metric.iloc[pos]
    xy = np.column_stack([pts.x.to_numpy(), pts.y.to_numpy()])
    pairs = cKDTree(xy).query_pairs(DUPLICATE_RADIUS_M, output_type="ndarray")
    kind = fac["kind"].to_numpy()
    pairs = pairs[kind[pos[pairs[:, 0]]] == kind[pos[pairs[:, 1]]]]
    dist = np.hypot(*(xy[pairs[:, 0]] - xy[pairs[:, 1]]).T)
    i, j = pos[pairs[:, 0]], pos[pairs[:, 1]]
    core = ctx.name_parts["core"].to_numpy()
    marks = ctx.name_parts["marks"].to_numpy()
    score = np.zeros(len(i))
    if len(i):
        set_score = process.cpdist(core[i], core[j], scorer=fuzz.token_set_ratio)
        compact = np.char.replace(core.astype(str), " ", "")
        flat_score = process.cpdist(compact[i], compact[j], scorer=fuzz.ratio)
        score = np.maximum(set_score, flat_score)
    generic = (core[i] == "") | (core[j] == "")
    keep = (marks[i] == marks[j]) & np.where(generic, dist <= DUPLICATE_TIGHT_RADIUS_M, score >= DUPLICATE_NAME_SCORE)
    i, j, dist, score, generic = i[keep], j[keep], dist[keep], score[keep], generic[keep]
    ids = fac["id"].to_numpy()
    first = np.where(ids[i] <= ids[j], i, j)
    other = np.where(ids[i] <= ids[j], j, i)
    names = fac["name"].to_numpy()
    evidence = [
        f"à {d:.0f} m de {_reference(names[o], ids[o])}, "
        + ("nom peu distinctif, points à moins de 5 m" if g else f"noms similaires à {s:.0f} %")
        for o, d, s, g in zip(other, dist, score, generic, strict=True)
    ]
    return _rows(first, evidence, ids[other])


def _nearest_unit(ctx: _Context, mask: np.ndarray) -> pd.DataFrame:
    """Return the nearest quartier and its distance (m) for the rows in ``mask``."""
    probe = gpd.GeoDataFrame(geometry=ctx.metric[mask], crs=METRIC_CRS)
    units = ctx.quartiers[["pcode", "commune_pcode", "geometry"]].to_crs(METRIC_CRS)
    near = gpd.sjoin_nearest(probe, units, how="left", distance_col="dist_m")
    return near.sort_values(["dist_m", "pcode"]).groupby(level=0).first()


def _boundary_findings(ctx: _Context, mask: np.ndarray, wording: str) -> pd.DataFrame:
    if not mask.any():
        return _rows([], [])
    near = _nearest_unit(ctx, mask)
    declared = ctx.facilities.loc[near.index, "commune_declared"].map(_display)
    evidence = [
        wording.format(
            dist=_metres(d), quartier=ctx.quartier_name.get(q, q), commune=ctx.commune_name.get(c, c), declared=dc
        )
        for d, q, c, dc in zip(near["dist_m"], near["pcode"], near["commune_pcode"], declared, strict=True)
    ]
    return _rows(near.index, evidence)


@_register("outside_district", "Hors du District")
def _outside(ctx: _Context) -> pd.DataFrame:
    fac = ctx.facilities
    outside = ctx.located & (fac["join_status"] == "outside").to_numpy()
    # A record that itself names a commune outside the District (peri-urban CSCOMs of the
    # DNACPN sheet: "Kalaban-coro", "Tienfala") is consistent, not a finding.
    declared = fac["commune_declared"].map(normalize_name)
    says_outside = ((declared != "") & fac["commune_declared"].map(commune_pcode_from_text).isna()).to_numpy()
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


@_register("snapped_to_boundary", "Juste hors limite, rattaché au quartier voisin")
def _snapped(ctx: _Context) -> pd.DataFrame:
    snapped = ctx.located & (ctx.facilities["join_status"] == "snapped").to_numpy()
    return _boundary_findings(
        ctx, snapped, "hors du District à {dist} de la limite, rattaché à « {quartier} » ({commune})"
    )


def _unit_key(value: object) -> str:
    """Return a quartier name as compact text with trailing Roman numerals as digits ("Badialan III" → "badialan3")."""
    tokens = normalize_name(value).split()
    return "".join(_ROMANS.get(t, t) if k else t for k, t in enumerate(tokens))


def _quartier_matcher(quartiers: gpd.GeoDataFrame) -> Callable[[object], frozenset[str]]:
    """Return a function mapping a declared quartier name to the P-codes it designates (empty if unknown)."""
    names = pd.concat(
        [quartiers[["pcode", "name"]], quartiers[["pcode", "alt_name"]].rename(columns={"alt_name": "name"})]
    )
    names["key"] = names["name"].map(_unit_key)
    names = names[names["key"] != ""].drop_duplicates(["pcode", "key"])
    letters = names["key"].str.replace(r"\d", "", regex=True).tolist()
    digits = names["key"].str.replace(r"\D", "", regex=True).tolist()
    by_key = names.groupby("key")["pcode"].agg(frozenset).to_dict()
    pcodes = names["pcode"].tolist()
    padded = [f" {normalize_name(n)} " for n in names["name"]]

    def match(declared: object) -> frozenset[str]:
        key = _unit_key(declared)
        if not key:
            return frozenset()
        if key in by_key:
            found = by_key[key]
        else:
            want = re.sub(r"\d", "", key), re.sub(r"\D", "", key)
            hits = process.extract(want[0], letters, scorer=fuzz.ratio, score_cutoff=QUARTIER_NAME_SCORE, limit=None)
            hits = [(score, k) for _, score, k in hits if digits[k] == want[1]]
            best = max((s for s, _ in hits), default=None)
            found = frozenset(pcodes[k] for s, k in hits if s == best)
        if not found:
            return found
        # A unit named after the declared one is part of it: "Niamakoro" covers "Niamakoro 1621".
        words = f" {normalize_name(declared)} "
        return found | {pcodes[k] for k, text in enumerate(padded) if words in text}

    return match


@_register("unit_mismatch", "Commune ou quartier déclaré différent de la position")
def _unit_mismatch(ctx: _Context) -> pd.DataFrame:
    fac = ctx.facilities
    judged = ctx.located & (fac["location_precision"] == "exact").to_numpy() & fac["commune_pcode"].notna().to_numpy()
    declared_commune = fac["commune_declared"].map(commune_pcode_from_text)
    differs = judged & declared_commune.notna().to_numpy() & (declared_commune != fac["commune_pcode"]).to_numpy()

    match = _quartier_matcher(ctx.quartiers)
    lookup = {name: match(name) for name in fac.loc[judged, "quartier_declared"].drop_duplicates()}
    matched = [lookup.get(name, frozenset()) for name in fac["quartier_declared"]]
    pairs = pd.DataFrame({"row": fac.index, "declared": matched, "actual": fac["quartier_pcode"]})[judged]
    pairs = pairs[pairs["actual"].notna()]
    pairs = pairs[[bool(d) and a not in d for d, a in zip(pairs["declared"], pairs["actual"], strict=True)]]
    pairs = pairs.explode("declared")
    units = ctx.quartiers.set_index("pcode").geometry.to_crs(METRIC_CRS)
    pairs["dist_m"] = ctx.metric.loc[pairs["row"]].distance(units.loc[pairs["declared"]], align=False).to_numpy()
    gap = pairs.groupby("row")["dist_m"].min()
    quartier_bad = gap[gap > QUARTIER_TOLERANCE_M]
    # The same declared → computed pair over many facilities points at a COD-AB limit, not at one record.
    pair_key = fac["quartier_declared"].map(_unit_key) + "→" + fac["quartier_pcode"].astype(str)
    recurrence = pair_key[gap.index].value_counts()

    commune_rows = np.flatnonzero(differs)
    shapes = ctx.communes.set_index("pcode").geometry.to_crs(METRIC_CRS)
    commune_gap = ctx.metric.iloc[commune_rows].distance(shapes.loc[declared_commune.iloc[commune_rows]], align=False)
    far = commune_gap.to_numpy() > COMMUNE_TOLERANCE_M
    evidence: dict[int, list[str]] = {}
    for row, dist in zip(commune_rows[far], commune_gap.to_numpy()[far], strict=True):
        computed = fac.at[row, "commune_pcode"]
        evidence.setdefault(row, []).append(
            f"commune déclarée {_display(fac.at[row, 'commune_declared'])} mais point en "
            f"{ctx.commune_name.get(computed, computed)}, à {_metres(dist)} de la commune déclarée"
        )
    for row, dist in quartier_bad.items():
        actual = fac.at[row, "quartier_pcode"]
        text = (
            f"quartier déclaré {_display(fac.at[row, 'quartier_declared'])} mais point dans "
            f"« {ctx.quartier_name.get(actual, actual)} », à {_metres(dist)} du quartier déclaré"
        )
        if (same := recurrence[pair_key[row]]) >= RECURRENT_MISMATCH:
            text += f" (écart récurrent, {same} équipements : limite COD-AB à vérifier)"
        evidence.setdefault(row, []).append(text)
    rows = sorted(evidence)
    return _rows(rows, [" ; ".join(evidence[r]) for r in rows])


def unknown_quartier_names(facilities: pd.DataFrame, quartiers: gpd.GeoDataFrame) -> pd.DataFrame:
    """Return declared quartier names that match no COD-AB name, with their commune and row count.

    They are gaps of the gazetteer (sectors, customary names), not errors of a
    facility record, so ``find_issues`` does not report them per facility.
    """
    match = _quartier_matcher(quartiers)
    declared = facilities[["commune_declared", "quartier_declared"]].fillna("")
    declared = declared[declared["quartier_declared"].str.strip() != ""]
    counts = declared.value_counts().rename("count").reset_index()
    unknown = [not match(q) for q in counts["quartier_declared"]]
    return counts[unknown].reset_index(drop=True)


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
        flagged["sheet_id"].map(_json_value), flagged["sheet_name"], flagged["distance_m"].astype(float),
        flagged["name_score"].astype(float), fac.loc[rows, "kind"], strict=True,
    ):  # fmt: skip
        if not sheet_id:
            evidence.append(
                "classé CSCOM dans l'enquête, mais ni le nom ni l'exploitant ne sont communautaires : type enregistré "
                f"changé en « {_kind_label(kind)} » par le rapprochement CSCOM, à vérifier"
            )
        else:
            text = f"correspond à la fiche CSCOM DNACPN {_display(sheet_name)} ({sheet_id})"
            text += "" if math.isnan(dist) else f" à {dist:.0f} m"
            evidence.append(text + ("" if math.isnan(score) else f", noms similaires à {score:.0f} %"))
        related.append(sheet_id or None)
    return _rows(rows, evidence, related)


@_register("probable_mislabel", "Type probablement erroné")
def _mislabels(ctx: _Context) -> pd.DataFrame:
    fac = ctx.facilities
    parts = []
    decided = pd.Series(False, index=fac.index)
    for pattern, meaning, kinds in NAME_KIND_PATTERNS:
        hit = ctx.names.str.contains(pattern, regex=True) & ~decided
        decided |= hit
        bad = hit & ~fac["kind"].isin(kinds)
        parts.append(
            _rows(
                fac.index[bad],
                [
                    f"le nom {_display(n)} désigne {meaning}, mais le type enregistré est « {_kind_label(k)} »"
                    for n, k in zip(fac.loc[bad, "name"], fac.loc[bad, "kind"], strict=True)
                ],
            )
        )
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
        f", mais le type enregistré est « {_kind_label(k)} »" for k in fac.loc[found.loc[untyped, "row"], "kind"]
    ]
    return found


@_register("missing_name", "Nom manquant")
def _missing_name(ctx: _Context) -> pd.DataFrame:
    bad = ctx.names == ""
    return _rows(
        ctx.facilities.index[bad],
        [f"aucun nom dans la source ({_kind_label(k)})" for k in ctx.facilities.loc[bad, "kind"]],
    )


@_register("missing_coordinates", "Coordonnées manquantes")
def _missing_coordinates(ctx: _Context) -> pd.DataFrame:
    fac = ctx.facilities
    placed = (fac["location_precision"] != "exact").to_numpy() & ctx.located
    lost = ~ctx.located
    evidence = []
    for row in np.flatnonzero(placed):
        commune = ctx.commune_name.get(fac.at[row, "commune_pcode"], _display(fac.at[row, "commune_declared"]))
        if fac.at[row, "location_precision"] == "quartier" and pd.notna(fac.at[row, "quartier_pcode"]):
            where = f"du quartier « {ctx.quartier_name.get(fac.at[row, 'quartier_pcode'])} » ({commune})"
        else:
            where = f"de la {commune}" if commune.startswith("Commune") else f"de {commune}"
        evidence.append(f"pas de coordonnées dans la source : placé au point représentatif {where}")
    for row in np.flatnonzero(lost):
        evidence.append(
            "pas de coordonnées et unité déclarée non reconnue (commune "
            f"{_display(fac.at[row, 'commune_declared'])}, quartier {_display(fac.at[row, 'quartier_declared'])}) : absent de la carte"
        )
    return _rows([*np.flatnonzero(placed), *np.flatnonzero(lost)], evidence)


def _validate(
    facilities: gpd.GeoDataFrame, quartiers: gpd.GeoDataFrame, communes: gpd.GeoDataFrame, report: pd.DataFrame | None
) -> None:
    problems = []
    missing = [c for c in _REQUIRED if c not in facilities.columns]
    if missing:
        problems.append(f"facilities: missing columns {missing}")
    crs = {str(f.crs) for f in (facilities, quartiers, communes)}
    if len(crs) != 1:
        problems.append(f"CRS mismatch between facilities, quartiers and communes: {sorted(crs)}")
    if report is not None and (gaps := [c for c in _REPORT_COLUMNS if c not in report.columns]):
        problems.append(f"cscom_report: missing columns {gaps}")
    if problems:
        raise DataError("; ".join(problems))


def find_issues(
    facilities: gpd.GeoDataFrame,
    quartiers: gpd.GeoDataFrame,
    communes: gpd.GeoDataFrame,
    *,
    cscom_report: pd.DataFrame | None = None,
    checks: Iterable[str] | None = None,
) -> gpd.GeoDataFrame:
    """Run the quality checks and return one row per finding.

    Parameters
    ----------
    facilities
        The facilities layer after ``geo.joins.assign_units`` (``FACILITY_COLUMNS``, points in EPSG:4326).
    quartiers, communes
        The admin-4 and admin-3 layers, in the same CRS as ``facilities``.
    cscom_report
        Optional CSCOM reconciliation (``status``, ``sheet_id``, ``survey_id``, ``sheet_name``,
        ``survey_name``, ``distance_m``, ``name_score``); its ``probable_mislabel`` rows become findings.
    checks
        Keys of ``CHECKS`` to run (default: all, in registry order).

    Returns
    -------
    geopandas.GeoDataFrame
        ``QA_COLUMNS`` plus the facility's point (EPSG:4326; None when it has none),
        sorted by check, commune and facility id.
    """
    keys = list(CHECKS) if checks is None else list(checks)
    unknown = [k for k in keys if k not in CHECKS]
    if unknown:
        raise InvalidParameter("checks", f"unknown check(s) {unknown}; allowed: {', '.join(CHECKS)}")
    _validate(facilities, quartiers, communes, cscom_report)
    ctx = _Context(facilities.reset_index(drop=True), quartiers, communes, cscom_report)
    parts = [_rows([], []).assign(check=pd.Series(dtype=object))]
    for key in keys:
        part = CHECKS[key].find(ctx).assign(check=key)
        log.info("quality check %s: %d finding(s)", key, len(part))
        parts.append(part)
    found = pd.concat(parts, ignore_index=True)
    fac = ctx.facilities
    rows = found["row"].to_numpy(dtype=int)
    columns = {
        "check": found["check"],
        "facility_id": fac["id"].to_numpy()[rows],
        "facility_name": fac["name"].fillna("").to_numpy()[rows],
        "kind": fac["kind"].to_numpy()[rows],
        "commune_pcode": fac["commune_pcode"].to_numpy()[rows],
        "evidence": found["evidence"],
        "related_id": found["related_id"],
    }
    # Object columns with None for "no value", so that stores and JSON see nulls, not NaN.
    out = pd.DataFrame({k: pd.Series([_json_value(v) for v in c], dtype=object) for k, c in columns.items()})
    geometry = gpd.GeoSeries(fac.geometry.to_numpy()[rows], crs=fac.crs).to_crs(STORE_CRS)
    out = gpd.GeoDataFrame(out, geometry=geometry.to_numpy(), crs=STORE_CRS)
    order = {k: n for n, k in enumerate(CHECKS)}
    out = out.assign(_order=out["check"].map(order), _commune=out["commune_pcode"].fillna("~"))
    out = out.sort_values(["_order", "_commune", "facility_id", "related_id"], na_position="first", kind="stable")
    return out.drop(columns=["_order", "_commune"]).reset_index(drop=True)[[*QA_COLUMNS, "geometry"]]


def summarize(findings: pd.DataFrame) -> pd.DataFrame:
    """Return the number of findings per check (rows) and commune P-code (columns), with totals.

    Every registered check has a row, even at zero; findings without a commune
    are counted under ``NO_COMMUNE``.
    """
    commune = findings["commune_pcode"].astype(object).where(findings["commune_pcode"].notna(), NO_COMMUNE)
    counts = pd.crosstab(findings["check"], commune) if len(findings) else pd.DataFrame()
    checks = list(CHECKS) + sorted(set(findings["check"]) - set(CHECKS))
    columns = sorted(c for c in counts.columns if c != NO_COMMUNE) + (
        [NO_COMMUNE] if NO_COMMUNE in counts.columns else []
    )
    table = counts.reindex(index=checks, columns=columns, fill_value=0).astype(int)
    table["total"] = table.sum(axis=1)
    table.loc["total"] = table.sum(axis=0)
    table = table.astype(int)
    table.index.name, table.columns.name = "check", "commune_pcode"
    return table


def _write_csv(findings: gpd.GeoDataFrame, path: Path) -> None:
    table = pd.DataFrame({c: defuse_formula(findings[c].astype(object)) for c in QA_COLUMNS})
    points = findings.geometry
    located = ~(points.isna() | points.is_empty)
    table["lon"] = np.where(located, points.x.where(located).round(6), np.nan)
    table["lat"] = np.where(located, points.y.where(located).round(6), np.nan)
    # The BOM makes Excel read the file as UTF-8 (accents in names and evidence).
    table.to_csv(path, index=False, encoding="utf-8-sig", lineterminator="\r\n")


def _json_value(value: object) -> object:
    return None if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)) else value


def _write_geojson(findings: gpd.GeoDataFrame, path: Path) -> None:
    features = []
    for record, geom in zip(
        findings[list(QA_COLUMNS)].astype(object).to_dict("records"), findings.geometry, strict=True
    ):
        point = None
        if geom is not None and not geom.is_empty:
            point = {"type": "Point", "coordinates": [round(geom.x, 6), round(geom.y, 6)]}
        features.append(
            {"type": "Feature", "geometry": point, "properties": {k: _json_value(v) for k, v in record.items()}}
        )
    # RFC 7946: WGS 84 lon/lat implied, so no "crs" member.
    with open(path, "w", encoding="utf-8") as f:
        json.dump({"type": "FeatureCollection", "features": features}, f, ensure_ascii=False)


#: Files written by ``write_findings``: name → writer.
FINDING_WRITERS: dict[str, Callable[[gpd.GeoDataFrame, Path], None]] = {
    "qa_findings.csv": _write_csv,
    "qa_findings.geojson": _write_geojson,
}


def write_findings(findings: gpd.GeoDataFrame, out_dir: Path) -> list[Path]:
    """Write the findings as ``qa_findings.csv`` and ``qa_findings.geojson`` in ``out_dir``.

    The CSV is UTF-8 with a BOM, cells that a spreadsheet would take for a
    formula are quoted, and ``lon``/``lat`` (EPSG:4326, 6 decimals) are added.
    Every file is written to a temporary name and renamed only once all are
    complete: on error no partial or new file is left behind.
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    if findings.crs is not None and str(findings.crs) != STORE_CRS:
        findings = findings.to_crs(STORE_CRS)
    temps: dict[Path, Path] = {}
    try:
        for name, writer in FINDING_WRITERS.items():
            fd, tmp = tempfile.mkstemp(prefix=f".{name}-", suffix=".tmp", dir=out_dir)
            os.close(fd)
            temps[out_dir / name] = Path(tmp)
            writer(findings, Path(tmp))
            os.chmod(tmp, 0o644)  # mkstemp creates 0600; the web server must read the exports
        for final, tmp in temps.items():
            os.replace(tmp, final)
    except BaseException:
        for tmp in temps.values():
            tmp.unlink(missing_ok=True)
        raise
    log.info("%d finding(s) written to %s", len(findings), out_dir)
    return list(temps)
