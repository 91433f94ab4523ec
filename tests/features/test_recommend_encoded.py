"""The recommender's encoding of orders and events: the same whether or not it lets the frames go."""

from __future__ import annotations

from dataclasses import fields, replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from features import columns as c
from features.dataset import Dataset
from features.recommend.catalogue import Catalogue
from features.recommend.encoded import Encoded, _latest_first, encoded


def test_released_frames_give_the_same_encoding(small_synthetic: Dataset) -> None:
    catalogue = Catalogue.from_products(small_synthetic.products)
    kept = encoded(replace(small_synthetic), catalogue)
    own = replace(small_synthetic)
    released = encoded(own, catalogue, release=True)
    for f in fields(Encoded):
        got, want = getattr(released, f.name), getattr(kept, f.name)
        assert got.dtype == want.dtype, f.name
        np.testing.assert_array_equal(got, want, err_msg=f.name)
    assert (kept.order_customer == -1).any() and (kept.event_item == -1).any()  # guests, pages of no product
    with pytest.raises(RuntimeError, match="events table of this data set was released"):
        own.events[c.SKU]
    # a guest order is its own buyer, numbered with the customers in order of first appearance
    orders = small_synthetic.orders
    buyers = pd.factorize(orders[c.CUSTOMER_ID].fillna("order:" + orders[c.ORDER_ID]), use_na_sentinel=False)
    np.testing.assert_array_equal(kept.buyer, buyers[0])


def test_latest_first_is_a_stable_descending_sort() -> None:
    rng = np.random.default_rng(3)
    stamps = np.datetime64("2026-01-01T00:00:00", "us") + rng.integers(0, 5, 200).astype("timedelta64[s]")
    want = pd.Series(stamps).sort_values(ascending=False, kind="stable").index.to_numpy()
    np.testing.assert_array_equal(_latest_first(stamps), want)
    np.testing.assert_array_equal(_latest_first(stamps[:0]), np.zeros(0, dtype=np.int64))


def test_texts_read_as_categoricals_give_the_same_encoding(
    small_synthetic_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``train all``'s recommender reads its texts dictionary-encoded (training.reads.DICTIONARY), each
    record batch with a dictionary of its own: the codes are those of the text frames."""
    from features import validated_tables
    from features.train_sample import load_training_data
    from training.reads import DICTIONARY, RECOMMENDER

    text = load_training_data(small_synthetic_dir, None, reads=RECOMMENDER)
    monkeypatch.setattr(validated_tables, "GROUP_ROWS", 1)  # one record batch at a time
    coded = load_training_data(
        small_synthetic_dir, None, reads=RECOMMENDER, dictionary=DICTIONARY["recommender"]
    )
    for table, columns in DICTIONARY["recommender"].items():
        for name in columns:
            column = getattr(coded, table)[name]
            assert isinstance(column.dtype, pd.CategoricalDtype), (table, name)
            pd.testing.assert_series_equal(
                column.astype("str"), getattr(text, table)[name], check_names=False
            )
    catalogue = Catalogue.from_products(text.products)
    want, got = encoded(text, catalogue), encoded(coded, catalogue, release=True)
    for f in fields(Encoded):
        assert getattr(got, f.name).dtype == getattr(want, f.name).dtype, f.name
        np.testing.assert_array_equal(getattr(got, f.name), getattr(want, f.name), err_msg=f.name)
