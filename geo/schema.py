"""The schema of the published layers: each column's type, nullability and French/English definition.

One definition drives the store writer (:func:`geo.store.write_store`), the store reader and every
export writer (files, partner package, OGC API): :func:`conform` turns a layer into the types below,
with real nulls — never ``""``, ``"<NA>"``, ``"nan"`` or ``"None"`` standing for a missing value —
and counts as integers.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from geo.vocabulary import Text

#: Column types: ``str`` (text), ``int`` (counts, years; nullable Int64), ``float``, ``bool``.
TYPES = ("str", "int", "float", "bool")
#: Texts that stand for a missing value in a source or an older store; they become real nulls.
NULL_TEXTS = frozenset({"", "<NA>", "nan", "NaN", "None", "NaT", "null"})

_PCODE_C = Text("Code P de la commune (COD-AB admin 3, ex. ML090101 = Commune I).",
                "Commune P-code (COD-AB admin 3, e.g. ML090101 = Commune I).")  # fmt: skip
_AREA = Text("Superficie en km², calculée dans la projection métrique UTM 29N (EPSG:32629).",
             "Area in km², computed in the metric UTM 29N projection (EPSG:32629).")  # fmt: skip
_POP_YEAR = Text("Année de référence de pop_estimate.", "Reference year of pop_estimate.")

DOCS: dict[str, dict[str, Text]] = {
    "communes": {
        "pcode": _PCODE_C,
        "name": Text("Nom de la commune.", "Commune name."),
        "area_km2": _AREA,
        "pop_2009": Text(
            "Population au RGPH 2009 (inventaire DNACPN).",
            "Population at the 2009 census (RGPH 2009, DNACPN inventory).",
        ),
        "pop_estimate": Text(
            "Population estimée pour pop_year, en habitants (voir « Population »).",
            "Estimated population in pop_year, in inhabitants (see “Population”).",
        ),  # fmt: skip
        "pop_uniform": Text(
            "Projection pop_year à part 2009 constante du total du District.",
            "pop_year projection keeping the commune's 2009 share of the District total.",
        ),
        "pop_growth": Text(
            "Projection pop_year selon la croissance 1998–2009 propre à la commune, ramenée au total du District.",
            "pop_year projection at the commune's own 1998–2009 growth, scaled to the District total.",
        ),
        "pop_low": Text("Plus basse des projections de la commune.", "Lowest of the commune projections."),
        "pop_high": Text("Plus haute des projections de la commune.", "Highest of the commune projections."),
        "pop_commune_method": Text(
            "Projection retenue pour pop_estimate (growth ou uniform).",
            "Projection used for pop_estimate (growth or uniform).",
        ),
        "pop_year": _POP_YEAR,
    },
    "quartiers": {
        "pcode": Text(
            "Code P de l'unité (COD-AB admin 4, ex. ML090105595).", "Unit P-code (COD-AB admin 4, e.g. ML090105595)."
        ),
        "name": Text("Nom COD-AB du quartier ou de la zone.", "COD-AB name of the quartier or zone."),
        "alt_name": Text(
            "Autre graphie du nom (COD-AB), souvent sans accents.",
            "Alternative spelling (COD-AB), often without accents.",
        ),
        "commune_pcode": _PCODE_C,
        "commune_name": Text("Nom de la commune.", "Commune name."),
        "area_km2": _AREA,
        "pop_estimate": Text(
            "Population estimée pour pop_year, en habitants : l'estimation de la commune répartie entre ses "
            "unités selon pop_method (méthode du plus fort reste : les unités d'une commune totalisent exactement "
            "la commune).",
            "Estimated population in pop_year, in inhabitants: the commune estimate split among its units by "
            "pop_method (largest remainder: the units of a commune add up exactly to the commune).",
        ),
        "pop_low": Text(
            "Borne basse de l'estimation (quantile 10 % des erreurs en validation croisée, Commune V 2009).",
            "Low bound of the estimate (10th percentile of the leave-one-out errors, Commune V 2009).",
        ),
        "pop_high": Text(
            "Borne haute de l'estimation (quantile 90 % des erreurs en validation croisée, Commune V 2009).",
            "High bound of the estimate (90th percentile of the leave-one-out errors, Commune V 2009).",
        ),
        "pop_method": Text(
            "Méthode de répartition de la population communale (voir vocabulaire).",
            "Method splitting the commune population (see vocabulary).",
        ),  # fmt: skip
        "pop_evidence": Text(
            "schools : répartie selon les écoles relevées ; none : aucune école relevée, part de la superficie.",
            "schools: split by surveyed schools; none: no surveyed school, area share used.",
        ),
        "pop_year": _POP_YEAR,
    },
    "facilities": {
        "id": Text(
            "Identifiant stable d'une construction à l'autre (ex. sante-0160).",
            "Identifier, stable across rebuilds (e.g. sante-0160).",
        ),
        "kind": Text("Type d'équipement (voir vocabulaire kind).", "Facility kind (see kind vocabulary)."),
        "name": Text("Nom de l'équipement tel que relevé.", "Facility name as recorded."),
        "commune_declared": Text(
            "Commune telle qu'écrite dans la source (nul si absent).",
            "Commune as written in the source (null when absent).",
        ),
        "quartier_declared": Text(
            "Quartier tel qu'écrit dans la source (nul si absent).",
            "Quartier as written in the source (null when absent).",
        ),
        "location_precision": Text(
            "Précision de la position (voir vocabulaire).", "Precision of the position (see vocabulary)."
        ),
        "sources": Text(
            "Clés des sources, séparées par « ; » (voir « Sources » ; places = lieux compilés par le projet).",
            "Source keys, separated by “;” (see “Sources”; places = places compiled by the project).",
        ),  # fmt: skip
        "source_refs": Text(
            "Références des lignes dans ces sources, séparées par « ; ».",
            "Row references within those sources, separated by “;”.",
        ),
        "operator_type": Text(
            "Gestionnaire (voir vocabulaire ; nul si inconnu).", "Operator (see vocabulary; null when unknown)."
        ),
        "beds": Text(
            "Nombre de lits déclaré (santé ; nul si inconnu).", "Declared number of beds (health; null when unknown)."
        ),
        "doctors": Text("Nombre de médecins déclaré (santé).", "Declared number of doctors (health)."),
        "nurses": Text("Nombre d'infirmiers déclaré (santé).", "Declared number of nurses (health)."),
        "opening_hours": Text("Horaires d'ouverture déclarés.", "Declared opening hours."),
        "pupils": Text("Nombre d'élèves déclaré (éducation).", "Declared number of pupils (education)."),
        "confidence": Text(
            "Confiance dans la position, lieux compilés par le projet seulement (voir vocabulaire).",
            "Confidence in the position, project-compiled places only (see vocabulary).",
        ),  # fmt: skip
        "note": Text(
            "Remarque libre (en anglais quand elle vient des sources ou de la construction).",
            "Free note (in English when the sources or the build wrote it).",
        ),
        "note_fr": Text(
            "La même remarque en français (traduite par le projet pour les lieux compilés, par modèles pour les "
            "notes de la construction ; nulle sans note).",
            "The same note in French (translated by the project for its compiled places, by templates for the "
            "build's notes; null without a note).",
        ),
        "commune_pcode": Text(
            "Code P de la commune où se trouve le point (jointure spatiale).",
            "P-code of the commune the point lies in (spatial join).",
        ),  # fmt: skip
        "quartier_pcode": Text(
            "Code P du quartier où se trouve le point (nul si inconnu).",
            "P-code of the quartier the point lies in (null when unknown).",
        ),  # fmt: skip
        "join_status": Text(
            "Relation du point aux limites du District (voir vocabulaire).",
            "How the point relates to the District boundary (see vocabulary).",
        ),  # fmt: skip
        "in_analysis": Text(
            "Vrai si l'équipement compte dans les indicateurs (faux pour les points hors du District).",
            "True when the facility counts in the indicators (false for points outside the District).",
        ),  # fmt: skip
        "health_area_code": Text(
            "Code SNISI 2016 de l'aire de santé du CSCOM (table de référence SNISI ; nul si non rapproché).",
            "SNISI 2016 code of the CSCOM's health area (SNISI reference table; null when not matched).",
        ),
        "health_area_name": Text(
            "Nom SNISI 2016 de l'aire de santé (l'ASACO) du CSCOM (nul si non rapproché).",
            "SNISI 2016 name of the CSCOM's health area (its ASACO; null when not matched).",
        ),
    },
    "qa_findings": {
        "check": Text(
            "Contrôle ayant produit l'anomalie (voir vocabulaire).", "Check that produced the finding (see vocabulary)."
        ),
        "facility_id": Text(
            "Identifiant de l'équipement concerné (facilities.id).",
            "Identifier of the facility concerned (facilities.id).",
        ),
        "facility_name": Text("Nom de l'équipement concerné.", "Name of the facility concerned."),
        "kind": Text("Type de l'équipement concerné.", "Kind of the facility concerned."),
        "commune_pcode": Text("Code P de la commune de l'équipement.", "P-code of the facility's commune."),
        "evidence": Text(
            "Éléments constatés (distances, noms comparés…).", "Evidence found (distances, names compared…)."
        ),
        "related_id": Text(
            "Autre équipement en cause (ex. le doublon), s'il y en a un.",
            "Other facility involved (e.g. the duplicate), if any.",
        ),
    },
}


#: Short column headings (French-Excel CSV, tables), by column name across layers; ``lon``/``lat``/``wkt`` are
#: the CSV's own columns. A column without one keeps its name.
HEADINGS: dict[str, Text] = {
    "pcode": Text("Code P", "P-code"),
    "name": Text("Nom", "Name"),
    "alt_name": Text("Autre nom", "Other name"),
    "area_km2": Text("Superficie (km²)", "Area (km²)"),
    "pop_2009": Text("Population 2009", "Population 2009"),
    "pop_estimate": Text("Population estimée", "Estimated population"),
    "pop_uniform": Text("Projection (part constante)", "Projection (constant share)"),
    "pop_growth": Text("Projection (croissance)", "Projection (growth)"),
    "pop_low": Text("Population basse", "Population low"),
    "pop_high": Text("Population haute", "Population high"),
    "pop_commune_method": Text("Méthode de projection", "Projection method"),
    "pop_method": Text("Méthode de répartition", "Split method"),
    "pop_evidence": Text("Base de répartition", "Split evidence"),
    "pop_year": Text("Année de population", "Population year"),
    "commune_pcode": Text("Code P commune", "Commune P-code"),
    "commune_name": Text("Commune", "Commune"),
    "id": Text("Identifiant", "Identifier"),
    "kind": Text("Type", "Kind"),
    "commune_declared": Text("Commune déclarée", "Declared commune"),
    "quartier_declared": Text("Quartier déclaré", "Declared quartier"),
    "location_precision": Text("Précision de la position", "Position precision"),
    "sources": Text("Sources", "Sources"),
    "source_refs": Text("Références dans les sources", "Source references"),
    "operator_type": Text("Gestionnaire", "Operator"),
    "beds": Text("Lits", "Beds"),
    "doctors": Text("Médecins", "Doctors"),
    "nurses": Text("Infirmiers", "Nurses"),
    "opening_hours": Text("Horaires", "Opening hours"),
    "pupils": Text("Élèves", "Pupils"),
    "confidence": Text("Fiabilité de la position", "Position confidence"),
    "health_area_code": Text("Code de l'aire de santé (SNISI)", "Health area code (SNISI)"),
    "health_area_name": Text("Aire de santé (SNISI)", "Health area (SNISI)"),
    "note": Text("Note", "Note"),
    "note_fr": Text("Note (français)", "Note (French)"),
    "quartier_pcode": Text("Code P quartier", "Quartier P-code"),
    "join_status": Text("Relation aux limites", "Boundary status"),
    "in_analysis": Text("Dans les analyses", "In the analyses"),
    "check": Text("Contrôle", "Check"),
    "facility_id": Text("Identifiant de l'équipement", "Facility identifier"),
    "facility_name": Text("Nom de l'équipement", "Facility name"),
    "evidence": Text("Constat", "Evidence"),
    "related_id": Text("Équipement lié", "Related facility"),
    "lon": Text("Longitude", "Longitude"),
    "lat": Text("Latitude", "Latitude"),
    "wkt": Text("Géométrie (WKT)", "Geometry (WKT)"),
}


def heading(column: str, lang: str = "fr") -> str:
    """Return the short heading of ``column`` in ``lang`` (its name when it has none)."""
    text = HEADINGS.get(column)
    return text(lang) if text else column


@dataclass(frozen=True)
class Column:
    """One column of a published layer: its type (one of ``TYPES``), nullability and definition."""

    name: str
    type: str
    nullable: bool
    doc: Text


# (type, nullable) of every column, by layer; the definitions are in DOCS, in the same order.
_TYPES: dict[str, dict[str, tuple[str, bool]]] = {
    "communes": {
        "pcode": ("str", False),
        "name": ("str", False),
        "area_km2": ("float", False),
        "pop_2009": ("int", True),
        "pop_estimate": ("int", True),
        "pop_uniform": ("int", True),
        "pop_growth": ("int", True),
        "pop_low": ("int", True),
        "pop_high": ("int", True),
        "pop_commune_method": ("str", True),
        "pop_year": ("int", True),
    },
    "quartiers": {
        "pcode": ("str", False),
        "name": ("str", False),
        "alt_name": ("str", True),
        "commune_pcode": ("str", False),
        "commune_name": ("str", False),
        "area_km2": ("float", False),
        "pop_estimate": ("int", True),
        "pop_low": ("int", True),
        "pop_high": ("int", True),
        "pop_method": ("str", True),
        "pop_evidence": ("str", True),
        "pop_year": ("int", True),
    },
    "facilities": {
        "id": ("str", False),
        "kind": ("str", False),
        "name": ("str", True),
        "commune_declared": ("str", True),
        "quartier_declared": ("str", True),
        "location_precision": ("str", False),
        "sources": ("str", False),
        "source_refs": ("str", True),
        "operator_type": ("str", True),
        "beds": ("int", True),
        "doctors": ("int", True),
        "nurses": ("int", True),
        "opening_hours": ("str", True),
        "pupils": ("int", True),
        "confidence": ("str", True),
        "note": ("str", True),
        "note_fr": ("str", True),
        "commune_pcode": ("str", True),
        "quartier_pcode": ("str", True),
        "join_status": ("str", False),
        "in_analysis": ("bool", False),
        "health_area_code": ("str", True),
        "health_area_name": ("str", True),
    },
    "qa_findings": {
        "check": ("str", False),
        "facility_id": ("str", True),
        "facility_name": ("str", True),
        "kind": ("str", True),
        "commune_pcode": ("str", True),
        "evidence": ("str", True),
        "related_id": ("str", True),
    },
}

#: The schema of every published layer: layer → column → Column, in column order.
SCHEMAS: dict[str, dict[str, Column]] = {
    layer: {name: Column(name, kind, nullable, DOCS[layer][name]) for name, (kind, nullable) in columns.items()}
    for layer, columns in _TYPES.items()
}
assert all(list(SCHEMAS[layer]) == list(DOCS[layer]) for layer in SCHEMAS), "schema types and docs disagree"
#: Count columns of the facilities (integers: beds, doctors, nurses, pupils).
COUNT_COLUMNS = tuple(name for name, column in SCHEMAS["facilities"].items() if column.type == "int")


def _text(values: pd.Series) -> pd.Series:
    """Return ``values`` as an object column of texts with None for every missing value."""
    raw = values.astype(object).to_numpy()
    if pd.api.types.infer_dtype(raw, skipna=False) == "string":
        # Only str cells: each distinct text is judged once (columns repeat a few values: kinds, communes…).
        codes, uniques = pd.factorize(raw)
        judged = np.array([None if v.strip() in NULL_TEXTS else v for v in uniques], dtype=object)
        return pd.Series(judged[codes], index=values.index, dtype=object, name=values.name)
    # Plain str cells, nearly all of them, are handled inline: one function call per cell cost 10 ms a build.
    cells = [(None if v.strip() in NULL_TEXTS else v) if type(v) is str else _text_cell(v) for v in raw.tolist()]
    return pd.Series(np.array(cells, dtype=object), index=values.index, dtype=object, name=values.name)


def _text_cell(value: object) -> str | None:
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, str):
        return None if value.strip() in NULL_TEXTS else value
    return _scalar_text(value)


def _scalar_text(value: object) -> str | None:
    """Return a non-text value as text (``12.0`` → ``"12"``), None for NaN."""
    if isinstance(value, float | np.floating):
        if np.isnan(value):
            return None
        if float(value).is_integer():
            return str(int(value))
    return str(value)


def _integers(values: pd.Series, column: str) -> pd.Series:
    """Return ``values`` as nullable Int64; texts standing for null become null, fractions are refused."""
    if values.dtype == "Int64":  # already typed (the build's counts): nothing to check
        return values
    if values.dtype == object or pd.api.types.is_string_dtype(values):
        values = _text(values)
    numbers = pd.to_numeric(values, errors="raise")
    fractional = numbers.notna() & (numbers.astype("Float64") % 1 != 0)
    if fractional.any():
        raise ValueError(f"column {column!r} holds a non-integer count: {numbers[fractional].iloc[0]!r}")
    return numbers.astype("Float64").astype("Int64")


def _booleans(values: pd.Series, column: str) -> pd.Series:
    if values.dtype == bool:
        return values
    if values.dtype == object or pd.api.types.is_string_dtype(values):
        words = _text(values).map(lambda v: v if v is None or not isinstance(v, str) else v.strip().lower())
        mapped = words.map({"true": True, "1": True, "false": False, "0": False, True: True, False: False})
        if (mapped.isna() & words.notna()).any():
            raise ValueError(f"column {column!r} holds a value that is not a boolean")
        values = mapped
    return values.astype("boolean")


def conform(frame: pd.DataFrame, layer: str) -> pd.DataFrame:
    """Return a copy of ``frame`` typed by the schema of ``layer``, with real nulls.

    Texts are object columns with None for missing (no ``""``, ``"<NA>"``…);
    ``int`` columns are pandas nullable ``Int64``; ``bool`` columns are ``bool``
    (or nullable ``boolean`` when a value is missing); ``float`` columns are
    ``float64`` with NaN. Columns the schema does not know (a layer from a newer
    build, ``version`` of edited facilities) keep their values; their missing
    texts become None too. Columns of the schema missing from ``frame`` are not added.

    Raises
    ------
    ValueError
        A count with a fraction, or a boolean column holding something else.
    """
    columns = SCHEMAS.get(layer, {})
    out = frame.copy()
    geometry = out.geometry.name if hasattr(out, "geometry") and "geometry" in out else None
    for name in out.columns:
        if name == geometry:
            continue
        spec = columns.get(name)
        kind = spec.type if spec else None
        values = out[name]
        if kind == "int":
            out[name] = _integers(values, name)
        elif kind == "float":
            out[name] = pd.to_numeric(values, errors="raise").astype("float64")
        elif kind == "bool":
            typed = _booleans(values, name)
            out[name] = typed.astype(bool) if not typed.isna().any() else typed
        elif kind == "str" or values.dtype == object or pd.api.types.is_string_dtype(values):
            out[name] = _text(values)
    return out


def missing_texts(frame: pd.DataFrame) -> dict[str, int]:
    """Return column → number of texts standing for a missing value (``""``, ``"<NA>"``…); empty when clean."""
    found = {}
    for name in frame.columns:
        values = frame[name]
        if values.dtype == object or pd.api.types.is_string_dtype(values):
            count = int(values.map(lambda v: isinstance(v, str) and v.strip() in NULL_TEXTS).sum())
            if count:
                found[name] = count
    return found
