"""normalize_name folds each short text once per process; long texts are folded but not kept."""

from __future__ import annotations

from geo import text
from geo.text import clear_name_cache, normalize_name


def test_short_texts_are_kept_long_ones_are_not():
    clear_name_cache()
    long = "Écôle " * 60  # 360 characters, above the cached length
    assert normalize_name("  Faladjè ") == normalize_name("  Faladjè ") == "faladje"
    assert normalize_name(long) == " ".join(["ecole"] * 60)
    info = text._fold_cached.cache_info()
    assert (info.hits, info.misses, info.currsize) == (1, 1, 1)
    clear_name_cache()
    assert text._fold_cached.cache_info().currsize == 0


def test_missing_values_fold_to_empty_without_the_cache():
    clear_name_cache()
    assert normalize_name(None) == normalize_name(float("nan")) == ""
    assert text._fold_cached.cache_info().misses == 0
