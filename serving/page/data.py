"""What the marketers' page shows, read from the report files ``cible materialize`` writes, the membership
snapshot and the online store (consent live): never the raw data.

Frames are read when a file changes (one stat per view); per view the page filters and aggregates them, a
CRM screen's work, not the site's hot path.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from features import clock, vocab
from features import columns as c
from features.campaigns.kpis import KPI_COLUMNS, SEGMENT
from features.campaigns.ledger import check_campaign_id
from features.campaigns.results import CAMPAIGN_RESULTS_FILE
from features.consent_gate import CHANNEL_PURPOSE, live_consent_check
from features.errors import CibleError
from features.online_store.base import OnlineStore
from features.predictive.bands import CHURN_RISK_BAND, RISK_BANDS
from features.privacy.rules import PrivacyRules
from features.reports import AUDIENCE_FRAME, CHURN_RISK, CUSTOMERS, KIND, KPIS, SEGMENT_PROFILES, reports_dir
from features.retarget.decide import CONVERSION
from features.retarget.plan import call_list_path, read_call_list
from features.segments.audience_store import AudienceStore, rule_fields, with_consent
from features.segments.audiences import CONSENT_PREFIX, AudienceRule
from features.segments.export import assignments_of, export_table
from features.segments.profile import segment_profile
from features.segments.rfm import FM_SCORE, R_SCORE, RFM_SEGMENT
from features.settings import Settings
from serving.segments import SegmentIndex, UnknownSegment
from serving.segments import _plain as plain_value

AUDIENCE = "audience"
KIND_LABELS = {
    "rfm_segment": "RFM",
    "cluster_name": "cluster",
    "value_tier": "value tier",
    AUDIENCE: "audience",
}
CHANNELS = tuple(CHANNEL_PURPOSE)


class ReportsMissing(CibleError, LookupError):
    """A report file the view needs is not there yet: the message says which command writes it."""


@dataclass
class _Cached:
    path: Path
    stamp: float | None = None
    frame: pd.DataFrame | None = None

    def get(self) -> pd.DataFrame:
        try:
            stamp = self.path.stat().st_mtime
        except FileNotFoundError as exc:
            raise ReportsMissing(f"{self.path.name} is not written yet: run `cible materialize`") from exc
        if stamp != self.stamp:
            self.frame, self.stamp = pd.read_parquet(self.path), stamp
        assert self.frame is not None
        return self.frame


@dataclass(frozen=True)
class Preview:
    rule: str
    members: int
    reach: dict[str, int]  # channel -> members allowed on it now
    needs_profiling: bool


@dataclass(frozen=True)
class Download:
    name: str
    channel: str
    members: int
    exported: int
    control: int
    removed: dict[str, int]
    csv: str


@dataclass
class PageData:
    settings: Settings
    segments: SegmentIndex
    store: OnlineStore
    _files: dict[str, _Cached] = field(default_factory=dict)
    _profiles: dict[tuple, dict[str, Any]] = field(default_factory=dict)

    def _report(self, name: str) -> pd.DataFrame:
        if name not in self._files:
            self._files[name] = _Cached(reports_dir(self.settings) / name)
        return self._files[name].get()

    @property
    def audiences(self) -> AudienceStore:
        return AudienceStore(self.settings.audiences_dir)

    # -- consent, live ------------------------------------------------------------------------------------
    def _states(self, ids: list[str]) -> dict[str, dict[str, bool]]:
        return self.store.consents_many(ids)

    def _frame(self, rule: AudienceRule) -> pd.DataFrame:
        """The audience frame; with the consent columns (from the online store) when the rule names them."""
        frame = self._report(AUDIENCE_FRAME)
        if not any(f.startswith(CONSENT_PREFIX) for f in rule.fields):
            return frame
        ids = frame[c.CUSTOMER_ID].astype(str).tolist()
        states = self._states(ids)
        state = pd.DataFrame(
            [[bool((states.get(cid) or {}).get(p, False)) for p in vocab.CONSENT_PURPOSES] for cid in ids],
            columns=list(vocab.CONSENT_PURPOSES),
        )
        return with_consent(frame, state)

    def audience_ids(self, rule: AudienceRule) -> list[str]:
        frame = self._frame(rule)
        return frame.loc[rule.evaluate(frame), c.CUSTOMER_ID].astype(str).tolist()

    def preview(self, text: str) -> Preview:
        """How many customers a rule selects and how many each channel reaches now (AudienceRuleError)."""
        rule = AudienceRule.parse(text, rule_fields())
        ids = self.audience_ids(rule)
        states = self._states(ids)
        reach = {
            ch: int(live_consent_check(states, ids, ch, rule.needs_profiling).allowed.sum())
            for ch in CHANNELS
        }
        return Preview(text, len(ids), reach, rule.needs_profiling)

    # -- segments -----------------------------------------------------------------------------------------
    def segment_rows(self) -> list[dict[str, Any]]:
        """Every segment of every kind, then the saved audiences, with their profile."""
        profiles = self._report(SEGMENT_PROFILES)
        rows = [_plain(row) for row in profiles.to_dict(orient="records")]
        for name in self.audiences.names():
            rows.append(self._audience_profile(name))
        return rows

    def _audience_profile(self, name: str) -> dict[str, Any]:
        path = self.settings.audiences_dir / f"{name}.yaml"
        frame = self._report(AUDIENCE_FRAME)
        key = (name, path.stat().st_mtime, id(frame))
        if key not in self._profiles:
            rule = self.audiences.load(name).rule
            mask = np.isin(frame[c.CUSTOMER_ID].astype(str), self.audience_ids(rule))
            marked = pd.DataFrame({"_in": np.where(mask, name, " others")})
            profile = segment_profile(frame, marked, "_in")
            row = profile[profile["_in"] == name]
            values = row.iloc[0].to_dict() if len(row) else {"customers": 0, "share": 0.0}
            self._profiles[key] = _plain({**values, KIND: AUDIENCE, SEGMENT: name, "rule": rule.text})
        return self._profiles[key]

    def rfm_grid(self) -> tuple[list[list[int]], list[list[str]]]:
        """Customers per (R, FM) cell, R 5 (recent) at the top, and each cell's segment."""
        self.segments.refresh()
        snapshot = self.segments.snapshot
        counts = [[0] * 5 for _ in range(5)]
        names = [[""] * 5 for _ in range(5)]
        if snapshot is None:
            return counts, names
        scored = snapshot.dropna(subset=[R_SCORE, FM_SCORE])
        scored = scored[(scored[R_SCORE] >= 1) & (scored[FM_SCORE] >= 1)]  # prospects score 0: no cell
        cells = scored.assign(_r=scored[R_SCORE].astype(int), _fm=scored[FM_SCORE].astype(int))
        for (r, f), part in cells.groupby(["_r", "_fm"]):
            counts[5 - int(r)][int(f) - 1] = len(part)
            names[5 - int(r)][int(f) - 1] = str(part[RFM_SEGMENT].mode().iloc[0])
        return counts, names

    def members(self, name: str) -> tuple[pd.DataFrame, bool]:
        """A segment's or a saved audience's rows of the latest snapshot, and whether it is profile-based."""
        self.segments.refresh()
        snapshot = self.segments.snapshot
        if snapshot is None:
            raise UnknownSegment("no segment memberships yet: run `cible train segments`")
        if name in self.audiences.names():
            rule = self.audiences.load(name).rule
            ids = set(self.audience_ids(rule))
            return snapshot[snapshot[c.CUSTOMER_ID].astype(str).isin(ids)], rule.needs_profiling
        kind = self.segments.kind(name)
        return snapshot[snapshot[kind].astype(str) == name], True

    def download(self, name: str, channel: str, control_percent: float, as_csv: bool = True) -> Download:
        """The consent-filtered list as ``cible segments export`` builds it, with consent read live (the
        counts alone when ``as_csv`` is False). A download is a campaign's pick: like the CLI's export, it
        is recorded in the assignment ledger (treated and control) so its result can be measured."""
        members, needs_profiling = self.members(name)
        ids = members[c.CUSTOMER_ID].astype(str).tolist()
        check = live_consent_check(self._states(ids), ids, channel, needs_profiling)
        now = clock.now()
        campaign_id = check_campaign_id(f"{name}-{channel}-{now:%Y%m%d-%H%M}")
        table, removed = export_table(members, name, channel, check, control_percent, campaign_id=campaign_id)
        if as_csv:
            PrivacyRules.from_settings(self.settings).assignments.record(assignments_of(table, now))
        return Download(
            name,
            channel,
            len(members),
            len(table),
            int(table["control_group"].sum()),
            removed,
            table.to_csv(index=False) if as_csv else "",
        )

    def names(self) -> list[str]:
        self.segments.refresh()
        return [s.name for s in self.segments.summaries()] + self.audiences.names()

    # -- KPIs -----------------------------------------------------------------------------------------------
    def kpis(self, segment: str | None) -> pd.DataFrame:
        """KPIs by channel and month, over every segment or one."""
        kpis = self._report(KPIS)
        if segment:
            kpis = kpis[kpis[SEGMENT] == segment]
        sums = [col for col in KPI_COLUMNS if col not in ("average_basket", "average_margin", "repeat_rate")]
        grouped = kpis.assign(_returning=kpis["repeat_rate"].fillna(0) * kpis["active_customers"]).groupby(
            [c.CHANNEL, "month"]
        )
        out = grouped[[*sums, "_returning"]].sum(min_count=1)
        out["incremental_conversions"] = grouped["incremental_conversions"].sum(min_count=1)
        with np.errstate(divide="ignore", invalid="ignore"):
            out["average_basket"] = (out["revenue"] / out["orders"]).where(out["orders"] > 0)
            out["average_margin"] = (out["margin"] / out["orders"]).where(out["orders"] > 0)
            active = out["active_customers"]
            out["repeat_rate"] = (out["_returning"] / active).where(active > 0)
        return out.drop(columns="_returning").reset_index()

    def churn_risk(self, segment: str | None) -> list[tuple[str, float]]:
        """Profiled customers per churn-risk band, over every RFM segment or one (empty before a churn
        champion has scored anyone)."""
        try:
            risk = self._report(CHURN_RISK)
        except ReportsMissing:  # a home materialised before the report existed: the KPIs still show
            return []
        if segment:
            risk = risk[risk[SEGMENT] == segment]
        counts = risk.groupby(CHURN_RISK_BAND)[CUSTOMERS].sum()
        return [(band, float(counts.get(band, 0))) for band in RISK_BANDS] if counts.sum() else []

    def kpi_segments(self) -> list[str]:
        return sorted(self._report(KPIS)[SEGMENT].unique().tolist())

    # -- campaigns ------------------------------------------------------------------------------------------
    def campaign_results(self) -> list[dict[str, Any]]:
        """One row per measured campaign, newest window first (``reports/campaign_results.parquet``)."""
        results = self._report(CAMPAIGN_RESULTS_FILE)
        if "window_start" in results:
            results = results.sort_values("window_start", ascending=False, kind="stable")
        return [_plain(row) for row in results.to_dict(orient="records")]

    # -- advisers ---------------------------------------------------------------------------------------
    def call_list(self) -> tuple[pd.DataFrame, int]:
        """The last call list, most likely first, without the customers whose phone consent (or profiling)
        is withdrawn since, and how many that removed."""
        frame = read_call_list(call_list_path(self.settings.home))
        ids = frame[c.CUSTOMER_ID].astype(str).tolist()
        check = live_consent_check(self._states(ids), ids, "phone", needs_profiling=True)
        kept = frame[check.allowed].sort_values(CONVERSION, ascending=False, kind="stable")
        return kept.reset_index(drop=True), int((~check.allowed).sum())


def _plain(row: dict[str, Any]) -> dict[str, Any]:
    return {key: plain_value(value) for key, value in row.items()}
