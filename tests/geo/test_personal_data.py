"""Personal data of the KoBo surveys never leaves the readers.

The survey layers carry fields about the collectors (device and SIM ids,
names, submission times…) and, per facility, operator names (often a doctor's
own name) and phone numbers. The readers import through an allow-list; these
tests prove that neither those columns nor any of their values come out.

``collector_values`` and ``find_leaks`` are meant for reuse on the built store.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pytest
from shapely.geometry import Point

from geo.pipeline.ingest import surveys
from geo.vocabulary import STORE_CRS

#: Columns about the people who collected the surveys (KoBo metadata); any that a layer has.
COLLECTOR_COLUMNS = (
    "start",
    "end",
    "today",
    "deviceid",
    "simserial",
    "subscriberid",
    "phonenumber",
    "username",
    "Name of data collector",
    "_id",
    "_uuid",
    "_submission_time",
    "_submitted_by",
    "_validation_status",
    "_index",
    "_notes",
    "_tags",
    "_status",
    "__version__",
    "meta/instanceID",
)
#: Facility columns that hold personal names or phone numbers; never imported either.
PERSONAL_FACILITY_COLUMNS = (
    "What is the name of the operator?",
    "Phone number of health facility",
    "Name of the organization/institution that runs the facility",
    "What is the primary phone contact for the facility?",
    "Phone number for the school if available",
    "Name of operator",
)
#: Survey source keys (data/sources.toml) → (reader, allow-list).
SURVEYS = {
    "survey_health": (surveys.read_health, surveys.HEALTH_COLUMNS),
    "survey_education": (surveys.read_education, surveys.EDUCATION_COLUMNS),
    "survey_waste": (surveys.read_waste, surveys.WASTE_COLUMNS),
}
#: Values shorter than this, or purely numeric ones shorter than MIN_NUMBER_DIGITS, are not
#: specific enough to find by containment (a "_index" of 1000 is also a row number "1000").
MIN_TEXT_LENGTH = 4
MIN_NUMBER_DIGITS = 7


def _survey_paths(mirror_dir: Path) -> dict[str, Path]:
    from geo.pipeline.sources import registry

    return {key: Path(mirror_dir) / registry()[key].path for key in SURVEYS}


def _as_texts(values: Iterable[object]) -> set[str]:
    """Return the distinct non-empty values as text; datetimes in both str and ISO forms, integral floats as ints."""
    out: set[str] = set()
    for value in values:
        if value is None or (isinstance(value, float) and np.isnan(value)) or value is pd.NaT:
            continue
        if isinstance(value, pd.Timestamp):
            out.update({str(value), value.isoformat(), value.strftime("%Y-%m-%d")})
            continue
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        text = " ".join(str(value).split())
        if text:
            out.add(text)
    return out


def collector_values(mirror_dir: Path, *, columns: Iterable[str] = COLLECTOR_COLUMNS) -> set[str]:
    """Return every distinct non-empty value of ``columns`` in the three survey layers of the mirror."""
    values: set[str] = set()
    for path in _survey_paths(mirror_dir).values():
        present = [c for c in columns if c in pyogrio.read_info(path)["fields"]]
        if present:
            raw = pyogrio.read_dataframe(path, columns=present, read_geometry=False)
            for column in present:
                values |= _as_texts(raw[column].tolist())
    return values


def allowed_source_text(mirror_dir: Path) -> str:
    """Return the lower-cased text of the allow-listed columns of the three layers, one value a line."""
    texts: set[str] = set()
    for key, path in _survey_paths(mirror_dir).items():
        allow = list(SURVEYS[key][1])
        raw = pyogrio.read_dataframe(path, columns=allow, read_geometry=False)
        for column in allow:
            texts |= _as_texts(raw[column].tolist())
    return "\n".join(sorted(texts)).lower()


def specific_values(values: set[str], *, allowed_text: str = "") -> set[str]:
    """Keep the values specific enough to detect: long enough, and not found in the allow-listed data itself.

    A collector who typed a first name ("Amadou") or a quartier ("Niarela") shares it with
    facility names and quartiers that are rightly imported; such values cannot be told apart.
    """
    keep = set()
    for value in values:
        digits = value.replace(".", "").replace("-", "").replace("+", "")
        if digits.isdigit():
            if len(digits) >= MIN_NUMBER_DIGITS:
                keep.add(value)
        elif len(value) >= MIN_TEXT_LENGTH and value.lower() not in allowed_text:
            keep.add(value)
    return keep


def _cell_text(frames: Iterable[pd.DataFrame]) -> str:
    cells: list[str] = []
    for frame in frames:
        cells.extend(frame.columns.astype(str))
        for column in frame.columns:
            if isinstance(frame[column].dtype, gpd.array.GeometryDtype):
                continue
            cells.extend(_as_texts(frame[column].tolist()))
    return "\n".join(cells).lower()


def find_leaks(frames: Iterable[pd.DataFrame], values: set[str]) -> set[str]:
    """Return the values found (case-insensitive containment) in any column name or cell of ``frames``."""
    text = _cell_text(frames)
    return {value for value in values if value.lower() in text}


# ---------------------------------------------------------------- tiny fake survey

SENTINELS = {
    "start": "2021-02-08T10:11:12",
    "end": "2021-02-08T10:22:33",
    "today": "2021-02-08",
    "deviceid": "collect:SentinelDevice42",
    "simserial": "8922301234567890123",
    "subscriberid": "610029876543210",
    "phonenumber": "22376543210",
    "Name of data collector": "Sentinelle Collecteur",
    "_id": "98765432",
    "_uuid": "0f0f0f0f-1111-2222-3333-444455556666",
    "_submission_time": "2021-02-09T08:07:06",
    "_validation_status": "validation_status_sentinel",
    "_index": "7777777",
    "What is the name of the operator?": "Docteur Sentinelle Privé",
    "Phone number of health facility": "66554433",
    "Name of the organization/institution that runs the facility": "Promoteur Sentinelle",
    "What is the primary phone contact for the facility?": "77665544",
    "Phone number for the school if available": "+223 70 11 22 33",
    "Name of operator": "Opérateur Sentinelle",
}
FAKE_ALLOWED = {
    "Commune": "Commune I",
    "Name of quartier": "Sotuba",
    "Nature of the facility": "Clinique A",
    "Type of the facility": "Clinic",
    "What type of operator is this?": "Private",
    "Number of beds in the health facility": 3.0,
    "What is the number of doctors?": 1.0,
    "What is the number of nurses?": 2.0,
    "Opening days and times": "24/7",
    "Name of Facility": "École B",
    "Amenity": "School",
    "Type of the organization/institution that runs the facility": "Private",
    "Number of Students": 200.0,
    "Opening Hours": "Mo-Fri 08:00-17:00",
    "You said other, please specify": "",
    "Name of facility": "Dépôt C",
    "Type of operator": "Community",
}


def write_fake_survey(path: Path, allow: dict[str, str], *, waste: bool = False) -> Path:
    """Write a two-row survey layer with the allow-listed columns and every sentinel column."""
    columns = {c: [FAKE_ALLOWED[c]] * 2 for c in allow}
    if waste:
        columns["Amenity"] = ["Waste transfer station"] * 2
    columns.update({c: [v] * 2 for c, v in SENTINELS.items()})
    frame = gpd.GeoDataFrame(columns, geometry=[Point(-8.0, 12.6), Point(-7.99, 12.61)], crs=STORE_CRS)
    pyogrio.write_dataframe(frame, path, driver="GPKG")
    return path


@pytest.mark.parametrize("key", list(SURVEYS))
def test_readers_drop_collector_and_personal_columns(tmp_path, key):
    reader, allow = SURVEYS[key]
    path = write_fake_survey(tmp_path / f"{key}.gpkg", allow, waste=key == "survey_waste")
    out = reader(path)
    assert len(out) == 2
    assert not set(out.columns) & (set(COLLECTOR_COLUMNS) | set(PERSONAL_FACILITY_COLUMNS))
    sentinels = specific_values(set(SENTINELS.values()))
    assert len(sentinels) == len(SENTINELS)  # every sentinel is specific enough to be found
    assert find_leaks([out], sentinels) == set()
    # The check itself works: a frame holding a sentinel is caught.
    assert find_leaks([out.assign(note=SENTINELS["deviceid"])], sentinels) == {SENTINELS["deviceid"]}


def test_allow_lists_hold_no_collector_or_personal_column():
    for _, allow in SURVEYS.values():
        assert not set(allow) & (set(COLLECTOR_COLUMNS) | set(PERSONAL_FACILITY_COLUMNS))


# ---------------------------------------------------------------- real mirror


@pytest.mark.integration
def test_real_surveys_leak_no_personal_value(mirror_dir):
    from geo.pipeline.ingest.admin import read_quartiers
    from geo.pipeline.sources import registry

    quartiers = read_quartiers(Path(mirror_dir) / registry()["quartiers"].path)
    frames = [
        reader(path, quartiers=quartiers)
        for (reader, _), path in zip(SURVEYS.values(), _survey_paths(mirror_dir).values(), strict=True)
    ]
    allowed_text = allowed_source_text(mirror_dir)
    collectors = collector_values(mirror_dir)
    personal = collector_values(mirror_dir, columns=PERSONAL_FACILITY_COLUMNS)
    checked = specific_values(collectors | personal, allowed_text=allowed_text)
    # Measured on the pinned files: thousands of ids, times and names are checked.
    assert len(checked) > 3000
    assert find_leaks(frames, checked) == set()
    for frame in frames:
        assert not set(frame.columns) & (set(COLLECTOR_COLUMNS) | set(PERSONAL_FACILITY_COLUMNS))
