"""The data contract as Markdown, generated from the schemas so the README cannot drift from the code."""

from __future__ import annotations

from features.schema import TABLES, Column, Kind


def _constraints(col: Column) -> str:
    parts = []
    if col.allowed:
        parts.append("one of " + ", ".join(f"`{v}`" for v in col.allowed))
    if col.min_value is not None:
        parts.append(f"≥ {col.min_value:g}")
    if col.max_value is not None:
        parts.append(f"≤ {col.max_value:g}")
    if col.nonzero:
        parts.append("≠ 0")
    if col.not_before:
        parts.append(f"not before `{col.not_before}`")
    if col.kind is Kind.DATETIME:
        parts.append("not in the future")
    return "; ".join(parts)


def contract_markdown() -> str:
    lines: list[str] = []
    for table in TABLES.values():
        key = ", ".join(f"`{k}`" for k in table.key)
        lines.append(f"#### `{table.name}`\n")
        lines.append(f"{table.description} Key: {key}.")
        refs = "; ".join(f"`{r.column}` → `{r.table}.{r.target_column}`" for r in table.references)
        if refs:
            lines.append(f" References: {refs}.")
        lines.append("\n\n| column | type | may be empty | rules | meaning |\n|---|---|---|---|---|\n")
        for col in table.columns:
            empty = "yes" if col.nullable else "no"
            cells = (f"`{col.name}`", col.kind.value, empty, _constraints(col), col.description)
            lines.append("| " + " | ".join(cells) + " |\n")
        lines.append("\n")
    return "".join(lines).rstrip() + "\n"
