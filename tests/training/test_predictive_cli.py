"""The predictive commands: train then score end to end, and user mistakes as one clear line."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pandas as pd
import yaml
from typer.testing import CliRunner

from cible.cli import USER_ERRORS, app
from features.io import write_tables
from tests.tiny_data import tiny_frames
from tests.training.predictive_data import FAST

runner = CliRunner()


def fast_config(folder: Path) -> Path:
    path = folder / "fast.yaml"
    path.write_text(yaml.safe_dump({"lightgbm": FAST.lightgbm, "n_jobs": 1, "shap_sample": 300}))
    return path


def test_train_churn_then_score(small_synthetic_dir: Path, settings, tmp_path: Path) -> None:
    config = fast_config(tmp_path)
    trained = runner.invoke(
        app, ["train", "churn", "--data", str(small_synthetic_dir), "--config", str(config)]
    )
    assert trained.exit_code == 0, trained.output
    assert "churn v1" in trained.output and "gate: no champion yet" in trained.output
    assert "stacked" in trained.output and "mbgnbd" in trained.output  # the candidates table
    out = tmp_path / "scores.parquet"
    scored = runner.invoke(app, ["score", "--data", str(small_synthetic_dir), "--out", str(out)])
    assert scored.exit_code == 0, scored.output
    scores = pd.read_parquet(out)
    assert len(scores) == 1500 and scores["churn_probability"].notna().any()
    assert scores["purchase_propensity"].isna().all()  # no propensity champion yet: empty, and said so
    assert "wrote scores of 1,500 customers" in scored.output and "no propensity champion" in scored.output
    assert not list(tmp_path.glob(".*.tmp"))


def test_mistakes_are_user_errors(tmp_path: Path, settings) -> None:
    write_tables(tiny_frames(), tmp_path / "tiny", fmt="parquet")
    data = str(tmp_path / "tiny")
    bad = tmp_path / "bad.yaml"
    bad.write_text("horizon: 90\n")
    cases = {
        "unknown setting": ["train", "churn", "--data", data, "--config", str(bad)],
        "needs 150 days": ["train", "churn", "--data", data, "--as-of", "2024-05-01"],
        "no predictive model has a champion": ["score", "--data", data, "--out", str(tmp_path / "s.parquet")],
    }
    for message, command in cases.items():
        result = runner.invoke(app, command)
        assert isinstance(result.exception, USER_ERRORS), (command, result.exception)
        assert message in str(result.exception)


def test_score_refuses_a_non_parquet_file_in_one_line(tmp_path: Path) -> None:
    command = [sys.executable, "-m", "cible", "score", "--out", str(tmp_path / "scores.csv")]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    assert done.returncode == 1
    assert "Traceback" not in done.stderr and "use a .parquet name" in done.stderr
