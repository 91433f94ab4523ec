"""The service loads each champion from the registry without any training code."""

from __future__ import annotations

import os
import subprocess
import sys

from tests.serving.conftest import Served


def test_champions_load_in_a_process_that_never_imports_training(served_home: Served) -> None:
    code = (
        "import sys\n"
        "from serving.champions import Champions\n"
        "from features.settings import Settings\n"
        "champions = Champions(Settings.from_env().tracking_uri)\n"
        "champions.refresh()\n"
        "ready, detail = champions.status()\n"
        "assert ready, detail\n"
        "assert champions.model('intent') is not None, detail\n"
        "print(' '.join(sorted({m.split('.')[0] for m in sys.modules})))\n"
    )
    env = dict(os.environ, CIBLE_HOME=str(served_home.settings.home))
    env.pop("MLFLOW_TRACKING_URI", None)
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
    assert done.returncode == 0, done.stderr[-2000:]
    loaded = set(done.stdout.split())
    assert "mlflow" in loaded and not loaded & {"training", "cible", "experiments"}
