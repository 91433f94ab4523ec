"""Stored memberships, one snapshot per scoring date, and who entered or left a segment between two."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from features import columns as c
from features.errors import CibleError
from features.io import atomic_path
from features.segments.clusters import CLUSTER_NAME
from features.segments.rfm import F_SCORE, M_SCORE, R_SCORE, RFM_SEGMENT
from features.segments.value_tiers import VALUE_SHARE, VALUE_TIER

SEGMENT_COLUMNS: tuple[str, ...] = (RFM_SEGMENT, CLUSTER_NAME, VALUE_TIER)
STAMP = "%Y-%m-%dT%H%M%S"
AS_OF, MODEL_VERSION = "as_of", "model_version"


class NoMembershipsError(CibleError, FileNotFoundError):
    """No segment snapshot is stored (at or before the date asked): train segments first."""


class UnknownSegmentError(CibleError, ValueError):
    pass


@dataclass(frozen=True)
class MembershipStore:
    folder: Path

    def path_for(self, as_of: pd.Timestamp) -> Path:
        return self.folder / f"memberships_{as_of.strftime(STAMP)}.parquet"

    def save(self, memberships: pd.DataFrame, as_of: pd.Timestamp, model_version: str) -> Path:
        """Store one scoring run; scoring the same date again replaces that date's snapshot."""
        frame = memberships.assign(**{AS_OF: as_of, MODEL_VERSION: model_version})
        path = self.path_for(as_of)
        with atomic_path(path) as tmp:
            frame.to_parquet(tmp, index=False)
        return path

    def dates(self) -> list[pd.Timestamp]:
        stamps = [p.stem.removeprefix("memberships_") for p in self.folder.glob("memberships_*.parquet")]
        return sorted(pd.Timestamp(pd.to_datetime(s, format=STAMP)) for s in stamps)

    def load(self, as_of: pd.Timestamp | None = None) -> pd.DataFrame:
        """The snapshot of ``as_of`` or, if none, the latest one at or before it (default: the latest)."""
        dates = self.dates()
        if as_of is not None:
            dates = [d for d in dates if d <= as_of]
        if not dates:
            when = f" at or before {as_of}" if as_of is not None else ""
            raise NoMembershipsError(
                f"no stored segment memberships{when} in {self.folder}: run `cible train segments`"
            )
        return pd.read_parquet(self.path_for(dates[-1]))


def segment_kind(memberships: pd.DataFrame, name: str) -> str:
    """Which membership column holds segment ``name`` (an RFM segment, a cluster name or a value tier)."""
    for column in SEGMENT_COLUMNS:
        if (memberships[column] == name).any():
            return column
    known = sorted({str(v) for col in SEGMENT_COLUMNS for v in memberships[col].unique()})
    raise UnknownSegmentError(f"unknown segment {name!r}; known segments: {', '.join(known)}")


def _whole(value: float) -> str:
    return "?" if pd.isna(value) else str(int(value))


def _reason(kind: str, before: pd.DataFrame, after: pd.DataFrame, entered: bool) -> list[str]:
    """Plain words for why each customer moved, e.g. "recency score 4→2, now at_risk"."""
    if kind == RFM_SEGMENT:
        parts = []
        for label, col in (("recency", R_SCORE), ("frequency", F_SCORE), ("monetary", M_SCORE)):
            old, new = before[col].to_numpy(), after[col].to_numpy()
            labels = [f"{label} score {_whole(o)}→{_whole(n)}" for o, n in zip(old, new, strict=True)]
            parts.append(np.where(old != new, labels, ""))
        changes = [
            ", ".join(p for p in row if p) or "scores unchanged, edges moved"
            for row in zip(*parts, strict=True)
        ]
    elif kind == VALUE_TIER:
        changes = [
            f"value share {o:.0%}→{n:.0%}"
            for o, n in zip(before[VALUE_SHARE], after[VALUE_SHARE], strict=True)
        ]
    else:
        changes = ["behaviour changed"] * len(after)
    moved = before[kind] if entered else after[kind]
    word = "was" if entered else "now"
    return [f"{change}; {word} {m}" for change, m in zip(changes, moved, strict=True)]


def diff(store: MembershipStore, name: str, since: pd.Timestamp) -> pd.DataFrame:
    """Customers who entered or left segment ``name`` between the snapshot at ``since`` and the latest."""
    new = store.load()
    old = store.load(since)
    kind = segment_kind(pd.concat([old, new]), name)
    merged = old.merge(new, on=c.CUSTOMER_ID, how="outer", suffixes=("_old", "_new"), indicator=True)
    was = (merged[f"{kind}_old"] == name).to_numpy()
    now = (merged[f"{kind}_new"] == name).to_numpy()
    rows = []
    for change, mask in (("entered", now & ~was), ("exited", was & ~now)):
        part = merged[mask]
        before = part[[f"{col}_old" for col in (*SEGMENT_COLUMNS, R_SCORE, F_SCORE, M_SCORE, VALUE_SHARE)]]
        after = part[[f"{col}_new" for col in (*SEGMENT_COLUMNS, R_SCORE, F_SCORE, M_SCORE, VALUE_SHARE)]]
        before.columns = [col.removesuffix("_old") for col in before.columns]
        after.columns = [col.removesuffix("_new") for col in after.columns]
        reasons = _reason(kind, before, after, entered=change == "entered")
        only_one_side = (part["_merge"] != "both").to_numpy()
        reasons = [
            ("new customer" if change == "entered" else "no longer a customer") if alone else reason
            for reason, alone in zip(reasons, only_one_side, strict=True)
        ]
        rows.append(
            pd.DataFrame({c.CUSTOMER_ID: part[c.CUSTOMER_ID].to_numpy(), "change": change, "reason": reasons})
        )
    out = pd.concat(rows, ignore_index=True)
    out.attrs.update(segment=name, kind=kind, since=str(old[AS_OF].iloc[0]), until=str(new[AS_OF].iloc[0]))
    return out
