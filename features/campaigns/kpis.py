"""KPIs by channel, segment and month: what the white paper and the exam reason in (web vs phone basket,
account openings, call-campaign conversion).

One frame, one row per group. Sales measures (orders, revenue, margin, repeat rate) come from ``orders`` by
the order's channel; account openings from ``customers`` by acquisition channel; campaign measures
(contacts, opens, clicks, conversions) from ``contacts`` by contact channel. ``phone`` is both a sales and
a contact channel: its row carries both. Incremental conversions need a control group: each measured
campaign's effect (``features/campaigns/results.py``) spread over its treated customers, counted where
they fall (the campaign's channel, the customer's segment, the month of the pick); NaN where no campaign
with a control group measures them.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from features import clock, vocab
from features import columns as c
from features.campaigns.pick_stats import BY_CONTACT, N
from features.campaigns.results import campaign_results, picks
from features.dataset import Dataset, line_amounts, line_margins
from features.errors import CibleError

SEGMENT = "segment"
MONTH = "month"
GROUPS = (c.CHANNEL, SEGMENT, MONTH)
UNASSIGNED = "unassigned"  # guests and customers absent from the memberships
KPI_COLUMNS = (
    "active_customers",
    "orders",
    "revenue",
    "average_basket",
    "margin",
    "average_margin",
    "repeat_rate",
    "account_openings",
    "contacts",
    "opens",
    "clicks",
    "conversions",
    "incremental_conversions",
)
# a group's customers who had ordered before, and its customers: the repeat rate's terms
REPEATING, ACTIVE = "_repeating", "_active"
COUNTS = ("active_customers", "orders", "account_openings", "contacts", "opens", "clicks", "conversions")


class KpiGroupError(CibleError, ValueError):
    """``--by`` names a grouping KPIs do not have."""


def _within(times: pd.Series, since: pd.Timestamp, until: pd.Timestamp | None) -> np.ndarray:
    keep = (times >= since).to_numpy(dtype=bool)
    if until is not None:
        keep = keep & (times < until).to_numpy(dtype=bool)
    return keep


def _labelled(
    frame: pd.DataFrame, time_column: str, channel_column: str, segments: pd.Series
) -> pd.DataFrame:
    return frame.assign(
        **{
            c.CHANNEL: frame[channel_column].astype(str),
            SEGMENT: segment_labels(frame, segments),
            MONTH: frame[time_column].dt.strftime("%Y-%m"),
        }
    )


def segment_of(memberships: pd.DataFrame | None) -> pd.Series:
    if memberships is None:
        return pd.Series(dtype=str)
    return pd.Series(
        memberships[SEGMENT].astype(str).to_numpy(), index=memberships[c.CUSTOMER_ID].astype(str)
    )


def _incremental(
    dataset: Dataset, start: pd.Timestamp, end: pd.Timestamp | None, keys: list[str], segments: pd.Series
) -> pd.Series:
    """Incremental conversions per group: a campaign's measured effect (treated minus control conversion
    rate) once per treated customer; campaigns without a control group add nothing."""
    as_of = end if end is not None else clock.now()
    pick = picks(dataset.before(as_of))
    labelled = pick.assign(**{SEGMENT: segment_labels(pick, segments)})
    treated = treated_picks(labelled, start, end)
    return incremental_conversions(campaign_results(dataset, as_of), treated, keys)


def treated_picks(
    pick: pd.DataFrame, start: pd.Timestamp, end: pd.Timestamp | None, by_contact: np.ndarray | None = None
) -> pd.DataFrame:
    """The number of treated picks assigned in ``[start, end)`` per campaign, ``by_contact`` (flags the
    picks made from contacts, none by default), channel, the customer's ``segment`` and month: what
    :func:`incremental_conversions` spreads a campaign's effect over, summed over customer partitions."""
    flag = np.zeros(len(pick), dtype=bool) if by_contact is None else np.asarray(by_contact, dtype=bool)
    keep = (pick[c.GROUP] == vocab.TREATED).to_numpy(dtype=bool) & _within(pick[c.ASSIGNED_AT], start, end)
    treated = pick[[c.CAMPAIGN_ID, c.CHANNEL, SEGMENT, c.ASSIGNED_AT]][keep]
    keys = [
        treated[c.CAMPAIGN_ID],
        flag[keep],
        treated[c.CHANNEL],
        treated[SEGMENT],
        treated[c.ASSIGNED_AT].dt.to_period("M"),
    ]
    counts = treated.groupby(keys, observed=True, dropna=False).size().rename(N)
    counts.index.names = [c.CAMPAIGN_ID, BY_CONTACT, c.CHANNEL, SEGMENT, MONTH]
    counts = counts.reset_index()
    return counts.assign(
        **{
            c.CAMPAIGN_ID: counts[c.CAMPAIGN_ID].astype(str),
            c.CHANNEL: counts[c.CHANNEL].astype(str),
            SEGMENT: counts[SEGMENT].astype(str),
            MONTH: counts[MONTH].dt.strftime("%Y-%m"),
        }
    )


