"""Import of UCI "Online Retail" (a UK online gift shop's invoice lines) into the data contract.

The file is one row per invoice line: ``InvoiceNo, StockCode, Description, Quantity, InvoiceDate,
UnitPrice, CustomerID, Country``. The mapping decisions are listed in the package docstring
(``features/importers/__init__.py``); the catalogue is built in ``online_retail_products.py``.
Everything is vectorised: the 334k-line file imports in a few seconds.
"""

from __future__ import annotations

import gzip
import lzma
from pathlib import Path

import numpy as np
import pandas as pd

from features import columns as c
from features.importers.assumptions import ASSUMED_MARGIN_SHARE, IMPORT_CHANNEL
from features.importers.errors import ImportFormatError, parse_failure, require_columns
from features.importers.online_retail_products import (
    IN_STOCK_WINDOW,
    REPLENISHABLE_MIN_BUYERS,
    REPLENISHABLE_MIN_REPEAT_SHARE,
    build_products,
)
from features.importers.result import ImportResult, assemble
from features.vocab import NON_PRODUCT_CATEGORY

SOURCE_NAME = "UCI Online Retail"

INVOICE = "InvoiceNo"
STOCK_CODE = "StockCode"
DESCRIPTION = "Description"
QUANTITY = "Quantity"
INVOICE_DATE = "InvoiceDate"
UNIT_PRICE = "UnitPrice"
CUSTOMER = "CustomerID"
COUNTRY = "Country"
RAW_COLUMNS: tuple[str, ...] = (
    INVOICE,
    STOCK_CODE,
    DESCRIPTION,
    QUANTITY,
    INVOICE_DATE,
    UNIT_PRICE,
    CUSTOMER,
    COUNTRY,
)
TEXT_COLUMNS: tuple[str, ...] = (INVOICE, STOCK_CODE, DESCRIPTION, CUSTOMER, COUNTRY)
REQUIRED_VALUES: tuple[str, ...] = (INVOICE, STOCK_CODE, QUANTITY, INVOICE_DATE, UNIT_PRICE)

CANCELLATION_PREFIX = "C"
# A customer with no country on any line still needs a region; the file's own word for it.
UNKNOWN_COUNTRY = "Unspecified"
# The UCI file ships as ISO timestamps (from the original spreadsheet) or, in the widespread CSV copy,
# as US month/day/year; both are accepted, nothing is guessed beyond them.
DATE_FORMATS: tuple[str, ...] = ("ISO8601", "%m/%d/%Y %H:%M")
# The UCI spreadsheet exported to CSV is sometimes Latin-1 (the £ of the gift vouchers).
ENCODINGS: tuple[str, ...] = ("utf-8", "latin-1")


def _read_text(path: Path) -> pd.DataFrame:
    """Every cell as text, so codes keep their spelling ("85123A", "C536379") and nothing is inferred."""
    for encoding in ENCODINGS:
        try:
            return pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""], encoding=encoding)
        except UnicodeDecodeError:
            continue
        except (ValueError, EOFError, lzma.LZMAError, gzip.BadGzipFile) as exc:
            raise ImportFormatError(f"{path}: cannot be read as a {SOURCE_NAME} CSV file ({exc})") from exc
    raise ImportFormatError(f"{path}: not readable as text in any of {', '.join(ENCODINGS)}")


def _parse_dates(path: Path, text: pd.Series) -> pd.Series:
    for fmt in DATE_FORMATS:
        parsed = pd.to_datetime(text, format=fmt, errors="coerce")
        if parsed.notna().all():
            return parsed
    raise parse_failure(path, INVOICE_DATE, text[parsed.isna()], "timestamps")


