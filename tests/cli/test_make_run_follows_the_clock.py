"""`make run` follows the calendar: its cutoff (AS_OF) is the first day of the retailer's current month by the
one clock, the synthetic data end there, and a new month generates them again and retrains, while a home
where nothing changed starts the service at once.

The Makefile runs for real (its stamps, its `cmp` of the settings, its recursive `make train`), with `BIN`
pointing at a folder where `python` is this interpreter and `cible` writes down the command it was given
(and, for `data synth`, the file make looks for) instead of generating, training and serving for minutes:
what is tested here is which commands `make run` runs, with which dates."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from features import clock

REPO = Path(__file__).resolve().parents[2]
JUNE = "2028-06-15T10:00:00"

RECORDING_CIBLE = """#!/bin/sh
echo "$*" >> "{log}"
if [ "$1 $2" = "data synth" ]; then mkdir -p "$4" && touch "$4/orders.parquet"; fi
"""


class Make:
    def __init__(self, tmp_path: Path) -> None:
        self.home = tmp_path / "home"
        self.log = tmp_path / "cible.log"
        self.bin = tmp_path / "bin"
        self.bin.mkdir()
        (self.bin / "python").write_text(f'#!/bin/sh\nexec "{sys.executable}" "$@"\n')
        (self.bin / "cible").write_text(RECORDING_CIBLE.format(log=self.log))
        for tool in ("python", "cible"):
            (self.bin / tool).chmod(0o755)
        self.installed = tmp_path / "installed"  # the venv's install stamp: make never installs anything
        self.installed.touch()

    def run(self, now: str, *args: str) -> list[str]:
        """`make run ARGS` with the clock at ``now``: the cible commands it ran, in order."""
        self.log.write_text("")
        done = subprocess.run(
            ["make", "run", f"CIBLE_HOME={self.home}", f"BIN={self.bin}", f"STAMP={self.installed}", *args],
            cwd=REPO,
            env={**os.environ, clock.NOW_ENV: now, clock.ZONE_ENV: clock.DEFAULT_ZONE},
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert done.returncode == 0, done.stdout + done.stderr
        return self.log.read_text().splitlines()


def ran(commands: list[str], name: str) -> list[str]:
    return [line for line in commands if line.startswith(f"{name} ")]


@pytest.fixture
def make(tmp_path: Path) -> Make:
    return Make(tmp_path)


def test_the_cutoff_is_the_first_of_the_clocks_month_and_the_synthetic_data_end_there(make: Make) -> None:
    commands = make.run(JUNE)
    assert [line.split(" --end ")[1] for line in ran(commands, "data synth")] == ["2028-06-01"]
    for name in ("features build", "train all", "materialize"):
        assert [line.split(" --as-of ")[1].split()[0] for line in ran(commands, name)] == ["2028-06-01"], name
    assert commands[-1].startswith("serve ")


def test_the_month_is_the_retailers_not_the_machines(make: Make) -> None:
    # 23:30 UTC on 31 May is already 1 June in Paris
    assert ran(make.run("2028-05-31T23:30:00Z"), "data synth")[0].endswith("--end 2028-06-01")


def test_a_new_month_generates_the_data_again_and_an_unchanged_home_starts_at_once(make: Make) -> None:
    make.run(JUNE)
    assert [line.split()[0] for line in make.run("2028-06-30T21:00:00")] == ["keys", "serve"]
    july = make.run("2028-07-01T08:00:00")
    assert ran(july, "data synth")[0].endswith("--end 2028-07-01")
    assert ran(july, "train all")[0].endswith("--as-of 2028-07-01")
    assert [line.split()[0] for line in make.run("2028-07-02T08:00:00")] == ["keys", "serve"]


@pytest.mark.parametrize("size", ["CUSTOMERS=900", "MONTHS=12"])
def test_another_size_generates_the_data_again(make: Make, size: str) -> None:
    make.run(JUNE)
    again = make.run(JUNE, size)
    assert ran(again, "data synth") and f"--{size.split('=')[0].lower()} {size.split('=')[1]}" in again[0]
    assert ran(again, "train all")


def test_an_as_of_given_on_the_command_line_wins(make: Make) -> None:
    commands = make.run(JUNE, "AS_OF=2026-11-01")
    assert ran(commands, "data synth")[0].endswith("--end 2026-11-01")
    assert ran(commands, "train all")[0].endswith("--as-of 2026-11-01")