def incremental_conversions(results: pd.DataFrame, treated: pd.DataFrame, keys: list[str]) -> pd.Series:
    """Incremental conversions per group of the campaign ``results`` and their :func:`treated_picks`."""
    measured = results.loc[results["has_control"].astype(bool)].set_index(c.CAMPAIGN_ID)
    effect = measured["incremental_conversion_rate"].astype(float).dropna()
    treated = treated[treated[c.CAMPAIGN_ID].isin(effect.index).to_numpy()]
    effects = treated[c.CAMPAIGN_ID].map(effect).to_numpy(dtype=np.float64) * treated[N].to_numpy()
    return treated.assign(_effect=effects).groupby(keys)["_effect"].sum().rename("incremental_conversions")


def segment_labels(frame: pd.DataFrame, segments: pd.Series) -> pd.Series:
    return frame[c.CUSTOMER_ID].map(segments).astype(object).fillna(UNASSIGNED).astype(str)


def channel_kpis(
    dataset: Dataset,
    since: pd.Timestamp | str,
    until: pd.Timestamp | str | None = None,
    by: Sequence[str] = (c.CHANNEL, MONTH),
    memberships: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """KPIs of ``[since, until)`` per group of ``by`` (any of channel, segment, month).

    ``memberships`` holds ``customer_id`` and ``segment`` (one segment per customer, e.g. the RFM segment);
    without it every customer is "unassigned". Repeat rate: the share of the group's active customers who
    had ordered before (at any time, on any channel) the order that makes them active in the group.
    """
    keys = group_keys(by)
    start = pd.Timestamp(since)
    end = pd.Timestamp(until) if until is not None else None
    segments = segment_of(memberships)
    sums = kpi_sums(dataset, start, end, keys, segments)
    return finish_kpis(sums, _incremental(dataset, start, end, keys, segments), keys)


def group_keys(by: Sequence[str]) -> list[str]:
    keys = list(dict.fromkeys(by))
    unknown = [k for k in keys if k not in GROUPS]
    if unknown or not keys:
        raise KpiGroupError(f"--by takes one or more of {', '.join(GROUPS)}; got {', '.join(by) or 'none'}")
    return keys


def kpi_sums(
    dataset: Dataset, start: pd.Timestamp, end: pd.Timestamp | None, keys: list[str], segments: pd.Series
) -> pd.DataFrame:
    """The KPIs' counts and sums per group (indexed by ``keys``), but incremental conversions: what the
    data sets of disjoint customer partitions give summed (a customer's and a guest order's rows are all
    in one partition), for :func:`finish_kpis`."""
    orders = dataset.orders
    if end is not None:
        orders = orders[(orders[c.ORDERED_AT] < end).to_numpy()]
    orders = orders.assign(_amount=line_amounts(orders), _margin=line_margins(orders, dataset.products))
    first = orders.groupby(c.CUSTOMER_ID)[c.ORDERED_AT].min()
    sales = _labelled(orders[_within(orders[c.ORDERED_AT], start, end)], c.ORDERED_AT, c.CHANNEL, segments)
    sales["_returning"] = (sales[c.ORDERED_AT] > sales[c.CUSTOMER_ID].map(first)).to_numpy(dtype=bool)
    grouped = sales.groupby(keys)
    per_customer = sales.dropna(subset=[c.CUSTOMER_ID]).groupby([*keys, c.CUSTOMER_ID])["_returning"].any()
    returning = per_customer.groupby(level=keys)
    sold = pd.DataFrame(
        {
            "active_customers": sales.groupby(keys)[c.CUSTOMER_ID].nunique(),
            "orders": grouped[c.ORDER_ID].nunique(),
            "revenue": grouped["_amount"].sum(),
            "margin": grouped["_margin"].sum(),
            REPEATING: returning.sum().astype(np.float64),
            ACTIVE: returning.size().astype(np.float64),
        }
    )

    customers = dataset.customers
    opened = _labelled(
        customers[_within(customers[c.CREATED_AT], start, end)], c.CREATED_AT, c.ACQUISITION_CHANNEL, segments
    )
    openings = opened.groupby(keys).size().rename("account_openings")

    contacts = dataset.contacts
    sent = _labelled(contacts[_within(contacts[c.SENT_AT], start, end)], c.SENT_AT, c.CHANNEL, segments)
    touched = sent.groupby(keys)
    campaign = pd.DataFrame(
        {
            "contacts": touched.size(),
            "opens": touched[c.OPENED_AT].count(),
            "clicks": touched[c.CLICKED_AT].count(),
            "conversions": touched[c.CONVERTED_ORDER_ID].count(),
        }
    )
    return pd.concat([sold, openings, campaign], axis=1)


def finish_kpis(sums: pd.DataFrame, incremental: pd.Series, keys: list[str]) -> pd.DataFrame:
    """The KPI frame of :func:`kpi_sums` (one frame, or partitions' summed) and incremental conversions."""
    out = pd.concat([sums, incremental], axis=1).sort_index()
    with np.errstate(divide="ignore", invalid="ignore"):
        out["repeat_rate"] = (out[REPEATING] / out[ACTIVE]).where(out[ACTIVE] > 0)
    out = out.drop(columns=[REPEATING, ACTIVE])
    for column in COUNTS:
        out[column] = out[column].fillna(0).astype("int64") if column in out else 0
    for column in ("revenue", "margin"):
        out[column] = out[column].fillna(0.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        out["average_basket"] = (out["revenue"] / out["orders"]).where(out["orders"] > 0)
        out["average_margin"] = (out["margin"] / out["orders"]).where(out["orders"] > 0)
    out.index.names = keys
    return out.reset_index()[[*keys, *KPI_COLUMNS]]
