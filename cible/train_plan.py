"""What ``cible train all`` trains on, found in a process of its own (:func:`cible.train_all._plan`): the
data described (validated, its customers and default cutoff read), the features' plan, and the tracking
store created once before any worker writes to it."""

from __future__ import annotations

from pathlib import Path

from cible.common import describe_training_data, parse_timestamp
from cible.console import capture, configure_logging
from cible.train_all import Plan, TrainingData
from features.engine import EngineConfig
from features.errors import CibleError
from features.settings import Settings
from training.tracking import connect


def plan(folder: Path, as_of: str | None, sample: str | None, config: EngineConfig) -> Plan:
    configure_logging()
    said = capture()
    settings = Settings.from_env()
    try:
        whole = describe_training_data(settings, folder, sample)
        cutoff = parse_timestamp(as_of) if as_of else whole.default_as_of
        data = TrainingData.plan(folder, sample, config, whole, settings)
        # created (and its schema migrated) here, once, not by two workers at once
        connect(settings).search_experiments(max_results=1)
    except CibleError as exc:  # its text crosses back: a typed error's own arguments may not
        return Plan(TrainingData(folder, sample, config), "", 0, said.getvalue(), str(exc))
    return Plan(data, cutoff.isoformat(), whole.sample_size, said.getvalue())
