"""``cible segments …`` and ``cible audiences …``: what CRM marketers pull, see and diff."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import typer
from rich.table import Table as RichTable

from cible.common import (
    AsOfOption,
    DataOption,
    EngineOption,
    PartitionsOption,
    SchedulerOption,
    command_engine,
    engine_config,
    load_data,
    parse_timestamp,
    resolve_as_of,
    scoring_data,
)
from cible.console import UserError, console
from features import clock
from features import columns as c
from features.batch_engine import BatchEngine, InMemoryEngine
from features.campaigns.ledger import check_campaign_id
from features.campaigns.sample_size import baseline_conversion, detectable_lift, plan_control
from features.campaigns.windows import window_days
from features.consent_gate import check_consent
from features.customer_partitions import PartitionedData
from features.dataset import Dataset
from features.engine import EngineConfig
from features.privacy.audit import AuditTrail, cli_actor
from features.privacy.rules import PrivacyRules
from features.segments.audience_store import AudienceStore, audience_frame, rule_fields
from features.segments.audiences import Audience, load_audience_file
from features.segments.export import FORMATS, export_members, member_rows, members_data
from features.segments.memberships import AS_OF, SEGMENT_COLUMNS, MembershipStore, diff, segment_kind
from features.segments.profile import segment_profile
from features.settings import Settings
from training.segments.config import SegmentsConfig
from training.segments.score import assign_segments

app = typer.Typer(help="Segment lists, profiles, exports and entered/exited diffs.", no_args_is_help=True)
audiences_app = typer.Typer(help="Rule-based audiences saved by name.", no_args_is_help=True)
KIND_LABELS = {"rfm_segment": "RFM", "cluster_name": "cluster", "value_tier": "value tier"}


def _store(settings: Settings) -> MembershipStore:
    return MembershipStore(settings.segments_dir)


def _audience(settings: Settings, name: str) -> Audience | None:
    audiences = AudienceStore(settings.audiences_dir)
    return audiences.load(name) if name in audiences.names() else None


def _chosen(audience: Audience, snapshot: pd.DataFrame, dataset: Dataset, engine: BatchEngine) -> pd.Series:
    """The ids of ``dataset``'s customers (the whole data set's, or one partition's) the audience's rule
    picks, read on the features of ``engine`` at the snapshot's date: the rule reads each customer's
    own row only."""
    features = engine.features(pd.Timestamp(snapshot[AS_OF].iloc[0]))
    frame = audience_frame(features, snapshot, dataset.consents, clock.now())
    return frame.loc[audience.rule.evaluate(frame), c.CUSTOMER_ID]


def _members(
    settings: Settings, name: str, dataset: Dataset, engine: BatchEngine
) -> tuple[pd.DataFrame, bool]:
    """Members of a stored segment or of a saved audience (its rule read on the features of ``engine``),
    and whether the selection is profile-based."""
    snapshot = _store(settings).load()
    audience = _audience(settings, name)
    if audience is not None:
        chosen = _chosen(audience, snapshot, dataset, engine)
        return snapshot[snapshot[c.CUSTOMER_ID].isin(chosen)], audience.rule.needs_profiling
    kind = segment_kind(snapshot, name)
    return snapshot[snapshot[kind] == name], True


def _partitioned_members(
    settings: Settings, name: str, data: PartitionedData, now: pd.Timestamp
) -> tuple[pd.DataFrame, bool, Dataset]:
    """:func:`_members` over a data set read one customer partition at a time, and the members' rows
    an export reads (consents, last year's orders) as a small data set
    (:func:`features.segments.export.member_rows`): a segment's members are the snapshot's; an
    audience's are picked partition by partition, each customer on their own features."""
    snapshot = _store(settings).load()
    audience = _audience(settings, name)
    if audience is None:
        members, needs_profiling = snapshot[snapshot[segment_kind(snapshot, name)] == name], True
    chosen: list[pd.Series] = []
    pieces = []
    only = None if audience else ("consents", "orders")  # a segment needs no features
    with data.split(only) as split:
        for tables in split:
            part = data.read(tables, only)
            if audience is not None:
                chosen.append(_chosen(audience, snapshot, part, InMemoryEngine(part)))
            pieces.append(member_rows(part, chosen[-1] if audience else members[c.CUSTOMER_ID], now))
            del part
    if audience is not None:
        members = snapshot[snapshot[c.CUSTOMER_ID].isin(pd.concat(chosen))]
        needs_profiling = audience.rule.needs_profiling
    return members, needs_profiling, members_data(pieces)


@app.command("list")
def list_segments() -> None:
    """Every segment of the latest scoring run with its size, and the saved audiences."""
    settings = Settings.from_env()
    snapshot = _store(settings).load()
    table = RichTable(title=f"segments as of {snapshot[AS_OF].iloc[0]:%Y-%m-%d}", title_justify="left")
    for header in ("kind", "segment", "customers", "share"):
        table.add_column(header, justify="right" if header in ("customers", "share") else "left")
    for kind in SEGMENT_COLUMNS:
        for name, count in snapshot[kind].value_counts().sort_index().items():
            table.add_row(KIND_LABELS[kind], str(name), f"{count:,}", f"{count / len(snapshot):.1%}")
    console.print(table)
    saved = AudienceStore(settings.audiences_dir).names()
    console.print(f"saved audiences: {', '.join(saved) if saved else 'none'}")


@app.command()
def show(name: str = typer.Argument(..., help="Segment or audience name."), data: Path = DataOption) -> None:
    """Size and profile of one segment: revenue share, basket per channel, top categories, reach."""
    settings = Settings.from_env()
    snapshot = _store(settings).load()
    dataset = load_data(settings, data)
    with command_engine(settings, data, dataset, EngineConfig.resolve()) as on:
        members, _ = _members(settings, name, dataset, on)
        features = on.features(pd.Timestamp(snapshot[AS_OF].iloc[0]))
    marked = snapshot.assign(
        _in=snapshot[c.CUSTOMER_ID].isin(members[c.CUSTOMER_ID]).map({True: name, False: "others"})
    )
    profile = segment_profile(features, marked, "_in").set_index("_in").T
    AuditTrail(settings.audit_log).record(cli_actor(), "read_segment", name)
    console.print(f"[bold]{name}[/bold]: {len(members):,} customers ({len(members) / len(snapshot):.1%})")
    table = RichTable(title_justify="left")
    table.add_column("measure")
    for column in profile.columns:
        table.add_column(str(column), justify="right")
    for measure, row in profile.iterrows():
        table.add_row(str(measure), *(f"{v:,.3g}" if isinstance(v, float) else str(v) for v in row))
    console.print(table)


@app.command()
def export(
    name: str = typer.Argument(..., help="Segment or saved audience to export."),
    channel: str = typer.Option(..., help="Channel the campaign uses: email, sms, phone or ads."),
    out: Path = typer.Option(..., "--out", help="File to write."),
    fmt: str = typer.Option(None, "--format", help=f"One of {', '.join(FORMATS)} (default: from --out)."),
    control: str = typer.Option(
        "0",
        help="Percent of members held out as a control group (0 to 50), or `auto`: the smallest share "
        "detecting --lift at 80% power (two-proportion test).",
    ),
    lift: float = typer.Option(
        0.02,
        min=0.001,
        max=0.5,
        help="With --control auto: absolute conversion lift to detect (0.02 = 2 pts).",
    ),
    min_size: int = typer.Option(SegmentsConfig.min_export_size, help="Refuse exports smaller than this."),
    campaign: str = typer.Option(
        None,
        help="Campaign id written on every row and in the assignment ledger (default: NAME-CHANNEL-date).",
    ),
    offer: str = typer.Option(None, help="Offer id the campaign makes, if any (for its results)."),
    data: Path = DataOption,
    engine: str = EngineOption,
    scheduler: str = SchedulerOption,
    partitions: int = PartitionsOption,
) -> None:
    """Export a segment for the CRM: only customers whose consent allows the channel (and profiling).

    Who was picked, treated or held out as control, is recorded in the Cible home
    (campaigns/assignments/CAMPAIGN.parquet) and merged into the `assignments` table at every load, so
    `cible campaigns results CAMPAIGN` measures the campaign once its orders are in the data.

    On the local engine, data of more than CIBLE_PARTITION_CUSTOMERS customers (default 10,000) is
    read one customer partition at a time (the same file, bounded memory)."""
    settings = Settings.from_env()
    now = clock.now()
    campaign_id = check_campaign_id(campaign or f"{name}-{channel}-{now:%Y%m%d-%H%M}")
    config = engine_config(engine, scheduler, partitions)
    if name not in AudienceStore(settings.audiences_dir).names():
        segment_kind(_store(settings).load(), name)  # an unknown name fails before any data is read
    loaded = scoring_data(settings, data, config)
    if isinstance(loaded, PartitionedData):
        members, needs_profiling, dataset = _partitioned_members(settings, name, loaded, now)
    else:
        dataset = loaded
        with command_engine(settings, data, dataset, config) as on:
            members, needs_profiling = _members(settings, name, dataset, on)
    percent = _control_percent(control, lift, members, needs_profiling, channel, dataset, now)
    result = export_members(
        members,
        name,
        dataset.consents,
        channel,
        out,
        now,
        needs_profiling,
        percent,
        min_size,
        fmt,
        campaign_id,
        offer,
    )
    ledger = PrivacyRules.from_settings(settings).assignments
    assert result.assignments is not None
    ledger.record(result.assignments)
    AuditTrail(settings.audit_log).record(
        cli_actor(), "export_segment", name, channel=channel, rows=result.exported, file=str(out)
    )
    console.print(
        f"wrote {result.exported:,} customers to {result.path} ({result.control:,} in the control group); "
        f"campaign {campaign_id!r} recorded in {ledger.path_for(campaign_id)}"
    )
    for purpose, count in sorted(result.removed.items()):
        console.print(f"  removed {count:,}: no '{purpose}' consent")


def _control_percent(
    control: str,
    lift: float,
    members: pd.DataFrame,
    needs_profiling: bool,
    channel: str,
    dataset: Dataset,
    now: pd.Timestamp,
) -> float:
    """The control percent to use, with the sample-size plan printed before anything is written."""
    reachable = members[
        check_consent(
            dataset.consents, members[c.CUSTOMER_ID], now, channel=channel, needs_profiling=needs_profiling
        ).allowed
    ]
    days = window_days(channel)
    baseline = baseline_conversion(dataset, reachable[c.CUSTOMER_ID], now, days)
    if control.strip().lower() != "auto":
        try:
            percent = float(control)
        except ValueError as exc:
            raise UserError(f"--control {control!r}: a percent from 0 to 50, or auto") from exc
        if not 0 <= percent <= 50:
            raise UserError(f"--control {control!r}: a percent from 0 to 50, or auto")
        if percent > 0:
            detectable = detectable_lift(len(reachable), baseline, percent / 100)
            console.print(
                f"control group {percent:g}% of {len(reachable):,}: detects a lift of {detectable:.1%} "
                f"(absolute) over a {days}-day baseline of {baseline:.1%} at 80% power",
                highlight=False,
            )
        return percent
    plan = plan_control(len(reachable), baseline, lift)
    if plan.share is None:
        raise UserError(
            f"{len(reachable):,} reachable customers cannot show a lift of {lift:.1%} over a {days}-day "
            f"baseline of {baseline:.1%} at 80% power even with half held out (detectable: "
            f"{plan.detectable_at_max:.1%}): raise --lift or widen the audience"
        )
    console.print(
        f"control group auto: {plan.share:.1%} of {len(reachable):,} ({plan.control:,} customers) detects a "
        f"lift of {lift:.1%} (absolute) over a {days}-day baseline of {baseline:.1%} at 80% power "
        "(two-sided 5%)",
        highlight=False,
    )
    return plan.share * 100


@app.command("diff")
def diff_command(
    name: str = typer.Argument(..., help="Segment name."),
    since: str = typer.Option(..., help="Compare the latest memberships with those stored at this date."),
    out: Path = typer.Option(None, "--out", help="Also write the list as CSV."),
) -> None:
    """Who entered and who left a segment since a date, with the reason."""
    changes = diff(_store(Settings.from_env()), name, parse_timestamp(since, "--since"))
    entered, exited = (changes["change"] == "entered").sum(), (changes["change"] == "exited").sum()
    console.print(
        f"[bold]{name}[/bold] from {changes.attrs['since']} to {changes.attrs['until']}: "
        f"{entered:,} entered, {exited:,} exited"
    )
    for _, row in changes.head(20).iterrows():
        console.print(f"  {row['change']:<8} {row[c.CUSTOMER_ID]}: {row['reason']}", highlight=False)
    if len(changes) > 20:
        console.print(
            f"  … and {len(changes) - 20:,} more" + ("" if out else " (use --out FILE for the full list)")
        )
    if out:
        changes.to_csv(out, index=False)


@app.command()
def assign(
    data: Path = DataOption,
    as_of: str = AsOfOption,
    engine: str = EngineOption,
    scheduler: str = SchedulerOption,
    partitions: int = PartitionsOption,
) -> None:
    """Score every customer with the champion segmentation model and store the memberships."""
    settings = Settings.from_env()
    config = engine_config(engine, scheduler, partitions)
    dataset = load_data(settings, data)
    cutoff = resolve_as_of(dataset, as_of)
    with command_engine(settings, data, dataset, config) as on:
        memberships, version = assign_segments(dataset, cutoff, settings, on)
    console.print(
        f"stored memberships of {len(memberships):,} customers as of {cutoff:%Y-%m-%d} (segments v{version})"
    )


@audiences_app.command("save")
def save_audience(
    file: Path = typer.Argument(..., help="YAML file with name, rule and description."),
) -> None:
    """Check an audience definition and save it by name."""
    audience = load_audience_file(file, rule_fields())
    path = AudienceStore(Settings.from_env().audiences_dir).save(audience)
    kind = "profile-based" if audience.rule.needs_profiling else "declared data only"
    console.print(f"saved audience {audience.name!r} ({kind}) to {path}")


@audiences_app.command("list")
def list_audiences() -> None:
    """Saved audiences and their rules."""
    store = AudienceStore(Settings.from_env().audiences_dir)
    for name in store.names():
        audience = store.load(name)
        console.print(f"{name}: {audience.rule.text}", highlight=False)
    if not store.names():
        raise UserError("no saved audience yet: `cible audiences save FILE.yaml`")
