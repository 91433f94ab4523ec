"""`cible score` carries the top-3 items and the next best offer; the batch ranks like the served model."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from typer.testing import CliRunner

from cible.cli import app
from features.dataset import Dataset
from features.offers.best_offer import NEXT_BEST_OFFER, OFFER_CATEGORY, OFFER_CHANNEL, OFFER_EXPECTED_VALUE
from features.offers.catalogue import DEFAULT_CATALOGUE, load_catalogue
from features.offers.decision import NO_OFFER
from features.recommend.history import CustomerHistory
from features.settings import Settings
from tests.training.test_predictive_cli import fast_config
from training.offers.register import OfferResponseConfig, train_offer_response
from training.recommend.batch_scores import TOP_ITEMS
from training.recommend.config import NboConfig
from training.recommend.train import train_nbo

SMALL = NboConfig(train_windows=1, max_train_customers=300, n_estimators=30, num_leaves=7, n_jobs=1)
runner = CliRunner()


def test_score_has_top_items_and_next_best_offer(
    small_synthetic: Dataset, small_synthetic_dir: Path, settings: Settings, tmp_path: Path
) -> None:
    data = str(small_synthetic_dir)
    out = tmp_path / "scores.parquet"
    # before `cible train nbo`: the columns exist, empty, and the output says why
    trained = runner.invoke(app, ["train", "churn", "--data", data, "--config", str(fast_config(tmp_path))])
    assert trained.exit_code == 0, trained.output
    scored = runner.invoke(app, ["score", "--data", data, "--out", str(out)])
    assert scored.exit_code == 0, scored.output
    assert "no recommender champion" in scored.output and "no offer_response champion" in scored.output
    assert pd.read_parquet(out)[[TOP_ITEMS, NEXT_BEST_OFFER]].isna().all().all()

    as_of = small_synthetic.default_as_of()
    run = train_nbo(small_synthetic, as_of, settings, SMALL)
    assert run.decision.promoted, run.decision.reason
    train_offer_response(small_synthetic, as_of, settings, OfferResponseConfig(n_estimators=50))
    scored = runner.invoke(app, ["score", "--data", data, "--out", str(out)])
    assert scored.exit_code == 0, scored.output
    scores = pd.read_parquet(out)
    assert len(scores) == 1500 and "no recommender champion" not in scored.output
    # Customers without profiling consent keep an empty row (tests/privacy/test_profiling_consent.py).
    assert scores.loc[~scores["profiling_consent"], TOP_ITEMS].isna().all()
    scores = scores[scores["profiling_consent"]]
    assert scores[TOP_ITEMS].str.split(",").map(len).eq(3).all()
    offers = {o.id for o in load_catalogue(DEFAULT_CATALOGUE).offers}
    assert set(scores[NEXT_BEST_OFFER]) <= offers | {NO_OFFER}
    none = scores[NEXT_BEST_OFFER] == NO_OFFER
    assert (scores.loc[none, OFFER_CHANNEL] == "").all() and (
        scores.loc[none, OFFER_EXPECTED_VALUE] == 0
    ).all()
    assert (scores.loc[~none, OFFER_CHANNEL] != "").all() and (
        scores.loc[~none, OFFER_EXPECTED_VALUE] > 0
    ).all()
    # the category coupon names its category (the customer's favourite); other offers have none
    coupon = scores[NEXT_BEST_OFFER] == "CAT15"
    categories = set(small_synthetic.products["category"]) - {"non_product"}
    assert scores.loc[coupon, OFFER_CATEGORY].isin(categories).all()
    assert (scores.loc[~coupon, OFFER_CATEGORY] == "").all()

    # the batch gives the served model's answer
    served = run.model.with_history(CustomerHistory.build(small_synthetic, as_of, run.model.catalogue_))
    picked = scores.set_index("customer_id")[TOP_ITEMS]
    for customer in picked.index[:200]:
        assert picked[customer] == ",".join(r.sku for r in served.recommend(customer, (), 3))
