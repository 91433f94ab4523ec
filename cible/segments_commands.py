"""``cible segments …`` and ``cible audiences …``: what CRM marketers pull, see and diff."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import typer
from rich.table import Table as RichTable

from cible.common import AsOfOption, DataOption, load_data, parse_timestamp, resolve_as_of
from cible.console import UserError, console
from features import clock
from features import columns as c
from features.customer_features.build import build_customer_features
from features.privacy.audit import AuditTrail, cli_actor
from features.segments.audience_store import AudienceStore, audience_frame, rule_fields
from features.segments.audiences import load_audience_file
from features.segments.export import FORMATS, export_members
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


def _members(settings: Settings, name: str, data: Path | None) -> tuple[pd.DataFrame, bool]:
    """Members of a stored segment or of a saved audience, and whether the selection is profile-based."""
    snapshot = _store(settings).load()
    audiences = AudienceStore(settings.audiences_dir)
    if name in audiences.names():
        audience = audiences.load(name)
        dataset = load_data(settings, data)
        as_of = pd.Timestamp(snapshot[AS_OF].iloc[0])
        features = build_customer_features(dataset, as_of)
        frame = audience_frame(features, snapshot, dataset.consents, clock.now())
        return snapshot[
            snapshot[c.CUSTOMER_ID].isin(frame.loc[audience.rule.evaluate(frame), c.CUSTOMER_ID])
        ], (audience.rule.needs_profiling)
    kind = segment_kind(snapshot, name)
    return snapshot[snapshot[kind] == name], True


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
    members, _ = _members(settings, name, data)
    dataset = load_data(settings, data)
    features = build_customer_features(dataset, pd.Timestamp(snapshot[AS_OF].iloc[0]))
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
    control: float = typer.Option(0.0, min=0, max=50, help="Percent of members flagged as a control group."),
    min_size: int = typer.Option(SegmentsConfig.min_export_size, help="Refuse exports smaller than this."),
    data: Path = DataOption,
) -> None:
    """Export a segment for the CRM: only customers whose consent allows the channel (and profiling)."""
    settings = Settings.from_env()
    members, needs_profiling = _members(settings, name, data)
    dataset = load_data(settings, data)
    result = export_members(
        members,
        name,
        dataset.consents,
        channel,
        out,
        clock.now(),
        needs_profiling,
        control,
        min_size,
        fmt,
    )
    AuditTrail(settings.audit_log).record(
        cli_actor(), "export_segment", name, channel=channel, rows=result.exported, file=str(out)
    )
    console.print(
        f"wrote {result.exported:,} customers to {result.path} ({result.control:,} in the control group)"
    )
    for purpose, count in sorted(result.removed.items()):
        console.print(f"  removed {count:,}: no '{purpose}' consent")


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
def assign(data: Path = DataOption, as_of: str = AsOfOption) -> None:
    """Score every customer with the champion segmentation model and store the memberships."""
    settings = Settings.from_env()
    dataset = load_data(settings, data)
    cutoff = resolve_as_of(dataset, as_of)
    memberships, version = assign_segments(dataset, cutoff, settings)
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
