"""Settings files refuse what they do not understand, naming the file and the setting."""

from __future__ import annotations

import pytest

from features.config_file import read_settings
from features.privacy.retention import RetentionPolicy
from training.segments.config import SegmentsConfig


def test_known_settings_are_read(tmp_path) -> None:
    path = tmp_path / "segments.yaml"
    path.write_text("k_max: 6\nseed: 3\n")
    assert SegmentsConfig.from_yaml(path) == SegmentsConfig(k_max=6, seed=3)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("k_maks: 6\n", "unknown setting\\(s\\) k_maks"),
        ("- 1\n- 2\n", "expected a mapping"),
        ("a: [\n", "not valid YAML"),
    ],
)
def test_bad_files_are_named(tmp_path, text, message) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(text)
    with pytest.raises(ValueError, match=message):
        read_settings(path, SegmentsConfig)
    with pytest.raises(ValueError, match=r"bad\.yaml"):
        read_settings(path, RetentionPolicy)
