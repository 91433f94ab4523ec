"""Segment lists for the CRM from the latest stored membership snapshot, consent-filtered per request
against the online store (so an erased customer, gone from the store, is gone from every list)."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np

from features import columns as c
from features.consent_gate import refused_purpose
from features.errors import CibleError
from features.online_store.base import OnlineStore
from features.segments.memberships import (
    AS_OF,
    MODEL_VERSION,
    SEGMENT_COLUMNS,
    MembershipStore,
    UnknownSegmentError,
    diff,
)
from serving import schemas as s

# what a CRM list shows per member besides the id; everything else in a snapshot stays in Cible
MEMBER_FIELDS = ("rfm_segment", "cluster_name", "value_tier", "r_score", "f_score", "m_score")


class UnknownSegment(CibleError, LookupError):
    pass


@dataclass
class SegmentIndex:
    store: MembershipStore
    _stamp: tuple[str, float] | None = None
    _members: dict[str, list[str]] = field(default_factory=dict)
    _kind: dict[str, str] = field(default_factory=dict)
    _rows: dict[str, dict[str, Any]] = field(default_factory=dict)
    as_of: str | None = None
    model_version: str | None = None
    snapshot: Any = None  # the latest membership frame, for the page's grid and exports

    def _latest(self) -> Path | None:
        dates = self.store.dates()
        return self.store.path_for(dates[-1]) if dates else None

    def refresh(self) -> None:
        """Reread the snapshot when a newer one appears or an erasure rewrote it (cheap: one stat)."""
        path = self._latest()
        stamp = (str(path), path.stat().st_mtime) if path is not None else None
        if stamp == self._stamp:
            return
        import pandas as pd  # at load time only, never per request

        self._members, self._kind, self._rows = {}, {}, {}
        self.snapshot = None
        if path is not None:
            frame = pd.read_parquet(path)
            self.snapshot = frame
            ids = frame[c.CUSTOMER_ID].astype(str).to_numpy()
            for column in SEGMENT_COLUMNS:
                values = frame[column].astype(str).to_numpy()
                for name in np.unique(values):
                    self._members[name] = ids[values == name].tolist()
                    self._kind[name] = column
            shown = [f for f in MEMBER_FIELDS if f in frame.columns]
            self._rows = {
                cid: {k: _plain(v) for k, v in zip(shown, row, strict=True)}
                for cid, row in zip(ids, frame[shown].to_numpy(dtype=object), strict=True)
            }
            self.as_of = str(frame[AS_OF].iloc[0]) if len(frame) else None
            self.model_version = str(frame[MODEL_VERSION].iloc[0]) if len(frame) else None
        self._stamp = stamp

    def summaries(self) -> list[s.SegmentSummary]:
        self.refresh()
        return [
            s.SegmentSummary(name=name, kind=self._kind[name], members=len(ids))
            for name, ids in sorted(self._members.items())
        ]

    def kind(self, name: str) -> str:
        self.refresh()
        if name not in self._kind:
            raise UnknownSegment(f"no segment {name!r}; GET /segments lists them")
        return self._kind[name]

    def allowed(self, name: str, channel: str | None, online: OnlineStore) -> tuple[list[str], int]:
        """Members allowed on ``channel`` (and to be profiled: segments are profile-based), in snapshot
        order, and how many the consent check removed."""
        self.refresh()
        if name not in self._members:
            raise UnknownSegment(f"no segment {name!r}; GET /segments lists them")
        ids = self._members[name]
        states = online.consents_many(ids)
        kept = [cid for cid in ids if cid in states and not refused_purpose(states[cid], channel, True)]
        return kept, len(ids) - len(kept)

    def page(
        self, name: str, channel: str | None, page: int, size: int, online: OnlineStore
    ) -> s.SegmentPage:
        kept, removed = self.allowed(name, channel, online)
        chunk = kept[(page - 1) * size : page * size]
        return s.SegmentPage(
            name=name,
            channel=channel,
            page=page,
            page_size=size,
            total=len(kept),
            removed_for_consent=removed,
            members=[{c.CUSTOMER_ID: cid, **self._rows.get(cid, {})} for cid in chunk],
        )

    def changes(self, name: str, since: date, channel: str | None, online: OnlineStore) -> s.SegmentChanges:
        """Who entered and who left since the snapshot at ``since``, with why, consent-filtered like the
        lists (a CRM call reads snapshots from disk: not a site hot path)."""
        import pandas as pd

        try:
            moved = diff(self.store, name, pd.Timestamp(since))
        except (UnknownSegmentError, FileNotFoundError) as exc:
            raise UnknownSegment(str(exc)) from exc
        ids = moved[c.CUSTOMER_ID].astype(str).tolist()
        states = online.consents_many(ids)
        allowed = [cid in states and not refused_purpose(states[cid], channel, True) for cid in ids]
        kept = moved[np.array(allowed, dtype=bool)]  # a plain empty list would select no columns
        rows = {
            change: [
                s.SegmentMove(customer_id=str(cid), reason=str(why))
                for cid, why in zip(part[c.CUSTOMER_ID], part["reason"], strict=True)
            ]
            for change, part in ((ch, kept[kept["change"] == ch]) for ch in ("entered", "exited"))
        }
        return s.SegmentChanges(
            name=name,
            channel=channel,
            since=moved.attrs["since"],
            until=moved.attrs["until"],
            entered=rows["entered"],
            exited=rows["exited"],
            removed_for_consent=len(ids) - len(kept),
        )

    def csv(self, name: str, channel: str | None, online: OnlineStore) -> str:
        kept, _ = self.allowed(name, channel, online)
        header = [c.CUSTOMER_ID, *MEMBER_FIELDS]
        lines = [",".join(header)]
        for cid in kept:
            row = self._rows.get(cid, {})
            lines.append(",".join(_csv_cell(v) for v in [cid, *(row.get(f) for f in MEMBER_FIELDS)]))
        return "\n".join(lines) + "\n"


def _plain(value: Any) -> Any:
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and math.isnan(value):
        return None
    return value


def _csv_cell(value: Any) -> str:
    text = "" if value is None else str(value)
    if text[:1] in ("=", "+", "-", "@"):  # a spreadsheet must not run a cell as a formula
        text = "'" + text
    if any(ch in text for ch in ',"\n'):
        text = '"' + text.replace('"', '""') + '"'
    return text
