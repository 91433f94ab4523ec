"""French regions with their population weights and the départements their postcodes start with."""

from __future__ import annotations

import numpy as np

# (region, share of customers ~ share of population, départements)
REGIONS: tuple[tuple[str, float, tuple[int, ...]], ...] = (
    ("Île-de-France", 0.185, (75, 77, 78, 91, 92, 93, 94, 95)),
    ("Auvergne-Rhône-Alpes", 0.12, (1, 3, 7, 15, 26, 38, 42, 43, 63, 69, 73, 74)),
    ("Hauts-de-France", 0.09, (2, 59, 60, 62, 80)),
    ("Nouvelle-Aquitaine", 0.09, (16, 17, 19, 23, 24, 33, 40, 47, 64, 79, 86, 87)),
    ("Occitanie", 0.09, (9, 11, 12, 30, 31, 32, 34, 46, 48, 65, 66, 81, 82)),
    ("Grand Est", 0.083, (8, 10, 51, 52, 54, 55, 57, 67, 68, 88)),
    ("Provence-Alpes-Côte d'Azur", 0.078, (4, 5, 6, 13, 83, 84)),
    ("Pays de la Loire", 0.057, (44, 49, 53, 72, 85)),
    ("Bretagne", 0.051, (22, 29, 35, 56)),
    ("Normandie", 0.05, (14, 27, 50, 61, 76)),
    ("Bourgogne-Franche-Comté", 0.042, (21, 25, 39, 58, 70, 71, 89, 90)),
    ("Centre-Val de Loire", 0.038, (18, 28, 36, 37, 41, 45)),
    ("Corse", 0.005, (20,)),  # postcodes 20000-20299 (2A/2B share the 20 prefix)
)
REGION_NAMES: tuple[str, ...] = tuple(r[0] for r in REGIONS)
MISSING_POSTCODE = 0.03


def draw_regions(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Region index and postcode (int, -1 when unknown) of ``n`` customers."""
    weights = np.array([r[1] for r in REGIONS])
    region = rng.choice(len(REGIONS), size=n, p=weights / weights.sum())
    n_depts = np.array([len(r[2]) for r in REGIONS])
    depts = np.zeros((len(REGIONS), n_depts.max()), dtype=np.int64)
    for i, r in enumerate(REGIONS):
        depts[i, : len(r[2])] = r[2]
    dept = depts[region, (rng.random(n) * n_depts[region]).astype(np.int64)]
    # Town codes end in 0; a third of customers live in the département's main town (xx000).
    town = np.where(rng.random(n) < 0.3, 0, rng.integers(1, 100, n) * 10)
    town = np.where(dept == 75, rng.integers(1, 21, n), town)  # Paris arrondissements 75001-75020
    town = np.where(dept == 20, rng.integers(0, 30, n) * 10, town)
    postcode = dept * 1000 + town
    return region, np.where(rng.random(n) < MISSING_POSTCODE, -1, postcode)
