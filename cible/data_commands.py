"""``cible data …``: validate a data folder, generate the synthetic retailer, import public data sets."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import pandas as pd
import typer
from rich.table import Table as RichTable

from cible.common import parse_timestamp
from cible.console import UserError, console, err_console, steps
from features import clock
from features.contract_doc import contract_markdown
from features.importers.cdnow import import_cdnow
from features.importers.online_retail import import_online_retail
from features.io import write_dataset_frames
from features.schema import TABLES
from features.settings import Settings
from features.synth.chunked import CHUNK_CUSTOMERS
from features.synth.config import SynthConfig
from features.synth.generate import write_synthetic
from features.validate import validate_frames
from features.validated import mark_valid
from features.validated_cache import cache_dir, validate_into_cache

app = typer.Typer(help="Validate, generate and import data folders.", no_args_is_help=True)
import_app = typer.Typer(help="Import a public data set into the data contract.", no_args_is_help=True)
app.add_typer(import_app, name="import")

FORMAT_HELP = "File format of the written tables: parquet or csv."


def _check_format(fmt: str) -> str:
    if fmt not in ("parquet", "csv"):
        raise UserError(f"--format must be parquet or csv, not {fmt!r}")
    return fmt


def _print_sizes(frames: Mapping[str, pd.DataFrame] | Mapping[str, int], title: str) -> None:
    table = RichTable(title=title, title_justify="left")
    table.add_column("table")
    table.add_column("rows", justify="right")
    for name in TABLES:
        rows = frames.get(name, 0)
        table.add_row(name, f"{rows if isinstance(rows, int) else len(rows):,}")
    console.print(table)


@app.command()
def validate(
    folder: Path = typer.Argument(..., help="Data folder holding the seven tables (CSV or Parquet)."),
    now: str = typer.Option(
        None,
        help="Instant after which a timestamp is 'in the future' (default: now, in the retailer's zone).",
    ),
) -> None:
    """Check a data folder against the contract; list every problem with file, column, rows and values."""
    moment = parse_timestamp(now, "--now") if now else clock.now()
    # checked batch by batch, its typed tables kept in the validated cache for the next commands' loads
    settings = Settings.from_env()
    problems, frames = validate_into_cache(folder, moment, cache_dir(settings.home))
    if problems:
        err_console.print(f"[red]{len(problems)} problem(s) in {folder}:[/red]")
        for problem in problems:
            err_console.print(f"  - {problem}", highlight=False)
        raise typer.Exit(1)
    mark_valid(folder, settings)
    _print_sizes(frames, f"{folder}: valid")


@app.command()
def synth(
    out: Path = typer.Option(..., "--out", help="Folder to write the seven tables (and truth/) into."),
    customers: int = typer.Option(SynthConfig.customers, min=10, help="Number of customers."),
    months: int = typer.Option(SynthConfig.months, min=1, max=120, help="Months of history."),
    seed: int = typer.Option(SynthConfig.seed, help="Random seed: same seed, same bytes."),
    end: str = typer.Option(
        str(SynthConfig.end.date()), help="Exclusive end of the simulated period (YYYY-MM-DD)."
    ),
    fmt: str = typer.Option("parquet", "--format", help=FORMAT_HELP),
    chunk_customers: int = typer.Option(
        CHUNK_CUSTOMERS,
        min=1,
        help="Above this many customers, generate chunk by chunk (bounded memory; same seed and chunk size, "
        "same data).",
    ),
) -> None:
    """Generate a synthetic French omnichannel fine-food retailer (hidden truth in OUT/truth/)."""
    config = SynthConfig(customers=customers, months=months, seed=seed, end=pd.Timestamp(end))
    with steps("synthetic data") as progress:
        rows = write_synthetic(
            config, out, fmt=_check_format(fmt), progress=progress, chunk_customers=chunk_customers
        )
    _print_sizes(rows, f"{out}: {customers:,} customers over {months} months")


def _write_import(tables: dict[str, pd.DataFrame], report: list[str], out: Path, fmt: str) -> None:
    problems, _ = validate_frames(tables, now=clock.now())
    if problems:
        details = "\n".join(f"  - {p}" for p in problems)
        raise UserError(f"the imported data breaks the contract; nothing was written:\n{details}")
    write_dataset_frames(tables, out, _check_format(fmt))
    for line in report:
        console.print(f"  {line}", highlight=False)
    _print_sizes(tables, f"{out}: imported")


@import_app.command("online-retail")
def online_retail(
    file: Path = typer.Argument(..., help="UCI Online Retail CSV (.csv or .csv.xz)."),
    out: Path = typer.Option(..., "--out", help="Folder to write the contract tables into."),
    fmt: str = typer.Option("parquet", "--format", help=FORMAT_HELP),
) -> None:
    """Map UCI Online Retail to the contract (returns, guest orders, non-products, categories)."""
    with steps("importing Online Retail"):
        result = import_online_retail(file)
    _write_import(result.tables, result.report, out, fmt)


@import_app.command("cdnow")
def cdnow(
    file: Path = typer.Argument(..., help="CDNOW_master.txt (customer id, yyyymmdd, CDs, dollars)."),
    out: Path = typer.Option(..., "--out", help="Folder to write the contract tables into."),
    fmt: str = typer.Option("parquet", "--format", help=FORMAT_HELP),
) -> None:
    """Map the CDNOW cohort to the contract (same-day purchases merged into one order)."""
    with steps("importing CDNOW"):
        result = import_cdnow(file)
    _write_import(result.tables, result.report, out, fmt)


@app.command()
def contract() -> None:
    """Print the data contract (tables, columns, types, rules) as Markdown."""
    console.print(contract_markdown(), markup=False, highlight=False, soft_wrap=True)
