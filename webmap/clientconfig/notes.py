"""The short caveats the pages show next to the figures (« À savoir »), in the request's language."""

from __future__ import annotations

from flask_babel import format_decimal, get_locale
from flask_babel import gettext as _

from webmap.snapshot import snapshot

#: Date of the OCHA COD-AB boundaries (their ``date`` field; the dataset is ``validOn`` 2015-04-08).
BOUNDARIES_DATE = "2013"


def commune_projection(commune_method: object) -> str:
    """Return how the 2022 commune figures were projected (``commune_method`` as in the store's meta)."""
    if commune_method == "growth":
        return _("projection selon la croissance 1998–2009 de chaque commune")
    return _("projection par part uniforme du total 2009")


def atlas_notes() -> dict[str, str]:
    """Return the caveats on population, positions, distances and boundaries for the request's atlas.

    Made once per store version and language: every page shows them.
    """
    return dict(snapshot().memo(f"notes:{get_locale() or 'fr'}", _notes))


def _notes() -> dict[str, str]:
    atlas = snapshot().atlas
    population = atlas.meta.get("population", {})
    area_km2 = float(atlas.layers["communes"]["area_km2"].sum())
    years = atlas.layers["quartiers"]["pop_year"].dropna()
    year = population.get("year") or (int(years.iloc[0]) if len(years) else "")
    return {
        "population": _(
            "Population des quartiers : estimation d'un modèle, avec sa fourchette (ex. « ~6 000 hab. (3 500–9 900) »). "
            "Communes %(year)s : %(method)s, recalée sur le total du District. "
            "Les parts couvertes en héritent : chacune est donnée avec sa fourchette selon la méthode.",
            year=year,
            method=commune_projection(population.get("commune_method")),
        ),
        "positions": _(
            "Positions des CSCOM de précision inégale : point GPS de l'enquête 2021, coordonnées saisies "
            "dans la fiche DNACPN (non vérifiées), ou centre du quartier ou de la commune. "
            "Des centres peuvent manquer."
        ),
        "distances": _(
            "Distances à vol d'oiseau, pas des temps de trajet : elles traversent le Niger n'importe où, "
            "alors qu'on ne le franchit qu'aux ponts ; d'une rive à l'autre, le trajet réel est plus long."
        ),
        "boundaries": _(
            "Limites OCHA COD-AB (%(date)s) : une réforme administrative ultérieure n'y figure pas ; "
            "leurs superficies (%(area)s km² pour le District) diffèrent des chiffres officiels.",
            date=BOUNDARIES_DATE,
            area=format_decimal(round(area_km2, 1), format="#,##0.0"),
        ),
    }
