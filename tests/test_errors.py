"""One error family: every error a user can fix is a ``CibleError``, which the CLI prints in one line."""

from __future__ import annotations

import importlib
import inspect
import subprocess
import sys

from features.errors import CibleError, NoChampionError
from tests.test_layers import modules_of

# Errors that are not the user's to fix, and why.
NOT_USER_ERRORS = {
    "features.btyd.base.NotFittedError": "a programming error: predicting with a model never fitted",
    "serving.engine.Unavailable": "the service is not ready yet (503): the caller can only retry",
}


def test_every_error_class_is_a_cible_error_or_says_why_not() -> None:
    found, outside = [], []
    for package in ("features", "training", "serving", "cible"):
        for name in modules_of(package):
            module = importlib.import_module(name)
            for cls in vars(module).values():
                if inspect.isclass(cls) and issubclass(cls, Exception) and cls.__module__ == name:
                    qualified = f"{name}.{cls.__qualname__}"
                    found.append(qualified)
                    if not issubclass(cls, CibleError) and qualified not in NOT_USER_ERRORS:
                        outside.append(qualified)
    assert outside == []
    assert set(NOT_USER_ERRORS) <= set(found)  # the exceptions above still exist
    assert len(found) >= 20  # the walk did find the error classes


def test_one_no_champion_error_for_every_model(tmp_path) -> None:
    """A missing champion is the same error whichever model is missing, printed in one line by the CLI."""
    done = subprocess.run(
        [sys.executable, "-m", "cible", "recommend", "C1", "--data", str(tmp_path)],
        capture_output=True,
        text=True,
        env={"CIBLE_HOME": str(tmp_path / "home"), "PATH": "", "PYTHONPATH": ":".join(sys.path)},
    )
    assert done.returncode == 1
    assert done.stderr.strip().splitlines()[-1] == (
        "error: no recommender is registered as champion: run `cible train nbo` first"
    )
    assert "Traceback" not in done.stderr
    assert issubclass(NoChampionError, LookupError)  # callers that caught LookupError still do
