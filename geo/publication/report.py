"""Figures of the documentation rendered from the built store into marked Markdown blocks.

A block sits between ``<!-- report:NAME -->`` and ``<!-- /report:NAME -->`` in a document; its body is
replaced by ``BLOCKS[NAME]`` rendered from the store, so the committed text can be checked against a build.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from geo.analysis import population
from geo.errors import DataError
from geo.files import write_atomic
from geo.pipeline.quality.registry import CHECKS
from geo.store import Atlas
from geo.vocabulary import KINDS

#: Documents holding report blocks, relative to the project root.
DOCUMENTS: tuple[str, ...] = ("README.md", "data/README.md")

_BLOCK = re.compile(
    r"(?P<open><!-- report:(?P<name>[a-z0-9-]+) -->\n)(?P<body>.*?)(?P<close><!-- /report:(?P=name) -->)",
    re.DOTALL,
)
_ROMAN = re.compile(r"^Commune (?P<n>[IVX]+)$")


def _int(value: object) -> str:
    """Format a count with a space as thousands separator (« 1 810 366 »)."""
    return f"{int(value):,}".replace(",", " ")


def _short(name: str) -> str:
    """Return ``I`` for ``Commune I``; other names unchanged."""
    match = _ROMAN.match(name)
    return match["n"] if match else name


def _store_counts(atlas: Atlas) -> str:
    counts = atlas.meta["counts"]
    rows = ["| layer | rows |", "|---|---:|"]
    rows += [f"| `{name}` | {_int(n)} |" for name, n in counts.items()]
    return "\n".join(rows)


def _facility_counts(atlas: Atlas) -> str:
    fac = atlas["facilities"]
    status = fac["join_status"].value_counts()
    kinds = atlas.meta["facility_kinds"]
    listed = ", ".join(f"{_int(kinds[k])} `{k}`" for k in KINDS if kinds.get(k))
    return (
        f"`facilities` holds {_int(len(fac))} rows ({_int(status.get('inside', 0))} inside a quartier, "
        f"{_int(status.get('snapped', 0))} snapped from ≤ 250 m outside, {_int(status.get('outside', 0))} outside "
        f"and left out of analyses). Kinds (controlled vocabulary in `geo/vocabulary.py`): {listed}."
    )


def _cscom(atlas: Atlas) -> str:
    recon = atlas.meta["cscom_reconciliation"]
    fac = atlas["facilities"]
    names = dict(zip(atlas["communes"]["pcode"], atlas["communes"]["name"], strict=True))
    per_commune = fac[(fac["kind"] == "cscom") & fac["in_analysis"]].groupby("commune_pcode").size()
    rows = ["| reconciliation status | rows |", "|---|---:|"]
    rows += [f"| `{status}` | {_int(n)} |" for status, n in recon.items()]
    communes = " · ".join(f"{_short(names[p])} {_int(n)}" for p, n in per_commune.items())
    return "\n".join(rows) + f"\n\nCSCOMs in the analyses per commune: {communes} (total {_int(per_commune.sum())})."


def _snisi_comparison(atlas: Atlas) -> str:
    rows = atlas.meta.get("snisi_comparison") or []
    lines = [
        "| commune | SNISI health areas | atlas CSCOMs | matched to SNISI | CSCOMs not in SNISI | "
        "SNISI areas without a CSCOM |",
        "|---|---:|---:|---:|---:|---|",
    ]
    for r in rows:
        missing = f"{_int(r['snisi_without_atlas'])}" + (
            f" ({r['snisi_unmatched_names']})" if r["snisi_unmatched_names"] else ""
        )
        lines.append(
            f"| {r['commune_name']} | {_int(r['snisi_health_areas'])} | {_int(r['atlas_cscoms'])} | "
            f"{_int(r['matched_to_snisi'])} | {_int(r['atlas_not_in_snisi'])} | {missing} |"
        )
    return "\n".join(lines)


def _sheet_gps_distances(atlas: Atlas) -> str:
    gaps = np.array(atlas.meta.get("sheet_gps_distances_m") or [], dtype=float)
    if not len(gaps):
        return "No sheet point could be checked against a survey GPS point."
    q1, median, q3 = np.percentile(gaps, [25, 50, 75])
    return (
        f"Sheet point vs survey GPS point of the same centre, over the {len(gaps)} matched pairs with both: "
        f"median {median:.0f} m (quartiles {q1:.0f}–{q3:.0f} m), {int((gaps > 300).sum())} beyond 300 m "
        f"({int((gaps > 1000).sum())} beyond 1 km, the largest {_int(round(gaps.max()))} m)."
    )


def _commune_population(atlas: Atlas) -> str:
    pop = atlas.meta["population"]
    year, default = pop["year"], pop["commune_method"]
    other = [m for m in pop["commune_methods"] if m != default]
    head = ["commune", "2009"] + [f"`{default}` {year} (default)"] + [f"`{m}` {year}" for m in other] + ["range"]
    rows = ["| " + " | ".join(head) + " |", "|---|" + "---:|" * (len(head) - 1)]
    for _, c in atlas["communes"].sort_values("pcode").iterrows():
        cells = [_short(c["name"]), _int(c["pop_2009"]), _int(c[f"pop_{default}"])]
        cells += [_int(c[f"pop_{m}"]) for m in other] + [f"{_int(c['pop_low'])}–{_int(c['pop_high'])}"]
        rows.append("| " + " | ".join(cells) + " |")
    communes = atlas["communes"]
    total = ["**District**", _int(communes["pop_2009"].sum()), _int(communes[f"pop_{default}"].sum())]
    total += [_int(communes[f"pop_{m}"].sum()) for m in other] + [""]
    rows.append("| " + " | ".join(total) + " |")
    return "\n".join(rows)


def _population_scores(atlas: Atlas) -> str:
    pop = atlas.meta["population"]
    rows = [
        "| method | Commune V MAPE, in-sample | Commune V MAPE, leave-one-out | interval factors |",
        "|---|---:|---:|---|",
    ]
    for method, in_sample in pop["holdout_mape"].items():
        low, high = pop["interval_factors"][method]
        name = f"`{method}`" + (" (default)" if method == pop["method"] else "")
        rows.append(f"| {name} | {in_sample:.1f} % | {pop['loo_mape'][method]:.1f} % | ×{low:.2f}–×{high:.2f} |")
    return "\n".join(rows)


def _holdout_rows(atlas: Atlas) -> str:
    """Per-row hold-out table on Commune V 2009: every method in-sample, and leave-one-out where it differs."""
    table = population.read_commune5_table()
    quartiers, facilities = atlas["quartiers"], atlas["facilities"]
    columns: list[tuple[str, pd.DataFrame]] = []
    for method in population.QUARTIER_METHODS:
        fitted = population.holdout_table(quartiers, facilities, table, method=method)
        loo = population.loo_table(quartiers, facilities, table, method=method)
        if np.allclose(fitted["estimated"], loo["estimated"]):
            columns.append((f"{method} (in-sample = leave-one-out)", fitted))
        else:
            columns += [(f"{method} in-sample", fitted), (f"{method} leave-one-out", loo)]
    head = "| row | observed | " + " | ".join(f"{name} | APE %" for name, _ in columns) + " |"
    rows = [head, "|---|---:|" + "---:|---:|" * len(columns)]
    for i, name in enumerate(table["source_name"]):
        cells = [name, _int(table["pop_2009"].iloc[i])]
        cells += [f"{_int(round(t['estimated'].iloc[i]))} | {t['ape_pct'].iloc[i]:.1f}" for _, t in columns]
        rows.append("| " + " | ".join(cells) + " |")
    observed = table["pop_2009"].sum()
    summaries = {
        "**MAPE**": lambda t: f"**{t['ape_pct'].mean():.1f}**",
        "WAPE": lambda t: f"{(t['estimated'] - t['observed']).abs().sum() / observed * 100:.1f}",
        "median APE": lambda t: f"{t['ape_pct'].median():.1f}",
    }
    for label, score in summaries.items():
        rows.append(f"| {label} | | " + " | ".join(f" | {score(t)}" for _, t in columns) + " |")
    return "\n".join(rows)


def _coverage_district(atlas: Atlas) -> str:
    """District coverage of every default kind and threshold (100 m grid, straight lines, current settings)."""
    from geo.analysis.coverage import coverage_table, population_grid

    grid = population_grid(atlas["quartiers"], atlas["facilities"], cell_m=100)
    table = coverage_table(grid, atlas["facilities"], units=("district",))
    rows = [
        "| kind | within | share of inhabitants | inhabitants | median distance | resting on approximate positions |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for r in table.itertuples():
        rows.append(
            f"| `{r.kind}` | {r.threshold_m / 1000:g} km | {r.share_covered * 100:.0f} % | ~{_int(population.round_people(r.pop_covered))} "
            f"| {_int(round(r.median_distance_m))} m | {r.share_depending_on_approximate * 100:.0f} % |"
        )
    return "\n".join(rows)


def _travel_difference(atlas: Atlas) -> str:
    """Straight line against walking time per commune and default kind (100 m grid, wet season, current settings).

    At each kind's default threshold (``COVERAGE_THRESHOLDS_M``) and its walking time (``walk_minutes``).
    """
    from geo.analysis.coverage import access, default_specs, facility_points, population_grid, walk_minutes
    from geo.analysis.coverage.service import default_threshold
    from geo.analysis.travel import cached_travel_time
    from geo.analysis.travel.planning import method_difference

    grid = population_grid(atlas["quartiers"], atlas["facilities"], cell_m=100)
    names = dict(zip(atlas["communes"]["pcode"], atlas["communes"]["name"], strict=True))
    rows = [
        "| kind | within | commune | inhabitants | nearest ≠ fastest | lose coverage | gain coverage | "
        "share, straight line | share, walking time |",
        "|---|---|---|---:|---:|---:|---:|---:|---:|",
    ]
    for spec in default_specs():
        threshold_m = default_threshold(spec.kind)
        minutes = float(walk_minutes(threshold_m))
        points = facility_points(atlas["facilities"], spec.kind)
        acc = access(grid, points)
        surface = cached_travel_time(grid, points, season="wet")
        for unit in ("commune", "district"):
            table = method_difference(grid, acc, surface, threshold_m=threshold_m, threshold_min=minutes, unit=unit)
            for r in table.itertuples():
                name = "**District**" if unit == "district" else _short(str(names.get(r.pcode, r.pcode)))
                rows.append(
                    f"| `{spec.kind}` | {threshold_m / 1000:g} km / {minutes:.1f} min | {name} | "
                    f"{_int(population.round_people(r.pop))} | {_int(population.round_people(r.pop_nearest_changes))} "
                    f"| {_int(population.round_people(r.pop_loses))} | {_int(population.round_people(r.pop_gains))} "
                    f"| {r.share_covered_straight_line * 100:.1f} % | {r.share_covered_travel_time * 100:.1f} % |"
                )
    return "\n".join(rows)


def _qa_findings(atlas: Atlas) -> str:
    counts = atlas["qa_findings"]["check"].value_counts()
    rows = ["| check | what it finds | findings |", "|---|---|---:|"]
    rows += [f"| `{key}` | {check.label.en} | {_int(counts.get(key, 0))} |" for key, check in CHECKS.items()]
    rows.append(f"| **total** | | **{_int(counts.sum())}** |")
    return "\n".join(rows)


#: Block name → renderer from the store.
BLOCKS: dict[str, Callable[[Atlas], str]] = {
    "store-counts": _store_counts,
    "facility-counts": _facility_counts,
    "cscom-reconciliation": _cscom,
    "snisi-comparison": _snisi_comparison,
    "sheet-gps-distances": _sheet_gps_distances,
    "commune-population": _commune_population,
    "population-scores": _population_scores,
    "holdout-rows": _holdout_rows,
    "qa-findings": _qa_findings,
    "coverage-district": _coverage_district,
    "travel-difference": _travel_difference,
}


def render_blocks(atlas: Atlas) -> dict[str, str]:
    """Return every block of ``BLOCKS`` rendered from ``atlas`` as Markdown."""
    return {name: render(atlas) for name, render in BLOCKS.items()}


def replace_blocks(text: str, blocks: Mapping[str, str], *, source: str = "text") -> str:
    """Return ``text`` with the body of each marked block replaced by ``blocks[name]``.

    Raises
    ------
    DataError
        A block of ``text`` has no rendering in ``blocks`` (the message names ``source`` and the block).
    """

    def body(match: re.Match[str]) -> str:
        name = match["name"]
        if name not in blocks:
            raise DataError(f"{source}: unknown report block {name!r}; known: {', '.join(sorted(blocks))}")
        return match["open"] + blocks[name].rstrip("\n") + "\n" + match["close"]

    return _BLOCK.sub(body, text)


def block_names(text: str) -> list[str]:
    """Return the names of the marked blocks of ``text``, in order."""
    return [m["name"] for m in _BLOCK.finditer(text)]


@dataclass(frozen=True)
class DocumentReport:
    """One document: its path, its committed text and the text with freshly rendered blocks."""

    path: Path
    current: str
    rendered: str

    @property
    def changed(self) -> bool:
        """Return whether a block of the document differs from the fresh render."""
        return self.current != self.rendered


def report_documents(atlas: Atlas, root: Path) -> list[DocumentReport]:
    """Render the blocks of every document of ``DOCUMENTS`` under ``root`` from ``atlas``.

    Raises
    ------
    DataError
        A document is missing, or a block is unknown.
    """
    blocks = render_blocks(atlas)
    reports = []
    for rel in DOCUMENTS:
        path = Path(root) / rel
        if not path.is_file():
            raise DataError(f"{path}: document not found")
        current = path.read_text(encoding="utf-8")
        reports.append(DocumentReport(path, current, replace_blocks(current, blocks, source=rel)))
    return reports


def write_documents(reports: list[DocumentReport]) -> list[Path]:
    """Write each changed document atomically; return the paths written."""
    return [write_atomic(r.path, r.rendered.encode("utf-8")) for r in reports if r.changed]
