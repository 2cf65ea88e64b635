"""Spatial helpers: joins of points to units, layer selection by unit and box, the District outline."""
