"""``bentoml build`` from bentofile.yaml: the Bento holds the service, the features package with its data
files and the project's dependencies, and none of the tests, training code or local data."""

from __future__ import annotations

import os
import subprocess
import sys
import tomllib
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def test_bentoml_build_packs_the_service_and_its_package_data(tmp_path: Path) -> None:
    env = {**os.environ, "BENTOML_HOME": str(tmp_path / "bentoml"), "BENTOML_DO_NOT_TRACK": "True"}
    bentoml = Path(sys.executable).with_name("bentoml")
    built = subprocess.run(
        [str(bentoml), "build", "--output", "tag"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert built.returncode == 0, built.stdout + built.stderr
    tag = built.stdout.strip().splitlines()[-1].removeprefix("__tag__:")
    name, version = tag.split(":")
    bento = tmp_path / "bentoml" / "bentos" / name / version
    src = bento / "src"

    assert (src / "serving" / "service.py").is_file()
    assert (src / "features" / "__init__.py").is_file()
    project = tomllib.loads((REPO / "pyproject.toml").read_text())
    # every package-data file setuptools ships with features/ ships in the Bento too
    for pattern in project["tool"]["setuptools"]["package-data"]["features"]:
        expected = sorted(p.relative_to(REPO) for p in (REPO / "features").glob(pattern))
        assert expected, pattern
        for path in expected:
            assert (src / path).is_file(), f"{path} is not in the Bento"
    for left_out in ("tests", "training", "experiments", "cible", ".cible", ".venv", "data"):
        assert not (src / left_out).exists(), f"{left_out}/ should not be in the Bento"
    assert not list(src.rglob("__pycache__"))

    requirements = (bento / "env" / "python" / "requirements.txt").read_text().split()
    for dependency in project["project"]["dependencies"]:
        assert dependency in requirements, f"{dependency} from pyproject is not in the Bento"
