"""Settings of the atlas, declared once as (name, default, help) and resolved once into a ``Settings`` object.

``Settings.resolve(overrides)`` reads each value as: declared default →
``BAMAKO_ATLAS_<NAME>`` environment variable → explicit ``overrides`` (tests,
the web app's ``ATLAS_SETTINGS``). The web app and the command line resolve it
once at start and pass it to every library call that depends on a setting;
library functions called without one resolve defaults and environment then.
README.md documents every setting; a test fails when one is undocumented or
has no test showing its effect.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
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
    Setting(
        "DATABASE",
        "",
        "PostgreSQL/PostGIS database of the atlas layers, postgresql://user@host/db (empty: the GeoPackage under HOME).",
    ),
    Setting("MIRROR", None, "Local folder laid out like the upstream repository, read before downloading."),
    Setting("CACHE", None, "Download cache folder (default: the per-user cache directory)."),
    Setting(
        "SECRET_KEY",
        None,
        "Key signing the web sessions (default: generated once into <home>/secret_key, readable by its owner only).",
    ),
    Setting(
        "TRUSTED_PROXIES",
        0,
        "Reverse proxies in front of the server whose X-Forwarded-For/-Proto/-Host/-Prefix headers are trusted "
        "(0: none).",
        int,
    ),
    Setting(
        "BASE_URL",
        "",
        "Public address of the atlas (e.g. https://sig.example.org/bamako) that starts every link it emits "
        "(empty: the address of each request).",
    ),
    Setting("POP_YEAR", 2022, "Reference year of the population estimates.", int),
    Setting("POP_TOTAL", 4227569, "District population for POP_YEAR (RGPH 2022: 4 227 569).", int),
    Setting("POP_METHOD", "", "Quartier population method (empty: the best leave-one-out score)."),
    Setting(
        "POP_COMMUNE_METHOD", "growth", "Commune projection: growth (own 1998–2009 growth) or uniform (2009 share)."
    ),
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
        "TRAVEL_SEASON",
        "wet",
        "Season of the travel-time network: wet (bridges only) or dry (the Sotuba causeway open too).",
    ),
    Setting(
        "TRAVEL_THRESHOLDS_MIN",
        "10,15,30,60",
        "Travel-time thresholds (minutes) of the travel-time coverage indicators, comma-separated.",
    ),
    Setting(
        "MAX_PLANNER_ROWS",
        60000,
        "Most active planner-created facilities (editor and imports); more are refused (too_many_planner_rows).",
        int,
    ),
    Setting(
        "IMPORT_SECONDS",
        60.0,
        "Wall-clock seconds an import's read and preview may take; the reader is then stopped (import_too_slow).",
        float,
    ),
    Setting(
        "IMPORT_MEMORY_MB",
        1536,
        "Memory (MB of address space) the process reading an import may take above its libraries "
        "(import_too_large_in_memory).",
        int,
    ),
)
_BY_NAME = {s.name: s for s in SETTINGS}


def _parse(setting: Setting, value: Any, source: str) -> Any:
    """Return ``value`` as the setting's type or raise InvalidParameter naming ``source``."""
    if value is None or isinstance(value, setting.type) and not isinstance(value, bool):
        return value
    try:
        return setting.type(value.strip() if isinstance(value, str) else value)
    except (TypeError, ValueError):
        raise InvalidParameter(source, f"expected {setting.type.__name__}, got {value!r}") from None


@dataclass(frozen=True)
class Settings:
    """The value of every declared setting, resolved once; read one with ``settings["NAME"]``."""

    values: Mapping[str, Any]

    @classmethod
    def resolve(
        cls, overrides: Mapping[str, Any] | None = None, *, environ: Mapping[str, str] | None = None
    ) -> Settings:
        """Return the settings: declared default → ``BAMAKO_ATLAS_<NAME>`` → ``overrides`` (None ignored).

        Raises InvalidParameter naming the environment variable (or the override)
        for a value of the wrong type, and for an override that is not a setting.
        """
        environ = os.environ if environ is None else environ
        unknown = sorted(set(overrides or {}) - set(_BY_NAME))
        if unknown:
            allowed = ", ".join(_BY_NAME)
            raise InvalidParameter("ATLAS_SETTINGS", f"unknown setting {unknown[0]!r}; allowed: {allowed}")
        values = {}
        for setting in SETTINGS:
            value = setting.default
            raw = environ.get(ENV_PREFIX + setting.name)
            if raw:
                value = _parse(setting, raw, ENV_PREFIX + setting.name)
            if overrides and overrides.get(setting.name) is not None:
                value = _parse(setting, overrides[setting.name], setting.name)
            values[setting.name] = value
        return cls(MappingProxyType(values))

    def __getitem__(self, name: str) -> Any:
        """Return the value of setting ``name`` (without prefix)."""
        return self.values[_BY_NAME[name].name]

    def home_dir(self) -> Path:
        """Return the folder that holds the store (created if needed)."""
        path = Path(self["HOME"] or platformdirs.user_data_dir("bamako-atlas"))
        path.mkdir(parents=True, exist_ok=True)
        return path

    def cache_dir(self) -> Path:
        """Return the download cache folder (created if needed)."""
        path = Path(self["CACHE"] or platformdirs.user_cache_dir("bamako-atlas"))
        path.mkdir(parents=True, exist_ok=True)
        return path

    def mirror_dir(self) -> Path | None:
        """Return the mirror folder if one is set."""
        return Path(self["MIRROR"]) if self["MIRROR"] else None


def resolve(settings: Settings | Mapping[str, Any] | None = None) -> Settings:
    """Return ``settings`` when resolved already, else ``Settings.resolve`` of it (overrides by name, or none)."""
    return settings if isinstance(settings, Settings) else Settings.resolve(settings)


def data_dir() -> Path:
    """Return the folder of the project's own small tables (``data/``).

    In a wheel it is packaged as ``geo/_data``; in a source checkout it is the
    repository's ``data/`` folder.
    """
    geo_dir = Path(__file__).resolve().parent
    packaged = geo_dir / "_data"
    return packaged if packaged.is_dir() else geo_dir.parent / "data"
