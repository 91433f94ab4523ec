"""What the page needs beyond the served home: the report files and a call list, as `cible materialize`
and `cible retarget lists` write them, and one saved audience."""

from __future__ import annotations

import json

import pandas as pd

from features.dataset import Dataset
from features.reports import write_reports
from features.retarget.config import load_config
from features.retarget.plan import last_run_file
from features.segments.audience_store import AudienceStore, rule_fields
from features.segments.audiences import Audience
from features.settings import Settings
from training.retarget.lists import lists_from_champions, write_lists
from training.segments.score import assign_segments

EARLIER_DAYS = 60
SAVED_AUDIENCE = {"name": "regulars_by_email", "rule": "n_orders >= 3 and consent.email_marketing"}


def prepare_page_home(settings: Settings, dataset: Dataset, as_of: pd.Timestamp) -> dict[str, int]:
    assign_segments(dataset, as_of - pd.Timedelta(days=EARLIER_DAYS), settings)  # who entered and left
    write_reports(dataset, as_of, settings)
    lists = lists_from_champions(dataset, as_of, settings, load_config(None))
    out = settings.home / "retarget" / "lists"
    write_lists(lists, out)
    last_run_file(settings.home).write_text(json.dumps({"as_of": as_of.isoformat(), "out": str(out)}))
    AudienceStore(settings.audiences_dir).save(Audience.from_mapping(SAVED_AUDIENCE, rule_fields()))
    return {name: len(frame) for name, frame in lists.lists.items()}
