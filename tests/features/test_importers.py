"""Importers of the public data sets: hand-checked results on tiny files, headline figures on real ones."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from features import columns as c
from features.dataset import line_amounts
from features.importers import (
    ImportFormatError,
    ImportResult,
    import_cdnow,
    import_online_retail,
    online_retail_products,
    read_online_retail,
)
from features.schema import TABLE_NAMES
from features.validate import validate_frames
from features.vocab import NON_PRODUCT_CATEGORY
from tests.real_data import CDNOW, CDNOW_ORIGIN, ONLINE_RETAIL, ONLINE_RETAIL_ORIGIN, real_file

# 16 lines. Worked out by hand:
# - 17850 (written "17850.0" on the first lines) and 12583 are the two customers; 4 lines are guest lines.
# - 536366 repeats 22633 (6 @ 1.85 at 08:28, 4 @ 2.10 at 08:29): one line of 10 @ 1.95 stamped 08:28.
# - C536379 is a return of 2 x 85123A; "85123a" (guest invoice 536380) is 85123A.
# - the zero-price write-off (536414) and the negative-price bad debt (A563186) are dropped.
# - POST is a non-product; 12583 is in France on 4 lines, Germany on 2.
ONLINE_RETAIL_CSV = """\
InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country
536365,85123A,WHITE HANGING HEART T-LIGHT HOLDER,6,2010-12-01 08:26:00,2.55,17850.0,United Kingdom
536365,71053,WHITE METAL LANTERN,6,2010-12-01 08:26:00,3.39,17850.0,United Kingdom
536365,POST,POSTAGE,1,2010-12-01 08:26:00,18.00,17850.0,United Kingdom
536366,22633,HAND WARMER UNION JACK,6,2010-12-01 08:28:00,1.85,17850,United Kingdom
536366,22633,HAND WARMER UNION JACK,4,2010-12-01 08:29:00,2.10,17850,United Kingdom
C536379,85123A,WHITE HANGING HEART T-LIGHT HOLDER,-2,2010-12-02 09:41:00,2.55,17850,United Kingdom
536380,85123a,WHITE HANGING HEART T-LIGHT HOLDER,3,2010-12-03 09:45:00,2.95,,United Kingdom
536380,21730,GLASS STAR FROSTED T-LIGHT HOLDER,2,2010-12-03 09:45:00,4.25,,United Kingdom
536390,22728,ALARM CLOCK BAKELIKE PINK,24,2010-12-05 10:00:00,3.75,12583,France
536390,POST,POSTAGE,3,2010-12-05 10:00:00,18.00,12583,France
536414,22139,,-56,2010-12-06 11:52:00,0,,United Kingdom
545000,22728,ALARM CLOCK BAKELIKE PINK,12,2011-03-01 10:00:00,3.75,12583,Germany
545000,POST,POSTAGE,1,2011-03-01 10:00:00,18.00,12583,Germany
560000,22728,ALARM CLOCK BAKELIKE PINK,6,2011-07-20 10:00:00,3.95,12583,France
560000,21730,GLASS STAR FROSTED T-LIGHT HOLDER,1,2011-07-20 10:00:00,4.25,12583,France
A563186,B,Adjust bad debt,1,2011-08-12 14:51:00,-11062.06,,United Kingdom
"""

# 10 rows, CRLF and leading spaces as in the real file. 00002 buys twice on 1997-01-12 (one order of
# 6 CDs for $89); 00005's only row is negative (dropped); 00006's zero-CD day is dropped; 00004's
# zero-dollar CD is kept at price 0.
CDNOW_TXT = (
    " customer_id  date number_of_cds  dollar_value\r\n"
    " 00001 19970101  1   11.77\r\n"
    " 00002 19970112  1   12.00\r\n"
    " 00002 19970112  5   77.00\r\n"
    " 00003 19970102  2   20.76\r\n"
    " 00003 19970330  2   20.76\r\n"
    " 00004 19970101  2   29.33\r\n"
    " 00004 19970118  1    0.00\r\n"
    " 00005 19970102  1  -10.00\r\n"
    " 00006 19970105  0    5.00\r\n"
    " 00006 19970106  3   45.00\r\n"
)


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode("utf-8"))
    return path


def assert_valid(result: ImportResult) -> None:
    assert list(result.tables) == list(TABLE_NAMES)
    problems, _ = validate_frames(result.tables)
    assert [str(p) for p in problems] == []


def by_key(frame: pd.DataFrame, *key: str) -> pd.DataFrame:
    return frame.set_index(list(key))


@pytest.fixture
def retail(tmp_path: Path) -> ImportResult:
    return import_online_retail(write(tmp_path, "retail.csv", ONLINE_RETAIL_CSV))


@pytest.fixture
def cdnow(tmp_path: Path) -> ImportResult:
    return import_cdnow(write(tmp_path, "CDNOW_master.txt", CDNOW_TXT))


# --- Online Retail, tiny file ------------------------------------------------------------------------


def test_read_online_retail_keeps_codes_and_ids_as_text(tmp_path: Path) -> None:
    raw = read_online_retail(write(tmp_path, "retail.csv", ONLINE_RETAIL_CSV))
    assert len(raw) == 16
    assert raw["InvoiceNo"].iloc[5] == "C536379"
    assert raw["StockCode"].iloc[0] == "85123A"
    assert raw["CustomerID"].iloc[0] == "17850"
    assert raw["Quantity"].dtype == "int64"


def test_online_retail_is_valid(retail: ImportResult) -> None:
    assert_valid(retail)
    assert all(retail.tables[name].empty for name in ("events", "contacts", "consents"))


def test_online_retail_orders(retail: ImportResult) -> None:
    orders = retail.tables["orders"]
    assert len(orders) == 13  # 16 lines - 2 dropped prices - 1 duplicate merged
    assert orders[c.ORDER_ID].nunique() == 7
    lines = by_key(orders, c.ORDER_ID, c.SKU)
    merged = lines.loc[("536366", "22633")]
    assert merged[c.QUANTITY] == 10
    assert merged[c.UNIT_PRICE] == pytest.approx(1.95)  # (6 x 1.85 + 4 x 2.10) / 10
    assert merged[c.ORDERED_AT] == pd.Timestamp("2010-12-01 08:28")
    returned = lines.loc[("C536379", "85123A")]
    assert returned[c.QUANTITY] == -2
    assert returned[c.CUSTOMER_ID] == "17850"
    guest = lines.loc[("536380", "85123A")]  # written 85123a
    assert pd.isna(guest[c.CUSTOMER_ID])
    assert guest[c.QUANTITY] == 3
    assert not orders[c.ORDER_ID].isin(["536414", "A563186"]).any()
    assert set(orders[c.CHANNEL]) == {"web"}
    assert (orders[c.DISCOUNT] == 0).all()
    assert orders[c.CAMPAIGN_ID].isna().all()
    totals = pd.Series(line_amounts(orders), index=orders.index).groupby(orders[c.ORDER_ID]).sum()
    assert totals["C536379"] == pytest.approx(-5.10)
    assert totals.sum() == pytest.approx(320.34)  # every kept line of the file, postage included


def test_online_retail_customers(retail: ImportResult) -> None:
    customers = by_key(retail.tables["customers"], c.CUSTOMER_ID)
    assert sorted(customers.index) == ["12583", "17850"]
    assert customers.loc["17850", c.CREATED_AT] == pd.Timestamp("2010-12-01 08:26")
    assert customers.loc["12583", c.CREATED_AT] == pd.Timestamp("2010-12-05 10:00")
    assert customers.loc["12583", c.REGION] == "France"
    assert customers.loc["17850", c.REGION] == "United Kingdom"
    assert customers[c.HAS_WEB_ACCOUNT].all()
    assert set(customers[c.ACQUISITION_CHANNEL]) == {"web"}
    assert customers[[c.POSTCODE, c.BIRTH_YEAR, c.GENDER, c.LOYALTY_CARD_ID]].isna().all().all()


def test_online_retail_products(retail: ImportResult) -> None:
    products = by_key(retail.tables["products"], c.SKU)
    assert sorted(products.index) == ["21730", "22633", "22728", "71053", "85123A", "POST"]
    assert products.loc["POST", c.CATEGORY] == NON_PRODUCT_CATEGORY
    assert products.loc["POST", c.UNIT_MARGIN] == 0
    heart = products.loc["85123A"]
    assert heart[c.NAME] == "WHITE HANGING HEART T-LIGHT HOLDER"
    assert heart[c.UNIT_PRICE] == pytest.approx(2.55)  # median of 2.55, 2.55, 2.95
    assert (heart[c.CATEGORY], heart[c.SUBCATEGORY]) == ("candles_lights", "t-light")
    clock = products.loc["22728"]
    assert (clock[c.CATEGORY], clock[c.SUBCATEGORY]) == ("home_decor", "clock")
    assert clock[c.UNIT_PRICE] == pytest.approx(3.75)
    assert clock[c.UNIT_MARGIN] == pytest.approx(3.75 * 0.35)
    assert products.loc["22633", c.UNIT_PRICE] == pytest.approx(1.975)  # median of 1.85, 2.10
    # The file ends 2011-08-12: only products sold after 2011-05-14 are in stock.
    assert sorted(products.index[products[c.IN_STOCK]]) == ["21730", "22728"]
    assert not products[c.IS_REPLENISHABLE].any()  # nobody has the 10 buyers it takes


def test_replenishable_needs_repeat_buyers(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(online_retail_products, "REPLENISHABLE_MIN_BUYERS", 1)
    result = import_online_retail(write(tmp_path, "retail.csv", ONLINE_RETAIL_CSV))
    products = by_key(result.tables["products"], c.SKU)
    # 12583 bought the clock on 3 invoices; POST too was bought twice by 12583, but is no product.
    assert sorted(products.index[products[c.IS_REPLENISHABLE]]) == ["22728"]


def test_online_retail_report_counts(retail: ImportResult) -> None:
    report = "\n".join(retail.report)
    assert "read 16 lines on 9 invoices" in report
    assert "4 lines have no CustomerID" in report
    assert "1 lines on cancellation invoices" in report
    assert "dropped 1 lines with a negative unit price" in report
    assert "dropped 1 lines with a zero unit price" in report
    assert "merged 1 duplicate (InvoiceNo, StockCode) lines" in report
    assert "kept 3 order lines of 1 non-product codes (POST)" in report
    assert "customers: 2 " in report
    assert "products: 6 " in report
    assert "assumed 35% of the unit price" in report


def test_online_retail_missing_columns_are_named(tmp_path: Path) -> None:
    text = "InvoiceNo,StockCode,Quantity,InvoiceDate,UnitPrice\n536365,85123A,6,2010-12-01 08:26:00,2.55\n"
    path = write(tmp_path, "wrong.csv", text)
    with pytest.raises(ImportFormatError, match=r"wrong\.csv.*Description, CustomerID, Country") as caught:
        import_online_retail(path)
    assert isinstance(caught.value, ValueError)


def test_online_retail_bad_values_are_named(tmp_path: Path) -> None:
    text = ONLINE_RETAIL_CSV.replace(
        "536365,71053,WHITE METAL LANTERN,6,", "536365,71053,WHITE METAL LANTERN,six,"
    )
    with pytest.raises(ImportFormatError, match=r"column Quantity .* 'six' \(line 3\)"):
        import_online_retail(write(tmp_path, "retail.csv", text))


# --- CDNOW, tiny file --------------------------------------------------------------------------------


def test_cdnow_is_valid(cdnow: ImportResult) -> None:
    assert_valid(cdnow)


def test_cdnow_orders(cdnow: ImportResult) -> None:
    orders = by_key(cdnow.tables["orders"], c.ORDER_ID)
    assert len(orders) == 7  # 10 rows - 1 negative - 1 same-day merge - 1 zero-CD day
    merged = orders.loc["00002-19970112"]
    assert merged[c.QUANTITY] == 6
    assert merged[c.QUANTITY] * merged[c.UNIT_PRICE] == pytest.approx(89.0)
    assert merged[c.ORDERED_AT] == pd.Timestamp("1997-01-12")
    assert orders.loc["00004-19970118", c.UNIT_PRICE] == 0
    assert "00006-19970105" not in orders.index
    assert "00005-19970102" not in orders.index
    assert set(orders[c.SKU]) == {"CD"}


def test_cdnow_customers_and_product(cdnow: ImportResult) -> None:
    customers = by_key(cdnow.tables["customers"], c.CUSTOMER_ID)
    assert list(customers.index) == ["00001", "00002", "00003", "00004", "00005", "00006"]
    assert customers.loc["00003", c.CREATED_AT] == pd.Timestamp("1997-01-02")
    assert set(customers[c.REGION]) == {"United States"}
    product = cdnow.tables["products"].iloc[0]
    assert (product[c.SKU], product[c.NAME], product[c.CATEGORY]) == ("CD", "Compact disc", "music")
    # paid prices per CD: 10.38, 10.38, 11.77, 14.665, 14.8333, 15.00
    assert product[c.UNIT_PRICE] == pytest.approx((11.77 + 14.665) / 2)
    assert product[c.IS_REPLENISHABLE] and product[c.IN_STOCK]


def test_cdnow_report_counts(cdnow: ImportResult) -> None:
    report = "\n".join(cdnow.report)
    assert "read 10 rows" in report
    assert "dropped 1 rows with a negative" in report
    assert "merged 1 rows" in report
    assert "dropped 1 customer-days with zero CDs" in report
    assert "kept 1 zero-dollar orders" in report


def test_cdnow_without_header_reads_the_same(tmp_path: Path, cdnow: ImportResult) -> None:
    headerless = CDNOW_TXT.split("\r\n", 1)[1]
    result = import_cdnow(write(tmp_path, "cdnow_no_header.txt", headerless))
    pd.testing.assert_frame_equal(result.tables["orders"], cdnow.tables["orders"])


def test_cdnow_wrong_header_is_named(tmp_path: Path) -> None:
    path = write(tmp_path, "cdnow.txt", "id date cds dollars\n00001 19970101 1 11.77\n")
    with pytest.raises(ImportFormatError, match=r"cdnow\.txt.*customer_id, number_of_cds, dollar_value"):
        import_cdnow(path)


# --- the real files ----------------------------------------------------------------------------------


@pytest.mark.realdata
def test_real_online_retail() -> None:
    path = real_file(ONLINE_RETAIL, ONLINE_RETAIL_ORIGIN)
    result = import_online_retail(path)
    customers, products, orders = (result.tables[t] for t in ("customers", "products", "orders"))
    assert len(customers) == 3_412  # the README's count of distinct CustomerIDs
    assert len(orders) == 327_157
    assert orders[c.ORDER_ID].nunique() == 15_641
    assert orders.loc[orders[c.QUANTITY] < 0, c.ORDER_ID].str.startswith("C").all()
    assert len(products) == 3_600
    non_products = set(products.loc[products[c.CATEGORY] == NON_PRODUCT_CATEGORY, c.SKU])
    assert {"POST", "DOT", "M", "D", "C2", "BANK CHARGES", "AMAZONFEE", "CRUK", "S", "PADS"} <= non_products
    assert len(non_products) == 16
    # Order totals stay true to the file: every positive-price line's amount, nothing more.
    raw = read_online_retail(path)
    sold = raw[raw["UnitPrice"] > 0]
    assert line_amounts(orders).sum() == pytest.approx((sold["Quantity"] * sold["UnitPrice"]).sum(), rel=1e-9)
    assert_valid(result)


@pytest.mark.realdata
def test_real_cdnow() -> None:
    path = real_file(CDNOW, CDNOW_ORIGIN)
    result = import_cdnow(path)
    customers, products, orders = (result.tables[t] for t in ("customers", "products", "orders"))
    assert len(customers) == 23_570
    assert customers[c.CUSTOMER_ID].iloc[0] == "00001"
    assert len(orders) == 67_591  # 69,659 rows on 67,591 customer-days
    assert (orders[c.UNIT_PRICE] == 0).sum() == 80
    assert products[c.UNIT_PRICE].iloc[0] == pytest.approx(13.99)
    raw = pd.read_csv(path, sep=r"\s+", dtype={"customer_id": str})
    assert line_amounts(orders).sum() == pytest.approx(raw["dollar_value"].sum(), rel=1e-9)
    assert_valid(result)
