"""The registry of checks and the context they share: inputs and the derived columns several checks use."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cache, cached_property

import geopandas as gpd
import numpy as np
import pandas as pd

from geo.text import commune_pcode_from_text, normalize_name
from geo.vocabulary import METRIC_CRS, Text


@dataclass(frozen=True)
class Check:
    """One registered check: its key, its label (FR/EN) and the function that finds the rows."""

    key: str
    label: Text
    find: Callable[[Context], pd.DataFrame]


#: Registry of checks, in report order.
CHECKS: dict[str, Check] = {}


def register(key: str, label: Text) -> Callable:
    """Return a decorator adding the check function it decorates to ``CHECKS`` under ``key``."""

    def decorate(fn: Callable[[Context], pd.DataFrame]) -> Callable[[Context], pd.DataFrame]:
        CHECKS[key] = Check(key, label, fn)
        return fn

    return decorate


@dataclass
class Context:
    """Inputs of the checks and the derived columns several of them share."""

    facilities: gpd.GeoDataFrame  # positional index, EPSG:4326
    quartiers: gpd.GeoDataFrame
    communes: gpd.GeoDataFrame
    cscom_report: pd.DataFrame | None

    @cached_property
    def metric(self) -> gpd.GeoSeries:
        """Return the facility points in EPSG:32629 (metres)."""
        return self.facilities.geometry.to_crs(METRIC_CRS)

    @cached_property
    def metric_quartiers(self) -> gpd.GeoDataFrame:
        """Return the quartiers' ``pcode``, ``commune_pcode`` and polygons in EPSG:32629 (metres)."""
        return self.quartiers[["pcode", "commune_pcode", "geometry"]].to_crs(METRIC_CRS)

    @cached_property
    def located(self) -> np.ndarray:
        """Return per facility whether it has a point."""
        return (~(self.metric.isna() | self.metric.is_empty)).to_numpy()

    @cached_property
    def names(self) -> pd.Series:
        """Return the normalised facility names."""
        return self.facilities["name"].map(normalize_name)

    @cached_property
    def declared_commune(self) -> pd.Series:
        """Return the P-code of each facility's declared commune (null when it names no District commune)."""
        return self.facilities["commune_declared"].map(cache(commune_pcode_from_text))

    @cached_property
    def commune_name(self) -> dict[str, str]:
        """Return commune P-code → name."""
        return dict(zip(self.communes["pcode"], self.communes["name"], strict=True))

    @cached_property
    def quartier_name(self) -> dict[str, str]:
        """Return quartier P-code → name."""
        return dict(zip(self.quartiers["pcode"], self.quartiers["name"], strict=True))
