"""Read the 2021 KoBo surveys (health, education, waste sites) through an allow-list.

The three layers carry fields about the people who collected them (device and
SIM identifiers, collector names, submission times…). Only the source columns
named in the ``*_COLUMNS`` allow-lists below are read from disk, so those fields
never even enter memory. Operator names (often a doctor's own name) and facility
phone numbers are left out as well.

Decisions on the data:

- kinds come from a registry per layer; a missing answer is inferred from the
  name (the row's note says so). The health answer "Dental" was used for
  *cabinets médicaux / de soins* of every kind, so it maps to ``clinic``;
  "Traditional" (pharmacopées, tradipraticiens) maps to ``health_other``;
- names are cleaned by :mod:`geo.pipeline.ingest.survey_text` (lines joined, spaces
  collapsed, pictographs removed); a continuation line of ``REMARK_MIN_WORDS``
  words or more is a collector's remark, not part of the name, and is dropped;
  a missing name stays "" for the QA report to list — no other column is used
  as a fallback;
- letters lost at the source (U+FFFD, waste layer) are restored only where a
  single word of ``REPAIR_WORDS`` or of the COD-AB quartier names fits;
- counts outside ``[0, HARD_MAX]`` are discarded (one "doctors" answer is a
  phone number); counts above ``PLAUSIBLE_MAX`` are kept and noted;
- a facility name that contains the name of its own row's data collector
  (``COLLECTOR_COLUMN``, read only for this comparison and never kept) is
  suspected personal data: it is replaced by a generic name (its kind words,
  e.g. « Cabinet médical », else the kind's label) and noted with
  ``PERSONAL_NAME_NOTE`` for the QA check ``suspected_personal_data``.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely

from geo.errors import DataError
from geo.pipeline.ingest.survey_text import LOST, clean_text, repair_lost_letters, repair_vocabulary, split_remarks
from geo.text import GENERIC_NAME_WORDS, normalize_name
from geo.vocabulary import KINDS, SOURCE_FACILITY_COLUMNS, STORE_CRS

log = logging.getLogger(__name__)

#: Allow-list of the health layer: source column → store column. Nothing else is read.
HEALTH_COLUMNS: dict[str, str] = {
    "Commune": "commune_declared",
    "Name of quartier": "quartier_declared",
    "Nature of the facility": "name",
    "Type of the facility": "kind",
    "What type of operator is this?": "operator_type",
    "Number of beds in the health facility": "beds",
    "What is the number of doctors?": "doctors",
    "What is the number of nurses?": "nurses",
    "Opening days and times": "opening_hours",
}
#: Allow-list of the education layer: source column → store column. Nothing else is read.
EDUCATION_COLUMNS: dict[str, str] = {
    "Commune": "commune_declared",
    "Name of quartier": "quartier_declared",
    "Name of Facility": "name",
    "Amenity": "kind",
    "Type of the organization/institution that runs the facility": "operator_type",
    "Number of Students": "pupils",
    "Opening Hours": "opening_hours",
    "You said other, please specify": "opening_hours_other",
}
#: Allow-list of the waste layer: source column → store column. Nothing else is read.
WASTE_COLUMNS: dict[str, str] = {
    "Commune": "commune_declared",
    "Name of quartier": "quartier_declared",
    "Name of facility": "name",
    "Amenity": "kind",
    "Type of operator": "operator_type",
}

#: The survey column naming a row's collector: read only to compare with the row's facility name, never kept.
COLLECTOR_COLUMN = "Name of data collector"
#: Note of a facility whose source name contained its collector's name (listed by the QA check).
PERSONAL_NAME_NOTE = "name replaced by a generic one: it contained the name of the row's data collector"

#: Health "Type of the facility" → kind.
HEALTH_KINDS: dict[str, str] = {
    "Community health center": "cscom",
    "Reference health center": "csref",
    "Hospital": "hospital",
    "Clinic": "clinic",
    # Used for 30 cabinets médicaux / de soins, of which only a few are dental: a practice.
    "Dental": "clinic",
    "Pharmacy": "pharmacy",
    # Pharmacopées and traditional healers.
    "Traditional": "health_other",
}
#: Education "Amenity" → kind.
EDUCATION_KINDS: dict[str, str] = {
    "School": "school",
    "Kindergarten": "kindergarten",
    "College": "college",
    "University": "university",
}
#: Waste "Amenity" → kind.
WASTE_KINDS: dict[str, str] = {"Waste transfer station": "waste_site"}

#: When the kind answer is missing: (regex on the normalised name, kind), first match wins.
HEALTH_KINDS_FROM_NAME: tuple[tuple[str, str], ...] = (
    (r"\bcscom\b|centre de sante communautaire", "cscom"),
    (r"^pharmac", "pharmacy"),
    (r"\b(?:clinique|cabinet)\b", "clinic"),
)
EDUCATION_KINDS_FROM_NAME: tuple[tuple[str, str], ...] = (
    (r"\bjardin d|maternelle|creche|garderie", "kindergarten"),
    (r"\b(?:lycee|college)\b", "college"),
    (r"universit|facult|institut", "university"),
)

#: Operator type answers (normalised) → store value.
OPERATOR_TYPES: dict[str, str] = {
    "private": "private",
    "public": "public",
    "government": "public",
    "governement": "public",
    "community": "community",
    "religious": "religious",
    "ngo": "ngo",
}

#: Counts outside [0, HARD_MAX] are not counts (a phone number, a typo): discarded, noted.
HARD_MAX: dict[str, int] = {"beds": 5_000, "doctors": 5_000, "nurses": 5_000, "pupils": 100_000}
#: Counts above these are kept but noted as implausible.
PLAUSIBLE_MAX: dict[str, int] = {"beds": 600, "doctors": 150, "nurses": 500, "pupils": 50_000}
#: Per-kind overrides of PLAUSIBLE_MAX, keyed by (column, kind).
PLAUSIBLE_MAX_BY_KIND: dict[tuple[str, str], int] = {
    ("pupils", "kindergarten"): 1_000,
    ("pupils", "school"): 4_000,
    ("pupils", "college"): 4_000,
}

_OPENING_CHOICE = re.compile(r"Mo-(?:Fri|Sa|Su) \d\d:\d\d-\d\d:\d\d|24/7|Other")
_NUMERIC_COLUMNS = ("beds", "doctors", "nurses", "pupils")


@dataclass(frozen=True)
class SurveyLayer:
    """How to read one survey layer."""

    source: str  # key in data/sources.toml
    id_prefix: str
    columns: Mapping[str, str]
    kinds: Mapping[str, str]
    kinds_from_name: tuple[tuple[str, str], ...]
    default_kind: str


HEALTH = SurveyLayer("survey_health", "sante", HEALTH_COLUMNS, HEALTH_KINDS, HEALTH_KINDS_FROM_NAME, "health_other")
EDUCATION = SurveyLayer(
    "survey_education", "educ", EDUCATION_COLUMNS, EDUCATION_KINDS, EDUCATION_KINDS_FROM_NAME, "school"
)
WASTE = SurveyLayer("survey_waste", "dechets", WASTE_COLUMNS, WASTE_KINDS, (), "waste_site")


def read_health(path: Path, *, quartiers: gpd.GeoDataFrame | None = None) -> gpd.GeoDataFrame:
    """Return the health survey as store rows (ids "sante-NNNN"), EPSG:4326.

    See :func:`read_survey` for the parameters and the columns.
    """
    return read_survey(path, HEALTH, quartiers=quartiers)


def read_education(path: Path, *, quartiers: gpd.GeoDataFrame | None = None) -> gpd.GeoDataFrame:
    """Return the education survey as store rows (ids "educ-NNNN"), EPSG:4326.

    See :func:`read_survey` for the parameters and the columns.
    """
    return read_survey(path, EDUCATION, quartiers=quartiers)


def read_waste(path: Path, *, quartiers: gpd.GeoDataFrame | None = None) -> gpd.GeoDataFrame:
    """Return the waste-site survey as store rows (ids "dechets-NNNN"), EPSG:4326.

    Pass ``quartiers`` (COD-AB admin-4 units) so that quartier names whose
    accented letters were lost at the source can be restored.
    See :func:`read_survey` for the columns.
    """
    return read_survey(path, WASTE, quartiers=quartiers)


def read_survey(path: Path, layer: SurveyLayer, *, quartiers: gpd.GeoDataFrame | None = None) -> gpd.GeoDataFrame:
    """Read one survey layer through its allow-list into ``SOURCE_FACILITY_COLUMNS`` + geometry.

    Parameters
    ----------
    path
        The verified local copy of the survey GeoPackage (one point layer).
    layer
        One of ``HEALTH``, ``EDUCATION``, ``WASTE``.
    quartiers
        Optional COD-AB quartiers (``name``, ``alt_name``); their words join
        ``REPAIR_WORDS`` as the vocabulary for restoring lost letters.

    Returns
    -------
    geopandas.GeoDataFrame
        Points in EPSG:4326, one row per survey row in file order. ``id`` is
        the prefix and the 1-based row position, zero-padded to 4 digits
        (stable for the pinned file); ``source_refs`` is "row NNNN";
        ``location_precision`` is "gps_survey" ("commune" for a row without a
        point); counts are nullable integers.

    Raises
    ------
    DataError
        An allow-listed column is missing, or a kind or operator answer is not
        in its registry (the rows are named).
    """
    path = Path(path)
    raw, collectors = _read_allowed(path, layer.columns)
    refs = pd.Series([f"{n:04d}" for n in range(1, len(raw) + 1)], index=raw.index)
    vocabulary = repair_vocabulary(quartiers)

    name, name_notes = _clean_names(raw["name"], vocabulary)
    quartier, quartier_notes = _clean_quartiers(raw["quartier_declared"], vocabulary)
    kind, kind_notes = _kinds(raw["kind"], name, layer, path, refs)
    name, personal_notes = _without_collector_names(name, kind, collectors, path)
    del collectors
    operator = _operator_types(raw["operator_type"], path, refs)
    notes = [kind_notes, name_notes, personal_notes, quartier_notes]

    frame = pd.DataFrame({column: "" for column in SOURCE_FACILITY_COLUMNS}, index=raw.index)
    empty = raw.geometry.isna() | raw.geometry.is_empty
    frame = frame.assign(
        id=layer.id_prefix + "-" + refs,
        kind=kind,
        name=name,
        commune_declared=_clean_series(raw["commune_declared"]),
        quartier_declared=quartier,
        location_precision=np.where(empty, "commune", "gps_survey"),
        sources=layer.source,
        source_refs="row " + refs,
        operator_type=operator,
        opening_hours=_opening_hours(raw, path),
    )
    for column in _NUMERIC_COLUMNS:
        if column in raw.columns:
            frame[column], number_notes = _counts(raw[column], kind, column)
            notes.append(number_notes)
        else:
            frame[column] = pd.array([pd.NA] * len(frame), dtype="Int64")
    frame["note"] = _join_notes(notes)
    text = [c for c in SOURCE_FACILITY_COLUMNS if c not in _NUMERIC_COLUMNS]
    frame[text] = frame[text].astype(str)
    geometry = gpd.GeoSeries(shapely.force_2d(raw.geometry.values), index=raw.index, crs=STORE_CRS)
    out = gpd.GeoDataFrame(frame[list(SOURCE_FACILITY_COLUMNS)], geometry=geometry, crs=STORE_CRS)
    log.info(
        "%s: %d rows read through a %d-column allow-list; kinds %s; %d without a name",
        path.name,
        len(out),
        len(layer.columns),
        out["kind"].value_counts().to_dict(),
        int((out["name"] == "").sum()),
    )
    return out.reset_index(drop=True)


def _read_allowed(path: Path, columns: Mapping[str, str]) -> tuple[gpd.GeoDataFrame, pd.Series]:
    """Read the allow-listed columns and the geometry, renamed to store columns, in EPSG:4326.

    Returns the frame and, apart, the ``COLLECTOR_COLUMN`` values (all "" when the layer has none),
    read in the same pass for :func:`_without_collector_names` only.
    """
    try:
        layers = pyogrio.list_layers(path)
        if len(layers) != 1:
            raise DataError(f"{path}: expected one layer, found {[str(n) for n, _ in layers]}")
        # Columns the layer lacks are left out of the frame (pyogrio skips them): checked below.
        raw = pyogrio.read_dataframe(path, columns=[*columns, COLLECTOR_COLUMN])
    except DataError:
        raise
    except Exception as exc:  # GDAL errors are not typed usefully
        raise DataError(f"{path}: cannot read the survey layer ({type(exc).__name__}: {exc})") from None
    missing = [c for c in columns if c not in raw.columns]
    if missing:
        raise DataError(f"{path}: missing survey columns {missing}")
    raw = raw.reset_index(drop=True)
    has_collector = COLLECTOR_COLUMN in raw.columns and COLLECTOR_COLUMN not in columns
    collectors = raw.pop(COLLECTOR_COLUMN) if has_collector else pd.Series([""] * len(raw), index=raw.index)
    raw = raw.rename(columns=dict(columns))
    raw = raw.to_crs(STORE_CRS) if raw.crs is not None else raw.set_crs(STORE_CRS)
    return raw, collectors


def _without_collector_names(
    names: pd.Series, kinds: pd.Series, collectors: pd.Series, path: Path
) -> tuple[pd.Series, np.ndarray]:
    """Replace each name holding its row's collector name (``collectors``) by a generic name; return names and notes."""
    if len(collectors) != len(names):
        raise DataError(f"{path}: {len(collectors)} collector rows for {len(names)} facility rows")
    out, notes = [], []
    for name, kind, collector in zip(names, kinds, collectors, strict=True):
        generic = generic_name(name, collector, kind)
        out.append(name if generic is None else generic)
        notes.append("" if generic is None else PERSONAL_NAME_NOTE)
    replaced = sum(bool(n) for n in notes)
    if replaced:
        log.info("%s: %d facility name(s) held their collector's name and were replaced", path.name, replaced)
    return pd.Series(out, index=names.index, dtype=object), np.array(notes, dtype=object)


