"""The UCI Online Shoppers adapter: on a small file of the same shape, and on the real file."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from features.importers.errors import ImportFormatError
from features.importers.online_shoppers import FEATURES, LABEL, MONTH, read_online_shoppers
from tests.real_data import SHARED_DATA, real_file

ONLINE_SHOPPERS = SHARED_DATA / "online_shoppers_intention" / "online_shoppers_intention.csv"
ORIGIN = (
    "UCI Online Shoppers Purchasing Intention (dataset 468, "
    "https://archive.ics.uci.edu/dataset/468/online+shoppers+purchasing+intention+dataset), CSV"
)
HEADER = (
    "Administrative,Administrative_Duration,Informational,Informational_Duration,ProductRelated,"
    "ProductRelated_Duration,BounceRates,ExitRates,PageValues,SpecialDay,Month,OperatingSystems,Browser,"
    "Region,TrafficType,VisitorType,Weekend,Revenue"
)
ROWS = [
    "0,0,0,0,1,0,0.2,0.2,0,0,Feb,1,1,1,1,Returning_Visitor,FALSE,FALSE",
    "0,0,0,0,1,0,0.2,0.2,0,0,Feb,1,1,1,1,Returning_Visitor,FALSE,FALSE",  # an exact duplicate
    "2,40,0,0,12,600,0,0.02,25.5,0,June,2,2,3,2,New_Visitor,TRUE,TRUE",
    "1,10,1,5,3,100,0.01,0.03,0,0.4,Nov,3,2,1,4,Other,FALSE,FALSE",
]


def _write(tmp_path: Path, rows: list[str], header: str = HEADER) -> Path:
    path = tmp_path / "shoppers.csv"
    path.write_text("\n".join([header, *rows]) + "\n")
    return path


def test_duplicates_months_flags_and_codes(tmp_path: Path) -> None:
    data = read_online_shoppers(_write(tmp_path, ROWS))
    sessions = data.sessions
    assert (data.rows_read, data.duplicates_dropped, len(sessions)) == (4, 1, 3)
    assert list(sessions.columns) == [*FEATURES, LABEL]
    assert sessions[MONTH].tolist() == [2, 6, 11]  # "June" is spelled out in the file
    assert sessions[LABEL].tolist() == [0, 1, 0] and sessions["weekend"].tolist() == [0, 1, 0]
    assert sessions["returning_visitor"].tolist() == [1, 0, 0] and sessions["new_visitor"].tolist() == [
        0,
        1,
        0,
    ]
    assert isinstance(sessions["TrafficType"].dtype, pd.CategoricalDtype)
    assert data.purchase_rate == pytest.approx(1 / 3)


def test_a_file_of_another_shape_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ImportFormatError, match="missing column"):
        read_online_shoppers(_write(tmp_path, ["1,2"], header="a,b"))
    with pytest.raises(ImportFormatError, match="Month"):
        read_online_shoppers(_write(tmp_path, [ROWS[0].replace("Feb", "Brumaire")]))


def test_the_real_file() -> None:
    data = read_online_shoppers(real_file(ONLINE_SHOPPERS, ORIGIN))
    assert (data.rows_read, data.duplicates_dropped, len(data.sessions)) == (12_330, 125, 12_205)
    assert data.sessions[MONTH].nunique() == 10  # no January, no April
    assert data.purchase_rate == pytest.approx(0.156, abs=0.001)
