"""A doctor's own export straight into qic: read()'s result, UK dates in notes, empty columns."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from qilab import datasets
from qilab.errors import QilabError
from qilab.measure import qic


@pytest.fixture
def export(tmp_path):
    weeks = pd.date_range("2024-01-07", periods=16, freq="W").strftime("%d/%m/%Y")
    path = tmp_path / "ward_export.csv"
    pd.DataFrame(
        {
            "Week ending": weeks,
            "Falls": [3, 4, 2, 5, 3, 4, 6, 2, 3, 4, 2, 1, 2, 1, 1, 2],
            "Note": "",
        }
    ).to_csv(path, index=False)
    return path


def test_qic_takes_what_read_returns(export):
    """Seen: qic(..., data=read(...)) raised AttributeError: 'ReadResult' … 'columns'."""
    table, _ = datasets.read(export)
    direct = qic("Falls", x="Week ending", data=datasets.read(export), chart="c")
    unpacked = qic("Falls", x="Week ending", data=table, chart="c")
    pd.testing.assert_frame_equal(direct.data, unpacked.data)


def test_notes_and_annotations_take_uk_dates_as_read_does(export):
    table, _ = datasets.read(export)
    res = qic("Falls", x="Week ending", data=table, notes={"03/03/2024": "PDSA 1"})
    noted = res.data.loc[res.data["notes"] == "PDSA 1", "x"]
    assert list(noted) == [pd.Timestamp("2024-03-03")]  # 3 March, not 3 March read as US
    spec = res.chart(annotations={"04/02/2024": "New huddle"}).to_dict()
    rules = [row for rows in spec.get("datasets", {}).values() for row in rows]
    assert any(r.get("label") == "New huddle" and r["x"].startswith("2024-02-04") for r in rules)
    assert "New huddle" in json.dumps(spec)


def test_a_uk_date_that_matches_no_point_says_how_dates_are_read(export):
    table, _ = datasets.read(export)
    with pytest.raises(QilabError, match="day first"):
        qic("Falls", x="Week ending", data=table, notes={"30/12/2030": "later"})


def test_an_all_blank_column_is_named_as_empty(export):
    """Seen: an empty column was read as 'text' and qic said '0 usable baseline points'."""
    table, report = datasets.read(export)
    assert "Note: empty (no values)" in str(report)
    with pytest.raises(QilabError, match=r"Column 'Note' \(for y\) is empty: all 16 rows"):
        qic("Note", x="Week ending", data=table)


def test_data_that_is_not_a_table_says_what_to_pass():
    with pytest.raises(QilabError, match="must be a table"):
        qic("Falls", data=[1, 2, 3])
