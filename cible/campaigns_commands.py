"""``cible campaigns …``: what each campaign caused, measured against its control group."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import typer
from rich.table import Table

from cible.common import AsOfOption, DataOption, load_data, parse_timestamp, resolve_as_of
from cible.console import UserError, console
from features import columns as c
from features.campaigns.results import campaign_results
from features.io import write_table
from features.settings import Settings

app = typer.Typer(help="Campaign results against their control groups.", no_args_is_help=True)


def _interval(value: float, low: float, high: float, scale: float = 1.0, unit: str = "") -> str:
    if pd.isna(value):
        return "—"
    return f"{value * scale:+.2f}{unit} [{low * scale:+.2f}, {high * scale:+.2f}]"


def show_one(row: pd.Series) -> None:
    console.print(
        f"[bold]{row[c.CAMPAIGN_ID]}[/bold] ({row[c.CHANNEL]}, offer {row[c.OFFER_ID] or 'none'}), "
        f"{row['window_start']:%Y-%m-%d %H:%M} to {row['window_end']:%Y-%m-%d %H:%M}: "
        f"{row['treated']:,} treated, {row['control']:,} control"
    )
    lines = [
        ("conversion rate", "treated_conversion_rate", "control_conversion_rate", "{:.2%}"),
        (
            "revenue per customer (EUR)",
            "treated_revenue_per_customer",
            "control_revenue_per_customer",
            "{:.2f}",
        ),
        ("margin per customer (EUR)", "treated_margin_per_customer", "control_margin_per_customer", "{:.2f}"),
    ]
    for label, treated, control, fmt in lines:
        other = "—" if pd.isna(row[control]) else fmt.format(row[control])
        console.print(f"  {label}: treated {fmt.format(row[treated])}, control {other}", highlight=False)
    conv = _interval(
        row["incremental_conversion_rate"],
        row["incremental_conversion_rate_low"],
        row["incremental_conversion_rate_high"],
        100,
        " pts",
    )
    margin = _interval(
        row["incremental_margin_per_customer"], row["incremental_margin_low"], row["incremental_margin_high"]
    )
    console.print(f"  incremental conversion (95% interval): {conv}", highlight=False)
    console.print(f"  incremental margin per customer (EUR, 95% interval): {margin}", highlight=False)
    if row["has_control"]:
        console.print(
            f"  net of the offer's cost ({row['offer_cost_per_customer']:.2f} EUR): "
            f"{row['net_incremental_margin']:+.2f} EUR per customer; pre-period spend SMD "
            f"{row['pre_period_spend_smd']:+.3f} ({'balanced' if row['balanced'] else 'not balanced'})",
            highlight=False,
        )
    if row["note"]:
        console.print(f"  note: {row['note']}", highlight=False)


def show_results(results: pd.DataFrame) -> None:
    table = Table(title="campaign results (95% intervals; one campaign: `cible campaigns results ID`)")
    for header in ("campaign", "channel", "offer", "treated", "control", "conv. T / C", "incr. conv. (pts)"):
        table.add_column(header, justify="left" if header in ("campaign", "channel", "offer") else "right")
    table.add_column("incr. margin / customer (EUR)", justify="right")
    table.add_column("net of cost", justify="right")
    table.add_column("note")
    for _, row in results.iterrows():
        rates = f"{row['treated_conversion_rate']:.1%}"
        if row["has_control"]:
            rates += f" / {row['control_conversion_rate']:.1%}"
        table.add_row(
            str(row[c.CAMPAIGN_ID]),
            str(row[c.CHANNEL]),
            str(row[c.OFFER_ID] or ""),
            f"{row['treated']:,}",
            f"{row['control']:,}",
            rates,
            _interval(
                row["incremental_conversion_rate"],
                row["incremental_conversion_rate_low"],
                row["incremental_conversion_rate_high"],
                100,
            ),
            _interval(
                row["incremental_margin_per_customer"],
                row["incremental_margin_low"],
                row["incremental_margin_high"],
            ),
            "—" if pd.isna(row["net_incremental_margin"]) else f"{row['net_incremental_margin']:+.2f}",
            str(row["note"]),
        )
    console.print(table)


@app.command("results")
def results_command(
    campaign: str = typer.Argument(None, help="Campaign id (or use --since)."),
    since: str = typer.Option(None, help="Every campaign started on or after this date."),
    out: Path = typer.Option(None, "--out", help="Also write the table (.csv or .parquet)."),
    data: Path = DataOption,
    as_of: str = AsOfOption,
) -> None:
    """Treated vs control conversion, revenue and margin per customer in each campaign's window, the
    incremental effect with its 95% interval, net of the offer's cost, and the groups' balance."""
    if (campaign is None) == (since is None):
        raise UserError("give a CAMPAIGN_ID or --since DATE (one of them)")
    settings = Settings.from_env()
    dataset = load_data(settings, data)
    cutoff = resolve_as_of(dataset, as_of)
    start = parse_timestamp(since, "--since") if since else None
    results = campaign_results(dataset, cutoff, campaign_ids=[campaign] if campaign else None, since=start)
    if results.empty:
        what = f"campaign {campaign!r}" if campaign else f"campaign started since {start:%Y-%m-%d}"
        raise UserError(f"no {what} in the assignments or contacts before {cutoff:%Y-%m-%d}")
    if len(results) == 1:
        show_one(results.iloc[0])
    else:
        show_results(results)
    if out:
        write_table(results, out)
        console.print(f"wrote {len(results):,} campaign(s) to {out}")
