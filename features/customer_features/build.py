"""One row of point-in-time features per customer known before the cutoff."""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import replace

import numpy as np
import pandas as pd

from features import columns as c
from features.customer_features import names as n
from features.customer_features.attribution import EventOwners
from features.customer_features.baskets import category_features, channel_features
from features.customer_features.campaigns import campaign_features
from features.customer_features.consent import consent_state
from features.customer_features.grouping import CustomerIndex, as_datetime, days_between
from features.customer_features.order_summary import summarise_orders
from features.customer_features.rfm import rfm_features
from features.customer_features.web import web_features
from features.dataset import Dataset
from features.schema import TABLES

AS_OF_COLUMN = "as_of"
# The groups of features beside the customer's profile, in the order they are built; a caller that reads
# only some (the intent model reads the profile and order history) builds only those.
GROUPS: tuple[str, ...] = ("orders", "categories", "web", "campaigns", "consents")
# The tables each group reads beside the customers (the profile's): a build of some groups reads and cuts
# only these. The contacts' conversions are known by the orders placed before the cutoff, and the web
# group counts the orders of each session.
GROUP_TABLES: dict[str, tuple[str, ...]] = {
    "orders": ("orders",),
    "categories": ("orders", "products"),
    "web": ("events", "orders"),
    "campaigns": ("contacts", "orders"),
    "consents": ("consents",),
}

# Columns a feature build reads (the rest of each table is never loaded).
FEATURE_COLUMNS: dict[str, tuple[str, ...]] = {
    "customers": TABLES["customers"].column_names,
    "products": TABLES["products"].column_names,
    "orders": (
        c.ORDER_ID,
        c.CUSTOMER_ID,
        c.ORDERED_AT,
        c.CHANNEL,
        c.SKU,
        c.QUANTITY,
        c.UNIT_PRICE,
        c.DISCOUNT,
    ),
    "events": (c.OCCURRED_AT, c.VISITOR_ID, c.CUSTOMER_ID, c.SESSION_ID, c.EVENT_TYPE, c.SKU),
    "contacts": (c.CUSTOMER_ID, c.CHANNEL, c.SENT_AT, c.OPENED_AT, c.CLICKED_AT, c.CONVERTED_ORDER_ID),
    "consents": (c.CUSTOMER_ID, c.PURPOSE, c.GRANTED, c.RECORDED_AT),
}
PARTLY_READ: tuple[str, ...] = ("orders", "events", "contacts", "consents")  # tables of which some is unread


def feature_groups(groups: Collection[str]) -> tuple[str, ...]:
    """``groups`` checked against :data:`GROUPS`, in their order (one name for the same set)."""
    unknown = set(groups) - set(GROUPS)
    if unknown:
        raise ValueError(f"unknown feature groups {sorted(unknown)}: choose among {GROUPS}")
    return tuple(group for group in GROUPS if group in groups)


def tables_read(groups: Collection[str]) -> frozenset[str]:
    """The tables a build of ``groups`` reads: the customers and those of :data:`GROUP_TABLES`."""
    return frozenset({"customers"}.union(*(GROUP_TABLES[group] for group in feature_groups(groups))))


def _profile(customers: pd.DataFrame, as_of: pd.Timestamp) -> dict[str, np.ndarray]:
    now = np.datetime64(as_of.to_datetime64(), "us")
    return {
        n.AGE: (as_of.year - customers[c.BIRTH_YEAR].astype("float64")).to_numpy(),
        n.REGION: customers[c.REGION].to_numpy(),
        n.GENDER: customers[c.GENDER].to_numpy(),
        n.ACQUISITION_CHANNEL: customers[c.ACQUISITION_CHANNEL].to_numpy(),
        n.HAS_WEB_ACCOUNT: customers[c.HAS_WEB_ACCOUNT].to_numpy(),
        n.HAS_LOYALTY_CARD: customers[c.LOYALTY_CARD_ID].notna().to_numpy(),
        n.TENURE_DAYS: days_between(now, as_datetime(customers[c.CREATED_AT])),
    }


def build_customer_features(
    dataset: Dataset,
    as_of: pd.Timestamp | str,
    progress: Callable[[str], None] | None = None,
    groups: Collection[str] = GROUPS,
) -> pd.DataFrame:
    """Features of every customer created before ``as_of``, from rows strictly before ``as_of`` only:
    the profile and ``groups`` (all by default).

    The data set is sliced first (:meth:`Dataset.before`), so no function below can see the future.
    """
    as_of = pd.Timestamp(as_of)
    return features_of_past(
        read_columns(dataset, groups).before(as_of), as_of, progress=progress, groups=groups
    )


def read_columns(dataset: Dataset, groups: Collection[str] = GROUPS) -> Dataset:
    """``dataset`` with only the columns a feature build of ``groups`` reads (:data:`FEATURE_COLUMNS`),
    no row of the tables it does not read, and no assignments (none is read), sharing the loaded buffers:
    a cut of it copies no column that no feature reads (a third of the data set's memory, at each of a
    training pipeline's cutoffs), nor any table of a group not built (the events, for the order history)."""
    read = tables_read(groups)
    frames = {name: _columns(getattr(dataset, name), FEATURE_COLUMNS[name]) for name in PARTLY_READ}
    for name in FEATURE_COLUMNS:
        if name not in read:
            frames[name] = frames.get(name, getattr(dataset, name)).iloc[:0]
    return replace(dataset, assignments=dataset.assignments.iloc[:0], **frames)


def _columns(frame: pd.DataFrame, names: tuple[str, ...]) -> pd.DataFrame:
    return pd.DataFrame({col: frame[col] for col in names if col in frame}, index=frame.index, copy=False)


def features_of_past(
    past: Dataset,
    as_of: pd.Timestamp,
    owners: Callable[[CustomerIndex], EventOwners] | None = None,
    progress: Callable[[str], None] | None = None,
    groups: Collection[str] = GROUPS,
) -> pd.DataFrame:
    """Features of the customers of ``past``, a data set already sliced at ``as_of``: the profile and the
    ``groups`` of :data:`GROUPS` asked for (all by default).

    A partition of the customers (with their rows) gives their rows of the whole table: every feature is
    a function of one customer's rows, except whom an event counts for, which ``owners`` can supply as
    decided over all events (:mod:`features.customer_features.attribution`).
    """
    step = progress or (lambda _name: None)
    customers = past.customers.sort_values(c.CUSTOMER_ID, kind="stable").reset_index(drop=True)
    index = CustomerIndex(pd.Index(customers[c.CUSTOMER_ID]))
    columns: dict[str, np.ndarray] = _profile(customers, as_of)
    groups = feature_groups(groups)
    if "orders" in groups:
        step("orders")
        summary = summarise_orders(past.orders, index)
        columns.update(rfm_features(summary, index, as_of))
        columns.update(channel_features(summary, index))
    if "categories" in groups:
        step("categories")
        columns.update(category_features(past.orders, past.products, index))
    if "web" in groups:
        step("web")
        event_owners = owners(index) if owners is not None else None
        columns.update(web_features(past.events, past.orders, index, as_of, event_owners))
    if "campaigns" in groups:
        step("campaigns")
        columns.update(campaign_features(past.contacts, index, as_of))
    if "consents" in groups:
        step("consents")
        consent = consent_state(past.consents, index.ids, as_of)
        for purpose in consent.columns:
            columns[n.consent(purpose)] = consent[purpose].to_numpy()
    frame = pd.DataFrame(columns, index=index.ids)
    frame.index.name = c.CUSTOMER_ID
    frame.insert(0, AS_OF_COLUMN, as_of)
    return frame.reset_index()
