"""The Altair chart spec: layers, colours, annotations, description, size and offline-ness."""

from __future__ import annotations

import json

import altair as alt
import numpy as np
import pandas as pd
import pytest

from qilab.measure import qic
from qilab.theme import COLOURS


def _spec(chart: alt.TopLevelMixin) -> dict:
    return chart.to_dict()


def _marks(spec: dict) -> list[str]:
    out = []
    for layer in spec["layer"]:
        mark = layer["mark"]
        out.append(mark["type"] if isinstance(mark, dict) else mark)
    return out


def _values(spec: dict, data: dict | None = None) -> list[dict]:
    data = spec["data"] if data is None else data
    if "values" in data:
        return data["values"]
    return spec["datasets"][data["name"]]


@pytest.fixture(scope="module")
def dated() -> pd.DataFrame:
    months = pd.date_range("2023-01-01", periods=24, freq="MS")
    rng = np.random.default_rng(3)
    infections = np.r_[rng.poisson(10, 12), rng.poisson(5, 12)]
    infections[5] = 30
    return pd.DataFrame({"month": months, "infections": infections, "days": 1000.0})


def test_control_chart_layers_and_colours(dated: pd.DataFrame) -> None:
    res = qic("infections", n="days", x="month", data=dated, chart="u", multiply=1000)
    spec = _spec(res.chart())
    marks = _marks(spec)
    assert marks.count("line") >= 4  # lcl, ucl, centre, data
    assert "point" in marks
    rows = _values(spec)
    signal = [r for r in rows if r.get("sigma_signal")]
    assert signal and all(r["point_colour"] == COLOURS["signal"] for r in signal)
    assert rows[0]["x"].startswith("2023-01-01")
    assert spec["title"]["text"].startswith("U chart")


def test_runs_signal_dashes_centre_line(dated: pd.DataFrame) -> None:
    res = qic("infections", x="month", data=dated, chart="c")
    assert res.data["runs_signal"].all()
    rows = [r for r in _values(_spec(res.chart())) if r.get("cl") is not None]
    assert all(r["cl_colour"] == COLOURS["signal"] and r["cl_dash"] == [6, 4] for r in rows)


def test_frozen_extension_dotted_and_baseline_rule() -> None:
    y = [5, 6, 5, 7, 6, 5, 6, 7, 5, 6, 6, 5, 7, 6, 5]
    res = qic(y, chart="i", freeze=10)
    spec = _spec(res.chart())
    rows = _values(spec)
    ext = [r for r in rows if r["cl_segment"].endswith("-1")]
    assert ext and all(r["cl_dash"] == [2, 3] for r in ext)
    labels = [
        row["label"]
        for layer in spec["layer"]
        if "data" in layer and layer["mark"]["type"] == "text"
        for row in _values(spec, layer["data"])
    ]
    # The label is drawn right of the rule, over the later points: it must say the rule ends
    # the baseline, or a reader takes the later period for the baseline.
    assert labels == ["end of baseline"]


def test_excluded_points_muted_and_parts_separated() -> None:
    y = np.r_[np.full(12, 5.0) + np.tile([0, 1], 6), np.full(12, 9.0) + np.tile([0, 1], 6)]
    res = qic(y, chart="i", part=[12], exclude=[3])
    spec = _spec(res.chart())
    rows = _values(spec)
    assert rows[3]["point_colour"] == COLOURS["muted"]
    assert rows[3]["point_shape"] == "cross"  # not just paler: another shape
    assert rows[3]["point_status"] == "excluded from the calculations"
    rule_layers = [layer for layer in spec["layer"] if _marks({"layer": [layer]}) == ["rule"]]
    assert rule_layers
    assert _values(spec, rule_layers[0]["data"])[0]["x"] == pytest.approx(12.5)


def test_annotations_target_titles_and_description(dated: pd.DataFrame) -> None:
    res = qic("infections", x="month", data=dated, chart="c", target=6)
    chart = res.chart(
        annotations={"2024-01-01": "PDSA 1: new sepsis trolley"},
        title="Infections",
        ylab="Count per month",
        xlab="Month",
    )
    spec = _spec(chart)
    text = json.dumps(spec)
    assert "PDSA 1: new sepsis trolley" in text
    assert spec["title"]["text"] == "Infections"
    assert '"Count per month"' in text and '"Month"' in text
    assert COLOURS["target"] in text
    assert spec["description"] == res.describe()
    assert "target is 6" in spec["description"]


def test_notes_become_annotations() -> None:
    res = qic([3, 4, 5, 4, 3, 4], notes={2: "Change A"})
    assert "Change A" in json.dumps(_spec(res.chart()))
    assert "Change A" in res.describe()


def test_mdc_colours() -> None:
    y = np.r_[np.tile([10.0, 11.0], 10), [30.0]]
    res = qic(y, method="mdc", improvement="down")
    rows = _values(_spec(res.chart()))
    assert rows[-1]["point_colour"] == COLOURS["concern"]
    assert "concerning" in res.describe()


