"""The product catalogue as aligned numpy arrays: item index i is row i of every array."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property

import numpy as np
import pandas as pd

from features import columns as c
from features.vocab import NON_PRODUCT_CATEGORY


@dataclass(frozen=True)
class Catalogue:
    skus: np.ndarray  # str, sorted, so lookups are a binary search
    names: np.ndarray
    category: np.ndarray  # int code per item
    categories: tuple[str, ...]
    price: np.ndarray
    margin: np.ndarray
    in_stock: np.ndarray
    replenishable: np.ndarray
    is_product: np.ndarray

    @classmethod
    def from_products(cls, products: pd.DataFrame) -> Catalogue:
        p = products.sort_values(c.SKU, kind="stable")
        codes, categories = pd.factorize(p[c.CATEGORY].astype(str), sort=True)
        return cls(
            skus=p[c.SKU].to_numpy(dtype=str),
            names=p[c.NAME].to_numpy(dtype=str),
            category=codes.astype(np.int32),
            categories=tuple(categories.tolist()),
            price=p[c.UNIT_PRICE].to_numpy(dtype=np.float64),
            margin=p[c.UNIT_MARGIN].to_numpy(dtype=np.float64),
            in_stock=p[c.IN_STOCK].to_numpy(dtype=bool),
            replenishable=p[c.IS_REPLENISHABLE].to_numpy(dtype=bool),
            is_product=(p[c.CATEGORY] != NON_PRODUCT_CATEGORY).to_numpy(dtype=bool),
        )

    def __len__(self) -> int:
        return len(self.skus)

    def index_of(self, skus: np.ndarray | list[str] | pd.Series) -> np.ndarray:
        """Item index of each sku, -1 for skus not in the catalogue."""
        wanted = np.asarray(skus, dtype=str)
        if len(self.skus) == 0 or len(wanted) == 0:
            return np.full(len(wanted), -1, dtype=np.int64)
        pos = np.searchsorted(self.skus, wanted).clip(0, len(self.skus) - 1)
        return np.where(self.skus[pos] == wanted, pos, -1).astype(np.int64)

    def positions(self, skus: Sequence[str]) -> np.ndarray:
        """:meth:`index_of` for the few skus of a request: a dict lookup each costs far less than the text
        conversion and binary search of a whole array (same answers, -1 for unknown skus)."""
        lookup = self._by_sku
        return np.fromiter((lookup.get(sku, -1) for sku in skus), dtype=np.int64, count=len(skus))

    @cached_property
    def _by_sku(self) -> dict[str, int]:
        return {sku: i for i, sku in enumerate(self.skus.tolist())}

    def __getstate__(self) -> dict:
        # the lookup is rebuilt on first use: a logged model carries the arrays only
        return {k: v for k, v in self.__dict__.items() if k != "_by_sku"}
