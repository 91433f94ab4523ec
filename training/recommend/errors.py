"""Errors of the recommender pipelines a user can fix, shown without a traceback by the CLI."""

from __future__ import annotations


class RecommenderDataError(ValueError):
    """The data cannot train or evaluate a recommender (too short, nobody bought in the window)."""


class NoRecommenderError(LookupError):
    """No recommender is registered as champion yet."""