def read_online_retail(path: Path) -> pd.DataFrame:
    """Read the raw file (``.csv``, or compressed ``.csv.xz``/``.csv.gz``) with its own column names.

    Codes and ids are text (``InvoiceNo``, ``StockCode``, ``CustomerID`` without the ``.0`` a spreadsheet
    round trip adds), stripped of surrounding spaces; ``Quantity`` is an integer, ``UnitPrice`` a float,
    ``InvoiceDate`` a timestamp. Raises :class:`ImportFormatError` naming the file and the missing
    columns, or the column and lines whose values do not parse.
    """
    raw = _read_text(path)
    require_columns(raw, RAW_COLUMNS, path, SOURCE_NAME)
    frame = raw[list(RAW_COLUMNS)].copy()
    for col in TEXT_COLUMNS:
        stripped = frame[col].str.strip()
        frame[col] = stripped.where(stripped != "")
    frame[CUSTOMER] = frame[CUSTOMER].str.replace(r"\.0+$", "", regex=True)
    for col in REQUIRED_VALUES:
        empty = frame[col].isna()
        if empty.any():
            raise parse_failure(path, col, frame.loc[empty, col], "filled in")
    quantity = pd.to_numeric(frame[QUANTITY], errors="coerce")
    bad = quantity.isna() | (quantity != np.round(quantity))
    if bad.any():
        raise parse_failure(path, QUANTITY, frame.loc[bad, QUANTITY], "whole numbers")
    price = pd.to_numeric(frame[UNIT_PRICE], errors="coerce")
    if price.isna().any():
        raise parse_failure(path, UNIT_PRICE, frame.loc[price.isna(), UNIT_PRICE], "numbers")
    frame[QUANTITY] = quantity.astype("int64")
    frame[UNIT_PRICE] = price.astype("float64")
    frame[INVOICE_DATE] = _parse_dates(path, frame[INVOICE_DATE])
    return frame


def _fold_code_case(lines: pd.DataFrame) -> tuple[pd.DataFrame, int]:
    """Spell a code as its upper-case twin when the file has both ("85123a" is "85123A").

    The lower-case spellings carry the same descriptions as their twins: they are typing variants of
    one product, and keeping them apart would split its sales and buyers in two.
    """
    codes = lines[STOCK_CODE]
    upper = codes.str.upper()
    fold = (codes != upper) & upper.isin(pd.Index(codes.unique()))
    folded = codes[fold].nunique()
    return lines.assign(**{STOCK_CODE: codes.where(~fold, upper)}), folded


def _stamp_invoices(lines: pd.DataFrame) -> tuple[pd.DataFrame, int, int]:
    """Give every line of an invoice the invoice's customer and timestamp, as the contract requires.

    A few invoices straddle a minute (lines keyed in at 16:57 and 16:58): they take their first
    timestamp. An invoice naming several customers would take its first named one; both are counted.
    """
    invoices = lines.groupby(INVOICE, sort=False)
    timestamps = invoices[INVOICE_DATE].nunique()
    customers = invoices[CUSTOMER].nunique(dropna=False)
    stamped = lines.assign(
        **{
            INVOICE_DATE: invoices[INVOICE_DATE].transform("min"),
            CUSTOMER: invoices[CUSTOMER].transform("first"),
        }
    )
    return stamped, int((timestamps > 1).sum()), int((customers > 1).sum())


def _most_frequent(frame: pd.DataFrame, key: str, value: str) -> pd.Series:
    """The most frequent ``value`` per ``key``; ties go to the alphabetically first, for reproducibility."""
    counts = frame.groupby([key, value], sort=False).size().rename("n").reset_index()
    counts = counts.sort_values(["n", value], ascending=[False, True], kind="stable")
    return counts.drop_duplicates(key).set_index(key)[value]


def _customers(lines: pd.DataFrame) -> tuple[pd.DataFrame, int]:
    """One customer per CustomerID: created at their first invoice, in their most frequent country."""
    known = lines[lines[CUSTOMER].notna()]
    known = known.assign(**{COUNTRY: known[COUNTRY].fillna(UNKNOWN_COUNTRY)})
    created = known.groupby(CUSTOMER)[INVOICE_DATE].min()
    region = _most_frequent(known, CUSTOMER, COUNTRY).reindex(created.index)
    several = int((known.groupby(CUSTOMER)[COUNTRY].nunique() > 1).sum())
    customers = pd.DataFrame(
        {
            c.CUSTOMER_ID: created.index,
            c.CREATED_AT: created.to_numpy(),
            c.REGION: region.to_numpy(),
            c.ACQUISITION_CHANNEL: IMPORT_CHANNEL,
            c.HAS_WEB_ACCOUNT: True,
        }
    )
    return customers, several


