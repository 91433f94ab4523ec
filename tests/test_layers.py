"""Imports go one way: features is the base (no MLflow, no training), training never imports the CLI."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def modules_of(package: str) -> list[str]:
    return sorted(
        ".".join(path.relative_to(ROOT).with_suffix("").parts)
        for path in (ROOT / package).rglob("*.py")
        if path.name != "__main__.py"
    )


def loaded_after_importing(modules: list[str]) -> set[str]:
    code = "import importlib, sys\n" + "".join(f"importlib.import_module({m!r})\n" for m in modules)
    code += "print('\\n'.join(sys.modules))"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT)
    return {name.split(".")[0] for name in done.stdout.split()}


def test_features_needs_neither_training_nor_mlflow_nor_the_cli() -> None:
    loaded = loaded_after_importing(modules_of("features"))
    assert not loaded & {"training", "serving", "cible", "mlflow", "bentoml", "experiments"}


def test_training_never_imports_the_cli_or_serving() -> None:
    loaded = loaded_after_importing(modules_of("training"))
    assert not loaded & {"serving", "cible", "experiments"}


def test_serving_never_imports_training_nor_the_cli() -> None:
    loaded = loaded_after_importing(modules_of("serving"))
    assert "serving" in loaded
    assert not loaded & {"training", "cible", "experiments"}
