"""Campaign results and KPIs of a data set loaded one customer partition at a time: each partition gives
its share, of a size independent of its number of customers (the sufficient statistics of its campaign
picks, :mod:`features.campaigns.pick_stats`; its treated picks per campaign, channel, segment and month;
its KPI counts and sums), merged as each partition is added. A customer's rows, and a guest order's lines,
are all in one partition, so the shares add up to what the whole data set gives (sums of floats in another
order: within 1e-9).

The one cross-partition fact of the picks: a campaign with assignments in any partition is measured on
its assignments only, so the contact-based picks a partition made for a campaign it holds no assignment
of are dropped when the shares are put together.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from features import columns as c
from features.campaigns.kpis import (
    SEGMENT,
    finish_kpis,
    group_keys,
    incremental_conversions,
    kpi_sums,
    segment_labels,
    segment_of,
    treated_picks,
)
from features.campaigns.pick_stats import N, PickStats, measured_picks, merged, pick_stats
from features.campaigns.results import picks, stats_results, window_outcomes
from features.dataset import Dataset


@dataclass
class CampaignShares:
    """The partitions' shares of the campaign results at ``as_of`` and (``keys`` given) of the KPIs of
    ``[since, as_of)`` grouped by ``keys`` with ``memberships``' segments."""

    as_of: pd.Timestamp
    since: pd.Timestamp | None = None
    keys: list[str] | None = None
    memberships: pd.DataFrame | None = None
    _stats: PickStats | None = None
    _assigned: set[str] = field(default_factory=set)
    _treated: pd.DataFrame | None = None
    _sums: pd.DataFrame | None = None

    def add(self, dataset: Dataset) -> None:
        """One partition's share."""
        known = dataset.before(self.as_of)
        pick = picks(known)
        by_contact = np.arange(len(pick)) >= len(known.assignments)  # picks() puts the assignments first
        self._assigned |= set(known.assignments[c.CAMPAIGN_ID].unique())
        pick = pick.join(window_outcomes(known, pick))
        stats = pick_stats(pick, by_contact)
        self._stats = stats if self._stats is None else merged([self._stats, stats])
        if self.keys is not None and self.since is not None:
            segments = segment_of(self.memberships)
            pick[SEGMENT] = segment_labels(pick, segments).to_numpy()
            treated = treated_picks(pick, self.since, self.as_of, by_contact)
            del pick
            # merged as they come: the shares held stay the size of one
            counted = [col for col in treated.columns if col != N]
            self._treated = pd.concat([self._treated, treated]).groupby(counted, as_index=False)[N].sum()
            keys = group_keys(self.keys)
            sums = kpi_sums(dataset, self.since, self.as_of, keys, segments)
            self._sums = pd.concat([self._sums, sums]).groupby(level=keys).sum()

    def results(self) -> tuple[pd.DataFrame, pd.DataFrame | None]:
        """The campaign results (:func:`features.campaigns.results.campaign_results`) and the KPIs
        (:func:`features.campaigns.kpis.channel_kpis`; None without ``keys``) of every partition added."""
        if self._stats is None:
            raise ValueError("no partition was added")
        moments, labels = self._stats.moments, self._stats.labels
        stats = PickStats(measured_picks(moments, self._assigned), measured_picks(labels, self._assigned))
        results = stats_results(stats, self.as_of)
        if self.keys is None or self._treated is None or self._sums is None:
            return results, None
        keys = group_keys(self.keys)
        treated = measured_picks(self._treated, self._assigned)
        return results, finish_kpis(self._sums, incremental_conversions(results, treated, keys), keys)