def _merge_duplicate_lines(lines: pd.DataFrame) -> pd.DataFrame:
    """One line per (invoice, code), the key of the contract's orders: quantities summed.

    The price is the quantity-weighted mean (weights taken in absolute value, so it stays within the
    prices merged even if a group mixed sales and returns); a group sharing one price keeps it exactly.
    """
    weights = lines[QUANTITY].abs()
    work = lines.assign(_weight=weights, _amount=weights * lines[UNIT_PRICE])
    merged = (
        work.groupby([INVOICE, STOCK_CODE], sort=False)
        .agg(
            **{
                QUANTITY: (QUANTITY, "sum"),
                "_weight": ("_weight", "sum"),
                "_amount": ("_amount", "sum"),
                "_low": (UNIT_PRICE, "min"),
                "_high": (UNIT_PRICE, "max"),
                CUSTOMER: (CUSTOMER, "first"),
                INVOICE_DATE: (INVOICE_DATE, "first"),
            }
        )
        .reset_index()
    )
    merged[UNIT_PRICE] = np.where(
        merged["_low"] == merged["_high"], merged["_low"], merged["_amount"] / merged["_weight"]
    )
    return merged.drop(columns=["_weight", "_amount", "_low", "_high"])


def _orders(merged: pd.DataFrame) -> pd.DataFrame:
    orders = pd.DataFrame(
        {
            c.ORDER_ID: merged[INVOICE],
            c.CUSTOMER_ID: merged[CUSTOMER],
            c.ORDERED_AT: merged[INVOICE_DATE],
            c.CHANNEL: IMPORT_CHANNEL,
            c.SKU: merged[STOCK_CODE],
            c.QUANTITY: merged[QUANTITY],
            c.UNIT_PRICE: merged[UNIT_PRICE],
            c.DISCOUNT: 0.0,
            c.CAMPAIGN_ID: pd.Series(pd.NA, index=merged.index, dtype="str"),
        }
    )
    return orders.sort_values([c.ORDERED_AT, c.ORDER_ID, c.SKU], kind="stable").reset_index(drop=True)


def _listing(values: pd.Series, most: int = 20) -> str:
    shown = ", ".join(values.head(most))
    return shown + (f" and {len(values) - most:,} more" if len(values) > most else "")


