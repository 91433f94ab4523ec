"""Campaign results against their control groups, recomputed from the data alone.

A campaign's pick is its ``assignments`` rows (treated and control). Each assigned customer is followed
over the campaign's window from their own assignment time (``features.campaigns.windows``): converted
= placed at least one order (positive net amount) in the window, whatever the order is credited to (a
control customer has no contact to credit); revenue and margin = the net amount and margin of every
line in the window, returns included. Nothing at or after ``as_of`` is read.

Method: the incremental conversion rate is the difference of the two proportions with an unpooled normal
(Wald) 95% interval, ``±1.96 sqrt(p1(1-p1)/n1 + p0(1-p0)/n0)``; the incremental margin per customer is
the difference of the two means with a Welch (unequal variances) normal 95% interval, ``±1.96
sqrt(s1²/n1 + s0²/n0)``. The net incremental margin subtracts the offer's cost per offer made (the offer
catalogue's ``cost``; the margin already counts the discount granted on the lines). Balance: the
standardised mean difference of the customers' net spend over the ``PRE_PERIOD_DAYS`` before their
assignment, ``(mean1 - mean0) / sqrt((var1 + var0) / 2)``; ``balanced`` when below ``SMD_LIMIT`` in
absolute value. A campaign found only in ``contacts`` (no assignments) is reported for its contacted
customers with ``has_control`` False and a note saying its effect cannot be measured.

Every result is computed from the picks' sufficient statistics (``features.campaigns.pick_stats``): the
same code for a whole data set and for one loaded in customer partitions (their statistics merged).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable

import numpy as np
import pandas as pd

from features import columns as c
from features import vocab
from features.campaigns.pick_stats import (
    CONVERTED,
    FIRST,
    IS_TREATED,
    LAST,
    MARGIN,
    OUTCOMES,
    PRE_SPEND,
    REVENUE,
    Moments,
    PickStats,
    merge_moments,
    modes,
    moments_of,
    pick_stats,
)
from features.campaigns.windows import window_days, windows_days
from features.dataset import Dataset, line_amounts, line_margins
from features.offers.catalogue import DEFAULT_CATALOGUE, OfferCatalogue, load_catalogue
from features.offers.response_model import catalogue_offer

CAMPAIGN_RESULTS_FILE = "campaign_results.parquet"  # under <home>/reports, written by cible materialize
Z95 = 1.959963984540054
PRE_PERIOD_DAYS = 90
SMD_LIMIT = 0.1
RESULT_COLUMNS: tuple[str, ...] = (
    c.CAMPAIGN_ID,
    c.CHANNEL,
    c.OFFER_ID,
    "window_start",
    "window_end",
    "has_control",
    "treated",
    "control",
    "treated_conversion_rate",
    "control_conversion_rate",
    "treated_revenue_per_customer",
    "control_revenue_per_customer",
    "treated_margin_per_customer",
    "control_margin_per_customer",
    "incremental_conversion_rate",
    "incremental_conversion_rate_low",
    "incremental_conversion_rate_high",
    "incremental_margin_per_customer",
    "incremental_margin_low",
    "incremental_margin_high",
    "offer_cost_per_customer",
    "net_incremental_margin",
    "balanced",
    "pre_period_spend_smd",
    "note",
)
_SHIFT = np.int64(1) << 33  # customer code x shift + epoch seconds: one sortable key


def picks(dataset: Dataset, with_assignments: Collection[str] | None = None) -> pd.DataFrame:
    """Every campaign's pick: the assignments, plus the contacted customers of campaigns that have none
    (treated, at their first send), those rows last. ``with_assignments``: the campaigns that have
    assignments (default: those of ``dataset``; a partition of the customers may hold none of a
    campaign's assignments and some of its contacts)."""
    assigned = dataset.assignments[
        [c.CAMPAIGN_ID, c.CUSTOMER_ID, c.ASSIGNED_AT, c.GROUP, c.CHANNEL, c.OFFER_ID]
    ]
    having = set(assigned[c.CAMPAIGN_ID]) if with_assignments is None else set(with_assignments)
    contacts = dataset.contacts[~dataset.contacts[c.CAMPAIGN_ID].isin(having)]
    first = (
        contacts.sort_values(c.SENT_AT, kind="stable")
        .drop_duplicates([c.CAMPAIGN_ID, c.CUSTOMER_ID])
        .rename(columns={c.SENT_AT: c.ASSIGNED_AT})
    )
    first = first.assign(**{c.GROUP: vocab.TREATED})[list(assigned.columns)]
    return pd.concat([assigned, first], ignore_index=True) if len(first) else assigned.reset_index(drop=True)


def _order_totals(dataset: Dataset) -> pd.DataFrame:
    """Per customer order (in the order of their first line): customer, time, net amount and margin.

    Grouped by the order id alone: the contract holds an order's customer and time the same on each of its
    lines, and the id's codes come from Arrow (a three-key group-by made a Python string of every id and
    customer of the 3 M lines at 100k customers, 1.3 GB). The same rows are summed in the same order, so
    the totals are those of the group-by on the three keys."""
    orders = dataset.orders
    codes, _ = pd.factorize(orders[c.ORDER_ID], sort=False)  # numbered in order of appearance
    amounts, margins = line_amounts(orders), line_margins(orders, dataset.products)
    known = orders[c.CUSTOMER_ID].notna().to_numpy()
    lines = np.arange(len(orders))
    if not known.all():  # guest orders (all their lines): no customer to follow. Arrays, not the frame's rows
        lines, codes, amounts, margins = lines[known], codes[known], amounts[known], margins[known]
    totals = pd.DataFrame({REVENUE: amounts, MARGIN: margins}).groupby(codes, sort=False).sum()
    # Each order's first line, in the order of the codes: the order of the groups above.
    first = lines[np.unique(codes, return_index=True)[1]]
    return pd.DataFrame(
        {
            c.CUSTOMER_ID: orders[c.CUSTOMER_ID].take(first).reset_index(drop=True),  # Arrow text
            c.ORDERED_AT: orders[c.ORDERED_AT].to_numpy()[first],
            REVENUE: totals[REVENUE].to_numpy(),
            MARGIN: totals[MARGIN].to_numpy(),
        }
    )


def _seconds(stamps: pd.Series | np.ndarray) -> np.ndarray:
    return pd.DatetimeIndex(stamps).as_unit("s").asi8


def window_outcomes(dataset: Dataset, pick: pd.DataFrame) -> pd.DataFrame:
    """Per row of ``pick``: converted, revenue and margin in its window, and net spend before it."""
    orders = _order_totals(dataset)
    # One code per customer, in order of first appearance (as pd.unique would list them).
    customers, _ = pd.factorize(
        pd.concat([orders[c.CUSTOMER_ID], pick[c.CUSTOMER_ID]], ignore_index=True), use_na_sentinel=False
    )
    customers = customers.astype(np.int64)
    keys = customers[: len(orders)] * _SHIFT + _seconds(orders[c.ORDERED_AT])
    order = np.argsort(keys, kind="stable")
    keys = keys[order]

    def cumulative(values: np.ndarray) -> np.ndarray:
        return np.concatenate([[0.0], np.cumsum(values[order])])

    sums = {
        CONVERTED: cumulative((orders[REVENUE].to_numpy() > 0).astype(np.float64)),
        REVENUE: cumulative(orders[REVENUE].to_numpy()),
        MARGIN: cumulative(orders[MARGIN].to_numpy()),
    }
    base = customers[len(orders) :] * _SHIFT
    del customers
    start = _seconds(pick[c.ASSIGNED_AT])
    length = windows_days(pick[c.CHANNEL]) * 86400
    lo = np.searchsorted(keys, base + start)
    hi = np.searchsorted(keys, base + start + length)
    before = np.searchsorted(keys, base + start - PRE_PERIOD_DAYS * 86400)
    return pd.DataFrame(
        {
            CONVERTED: (sums[CONVERTED][hi] - sums[CONVERTED][lo]) > 0,
            REVENUE: sums[REVENUE][hi] - sums[REVENUE][lo],
            MARGIN: sums[MARGIN][hi] - sums[MARGIN][lo],
            PRE_SPEND: sums[REVENUE][lo] - sums[REVENUE][before],
        },
        index=pick.index,
    )


def difference_interval(
    treated: Moments, control: Moments, proportions: bool = False
) -> tuple[float, float, float]:
    """Difference of means with its Welch normal 95% interval; with ``proportions`` (0/1 values) the Wald
    interval of a difference of proportions, p(1-p)/n."""
    if treated.n == 0 or control.n == 0:
        return np.nan, np.nan, np.nan
    diff = treated.mean - control.mean
    ddof = 0 if proportions else 1
    if min(treated.n, control.n) <= ddof:
        return diff, np.nan, np.nan
    se = float(np.sqrt(treated.var(ddof) / treated.n + control.var(ddof) / control.n))
    return diff, diff - Z95 * se, diff + Z95 * se


def standardised_difference(treated: Moments, control: Moments) -> float:
    if treated.n < 2 or control.n < 2:
        return np.nan
    pooled = np.sqrt((treated.var(1) + control.var(1)) / 2)
    gap = treated.mean - control.mean
    return 0.0 if pooled == 0 and gap == 0 else gap / pooled if pooled > 0 else float(np.sign(gap) * np.inf)


def offer_cost(catalogue: OfferCatalogue, offer_id: str | None) -> float | None:
    """The catalogue's cost per offer made (a category coupon ``CAT15_x`` is the catalogue's ``CAT15``);
    0 without an offer, None for an offer the catalogue does not hold."""
    if offer_id is None:
        return 0.0
    family = str(catalogue_offer(pd.Series([offer_id])).iloc[0])
    try:
        return float(catalogue.by_id(family).cost)
    except KeyError:
        return None


def _result(
    key: str,
    groups: dict[bool, pd.Series],
    channel: str,
    offer_id: str | None,
    as_of: pd.Timestamp,
    catalogue: OfferCatalogue,
) -> dict:
    """One campaign's result from the merged moments of its treated (``groups[True]``) and control picks."""
    t, k = (
        {outcome: moments_of(groups.get(treated), outcome) for outcome in OUTCOMES}
        for treated in (True, False)
    )
    start = min(row[FIRST] for row in groups.values())
    end = max(row[LAST] for row in groups.values()) + pd.Timedelta(days=window_days(channel))
    treated, control = t[CONVERTED].n, k[CONVERTED].n
    conv = difference_interval(t[CONVERTED], k[CONVERTED], proportions=True)
    margin = difference_interval(t[MARGIN], k[MARGIN])
    smd = standardised_difference(t[PRE_SPEND], k[PRE_SPEND])
    cost = offer_cost(catalogue, offer_id)
    notes = []
    if cost is None:
        notes.append(f"offer {offer_id} is not in the offer catalogue: its cost is counted 0")
        cost = 0.0
    if control == 0:
        notes.append("no control group: the campaign's effect cannot be measured")
    if end > as_of:
        notes.append(f"window still open until {end:%Y-%m-%d %H:%M}: partial result")
    if control and not abs(smd) < SMD_LIMIT:
        notes.append(f"groups unbalanced on pre-period spend (SMD {smd:+.2f})")
    return {
        c.CAMPAIGN_ID: key,
        c.CHANNEL: channel,
        c.OFFER_ID: offer_id,
        "window_start": start,
        "window_end": end,
        "has_control": control > 0,
        "treated": treated,
        "control": control,
        "treated_conversion_rate": t[CONVERTED].mean,
        "control_conversion_rate": k[CONVERTED].mean,
        "treated_revenue_per_customer": t[REVENUE].mean,
        "control_revenue_per_customer": k[REVENUE].mean,
        "treated_margin_per_customer": t[MARGIN].mean,
        "control_margin_per_customer": k[MARGIN].mean,
        "incremental_conversion_rate": conv[0],
        "incremental_conversion_rate_low": conv[1],
        "incremental_conversion_rate_high": conv[2],
        "incremental_margin_per_customer": margin[0],
        "incremental_margin_low": margin[1],
        "incremental_margin_high": margin[2],
        "offer_cost_per_customer": cost,
        "net_incremental_margin": margin[0] - cost,
        "balanced": bool(control > 0 and abs(smd) < SMD_LIMIT),
        "pre_period_spend_smd": smd,
        "note": "; ".join(notes),
    }


def campaign_results(
    dataset: Dataset,
    as_of: pd.Timestamp,
    campaign_ids: Iterable[str] | None = None,
    since: pd.Timestamp | None = None,
    catalogue: OfferCatalogue | None = None,
) -> pd.DataFrame:
    """One row per campaign (``RESULT_COLUMNS``), those named in ``campaign_ids`` or starting at or after
    ``since`` (all by default), from what was known strictly before ``as_of``. ``catalogue`` prices the
    offers (default: Cible's default catalogue)."""
    if campaign_ids is None and since is None and catalogue is None:
        # every campaign with the default prices: a materialisation asks twice (results file and KPIs)
        key = ("campaign_results", pd.Timestamp(as_of))
        return dataset.shared(key, lambda: _results(dataset, as_of, None, None, None)).copy()
    return _results(dataset, as_of, campaign_ids, since, catalogue)


def _results(
    dataset: Dataset,
    as_of: pd.Timestamp,
    campaign_ids: Iterable[str] | None,
    since: pd.Timestamp | None,
    catalogue: OfferCatalogue | None,
) -> pd.DataFrame:
    catalogue = catalogue or load_catalogue(DEFAULT_CATALOGUE)
    known = dataset.before(as_of)
    pick = picks(known)
    if campaign_ids is not None:
        pick = pick[pick[c.CAMPAIGN_ID].isin(set(campaign_ids))]
    if since is not None:
        starts = pick.groupby(c.CAMPAIGN_ID)[c.ASSIGNED_AT].transform("min")
        pick = pick[starts >= pd.Timestamp(since)]
    if pick.empty:
        return _no_results()
    return results_of(pick.join(window_outcomes(known, pick)), as_of, catalogue)


def results_of(
    pick: pd.DataFrame, as_of: pd.Timestamp, catalogue: OfferCatalogue | None = None
) -> pd.DataFrame:
    """:func:`campaign_results` of picks with their :func:`window_outcomes`."""
    if pick.empty:
        return _no_results()
    return stats_results(pick_stats(pick), as_of, catalogue)


def stats_results(
    stats: PickStats, as_of: pd.Timestamp, catalogue: OfferCatalogue | None = None
) -> pd.DataFrame:
    """:func:`campaign_results` of the :mod:`features.campaigns.pick_stats` of the picks (of every
    customer: a data set loaded in partitions gives its partitions' statistics merged)."""
    if stats.moments.empty:
        return _no_results()
    catalogue = catalogue or load_catalogue(DEFAULT_CATALOGUE)
    moments = merge_moments(stats.moments, [c.CAMPAIGN_ID, IS_TREATED])
    channels, offers = modes(stats.labels, c.CHANNEL), modes(stats.labels, c.OFFER_ID)
    rows = [
        _result(
            str(key),
            {bool(row[IS_TREATED]): row for _, row in group.iterrows()},
            str(channels[key]),
            str(offers[key]) if key in offers.index else None,
            pd.Timestamp(as_of),
            catalogue,
        )
        for key, group in moments.groupby(c.CAMPAIGN_ID, sort=True)
    ]
    return (
        pd.DataFrame(rows, columns=list(RESULT_COLUMNS))
        .sort_values("window_start", kind="stable")
        .reset_index(drop=True)
    )


def _no_results() -> pd.DataFrame:
    return pd.DataFrame({col: pd.Series(dtype=object) for col in RESULT_COLUMNS})
