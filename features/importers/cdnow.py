"""Import of the CDNOW cohort file (every purchase of 23,570 customers, 1997-01 to 1998-06).

``CDNOW_master.txt`` is whitespace-separated: customer id, date (yyyymmdd), number of CDs, dollar value,
with one header line (copies without the header, like the one in the ``lifetimes`` package, are read
too). It knows nothing of products: every order is one line of a single product, "CD".
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from features import columns as c
from features.importers.assumptions import ASSUMED_MARGIN_SHARE, IMPORT_CHANNEL
from features.importers.errors import ImportFormatError, parse_failure, require_columns
from features.importers.result import ImportResult, assemble

SOURCE_NAME = "CDNOW"

CUSTOMER = "customer_id"
DATE = "date"
CDS = "number_of_cds"
DOLLARS = "dollar_value"
RAW_COLUMNS: tuple[str, ...] = (CUSTOMER, DATE, CDS, DOLLARS)
DATE_FORMAT = "%Y%m%d"

CD_SKU = "CD"
CD_NAME = "Compact disc"
CD_CATEGORY = "music"
# All customers are American: CDNOW sold to the US, and the file has no address.
REGION = "United States"


def _has_header(path: Path) -> bool:
    """A header starts with a word; a data line starts with a customer number."""
    with path.open(encoding="utf-8", errors="replace") as handle:
        for line in handle:
            if line.strip():
                return not line.split()[0].isdigit()
    raise ImportFormatError(f"{path}: empty file, not a {SOURCE_NAME} file")


def read_cdnow(path: Path) -> pd.DataFrame:
    """The raw rows: customer id as text (leading zeros kept: "00001"), date as a midnight timestamp,
    CDs as an integer, dollars as a float. Raises :class:`ImportFormatError` naming the file and the
    missing columns, or the column and lines whose values do not parse."""
    header = _has_header(path)
    try:
        raw = pd.read_csv(
            path,
            sep=r"\s+",
            dtype=str,
            header=0 if header else None,
            names=None if header else list(RAW_COLUMNS),
        )
    except ValueError as exc:  # pandas' parser errors are ValueErrors
        raise ImportFormatError(f"{path}: cannot be read as a {SOURCE_NAME} file ({exc})") from exc
    require_columns(raw, RAW_COLUMNS, path, SOURCE_NAME)
    frame = raw[list(RAW_COLUMNS)].copy()
    first_line = 2 if header else 1
    if frame[CUSTOMER].isna().any():
        bad = frame.loc[frame[CUSTOMER].isna(), CUSTOMER]
        raise parse_failure(path, CUSTOMER, bad, "filled in", first_line)
    dates = pd.to_datetime(frame[DATE], format=DATE_FORMAT, errors="coerce")
    if dates.isna().any():
        raise parse_failure(path, DATE, frame.loc[dates.isna(), DATE], "yyyymmdd dates", first_line)
    cds = pd.to_numeric(frame[CDS], errors="coerce")
    bad_cds = cds.isna() | (cds != cds.round())
    if bad_cds.any():
        raise parse_failure(path, CDS, frame.loc[bad_cds, CDS], "whole numbers", first_line)
    dollars = pd.to_numeric(frame[DOLLARS], errors="coerce")
    if dollars.isna().any():
        raise parse_failure(path, DOLLARS, frame.loc[dollars.isna(), DOLLARS], "numbers", first_line)
    frame[DATE] = dates
    frame[CDS] = cds.astype("int64")
    frame[DOLLARS] = dollars.astype("float64")
    return frame


def _orders_by_day(rows: pd.DataFrame) -> pd.DataFrame:
    """One order per customer and day, CDs and dollars summed: the BTYD convention, since the file's
    same-day rows are parts of one shopping trip and a day is the finest time it records."""
    days = rows.groupby([CUSTOMER, DATE], sort=True).agg(**{CDS: (CDS, "sum"), DOLLARS: (DOLLARS, "sum")})
    return days.reset_index()


def import_cdnow(path: Path) -> ImportResult:
    """Import CDNOW as customers, one product ("CD") and one-line orders, with a report.

    Rows with a negative CD count or dollar value are dropped; same-day rows of a customer merge into one
    order; an order of zero CDs cannot form a line (quantity must not be 0) and is dropped; an order of
    zero dollars is kept at unit_price 0 (a free CD is still a purchase for repeat-buying models).
    """
    rows = read_cdnow(path)
    if rows.empty:
        raise ImportFormatError(f"{path}: no purchase rows")
    report = [
        f"read {len(rows):,} rows from {path.name} ({rows[CUSTOMER].nunique():,} customers, "
        f"{rows[DATE].min():%Y-%m-%d} to {rows[DATE].max():%Y-%m-%d})"
    ]
    negative = (rows[CDS] < 0) | (rows[DOLLARS] < 0)
    days = _orders_by_day(rows[~negative])
    no_cds = days[CDS] == 0
    kept = days[~no_cds]
    free = kept[DOLLARS] == 0
    unit_price = kept[DOLLARS] / kept[CDS]
    order_ids = kept[CUSTOMER] + "-" + kept[DATE].dt.strftime(DATE_FORMAT)
    orders = pd.DataFrame(
        {
            c.ORDER_ID: order_ids,
            c.CUSTOMER_ID: kept[CUSTOMER],
            c.ORDERED_AT: kept[DATE],
            c.CHANNEL: IMPORT_CHANNEL,
            c.SKU: CD_SKU,
            c.QUANTITY: kept[CDS],
            c.UNIT_PRICE: unit_price,
            c.DISCOUNT: 0.0,
            c.CAMPAIGN_ID: pd.Series(pd.NA, index=kept.index, dtype="str"),
        }
    )
    orders = orders.sort_values([c.ORDERED_AT, c.ORDER_ID], kind="stable")

    # Every customer of the cohort is kept, even one whose only rows were dropped: the cohort is the
    # population BTYD models are fitted on.
    created = rows.groupby(CUSTOMER)[DATE].min()
    customers = pd.DataFrame(
        {
            c.CUSTOMER_ID: created.index,
            c.CREATED_AT: created.to_numpy(),
            c.REGION: REGION,
            c.ACQUISITION_CHANNEL: IMPORT_CHANNEL,
            c.HAS_WEB_ACCOUNT: True,
        }
    )
    paid = unit_price[unit_price > 0]
    median_price = float(paid.median()) if len(paid) else 0.0
    products = pd.DataFrame(
        {
            c.SKU: [CD_SKU],
            c.NAME: [CD_NAME],
            c.CATEGORY: [CD_CATEGORY],
            c.UNIT_PRICE: [median_price],
            c.UNIT_MARGIN: [round(median_price * ASSUMED_MARGIN_SHARE, 4)],
            c.IN_STOCK: [True],
            c.IS_REPLENISHABLE: [True],
        }
    )
    merged_rows = int(len(rows) - negative.sum() - len(days))
    report += [
        f"dropped {int(negative.sum()):,} rows with a negative number of CDs or dollar value",
        f"merged {merged_rows:,} rows into the same customer's order of the same day "
        f"({len(rows) - int(negative.sum()):,} rows make {len(days):,} customer-days; BTYD convention)",
        f"dropped {int(no_cds.sum()):,} customer-days with zero CDs (an order line needs a quantity), "
        f"worth ${days.loc[no_cds, DOLLARS].sum():,.2f}",
        f"kept {int(free.sum()):,} zero-dollar orders at unit_price 0 (free CDs are still purchases)",
        f"orders: {len(orders):,}, one line each of product '{CD_SKU}' (quantity = CDs, unit_price = "
        f"dollars / CDs), ordered at midnight of the day; channel '{IMPORT_CHANNEL}', no discount",
        f"customers: {len(customers):,} (created_at = first purchase day, region '{REGION}'; "
        f"{len(customers) - orders[c.CUSTOMER_ID].nunique():,} without a kept order)",
        f"product '{CD_SKU}': unit_price = median paid price per CD ${median_price:.2f}; "
        f"unit_margin is not in the data: assumed {ASSUMED_MARGIN_SHARE:.0%} of the price",
    ]
    return assemble(customers, products, orders, report)