def test_ten_thousand_points_without_row_limit() -> None:
    y = np.random.default_rng(1).normal(size=10_000)
    spec = _spec(qic(y, chart="i").chart())  # would raise MaxRowsError through a DataFrame
    assert len(_values(spec)) == 10_000
    assert alt.data_transformers.active == "default"


def test_spec_fetches_nothing() -> None:
    spec = _spec(qic([1, 2, 3, 2, 1]).chart())
    text = json.dumps({k: v for k, v in spec.items() if k != "$schema"})
    assert "http://" not in text and "https://" not in text
    assert "url" not in json.dumps(spec["data"])


def test_describe_plain_english() -> None:
    text = qic([1, 2, 3, 2, 1, 2, 3, 2, 1, 2, 30, 2], chart="i").describe()
    assert text.startswith("I chart, 12 points from 1 to 12.")
    assert "outside the limits" in text and "11" in text


def test_categorical_dots_only() -> None:
    res = qic([5, 6, 7], x=["Ward A", "Ward B", "Ward C"], chart="c")
    marks = _marks(_spec(res.chart()))
    assert marks.count("line") == 3  # limits and centre line only, no data line


def _legend(spec: dict) -> list[str]:
    layer = next(layer for layer in spec["layer"] if "fill" in layer.get("encoding", {}))
    return layer["encoding"]["fill"]["scale"]["domain"]


def test_default_width_is_fixed_never_container(dated: pd.DataFrame) -> None:
    """A "container" width measures 0 px in JupyterLab's output area: the chart was blank."""
    from qilab.theme import CHART_WIDTH

    spec = _spec(qic("infections", x="month", data=dated, chart="c").chart())
    assert spec["width"] == CHART_WIDTH and isinstance(spec["width"], int)
    assert 300 <= CHART_WIDTH <= 800
    assert "container" not in json.dumps(spec)


def test_every_chart_names_its_rule_set_with_the_thresholds_it_used(dated) -> None:
    runs = qic("infections", x="month", data=dated)
    subtitle = " ".join(_spec(runs.chart())["title"]["subtitle"])
    last = runs.summary.iloc[-1]
    assert subtitle.startswith("Anhøj rules")
    assert f"longer than {int(last['longest_run_max'])}" in subtitle
    assert f"fewer than {int(last['n_crossings_min'])} crossings of the median" in subtitle
    ihi = " ".join(_spec(qic("infections", data=dated, method="ihi").chart())["title"]["subtitle"])
    assert ihi.startswith("IHI run-chart rules") and "shift of 6" in ihi and "trend of 5" in ihi
    pm = qic("infections", data=dated, chart="c", method="ihi").chart()
    provost = " ".join(_spec(pm)["title"]["subtitle"])
    assert provost.startswith("Provost & Murray control-chart rules")
    assert "8 or more in a row" in provost and "15 in a row within 1σ" in provost
    mdc = qic("infections", data=dated, chart="i", method="mdc")
    assert "Making Data Count" in " ".join(_spec(mdc.chart())["title"]["subtitle"])
    control = " ".join(_spec(qic("infections", data=dated, chart="c").chart())["title"]["subtitle"])
    assert "3σ limits" in control


def test_legend_lists_what_is_on_the_chart_and_only_that(dated: pd.DataFrame) -> None:
    res = qic("infections", x="month", data=dated, chart="c", target=6)
    items = _legend(_spec(res.chart()))
    assert items[:2] == ["Data", "Mean (centre line)"]
    assert {"Process limits (3σ)", "Target", "Outside the limits"} <= set(items)
    assert "Run signal (dashed centre line)" in items  # the data shift after month 12
    plain = _legend(_spec(qic([1, 2, 1, 2, 1, 2, 1, 2, 1, 2, 1, 2]).chart()))
    assert plain == ["Data", "Median"]


def test_signal_points_differ_in_shape_not_only_colour(dated: pd.DataFrame) -> None:
    res = qic("infections", x="month", data=dated, chart="c")
    rows = _values(_spec(res.chart()))
    outside = [r for r in rows if r.get("sigma_signal")]
    assert outside and all(r["point_shape"] == "diamond" for r in outside)
    ihi = qic(np.r_[np.full(8, 1.0), np.full(8, 5.0)] + np.tile([0, 0.5], 8), method="ihi")
    rows = _values(_spec(ihi.chart()))
    shifted = [r for r, s in zip(rows, ihi.data["shift_signal"], strict=True) if s]
    assert shifted and all(r["point_shape"] == "square" for r in shifted)


def test_x_scale_is_padded_so_first_and_last_points_are_whole(dated: pd.DataFrame) -> None:
    spec = _spec(qic("infections", x="month", data=dated, chart="c").chart())
    encodings = [layer.get("encoding", {}) for layer in spec["layer"]]
    assert any(e.get("x", {}).get("scale", {}).get("padding") for e in encodings)


