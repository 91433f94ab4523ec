"""The public data sets in ../shared/data, and the one rule for tests that need them: when a file is
absent, say which one and where it comes from; skip on a developer's machine, fail on CI (which always
has the data, so a real-data test can never silently stop running there)."""

from __future__ import annotations

import os
from pathlib import Path

from tests.ci import unavailable

# ../shared/data beside the clone; CIBLE_SHARED_DATA points elsewhere (a git worktree, another CI layout)
SHARED_DATA = Path(
    os.environ.get("CIBLE_SHARED_DATA") or Path(__file__).resolve().parents[1].parent / "shared" / "data"
)
ONLINE_RETAIL = SHARED_DATA / "online_retail" / "online_retail_2010-12-01_2011-09-09.csv.xz"
CDNOW = SHARED_DATA / "cdnow" / "CDNOW_master.txt"
ONLINE_RETAIL_ORIGIN = (
    "UCI Online Retail (dataset 352, https://archive.ics.uci.edu/dataset/352/online+retail), "
    "lines from 2010-12-01 to 2011-09-09, xz-compressed CSV"
)
CDNOW_ORIGIN = (
    "the CDNOW master file (Fader & Hardie, https://www.brucehardie.com/datasets/; also shipped in the "
    "lifetimes package), whitespace-separated with one header line"
)


def real_file(path: Path, origin: str) -> Path:
    """The real data file, or a skip (a failure on CI) saying what is missing."""
    if not path.is_file():
        message = f"real data file {path} is missing: it is {origin}; see {SHARED_DATA / 'README.md'}"
        # A user's clone may lack ../shared (the data sets are not in this repository): say what is
        # missing rather than fail; CI always has the data and fails.
        unavailable(message)
    return path
