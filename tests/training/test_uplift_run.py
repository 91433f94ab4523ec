"""``cible train uplift``: rows from the control groups, point in time, both learners and the response model
scored on the same held-out customers, registered behind the gate."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from cible.cli import app
from features import columns as c
from features.batch_engine import InMemoryEngine
from features.campaigns.results import window_outcomes
from features.campaigns.uplift_model import LEARNERS, T_LEARNER
from features.campaigns.windows import windows_days
from features.dataset import Dataset
from features.offers.response_model import design_matrix
from features.settings import Settings
from training.boosting import bagged_classifier
from training.tracking import connect
from training.uplift.rows import held_out, stored_uplift_rows, uplift_rows
from training.uplift.train import (
    CONVERTED,
    RESPONSE,
    TREATED,
    UpliftConfig,
    fit_learners,
    load_uplift_champion,
    split_rows,
    train_uplift,
)

FAST = UpliftConfig(lookback_days=150, n_estimators=30, min_child_samples=50)


def test_rows_are_the_assignments_with_their_measured_outcome(small_synthetic: Dataset) -> None:
    as_of = small_synthetic.default_as_of()
    rows = uplift_rows(small_synthetic, as_of, FAST)
    assert rows[c.ASSIGNED_AT].min() >= as_of - pd.Timedelta(days=150)
    assert rows[TREATED].any() and (~rows[TREATED]).any()
    assert set(rows.groupby(c.CAMPAIGN_ID)[TREATED].nunique()) == {2}  # only campaigns with a control group
    assert not rows[c.OFFER_ID].str.startswith("CAT15_").any()  # offers by catalogue family
    sample = rows.sample(200, random_state=0)
    expected = window_outcomes(small_synthetic.before(as_of), sample)[CONVERTED]
    assert (sample[CONVERTED] == expected).all()
    # the same customers are held out whatever the rows: a salted hash of the id
    first = held_out(rows, 0.3)
    assert 0.2 < first.mean() < 0.4
    again = held_out(rows.iloc[::-1], 0.3)[::-1]
    assert (first == again).all()


def test_train_uplift_registers_behind_the_gate(small_synthetic: Dataset, settings: Settings) -> None:
    as_of = small_synthetic.default_as_of()
    run = train_uplift(small_synthetic, as_of, settings, FAST)
    ev = run.evaluation
    assert set(ev.qini) == {*LEARNERS, RESPONSE} and run.learner == max(LEARNERS, key=ev.qini.get)
    assert run.decision.promoted == (ev.qini[run.learner] > ev.qini[RESPONSE])
    client = connect(settings)
    metrics = client.get_run(run.run_id).data.metrics
    assert metrics["qini.response_model"] == ev.qini[RESPONSE] and "uplift_at_30.t_learner" in metrics
    champion = load_uplift_champion(client)
    assert (champion is not None) == run.decision.promoted
    if champion is not None:
        rows = uplift_rows(small_synthetic, as_of, FAST).head(50)
        u = champion.uplift(rows, rows[c.OFFER_ID], rows[c.CHANNEL])
        assert u.shape == (50,) and np.isfinite(u).all() and (np.abs(u) <= 1).all()
    # a second run is scored against the champion on the same held-out customers
    again = train_uplift(small_synthetic, as_of, settings, FAST)
    assert (again.champion_qini is not None) == run.decision.promoted


def test_train_uplift_command(small_synthetic_dir, settings: Settings) -> None:
    done = CliRunner().invoke(app, ["train", "uplift", "--data", str(small_synthetic_dir)])
    assert done.exit_code == 0, done.output
    assert "response model (P(order | contacted)): Qini" in done.output and "gate:" in done.output


def test_learners_fitted_on_arrays_are_those_fitted_on_the_design_matrix(small_synthetic: Dataset) -> None:
    """fit_learners hands LightGBM arrays (offer and channel as category codes), not frames: the same
    models as from ``design_matrix``'s frame, and the held-out rows come last without changing the split."""
    as_of = small_synthetic.default_as_of()
    rows = uplift_rows(small_synthetic, as_of, FAST)
    train, test = split_rows(rows, FAST)
    last = split_rows(uplift_rows(small_synthetic, as_of, FAST, held_out_last=True), FAST)
    pd.testing.assert_frame_equal(last[0], train)
    pd.testing.assert_frame_equal(last[1], test)
    model = fit_learners(train, LEARNERS, FAST)[T_LEARNER]
    w = train[TREATED].to_numpy(bool)
    x = design_matrix(train, train[c.OFFER_ID], train[c.CHANNEL], model.feature_columns, model.categories)
    treated = bagged_classifier(FAST).fit(x[w], train[CONVERTED].to_numpy(int)[w])
    got = model.response(test, test[c.OFFER_ID], test[c.CHANNEL])
    expected = treated.predict_proba(model._x(test, test[c.OFFER_ID], test[c.CHANNEL]))[:, 1]
    np.testing.assert_array_equal(got, expected)


