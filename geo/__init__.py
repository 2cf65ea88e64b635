"""Bamako Atlas library: sources, store, joins, population, quality and coverage.

Pure Python and geopandas: no Flask, no folium. The web layer (``webmap``)
imports this package's public API, never the reverse.
"""

__version__ = "0.1.0"