def generic_name(name: str, collector: object, kind: str) -> str | None:
    """Return the generic name replacing ``name`` when it contains the person's name ``collector``, else None.

    Names are compared word by word after ``normalize_name``. A collector value of
    fewer than two words, or starting with a facility word ("Lycée …": a facility
    typed in the collector field), is not taken as a person's name. The generic
    name is the rest of ``name`` when only facility words remain
    (« Cabinet médical "Awa camara" » → « Cabinet médical »), else the kind's label.

    >>> generic_name('Cabinet médical"Awa camara"', "Awa camara", "clinic")
    'Cabinet médical'
    >>> generic_name("Clinique Awa Camara Diallo", "awa CAMARA", "clinic")
    'Clinique / cabinet médical'
    >>> generic_name("Lycée Tieba Traoré", "Lycée Tieba Traoré", "college") is None
    True
    """
    person = normalize_name(collector if isinstance(collector, str) else "").split()
    if len(person) < 2 or person[0] in GENERIC_NAME_WORDS:
        return None
    words = re.findall(r"[^\W_]+", name or "")
    folded = [normalize_name(w) for w in words]
    for start in range(len(folded) - len(person) + 1):
        if folded[start : start + len(person)] == person:
            rest = [w for i, w in enumerate(words) if not start <= i < start + len(person)]
            if rest and all(normalize_name(w) in GENERIC_NAME_WORDS for w in rest):
                text = " ".join(rest)
                return text[:1].upper() + text[1:]
            return KINDS[kind].label_fr
    return None


