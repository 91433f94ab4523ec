"""Rolling-origin cutoffs: where training rows, the validation window and the scoring date sit in time.

For ``as_of`` (nothing at or after it is read) and a horizon of H days:

    validation cutoff V = as_of - H          its labels [V, as_of) are all known at as_of
    training cutoffs    V - h - k * step     k = 0 .. n - 1, each label window [T, T + h) ends by V

with h = H when the data allow it. When they do not (an 18-month file and a 39-week horizon), h is the
longest window that still leaves ``min_history_days`` of history before the one training cutoff, and
supervised candidates learn that shorter outcome (the calibration on validation rows, labelled with the
full H, maps it back); below ``min_label_days`` there is no training cutoff and only the candidates that
need no labels (recency rule, BTYD) compete. Scores made at as_of predict [as_of, as_of + H), after all.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from features.errors import CibleError


class NotEnoughHistoryError(CibleError, ValueError):
    """The data do not reach far enough before --as-of for this horizon; the message says how far."""


@dataclass(frozen=True)
class Cutoffs:
    as_of: pd.Timestamp
    horizon_days: int
    validation: pd.Timestamp
    training: tuple[pd.Timestamp, ...]  # newest first
    training_label_days: int  # h: the label window of training rows

    @property
    def shortened(self) -> bool:
        return bool(self.training) and self.training_label_days < self.horizon_days

    def describe(self) -> str:
        if not self.training:
            train = "no training cutoff (history too short): label-free candidates only"
        else:
            dates = ", ".join(f"{t:%Y-%m-%d}" for t in self.training)
            train = f"training cutoffs {dates} with {self.training_label_days}-day label windows"
        return f"validation cutoff {self.validation:%Y-%m-%d} ({self.horizon_days}-day window); {train}"


def rolling_origin(
    as_of: pd.Timestamp,
    data_start: pd.Timestamp,
    horizon_days: int,
    n_cutoffs: int,
    step_days: int,
    min_history_days: int,
    min_label_days: int,
) -> Cutoffs:
    as_of = pd.Timestamp(as_of)
    validation = as_of - pd.Timedelta(days=horizon_days)
    earliest = pd.Timestamp(data_start) + pd.Timedelta(days=min_history_days)
    if validation < earliest:
        needed = min_history_days + horizon_days
        raise NotEnoughHistoryError(
            f"a {horizon_days}-day horizon needs {needed} days of orders before --as-of "
            f"{as_of:%Y-%m-%d} ({min_history_days} of history, then the validation window); the orders "
            f"start on {pd.Timestamp(data_start):%Y-%m-%d}: use a later --as-of or a shorter horizon"
        )
    label_days = min(horizon_days, (validation - earliest).days)
    if label_days < min_label_days:
        return Cutoffs(as_of, horizon_days, validation, (), 0)
    newest = validation - pd.Timedelta(days=label_days)
    training = tuple(
        cutoff for k in range(n_cutoffs) if (cutoff := newest - pd.Timedelta(days=k * step_days)) >= earliest
    )
    return Cutoffs(as_of, horizon_days, validation, training, label_days)
