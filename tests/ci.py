"""The one rule for tests that need something outside the repository (a Redis or PostgreSQL server, a real
data file): on CI (``CI`` set, as ``.ci/run`` exports it) a missing one is a failure, so no test silently
stops running there; on a developer's machine it is a skip that says what is missing and why. Only "not
there" qualifies: any other error of a server (refused login, bad answer) is an error everywhere."""

from __future__ import annotations

import os
from typing import NoReturn

import pytest

CI_ENV = "CI"


def on_ci() -> bool:
    return os.environ.get(CI_ENV, "").strip().lower() not in ("", "0", "false", "no")


def unavailable(message: str) -> NoReturn:
    """Fail on CI, skip elsewhere, with ``message`` saying what is missing."""
    if on_ci():
        pytest.fail(f"{message} ({CI_ENV} is set: nothing may be skipped)")
    pytest.skip(message)
