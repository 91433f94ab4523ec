"""A load reads the validated tables one at a time, leaving erased and expired rows out as it reads them:
it must give exactly what the privacy rules give applied to the whole tables at once, with every rule in
play (an erasure whose devices are shared, corrections, consent changes, recorded campaign assignments
that collide with the data's own rows, shorter retention periods), from the cache and without it."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pytest
from pyarrow import feather

from features import columns as c
from features import validated_cache, validated_tables
from features.campaigns.ledger import AssignmentLedger
from features.dataset import Dataset
from features.load import load_dataset
from features.privacy.rectification import Correction
from features.privacy.rules import PrivacyRules
from features.settings import Settings
from features.validate import validate_folder
from tests.conftest import PINNED_NOW

NOW = PINNED_NOW


def whole_tables_load(folder: Path, rules: PrivacyRules) -> Dataset:
    """What a load gave when it held every table at once: validated frames, the recorded assignments
    merged, then every privacy rule applied to the whole tables."""
    problems, frames = validate_folder(folder, now=NOW)
    assert not problems
    frames["assignments"] = rules.assignments.merge(
        frames.get("assignments"), frames["customers"][c.CUSTOMER_ID]
    )
    return Dataset.from_frames(rules.apply(frames, NOW))


def record_privacy_decisions(rules: PrivacyRules, folder: Path) -> None:
    customers = pd.read_parquet(folder / "customers.parquet")
    events = pd.read_parquet(folder / "events.parquet")
    logged = events.dropna(subset=[c.CUSTOMER_ID])
    # erased: customers with web visits (their devices' anonymous events go too) and two others
    for customer_id in [*logged[c.CUSTOMER_ID].unique()[:4], *customers[c.CUSTOMER_ID].iloc[:2]]:
        rules.add_tombstone(customer_id)
    fixes = [
        Correction(customer_id, line, {c.REGION: "Bretagne", c.BIRTH_YEAR: 1980})
        for line, customer_id in enumerate(customers[c.CUSTOMER_ID].iloc[10:20])
    ]
    rules.rectifications.append(fixes, customers, rules.salt())
    consents = pd.read_parquet(folder / "consents.parquet")
    consents = consents[consents[c.RECORDED_AT] > NOW - pd.DateOffset(months=12)].head(20)  # not expired
    flipped = consents.assign(**{c.GRANTED: ~consents[c.GRANTED]})
    later = consents.head(10).assign(**{c.RECORDED_AT: NOW - pd.Timedelta(days=3), c.GRANTED: False})
    again = consents.head(5)  # changed back: the last change wins
    changes = pd.concat([flipped, later, again])
    changes[c.RECORDED_AT] = changes[c.RECORDED_AT].astype(str)
    rules.consent_updates.append(changes.to_dict("records"))
    assignments = pd.read_parquet(folder / "assignments.parquet")
    oldest = assignments[assignments[c.CAMPAIGN_ID] == assignments[c.CAMPAIGN_ID].iloc[0]].head(30)
    # the same campaign and customers as expired data rows (the data's row wins, then expires), and others
    collide = oldest.assign(**{c.ASSIGNED_AT: NOW - pd.Timedelta(days=30)})
    others = collide.assign(**{c.CUSTOMER_ID: customers[c.CUSTOMER_ID].iloc[100:130].to_numpy()})
    AssignmentLedger.in_home(rules.folder.parent).record(
        pd.concat([collide, others]).drop_duplicates([c.CAMPAIGN_ID, c.CUSTOMER_ID])
    )
    (rules.folder / "retention.yaml").write_text("events: 6\nassignments: 12\nconsents: 20\n")


@pytest.fixture()
def rules(settings: Settings, small_synthetic_dir: Path) -> PrivacyRules:
    base = PrivacyRules.from_settings(settings)
    record_privacy_decisions(base, small_synthetic_dir)
    return PrivacyRules.from_settings(settings)  # with the retention periods just written


def assert_same(loaded: Dataset, expected: Dataset) -> None:
    for name, frame in expected.frames().items():
        pd.testing.assert_frame_equal(loaded.frames()[name], frame, check_exact=True, obj=name)


def test_a_load_table_by_table_equals_the_rules_applied_to_whole_tables(
    small_synthetic_dir: Path, rules: PrivacyRules, monkeypatch: pytest.MonkeyPatch
) -> None:
    expected = whole_tables_load(small_synthetic_dir, rules)
    assert len(expected.customers) == 1500 - 6  # the decisions above all count
    ledger_rows = expected.assignments[c.ASSIGNED_AT] == NOW - pd.Timedelta(days=30)
    assert 0 < ledger_rows.sum() < 60  # the colliding ones expired with the data's rows they lost to
    monkeypatch.setattr(validated_tables, "GROUP_ROWS", 1)  # one record batch at a time
    assert_same(load_dataset(small_synthetic_dir, now=NOW, privacy=rules), expected)  # validated now
    assert_same(load_dataset(small_synthetic_dir, now=NOW, privacy=rules), expected)  # from the cache


def test_a_folder_whose_tables_cannot_be_cached_loads_the_same(
    small_synthetic_dir: Path, rules: PrivacyRules, monkeypatch: pytest.MonkeyPatch
) -> None:
    def not_cached(folder: Path, now: pd.Timestamp, cache: Path):  # a full disk, say
        return validate_folder(folder, now=now, keep_frames=False)

    monkeypatch.setattr(validated_cache, "validate_into_cache", not_cached)
    loaded = load_dataset(small_synthetic_dir, now=NOW, privacy=rules)
    assert_same(loaded, whole_tables_load(small_synthetic_dir, rules))


def test_recorded_assignments_without_an_assignments_file_are_loaded_the_same(
    small_synthetic_dir: Path, rules: PrivacyRules, tmp_path: Path
) -> None:
    folder = tmp_path / "data"
    shutil.copytree(small_synthetic_dir, folder)
    (folder / "assignments.parquet").unlink()
    loaded = load_dataset(folder, now=NOW, privacy=rules)
    assert len(loaded.assignments)  # the recorded ones
    assert_same(loaded, whole_tables_load(folder, rules))


def test_batches_past_retention_are_skipped_and_the_load_is_the_same(
    small_synthetic_dir: Path, rules: PrivacyRules, settings: Settings
) -> None:
    expected = whole_tables_load(small_synthetic_dir, rules)
    load_dataset(small_synthetic_dir, now=NOW, privacy=rules)
    # the cached events in small record batches, many of them older than the retention period
    (entry,) = (settings.home / "cache" / "validated").iterdir()
    path = entry / "events.feather"
    table = feather.read_table(path)
    feather.write_feather(table, path, chunksize=500)
    limit = rules.retention.cutoff("events", NOW)
    with pa.OSFile(str(path)) as source:
        reader = pa.ipc.open_file(source)
        latest = [
            pc.max(reader.get_batch(i).column(c.OCCURRED_AT)).as_py()
            for i in range(reader.num_record_batches)
        ]
    assert sum(time < limit for time in latest) > 10
    assert_same(load_dataset(small_synthetic_dir, now=NOW, privacy=rules), expected)