def _clean_series(values: pd.Series) -> pd.Series:
    return values.map(cache(clean_text)).astype(object)  # few distinct answers: each cleaned once


def _clean_names(values: pd.Series, vocabulary: Mapping[str, str]) -> tuple[pd.Series, pd.Series]:
    """Return cleaned names and their notes (remark dropped, letters restored or not)."""
    split = values.map(split_remarks)
    cleaned = split.map(lambda pair: clean_text(pair[0]))
    repaired = cleaned.map(lambda text: repair_lost_letters(text, vocabulary))
    notes = _join_notes(
        [
            np.where(split.map(lambda pair: pair[1]), "a collector's remark after the name was dropped", ""),
            _repair_notes(cleaned, repaired, "name"),
        ]
    )
    return repaired.astype(object), notes


def _clean_quartiers(values: pd.Series, vocabulary: Mapping[str, str]) -> tuple[pd.Series, pd.Series]:
    cleaned = _clean_series(values)
    repaired = cleaned.map(lambda text: repair_lost_letters(text, vocabulary))
    return repaired.astype(object), pd.Series(_repair_notes(cleaned, repaired, "quartier"), index=values.index)


def _repair_notes(before: pd.Series, after: pd.Series, what: str) -> np.ndarray:
    lost = before.str.contains(LOST, regex=False)
    left = after.str.contains(LOST, regex=False)
    return np.select(
        [lost & ~left, left],
        [
            f"{what}: accented letters lost in the source were restored",
            f"{what}: accented letters lost in the source (shown as U+FFFD) could not be restored",
        ],
        "",
    )


