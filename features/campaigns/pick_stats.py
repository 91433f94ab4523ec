"""Sufficient statistics of campaign picks: all the campaign results (``features.campaigns.results``) are
computed from, whatever the number of customers.

Per campaign, whether the pick was made from its contacts (``by_contact``: a customer partition may hold
contacts of a campaign whose assignments are all in another one) and whether treated: the number of
picks, the first and last assignment times, and per outcome its mean and sum of squared deviations from
the mean (M2). Moments of disjoint picks merge exactly (Chan et al.'s parallel formula, generalised to
any number of pieces), without the cancellation of sums of squares: margins of thousands of euros keep
their variance to the last digits. Per campaign and ``by_contact``: the number of picks per channel and
per offer, for the most frequent one.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
import pandas as pd

from features import columns as c
from features import vocab

CONVERTED, REVENUE, MARGIN, PRE_SPEND = "converted", "revenue", "margin", "pre_period_spend"
OUTCOMES = (CONVERTED, REVENUE, MARGIN, PRE_SPEND)
BY_CONTACT = "by_contact"  # picked from the campaign's contacts: it had no assignment where picked
IS_TREATED = "is_treated"
N, FIRST, LAST = "n", "first_assigned_at", "last_assigned_at"
LABEL, VALUE = "label", "value"
LABELS = (c.CHANNEL, c.OFFER_ID)
KEYS = [c.CAMPAIGN_ID, BY_CONTACT, IS_TREATED]


def mean_of(outcome: str) -> str:
    return f"{outcome}_mean"


def m2_of(outcome: str) -> str:
    return f"{outcome}_m2"


class Moments(NamedTuple):
    """Count, mean and sum of squared deviations from the mean of some values."""

    n: int
    mean: float
    m2: float

    def var(self, ddof: int) -> float:
        return self.m2 / (self.n - ddof)


NO_VALUES = Moments(0, np.nan, np.nan)


@dataclass(frozen=True)
class PickStats:
    """``moments``: one row per ``KEYS`` (N, FIRST, LAST, each outcome's mean and M2); ``labels``: one row
    per campaign, ``by_contact``, label (channel or offer_id) and value, with its number of picks N."""

    moments: pd.DataFrame
    labels: pd.DataFrame


def pick_stats(pick: pd.DataFrame, by_contact: np.ndarray | None = None) -> PickStats:
    """The statistics of picks with their window outcomes; ``by_contact`` flags the picks made from
    contacts (none by default)."""
    flag = np.zeros(len(pick), dtype=bool) if by_contact is None else np.asarray(by_contact, dtype=bool)
    treated = (pick[c.GROUP] == vocab.TREATED).to_numpy(dtype=bool)  # any other group is the control
    keys = [pick[c.CAMPAIGN_ID], flag, treated]
    grouped = pick[list(OUTCOMES)].astype(np.float64).groupby(keys, sort=False, observed=True)
    n = grouped.size()
    assigned = pick[c.ASSIGNED_AT].groupby(keys, sort=False, observed=True)
    # Welford's algorithm within a piece: a constant outcome has M2 exactly 0
    m2 = grouped.var(ddof=0).mul(n, axis=0)
    moments = pd.concat(
        [
            n.rename(N),
            assigned.min().rename(FIRST),
            assigned.max().rename(LAST),
            grouped.mean().rename(columns=mean_of),
            m2.rename(columns=m2_of),
        ],
        axis=1,
    )
    moments.index.names = KEYS
    labels = []
    for label in LABELS:
        # counted where given: the mode drops missing values
        counts = pick.groupby([pick[c.CAMPAIGN_ID], flag, pick[label]], observed=True).size()
        counts = counts.rename(N).rename_axis([c.CAMPAIGN_ID, BY_CONTACT, VALUE]).reset_index()
        labels.append(counts.assign(**{LABEL: label}))
    labelled = pd.concat(labels, ignore_index=True)
    return PickStats(_keys_as_text(moments.reset_index()), _keys_as_text(labelled))


def _keys_as_text(frame: pd.DataFrame) -> pd.DataFrame:
    text = [col for col in (c.CAMPAIGN_ID, VALUE) if col in frame]
    return frame.astype({col: str for col in text})


def merged(pieces: Iterable[PickStats]) -> PickStats:
    """The statistics of the picks of every piece (disjoint picks) together."""
    pieces = list(pieces)
    moments = merge_moments(pd.concat([p.moments for p in pieces], ignore_index=True), KEYS)
    labels = pd.concat([p.labels for p in pieces], ignore_index=True)
    labels = labels.groupby([c.CAMPAIGN_ID, BY_CONTACT, LABEL, VALUE], as_index=False)[N].sum()
    return PickStats(moments, labels)


def merge_moments(moments: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """One row per ``keys``: the moments of its rows' values together. The mean is the count-weighted
    mean; M2 adds each row's M2 and its count times its mean's squared distance to the whole mean."""
    size = moments.groupby(keys)[N].transform("sum").to_numpy(np.float64)
    weight = moments[N].to_numpy(np.float64)
    parts = moments[[*keys, N, FIRST, LAST]].copy()
    for outcome in OUTCOMES:
        mean = moments[mean_of(outcome)].to_numpy(np.float64)
        share = pd.Series(mean * weight / size, index=moments.index)
        whole = share.groupby([moments[k] for k in keys]).transform("sum").to_numpy()
        parts[mean_of(outcome)] = share.to_numpy()
        parts[m2_of(outcome)] = moments[m2_of(outcome)].to_numpy() + weight * (mean - whole) ** 2
    sums = {col: "sum" for col in parts.columns if col not in keys}
    return parts.groupby(keys, as_index=False).agg({**sums, FIRST: "min", LAST: "max"})


def measured_picks(frame: pd.DataFrame, assigned: Collection[str]) -> pd.DataFrame:
    """``frame`` (rows keyed by campaign and ``by_contact``) without the picks made from the contacts of
    the ``assigned`` campaigns: a campaign with assignments is measured on its assignments only."""
    dropped = frame[BY_CONTACT].to_numpy(dtype=bool) & frame[c.CAMPAIGN_ID].isin(set(assigned)).to_numpy()
    return frame[~dropped]


def modes(labels: pd.DataFrame, label: str) -> pd.Series:
    """Per campaign, its most frequent value of ``label`` (on ties the smallest, as ``Series.mode``)."""
    counts = labels[labels[LABEL] == label].groupby([c.CAMPAIGN_ID, VALUE], as_index=False)[N].sum()
    first = counts.sort_values([c.CAMPAIGN_ID, N, VALUE], ascending=[True, False, True], kind="stable")
    return first.drop_duplicates(c.CAMPAIGN_ID).set_index(c.CAMPAIGN_ID)[VALUE]


def moments_of(row: pd.Series | None, outcome: str) -> Moments:
    """An outcome's :class:`Moments` of one row of merged moments (None: no picks)."""
    if row is None:
        return NO_VALUES
    return Moments(int(row[N]), float(row[mean_of(outcome)]), float(row[m2_of(outcome)]))
