"""Right to erasure: the person disappears from everything Cible keeps, and stays gone."""

from __future__ import annotations

from dataclasses import dataclass

from features import columns as c
from features.io import atomic_path
from features.online_store.base import OnlineStore
from features.privacy.audit import AuditTrail
from features.privacy.rules import PrivacyRules
from features.segments.memberships import MembershipStore


@dataclass(frozen=True)
class ErasureResult:
    tombstone: str  # the salted hash the erasure is known by
    snapshots_rewritten: int
    removed_from_online_store: bool


def erase_customer(
    customer_id: str,
    rules: PrivacyRules,
    memberships: MembershipStore,
    audit: AuditTrail,
    actor: str,
    online_store: OnlineStore | None = None,
) -> ErasureResult:
    """Tombstone the person (every later load, feature build, training run, score, export and list leaves
    them out), remove them from the online store at once, from stored segment memberships and from the
    rectification ledger and the campaign assignments recorded by exports; log the erasure by hash only."""
    digest = rules.add_tombstone(customer_id)
    rules.rectifications.forget(customer_id)  # corrected attributes are personal data too
    rules.consent_updates.forget(customer_id)
    rules.assignments.forget(customer_id)  # campaign picks recorded by exports
    removed = online_store.delete(customer_id) if online_store is not None else False
    rewritten = 0
    for date in memberships.dates():
        path = memberships.path_for(date)
        snapshot = memberships.load(date)
        keep = snapshot[c.CUSTOMER_ID] != customer_id
        if not keep.all():
            with atomic_path(path) as tmp:
                snapshot[keep].to_parquet(tmp, index=False)
            rewritten += 1
    audit.record(actor, "erase", f"sha256:{digest}", snapshots_rewritten=rewritten, online_store=removed)
    return ErasureResult(digest, rewritten, removed)
