"""The vocabulary owns each fact once: kinds, their sector, map layer and completeness, groups, titles."""

from __future__ import annotations

from geo.analysis.population import QUARTIER_METHODS
from geo.publication.symbols import SYMBOLS
from geo.vocabulary import (
    ATTRIBUTION,
    COMPATIBLE_KINDS,
    DATA_LEVELS,
    FACILITY_LAYERS,
    GROUP_LABELS,
    KIND_GROUPS,
    KINDS,
    LAYERS,
    MAP_LAYERS,
    POP_METHODS,
    STORE_LAYERS,
    Text,
    data_level,
)


def test_text_pairs_answer_in_the_asked_language_french_by_default():
    pair = Text("Santé", "Health")
    assert (pair("fr"), pair("en"), pair("de")) == ("Santé", "Health", "Santé")
    assert ATTRIBUTION("fr").startswith("Limites : OCHA COD-AB") and ATTRIBUTION("en").startswith("Boundaries:")


def test_every_kind_names_a_known_sector_layer_and_completeness():
    for kind in KINDS.values():
        assert kind.group in GROUP_LABELS and kind.layer in MAP_LAYERS and kind.data in DATA_LEVELS
        assert kind.label_fr == kind.label("fr") and kind.label_en == kind.label("en")


def test_map_layers_list_their_kinds_from_the_kinds_themselves():
    assert FACILITY_LAYERS["hospitals"] == ("csref", "hospital")
    assert FACILITY_LAYERS["sports"] == ("plateau_sportif", "stadium", "sports_ground")
    assert FACILITY_LAYERS["qa"] == ()
    assert sorted(k for kinds in FACILITY_LAYERS.values() for k in kinds) == sorted(KINDS)
    assert set(SYMBOLS) == set(MAP_LAYERS)


def test_kind_groups_and_duplicate_sets_use_known_kinds():
    for group in KIND_GROUPS.values():
        assert set(group.kinds) <= set(KINDS) and group.layer in MAP_LAYERS
        assert "%(distance)s" in group.within.fr and "%(distance)s" in group.within.en
    assert all(kinds <= set(KINDS) for kinds in COMPATIBLE_KINDS)
    assert frozenset(KIND_GROUPS["sports"].kinds) in COMPATIBLE_KINDS


def test_data_level_is_the_weakest_of_the_kinds():
    assert data_level(["cscom", "csref"]) == "surveyed"
    assert data_level(["cscom", "claec"]) == "network"
    assert data_level(["claec", "stadium"]) == "partial"
    assert data_level(["no-such-kind"]) == "partial"


def test_store_layers_and_population_methods_have_both_languages():
    assert LAYERS == tuple(STORE_LAYERS) == ("communes", "quartiers", "facilities", "qa_findings")
    for layer in STORE_LAYERS.values():
        assert layer.title.fr and layer.title.en and layer.description.fr != layer.description.en
    # every method the population module can write has a label (it once was keyed "area", not "areal")
    assert set(QUARTIER_METHODS) | {"commune_share"} == set(POP_METHODS)


def test_every_editable_coded_value_has_a_label():
    from geo.planning.edits.validate import CHOICES
    from geo.vocabulary import CONFIDENCE_LABELS, OPERATOR_LABELS, PRECISION_LABELS

    assert set(CHOICES["operator_type"]) == set(OPERATOR_LABELS)
    assert set(CHOICES["confidence"]) == set(CONFIDENCE_LABELS)
    assert CHOICES["location_precision"] == tuple(PRECISION_LABELS)
    assert OPERATOR_LABELS["ngo"]("en") == "NGO" and CONFIDENCE_LABELS[""]("fr") == "Non renseignée"
