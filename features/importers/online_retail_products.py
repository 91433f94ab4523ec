"""The Online Retail catalogue: one product per stock code, built from the order lines that were kept.

The file has no product table, so every product attribute is read off its sales: the name people saw
most often, the median price paid, whether it still sold near the end of the file, whether its buyers
came back for it. Only the margin is assumed (see ``assumptions.py``).
"""

from __future__ import annotations

import pandas as pd

from features import columns as c
from features.importers.assumptions import ASSUMED_MARGIN_SHARE
from features.importers.categories import categorise
from features.vocab import NON_PRODUCT_CATEGORY

# Real products have a numeric code (5 digits, optional letter suffix: 85123A) or a DCGS code (goods
# the shop listed on marketplaces: bags, collars, lights). Every other code is a fee or an adjustment:
# POST, DOT, C2 (postage, carriage), M (manual), D (discount), S (samples), B (bad debt), BANK CHARGES,
# AMAZONFEE, CRUK (charity commission), PADS, gift_0001_* (gift vouchers).
PRODUCT_CODE_PATTERN = r"\d|DCGS"

# "In stock" is not in the file; a product still selling in the last quarter of it is taken to be on sale.
IN_STOCK_WINDOW = pd.Timedelta(days=90)

# Replenishable = bought again and again by the same people. A product qualifies when at least this
# share of its known buyers bought it on two or more invoices...
REPLENISHABLE_MIN_REPEAT_SHARE = 0.25
# ...and it has enough known buyers for that share to mean something (3 buyers of whom 1 came back is
# chance, not a habit).
REPLENISHABLE_MIN_BUYERS = 10


def is_non_product_code(codes: pd.Series) -> pd.Series:
    """True for codes that are not goods: postage, fees, manual adjustments, discounts, vouchers."""
    return ~codes.str.match(PRODUCT_CODE_PATTERN)


def _names(lines: pd.DataFrame) -> pd.Series:
    """The description seen most often per code (ties: alphabetical first); the code when none."""
    described = lines[lines[c.NAME].notna()]
    counts = described.groupby([c.SKU, c.NAME], sort=False).size().rename("n").reset_index()
    counts = counts.sort_values(["n", c.NAME], ascending=[False, True], kind="stable")
    return counts.drop_duplicates(c.SKU).set_index(c.SKU)[c.NAME]


def _replenishable(lines: pd.DataFrame) -> pd.Series:
    """Per code: enough known buyers, and enough of them bought it on 2+ distinct invoices."""
    bought = lines[(lines[c.QUANTITY] > 0) & lines[c.CUSTOMER_ID].notna()]
    visits = bought.drop_duplicates([c.SKU, c.CUSTOMER_ID, c.ORDER_ID]).groupby([c.SKU, c.CUSTOMER_ID]).size()
    per_code = (visits >= 2).groupby(level=c.SKU).agg(["size", "mean"])
    return (per_code["size"] >= REPLENISHABLE_MIN_BUYERS) & (
        per_code["mean"] >= REPLENISHABLE_MIN_REPEAT_SHARE
    )


def build_products(lines: pd.DataFrame, file_end: pd.Timestamp) -> pd.DataFrame:
    """Products from kept order lines (columns sku, name, unit_price, quantity, order_id, customer_id,
    ordered_at; prices all positive). ``file_end`` is the file's last timestamp, the "now" of in_stock.

    Non-products get category ``non_product``, no margin (fees and postage pass through) and are never
    replenishable (they are never recommended).
    """
    by_code = lines.groupby(c.SKU)
    skus = pd.Index(by_code.size().index, name=c.SKU)
    names = _names(lines).reindex(skus)
    names = names.fillna(pd.Series(skus, index=skus))
    price = by_code[c.UNIT_PRICE].median().reindex(skus)
    recent = lines[(lines[c.QUANTITY] > 0) & (lines[c.ORDERED_AT] > file_end - IN_STOCK_WINDOW)]
    in_stock = skus.isin(recent[c.SKU].unique())
    replenishable = _replenishable(lines).reindex(skus, fill_value=False).astype(bool)
    non_product = is_non_product_code(pd.Series(skus, index=skus))
    categories = categorise(names)
    category = categories["category"].where(~non_product, NON_PRODUCT_CATEGORY)
    subcategory = categories["subcategory"].where(~non_product)
    # Rounded to 1/100 of a penny: the share is an assumption, its float noise is not information.
    margin = (price * ASSUMED_MARGIN_SHARE).round(4).where(~non_product, 0.0)
    return pd.DataFrame(
        {
            c.SKU: skus,
            c.NAME: names.to_numpy(),
            c.CATEGORY: category.to_numpy(),
            c.SUBCATEGORY: subcategory.to_numpy(),
            c.UNIT_PRICE: price.to_numpy(),
            c.UNIT_MARGIN: margin.to_numpy(),
            c.IN_STOCK: in_stock,
            c.IS_REPLENISHABLE: (replenishable & ~non_product).to_numpy(),
        }
    )