def import_online_retail(path: Path) -> ImportResult:
    """Import the UCI Online Retail file as customers, products and order lines, with a report.

    Non-product codes (postage, fees, manual adjustments, discounts, vouchers) are kept as products of
    category ``features.vocab.NON_PRODUCT_CATEGORY`` so order totals stay true to the file; lines with a
    negative price (bad-debt adjustments) or a zero price (free samples, stock adjustments) are dropped;
    cancellations become returns; duplicate (invoice, code) lines are merged.
    """
    raw = read_online_retail(path)
    if raw.empty:
        raise ImportFormatError(f"{path}: no invoice lines below the header")
    first, last = raw[INVOICE_DATE].min(), raw[INVOICE_DATE].max()
    report = [
        f"read {len(raw):,} lines on {raw[INVOICE].nunique():,} invoices from {path.name} "
        f"({first:%Y-%m-%d %H:%M} to {last:%Y-%m-%d %H:%M})"
    ]
    lines, folded = _fold_code_case(raw)
    lines, straddling, multi_customer = _stamp_invoices(lines)
    customers, several_countries = _customers(lines)

    negative = lines[UNIT_PRICE] < 0
    zero = lines[UNIT_PRICE] == 0
    is_return = lines[INVOICE].str.startswith(CANCELLATION_PREFIX)
    adjustments = int((zero & ~is_return & (lines[QUANTITY] < 0)).sum())
    kept = lines[~negative & ~zero]

    merged = _merge_duplicate_lines(kept)
    repeats = len(kept) - len(merged)
    zero_sum = merged[QUANTITY] == 0
    merged = merged[~zero_sum]
    orders = _orders(merged)
    products = build_products(
        kept.rename(
            columns={
                STOCK_CODE: c.SKU,
                DESCRIPTION: c.NAME,
                UNIT_PRICE: c.UNIT_PRICE,
                QUANTITY: c.QUANTITY,
                INVOICE: c.ORDER_ID,
                CUSTOMER: c.CUSTOMER_ID,
                INVOICE_DATE: c.ORDERED_AT,
            }
        ),
        file_end=last,
    )

    guest = lines[CUSTOMER].isna()
    non_product = products[c.CATEGORY] == NON_PRODUCT_CATEGORY
    non_product_codes = products.loc[non_product, c.SKU]
    non_product_lines = int(orders[c.SKU].isin(non_product_codes).sum())
    order_ids = orders[c.ORDER_ID]
    returns = order_ids.str.startswith(CANCELLATION_PREFIX)
    categories = products.loc[~non_product, c.CATEGORY].value_counts()
    replenishable = int(products[c.IS_REPLENISHABLE].sum())
    report += [
        f"{int(guest.sum()):,} lines have no CustomerID: kept as guest orders (customer_id empty)",
        f"{int(is_return.sum()):,} lines on cancellation invoices (InvoiceNo starting with "
        f"'{CANCELLATION_PREFIX}') kept as returns: own order_id, negative quantities",
        f"dropped {int(negative.sum()):,} lines with a negative unit price (bad-debt adjustments)",
        f"dropped {int(zero.sum()):,} lines with a zero unit price (free samples and stock adjustments, "
        f"not sales; {adjustments:,} of them negative-quantity stock write-offs)",
        f"folded {folded:,} lower-case stock codes into their upper-case twin (e.g. 85123a is 85123A)",
        f"merged {repeats:,} duplicate (InvoiceNo, StockCode) lines into the line they repeat "
        f"(quantities summed, quantity-weighted price); "
        f"dropped {int(zero_sum.sum()):,} merged lines whose quantities sum to 0",
        f"{straddling:,} invoices spanning two timestamps: every line stamped with the invoice's first; "
        f"{multi_customer:,} invoices naming several customers",
        f"kept {non_product_lines:,} order lines of {len(non_product_codes):,} non-product codes "
        f"({_listing(non_product_codes)}) as "
        f"products of category '{NON_PRODUCT_CATEGORY}', so order totals stay true to the file",
        f"orders: {len(orders):,} lines on {order_ids.nunique():,} orders, of which "
        f"{order_ids[returns].nunique():,} returns ({int(returns.sum()):,} lines); channel "
        f"'{IMPORT_CHANNEL}', no discount, no campaign",
        f"customers: {len(customers):,} (created_at = first invoice, region = most frequent country; "
        f"{several_countries:,} bought from several countries)",
        f"products: {len(products):,} (name = most frequent description, unit_price = median price, "
        f"in stock = sold in the last {IN_STOCK_WINDOW.days} days of the file: "
        f"{int(products[c.IN_STOCK].sum()):,})",
        "categories by keywords in the name: " + ", ".join(f"{k} {v:,}" for k, v in categories.items()),
        f"unit_margin is not in the data: assumed {ASSUMED_MARGIN_SHARE:.0%} of the unit price "
        f"(0 for non-products)",
        f"replenishable products: {replenishable:,} (at least {REPLENISHABLE_MIN_REPEAT_SHARE:.0%} of "
        f"at least {REPLENISHABLE_MIN_BUYERS} known buyers bought them on 2+ invoices)",
    ]
    return assemble(customers, products, orders, report)