def _kinds(
    answers: pd.Series, names: pd.Series, layer: SurveyLayer, path: Path, refs: pd.Series
) -> tuple[pd.Series, np.ndarray]:
    """Map the kind answers through the registry; infer missing ones from the name."""
    answers = answers.map(cache(clean_text))
    unknown = (answers != "") & ~answers.isin(list(layer.kinds))
    if unknown.any():
        raise DataError(
            f"{path}: rows {refs[unknown].tolist()}: unknown facility type(s) {sorted(set(answers[unknown]))}; "
            f"allowed: {', '.join(layer.kinds)}"
        )
    kind = answers.map(layer.kinds)
    missing = answers == ""
    kind[missing] = names[missing].map(lambda name: kind_from_name(name, layer))
    note = np.where(missing, "kind inferred from the name (type missing in the survey)", "")
    return kind.astype(object), note


def kind_from_name(name: str, layer: SurveyLayer) -> str:
    """Return the kind a facility name suggests, by the layer's name rules, else its default kind."""
    folded = normalize_name(name)
    for pattern, kind in layer.kinds_from_name:
        if re.search(pattern, folded):
            return kind
    return layer.default_kind


def _operator_types(answers: pd.Series, path: Path, refs: pd.Series) -> pd.Series:
    folded = answers.map(normalize_name)
    unknown = (folded != "") & ~folded.isin(list(OPERATOR_TYPES))
    if unknown.any():
        raise DataError(
            f"{path}: rows {refs[unknown].tolist()}: unknown operator type(s) {sorted(set(answers[unknown]))}; "
            f"allowed: {', '.join(OPERATOR_TYPES)}"
        )
    return folded.map(lambda value: OPERATOR_TYPES.get(value, "")).astype(object)


