"""The one error an importer raises for a file it cannot make sense of."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import pandas as pd

from features.errors import CibleError


class ImportFormatError(CibleError, ValueError):
    """The input file is not in the expected format; the message names the file and what is wrong.

    A ``ValueError`` so callers that already catch bad values (the CLI) catch it too.
    """


def require_columns(frame: pd.DataFrame, expected: Iterable[str], path: Path, source: str) -> None:
    """Fail early, naming every missing column, rather than with a ``KeyError`` deep in the import."""
    missing = [name for name in expected if name not in frame.columns]
    if missing:
        found = ", ".join(str(col) for col in frame.columns) or "none"
        raise ImportFormatError(
            f"{path}: not a {source} file: missing column(s) {', '.join(missing)} (found: {found})"
        )


def parse_failure(
    path: Path, column: str, bad: pd.Series, what: str, first_line: int = 2
) -> ImportFormatError:
    """An error naming the column, the first offending values and the lines of the file they are on.

    ``bad`` keeps the 0-based row index of the frame read; ``first_line`` is the file line of row 0
    (2 below a header).
    """
    shown = ", ".join(
        f"{'an empty cell' if pd.isna(value) else repr(value)} (line {row + first_line})"
        for row, value in bad.iloc[:3].items()
    )
    return ImportFormatError(
        f"{path}: column {column} holds {len(bad):,} value(s) that are not {what}: {shown}"
    )
