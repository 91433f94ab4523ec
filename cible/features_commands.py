"""``cible features …``: build point-in-time customer features and summarise them."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import typer
from rich.table import Table as RichTable

from cible.common import EngineOption, PartitionsOption, SchedulerOption, parse_timestamp
from cible.console import console, steps
from features import clock
from features.customer_features import names as n
from features.customer_features.run import build_features
from features.customer_features.sets import CUSTOMER_FEATURES_V1
from features.engine import EngineConfig
from features.io import atomic_path

app = typer.Typer(help="Point-in-time customer features.", no_args_is_help=True)

SUMMARY_COLUMNS: tuple[str, ...] = (
    n.DAYS_SINCE_LAST_ORDER,
    n.N_ORDERS,
    n.TOTAL_SPEND,
    n.AVG_ORDER_VALUE,
    n.GAP_MEAN_DAYS,
    n.orders_in(365),
    n.N_CHANNELS,
    n.order_share("web"),
    n.order_share("phone"),
    n.DISCOUNT_SHARE,
    n.RETURN_RATE,
    n.web_count("sessions", 30),
    n.CART_ITEMS_OPEN,
    n.campaign_measure("contacts"),
    n.campaign_measure("open_rate"),
    *n.CONSENT_COLUMNS,
)


def print_summary(frame: pd.DataFrame, as_of: pd.Timestamp) -> None:
    buyers = int((frame[n.N_ORDERS] > 0).sum())
    active = int((frame[n.orders_in(365)] > 0).sum())
    console.print(
        f"[bold]{len(frame):,} customers[/bold] as of {as_of:%Y-%m-%d %H:%M}: {buyers:,} have ordered, "
        f"{active:,} in the last 365 days; feature set {CUSTOMER_FEATURES_V1.key}, "
        f"{frame.shape[1] - 2} columns."
    )
    table = RichTable(title_justify="left")
    for header in ("feature", "filled", "mean", "median", "p90"):
        table.add_column(header, justify="left" if header == "feature" else "right")
    for column in SUMMARY_COLUMNS:
        values = pd.to_numeric(frame[column], errors="coerce").astype("float64")
        filled = values.notna().mean()
        table.add_row(
            column,
            f"{filled:.0%}",
            f"{values.mean():,.2f}",
            f"{values.median():,.2f}",
            f"{values.quantile(0.9):,.2f}",
        )
    console.print(table)


@app.command()
def build(
    folder: Path = typer.Argument(..., help="Data folder (validated before use)."),
    as_of: str = typer.Option(..., "--as-of", help="Cutoff: only rows strictly before it are read."),
    out: Path = typer.Option(..., "--out", help="Parquet file to write, one row per customer."),
    summary: bool = typer.Option(True, help="Print a summary of the features."),
    engine: str = EngineOption,
    scheduler: str = SchedulerOption,
    partitions: int = PartitionsOption,
) -> None:
    """Compute point-in-time customer features (RFM, channels, categories, web, campaigns, consent)."""
    cutoff = parse_timestamp(as_of)
    config = EngineConfig.resolve(engine, scheduler, partitions)
    with steps(f"features on {config.describe()}") as progress:
        frame = build_features(folder, cutoff, config, progress=progress)
    frame.attrs["feature_set"] = CUSTOMER_FEATURES_V1.key
    with atomic_path(out) as tmp:
        frame.to_parquet(tmp, index=False)
    console.print(f"wrote {out}")
    if summary:
        print_summary(frame, cutoff)


@app.command("summary")
def summary_command(
    file: Path = typer.Argument(..., help="A features Parquet file written by `cible features build`."),
) -> None:
    """Summarise a features file on screen."""
    frame = pd.read_parquet(file)
    print_summary(frame, pd.Timestamp(frame["as_of"].iloc[0]) if len(frame) else clock.now())
