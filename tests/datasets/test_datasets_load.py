"""``load`` returns each data set with exactly the types its dictionary documents."""

from __future__ import annotations

import shutil

import pandas as pd
import pytest
from qilab.datasets import catalogue
from qilab.datasets.catalogue import dictionary
from qilab.datasets.loading import DatasetFileError

from qilab import datasets
from qilab.errors import QilabError

NAMES = datasets.names()


@pytest.fixture(scope="module")
def loaded() -> dict[str, pd.DataFrame]:
    return {name: datasets.load(name) for name in NAMES}


@pytest.mark.parametrize("name", NAMES)
def test_schema_and_types_match_the_dictionary(name, loaded):
    frame = loaded[name]
    d = dictionary(name)
    assert list(frame.columns) == d.column_names
    assert len(frame) > 0
    assert frame.attrs == {"name": name, "title": d.title}
    for col in d.columns:
        series = frame[col.name]
        if col.type in ("date", "datetime"):
            assert pd.api.types.is_datetime64_dtype(series), col.name
        elif col.type == "integer":
            assert str(series.dtype) == ("Int64" if col.nullable else "int64"), col.name
        elif col.type == "float":
            assert series.dtype == "float64", col.name
        elif col.type == "category":
            assert isinstance(series.dtype, pd.CategoricalDtype), col.name
            assert list(series.cat.categories) == list(col.categories), col.name
            assert series.cat.ordered == col.ordered, col.name
        elif col.type == "string":
            assert pd.api.types.is_string_dtype(series), col.name
        if not col.nullable:
            assert not series.isna().any(), f"{col.name} has blanks"


@pytest.mark.parametrize("name", NAMES)
def test_time_columns_lie_within_the_documented_period(name, loaded):
    d = dictionary(name)
    start, end = pd.Timestamp(d.period_start), pd.Timestamp(d.period_end) + pd.Timedelta(days=1)
    for col in d.columns:
        if col.type in ("date", "datetime") and col.role == "time":
            values = loaded[name][col.name].dropna()
            assert values.min() >= start and values.max() < end, col.name


@pytest.mark.parametrize("name", NAMES)
def test_float_columns_hold_their_documented_decimals(name, loaded):
    for col in dictionary(name).columns:
        if col.type == "float":
            values = loaded[name][col.name].dropna()
            assert (values.round(col.decimals) == values).all(), col.name


def test_derived_rates_agree_with_their_counts(loaded):
    falls = loaded["ward_falls"]
    rate = (1000 * falls["falls"] / falls["occupied_bed_days"]).round(2)
    assert (rate - falls["falls_per_1000_bed_days"]).abs().max() < 0.006
    ed = loaded["ed_daily"]
    pct = 100 * (ed["attendances"] - ed["breaches"]) / ed["attendances"]
    assert (pct.round(1) - ed["pct_within_4_hours"]).abs().max() < 0.06
    assert (ed["date"].dt.day_name() == ed["day_of_week"].astype(str)).all()


@pytest.fixture
def scratch_catalogue(tmp_path, monkeypatch):
    """A copy of one data set in a temporary catalogue folder, to damage safely."""
    for suffix in (".csv", ".yaml"):
        shutil.copy(catalogue.DATA_DIR / f"ward_falls{suffix}", tmp_path)
    monkeypatch.setattr(catalogue, "DATA_DIR", tmp_path)
    return tmp_path


def test_a_hand_edited_csv_is_reported_with_its_row(scratch_catalogue):
    path = scratch_catalogue / "ward_falls.csv"
    lines = path.read_text(encoding="utf-8").splitlines()
    lines[3] = lines[3].replace(lines[3].split(",")[2], "seven", 1)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(DatasetFileError, match="regenerate") as caught:
        datasets.load("ward_falls")
    assert isinstance(caught.value, QilabError)


def test_a_csv_with_wrong_columns_is_reported(scratch_catalogue):
    path = scratch_catalogue / "ward_falls.csv"
    text = path.read_text(encoding="utf-8").replace("falls_with_harm", "harm", 1)
    path.write_text(text, encoding="utf-8")
    with pytest.raises(DatasetFileError, match="its dictionary lists"):
        datasets.load("ward_falls")


def test_a_blank_in_a_never_blank_column_is_reported(scratch_catalogue):
    path = scratch_catalogue / "ward_falls.csv"
    lines = path.read_text(encoding="utf-8").splitlines()
    cells = lines[5].split(",")
    cells[2] = ""
    lines[5] = ",".join(cells)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(DatasetFileError, match="row 6, column 'falls' is blank"):
        datasets.load("ward_falls")
