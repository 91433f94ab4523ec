"""A ranker training window where nobody bought a candidate is skipped, never the end of `cible train all`.

Found on UCI Online Retail (`cible train all --as-of 2011-09-10` stopped with "no customer bought any of
their candidates between 2011-07-12 and 2011-08-11"): the data set has no consents ledger, so nobody can be
profiled, and one empty window aborted the whole run. Here small generated data are built to have the same
empty windows."""

from __future__ import annotations

import logging
import shutil
from dataclasses import replace
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cible import train_pipelines as train_all
from cible.cli import app
from features import columns as c
from features.dataset import Dataset, empty_frame
from features.schema import TABLES
from features.settings import Settings
from training.recommend.config import NboConfig
from training.recommend.errors import RecommenderDataError
from training.recommend.ranker import fit_ranker
from training.recommend.split import Cutoffs

SMALL = NboConfig(train_windows=3, max_train_customers=300, n_estimators=10, num_leaves=7, n_jobs=1)


def test_an_empty_training_window_is_skipped_and_the_earlier_ones_train(
    small_synthetic: Dataset, caplog: pytest.LogCaptureFixture
) -> None:
    cut = Cutoffs.before(small_synthetic.default_as_of(), SMALL.horizon_days)
    length = cut.validation - cut.train
    orders = small_synthetic.orders
    # nobody orders in the latest training window [train, validation): a shop closed for a month
    quiet = (orders[c.ORDERED_AT] >= cut.train) & (orders[c.ORDERED_AT] < cut.validation)
    closed = replace(small_synthetic, orders=orders[~quiet].reset_index(drop=True))
    with caplog.at_level(logging.WARNING, logger="training.recommend.ranker"):
        ranker, rows = fit_ranker(closed, cut.train, cut.validation, SMALL)
    # before the fix, the first empty window raised RecommenderDataError and nothing was trained
    skipped = [r.getMessage() for r in caplog.records]
    assert skipped == [
        f"ranker window {cut.train:%Y-%m-%d}..{cut.validation:%Y-%m-%d} skipped: "
        "no customer with a purchase history bought anything in the window"
    ]
    # the two earlier windows are the training rows: the same groups as the full data's two earlier windows
    # (sampled with the seeds of their positions, hence seed + 1)
    shifted = replace(SMALL, train_windows=2, seed=SMALL.seed + 1)
    _, earlier = fit_ranker(small_synthetic, cut.train - length, cut.train, shifted)
    assert rows.groups.tolist() == earlier.groups.tolist()
    assert ranker.booster_.num_trees() == SMALL.n_estimators


def test_no_window_with_a_positive_names_the_reason(small_synthetic: Dataset) -> None:
    nobody = replace(small_synthetic, consents=empty_frame(TABLES["consents"]))
    cut = Cutoffs.before(small_synthetic.default_as_of(), SMALL.horizon_days)
    with pytest.raises(RecommenderDataError) as caught:
        fit_ranker(nobody, cut.train, cut.validation, SMALL)
    assert str(caught.value) == (
        f"no customer bought any of their candidates between {cut.train:%Y-%m-%d} and "
        f"{cut.validation:%Y-%m-%d} nor in the 2 windows before it: no customer of {cut.train:%Y-%m-%d} has "
        "granted `profiling` consent, and the recommender learns only from those who did (a data set "
        "without a consents ledger has nobody)"
    )


def test_train_all_goes_on_when_the_recommender_cannot_train(
    small_synthetic: Dataset,
    small_synthetic_dir: Path,
    tmp_path: Path,
    settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Like Online Retail: no consents ledger. Before the fix `train all` stopped at the recommender with
    exit 1, so neither the offer response model nor the intent model was tried."""
    data = tmp_path / "data"
    shutil.copytree(small_synthetic_dir, data)
    empty_frame(TABLES["consents"]).to_parquet(data / "consents.parquet", index=False)
    # segments and the predictive models do not depend on consents and take minutes: stood in for here
    ran = []
    monkeypatch.setitem(train_all.PIPELINES, "segments", lambda *args: ran.append("segments"))
    monkeypatch.setitem(train_all.PIPELINES, "predictive models", lambda *args: ran.append("predictive"))
    as_of = small_synthetic.default_as_of()
    # one process, so that the stand-ins above are the ones run (worker processes import afresh)
    command = ["train", "all", "--data", str(data), "--as-of", str(as_of.date()), "--jobs", "1"]
    result = CliRunner().invoke(app, command)
    assert result.exit_code == 0, result.output
    out = " ".join(result.output.split())
    assert "skipped recommender: no customer bought any of their candidates between" in out
    assert "granted `profiling` consent" in out
    # the pipelines after the recommender still ran: the offer response model registered, intent too
    assert ran == ["segments", "predictive"]
    assert "offer_response v1" in out and "intent v1" in out
