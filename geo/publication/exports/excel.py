"""The French-Excel CSV dialect: what a spreadsheet set to French opens straight into columns.

``;`` between fields, a decimal comma, ``oui``/``non`` for booleans, headings and
controlled values in French (:data:`geo.schema.HEADINGS`, :data:`geo.vocabulary.VALUE_LABELS`), UTF-8 with a byte-order mark and CRLF line
ends. Served as the ``fr.csv`` format (``/api/v1/layers/cscom.fr.csv``) next to
the standard ``csv``, whose English column names and ``.`` decimals stay as they are.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable

import geopandas as gpd
import numpy as np
import pandas as pd

from geo.publication import phrases
from geo.publication.exports.writers import ExportContext, csv_frame
from geo.schema import heading
from geo.vocabulary import VALUE_LABELS, value_label

#: Field separator, decimal mark and boolean words of the dialect.
SEPARATOR = ";"
DECIMAL = ","
BOOLEANS = ("oui", "non")


def _cell(value: object) -> str:
    """Return one cell: empty for a missing value, ``oui``/``non``, integers bare, reals with a decimal comma."""
    if value is None or value is pd.NA or (isinstance(value, float) and np.isnan(value)):
        return ""
    if isinstance(value, bool | np.bool_):
        return BOOLEANS[0] if value else BOOLEANS[1]
    if isinstance(value, int | np.integer):
        return str(int(value))
    if isinstance(value, float | np.floating):
        if float(value).is_integer() and abs(value) < 1e15:
            return str(int(value))
        return np.format_float_positional(float(value), trim="-").replace(".", DECIMAL)
    return str(value)


def excel_fr(table: pd.DataFrame, headings: Callable[[str], str] = heading) -> bytes:
    """Return ``table`` as French-Excel CSV bytes, each column headed by ``headings(name)``."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=SEPARATOR, lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)
    writer.writerow([headings(str(c)) for c in table.columns])
    columns = [table[c].astype(object).to_numpy() for c in table.columns]
    for row in zip(*columns, strict=True):
        writer.writerow([_cell(v) for v in row])
    return buffer.getvalue().encode("utf-8-sig")


def to_excel_fr_csv(frame: gpd.GeoDataFrame, ctx: ExportContext) -> bytes:
    """Return a prepared layer as French-Excel CSV (the columns of :func:`~.writers.csv_frame`).

    Controlled values (kind, precision, operator…) are written as their French labels
    (:data:`geo.vocabulary.VALUE_LABELS`), the build's notes, row references and opening hours in French
    (``note_fr`` under the heading « Note » where the build has it, else :data:`READ_IN_FRENCH`): this file is for
    reading, the standard CSV keeps the codes and both notes as written.
    """
    table = csv_frame(frame, ctx.layer)
    if "note_fr" in table.columns:
        table = table.assign(note=table["note_fr"].fillna(table["note"])).drop(columns="note_fr")
    for column in table.columns:
        if column in VALUE_LABELS and not pd.api.types.is_bool_dtype(table[column]):
            table[column] = table[column].map(lambda v, c=column: None if pd.isna(v) else value_label(c, v))
        elif column in READ_IN_FRENCH:
            table[column] = table[column].map(lambda v, c=column: None if pd.isna(v) else READ_IN_FRENCH[c](v, "fr"))
    return excel_fr(table)


#: Texts the build or the surveys write in English, read in French as the pages show them (geo.publication.phrases).
READ_IN_FRENCH = {
    "note": phrases.translate,
    "source_refs": phrases.translate,
    "evidence": phrases.translate,
    "opening_hours": phrases.opening_hours,
}
