"""Scores leave Cible only for customers who granted profiling: the `cible score` file and the online store
respect a withdrawal recorded one second before the cutoff."""

from __future__ import annotations

import shutil

import pandas as pd
from typer.testing import CliRunner

from cible.cli import app
from features import clock
from features.consent_gate import check_consent
from features.load import load_dataset
from features.online_store.factory import open_store
from tests.training.predictive_data import FAST
from training.predictive.score import PERSONAL_COLUMNS, PROFILING_CONSENT
from training.predictive.train import train_target

runner = CliRunner()


def invoke(*args: str) -> str:
    result = runner.invoke(app, list(args))
    assert result.exit_code == 0, result.output + repr(result.exception)
    return result.output


def test_a_profiling_withdrawal_a_second_before_the_cutoff_empties_scores_and_records(
    small_synthetic_dir, settings, tmp_path
) -> None:
    folder = tmp_path / "data"
    shutil.copytree(small_synthetic_dir, folder)
    invoke("train", "segments", "--data", str(folder))
    dataset = load_dataset(folder)
    as_of = dataset.default_as_of()
    train_target(dataset, as_of, settings, "churn", FAST)
    ids = dataset.customers["customer_id"]
    allowed = check_consent(dataset.consents, ids, clock.now(), needs_profiling=True).allowed
    withdrawn, kept = ids[allowed].iloc[0], ids[allowed].iloc[1]
    ledger = pd.read_parquet(folder / "consents.parquet")
    row = {
        "customer_id": withdrawn,
        "purpose": "profiling",
        "granted": False,
        "recorded_at": as_of - pd.Timedelta(seconds=1),
        "source": "web_form",
        "proof": None,
    }
    ledger = pd.concat([ledger, pd.DataFrame([row]).astype(ledger.dtypes.to_dict())], ignore_index=True)
    ledger.to_parquet(folder / "consents.parquet")

    out = tmp_path / "scores.parquet"
    printed = invoke("score", "--data", str(folder), "--as-of", str(as_of.date()), "--out", str(out))
    refused = (~allowed).sum() + 1
    assert f"{refused:,} customers without `profiling` consent" in " ".join(printed.split())
    scores = pd.read_parquet(out).set_index("customer_id")
    assert len(scores) == len(ids)  # the row stays, so a join on the file says why there is no score
    assert not scores.at[withdrawn, PROFILING_CONSENT]
    assert scores.loc[withdrawn, list(PERSONAL_COLUMNS)].isna().all()
    assert scores.at[kept, PROFILING_CONSENT] and scores.at[kept, "churn_probability"] >= 0
    assert isinstance(scores.at[kept, "rfm_segment"], str)
    unconsented = scores[~scores[PROFILING_CONSENT]]
    assert len(unconsented) == refused and unconsented[list(PERSONAL_COLUMNS)].isna().all().all()

    invoke("materialize", "--data", str(folder), "--as-of", str(as_of.date()))
    store = open_store(settings)
    gone, there = store.get(withdrawn), store.get(kept)
    store.close()
    assert gone["features"] is None and gone["scores"] is None and gone["consent"]["profiling"] is False
    assert there["scores"]["churn_probability"] >= 0 and there["scores"]["rfm_segment"]
    assert there["features"]["region"] and there["consent"]["profiling"] is True