def _opening_hours(raw: pd.DataFrame, path: Path) -> pd.Series:
    """Return the multiple-choice hours as "; "-joined choices, "Other" replaced by the specified text."""
    if "opening_hours" not in raw.columns:
        return pd.Series("", index=raw.index, dtype=object)
    clean = cache(clean_text)  # a few dozen distinct answers over thousands of rows
    choices = raw["opening_hours"].map(clean)
    other = raw["opening_hours_other"].map(clean) if "opening_hours_other" in raw.columns else choices.map(lambda _: "")
    leftover = choices.map(cache(lambda text: _OPENING_CHOICE.sub("", text).strip()))
    if (leftover != "").any():
        raise DataError(f"{path}: unknown opening-hours choice(s) {sorted(set(leftover[leftover != '']))}")

    @cache
    def combine(text: str, specified: str) -> str:
        picked = dict.fromkeys(_OPENING_CHOICE.findall(text))
        return "; ".join((specified or "other") if choice == "Other" else choice for choice in picked)

    return pd.Series([combine(t, s) for t, s in zip(choices, other, strict=True)], index=raw.index, dtype=object)


def _counts(values: pd.Series, kinds: pd.Series, column: str) -> tuple[pd.Series, np.ndarray]:
    """Return a count column as nullable integers and its notes (discarded or implausible values)."""
    numbers = pd.to_numeric(values, errors="coerce").astype(float)
    hard = HARD_MAX[column]
    bad = (numbers < 0) | (numbers > hard)
    limits = kinds.map(lambda kind: PLAUSIBLE_MAX_BY_KIND.get((column, kind), PLAUSIBLE_MAX[column])).astype(float)
    odd = ~bad & (numbers > limits)
    notes = np.select(
        [bad, odd],
        [
            np.full(len(numbers), f"{column}: value discarded (not a count between 0 and {hard})"),
            [  # worded only where it is used
                f"{column}: {v:.0f} kept but implausible (above {lim:.0f})" if flag else ""
                for v, lim, flag in zip(numbers, limits, odd, strict=True)
            ],
        ],
        "",
    )
    kept = numbers.mask(bad).round()
    return pd.array(kept.to_numpy(), dtype="Int64"), notes


def _join_notes(parts: Iterable[Iterable[str]]) -> pd.Series:
    """Join per-row note fragments with "; ", skipping empty ones."""
    columns = [list(part) for part in parts]
    if not columns or not columns[0]:
        return pd.Series(dtype=object)
    return pd.Series(["; ".join(filter(None, row)) for row in zip(*columns, strict=True)], dtype=object)
