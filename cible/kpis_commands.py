"""``cible kpis``: KPIs by channel, segment and month, to CSV or Parquet."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import typer

from cible.common import DataOption, load_data, parse_timestamp
from cible.console import UserError, console
from features import columns as c
from features.campaigns.kpis import GROUPS, SEGMENT, KpiGroupError, channel_kpis
from features.io import atomic_path
from features.segments.memberships import MembershipStore
from features.segments.rfm import RFM_SEGMENT
from features.settings import Settings


def kpis_command(
    since: str = typer.Option(..., "--since", help="First day counted (YYYY-MM-DD)."),
    until: str = typer.Option(None, "--until", help="First day not counted (default: no end)."),
    by: str = typer.Option("channel,month", "--by", help=f"Comma-separated among {', '.join(GROUPS)}."),
    out: Path = typer.Option(..., "--out", help="File to write: .csv or .parquet."),
    data: Path = DataOption,
) -> None:
    """Active customers, orders, basket, margin, repeat rate, account openings and campaign contacts,
    opens, clicks and conversions, per channel (and RFM segment, and month)."""
    if out.suffix not in (".csv", ".parquet"):
        raise UserError(f"--out {out}: write a .csv or a .parquet file")
    groups = tuple(part.strip() for part in by.split(",") if part.strip())
    settings = Settings.from_env()
    memberships = None
    if SEGMENT in groups:
        store = MembershipStore(settings.segments_dir)
        if not store.dates():
            raise UserError("--by segment needs segment memberships: run `cible train segments` first")
        snapshot = store.load()
        memberships = pd.DataFrame({c.CUSTOMER_ID: snapshot[c.CUSTOMER_ID], SEGMENT: snapshot[RFM_SEGMENT]})
    dataset = load_data(settings, data)
    end = parse_timestamp(until, "--until") if until else None
    try:
        kpis = channel_kpis(dataset, parse_timestamp(since, "--since"), end, groups, memberships)
    except KpiGroupError as exc:
        raise UserError(str(exc)) from exc
    with atomic_path(out) as tmp:
        if out.suffix == ".csv":
            kpis.to_csv(tmp, index=False)
        else:
            kpis.to_parquet(tmp, index=False)
    console.print(f"wrote {len(kpis):,} rows of KPIs by {', '.join(groups)} to {out}")
