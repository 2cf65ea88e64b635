"""French and English headings of the coverage tables' columns (the French-Excel CSV, ``coverage.fr.csv``).

A column without a heading here keeps its name.
"""

from __future__ import annotations

from geo.vocabulary import Text

#: Column → heading, for the coverage indicators (``CoverageState.table``) and the suggested sites.
HEADINGS: dict[str, Text] = {
    "rank": Text("Rang", "Rank"),
    "unit": Text("Niveau", "Level"),
    "pcode": Text("Code P", "P-code"),
    "name": Text("Nom", "Name"),
    "commune_pcode": Text("Code P commune", "Commune P-code"),
    "commune_name": Text("Commune", "Commune"),
    "quartier_pcode": Text("Code P quartier", "Quartier P-code"),
    "quartier_name": Text("Quartier", "Quartier"),
    "kind": Text("Équipement", "Facility"),
    "threshold_m": Text("Distance (m)", "Distance (m)"),
    "pop": Text("Population", "Population"),
    "pop_covered": Text("Habitants couverts", "People covered"),
    "share_covered": Text("Part couverte", "Share covered"),
    "pop_uncovered": Text("Habitants non couverts", "People not covered"),
    "mean_distance_m": Text("Distance moyenne (m)", "Mean distance (m)"),
    "median_distance_m": Text("Distance médiane (m)", "Median distance (m)"),
    "median_walk_min": Text("Marche médiane (min)", "Median walk (min)"),
    "facilities": Text("Équipements", "Facilities"),
    "per_10k": Text("Pour 10 000 hab.", "Per 10,000 people"),
    "pop_depending_on_approximate": Text("Habitants couverts par des positions approximatives",
                                         "People covered by approximate positions"),
    "share_depending_on_approximate": Text("Part couverte par des positions approximatives",
                                           "Share covered by approximate positions"),
    "has_facility_data": Text("Données d'équipements", "Facility data"),
    "norm_per_10k": Text("Norme pour 10 000 hab.", "Norm per 10,000 people"),
    "below_norm": Text("Sous la norme", "Below the norm"),
    "facilities_missing": Text("Équipements manquants", "Facilities missing"),
    "lon": Text("Longitude", "Longitude"),
    "lat": Text("Latitude", "Latitude"),
    "gain": Text("Habitants gagnés", "People gained"),
    "cumulative_gain": Text("Gain cumulé", "Cumulative gain"),
}  # fmt: skip


def heading(column: str, lang: str = "fr") -> str:
    """Return the heading of a coverage column in ``lang`` (its name when it has none)."""
    text = (
        HEADINGS.get(column)
        or HEADINGS.get(column.removesuffix("_before"))
        or HEADINGS.get(column.removesuffix("_change"))
    )
    if text is None:
        return column
    suffix = {"_before": Text(" (avant)", " (before)"), "_change": Text(" (écart)", " (change)")}
    for end, extra in suffix.items():
        if column.endswith(end) and column not in HEADINGS:
            return text(lang) + extra(lang)
    return text(lang)
