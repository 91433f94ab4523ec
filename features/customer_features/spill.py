"""Rows spilled to one file per (table, partition) while a table is read in batches, and read back a
partition at a time: the local build's bounded-memory split (see :mod:`.streamed`)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from features.customer_features.partitioned import PART
from features.schema import TABLES
from features.validate import typed_columns

BATCH_ROWS = 500_000
# The orders, contacts and consents are split in smaller batches: a batch's copies (typed, sliced,
# tagged, sorted by partition) are the split's peak, ~0.33 GB over the rest at 100k customers with
# 500,000 rows, 0.22 GB with 200,000, for the same CPU (the events keep theirs: two passes, 12 M rows).
TABLE_BATCH_ROWS = 200_000
# Spilled rows are written as they are: LZ4 halves the files (about 1.5 GB at 100k customers) but costs
# a sixth of the build's CPU in compressing and decompressing them; the files are temporary.
SPILL_COMPRESSION: str | None = None


def parquet_batches(
    path: Path | None,
    table: str,
    columns: tuple[str, ...],
    row_groups: list[int] | None = None,
    batch_rows: int = BATCH_ROWS,
) -> Iterator[pd.DataFrame]:
    """The rows of a table file (of its ``row_groups``, if given) in batches of ``batch_rows``, with only
    ``columns`` read and typed (nothing without a file)."""
    if path is None:
        return
    source = pq.ParquetFile(path)
    present = [col for col in columns if col in source.schema_arrow.names]
    # Decoded on this thread: Arrow's pool of threads costs more CPU than it saves here (the batches
    # are the unit of work, and the machine is often shared).
    for batch in source.iter_batches(
        batch_size=batch_rows, row_groups=row_groups, columns=present, use_threads=False
    ):
        yield typed_columns(TABLES[table], batch.to_pandas())


class PartFolders:
    """One Arrow IPC file per (table, partition) of spilled rows; a partition is read back as one frame.

    IPC files hold Arrow's own memory layout: writing and reading them costs a fraction of Parquet's
    encoding, and the files live only as long as the build. A writer stays open per file,
    so each batch's rows go straight out (no buffer of rows waiting for a large write)."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.writers: dict[tuple[str, int], tuple[pa.ipc.RecordBatchFileWriter, pa.Schema]] = {}
        self.options = pa.ipc.IpcWriteOptions(compression=SPILL_COMPRESSION)

    def write(self, table: str, tagged: pd.DataFrame) -> None:
        """Spill each row to the files of its partition (``_part``); rows of partition -1 are left out."""
        parts = tagged[PART].to_numpy()
        kept = np.flatnonzero(parts >= 0)
        keys = parts[kept]
        if keys.size and keys.max() < np.iinfo(np.int16).max:
            # A stable sort of 16-bit keys is a radix sort, several times faster than a comparison sort.
            keys = keys.astype(np.int16)
        order = kept[np.argsort(keys, kind="stable")]
        rows = pa.Table.from_pandas(tagged.drop(columns=[PART]), preserve_index=False).take(order)
        sorted_parts = parts[order]
        bounds = np.flatnonzero(np.diff(sorted_parts)) + 1
        starts = np.concatenate([[0], bounds])
        ends = np.concatenate([bounds, [len(order)]])
        for start, end in zip(starts, ends, strict=True):
            if end > start:
                writer, schema = self._writer(table, int(sorted_parts[start]), rows.schema)
                piece = rows.slice(start, end - start)
                # A batch whose text column is all empty may come without its type: take the file's.
                writer.write_table(piece if piece.schema == schema else piece.cast(schema))

    def _writer(
        self, table: str, part: int, schema: pa.Schema
    ) -> tuple[pa.ipc.RecordBatchFileWriter, pa.Schema]:
        key = (table, part)
        if key not in self.writers:
            self.root.mkdir(parents=True, exist_ok=True)
            path = self.root / f"{table}-{part}.arrow"
            self.writers[key] = (pa.ipc.new_file(str(path), schema, options=self.options), schema)
        return self.writers[key]

    def flush(self) -> None:
        for writer, _ in self.writers.values():
            writer.close()
        self.writers = {}

    def read(self, table: str, part: int) -> pd.DataFrame | None:
        path = self.root / f"{table}-{part}.arrow"
        if not path.exists():
            return None
        # Mapped, not read: the frame's text columns are the file's pages (no copy into fresh memory),
        # released with the partition's frames.
        with pa.memory_map(str(path)) as mapped:
            return pa.ipc.open_file(mapped).read_all().to_pandas()
