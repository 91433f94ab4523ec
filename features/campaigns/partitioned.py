"""Campaign results and KPIs of a data set loaded one customer partition at a time: each partition gives
its share (its customers' campaign picks with their outcomes, its KPI counts and sums), put together once
every partition has been seen. A customer's rows, and a guest order's lines, are all in one partition, so
the shares add up to what the whole data set gives (sums of floats in another order: within 1e-9).

The one cross-partition fact of the picks: a campaign with assignments in any partition is measured on
its assignments only, so the contact-based picks a partition made for a campaign it holds no assignment
of are dropped when the shares are put together.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from pandas.api.types import union_categoricals

from features import columns as c
from features.campaigns.kpis import (
    SEGMENT,
    finish_kpis,
    group_keys,
    incremental_conversions,
    kpi_sums,
    segment_labels,
    segment_of,
)
from features.campaigns.results import picks, results_of, window_outcomes
from features.dataset import Dataset

BY_CONTACT = "_by_contact"  # a pick made from a campaign's contacts (it had no assignment in the partition)
TEXT_COLUMNS = (c.CAMPAIGN_ID, c.GROUP, c.CHANNEL, c.OFFER_ID, SEGMENT)  # held as categories: 40M+ rows


@dataclass
class CampaignShares:
    """The partitions' shares of the campaign results at ``as_of`` and (``keys`` given) of the KPIs of
    ``[since, as_of)`` grouped by ``keys`` with ``memberships``' segments."""

    as_of: pd.Timestamp
    since: pd.Timestamp | None = None
    keys: list[str] | None = None
    memberships: pd.DataFrame | None = None
    _picks: list[pd.DataFrame] = field(default_factory=list)
    _assigned: set[str] = field(default_factory=set)
    _sums: list[pd.DataFrame] = field(default_factory=list)

    def add(self, dataset: Dataset) -> None:
        """One partition's share."""
        segments = segment_of(self.memberships)
        known = dataset.before(self.as_of)
        pick = picks(known)
        assigned = len(known.assignments)  # picks() puts the assignments first
        self._assigned |= set(known.assignments[c.CAMPAIGN_ID].unique())
        pick = pick.join(window_outcomes(known, pick))
        pick[SEGMENT] = segment_labels(pick, segments).to_numpy()
        pick[BY_CONTACT] = np.arange(len(pick)) >= assigned
        pick = pick.drop(columns=[c.CUSTOMER_ID])
        self._picks.append(pick.astype({col: "category" for col in TEXT_COLUMNS}))
        if self.keys is not None and self.since is not None:
            self._sums.append(kpi_sums(dataset, self.since, self.as_of, self.keys, segments))

    def _combined(self) -> pd.DataFrame:
        pieces, self._picks = self._picks, []
        columns = {}
        for col in pieces[0].columns:
            values = [piece[col] for piece in pieces]
            columns[col] = (
                union_categoricals(values, sort_categories=True)
                if col in TEXT_COLUMNS
                else np.concatenate([v.to_numpy() for v in values])
            )
        del pieces
        out = pd.DataFrame(columns)
        measured = out[c.CAMPAIGN_ID].isin(self._assigned).to_numpy()
        return out[~(out[BY_CONTACT].to_numpy() & measured)].drop(columns=[BY_CONTACT]).reset_index(drop=True)

    def results(self) -> tuple[pd.DataFrame, pd.DataFrame | None]:
        """The campaign results (:func:`features.campaigns.results.campaign_results`) and the KPIs
        (:func:`features.campaigns.kpis.channel_kpis`; None without ``keys``) of every partition added."""
        if not self._picks:
            raise ValueError("no partition was added")
        pick = self._combined()
        results = results_of(pick.drop(columns=[SEGMENT]), self.as_of)
        if self.keys is None or self.since is None:
            return results, None
        keys = group_keys(self.keys)
        incremental = incremental_conversions(results, pick, self.since, self.as_of, keys)
        del pick
        sums = pd.concat(self._sums).groupby(level=keys).sum()
        return results, finish_kpis(sums, incremental, keys)
