"""`cible segments export` on data loaded one customer partition at a time (``CIBLE_PARTITION_CUSTOMERS``
below the customer count) writes the file the whole data set gives: the same members, consent removals,
control group and order; the minimum size and the automatic control share are the whole segment's."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from cible.cli import app
from features.dataset import Dataset
from features.segments.audience_store import AudienceStore, rule_fields
from features.segments.audiences import Audience, AudienceRule
from features.segments.memberships import MembershipStore
from features.settings import PARTITION_CUSTOMERS_ENV, Settings
from tests.homes import fresh_home
from training.segments.config import SegmentsConfig
from training.segments.train import train_segments

runner = CliRunner()
PER_PARTITION = 400  # the small shop's 1,500 customers in 4 partitions


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory, small_synthetic: Dataset) -> Iterator[Settings]:
    with fresh_home(tmp_path_factory, "partitioned_export") as settings:
        train_segments(
            small_synthetic, small_synthetic.default_as_of(), settings, SegmentsConfig(k_min=4, k_max=4)
        )
        yield settings


def export(data: Path, out: Path, *args: str, per_partition: int | None = None) -> str:
    env = {PARTITION_CUSTOMERS_ENV: str(per_partition)} if per_partition else {}
    command = ["segments", "export", *args, "--out", str(out), "--data", str(data)]
    result = runner.invoke(app, command, env=env)
    assert result.exit_code == 0, result.output + repr(result.exception)
    return result.output


def said(output: str) -> list[str]:
    """The lines of the plan, of the export's size (not its file) and of the consent removals."""
    lines = [line.strip() for line in output.splitlines()]
    kept = [line for line in lines if line.startswith(("control group", "removed", "wrote"))]
    return [line.split(" to ")[0] if line.startswith("wrote") else line for line in kept]


def largest_segment(settings: Settings) -> str:
    return str(MembershipStore(settings.segments_dir).load()["rfm_segment"].value_counts().index[0])


@pytest.mark.parametrize("control", ["10", "auto"])
def test_a_segment_exported_by_partition_is_the_whole_export(
    home: Settings, small_synthetic_dir: Path, tmp_path: Path, control: str
) -> None:
    name = largest_segment(home)
    args = [name, "--channel", "email", "--control", control, "--lift", "0.3", "--min-size", "5"]
    whole, parts = tmp_path / "whole.csv", tmp_path / "parts.csv"
    said_whole = export(small_synthetic_dir, whole, *args, "--campaign", "c-whole")
    said_parts = export(
        small_synthetic_dir, parts, *args, "--campaign", "c-parts", per_partition=PER_PARTITION
    )
    assert "in 4 partitions" in said_parts and "partitions" not in said_whole
    expected, got = pd.read_csv(whole), pd.read_csv(parts)
    assert len(got) > 20 and got["control_group"].any()
    pd.testing.assert_frame_equal(got.drop(columns="campaign_id"), expected.drop(columns="campaign_id"))
    # the sample-size plan, the control group's size and the consent removals are the whole segment's
    assert said(said_parts) == said(said_whole) and len(said(said_whole)) >= 3
    assert not list(tmp_path.glob(".*"))  # no temporary file left behind


def test_an_audience_exported_by_partition_is_the_whole_export(
    home: Settings, small_synthetic_dir: Path, tmp_path: Path
) -> None:
    rule = AudienceRule.parse("total_spend > 300 and consent.sms_marketing", rule_fields())
    AudienceStore(home.audiences_dir).save(Audience("spenders", rule, "spent over 300"))
    args = ["spenders", "--channel", "sms", "--min-size", "1", "--format", "parquet"]
    whole, parts = tmp_path / "whole.out", tmp_path / "parts.out"
    export(small_synthetic_dir, whole, *args, "--campaign", "a-whole")
    export(small_synthetic_dir, parts, *args, "--campaign", "a-parts", per_partition=PER_PARTITION)
    expected, got = pd.read_parquet(whole), pd.read_parquet(parts)
    assert len(got) > 20
    pd.testing.assert_frame_equal(got.drop(columns="campaign_id"), expected.drop(columns="campaign_id"))


def test_the_minimum_size_is_the_whole_segments_not_a_partitions(
    home: Settings, small_synthetic_dir: Path, tmp_path: Path
) -> None:
    name = largest_segment(home)
    first = tmp_path / "first.csv"
    export(small_synthetic_dir, first, name, "--channel", "email", "--min-size", "1", "--campaign", "m-1")
    reachable = len(pd.read_csv(first))
    assert reachable > PER_PARTITION // 4  # more than any one partition holds of the segment (about a 4th)
    at_minimum = tmp_path / "at.csv"
    args = [name, "--channel", "email", "--min-size", str(reachable), "--campaign", "m-2"]
    export(small_synthetic_dir, at_minimum, *args, per_partition=PER_PARTITION)
    assert len(pd.read_csv(at_minimum)) == reachable
    over = ["segments", "export", name, "--channel", "email", "--min-size", str(reachable + 1)]
    refused = runner.invoke(
        app,
        [*over, "--out", str(tmp_path / "over.csv"), "--data", str(small_synthetic_dir)],
        env={PARTITION_CUSTOMERS_ENV: str(PER_PARTITION)},
    )
    assert refused.exit_code != 0 and f"has {reachable} customer(s) reachable" in str(refused.exception)
    assert not (tmp_path / "over.csv").exists()
