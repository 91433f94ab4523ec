"""One family for the errors a user can act on: the CLI reports any ``CibleError`` in one line."""

from __future__ import annotations


class CibleError(Exception):
    """A problem the user can fix (bad argument, bad data, missing model): shown without a traceback."""


class NoChampionError(CibleError, LookupError):
    """No registered model carries the ``champion`` alias (or the tracking store has no such model)."""
