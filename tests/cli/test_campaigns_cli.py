"""``cible campaigns results``: one campaign or every campaign since a date, on screen and to a file."""

from __future__ import annotations

import pandas as pd
from typer.testing import CliRunner

from cible.cli import app
from features.campaigns.results import RESULT_COLUMNS

runner = CliRunner()


def test_results_of_one_campaign_and_since_a_date(small_synthetic_dir, settings, tmp_path) -> None:
    data = str(small_synthetic_dir)
    out = tmp_path / "results.csv"
    done = runner.invoke(
        app, ["campaigns", "results", "--since", "2026-09-01", "--data", data, "--out", str(out)]
    )
    assert done.exit_code == 0, done.output
    table = pd.read_csv(out)
    assert list(table.columns) == list(RESULT_COLUMNS)
    assert (pd.to_datetime(table["window_start"]) >= "2026-09-01").all()
    measured = table[table["has_control"]].iloc[0]["campaign_id"]
    done = runner.invoke(app, ["campaigns", "results", measured, "--data", data])
    assert done.exit_code == 0 and measured in done.output, done.output
    assert "incremental conversion (95% interval): " in done.output
    assert "pre-period spend SMD" in done.output

    unknown = runner.invoke(app, ["campaigns", "results", "nope", "--data", data])
    assert unknown.exit_code == 1 and "no campaign 'nope'" in str(unknown.exception)
    both = runner.invoke(app, ["campaigns", "results", "x", "--since", "2026-01-01", "--data", data])
    assert both.exit_code == 1 and "one of them" in str(both.exception)
