"""Bad input gives a ValueError naming the problem and the fix."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from qilab.errors import QilabError
from qilab.measure import qic


@pytest.mark.parametrize(
    ("kwargs", "pattern"),
    [
        ({"y": [1, 2, 3], "n": [1, 2]}, r"y has 3 values but n has 2.*same length"),
        ({"y": [1, 2, 3], "x": [1, 2]}, r"y has 3 values but x has 2"),
        ({"y": [1, -2, 3], "chart": "c"}, r"negative at position 1.*0 or more"),
        ({"y": [1, 2, 3], "n": [5, -1, 5], "chart": "p"}, r"denominator n is negative"),
        ({"y": [1, 6, 3], "n": [5, 5, 5], "chart": "p"}, r"numerator can't exceed.*position 1"),
        ({"y": [1, 0, 3], "n": [5, 0, 5], "chart": "u"}, r"denominator n is 0 at position 1"),
        ({"y": [1, 2, 3], "n": [5, np.nan, 5], "chart": "u"}, r"missing at position 1.*NaN"),
        ({"y": [1, 2, 3], "chart": "p"}, r"needs a denominator: pass n="),
        ({"y": [1, 2, 3], "chart": "pie"}, r"Unknown chart type 'pie'.*'run', 'i', 'mr'"),
        ({"y": ["1", "two", "3"]}, r"y must be numeric.*position 1 holds 'two'"),
        ({"y": [5.0], "chart": "i"}, r"I chart needs at least 2 usable baseline points"),
        ({"y": [1, 2, 3, 4], "chart": "i", "part": [3]}, r"part 2 has 1"),
        ({"y": [1, 2, 3], "method": "westgard"}, r"Unknown method.*'anhoej', 'ihi', 'mdc'"),
        ({"y": [1, 2, 3], "freeze": 5}, r"freeze=5 is out of range.*between 1 and 3"),
        (
            {
                "y": [1, 2],
                "x": pd.to_datetime(["2024-02-01", "2024-03-01"]),
                "notes": {"31/02/2024": "PDSA 1"},
            },
            r"notes key '31/02/2024' is not a real date: check its day and month",
        ),
        ({"y": [1, 2, 3], "part": [3]}, r"part=3 is out of range"),
        ({"y": [1, 2, 3], "exclude": [3]}, r"exclude=3 is out of range.*0-based"),
        ({"y": [1, 2, 0], "chart": "t"}, r"greater than 0.*position 2"),
        ({"y": [1, 2, 3], "chart": "xbar"}, r"xbar chart needs subgroups: pass x="),
        ({"y": [1, 2, 3], "x": [1, 2, 3], "chart": "xbar"}, r"subgroups of at least 2"),
        ({"y": [1, 2, 3], "period": "month"}, r"x is not dates"),
        ({"y": [1, 2, 3], "period": "fortnight"}, r"Unknown period"),
        ({"y": "rate"}, r"no data= was given"),
        ({"y": [1, 2, 3], "improvement": "sideways"}, r"'up'.*'down'"),
        ({"y": [], "chart": "run"}, r"y is empty"),
        ({"y": [1, np.inf, 3]}, r"infinite value at position 1"),
    ],
)
def test_clear_value_errors(kwargs: dict, pattern: str) -> None:
    with pytest.raises(ValueError, match=pattern) as info:
        qic(**kwargs)
    assert isinstance(info.value, QilabError)  # the CLI prints it as one line


def test_unknown_column_lists_columns() -> None:
    df = pd.DataFrame({"month": [1, 2], "infections": [3, 4]})
    with pytest.raises(ValueError, match=r"'rate'.*not in data.*'month', 'infections'"):
        qic("rate", data=df)


def test_missing_numerator_and_denominator_is_a_gap_not_an_error() -> None:
    d = qic([1, np.nan, 3, 2], n=[10, np.nan, 10, 10], chart="p").data
    assert np.isnan(d["y"].iloc[1]) and np.isnan(d["ucl"].iloc[1])
    assert d["cl"].iloc[0] == pytest.approx(6 / 30)


def test_too_few_points_says_how_many() -> None:
    with pytest.raises(ValueError, match=r"needs at least 2.*has 1"):
        qic([1, np.nan, np.nan], chart="i")


def test_a_proportion_target_on_a_percentage_chart_is_flagged():
    y = [0.80, 0.82, 0.79, 0.85, 0.81, 0.83, 0.80, 0.84, 0.82, 0.81, 0.79, 0.83]
    with pytest.warns(UserWarning, match="pass target=95"):
        qic(y, chart="i", multiply=100, target=0.95)


def test_a_target_in_chart_units_is_not_flagged():
    import warnings

    y = [0.80, 0.82, 0.79, 0.85, 0.81, 0.83, 0.80, 0.84, 0.82, 0.81, 0.79, 0.83]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        res = qic(y, chart="i", multiply=100, target=95)
    assert res.data["target"].iloc[0] == 95


@pytest.mark.parametrize(
    ("typed", "heading"),
    [
        ("Week Ending", "Week ending"),  # case, as a learner retypes an export's heading
        ("week_ending", "Week ending"),  # a programmer's spelling of it
        ("Fals", "Falls"),  # a letter missing
    ],
)
def test_a_mistyped_column_names_the_heading_that_was_meant(typed: str, heading: str) -> None:
    """The fix is the export's own heading: the one message names it."""
    df = pd.DataFrame(
        {"Week ending": pd.date_range("2024-01-07", periods=3, freq="W"), "Falls": [3, 5, 4]}
    )
    kwargs = (
        {"x": typed, "y": "Falls"} if heading == "Week ending" else {"x": "Week ending", "y": typed}
    )
    y = kwargs.pop("y")
    with pytest.raises(ValueError) as info:
        qic(y, data=df, chart="c", **kwargs)
    message = str(info.value)
    assert f"Column {typed!r}" in message
    assert f"Did you mean {heading!r}?" in message
    assert "Its columns are: 'Week ending', 'Falls'." in message


def test_a_column_unlike_any_heading_suggests_none() -> None:
    df = pd.DataFrame({"month": [1, 2], "infections": [3, 4]})
    with pytest.raises(ValueError) as info:
        qic("rate", data=df)
    assert "Did you mean" not in str(info.value)
