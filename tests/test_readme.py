"""The README tells the truth about the contract and the two commands."""

from __future__ import annotations

from pathlib import Path

from features.contract_doc import contract_markdown

README = Path(__file__).resolve().parents[1] / "README.md"


def test_readme_contract_matches_the_code() -> None:
    text = README.read_text()
    start = text.index("<!-- contract:start")
    start = text.index("\n", start) + 1
    end = text.index("<!-- contract:end -->")
    assert text[start:end] == contract_markdown(), "run `cible data contract` and paste it into the README"


def test_readme_shows_the_two_commands() -> None:
    text = README.read_text()
    assert "make run" in text and "make test" in text


def test_readme_rfm_grid_matches_the_map() -> None:
    from features.segments.rfm_map import grid_markdown

    text = README.read_text()
    start = text.index("\n", text.index("<!-- rfm-grid:start")) + 1
    assert text[start : text.index("<!-- rfm-grid:end -->")] == grid_markdown()
