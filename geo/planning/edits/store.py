"""EditStore: planners' facility edits with versions, history, revert and a rebuild-proof overlay.

Tables owned here (in ``<home>/edits.sqlite``, see :mod:`geo.planning.edits.db`):

- ``facility_state``: one row per facility a planner touched, holding its
  state (see :mod:`geo.planning.edits.overlay`) and ``version``;
- ``changes``: the history (see :mod:`geo.planning.edits.history`);
- ``meta``: the ``stamp`` counter, bumped in the same transaction as every
  change so readers can poll it cheaply.

Every write runs in one ``BEGIN IMMEDIATE`` transaction: the version check and
the write cannot interleave with another writer, in this process or another.
A facility never edited has version 1; each saved change adds 1. The store
needs the built store's facilities (``base``) to edit source facilities and
its quartiers to check and join positions; pass them at construction or with
:meth:`EditStore.attach` after a rebuild.
"""

from __future__ import annotations

import json
import logging
import os
import sqlite3
import threading
import uuid
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

import geopandas as gpd

from geo.errors import ChangeNotFound, FacilityNotFound, InvalidParameter, StoreError, VersionConflict
from geo.planning.edits import db, history, overlay
from geo.planning.edits import state as states
from geo.planning.edits.db import connect, is_read_only, transaction
from geo.planning.edits.pg import PgConnection, is_url
from geo.planning.edits.state import ID_PREFIX, Position, State
from geo.planning.edits.validate import (
    CREATE_FIELDS,
    EDITABLE_FIELDS,
    District,
    clean_fields,
    clean_lonlat,
    clean_reason,
)
from geo.settings import Settings, resolve

log = logging.getLogger(__name__)

_META = (
    "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL)",
    "INSERT OR IGNORE INTO meta (key, value) VALUES ('stamp', 0)",
)
SCHEMA = (
    ";\n".join(_META)
    + """;
CREATE TABLE IF NOT EXISTS facility_state (
    id TEXT PRIMARY KEY,
    version INTEGER NOT NULL CHECK (version >= 1),
    status TEXT NOT NULL CHECK (status IN ('active', 'retired')),
    origin TEXT NOT NULL CHECK (origin IN ('source', 'created')),
    state TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    updated_by TEXT NOT NULL
);
-- Counts the planner-created facilities for the MAX_PLANNER_ROWS cap without reading their states.
CREATE INDEX IF NOT EXISTS facility_state_origin ON facility_state (origin, status);
"""
    + history.SCHEMA
)
#: ``apply_rows`` calls ``progress(rows_written)`` every this many rows.
PROGRESS_EVERY = 1000
_INSERT = (
    "INSERT INTO facility_state (id, version, status, origin, state, updated_at, updated_by) VALUES (?,?,?,?,?,?,?)"
)
_SAVE = (
    _INSERT + " ON CONFLICT (id) DO UPDATE SET version = excluded.version, status = excluded.status,"
    " origin = excluded.origin, state = excluded.state, updated_at = excluded.updated_at,"
    " updated_by = excluded.updated_by"
)
_BUMP = "UPDATE meta SET value = value + 1 WHERE key = 'stamp'"
#: Keys of a flat ``apply_rows`` row that are not facility fields.
_ROW_KEYS = ("lon", "lat", "lonlat", "quartier_pcode", "confirm_outside", "line")


def bump_stamp(conn: sqlite3.Connection) -> None:
    """Move the change counter inside the caller's transaction, for a change outside the facilities (a road layer).

    Readers that key their caches by the stamp (the web catalog) then see the change on their next request.
    """
    for statement in (*_META, _BUMP):
        conn.execute(statement)


def _check_user(user: Any) -> str:
    if not isinstance(user, str) or not user.strip():
        raise InvalidParameter("user", "the user making the change is required", code="user_required")
    return user.strip()


def _check_version(version: Any, field: str = "version") -> int:
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        raise InvalidParameter(
            field, f"expected the facility version (a whole number ≥ 1), got {version!r}", code="bad_version"
        )
    return version


def _saved(fid: str, after: State, at: str, user: str) -> tuple:
    return (fid, after["version"], after["status"], after["origin"], json.dumps(after, ensure_ascii=False), at, user)


