"""A table as the validator reads it: its column names first, then its rows in batches, only the columns
asked for (a Parquet file by its row groups' batches, a CSV in chunks of lines, a frame in one piece), so
a step can go through a table far larger than memory. Cells are as ``features.io.read_raw`` gives them:
CSV cells as text, Parquet columns in their stored type."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from features.io import DataFileError, is_csv

Batches = Callable[[Sequence[str]], Iterator[pd.DataFrame]]


@dataclass(frozen=True)
class TableSource:
    columns: tuple[str, ...]
    _read: Batches

    def batches(self, columns: Sequence[str]) -> Iterator[pd.DataFrame]:
        """The rows in order, in one or more frames holding ``columns`` (present ones) with a 0-based
        index; always at least one frame, empty for an empty table."""
        return self._read([name for name in columns if name in self.columns])


def frame_source(frame: pd.DataFrame) -> TableSource:
    def read(columns: Sequence[str]) -> Iterator[pd.DataFrame]:
        yield frame[list(columns)].reset_index(drop=True)

    return TableSource(tuple(str(name) for name in frame.columns), read)


def file_source(path: Path, batch_rows: int | None) -> TableSource:
    """``path`` read whole (``batch_rows`` None) or ``batch_rows`` rows at a time; a read error names it."""
    try:
        if is_csv(path):
            return _csv_source(path, batch_rows)
        return _parquet_source(path, batch_rows)
    except DataFileError:
        raise
    except Exception as exc:  # the reader's own message names the problem; we add the file
        raise DataFileError(f"{path}: cannot be read ({exc})") from exc


def _guarded(path: Path, frames: Iterator[pd.DataFrame]) -> Iterator[pd.DataFrame]:
    """Read errors met half-way through a file (a malformed line, a corrupt row group) name the file."""
    try:
        yield from frames
    except Exception as exc:
        raise DataFileError(f"{path}: cannot be read ({exc})") from exc


def _csv_source(path: Path, batch_rows: int | None) -> TableSource:
    options = {"dtype": str, "keep_default_na": False, "na_values": [""]}
    header = pd.read_csv(path, nrows=0, **options)

    def frames(columns: Sequence[str]) -> Iterator[pd.DataFrame]:
        wanted = list(columns)
        if batch_rows is None:
            yield pd.read_csv(path, usecols=wanted, **options)[wanted]
            return
        count = 0
        with pd.read_csv(path, usecols=wanted, chunksize=batch_rows, **options) as chunks:
            for chunk in chunks:
                count += 1
                yield chunk[wanted].reset_index(drop=True)
        if count == 0:
            yield header[wanted]

    return TableSource(tuple(str(name) for name in header.columns), lambda cols: _guarded(path, frames(cols)))


def _parquet_source(path: Path, batch_rows: int | None) -> TableSource:
    import pyarrow as pa
    import pyarrow.parquet as pq

    schema = pq.read_schema(path)

    def frames(columns: Sequence[str]) -> Iterator[pd.DataFrame]:
        wanted = list(columns)
        if batch_rows is None:
            yield pd.read_parquet(path, columns=wanted).reset_index(drop=True)[wanted]
            return
        count = 0
        with pq.ParquetFile(path) as file:
            for batch in file.iter_batches(batch_size=batch_rows, columns=wanted, use_pandas_metadata=False):
                count += 1
                # through a Table, as pandas.read_parquet converts: the same dtypes batch by batch
                yield pa.Table.from_batches([batch]).to_pandas()[wanted]
        if count == 0:
            yield schema.empty_table().select(wanted).to_pandas()[wanted]

    names = tuple(name for name in schema.names if not name.startswith("__index_level_"))
    return TableSource(names, lambda cols: _guarded(path, frames(cols)))
