"""What a step reads of the data set: the tables, and of each the columns, it reads itself.

A training pipeline whose customer features are built elsewhere (the partitioned local engine, Dask) reads
few columns of few tables (labels from orders, campaigns from assignments...). Loading only those is what
keeps ``cible train all`` at 100,000 customers within the memory of one partition's features and a few
columns: the whole data set in pandas is ~2.3 GB there, the events alone 1 GB.

A frame read in part holds its columns in the canonical dtypes, plus the customer id and the time column
when the table has them (a cut at a cutoff and the privacy rules read them); a column not read is absent,
so a step reading one it did not declare fails at once (a ``KeyError`` naming it), never on empty values.
"""

from __future__ import annotations

from collections.abc import Mapping

from features import columns as c
from features.customer_features.build import FEATURE_COLUMNS
from features.schema import TABLES, TIME_COLUMN

# Per table, the columns read (None: every column); a table not named is left empty (its columns, no row).
TableReads = Mapping[str, tuple[str, ...] | None]


def union(*reads: TableReads) -> dict[str, tuple[str, ...] | None]:
    """Every table any of ``reads`` names, with every column any of them reads."""
    out: dict[str, tuple[str, ...] | None] = {}
    for read in reads:
        for table, columns in read.items():
            if table in out and out[table] is None:
                continue
            if columns is None:
                out[table] = None
            else:
                out[table] = tuple(dict.fromkeys((*(out.get(table) or ()), *columns)))
    return out


def with_features(reads: TableReads) -> dict[str, tuple[str, ...] | None]:
    """``reads`` and what building customer features from the loaded data set reads (the in-memory
    engine's data set)."""
    return union(reads, FEATURE_COLUMNS)


def kept_columns(table: str, columns: tuple[str, ...] | None) -> tuple[str, ...]:
    """The columns of ``table`` a read of ``columns`` keeps, in the table's order: those asked, the
    customer id and the time column."""
    names = TABLES[table].column_names
    if columns is None:
        return names
    unknown = sorted(set(columns) - set(names))
    if unknown:
        raise KeyError(f"{table} has no column {', '.join(unknown)}")
    wanted = {*columns, c.CUSTOMER_ID, TIME_COLUMN.get(table, c.CUSTOMER_ID)}
    return tuple(name for name in names if name in wanted)


def read_columns(table: str, columns: tuple[str, ...] | None) -> tuple[str, ...]:
    """The columns to read of ``table`` for :func:`kept_columns`: with those the privacy rules and a
    training sample decide rows by (an event's visitor, a guest order's id)."""
    if columns is None:
        return TABLES[table].column_names
    by = {"events": (c.VISITOR_ID,), "orders": (c.ORDER_ID,)}.get(table, ())
    wanted = {*kept_columns(table, columns), *by}
    return tuple(name for name in TABLES[table].column_names if name in wanted)
