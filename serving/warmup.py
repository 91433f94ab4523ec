"""One request's worth of work on a freshly loaded model, before it may go live.

A champion trained by another version of Cible may expect other features than today's code builds; it
would fail on every request. Running a tiny request at load time turns that into a failed load, which
keeps the previous version serving and shows the reason in ``/readyz``. It also warms LightGBM's caches.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import numpy as np

from features.intent.realtime import intent_vector


def warm_up(name: str, model: Any) -> None:
    """Raise if ``model`` cannot answer a request with the current feature code."""
    if name == "recommender":
        cands = model.candidates(None, np.array([], dtype=np.int64))
        model.score(cands)
        model.recommend(None, [], k=3)
    elif name == "intent":
        if not getattr(model, "matches_current_features", True):
            raise ValueError("the intent model reads other features than this code builds: retrain it")
        model.score_one(intent_vector([], datetime(2026, 1, 1), None))
