"""Plots drawn on the server as inline SVG: no network, no script, a few kilobytes each."""

from __future__ import annotations

import math
from collections.abc import Sequence

from markupsafe import Markup, escape

PALETTE = ("#1f6feb", "#d9480f", "#2f9e44", "#9c36b5", "#e8590c", "#0c8599", "#5c940d", "#c2255c")


def _number(value: float) -> str:
    if abs(value) >= 1000:
        return f"{value:,.0f}"
    return f"{value:.3g}"


def heat_map(
    counts: Sequence[Sequence[float]],
    row_labels: Sequence[str],
    col_labels: Sequence[str],
    cell_labels: Sequence[Sequence[str]] | None = None,
    title: str = "",
    cell: int = 84,
) -> Markup:
    """A grid of cells shaded by count (darker: more), each with its count and an optional label."""
    top = max((v for row in counts for v in row), default=0) or 1
    left, head = 70, 28
    width, height = left + cell * len(col_labels), head + cell * len(row_labels) + 24
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" class="chart"><title>{escape(title)}</title>'
    ]
    for j, label in enumerate(col_labels):
        x = left + j * cell + cell / 2
        parts.append(f'<text x="{x}" y="{head - 8}" text-anchor="middle">{escape(label)}</text>')
    for i, label in enumerate(row_labels):
        y = head + i * cell
        parts.append(f'<text x="{left - 6}" y="{y + cell / 2 + 4}" text-anchor="end">{escape(label)}</text>')
        for j, value in enumerate(counts[i]):
            x = left + j * cell
            shade = value / top
            fill = f"rgba(31,111,235,{0.08 + 0.85 * shade:.3f})"
            ink = "#fff" if shade > 0.55 else "#111"
            parts.append(
                f'<rect x="{x}" y="{y}" width="{cell - 2}" height="{cell - 2}" fill="{fill}">'
                f"<title>{escape(row_labels[i])} / {escape(col_labels[j])}: {_number(value)}</title></rect>"
                f'<text x="{x + cell / 2}" y="{y + cell / 2}" text-anchor="middle" fill="{ink}">'
                f"{_number(value)}</text>"
            )
            if cell_labels is not None and cell_labels[i][j]:
                parts.append(
                    f'<text x="{x + cell / 2}" y="{y + cell / 2 + 14}" text-anchor="middle" fill="{ink}" '
                    f'font-size="8">{escape(cell_labels[i][j].replace("_", " ")[:15])}</text>'
                )
    parts.append("</svg>")
    return Markup("".join(parts))


def bars(
    items: Sequence[tuple[str, float]],
    title: str = "",
    width: int = 380,
    fmt: str = "{:.3g}",
    tops: Sequence[float] | None = None,
) -> Markup:
    """Horizontal bars, one per (label, value), scaled to the largest absolute value, or each to its own
    ``tops`` entry (measures of different units side by side: a cluster against the others)."""
    top = max((abs(v) for _, v in items if not math.isnan(v)), default=0) or 1
    scales = list(tops) if tops is not None else [top] * len(items)
    row, left = 18, 170
    height = row * len(items) + 24
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" class="chart"><title>{escape(title)}</title>'
        f'<text x="0" y="12" font-weight="bold">{escape(title)}</text>'
    ]
    span = width - left - 50
    for i, (label, value) in enumerate(items):
        y = 20 + i * row
        size = 0 if math.isnan(value) else abs(value) / (scales[i] or 1) * span
        shown = "–" if math.isnan(value) else fmt.format(value)
        parts.append(
            f'<text x="{left - 6}" y="{y + 12}" text-anchor="end">{escape(label)}</text>'
            f'<rect x="{left}" y="{y + 2}" width="{size:.1f}" height="{row - 6}" fill="{PALETTE[0]}"/>'
            f'<text x="{left + size + 4:.1f}" y="{y + 12}">{escape(shown)}</text>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))


def lines(
    series: dict[str, Sequence[float]], x_labels: Sequence[str], title: str = "", width: int = 720
) -> Markup:
    """One line per series over ``x_labels`` (months), a shared y axis from 0, and a legend."""
    height, left, bottom, top_pad = 260, 60, 40, 24
    values = [v for ys in series.values() for v in ys if not math.isnan(v)]
    low, high = min([0.0, *values]), max([0.0, *values]) or 1.0
    plot_w, plot_h = width - left - 140, height - bottom - top_pad
    n = max(len(x_labels) - 1, 1)

    def x(i: int) -> float:
        return left + plot_w * i / n

    def y(v: float) -> float:
        return top_pad + plot_h * (1 - (v - low) / (high - low or 1))

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" class="chart"><title>{escape(title)}</title>'
        f'<text x="{left}" y="14" font-weight="bold">{escape(title)}</text>'
        f'<line x1="{left}" y1="{y(low)}" x2="{left + plot_w}" y2="{y(low)}" stroke="#999"/>'
        f'<line x1="{left}" y1="{top_pad}" x2="{left}" y2="{y(low)}" stroke="#999"/>'
    ]
    for tick in (low, (low + high) / 2, high):
        parts.append(f'<text x="{left - 4}" y="{y(tick) + 4:.1f}" text-anchor="end">{_number(tick)}</text>')
    step = max(1, len(x_labels) // 8)
    for i, label in enumerate(x_labels):
        if i % step == 0:
            parts.append(
                f'<text x="{x(i):.1f}" y="{height - bottom + 16}" text-anchor="middle">{escape(label)}</text>'
            )
    for k, (name, ys) in enumerate(series.items()):
        colour = PALETTE[k % len(PALETTE)]
        points = " ".join(f"{x(i):.1f},{y(v):.1f}" for i, v in enumerate(ys) if not math.isnan(v))
        parts.append(f'<polyline fill="none" stroke="{colour}" stroke-width="2" points="{points}"/>')
        ly = top_pad + 16 * k
        parts.append(
            f'<rect x="{left + plot_w + 12}" y="{ly}" width="10" height="10" fill="{colour}"/>'
            f'<text x="{left + plot_w + 26}" y="{ly + 9}">{escape(name)}</text>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))
