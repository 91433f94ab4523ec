"""The one command line: every command has --help, user mistakes are one clear line, outputs are complete."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
import typer
from typer.testing import CliRunner

from cible.cli import app
from features.errors import CibleError
from features.io import write_tables
from tests.tiny_data import tiny_frames

runner = CliRunner()


def all_command_paths() -> list[list[str]]:
    root = typer.main.get_command(app)
    paths: list[list[str]] = []

    def walk(command, prefix: list[str]) -> None:
        paths.append(prefix)
        # typer's groups are not click.Group subclasses in every typer version: look for sub-commands
        for name, sub in (getattr(command, "commands", None) or {}).items():
            walk(sub, [*prefix, name])

    walk(root, [])
    return paths


@pytest.mark.parametrize("path", all_command_paths(), ids=lambda p: " ".join(p) or "cible")
def test_every_command_has_help(path: list[str]) -> None:
    result = runner.invoke(app, [*path, "--help"])
    assert result.exit_code == 0, result.output
    assert "Usage:" in result.output
    assert len(result.output.splitlines()) > 3


def test_validate_lists_problems_and_exits_non_zero(tmp_path: Path) -> None:
    frames = tiny_frames()
    frames["orders"].loc[6, "channel"] = "fax"
    write_tables(frames, tmp_path, fmt="csv")
    result = runner.invoke(app, ["data", "validate", str(tmp_path)])
    assert result.exit_code == 1
    assert "orders.csv, column 'channel', line 8: unknown value" in result.output
    assert "(found 'fax')" in result.output


def test_validate_accepts_good_data(tmp_path: Path) -> None:
    write_tables(tiny_frames(), tmp_path, fmt="parquet")
    result = runner.invoke(app, ["data", "validate", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert "valid" in result.output


def test_features_build_writes_one_row_per_customer(tmp_path: Path) -> None:
    write_tables(tiny_frames(), tmp_path / "data", fmt="parquet")
    out = tmp_path / "features.parquet"
    result = runner.invoke(
        app, ["features", "build", str(tmp_path / "data"), "--as-of", "2024-05-01", "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    frame = pd.read_parquet(out)
    assert frame["customer_id"].tolist() == ["C1", "C2"]
    assert "2 customers" in result.output
    assert not list(tmp_path.glob(".*.tmp"))


def test_user_mistakes_are_one_line_without_traceback(tmp_path: Path) -> None:
    frames = tiny_frames()
    frames["orders"].loc[6, "channel"] = "fax"
    write_tables(frames, tmp_path, fmt="parquet")
    out = tmp_path / "f.parquet"
    command = [
        sys.executable,
        "-m",
        "cible",
        "features",
        "build",
        str(tmp_path),
        "--as-of",
        "2024-05-01",
        "--out",
        str(out),
    ]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    assert "unknown value" in done.stderr and "'fax'" in done.stderr
    assert not out.exists()  # nothing half-written
    debug = subprocess.run(
        [*command[:3], "--debug", *command[3:]], capture_output=True, text=True, check=False
    )
    assert "Traceback" in debug.stderr


def test_bad_as_of_is_a_clear_error(tmp_path: Path) -> None:
    write_tables(tiny_frames(), tmp_path, fmt="parquet")
    result = runner.invoke(
        app, ["features", "build", str(tmp_path), "--as-of", "soon", "--out", str(tmp_path / "f.parquet")]
    )
    # `exit_code != 0` alone passed when parse_timestamp let pandas' ValueError escape (a traceback: the
    # runner reports any exception as exit 1): the error must be a CibleError naming the option and value
    assert isinstance(result.exception, CibleError)
    assert str(result.exception) == "--as-of 'soon' is not a date or timestamp (use YYYY-MM-DD)"
    assert not (tmp_path / "f.parquet").exists()
