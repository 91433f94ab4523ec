"""Who may receive which offer as of a date: the catalogue's rules, validity dates and weekly pressure cap."""

from __future__ import annotations

import numpy as np
import pandas as pd

from features import columns as c
from features.dataset import Dataset, rows_before
from features.offers.catalogue import OfferCatalogue
from features.vocab import NON_PRODUCT_CATEGORY

WEB_CHANNELS = ("web", "app")
PRESSURE_WINDOW = pd.Timedelta(days=7)
SHOP_SPEND = "shop spend by category"  # key of :func:`shop_spend` in Dataset.shared


def customer_flags(dataset: Dataset, as_of: pd.Timestamp) -> pd.DataFrame:
    """One row per customer known before ``as_of``: the facts the eligibility rules read."""
    # the tables read, cut at as_of (Dataset.before would also copy the contacts to blank outcomes not read)
    customers = rows_before("customers", dataset.customers, as_of)
    ids = customers[c.CUSTOMER_ID]
    orders = rows_before("orders", dataset.orders, as_of)
    orders = orders[orders[c.QUANTITY] > 0]
    n_orders = orders.groupby(c.CUSTOMER_ID)[c.ORDER_ID].nunique().reindex(ids, fill_value=0)
    web = orders[orders[c.CHANNEL].isin(WEB_CHANNELS)].groupby(c.CUSTOMER_ID)[c.ORDER_ID].nunique()
    contacts = rows_before("contacts", dataset.contacts, as_of)
    offers = contacts[contacts[c.OFFER_ID].notna()]
    recent = offers[offers[c.SENT_AT] >= as_of - PRESSURE_WINDOW].groupby(c.CUSTOMER_ID).size()
    customers = customers.set_index(c.CUSTOMER_ID)
    return pd.DataFrame(
        {
            "orders": n_orders.to_numpy(),
            "web_orders": web.reindex(ids, fill_value=0).to_numpy(),
            "has_web_account": customers[c.HAS_WEB_ACCOUNT].reindex(ids).fillna(False).to_numpy(dtype=bool),
            "has_loyalty_card": customers[c.LOYALTY_CARD_ID].reindex(ids).notna().to_numpy(),
            "offers_last_week": recent.reindex(ids, fill_value=0).to_numpy(),
        },
        index=pd.Index(ids, name=c.CUSTOMER_ID),
    )


def _category_spend(dataset: Dataset, as_of: pd.Timestamp, allowed: tuple[str, ...]) -> pd.DataFrame:
    """Net spend per (customer, product category) before ``as_of``, positive only, best first per customer
    (ties to the first name); categories limited to ``allowed`` unless it is empty."""
    orders = rows_before("orders", dataset.orders, as_of)  # the one table read (see customer_flags)
    o = orders[orders[c.CUSTOMER_ID].notna()]
    category = o[c.SKU].map(dataset.products.set_index(c.SKU)[c.CATEGORY])
    ok = category.notna() & (category != NON_PRODUCT_CATEGORY)
    if allowed:
        ok &= category.isin(allowed)
    spend = (o[c.QUANTITY] * o[c.UNIT_PRICE] * (1 - o[c.DISCOUNT]))[ok]
    table = pd.DataFrame({"cust": o.loc[ok, c.CUSTOMER_ID], "cat": category[ok], "spend": spend})
    totals = table.groupby(["cust", "cat"], sort=True)["spend"].sum().reset_index()
    totals = totals[totals["spend"] > 0]
    return totals.sort_values(["cust", "spend", "cat"], ascending=[True, False, True])


def favourite_categories(
    dataset: Dataset,
    as_of: pd.Timestamp,
    ids: pd.Index,
    allowed: tuple[str, ...] = (),
    personal: np.ndarray | None = None,
) -> np.ndarray:
    """Per customer of ``ids``, the product category of most net spend before ``as_of`` among ``allowed``
    (every product category when empty), "" when they bought none; ties go to the first name.

    Customers with ``personal`` False (no profiling consent) get the shop's category of most spend
    instead: choosing from their own history would be profiling them."""
    totals = _category_spend(dataset, as_of, allowed)
    best = totals.drop_duplicates("cust").set_index("cust")["cat"]
    out = best.reindex(ids).fillna("").to_numpy(dtype=object)
    if personal is not None and not np.all(personal):
        shop = shop_spend(dataset, as_of)
        if allowed:
            shop = shop[shop.index.isin(allowed)]
        shop = shop.sort_index()
        top = str(shop.idxmax()) if len(shop) else ""
        out = np.where(np.asarray(personal, dtype=bool), out, top).astype(object)
    return out


def shop_spend(dataset: Dataset, as_of: pd.Timestamp) -> pd.Series:
    """The shop's net spend per product category before ``as_of`` (each customer's positive totals,
    summed). A fact of the whole shop: a data set holding one partition of the customers is given the
    whole data's (:func:`with_shop_spend`)."""
    key = (SHOP_SPEND, pd.Timestamp(as_of))
    return dataset.shared(key, lambda: _category_spend(dataset, as_of, ()).groupby("cat")["spend"].sum())


def with_shop_spend(dataset: Dataset, as_of: pd.Timestamp, spend: pd.Series) -> Dataset:
    """``dataset`` (a partition of the customers) answering :func:`shop_spend` at ``as_of`` with
    ``spend``, the whole data's."""
    dataset.shared((SHOP_SPEND, pd.Timestamp(as_of)), lambda: spend)
    return dataset


def rule_mask(flags: pd.DataFrame, rule: str) -> np.ndarray:
    predicates = {
        "new_customer": flags["orders"] == 0,
        "has_ordered": flags["orders"] > 0,
        "no_web_order": flags["web_orders"] == 0,
        "no_web_account": ~flags["has_web_account"],
        "no_loyalty_card": ~flags["has_loyalty_card"],
    }
    return predicates[rule].to_numpy(dtype=bool)


def eligibility(flags: pd.DataFrame, catalogue: OfferCatalogue, at: pd.Timestamp) -> pd.DataFrame:
    """Customers x offers: True where the offer is valid at ``at``, every rule holds and the customer has
    not had ``max_offers_per_week`` offers in the last 7 days on any channel."""
    under_cap = (flags["offers_last_week"] < catalogue.max_offers_per_week).to_numpy()
    out = {}
    for offer in catalogue.offers:
        ok = under_cap & offer.valid_at(at)
        for rule in offer.eligibility:
            ok = ok & rule_mask(flags, rule)
        out[offer.id] = ok
    return pd.DataFrame(out, index=flags.index)
