"""Everything a service worker holds, built once at start-up from configuration (no import-time work)."""

from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

import pandas as pd

from features.campaigns.results import CAMPAIGN_RESULTS_FILE
from features.clock import now_datetime
from features.load import load_dataset
from features.online_store.base import CONTACT_KEEP_SECONDS, OnlineStore
from features.online_store.factory import open_store
from features.privacy.access import access_report
from features.privacy.audit import AuditTrail, api_actor
from features.privacy.audit import record as audit_record
from features.privacy.erasure import ErasureResult, erase_customer
from features.privacy.rules import PrivacyRules
from features.retarget.config import RetargetConfig, load_config
from features.segments.memberships import MembershipStore
from features.settings import Settings
from serving.auth import ApiKeys, keys_path
from serving.campaign_reports import CampaignReports
from serving.champions import Champions
from serving.engine import Engine
from serving.schemas import ConsentChange, ContactMade
from serving.segments import SegmentIndex
from serving.warmup import warm_up

RELOAD_ENV = "CIBLE_RELOAD_SECONDS"
DATA_ENV = "CIBLE_DATA"
RETARGET_ENV = "CIBLE_RETARGET_CONFIG"
KEYS_CHECK_SECONDS = 1.0  # how soon a new or revoked key takes effect


@dataclass
class ServeConfig:
    settings: Settings
    reload_seconds: float = 30.0
    data_dir: Path | None = None  # raw data, for the admin access export only
    retarget_config: Path | None = None

    @classmethod
    def from_env(cls) -> ServeConfig:
        settings = Settings.from_env()
        data = os.environ.get(DATA_ENV)
        retarget = os.environ.get(RETARGET_ENV)
        return cls(
            settings=settings,
            reload_seconds=float(os.environ.get(RELOAD_ENV, "30")),
            data_dir=Path(data) if data else None,
            retarget_config=Path(retarget) if retarget else None,
        )


@dataclass
class Runtime:
    config: ServeConfig
    champions: Champions
    store: OnlineStore
    engine: Engine
    segments: SegmentIndex
    keys_file: Path
    campaign_reports: CampaignReports | None = None
    clock: Callable[[], datetime] = now_datetime  # the retailer's local time, as the data keeps it
    _keys: ApiKeys | None = None
    _keys_stamp: float | None = None
    _keys_checked: float = 0.0
    _stop: threading.Event = field(default_factory=threading.Event)

    @classmethod
    def start(cls, config: ServeConfig, poll: bool = True) -> Runtime:
        settings = config.settings
        champions = Champions(settings.tracking_uri, check=warm_up)
        champions.refresh()
        store = open_store(settings)
        retarget: RetargetConfig = load_config(config.retarget_config)
        runtime = cls(
            config=config,
            champions=champions,
            store=store,
            engine=Engine(champions, store, retarget, now_datetime),
            segments=SegmentIndex(MembershipStore(settings.segments_dir)),
            keys_file=keys_path(settings.home),
            campaign_reports=CampaignReports(settings.reports_dir / CAMPAIGN_RESULTS_FILE),
        )
        if poll and config.reload_seconds > 0:
            champions.poll(config.reload_seconds, runtime._stop)
        return runtime

    def keys(self) -> ApiKeys:
        """The key file, reread when it changes, so a new or revoked key needs no restart. Its time stamp
        is looked at once a second at most: a system call per request is a cost for nothing."""
        now = time.monotonic()
        if self._keys is not None and now - self._keys_checked < KEYS_CHECK_SECONDS:
            return self._keys
        self._keys_checked = now
        try:
            stamp: float | None = self.keys_file.stat().st_mtime
        except FileNotFoundError:
            stamp = None
        if self._keys is None or stamp != self._keys_stamp:
            self._keys, self._keys_stamp = ApiKeys.load(self.keys_file), stamp
        return self._keys

    def audit(self, key_id: str | None, action: str, customer_id: str | None, **detail: object) -> None:
        audit_record(self.config.settings, api_actor(key_id or "unknown"), action, customer_id, detail)

    def record_consents(self, changes: Sequence[ConsentChange], key_id: str | None) -> tuple[int, list[str]]:
        """Durable first (the ledger every load merges), then the online store, then the audit trail."""
        now = self.clock()
        known = self.store.get_many({ch.customer_id for ch in changes})
        kept = [ch for ch in changes if ch.customer_id in known]
        rows = [{**ch.model_dump(), "recorded_at": ch.recorded_at or now} for ch in kept]
        PrivacyRules.from_settings(self.config.settings).consent_updates.append(rows)
        latest: dict[str, dict[str, bool]] = {}
        proofs: dict[str, dict[str, dict[str, object]]] = {}
        for row in sorted(rows, key=lambda r: r["recorded_at"]):
            latest.setdefault(row["customer_id"], {})[row["purpose"]] = row["granted"]
            proofs.setdefault(row["customer_id"], {})[row["purpose"]] = {
                "granted": row["granted"],
                "recorded_at": row["recorded_at"].isoformat(),
                "source": row["source"],
                "proof": row["proof"],
            }
        for cid, granted in latest.items():
            self.store.set_consent(cid, granted, proofs[cid])
            self.audit(key_id, "record_consent", cid, purposes=sorted(granted))
        return len(kept), sorted({ch.customer_id for ch in changes} - set(known))

    def record_contacts(self, contacts: Sequence[ContactMade], key_id: str | None) -> tuple[int, list[str]]:
        """Each customer's sends added to their record (a retried report adds nothing). A send dated in the
        future counts from now: it could otherwise hold the cap shut for good."""
        now = self.clock()
        window = max(
            timedelta(seconds=CONTACT_KEEP_SECONDS), timedelta(days=self.engine.retarget.pressure.days)
        )
        keep_after = (now - window).isoformat(timespec="seconds")
        sent: dict[str, dict[str, str]] = {}
        for contact in contacts:
            when = min(contact.sent_at or now, now)
            sent.setdefault(contact.customer_id, {})[contact.contact_id] = when.isoformat(timespec="seconds")
        known = {cid for cid, times in sent.items() if self.store.add_contacts(cid, times, keep_after)}
        for cid in sorted(known):
            self.audit(key_id, "record_contacts", cid, contacts=len(sent[cid]))
        applied = sum(1 for contact in contacts if contact.customer_id in known)
        return applied, sorted(set(sent) - known)

    def erase(self, customer_id: str, key_id: str | None) -> ErasureResult:
        settings = self.config.settings
        return erase_customer(
            customer_id,
            PrivacyRules.from_settings(settings),
            MembershipStore(settings.segments_dir),
            AuditTrail(settings.audit_log),
            api_actor(key_id or "unknown"),
            online_store=self.store,
        )

    def access_report(self, customer_id: str, key_id: str | None) -> dict:
        """The access report, as ``cible privacy export`` writes it; needs the raw data (``CIBLE_DATA``)."""
        if self.config.data_dir is None:
            raise RuntimeError(f"set {DATA_ENV} (or `cible serve --data DIR`) to answer access requests")
        settings = self.config.settings
        rules = PrivacyRules.from_settings(settings)
        dataset = load_dataset(self.config.data_dir, privacy=rules)
        report = access_report(
            customer_id,
            dataset,
            MembershipStore(settings.segments_dir),
            pd.Timestamp(self.clock()),
            rules.rectifications.entries(),
        )
        report["online_store"] = self.store.get(customer_id)
        self.audit(key_id, "access_export", customer_id)
        return json.loads(json.dumps(report, default=str))

    def close(self) -> None:
        self._stop.set()
        self.store.close()
