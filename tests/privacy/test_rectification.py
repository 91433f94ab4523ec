"""Rectification: a correction file reaches the next feature build and the next online-store record,
survives a re-import of the retailer's data, and is refused with the file, line and column when wrong."""

from __future__ import annotations

import json
import shutil

import pandas as pd
import pytest
from typer.testing import CliRunner

from cible.cli import app
from features import clock
from features.consent_gate import check_consent
from features.customer_features.build import build_customer_features
from features.load import load_dataset
from features.online_store.factory import open_store
from features.privacy.rules import PrivacyRules
from features.validation_problems import DataValidationError

runner = CliRunner()


def invoke(*args: str) -> str:
    result = runner.invoke(app, list(args))
    assert result.exit_code == 0, result.output + repr(result.exception)
    return result.output


def refused(*args: str) -> str:
    """The message the user sees (``cible.cli.main`` prints the contract error), on one line."""
    result = runner.invoke(app, list(args))
    assert isinstance(result.exception, DataValidationError), result.output + repr(result.exception)
    return " ".join(str(result.exception).split())


@pytest.fixture()
def folder(small_synthetic_dir, settings, tmp_path):
    copy = tmp_path / "data"
    shutil.copytree(small_synthetic_dir, copy)
    return copy


def profiled_customer(folder) -> pd.Series:
    """A customer whose online-store record carries features (profiling granted)."""
    dataset = load_dataset(folder)
    ids = dataset.customers["customer_id"]
    allowed = check_consent(dataset.consents, ids, clock.now(), needs_profiling=True).allowed
    return dataset.customers[allowed].iloc[0]


def test_a_correction_reaches_features_and_the_online_store_and_survives_a_reimport(
    folder, settings, tmp_path
) -> None:
    person = profiled_customer(folder)
    cid = person["customer_id"]
    new_region = "Corse" if person["region"] != "Corse" else "Bretagne"
    fixes = tmp_path / "fixes.csv"
    fixes.write_text(f"customer_id,region,postcode\n{cid},{new_region},20000\n")
    out = invoke("privacy", "rectify", "--data", str(folder), "--file", str(fixes))
    assert "recorded 2 correction(s) for 1 customer(s)" in out

    dataset = load_dataset(folder)
    row = dataset.customers.set_index("customer_id").loc[cid]
    assert (row["region"], row["postcode"]) == (new_region, "20000")
    features = build_customer_features(dataset, dataset.default_as_of()).set_index("customer_id")
    assert features.at[cid, "region"] == new_region
    others = features.index != cid  # nobody else changed
    before = build_customer_features(
        load_dataset(folder, privacy=PrivacyRules(tmp_path / "none")), dataset.default_as_of()
    )
    assert (features.loc[others, "region"] == before.set_index("customer_id").loc[others, "region"]).all()

    invoke("materialize", "--data", str(folder))
    store = open_store(settings)
    assert store.get(cid)["features"]["region"] == new_region
    store.close()

    # The retailer re-imports its export, which still holds the wrong values: the correction stays.
    original = pd.read_parquet(folder / "customers.parquet")
    original.to_parquet(folder / "customers.parquet", index=False)
    assert load_dataset(folder).customers.set_index("customer_id").at[cid, "region"] == new_region
    # Once the source itself holds a newer value (the person moved again), the source wins.
    original.loc[original["customer_id"] == cid, "region"] = "Normandie"
    original.to_parquet(folder / "customers.parquet", index=False)
    reloaded = load_dataset(folder).customers.set_index("customer_id")
    assert reloaded.at[cid, "region"] == "Normandie" and reloaded.at[cid, "postcode"] == "20000"

    # Audited by id and column names only; the access export lists the correction; erasure forgets it.
    line = next(json.loads(x) for x in settings.audit_log.read_text().splitlines() if '"rectify"' in x)
    assert line["target"] == cid and line["columns"] == ["postcode", "region"]
    assert new_region not in json.dumps(line) and "20000" not in json.dumps(line)
    assert line["actor"].startswith("cli:")
    access = tmp_path / "access.json"
    invoke("privacy", "export", cid, "--out", str(access), "--data", str(folder))
    report = json.loads(access.read_text())
    assert report["rectifications"][0]["changes"]["postcode"]["value"] == "20000"
    invoke("privacy", "erase", cid)
    assert cid not in (settings.home / "privacy" / "rectifications.jsonl").read_text()


def test_a_wrong_correction_file_is_refused_naming_file_line_and_column(folder, settings, tmp_path) -> None:
    ids = load_dataset(folder).customers["customer_id"]
    fixes = tmp_path / "fixes.csv"
    fixes.write_text(f"customer_id,gender,birth_year\n{ids[0]},F,1980\n{ids[1]},Q,1975\nC999999,,1990\n")
    out = refused("privacy", "rectify", "--data", str(folder), "--file", str(fixes))
    assert f"{fixes}, column 'gender', line 3: unknown value" in out
    assert "column 'customer_id', line 4: unknown customer" in out

    fixes.write_text(f"customer_id,loyalty_card,region\n{ids[0]},X1,Corse\n")
    out = refused("privacy", "rectify", "--data", str(folder), "--file", str(fixes))
    assert "column 'loyalty_card': not a column of customers" in out

    fixes.write_text(f"customer_id,birth_year\n{ids[0]},nineteen\n{ids[0]},1980\n")
    out = refused("privacy", "rectify", "--data", str(folder), "--file", str(fixes))
    assert "column 'birth_year', line 2: not a valid whole number" in out
    assert "lines 2, 3: duplicate key" in out and "no correction" not in out

    fixes.write_text(f"customer_id\n{ids[0]}\n")  # the key alone: nothing to correct, nothing to rename
    out = refused("privacy", "rectify", "--data", str(folder), "--file", str(fixes))
    assert "no column to correct" in out
    assert not (settings.home / "privacy" / "rectifications.jsonl").exists()
