"""``cible train uplift``: rows from the control groups, point in time, both learners and the response model
scored on the same held-out customers, registered behind the gate."""

from __future__ import annotations

import numpy as np
import pandas as pd
from typer.testing import CliRunner

from cible.cli import app
from features import columns as c
from features.campaigns.results import window_outcomes
from features.campaigns.uplift_model import LEARNERS
from features.dataset import Dataset
from features.settings import Settings
from training.tracking import connect
from training.uplift.train import (
    CONVERTED,
    RESPONSE,
    TREATED,
    UpliftConfig,
    held_out,
    load_uplift_champion,
    train_uplift,
    uplift_rows,
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