class EditStore:
    """The planners' edits of the facilities, in the SQLite database at ``path``.

    Parameters
    ----------
    path
        The database file (``geo.planning.edits.db.edits_path()``); created with its tables when missing.
    base
        The built store's ``facilities`` layer (EPSG:4326) the edits apply to.
    quartiers
        The built store's ``quartiers`` layer (EPSG:4326): the District test and the spatial join.
    max_created
        Most active planner-created facilities (created in the editor or imported);
        a creation or import beyond it raises ``too_many_planner_rows``. Default:
        the ``MAX_PLANNER_ROWS`` setting.

    Notes
    -----
    Safe to share between threads (one SQLite connection per thread, reopened
    after a fork) and between processes (WAL, ``BEGIN IMMEDIATE``).
    """

    def __init__(
        self,
        path: Path | str,
        *,
        base: gpd.GeoDataFrame | None = None,
        quartiers: gpd.GeoDataFrame | None = None,
        max_created: int | None = None,
        settings: Settings | Mapping[str, Any] | None = None,
    ):
        self.path: Path | str = path if is_url(path) else Path(path)
        #: Most active planner-created facilities (editor and imports); default: setting MAX_PLANNER_ROWS.
        self.max_created = int(resolve(settings)["MAX_PLANNER_ROWS"] if max_created is None else max_created)
        self._local = threading.local()
        self._cache_lock = threading.Lock()
        self._cache: tuple[int, dict[str, State]] | None = None
        self._joins = overlay.JoinCache()
        self._base: gpd.GeoDataFrame | None = None
        self._base_position: dict[str, int] = {}
        self._quartiers: gpd.GeoDataFrame | None = None
        self._district: District | None = None
        self._no_tables = False
        self._create_schema()
        self.attach(base=base, quartiers=quartiers)

    # -- set-up -------------------------------------------------------------------------------------

    def attach(self, *, base: gpd.GeoDataFrame | None = None, quartiers: gpd.GeoDataFrame | None = None) -> None:
        """Use ``base`` facilities and ``quartiers`` (EPSG:4326) from now on, e.g. after a rebuild."""
        if base is not None:
            self._base = base.reset_index(drop=True)
            self._base_position = dict(zip(self._base["id"].tolist(), range(len(self._base)), strict=True))
        if quartiers is not None:
            self._quartiers = quartiers
            self._district = District.from_quartiers(quartiers)

    def _create_schema(self) -> None:
        conn = self._conn()
        if is_read_only(conn):  # a read-only home: the tables are there, or no edit was ever saved
            self._no_tables = not conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'meta'").fetchone()
            return
        try:
            conn.executescript("BEGIN IMMEDIATE;" + SCHEMA + "COMMIT;")
        except sqlite3.Error:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise

    def _conn(self) -> sqlite3.Connection:
        """Return this thread's connection, opened on first use and again in a forked child."""
        local = self._local
        if getattr(local, "pid", None) != os.getpid():
            local.conn = PgConnection(self.path) if is_url(self.path) else connect(self.path)
            local.pid = os.getpid()
        return local.conn

    def close(self) -> None:
        """Close the calling thread's connection (others close when their thread ends)."""
        conn = getattr(self._local, "conn", None)
        if conn is not None and getattr(self._local, "pid", None) == os.getpid():
            conn.close()
        self._local.__dict__.clear()

    # -- reading ------------------------------------------------------------------------------------

    def stamp(self) -> int:
        """Return the change counter: it increases with every committed change (one indexed read)."""
        if self._no_tables:
            return 0
        return int(self._conn().execute("SELECT value FROM meta WHERE key = 'stamp'").fetchone()[0])

    def _states(self) -> dict[str, State]:
        """Return every saved state by id, read in one snapshot and cached until the stamp moves."""
        conn = self._conn()
        with transaction(conn, immediate=False):
            stamp = int(conn.execute("SELECT value FROM meta WHERE key = 'stamp'").fetchone()[0])
            with self._cache_lock:
                if self._cache is not None and self._cache[0] == stamp:
                    return self._cache[1]
            rows = conn.execute("SELECT id, state FROM facility_state ORDER BY rowid").fetchall()
        loaded = {fid: json.loads(text) for fid, text in rows}
        with self._cache_lock:
            self._cache = (stamp, loaded)
        return loaded

    def _base_or_raise(self, base: gpd.GeoDataFrame | None) -> gpd.GeoDataFrame:
        base = self._base if base is None else base
        if base is None:
            raise StoreError("the edit store has no base facilities; pass base= or call attach(base=...)")
        return base

    def current(
        self, base: gpd.GeoDataFrame | None = None, quartiers: gpd.GeoDataFrame | None = None
    ) -> gpd.GeoDataFrame:
        """Return the facilities as planners left them: ``base`` + edits, retired ones removed.

        ``base`` and ``quartiers`` default to the attached layers. The result has
        ``FACILITY_COLUMNS + ("version", "geometry")`` in EPSG:4326 (see
        :func:`geo.planning.edits.overlay.current`).
        """
        quartiers = self._quartiers if quartiers is None else quartiers
        return overlay.current(self._base_or_raise(base), self._states(), quartiers, joins=self._joins)

    def conflicts(self, base: gpd.GeoDataFrame | None = None) -> list[dict[str, Any]]:
        """List fields where the (rebuilt) sources now differ from what a planner corrected.

        See :func:`geo.planning.edits.overlay.conflicts` for the entries.
        """
        return overlay.conflicts(self._base_or_raise(base), self._states())

    def facility(self, facility_id: str) -> dict[str, Any]:
        """Return one facility's row as edits leave it: columns, lon, lat, status, retired_reason, version."""
        return history.flatten(self._effective(facility_id, self._load(self._conn(), facility_id)))

    def history(
        self,
        *,
        facility_id: str | None = None,
        user: str | None = None,
        since: Any = None,
        until: Any = None,
        action: str | None = None,
        import_id: str | None = None,
        limit: int | None = 100,
        offset: int = 0,
    ) -> list[dict[str, Any]]:
        """Return recorded changes, newest first (see :func:`geo.planning.edits.history.query`).

        Each change: ``id, op, at, user, action, facility_id, related_id, reason,
        import_id, reverts, version_before, version_after, changed`` (flat keys)
        and ``before`` / ``after`` (flat rows, ``before`` None for a creation).
        """
        return history.query(
            self._conn(),
            facility_id=facility_id,
            user=user,
            since=since,
            until=until,
            action=action,
            import_id=import_id,
            limit=limit,
            offset=offset,
        )

    def history_csv(self, **filters: Any) -> str:
        """Return every change matching ``filters`` (as :meth:`history`) as spreadsheet-safe CSV."""
        return history.history_csv(self.history(**{**filters, "limit": None}))

    # -- state helpers ------------------------------------------------------------------------------

    @staticmethod
    def _load(conn: sqlite3.Connection, facility_id: str) -> State | None:
        row = conn.execute("SELECT state FROM facility_state WHERE id = ?", (facility_id,)).fetchone()
        return None if row is None else json.loads(row[0])

    def _base_row(self, facility_id: str) -> dict[str, Any] | None:
        at = self._base_position.get(facility_id)
        return None if at is None else overlay.base_row(self._base, at)

    def _effective(self, facility_id: str, state: State | None) -> State:
        """Return the facility's full state now: its saved state laid over its base row, or the base row."""
        base_row = self._base_row(facility_id)
        if state is not None:
            return states.laid_over(state, base_row)
        if base_row is not None:
            return states.from_base(base_row)
        if self._base is None and not facility_id.startswith(ID_PREFIX):
            raise StoreError("the edit store has no base facilities; pass base= or call attach(base=...)")
        raise FacilityNotFound(f"no facility with id {facility_id!r}")

    def _active(self, conn: sqlite3.Connection, facility_id: str, version: int, field: str = "version") -> State:
        """Return the facility's effective state, checking it is at ``version`` and not retired."""
        state = self._effective(facility_id, self._load(conn, facility_id))
        if state["version"] != version:
            raise VersionConflict(facility_id, expected=version, current=history.flatten(state))
        if state["status"] != "active":
            raise InvalidParameter(field, f"facility {facility_id!r} is retired", code="facility_retired")
        return state

    def _position(self, lonlat: Any, quartier_pcode: str | None, *, confirm_outside: bool) -> Position | None:
        """Return the checked position asked for (coordinates win over a quartier), or None."""
        if lonlat is None and not quartier_pcode:
            return None
        if self._district is None:
            raise StoreError("the edit store has no quartiers to check positions; pass quartiers= or call attach()")
        if lonlat is not None:
            lon, lat = clean_lonlat(lonlat)
            return Position(lon, lat, "exact", {}, self._district.check(lon, lat, confirm_outside=confirm_outside))
        lon, lat, names = self._district.quartier_point(str(quartier_pcode))
        return Position(lon, lat, "quartier", names, True)

    def _write(self, conn: sqlite3.Connection, items: list[tuple[State | None, State, dict[str, Any]]]) -> None:
        """Save new states with their changes and bump the stamp, inside the caller's transaction.

        ``items``: (state before or None, state after, change fields: op, user, action, reason …).
        """
        at = history.utc_now()
        conn.executemany(_SAVE, [_saved(after["row"]["id"], after, at, info["user"]) for _, after, info in items])
        history.record(conn, (self._change(before, after, info, at) for before, after, info in items))
        conn.execute(_BUMP)

    @staticmethod
    def _change(before: State | None, after: State, info: Mapping[str, Any], at: str) -> dict[str, Any]:
        return {
            **info,
            "at": at,
            "facility_id": after["row"]["id"],
            "before": before,
            "after": after,
            "version_before": None if before is None else before["version"],
            "version_after": after["version"],
            "changed": history.changed_fields(before, after),
        }

    # -- changes ------------------------------------------------------------------------------------

    def _check_room(self, conn: sqlite3.Connection, adding: int) -> None:
        """Raise ``too_many_planner_rows`` when ``adding`` more created facilities would pass ``max_created``."""
        active = conn.execute(
            "SELECT COUNT(*) FROM facility_state WHERE origin = 'created' AND status = 'active'"
        ).fetchone()[0]
        if active + adding > self.max_created:
            raise InvalidParameter(
                "facility",
                f"{active:,} planner-created facilities already; adding {adding:,} would pass the limit of "
                f"{self.max_created:,} (setting BAMAKO_ATLAS_MAX_PLANNER_ROWS); retire some or raise the limit",
                code="too_many_planner_rows",
            )

    def create(
        self,
        *,
        user: str,
        fields: Mapping[str, Any],
        lonlat: tuple[float, float] | None,
        quartier_pcode: str | None = None,
        confirm_outside: bool = False,
        reason: str = "",
    ) -> dict[str, Any]:
        """Add a facility at ``lonlat`` (EPSG:4326 degrees) or at quartier ``quartier_pcode``'s representative point.

        ``fields`` must give ``kind`` and ``name`` and may give any of
        ``CREATE_FIELDS``. A quartier position gets precision "quartier" and the
        quartier/commune names as declared names unless given. A point outside
        the District needs ``confirm_outside=True``; it is then kept, joined as
        ``snapped``/``outside``. Returns the new facility's flat row (id, version 1).
        """
        user = _check_user(user)
        after = self._new_state(fields, lonlat, quartier_pcode, confirm_outside=confirm_outside)
        info = {
            "op": uuid.uuid4().hex,
            "user": user,
            "action": "create",
            "reason": clean_reason(reason, required=False),
        }
        conn = self._conn()
        with transaction(conn):
            self._check_room(conn, 1)
            while self._load(conn, after["row"]["id"]) is not None:  # a 64-bit clash: draw again
                after["row"]["id"] = states.new_id()
            self._write(conn, [(None, after, info)])
        log.info("facility %s created by %s", after["row"]["id"], user)
        return history.flatten(after)

    def _new_state(
        self,
        fields: Mapping[str, Any],
        lonlat: Any,
        quartier_pcode: str | None,
        *,
        confirm_outside: bool,
        **source: str,
    ) -> State:
        clean = clean_fields(fields, allowed=CREATE_FIELDS, required=True)
        position = self._position(lonlat, quartier_pcode, confirm_outside=confirm_outside)
        if position is None:
            raise InvalidParameter(
                "lonlat", "a position is required: coordinates or a quartier", code="position_required"
            )
        return states.created(clean, position, **({"source": states.CREATED_SOURCE} | source))

    def update(
        self,
        facility_id: str,
        *,
        user: str,
        version: int,
        fields: Mapping[str, Any],
        lonlat: tuple[float, float] | None = None,
        quartier_pcode: str | None = None,
        confirm_outside: bool = False,
        reason: str = "",
    ) -> dict[str, Any]:
        """Change ``fields`` (any of ``EDITABLE_FIELDS``) and/or move the facility; return its new flat row.

        ``version`` is the version the caller edited; a stale one raises
        VersionConflict carrying the current row. Moving (``lonlat`` or a
        quartier) sets precision "exact" / "quartier" unless ``fields`` gives one.
        An update that changes nothing returns the row unchanged (no new version).
        """
        user = _check_user(user)
        version = _check_version(version)
        clean = clean_fields(fields, allowed=EDITABLE_FIELDS, required=False)
        position = self._position(lonlat, quartier_pcode, confirm_outside=confirm_outside)
        info = {"op": uuid.uuid4().hex, "user": user, "reason": clean_reason(reason, required=False)}
        conn = self._conn()
        with transaction(conn):
            before = self._active(conn, facility_id, version)
            result = states.updated(before, clean, position, self._base_row(facility_id))
            if result is None:
                return history.flatten(before)
            after, info["action"] = result
            self._write(conn, [(before, after, info)])
        log.info("facility %s: %s by %s (version %d)", facility_id, info["action"], user, after["version"])
        return history.flatten(after)

    def retire(self, facility_id: str, *, user: str, version: int, reason: str) -> dict[str, Any]:
        """Retire the facility (hidden from maps and analyses, kept in history); ``reason`` is required."""
        user = _check_user(user)
        version = _check_version(version)
        reason = clean_reason(reason, required=True)
        conn = self._conn()
        with transaction(conn):
            before = self._active(conn, facility_id, version)
            after = states.retired(before, reason)
            self._write(
                conn, [(before, after, {"op": uuid.uuid4().hex, "user": user, "action": "retire", "reason": reason})]
            )
        log.info("facility %s retired by %s", facility_id, user)
        return history.flatten(after)

    def merge(
        self, keep_id: str, drop_id: str, *, user: str, keep_version: int, drop_version: int, reason: str = ""
    ) -> dict[str, Any]:
        """Merge a duplicate pair: ``keep_id`` takes both facilities' sources, ``drop_id`` is retired.

        ``sources`` and ``source_refs`` of the kept facility become the
        ";"-joined union of both; the dropped one is retired with reason
        ``"merged into <keep_id>"``. Both versions are checked; both changes
        share one ``op`` (a revert of either undoes both). Returns the kept
        facility's flat row.
        """
        user = _check_user(user)
        keep_version = _check_version(keep_version, "keep_version")
        drop_version = _check_version(drop_version, "drop_version")
        reason = clean_reason(reason, required=False)
        if keep_id == drop_id:
            raise InvalidParameter("drop_id", "a facility cannot be merged with itself", code="same_facility")
        conn = self._conn()
        with transaction(conn):
            keep_before = self._active(conn, keep_id, keep_version, "keep_version")
            drop_before = self._active(conn, drop_id, drop_version, "drop_version")
            keep, drop = states.merged(keep_before, drop_before, self._base_row(keep_id))
            info = {"op": uuid.uuid4().hex, "user": user}
            self._write(
                conn,
                [
                    (keep_before, keep, {**info, "action": "merge", "related_id": drop_id, "reason": reason}),
                    (drop_before, drop, {**info, "action": "retire", "related_id": keep_id, "reason": drop["reason"]}),
                ],
            )
        log.info("facility %s merged into %s by %s", drop_id, keep_id, user)
        return history.flatten(keep)

    def revert(self, change_id: int, *, user: str, reason: str = "") -> dict[str, Any]:
        """Undo a recorded change (an admin action); the revert is itself recorded and can be reverted.

        Reverting a creation retires the facility; any other change restores the
        state before it, which needs the facility unchanged since (else
        VersionConflict with its current row). A change made together with
        others (a merge) is reverted with them. Returns the facility's flat row.
        """
        user = _check_user(user)
        reason = clean_reason(reason, required=False)
        conn = self._conn()
        with transaction(conn):
            target = history.get(conn, change_id)
            if target is None:
                raise ChangeNotFound(f"no change with id {change_id!r}")
            op, items = uuid.uuid4().hex, []
            for change in history.in_op(conn, target["op"]):
                fid = change["facility_id"]
                now = self._effective(fid, self._load(conn, fid))
                if change["before"] is not None and now["version"] != change["version_after"]:
                    raise VersionConflict(fid, expected=change["version_after"], current=history.flatten(now))
                info = {
                    "op": op,
                    "user": user,
                    "action": "revert",
                    "reverts": change["id"],
                    "related_id": change.get("related_id"),
                    "reason": reason or f"revert of change {change['id']}",
                }
                items.append((now, states.reverted(change, now), info))
            self._write(conn, items)
        log.info("change %s reverted by %s", change_id, user)
        return history.flatten(next(after for _, after, _ in items if after["row"]["id"] == target["facility_id"]))

    def resolve(self, facility_id: str, field: str | None, *, user: str, version: int, take: str) -> dict[str, Any]:
        """Settle one entry of :meth:`conflicts`, recorded as a change (action "resolve").

        ``take="planner"`` keeps the planner's value and records the new source
        value as seen (the conflict disappears); ``take="source"`` drops the
        correction so the source value shows again. For a vanished facility
        (``field=None``), "planner" keeps it as a planner-created facility and
        "source" retires it.
        """
        user = _check_user(user)
        version = _check_version(version)
        conn = self._conn()
        with transaction(conn):
            before = self._active(conn, facility_id, version)
            after, why = states.resolved(before, field, take, self._base_row(facility_id))
            self._write(
                conn, [(before, after, {"op": uuid.uuid4().hex, "user": user, "action": "resolve", "reason": why})]
            )
        return history.flatten(after)

    def apply_rows(
        self,
        rows: Iterable[Mapping[str, Any]],
        *,
        user: str,
        import_id: str,
        progress: Callable[[int], None] | None = None,
    ) -> list[str]:
        """Create one facility per row, all or none, in one transaction; return the new ids in row order.

        Each row is either ``{"fields": {...}, "lonlat": (lon, lat) | None,
        "quartier_pcode": str | None, "confirm_outside": bool}`` (the arguments
        of :meth:`create`; other keys such as ``line`` are ignored) or flat:
        facility columns plus ``lon``/``lat`` (or ``lonlat``), ``quartier_pcode``
        and ``confirm_outside``. Every row is validated before anything is
        written; the first invalid row raises InvalidParameter naming
        ``rows[i].<field>``. ``sources`` defaults to "import" and
        ``source_refs`` to ``import_id``. ``progress(n)`` is called every
        ``PROGRESS_EVERY`` rows written, inside the transaction.
        """
        user = _check_user(user)
        if not isinstance(import_id, str) or not import_id.strip():
            raise InvalidParameter("import_id", "an import id is required", code="import_required")
        created = [self._import_state(i, row, import_id) for i, row in enumerate(rows)]
        if not created:
            return []
        at = history.utc_now()

        def saved() -> Iterable[tuple]:
            for n, after in enumerate(created, 1):
                yield _saved(after["row"]["id"], after, at, user)
                if progress is not None and n % PROGRESS_EVERY == 0:
                    progress(n)

        conn = self._conn()
        with transaction(conn):
            self._check_room(conn, len(created))
            conn.executemany(_INSERT, saved())  # a clashing id aborts everything
            info = {"user": user, "action": "create", "import_id": import_id, "reason": ""}
            history.record(conn, (self._change(None, s, {**info, "op": uuid.uuid4().hex}, at) for s in created))
            conn.execute(_BUMP)
        log.info("import %s: %d facilities created by %s", import_id, len(created), user)
        return [s["row"]["id"] for s in created]

    def _import_state(self, index: int, row: Mapping[str, Any], import_id: str) -> State:
        if "fields" in row:
            fields, lonlat = row["fields"], row.get("lonlat")
        else:
            fields = {k: v for k, v in row.items() if k not in _ROW_KEYS}
            lonlat = row.get("lonlat")
            if lonlat is None and row.get("lon") is not None and row.get("lat") is not None:
                lonlat = (row["lon"], row["lat"])
        try:
            return self._new_state(
                fields,
                lonlat,
                row.get("quartier_pcode"),
                confirm_outside=bool(row.get("confirm_outside")),
                source=states.IMPORT_SOURCE,
                source_ref=import_id,
            )
        except InvalidParameter as exc:
            raise InvalidParameter(f"rows[{index}].{exc.parameter}", exc.message, code=exc.code) from None

    def backup(self, dest_dir: Path | str) -> Path:
        """Write a consistent copy of the whole database into ``dest_dir`` while serving (see :func:`db.backup`)."""
        if is_url(self.path):
            raise StoreError("the planners' database is in PostgreSQL: back it up with pg_dump")
        return db.backup(self.path, dest_dir)
