"""The RFM score-to-segment map, as data: a named segment per (recency, frequency-monetary) score cell.

Rows are the recency score R (5 = bought most recently), columns the frequency-monetary score
FM = ceil((F + M) / 2). Marketers read and change this grid; code only looks cells up.
"""

from __future__ import annotations

SEGMENTS: tuple[str, ...] = (
    "champions",
    "loyal_customers",
    "potential_loyalists",
    "new_customers",
    "promising",
    "need_attention",
    "about_to_sleep",
    "at_risk",
    "cannot_lose_them",
    "hibernating",
    "lost",
)
# Customers registered before the cutoff who never bought: not an RFM cell, but a segment marketers act on.
PROSPECTS = "prospects"

#      FM:    1                2                      3                      4                  5
GRID: dict[int, tuple[str, str, str, str, str]] = {
    5: ("new_customers", "potential_loyalists", "potential_loyalists", "champions", "champions"),
    4: ("promising", "potential_loyalists", "potential_loyalists", "loyal_customers", "champions"),
    3: ("about_to_sleep", "about_to_sleep", "need_attention", "loyal_customers", "loyal_customers"),
    2: ("hibernating", "hibernating", "at_risk", "at_risk", "cannot_lose_them"),
    1: ("lost", "lost", "at_risk", "at_risk", "cannot_lose_them"),
}

DESCRIPTIONS: dict[str, str] = {
    "champions": "bought recently, buy often and spend the most",
    "loyal_customers": "buy regularly and spend well",
    "potential_loyalists": "recent customers with average frequency: can become loyal",
    "new_customers": "bought very recently, for the first time or so",
    "promising": "recent shoppers who have not spent much yet",
    "need_attention": "above-average recency, frequency and spend, but slipping",
    "about_to_sleep": "below-average recency and frequency: will be lost without reactivation",
    "at_risk": "spent well and bought often, but long ago",
    "cannot_lose_them": "made the biggest and most frequent purchases, long ago",
    "hibernating": "last purchase long ago, low spend and few orders",
    "lost": "lowest recency, frequency and spend",
    PROSPECTS: "registered but never ordered",
}


def segment_of(r: int, fm: int) -> str:
    return GRID[r][fm - 1]


def grid_markdown() -> str:
    """The grid as a Markdown table, for the README."""
    lines = ["| R \\ FM | 1 | 2 | 3 | 4 | 5 |", "|---|---|---|---|---|---|"]
    for r in sorted(GRID, reverse=True):
        lines.append(f"| **{r}** | " + " | ".join(GRID[r]) + " |")
    return "\n".join(lines) + "\n"
