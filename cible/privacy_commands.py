"""``cible privacy …``: access, rectification, erasure, retention and the audit trail (RGPD/GDPR)."""

from __future__ import annotations

from pathlib import Path

import typer

from cible.common import DataOption, load_data, parse_timestamp
from cible.console import UserError, console
from features import clock
from features import columns as c
from features.io import write_tables
from features.online_store.factory import open_store
from features.privacy.access import access_report, write_access_report
from features.privacy.audit import AuditTrail, cli_actor, record
from features.privacy.erasure import erase_customer
from features.privacy.rectification import read_corrections
from features.privacy.rules import PrivacyRules
from features.segments.memberships import MembershipStore
from features.settings import Settings
from features.validate import validate_folder

app = typer.Typer(
    help="Access, rectification, erasure, retention and audit of personal data.", no_args_is_help=True
)


@app.command("export")
def export_person(
    customer_id: str = typer.Argument(..., help="The customer asking for access."),
    out: Path = typer.Option(..., "--out", help="JSON file to write."),
    data: Path = DataOption,
) -> None:
    """Everything Cible holds about one customer: raw rows, features, segments, consents, contacts."""
    settings = Settings.from_env()
    dataset = load_data(settings, data)
    try:
        report = access_report(
            customer_id,
            dataset,
            MembershipStore(settings.segments_dir),
            clock.now(),
            PrivacyRules.from_settings(settings).rectifications.entries(),
        )
    except KeyError as exc:
        raise UserError(str(exc.args[0])) from exc
    write_access_report(report, out)
    AuditTrail(settings.audit_log).record(cli_actor(), "access_export", customer_id)
    console.print(f"wrote everything held about {customer_id} to {out}")


@app.command()
def rectify(
    file: Path = typer.Option(
        ..., "--file", help="CSV (or Parquet): customer_id and the customers columns to correct."
    ),
    data: Path = DataOption,
) -> None:
    """Correct customers' attributes: recorded in the rectification ledger, applied by every later load
    (features, scores, exports, lists, the online store at the next `cible materialize`)."""
    settings = Settings.from_env()
    dataset = load_data(settings, data)
    if not file.is_file():
        raise UserError(f"correction file {file} does not exist")
    corrections = read_corrections(file, dataset.customers[c.CUSTOMER_ID], clock.now())
    rules = PrivacyRules.from_settings(settings)
    rules.rectifications.append(corrections, dataset.customers, rules.salt())
    for fix in corrections:  # the columns corrected, never their values
        record(settings, cli_actor(), "rectify", fix.customer_id, {"columns": sorted(fix.values)})
    changed = sum(len(fix.values) for fix in corrections)
    console.print(
        f"recorded {changed:,} correction(s) for {len(corrections):,} customer(s); every later load applies "
        "them: run `cible materialize` to update the online store now"
    )


@app.command()
def erase(customer_id: str = typer.Argument(..., help="The customer to erase.")) -> None:
    """Erase a customer: tombstoned for every later load, removed from stored memberships."""
    settings = Settings.from_env()
    store = open_store(settings)
    try:
        result = erase_customer(
            customer_id,
            PrivacyRules.from_settings(settings),
            MembershipStore(settings.segments_dir),
            AuditTrail(settings.audit_log),
            cli_actor(),
            online_store=store,
        )
    finally:
        store.close()
    console.print(
        f"erased: every later load leaves this customer out; online store: "
        f"{'removed' if result.removed_from_online_store else 'not present'}; "
        f"{result.snapshots_rewritten} stored membership snapshot(s) rewritten; "
        "the audit trail records the erasure by hash only"
    )


@app.command()
def retention(
    data: Path = DataOption,
    apply: bool = typer.Option(False, "--apply", help="Rewrite the data files without the expired rows."),
) -> None:
    """Show (or, with --apply, drop) rows older than their table's retention period."""
    settings = Settings.from_env()
    folder = data or settings.default_data
    problems, frames = validate_folder(folder, now=clock.now())
    if problems:
        raise UserError(
            f"{folder} breaks the contract ({len(problems)} problems): `cible data validate` lists them"
        )
    rules = PrivacyRules.from_settings(settings)
    now = clock.now()
    for table, frame in frames.items():
        months = getattr(rules.retention, table, None)
        expired = int(rules.retention.expired(table, frame, now).sum())
        kept = "kept while the relationship lasts" if months is None else f"kept {months} months"
        console.print(f"{table}: {kept}; {expired:,} row(s) past it")
    if apply:
        kept = {t: f[~rules.retention.expired(t, f, now).to_numpy()] for t, f in frames.items()}
        fmt = "csv" if any(folder.glob("*.csv")) else "parquet"
        write_tables(kept, folder, fmt)  # the tables the folder holds; an absent optional one stays absent
        cutoff = rules.retention.cutoff("assignments", now)
        pruned = rules.assignments.prune(cutoff) if cutoff is not None else 0
        console.print(f"campaign assignments recorded by exports: {pruned:,} row(s) past retention dropped")
        AuditTrail(settings.audit_log).record(cli_actor(), "retention_apply", str(folder))
        console.print(f"rewrote {folder} without the expired rows")


@app.command()
def audit(
    target: str = typer.Option(
        None, "--target", "--customer", help="Only acts on this customer id or segment name."
    ),
    action: str = typer.Option(
        None, help="Only this action (export_segment, access_export, rectify, erase, ...)."
    ),
    actor: str = typer.Option(None, help="Only acts by this actor (cli:USER or api:KEY_ID)."),
    since: str = typer.Option(None, help="Only acts at or after this date."),
    until: str = typer.Option(None, help="Only acts before this date."),
) -> None:
    """Who read, exported, corrected or erased which segment or customer, and when."""
    entries = AuditTrail(Settings.from_env().audit_log).query(
        target,
        action,
        parse_timestamp(since, "--since") if since else None,
        actor=actor,
        until=parse_timestamp(until, "--until") if until else None,
    )
    for entry in entries:
        extra = {k: v for k, v in entry.items() if k not in ("at", "actor", "action", "target")}
        console.print(
            f"{entry['at']}  {entry['actor']:<20} {entry['action']:<16} {entry['target']}  {extra or ''}"
        )
    if not entries:
        console.print("no matching entry")
