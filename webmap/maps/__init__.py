"""Map building blocks without Flask: symbols, palettes and basemaps (``styles``), folium maps (``builders``)."""
