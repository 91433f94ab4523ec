"""Saved audiences (one YAML file each under the Cible home) and the frame their rules are evaluated on."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from features import columns as c
from features.customer_features import names as n
from features.customer_features.consent import consent_state
from features.customer_features.sets import CUSTOMER_FEATURES_V1
from features.io import atomic_path
from features.segments.audiences import (
    CONSENT_PREFIX,
    Audience,
    AudienceRuleError,
    consent_fields,
    load_audience_file,
)
from features.segments.clusters import CLUSTER_ID, CLUSTER_NAME
from features.segments.rfm import F_SCORE, FM_SCORE, M_SCORE, R_SCORE, RFM_SEGMENT
from features.segments.value_tiers import VALUE_SHARE, VALUE_TIER

MEMBERSHIP_FIELDS = (
    R_SCORE,
    F_SCORE,
    M_SCORE,
    FM_SCORE,
    RFM_SEGMENT,
    CLUSTER_ID,
    CLUSTER_NAME,
    VALUE_SHARE,
    VALUE_TIER,
)


class RuleFields(frozenset):
    """Every field a rule may name: features, memberships, consents, and any product category share."""

    def __contains__(self, name: object) -> bool:
        return super().__contains__(name) or (
            isinstance(name, str) and name.startswith(n.CATEGORY_SHARE_PREFIX)
        )


def rule_fields() -> RuleFields:
    return RuleFields({*CUSTOMER_FEATURES_V1.columns, *MEMBERSHIP_FIELDS, *consent_fields()})


def rule_frame(features: pd.DataFrame, memberships: pd.DataFrame) -> pd.DataFrame:
    """Features and memberships side by side: every field a rule may name but consent."""
    return features.merge(memberships, on=c.CUSTOMER_ID, how="inner", suffixes=("", "_membership"))


def with_consent(frame: pd.DataFrame, state: pd.DataFrame) -> pd.DataFrame:
    """``consent.<purpose>`` columns from a state frame (one row per customer of ``frame``, in order)."""
    return frame.assign(**{f"{CONSENT_PREFIX}{p}": state[p].to_numpy(dtype=bool) for p in state.columns})


def audience_frame(
    features: pd.DataFrame, memberships: pd.DataFrame, consents: pd.DataFrame, now: pd.Timestamp
) -> pd.DataFrame:
    """Features and memberships side by side, with ``consent.<purpose>`` read from the ledger at ``now``."""
    frame = rule_frame(features, memberships)
    return with_consent(frame, consent_state(consents, pd.Index(frame[c.CUSTOMER_ID]), now))


@dataclass(frozen=True)
class AudienceStore:
    folder: Path

    def save(self, audience: Audience) -> Path:
        path = self.folder / f"{audience.name}.yaml"
        with atomic_path(path) as tmp:
            tmp.write_text(audience.to_yaml())
        return path

    def names(self) -> list[str]:
        return sorted(p.stem for p in self.folder.glob("*.yaml"))

    def load(self, name: str) -> Audience:
        path = self.folder / f"{name}.yaml"
        if not path.exists():
            raise AudienceRuleError(f"no saved audience {name!r}; saved: {', '.join(self.names()) or 'none'}")
        return load_audience_file(path, rule_fields())