def test_owned_data_is_released_once_read_unless_the_features_are_built_from_it(
    small_synthetic: Dataset, tmp_path: Path
) -> None:
    """With ``owns_data`` the tables the rows read go once read, when the engine builds the features
    elsewhere (here an in-memory engine over another data set of the same frames): the same rows."""
    as_of = small_synthetic.default_as_of()
    for name in ("kept", "released", "in"):
        (tmp_path / name).mkdir()
    expected = stored_uplift_rows(small_synthetic, as_of, FAST, tmp_path / "kept")
    owned = replace(small_synthetic)
    engine = InMemoryEngine(replace(small_synthetic))
    got = stored_uplift_rows(owned, as_of, FAST, tmp_path / "released", engine=engine, owns_data=True)
    assert expected is not None and got is not None
    pd.testing.assert_frame_equal(got.keys, expected.keys)
    np.testing.assert_array_equal(got.values(0, len(got)), expected.values(0, len(expected)))
    for table in ("assignments", "orders", "products"):
        with pytest.raises(RuntimeError, match="released"):
            len(getattr(owned, table))
    # the engine over the data set itself reads its tables: they stay
    owned = replace(small_synthetic)
    stored_uplift_rows(owned, as_of, FAST, tmp_path / "in", engine=InMemoryEngine(owned), owns_data=True)
    assert len(owned.assignments) == len(small_synthetic.assignments)


def test_rows_are_the_picked_assignments_in_the_months_order(small_synthetic: Dataset) -> None:
    """The assignments picked (lookback, window closed, campaign with a control group) in the order of
    their months, each month's in the data's order; only those of customers without features are left out."""
    as_of = small_synthetic.default_as_of()
    rows = uplift_rows(small_synthetic, as_of, FAST)
    a = small_synthetic.before(as_of).assignments
    ends = a[c.ASSIGNED_AT] + pd.to_timedelta(windows_days(a[c.CHANNEL]), unit="D")
    a = a[(a[c.ASSIGNED_AT] >= as_of - pd.Timedelta(days=FAST.lookback_days)) & (ends <= as_of)]
    a = a[(a.groupby(c.CAMPAIGN_ID)[c.GROUP].transform("nunique") == 2).to_numpy()]
    months = a[c.ASSIGNED_AT].dt.to_period("M").to_numpy()
    a = a.iloc[np.argsort(months, kind="stable")]
    keys = [c.CAMPAIGN_ID, c.CUSTOMER_ID, c.ASSIGNED_AT, c.CHANNEL]
    expected = iter(a[keys].itertuples(index=False))
    got = list(rows[keys].itertuples(index=False))
    assert len(a) / 2 < len(got) <= len(a)
    assert all(row in expected for row in got)  # a subsequence: consumes `expected` in order
