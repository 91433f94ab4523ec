"""The intent pipeline: labels, the time split, a run registered behind the gate, batch scores, the CLI."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from cible.cli import app
from features import columns as c
from features.batch_engine import InMemoryEngine
from features.customer_features.build import build_customer_features
from features.dataset import Dataset
from features.errors import NoChampionError
from features.intent.batch import intent_frame
from features.intent.names import INTENT_FEATURES
from features.intent.realtime import intent_vector
from features.settings import Settings
from training.intent.config import IntentConfig
from training.intent.labels import LABEL, purchase_labels
from training.intent.rows import CUTOFF, IntentCutoffs, labelled_rows
from training.intent.score import SCORE_COLUMNS, score_intent
from training.intent.train import load_intent_champion, train_intent
from training.tracking import connect

FAST = IntentConfig(n_training_cutoffs=2, num_boost_round=60)
T = pd.Timestamp("2026-03-01")


def _events(rows: list[tuple[str, str, str | None, str, str | None]]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            c.EVENT_ID: [f"E{i}" for i in range(len(rows))],
            c.OCCURRED_AT: [pd.Timestamp(r[0]) for r in rows],
            c.VISITOR_ID: [r[1] for r in rows],
            c.CUSTOMER_ID: [r[2] for r in rows],
            c.SESSION_ID: "S",
            c.EVENT_TYPE: [r[3] for r in rows],
            c.SKU: [r[4] for r in rows],
            c.DEVICE: "mobile",
            c.SOURCE: None,
        }
    )


def test_labels_count_purchase_events_and_orders_in_the_window_only() -> None:
    events = _events(
        [
            ("2026-02-27", "V1", None, "product_view", "A"),
            ("2026-03-03", "V1", None, "purchase", None),  # bought on the site within 7 days
            ("2026-03-08", "V2", None, "purchase", None),  # day 7: outside [T, T + 7 days)
            ("2026-02-28 23:00", "V3", None, "purchase", None),  # before T
        ]
    )
    orders = pd.DataFrame(
        {
            c.ORDER_ID: ["O1", "O2", "O3"],
            c.CUSTOMER_ID: ["C4", "C5", "C6"],
            c.ORDERED_AT: pd.to_datetime(["2026-03-05 00:00", "2026-03-02 00:00", "2026-03-07 23:59"]),
            c.CHANNEL: "store",
            c.SKU: "A",
            c.QUANTITY: [1, -1, 2],  # C5's line is a return: not a purchase
            c.UNIT_PRICE: 10.0,
            c.DISCOUNT: 0.0,
        }
    )
    dataset = Dataset.from_frames({"events": events, "orders": orders})
    rows = pd.DataFrame(
        {
            c.VISITOR_ID: ["V1", "V2", "V3", "V4", "V5", "V6"],
            c.CUSTOMER_ID: [None, None, None, "C4", "C5", "C6"],
        }
    )
    assert purchase_labels(dataset, rows, T).tolist() == [1, 0, 0, 1, 0, 1]


def test_time_split_roles_never_share_label_weeks() -> None:
    cutoffs = IntentCutoffs.plan(pd.Timestamp("2026-11-01"), IntentConfig(n_training_cutoffs=3))
    assert cutoffs.validation == pd.Timestamp("2026-10-25")
    assert cutoffs.calibration == pd.Timestamp("2026-10-18")
    assert cutoffs.training == tuple(pd.Timestamp(d) for d in ("2026-09-27", "2026-10-04", "2026-10-11"))
    horizon = pd.Timedelta(days=7)
    assert cutoffs.training[-1] + horizon <= cutoffs.calibration
    assert cutoffs.calibration + horizon <= cutoffs.validation


def test_score_without_champion_says_what_to_run(small_synthetic: Dataset, settings: Settings) -> None:
    with pytest.raises(NoChampionError, match="cible train intent"):
        score_intent(small_synthetic, small_synthetic.default_as_of(), settings)


def test_run_registers_a_calibrated_model_that_beats_the_baselines(
    small_synthetic: Dataset, settings: Settings
) -> None:
    as_of = small_synthetic.default_as_of()
    run = train_intent(small_synthetic, as_of, settings, FAST)
    assert run.decision.promoted, run.decision.reason
    best_baseline = max(m["roc_auc"] for m in run.baselines.values())
    assert run.metrics["roc_auc"] > best_baseline
    # better than the best model without information, the base rate for everyone, whose Brier score is
    # rate x (1 - rate): `brier < purchase_rate` let that constant predictor pass
    rate = run.metrics["purchase_rate"]
    assert 0 < run.metrics["brier"] < 0.97 * rate * (1 - rate)
    # Calibrated: the mean prediction is near the purchase rate of a week the model never saw.
    assert run.metrics["mean_predicted"] == pytest.approx(run.metrics["purchase_rate"], abs=0.03)

    champion = load_intent_champion(connect(settings))
    assert champion is not None and champion.matches_current_features
    rows = run.rows.validation
    X = rows[list(INTENT_FEATURES)]
    np.testing.assert_allclose(champion.predict_proba(X)[:, 1], run.model.predict(X))
    one = X.to_numpy()[0]
    assert champion.score_one(one) == pytest.approx(float(champion.predict_proba(X.iloc[:1])[0, 1]))
    assert champion.score_one(one) == pytest.approx(
        float(champion.calibrator.predict(champion.raw_score(one))[0])
    )
    reasons = champion.reasons_one(one, n=3)
    assert len(reasons) == 3 and all(isinstance(r, str) and r for r in reasons)

    # The same data again: no gain, so the champion stays.
    again = train_intent(small_synthetic, as_of, settings, FAST)
    assert not again.decision.promoted and again.champion_metrics is not None
    assert again.champion_metrics["roc_auc"] == pytest.approx(run.metrics["roc_auc"])

    scores = score_intent(small_synthetic, as_of, settings)
    assert list(scores.columns) == list(SCORE_COLUMNS)
    assert scores[c.VISITOR_ID].is_unique and scores["intent_probability"].between(0, 1).all()
    assert scores["intent_reasons"].str.len().gt(0).all()
    # A visitor's live score equals their batch score: one feature function, one model.
    visitor = scores.sort_values("intent_probability").iloc[-1]
    events = small_synthetic.events[small_synthetic.events[c.VISITOR_ID] == visitor[c.VISITOR_ID]]
    records = [
        {k: (None if not isinstance(v, str) and pd.isna(v) else v) for k, v in r.items()}
        for r in events.to_dict("records")
    ]
    assert isinstance(visitor[c.CUSTOMER_ID], str)  # the top visitor is a known customer
    record = (
        build_customer_features(small_synthetic, as_of).set_index(c.CUSTOMER_ID).loc[visitor[c.CUSTOMER_ID]]
    )
    live = champion.score_one(intent_vector(records, as_of.to_pydatetime(), record.to_dict()))
    assert live == pytest.approx(visitor["intent_probability"])
    # Open carts: every listed product was added to the cart and is not bought since, latest first.
    carted = scores[scores["carted_skus"].str.len() > 0]
    assert len(carted) > 0 and carted["last_cart_at"].notna().all()
    assert (carted["last_cart_at"] < as_of).all() and (scores["last_event_at"] < as_of).all()
    assert scores.loc[scores["carted_skus"].str.len() == 0, "last_cart_at"].isna().all()
    # Long before the first event nobody is active: an empty table, same columns.
    nobody = score_intent(small_synthetic, small_synthetic.events[c.OCCURRED_AT].min(), settings)
    assert nobody.empty and list(nobody.columns) == list(SCORE_COLUMNS)


def test_cli_trains_intent(
    small_synthetic_dir: Path, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("training.intent.train.IntentConfig", lambda: FAST)
    result = CliRunner().invoke(app, ["train", "intent", "--data", str(small_synthetic_dir)])
    assert result.exit_code == 0, result.output
    assert (
        "intent v1" in result.output
        and "carted_24h" in result.output
        and "gate: no champion yet" in result.output
    )
    assert load_intent_champion(connect(settings)) is not None


def test_rows_in_memory_read_the_customer_inputs_of_the_full_features(small_synthetic: Dataset) -> None:
    """In memory each cutoff's rows take the profile and order features alone, from the customers and
    orders before it (not every feature group on a cut of every table): the same rows, and orders or
    customers at or after the cutoff change nothing."""
    cutoff = small_synthetic.default_as_of() - pd.Timedelta(days=20)
    full = intent_frame(small_synthetic, cutoff, build_customer_features(small_synthetic, cutoff))
    full = full.astype({c.VISITOR_ID: "str", c.CUSTOMER_ID: "str"})  # labelled rows hold ids as Arrow text
    later = Dataset.from_frames(
        {
            **small_synthetic.frames(),
            "orders": pd.concat(
                [small_synthetic.orders, small_synthetic.orders.assign(**{c.ORDERED_AT: cutoff})]
            ),
        }
    )
    for data, engine in [(small_synthetic, None), (small_synthetic, InMemoryEngine(small_synthetic))]:
        rows = labelled_rows(data, cutoff, 7, engine)
        pd.testing.assert_frame_equal(rows.drop(columns=[LABEL, CUTOFF]), full)
    future = labelled_rows(later, cutoff, 7, InMemoryEngine(later)).drop(columns=[LABEL, CUTOFF])
    pd.testing.assert_frame_equal(future, full)
    assert len(full) > 100 and full[c.CUSTOMER_ID].notna().any()
