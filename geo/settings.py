"""Settings of the atlas, declared once as (name, default, help).

Values are resolved as: declared default → ``BAMAKO_ATLAS_<NAME>`` environment
variable → explicit overrides passed by the caller (tests, the web app config).
README.md documents every setting; a test fails when one is undocumented.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import platformdirs

from geo.errors import InvalidParameter

ENV_PREFIX = "BAMAKO_ATLAS_"


@dataclass(frozen=True)
class Setting:
    """One declared setting."""

    name: str
    default: Any
    help: str
    type: type = str


SETTINGS: tuple[Setting, ...] = (
    Setting("HOME", None, "Folder of the atlas store (default: the per-user data directory)."),
    Setting("MIRROR", None, "Local folder laid out like the upstream repository, read before downloading."),
    Setting("CACHE", None, "Download cache folder (default: the per-user cache directory)."),
    Setting(
        "SECRET_KEY",
        None,
        "Key signing the web sessions (default: generated once into <home>/secret_key, readable by its owner only).",
    ),
    Setting("POP_YEAR", 2022, "Reference year of the population estimates.", int),
    Setting("POP_TOTAL", 4227569, "District population for POP_YEAR (RGPH 2022: 4 227 569).", int),
    Setting("POP_METHOD", "", "Quartier population method (empty: the best-scoring one)."),
    Setting("COVERAGE_CELL_M", 100.0, "Cell side (metres, EPSG:32629) of the coverage population grid.", float),
    Setting(
        "COVERAGE_WALK_SPEED_KMH",
        4.0,
        "Walking speed (km/h) turning distances into walking times (Knoblauch et al. 1996: 3.5–4.5 km/h).",
        float,
    ),
    Setting(
        "COVERAGE_DETOUR",
        1.3,
        "Walked route / straight line (circuity; urban networks 1.2–1.4, Newell 1980, O'Sullivan & Morrall 1996).",
        float,
    ),
    Setting(
        "COVERAGE_THRESHOLDS_M",
        "cscom=1000,2000,5000;claec=1000,2000;sports=1000,2000",
        "Default coverage kinds and distance thresholds (metres), kind=m,m;… (5 km: Mali health-map indicator).",
    ),
    Setting(
        "COVERAGE_NORMS_PER_10K",
        "cscom=1",
        "Planning norms in facilities per 10 000 inhabitants, kind=value;… (illustrative default).",
    ),
    Setting(
        "MAX_PLANNER_ROWS",
        60000,
        "Most active planner-created facilities (editor and imports); more are refused (too_many_planner_rows).",
        int,
    ),
)
_BY_NAME = {s.name: s for s in SETTINGS}


def get(name: str, overrides: dict[str, Any] | None = None) -> Any:
    """Return the value of setting ``name`` (without prefix), resolved as documented above."""
    setting = _BY_NAME[name]
    if overrides and name in overrides and overrides[name] is not None:
        return overrides[name]
    raw = os.environ.get(ENV_PREFIX + name)
    if raw is None or raw == "":
        return setting.default
    try:
        return setting.type(raw)
    except ValueError:
        raise InvalidParameter(ENV_PREFIX + name, f"expected {setting.type.__name__}, got {raw!r}") from None


def declared_default(name: str) -> Any:
    """Return the declared default of setting ``name``, ignoring the environment."""
    return _BY_NAME[name].default


def home_dir(overrides: dict[str, Any] | None = None) -> Path:
    """Return the folder that holds the store (created if needed)."""
    path = Path(get("HOME", overrides) or platformdirs.user_data_dir("bamako-atlas"))
    path.mkdir(parents=True, exist_ok=True)
    return path


def cache_dir(overrides: dict[str, Any] | None = None) -> Path:
    """Return the download cache folder (created if needed)."""
    path = Path(get("CACHE", overrides) or platformdirs.user_cache_dir("bamako-atlas"))
    path.mkdir(parents=True, exist_ok=True)
    return path


def mirror_dir(overrides: dict[str, Any] | None = None) -> Path | None:
    """Return the mirror folder if one is set."""
    value = get("MIRROR", overrides)
    return Path(value) if value else None
