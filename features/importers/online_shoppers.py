"""Adapter for UCI Online Shoppers Purchasing Intention (dataset 468; Sakar et al. 2019): 12,330 web
sessions of one shop over a year, each with page-type counts and durations, Google-Analytics bounce and
exit rates, the page value of the pages seen, and whether it ended in a purchase (``Revenue``).

It is not mapped into the data contract: it has no visitors, products or timestamps, only one summary
row per session. It is read as a modelling table for the intent experiment instead:
- the 125 exact duplicate rows are dropped (identical sessions cannot be told apart, and a duplicate
  split across train and test would leak);
- ``Month`` is "June" for June and three letters otherwise: it becomes a month number (``month``),
  so the experiment can split by time; there is no January or April in the file;
- ``Weekend`` and ``Revenue`` become 0/1; ``VisitorType`` becomes ``returning_visitor`` (1 for
  "Returning_Visitor") and ``new_visitor``; operating system, browser, region and traffic type are
  codes, kept as pandas categories.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from features.importers.errors import ImportFormatError, require_columns

SOURCE_NAME = "UCI Online Shoppers Purchasing Intention"
LABEL = "purchased"
MONTH = "month"
NUMERIC: tuple[str, ...] = (
    "Administrative",
    "Administrative_Duration",
    "Informational",
    "Informational_Duration",
    "ProductRelated",
    "ProductRelated_Duration",
    "BounceRates",
    "ExitRates",
    "PageValues",
    "SpecialDay",
)
CODES: tuple[str, ...] = ("OperatingSystems", "Browser", "Region", "TrafficType")
RAW_COLUMNS: tuple[str, ...] = (*NUMERIC, "Month", *CODES, "VisitorType", "Weekend", "Revenue")
MONTHS = {
    m: i
    for i, m in enumerate(
        ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"), 1
    )
}
# Model inputs, in order: the numbers, the month, weekend and visitor flags, the codes (categorical).
FEATURES: tuple[str, ...] = (*NUMERIC, MONTH, "weekend", "returning_visitor", "new_visitor", *CODES)


@dataclass(frozen=True)
class OnlineShoppers:
    sessions: pd.DataFrame  # FEATURES then LABEL, one row per distinct session
    rows_read: int
    duplicates_dropped: int

    @property
    def purchase_rate(self) -> float:
        return float(self.sessions[LABEL].mean())


def _flag(series: pd.Series, path: Path, column: str) -> pd.Series:
    text = series.astype(str).str.strip().str.upper()
    if not text.isin(["TRUE", "FALSE"]).all():
        raise ImportFormatError(f"{path}: column {column} holds values other than TRUE/FALSE")
    return (text == "TRUE").astype("int64")


def read_online_shoppers(path: Path) -> OnlineShoppers:
    raw = pd.read_csv(path)
    require_columns(raw, RAW_COLUMNS, path, SOURCE_NAME)
    distinct = raw.drop_duplicates().reset_index(drop=True)
    month = distinct["Month"].astype(str).str[:3].map(MONTHS)
    if month.isna().any():
        bad = sorted(distinct.loc[month.isna(), "Month"].astype(str).unique())
        raise ImportFormatError(f"{path}: column Month holds unknown month names: {', '.join(bad[:5])}")
    sessions = distinct[list(NUMERIC)].astype("float64")
    sessions[MONTH] = month.astype("int64")
    sessions["weekend"] = _flag(distinct["Weekend"], path, "Weekend")
    sessions["returning_visitor"] = (distinct["VisitorType"] == "Returning_Visitor").astype("int64")
    sessions["new_visitor"] = (distinct["VisitorType"] == "New_Visitor").astype("int64")
    for code in CODES:
        sessions[code] = distinct[code].astype("category")
    sessions[LABEL] = _flag(distinct["Revenue"], path, "Revenue")
    return OnlineShoppers(sessions[[*FEATURES, LABEL]], len(raw), len(raw) - len(distinct))
