"""Analysis: population estimates, map indicators per unit, coverage (grid, distances, scenarios, the coverage service)."""
