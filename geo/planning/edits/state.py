"""Facility states and their transitions: pure functions, no database.

A state (the dict documented in :mod:`geo.planning.edits.overlay`) is what the edit
store saves per facility. Each function here takes the state before a change
(already checked to be current by the caller) and returns the state after it,
with ``version`` one higher. ``base_row`` arguments are the facility's row in
the built store (``overlay.base_row``), or None when its id is not there.
"""

from __future__ import annotations

import copy
import uuid
from collections.abc import Mapping
from typing import Any, NamedTuple

from geo.errors import InvalidParameter
from geo.planning.edits.overlay import POSITION, field_value, normalize, position_of, same
from geo.vocabulary import SOURCE_FACILITY_COLUMNS

State = dict[str, Any]
Row = dict[str, Any]

#: Prefix of the ids of facilities created by planners or imports.
ID_PREFIX = "edit-"
#: Default ``sources`` of a facility created in the editor / by an import.
CREATED_SOURCE = "planner"
IMPORT_SOURCE = "import"


class Position(NamedTuple):
    """A checked position (EPSG:4326 degrees) and what it implies."""

    lon: float
    lat: float
    precision: str  # default location_precision: "exact" for coordinates, "quartier" for a quartier
    names: dict[str, str]  # declared quartier/commune names (a quartier position only)
    inside: bool  # False: outside the District, confirmed by the planner


def new_id() -> str:
    """Return a fresh facility id, ``edit-`` and 16 hex digits (64 random bits)."""
    return ID_PREFIX + uuid.uuid4().hex[:16]


def join_unique(*parts: str) -> str:
    """Return the ";"-joined items of ``parts`` (themselves ";"-joined), each once, in order."""
    items = [p.strip() for part in parts for p in (part or "").split(";")]
    return ";".join(dict.fromkeys(p for p in items if p))


def from_base(row: Row) -> State:
    """Return the state of a source facility nobody edited yet (version 1)."""
    return {
        "version": 1,
        "status": "active",
        "reason": "",
        "origin": "source",
        "row": row,
        "edited": {},
        "confirmed_outside": False,
    }


def laid_over(state: State, base_row: Row | None) -> State:
    """Return a copy of ``state`` whose row is the current base row with the edited fields laid over it."""
    state = copy.deepcopy(state)
    if state["origin"] == "source" and base_row is not None:
        row = dict(base_row)
        for field in state["edited"]:
            keys = ("lon", "lat") if field == POSITION else (field,)
            row.update({k: state["row"][k] for k in keys})
        state["row"] = row
    return state


def created(clean: Mapping[str, Any], position: Position, *, source: str, source_ref: str = "") -> State:
    """Return the state of a new facility from validated ``clean`` fields at ``position``."""
    row = {c: normalize(c, None) for c in SOURCE_FACILITY_COLUMNS}
    row.update(location_precision=position.precision, sources=source, source_refs=source_ref)
    row.update(position.names)
    row.update(clean)
    row.update(id=new_id(), lon=position.lon, lat=position.lat)
    return {
        "version": 1,
        "status": "active",
        "reason": "",
        "origin": "created",
        "row": row,
        "edited": {},
        "confirmed_outside": not position.inside,
    }


def _remember_seen(after: State, changed: list[str], base_row: Row | None) -> None:
    """Record, for each changed field of a source facility, the base value the planner saw."""
    if after["origin"] == "source" and base_row is not None:
        after["edited"].update({f: field_value(base_row, f) for f in changed})


def updated(
    before: State, clean: Mapping[str, Any], position: Position | None, base_row: Row | None
) -> tuple[State, str] | None:
    """Return (state after, action "update" or "move"), or None when nothing changes.

    A move sets ``location_precision`` to the position's default unless
    ``clean`` gives one.
    """
    after = copy.deepcopy(before)
    row, clean = after["row"], dict(clean)
    moved = position is not None and not same(POSITION, [position.lon, position.lat], position_of(row))
    if moved:
        row["lon"], row["lat"] = position.lon, position.lat
        clean.setdefault("location_precision", position.precision)
        after["confirmed_outside"] = not position.inside
    changed = [f for f, v in clean.items() if not same(f, v, row.get(f))]
    if "note" in changed and "note_fr" not in clean and not same("note_fr", None, row.get("note_fr")):
        # the source's French text no longer says what the planner's note says: French pages show the new note
        clean["note_fr"] = normalize("note_fr", None)
        changed.append("note_fr")
    row.update({f: clean[f] for f in changed})
    if moved:
        changed.append(POSITION)
    if not changed:
        return None
    _remember_seen(after, changed, base_row)
    after["version"] += 1
    action = "move" if moved and set(changed) <= {POSITION, "location_precision"} else "update"
    return after, action


