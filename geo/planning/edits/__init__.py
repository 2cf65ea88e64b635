"""Planner edits of the facilities, kept in one SQLite database next to the store.

``geo.planning.edits.db`` opens that database (shared with ``geo.planning.accounts`` and
``geo.planning.imports``); :class:`EditStore` validates, records, reverts and overlays
the edits on the built store's facilities.
"""

from geo.planning.edits.db import connect, edits_path, transaction
from geo.planning.edits.history import history_csv, safe_cell
from geo.planning.edits.store import EditStore
from geo.planning.edits.validate import CREATE_FIELDS, EDITABLE_FIELDS, District

__all__ = [
    "CREATE_FIELDS",
    "EDITABLE_FIELDS",
    "District",
    "EditStore",
    "connect",
    "edits_path",
    "history_csv",
    "safe_cell",
    "transaction",
]
