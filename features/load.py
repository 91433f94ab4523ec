"""Loading a data folder: every command goes through here, so nothing unvalidated is ever processed.

The tables are read one at a time from the validated cache: each is read batch by batch keeping only the
rows the privacy rules (and a training sample) keep, corrected and merged with what Cible itself
recorded, made a frame in the canonical dtypes, and its Arrow copy let go before the next table is read.
So a load needs about the memory of the data set it gives, not of every file read whole.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from features import clock
from features import columns as c
from features.dataset import Dataset, conform, empty_frame
from features.privacy.batch_rules import BatchRules, before, devices_of, fold, text_array
from features.privacy.rules import PrivacyRules, without
from features.reads import TableReads, kept_columns, read_columns
from features.recorded_rows import RecordedRows
from features.schema import TABLES, TIME_COLUMN
from features.settings import Settings
from features.validated_cache import cache_dir, validate_folder_cached
from features.validated_tables import POOL, Keep, ValidatedTables
from features.validation_problems import DataValidationError

if TYPE_CHECKING:
    from features.train_sample import CustomerSample


def load_dataset(
    folder: Path | str, now: pd.Timestamp | None = None, privacy: PrivacyRules | None = None
) -> Dataset:
    """Read and validate ``folder``; raise :class:`DataValidationError` listing every problem.

    ``now`` is the instant after which timestamps count as "in the future" and from which retention
    periods are counted (default: :func:`features.clock.now`, the retailer's local time).
    Erased customers and rows past their retention period are left out (``privacy`` defaults to the
    rules of the Cible home in the environment), so no later step can use them.
    """
    now, rules, tables = validated(folder, now, privacy)
    return read_dataset(tables, rules, now)


def validated(
    folder: Path | str, now: pd.Timestamp | None, privacy: PrivacyRules | None
) -> tuple[pd.Timestamp, PrivacyRules, ValidatedTables]:
    """The load's "now", privacy rules and validated tables (not read yet); raise on any problem."""
    now = clock.now() if now is None else pd.Timestamp(now)
    settings = Settings.from_env()
    problems, tables = validate_folder_cached(Path(folder), now, cache_dir(settings.home))
    if problems:
        raise DataValidationError(problems)
    return now, privacy or PrivacyRules.from_settings(settings), tables


def customer_ids(tables: ValidatedTables) -> pd.Series:
    """Every customer id of the data (the privacy rules not applied)."""
    if "customers" not in tables.names:
        return pd.Series([], dtype="str", name=c.CUSTOMER_ID)
    return tables.read("customers", columns=[c.CUSTOMER_ID]).to_pandas()[c.CUSTOMER_ID]


def batch_rules(tables: ValidatedTables, rules: PrivacyRules, now: pd.Timestamp) -> BatchRules:
    """The privacy rules' drops for this data: who is erased, their devices, the retention periods."""
    erased = text_array(rules.erased_ids(customer_ids(tables)))
    has_events = "events" in tables.names
    visitors = devices_of(tables, erased) if len(erased) and has_events else text_array([])
    return BatchRules(erased, visitors, rules.retention, now)


def read_dataset(
    tables: ValidatedTables,
    rules: PrivacyRules,
    now: pd.Timestamp,
    sample: CustomerSample | None = None,
    drops: BatchRules | None = None,
    only: Collection[str] | None = None,
    reads: TableReads | None = None,
    since: Mapping[str, pd.Timestamp] | None = None,
    dictionary: Mapping[str, Collection[str]] | None = None,
) -> Dataset:
    """The data set the privacy rules leave of ``tables`` (of ``sample``'s rows only, if given);
    ``drops``: the rules' :func:`batch_rules`, if known already; ``only``: the tables to read (the
    customers always are, the others are left empty; default: every one); ``reads``: the tables to read
    and of each the columns (:mod:`features.reads`; the customers are always read whole); ``since``: by
    table, the time before which its rows are not read (a step that looks back a few weeks only);
    ``dictionary``: by table, text columns read as categoricals (:meth:`ValidatedTables.read`)."""
    drops = drops or batch_rules(tables, rules, now)
    if reads is not None:
        only = set(reads)
    erased = set(drops.erased.to_pylist())
    visitors = set(drops.erased_visitors.to_pylist())

    def kept(name: str, frame: pd.DataFrame) -> pd.DataFrame:
        return without(frame, rules.dropped(name, frame, now, erased, visitors))

    def wanted(name: str) -> bool:
        return only is None or name == "customers" or name in only

    def read(name: str, recorded: RecordedRows | None = None) -> pd.DataFrame | None:
        if name not in tables.names or not wanted(name):
            return None
        # A recorded row can share its key with an expired data row: every batch is looked at then.
        probe = drops.unexpired(name) if recorded is None else None
        asked = reads.get(name) if reads is not None and name != "customers" else None
        columns = read_columns(name, asked) if asked is not None and recorded is None else None
        keep = _keep(name, drops, sample, recorded, (since or {}).get(name))
        encode = (dictionary or {}).get(name, ())
        table = tables.read(name, keep=keep, columns=columns, probe=probe, dictionary=encode)
        if recorded is not None:
            table = recorded.appended(table, kept(name, recorded.remaining()))
        if asked is not None:
            table = table.select(list(kept_columns(name, asked)))
        return table.to_pandas(memory_pool=POOL)

    out: dict[str, pd.DataFrame] = {}
    customers = read("customers")  # erased customers are left out as it is read
    ids = customers[c.CUSTOMER_ID] if customers is not None else None
    if customers is not None and rules.rectifications.path.exists():
        customers = rules.rectifications.apply(customers, rules.salt())
    out["customers"] = _conformed("customers", customers)
    del customers
    for name in ("products", "orders", "events", "contacts"):
        out[name] = _conformed(name, read(name))
    assignments = None
    if ids is not None and wanted("assignments"):  # recorded by Cible's exports (features.campaigns.ledger)
        ledger = rules.assignments.rows_for(ids)
        if "assignments" in tables.names:
            key = [c.CAMPAIGN_ID, c.CUSTOMER_ID]
            schema = tables.schema("assignments")
            assignments = read("assignments", _recorded(ledger, schema, key, data_wins=True))
        elif not ledger.empty:
            assignments = kept("assignments", ledger.reset_index(drop=True))
    out["assignments"] = _conformed("assignments", assignments)
    del assignments
    updates = None  # consent changes received by the service (features.privacy.consent_updates)
    if (
        ids is not None
        and wanted("consents")
        and "consents" in tables.names
        and rules.consent_updates.path.exists()
    ):
        key = [c.CUSTOMER_ID, c.PURPOSE, c.RECORDED_AT]
        updates = _recorded(rules.consent_updates.rows_for(ids), tables.schema("consents"), key, False)
    out["consents"] = _conformed("consents", read("consents", updates))
    # The masks and lookups above were Arrow's default pool's (mimalloc): it keeps freed memory for
    # its next allocations unless told to give it back.
    pa.default_memory_pool().release_unused()
    return Dataset(**{name: out[name] for name in TABLES})


def _recorded(rows: pd.DataFrame, schema: pa.Schema, key: list[str], data_wins: bool) -> RecordedRows | None:
    return None if rows.empty else RecordedRows.of(rows, schema, key, data_wins)


def _conformed(name: str, frame: pd.DataFrame | None) -> pd.DataFrame:
    """As :meth:`Dataset.from_frames` makes it: in the canonical dtypes, or empty; a table read in part
    (:mod:`features.reads`) keeps only its columns."""
    if frame is None:
        return empty_frame(TABLES[name])
    table = TABLES[name]
    if len(frame.columns) < len(table.columns):
        table = replace(table, columns=tuple(col for col in table.columns if col.name in frame.columns))
    return conform(table, frame)


def _keep(
    name: str,
    drops: BatchRules,
    sample: CustomerSample | None,
    recorded: RecordedRows | None,
    since: pd.Timestamp | None = None,
) -> Keep:
    def keep(rows: pa.Table) -> pa.Array | pa.ChunkedArray | None:
        masks = [
            pc.invert(mask) if mask is not None and negate else mask
            for mask, negate in (
                (drops.dropped(name, rows), True),
                (sample.keep(name, rows) if sample is not None else None, False),
                (recorded.replaced(rows) if recorded is not None else None, True),
                (before(rows[TIME_COLUMN[name]], since) if since is not None else None, True),
            )
        ]
        return fold([mask for mask in masks if mask is not None], pc.and_)

    return keep
