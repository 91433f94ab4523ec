"""PNG plots logged with each segmentation run."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from features.segments.rfm import FM_SCORE, R_SCORE
from features.segments.rfm_map import GRID
from training.figures import figure


def rfm_heatmap(memberships: pd.DataFrame, path: Path) -> None:
    """Customers per (R, FM) cell, each cell labelled with its segment."""
    buyers = memberships[memberships[R_SCORE] > 0]
    counts = np.zeros((5, 5))
    np.add.at(counts, (5 - buyers[R_SCORE].to_numpy(), buyers[FM_SCORE].to_numpy() - 1), 1)
    fig = figure(figsize=(9, 6))
    ax = fig.subplots()
    image = ax.imshow(counts, cmap="YlGnBu")
    for i, r in enumerate(range(5, 0, -1)):
        for j in range(5):
            label = f"{GRID[r][j].replace('_', ' ')}\n{int(counts[i, j]):,}"
            ax.text(j, i, label, ha="center", va="center", fontsize=7)
    ax.set_xticks(range(5), [str(x) for x in range(1, 6)])
    ax.set_yticks(range(5), [str(x) for x in range(5, 0, -1)])
    ax.set_xlabel("frequency-monetary score (FM)")
    ax.set_ylabel("recency score (R)")
    ax.set_title("Customers per RFM cell")
    fig.colorbar(image, ax=ax, label="customers")
    fig.tight_layout()
    fig.savefig(path, dpi=110)


def cluster_profiles(profiles: pd.DataFrame, names: list[str], path: Path) -> None:
    """Cluster means of each behavioural feature, standardised across clusters, as a heat map."""
    z = (profiles - profiles.mean()) / profiles.std(ddof=0).replace(0, 1)
    fig = figure(figsize=(max(8, 0.45 * z.shape[1]), 1.2 + 0.5 * len(names)))
    ax = fig.subplots()
    image = ax.imshow(z.to_numpy(), cmap="RdBu_r", vmin=-2.5, vmax=2.5, aspect="auto")
    ax.set_xticks(
        range(z.shape[1]),
        [c.replace("category_share_", "cat:") for c in z.columns],
        rotation=70,
        fontsize=7,
        ha="right",
    )
    ax.set_yticks(range(len(names)), names, fontsize=8)
    ax.set_title("Behavioural clusters: profile (standardised across clusters)")
    fig.colorbar(image, ax=ax, label="z-score")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
