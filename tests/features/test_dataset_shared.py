"""What one command derives several times from one data set at one cutoff (every campaign's results: the
results file and the KPIs of a materialisation) is computed once, and never leaks to another data set or
cutoff (a sliced or replaced data set starts afresh)."""

from __future__ import annotations

from dataclasses import replace

import pandas as pd
import pytest

from features import columns as c
from features.campaigns.results import campaign_results
from features.dataset import Dataset


def test_a_value_is_computed_once_per_key(small_synthetic: Dataset) -> None:
    dataset = replace(small_synthetic)  # a private copy: the session's fixture stays untouched
    calls: list[str] = []
    first = dataset.shared("k", lambda: calls.append("k") or 1)
    assert (first, dataset.shared("k", lambda: calls.append("k") or 2)) == (1, 1)
    assert dataset.shared("other", lambda: calls.append("other") or 3) == 3
    assert calls == ["k", "other"]
    # a data set made from it (another cutoff, other frames) does not see its values
    assert dataset.before(dataset.default_as_of()).shared("k", lambda: 4) == 4
    assert replace(dataset).shared("k", lambda: 5) == 5
    assert "_shared" not in dataset.frames()


def test_campaign_results_are_shared_only_for_every_campaign(
    small_synthetic: Dataset, monkeypatch: pytest.MonkeyPatch
) -> None:
    from features.campaigns import results

    dataset = replace(small_synthetic)
    as_of = dataset.default_as_of()
    computed: list[object] = []
    real = results._results
    monkeypatch.setattr(results, "_results", lambda *args: computed.append(args[2]) or real(*args))
    every = campaign_results(dataset, as_of)
    pd.testing.assert_frame_equal(campaign_results(dataset, as_of), every)
    assert len(computed) == 1
    some = campaign_results(dataset, as_of, campaign_ids=every[c.CAMPAIGN_ID].head(2))
    assert len(computed) == 2 and len(some) == min(2, len(every))


def test_a_released_table_fails_when_read_and_the_rest_stays(small_synthetic: Dataset) -> None:
    dataset = replace(small_synthetic)
    assert dataset.shared("orders", lambda: len(dataset.orders)) == len(small_synthetic.orders)
    dataset.release("orders", "events")
    for read in (lambda: dataset.orders[c.SKU], lambda: len(dataset.events), lambda: dataset.orders.columns):
        with pytest.raises(RuntimeError, match="table of this data set was released"):
            read()
    # what was derived from them, and the other tables, are still there; the fixture is untouched
    assert dataset.shared("orders", lambda: 0) == len(small_synthetic.orders)
    pd.testing.assert_frame_equal(dataset.customers, small_synthetic.customers)
    assert len(small_synthetic.events) > 0
    with pytest.raises(KeyError, match="no table 'order'"):
        dataset.release("order")
