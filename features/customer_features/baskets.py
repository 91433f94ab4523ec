"""Omnichannel mix, category preferences, discounts and returns."""

from __future__ import annotations

import numpy as np
import pandas as pd

from features import columns as c
from features import vocab
from features.arrays import arrow_keys, positions
from features.customer_features import names as n
from features.customer_features.grouping import CustomerIndex, ratio
from features.customer_features.order_summary import OrderSummary
from features.dataset import line_amounts


def channel_features(summary: OrderSummary, index: CustomerIndex) -> dict[str, np.ndarray]:
    codes, buy = summary.customer, summary.is_purchase
    n_orders = index.count(codes, buy)
    spend = index.total(codes, summary.amount, buy)
    out: dict[str, np.ndarray] = {}
    used = np.zeros(len(index))
    for channel in vocab.ORDER_CHANNELS:
        on_channel = buy & (summary.channel == channel)
        count = index.count(codes, on_channel)
        channel_spend = index.total(codes, summary.amount, on_channel)
        out[n.order_share(channel)] = ratio(count, n_orders)
        out[n.spend_share(channel)] = ratio(channel_spend, spend)
        out[n.avg_basket(channel)] = ratio(channel_spend, count)
        used += count > 0
    out[n.N_CHANNELS] = used
    out[n.DISCOUNT_SHARE] = ratio(index.count(codes, buy & summary.discounted), n_orders)
    first = np.full(len(index), np.nan)
    # Summary entries are time-sorted per customer; writing in reverse leaves the first purchase.
    purchase_codes, purchase_amounts = codes[buy], summary.amount[buy]
    first[purchase_codes[::-1]] = purchase_amounts[::-1]
    out[n.FIRST_ORDER_VALUE] = first
    return out


def product_categories(products: pd.DataFrame) -> list[str]:
    """Categories that describe a taste (non-products such as delivery fees excluded), sorted."""
    categories = products[c.CATEGORY].dropna().unique()
    return sorted(str(x) for x in categories if x != vocab.NON_PRODUCT_CATEGORY)


def category_features(
    orders: pd.DataFrame, products: pd.DataFrame, index: CustomerIndex
) -> dict[str, np.ndarray]:
    codes = index.codes(orders[c.CUSTOMER_ID])
    amounts = line_amounts(orders)
    bought = orders[c.QUANTITY].to_numpy() > 0
    line_category, category_names = _line_categories(orders, products)
    real = line_category != _code_of(category_names, vocab.NON_PRODUCT_CATEGORY)
    product_spend = index.total(codes, amounts, bought & real)
    out: dict[str, np.ndarray] = {}
    tried = np.zeros(len(index))
    for category in product_categories(products):
        spend = index.total(codes, amounts, bought & (line_category == _code_of(category_names, category)))
        out[n.category_share(category)] = ratio(spend, product_spend)
        tried += spend > 0
    out[n.N_CATEGORIES] = tried
    returned = np.abs(index.total(codes, amounts, ~bought))
    out[n.RETURN_RATE] = ratio(returned, index.total(codes, amounts, bought))
    return out


def _line_categories(orders: pd.DataFrame, products: pd.DataFrame) -> tuple[np.ndarray, list[str]]:
    """Each order line's product category as a code into the returned names (-1: unknown product or
    no category). Codes, not texts: comparing hundreds of thousands of strings per category was slow."""
    skus = products[c.SKU]
    if not skus.is_unique:  # the mapping is ambiguous: let pandas say so, as it always did
        orders[c.SKU].map(products.set_index(c.SKU)[c.CATEGORY])
    category_code, names = pd.factorize(products[c.CATEGORY])
    if len(skus) == 0:
        return np.full(len(orders), -1, dtype=np.int64), []
    at = positions(orders[c.SKU], arrow_keys(skus))
    return np.where(at >= 0, category_code[np.maximum(at, 0)], -1), [str(name) for name in names]


def _code_of(names: list[str], name: str) -> int:
    return names.index(name) if name in names else -2
