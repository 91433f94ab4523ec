"""Item-kNN on a hand-made basket matrix, and the catalogue's sku lookup."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from features.recommend.catalogue import Catalogue
from features.recommend.neighbours import binary_matrix, item_knn, neighbour_scores
from tests.features.recommend_shop import PRODUCTS

# customers x items (a, b, c): u0 bought a and b, u1 all three, u2 only c
ROWS = np.array([0, 0, 1, 1, 1, 2])
ITEMS = np.array([0, 1, 0, 1, 2, 2])


def test_cosine_neighbours_worked_out_by_hand() -> None:
    idx, sim = item_knn(binary_matrix(ROWS, ITEMS, 3, 3), n=2)
    # a and b share both buyers: cos = 2 / sqrt(2 x 2) = 1; a and c share one: 1 / sqrt(2 x 2) = 0.5
    assert idx.tolist() == [[1, 2], [0, 2], [0, 1]]
    np.testing.assert_allclose(sim, [[1.0, 0.5], [1.0, 0.5], [0.5, 0.5]], rtol=1e-6)


def test_pairs_below_min_common_are_not_neighbours() -> None:
    idx, sim = item_knn(binary_matrix(ROWS, ITEMS, 3, 3), n=2, min_common=2)
    assert idx.tolist() == [[1, -1], [0, -1], [-1, -1]]
    np.testing.assert_allclose(sim, [[1.0, 0.0], [1.0, 0.0], [0.0, 0.0]], rtol=1e-6)


def test_repeat_purchases_count_once() -> None:
    twice = binary_matrix(np.array([0, 0, 0]), np.array([0, 0, 1]), 1, 2)
    assert twice.toarray().tolist() == [[1.0, 1.0]]


def test_neighbour_scores_sum_similarities_of_seed_items() -> None:
    idx, sim = item_knn(binary_matrix(ROWS, ITEMS, 3, 3), n=2)
    assert neighbour_scores(idx, sim, np.array([0])).tolist() == pytest.approx([0.0, 1.0, 0.5])
    both = neighbour_scores(idx, sim, np.array([0, 2]), weights=np.array([1.0, 2.0]))
    assert both.tolist() == pytest.approx([1.0, 2.0, 0.5])


def test_catalogue_lookup_marks_unknown_skus() -> None:
    cols = ["sku", "name", "category", "unit_price", "unit_margin", "in_stock", "is_replenishable"]
    cat = Catalogue.from_products(pd.DataFrame(PRODUCTS, columns=cols))
    assert cat.skus.tolist() == ["A1", "A2", "B1", "B2", "FEE", "W1", "W2"]
    assert cat.index_of(["W1", "nope", "A1"]).tolist() == [5, -1, 0]
    assert cat.is_product.tolist() == [True, True, True, True, False, True, True]
