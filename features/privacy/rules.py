"""What every load of raw data must leave out — erased people (tombstones) and rows past retention — and
the corrections it must apply (the rectification ledger, consent changes received by the service)."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from features import columns as c
from features.campaigns.ledger import AssignmentLedger
from features.io import atomic_path
from features.privacy.consent_updates import ConsentUpdates
from features.privacy.hashing import SALT_ENV, hash_id, hash_ids, load_or_create_salt
from features.privacy.rectification import RectificationLedger
from features.privacy.retention import RetentionPolicy
from features.settings import Settings

TABLES_WITH_CUSTOMER = ("customers", "orders", "events", "contacts", "assignments", "consents")


@dataclass(frozen=True)
class PrivacyRules:
    folder: Path  # <home>/privacy
    retention: RetentionPolicy = field(default_factory=RetentionPolicy)

    @classmethod
    def from_settings(cls, settings: Settings) -> PrivacyRules:
        folder = settings.home / "privacy"
        policy_file = folder / "retention.yaml"
        policy = RetentionPolicy.from_yaml(policy_file) if policy_file.exists() else RetentionPolicy()
        return cls(folder=folder, retention=policy)

    @property
    def tombstone_file(self) -> Path:
        return self.folder / "tombstones.txt"

    @property
    def rectifications(self) -> RectificationLedger:
        return RectificationLedger(self.folder / "rectifications.jsonl")

    @property
    def assignments(self) -> AssignmentLedger:
        """Campaign assignments recorded by exports: personal data under the same rules."""
        return AssignmentLedger.in_home(self.folder.parent)

    @property
    def consent_updates(self) -> ConsentUpdates:
        return ConsentUpdates(self.folder / "consent_updates.jsonl")

    def salt(self) -> str:
        return load_or_create_salt(self.folder / "salt", os.environ.get(SALT_ENV))

    def tombstones(self) -> set[str]:
        """Salted hashes of erased customers: the ids themselves are not kept anywhere."""
        if not self.tombstone_file.exists():
            return set()
        return {line.strip() for line in self.tombstone_file.read_text().splitlines() if line.strip()}

    def add_tombstone(self, customer_id: str) -> str:
        digest = hash_id(customer_id, self.salt())
        known = self.tombstones()
        if digest not in known:
            with atomic_path(self.tombstone_file) as tmp:
                tmp.write_text("".join(f"{d}\n" for d in sorted(known | {digest})))
        return digest

    def erased(self, customer_ids: pd.Series) -> pd.Series:
        tombstones = self.tombstones()
        if not tombstones:
            return pd.Series(False, index=customer_ids.index)
        return hash_ids(customer_ids, self.salt()).isin(tombstones)

    def erased_ids(self, customer_ids: pd.Series) -> set[str]:
        """The ids among ``customer_ids`` whose person was erased."""
        return set(customer_ids[self.erased(customer_ids).to_numpy(dtype=bool)])

    def dropped(
        self,
        table: str,
        frame: pd.DataFrame,
        now: pd.Timestamp,
        erased_ids: set[str],
        erased_visitors: set[str] | None = None,
    ) -> np.ndarray:
        """Which rows of ``table`` the rules leave out: an erased customer's, an erased customer's
        devices' events (``erased_visitors``, default: the devices ``frame``'s own rows of erased
        customers show), and expired ones."""
        drop = frame[c.CUSTOMER_ID].isin(erased_ids) if erased_ids else pd.Series(False, index=frame.index)
        if table == "events" and erased_ids:
            # An erased customer's devices are personal data too, including visits before login.
            visitors = set(frame.loc[drop, c.VISITOR_ID]) if erased_visitors is None else erased_visitors
            drop |= frame[c.VISITOR_ID].isin(visitors)
        drop |= self.retention.expired(table, frame, now)
        return drop.to_numpy(dtype=bool)

    def apply(self, frames: dict[str, pd.DataFrame], now: pd.Timestamp) -> dict[str, pd.DataFrame]:
        """The tables with the rectification ledger's corrections, without erased customers (and their
        visitors' events) and without expired rows."""
        out = dict(frames)
        if "customers" in out and self.rectifications.path.exists():
            out["customers"] = self.rectifications.apply(out["customers"], self.salt())
        if "consents" in out and "customers" in out and self.consent_updates.path.exists():
            out["consents"] = self.consent_updates.merge(out["consents"], out["customers"][c.CUSTOMER_ID])
        erased_ids = self.erased_ids(frames["customers"][c.CUSTOMER_ID]) if "customers" in frames else set()
        for table in TABLES_WITH_CUSTOMER:
            frame = out.get(table)
            if frame is not None:
                out[table] = without(frame, self.dropped(table, frame, now, erased_ids))
        return out


def without(frame: pd.DataFrame, dropped: np.ndarray) -> pd.DataFrame:
    """``frame`` less the ``dropped`` rows, with a fresh index."""
    # Nothing to drop is the common case: a masked copy of every column would cost a pass.
    return (frame[~dropped] if dropped.any() else frame).reset_index(drop=True)