def retired(before: State, reason: str) -> State:
    """Return ``before`` retired with ``reason``."""
    return {**copy.deepcopy(before), "status": "retired", "reason": reason, "version": before["version"] + 1}


def merged(keep: State, drop: State, keep_base_row: Row | None) -> tuple[State, State]:
    """Return (kept, dropped): the kept facility holds both sources, the other is retired "merged into <id>"."""
    after = copy.deepcopy(keep)
    for field in ("sources", "source_refs"):
        after["row"][field] = join_unique(keep["row"][field], drop["row"][field])
    _remember_seen(after, ["sources", "source_refs"], keep_base_row)
    after["version"] += 1
    return after, retired(drop, f"merged into {keep['row']['id']}")


def reverted(change: Mapping[str, Any], now: State) -> State:
    """Return the state undoing ``change`` (raw states, as ``history.get``) given the facility ``now``.

    A creation is undone by retiring; anything else by restoring the state
    before it. The caller checks ``now`` is still the state the change left.
    """
    if change["before"] is None:
        if now["status"] != "active":
            raise InvalidParameter(
                "change_id", f"facility {now['row']['id']!r} is already retired", code="nothing_to_revert"
            )
        after = {**copy.deepcopy(now), "status": "retired", "reason": f"revert of change {change['id']}"}
    else:
        after = copy.deepcopy(change["before"])
    after["version"] = now["version"] + 1
    return after


def resolved(before: State, field: str | None, take: str, base_row: Row | None) -> tuple[State, str]:
    """Return (state after, reason) settling a conflict by taking the planner's or the source's value."""
    if take not in ("planner", "source"):
        raise InvalidParameter("take", "expected 'planner' or 'source'", code="unknown_value")
    _check_conflict(before, field, base_row)
    after = copy.deepcopy(before)
    after["version"] += 1
    if base_row is None:  # the id vanished from the sources
        if take == "planner":
            after.update(origin="created", edited={})
        else:
            after.update(status="retired", reason="removed from the sources")
        return after, f"vanished from the sources: kept the {take}'s version"
    if take == "planner":
        after["edited"][field] = field_value(base_row, field)
    else:
        del after["edited"][field]
        keys = ("lon", "lat") if field == POSITION else (field,)
        after["row"].update({k: base_row[k] for k in keys})
    return after, f"{field}: kept the {take}'s value"


def _check_conflict(before: State, field: str | None, base_row: Row | None) -> None:
    """Refuse (``no_conflict``) unless ``field`` of this facility is in conflict with its source now.

    Only a source facility has conflicts: its id vanished from the sources
    (``field`` None), or the source's value of a corrected field differs from
    the value the planner saw.
    """
    fid = before["row"]["id"]
    if before["origin"] != "source":
        raise InvalidParameter(
            "facility_id", f"{fid!r} was created by a planner: it has no conflict", code="no_conflict"
        )
    if base_row is None:
        if field is not None:
            raise InvalidParameter("field", f"{fid!r} vanished from the sources: give no field", code="no_conflict")
        return
    if field is None:
        raise InvalidParameter(
            "facility_id", f"{fid!r} is still in the sources: it has not vanished", code="no_conflict"
        )
    if field not in before["edited"]:
        raise InvalidParameter("field", f"{field!r} has no planner correction on {fid!r}", code="no_conflict")
    if same(field, before["edited"][field], field_value(base_row, field)):
        raise InvalidParameter(
            "field", f"the source still agrees with what the planner saw of {field!r}", code="no_conflict"
        )
