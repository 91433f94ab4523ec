"""A validated folder's tables as Arrow, read a table at a time and a group of record batches at a time.

The validated cache holds each table as a Feather (Arrow IPC) file written in record batches of 64k rows,
compressed batch by batch: a reader can decompress one group of batches, keep the rows it needs and go on,
so the memory of a load is the rows kept, not the file. Only the columns asked are read.

A folder validated just now whose entry could not be written to the cache is served from the validator's
frames, converted table by table as the cache would have stored them, so both give the same rows.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterator, Sequence
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

# Where a load's Arrow buffers are allocated: the C library's allocator, not Arrow's default (mimalloc).
# A load frees each batch it has filtered between the buffers of the rows it keeps; mimalloc cannot give
# back the segments those holes are in (450 MB of 2.7 GB resident after loading 100k customers, with
# its unused memory released), the C allocator can (and takes a third less CPU here).
POOL = pa.system_memory_pool()
# Rows looked at together: Arrow hashes a lookup set (the sample's customers) once per call, so batches
# are filtered in groups of about a million rows rather than one by one.
GROUP_ROWS = 1 << 20

Keep = Callable[[pa.Table], pa.Array | pa.ChunkedArray | None]  # rows of a group to keep (None: all)
# A column and a test of a batch's values in it: a batch that fails is skipped, its other columns never
# decompressed (a third of the events are batches past the retention period as a whole).
Probe = tuple[str, Callable[[pa.Array], bool]]


class ValidatedTables:
    """The tables of one validated folder (only those it has a file of)."""

    names: frozenset[str]

    def schema(self, name: str) -> pa.Schema:
        raise NotImplementedError

    def batches(
        self, name: str, columns: Sequence[str] | None = None, probe: Probe | None = None
    ) -> Iterator[pa.RecordBatch]:
        """The table's record batches in order, with only ``columns`` (default: all), less those
        ``probe`` rules out (it may let any batch through)."""
        raise NotImplementedError

    def groups(
        self, name: str, columns: Sequence[str] | None = None, probe: Probe | None = None
    ) -> Iterator[pa.Table]:
        """The table's rows in order, in tables of about :data:`GROUP_ROWS` rows (at least one table)."""
        schema = self._projected(name, columns)
        group: list[pa.RecordBatch] = []
        rows = 0
        for batch in self.batches(name, columns, probe):
            group.append(batch)
            rows += batch.num_rows
            if rows >= GROUP_ROWS:
                yield pa.Table.from_batches(group, schema=schema)
                group, rows = [], 0
        if group or rows == 0:
            yield pa.Table.from_batches(group, schema=schema)

    def read(
        self,
        name: str,
        keep: Keep | None = None,
        columns: Sequence[str] | None = None,
        probe: Probe | None = None,
        dictionary: Collection[str] = (),
    ) -> pa.Table:
        """The rows ``keep`` selects (all without it; ``probe``: batches with none to keep, skipped
        unread), every column or ``columns``; the table's pandas metadata is kept, so ``to_pandas``
        gives the frame the cache stored, but for the ``dictionary`` columns: dictionary-encoded group by
        group as they are read (categorical in pandas), which holds a column of a few distinct texts
        repeated over millions of rows in 4 bytes a row instead of ~20."""
        kept = []
        for group in self.groups(name, columns, probe):
            mask = keep(group) if keep is not None else None
            if mask is not None and not pc.all(mask).as_py():
                group = pc.filter(group, mask, memory_pool=POOL) if pc.any(mask).as_py() else None
            if group is not None:
                kept.append(_encoded(group, dictionary))
            del group  # the group's unfiltered buffers go before the next is decompressed
        schema = _encoded(self._projected(name, columns).empty_table(), dictionary).schema
        return pa.concat_tables(kept) if kept else schema.empty_table()

    def _projected(self, name: str, columns: Sequence[str] | None) -> pa.Schema:
        schema = self.schema(name)
        if columns is None:
            return schema
        return pa.schema([schema.field(col) for col in columns], metadata=schema.metadata)


class FeatherTables(ValidatedTables):
    """The Feather files of a validated-cache entry."""

    def __init__(self, entry: Path, names: Sequence[str]) -> None:
        self.entry = entry
        self.names = frozenset(names)

    def _path(self, name: str) -> str:
        return str(self.entry / f"{name}.feather")

    def schema(self, name: str) -> pa.Schema:
        with pa.OSFile(self._path(name)) as source:
            return pa.ipc.open_file(source).schema

    def batches(
        self, name: str, columns: Sequence[str] | None = None, probe: Probe | None = None
    ) -> Iterator[pa.RecordBatch]:
        # A plain file, not a memory map: a map would count every page read as resident until unmapped.
        with pa.OSFile(self._path(name)) as source, pa.OSFile(self._path(name)) as probed:
            reader = self._reader(source, name, columns)
            tester = self._reader(probed, name, [probe[0]]) if probe is not None else None
            for i in range(reader.num_record_batches):
                if probe is not None and tester is not None and not probe[1](tester.get_batch(i).column(0)):
                    continue
                batch = reader.get_batch(i)
                yield batch if columns is None else batch.select(list(columns))  # read in file order

    def _reader(
        self, source: pa.NativeFile, name: str, columns: Sequence[str] | None
    ) -> pa.ipc.RecordBatchFileReader:
        options = None
        if columns is not None:
            schema = self.schema(name)
            options = pa.ipc.IpcReadOptions(included_fields=[schema.get_field_index(c) for c in columns])
        return pa.ipc.open_file(source, options=options, memory_pool=POOL)


class FrameTables(ValidatedTables):
    """The validator's frames (when they could not be cached), converted one table at a time."""

    def __init__(self, frames: dict[str, pd.DataFrame]) -> None:
        self.frames = frames
        self.names = frozenset(frames)
        self._schemas: dict[str, pa.Schema] = {}

    def _table(self, name: str) -> pa.Table:
        # as DataFrame.to_feather converts it for the cache
        return pa.Table.from_pandas(self.frames[name].reset_index(drop=True))

    def schema(self, name: str) -> pa.Schema:
        if name not in self._schemas:  # the types of text columns are those of their values
            self._schemas[name] = self._table(name).schema
        return self._schemas[name]

    def batches(
        self, name: str, columns: Sequence[str] | None = None, probe: Probe | None = None
    ) -> Iterator[pa.RecordBatch]:
        table = self._table(name)
        yield from (table if columns is None else table.select(list(columns))).to_batches()


def _encoded(table: pa.Table, dictionary: Collection[str]) -> pa.Table:
    """``table`` with its ``dictionary`` columns dictionary-encoded (each chunk its own dictionary:
    ``to_pandas`` unifies them into one categorical)."""
    for name in dictionary:
        at = table.schema.get_field_index(name)
        if at >= 0:
            table = table.set_column(at, name, pc.dictionary_encode(table[name], memory_pool=POOL))
    return table