def test_legend_names_the_centre_line_the_chart_uses() -> None:
    gaps = [12, 30, 7, 22, 15, 40, 9, 18, 25, 11, 16, 33]
    assert "Median (centre line)" in _legend(_spec(qic(gaps, chart="g").chart()))
    assert "Mean (centre line)" in _legend(_spec(qic(gaps, chart="i").chart()))


@pytest.mark.parametrize("suffix", [".png", ".svg", ".pdf"])
def test_save_for_a_poster_or_portfolio(dated, tmp_path, suffix) -> None:
    res = qic("infections", x="month", data=dated, chart="c", target=6)
    out = res.save(tmp_path / f"chart{suffix}", title="Infections per month")
    data = out.read_bytes()
    if suffix == ".png":
        assert data[:8] == b"\x89PNG\r\n\x1a\n"
        width = int.from_bytes(data[16:20], "big")
        assert 1600 <= width <= 1700, f"PNG is {width} px wide: not 1600 px print quality"
    elif suffix == ".svg":
        assert b"<svg" in data[:200] and b"Infections per month" in data
    else:
        assert data[:5] == b"%PDF-"


def test_save_with_an_unknown_format_or_folder_says_what_to_do(dated, tmp_path) -> None:
    from qilab.errors import QilabError

    res = qic("infections", x="month", data=dated)
    with pytest.raises(QilabError, match=r"\.png .*\.svg .*\.pdf"):
        res.save(tmp_path / "chart.jpg")
    with pytest.raises(QilabError, match="does not exist"):
        res.save(tmp_path / "no-such-folder" / "chart.png")
    assert list(tmp_path.iterdir()) == []


def _point_layer(spec: dict) -> dict:
    return next(layer for layer in spec["layer"] if layer.get("encoding", {}).get("tooltip"))


def test_tooltips_use_the_learners_names_and_say_why_a_point_stands_out(dated) -> None:
    res = qic("infections", n="days", x="month", data=dated, chart="u", multiply=1000)
    spec = _spec(res.chart())
    points = _point_layer(spec)
    titles = {tip["field"]: tip["title"] for tip in points["encoding"]["tooltip"]}
    assert titles["x"] == "month"  # the column the learner passed, not "x"
    assert titles["y"] == points["encoding"]["y"]["title"]  # the y axis's own title
    assert titles["point_status"] == "this point"
    rows = [r for r in _values(spec) if not r["bridge"]]
    outside = res.data["sigma_signal"].to_numpy(dtype=bool)
    assert outside.any()
    for row, signal in zip(rows, outside, strict=True):
        assert (row["point_status"] == "outside the limits") == signal


def test_mdc_tooltips_name_the_making_data_count_rule() -> None:
    from qilab.measure.mdc import RULE_NAMES

    y = np.r_[np.tile([10.0, 11.0], 10), [30.0]]
    res = qic(y, method="mdc", improvement="down")
    rows = [r for r in _values(_spec(res.chart())) if not r["bridge"]]
    assert rows[-1]["point_status"] == RULE_NAMES[res.data["mdc_rule"].iloc[-1]]
    common = (res.data["point_type"] == "common_cause").to_numpy()
    assert [r["point_status"] == "" for r in rows] == list(common)


def test_describe_says_which_points_outside_the_limits_were_excluded() -> None:
    y = [5.0, 6, 5, 6, 5, 6, 5, 6, 5, 6, 5, 6, 30, 6, 5, 6, 5, 6, 5, 6]
    res = qic(y, chart="i", exclude=[12])  # positions count from 0
    assert bool(res.data["sigma_signal"].iloc[12]) and not bool(res.data["include"].iloc[12])
    assert "1 point lies outside the limits" in res.describe()
    assert "(13 is excluded from the calculations)" in res.describe()
    assert "excluded from the calculations)" not in qic(y, chart="i").describe()


def test_tooltips_show_no_null_for_points_without_a_note() -> None:
    res = qic([3, 4, 5, 4, 3, 4], notes={2: "Change A"})
    rows = [r for r in _values(_spec(res.chart())) if not r["bridge"]]
    assert [r["notes"] for r in rows] == ["", "", "Change A", "", "", ""]  # position 2


def test_description_says_what_is_measured_in_the_authors_words() -> None:
    """The text a screen reader reads names the measure as the y axis does, not the column."""
    data = pd.DataFrame({"month": range(1, 13), "compliant": [80, 85] * 6, "opps": [100] * 12})
    res = qic(
        "compliant",
        n="opps",
        x="month",
        data=data,
        multiply=100,
        ylab="% of opportunities compliant",
    )
    assert res.describe().startswith("Run chart of % of opportunities compliant, 12 points")
    # without a y-axis title the column names it, as before
    plain = qic("compliant", x="month", data=data)
    assert plain.describe().startswith("Run chart of compliant, 12 points")
