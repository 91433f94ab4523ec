"""Errors of the recommender pipelines a user can fix, shown without a traceback by the CLI."""

from __future__ import annotations

from features.errors import CibleError


class RecommenderDataError(CibleError, ValueError):
    """The data cannot train or evaluate a recommender (too short, nobody bought in the window)."""
