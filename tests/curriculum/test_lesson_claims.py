"""Every statistical claim a lesson makes about its own data, computed from the data.

A lesson that says "a run of 19 patients" above a chart whose ``describe()`` prints 19 is
right today; if the data, the engine or the code cell changes, these tests fail and name the
sentence to rewrite. Each test checks both halves: the numbers, computed with the lesson's
own calls, and the words in the lesson's markdown (so prose and output cannot drift apart).
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from qilab import datasets
from qilab.curriculum import notebooks as nbs
from qilab.measure import qic

REPO = Path(__file__).resolve().parents[2]


def cell(path: str, cell_id: str) -> str:
    """Source of one cell, found by its id (ids survive edits that renumber cells)."""
    nb = nbs.read_notebook(REPO / path)
    found = [c for c in nb["cells"] if c.get("id") == cell_id]
    assert found, f"{path} has no cell {cell_id!r}"
    src = found[0]["source"]
    return "".join(src) if isinstance(src, list) else src


def prose(text: str) -> str:
    """Markdown with line breaks and emphasis removed, so claims match across line wraps."""
    return re.sub(r"\s+", " ", text.replace("**", "").replace("*", ""))


def runs(y: np.ndarray, cl: np.ndarray) -> list[tuple[int, int, int]]:
    """(length, first index, side) of each run on one side of the centre line."""
    signs = np.sign(y - cl)
    keep = np.flatnonzero(signs != 0)
    out: list[tuple[int, int, int]] = []
    start = 0
    for i in range(1, keep.size + 1):
        if i == keep.size or signs[keep[i]] != signs[keep[start]]:
            out.append((i - start, int(keep[start]), int(signs[keep[start]])))
            start = i
    return out


# ------------------------------------------------------------------ practitioner/measurement
PM = "curriculum/practitioner/measurement.ipynb"
PM_TASK = "assignments/source/practitioner_measurement/practitioner_measurement.ipynb"


def test_sepsis_i_chart_after_the_change_is_faster_but_not_yet_stable() -> None:
    assert "part=[96]" in cell(PM, "practitioner-measurement-04")
    sepsis = datasets.load("sepsis_antibiotics")
    res = qic("door_to_antibiotic_minutes", data=sepsis, chart="i", part=[96])
    before, after = res.summary.iloc[0], res.summary.iloc[1]
    assert round(before["cl"]) == 83 and round(after["cl"]) == 47
    assert after["a_ucl"] - after["a_lcl"] < before["a_ucl"] - before["a_lcl"]  # narrower
    assert after["runs_signal"] and int(after["longest_run"]) == 19
    assert int(after["longest_run_max"]) == 10 and after["sigma_signal"] == 0
    part2 = res.data[res.data["part"] == 2]
    length, first, side = max(runs(part2["y"].to_numpy(), part2["cl"].to_numpy()))
    first_patient = 96 + first + 1
    assert (length, side) == (19, -1) and (first_patient, first_patient + 18) == (155, 173)
    text = prose(cell(PM, "practitioner-measurement-06"))
    assert "about 47 minutes against 83" in text
    assert "19 patients below the new centre line (patients 155 to 173)" in text
    assert "more than the 10 expected" in text and "trial limits" in text
    assert "more predictable" not in text


def _errors_chart():
    errors = datasets.load("prescribing_errors")
    return qic(
        "errors",
        n="items_screened",
        x="month",
        data=errors,
        chart="u",
        multiply=1000,
        part=[27],
        exclude=[25, 26],
    )


def test_prescribing_errors_august_and_the_new_level_are_read_as_the_chart_shows() -> None:
    code = cell(PM, "practitioner-measurement-07")
    assert "part=[27]" in code and "exclude=[25, 26]" in code
    res = _errors_chart()
    d = res.data.set_index(res.data["x"].dt.strftime("%Y-%m"))
    assert d.loc["2021-08", "sigma_signal"]  # August 2021 above the upper limit
    aug22 = d.loc["2022-08"]
    two_sigma = aug22["cl"] + 2 / 3 * (aug22["ucl"] - aug22["cl"])
    assert two_sigma < aug22["y"] < aug22["ucl"]  # outer third, not outside
    after = res.data[res.data["part"] == 2]
    old_cl = res.summary["cl"].iloc[0]
    assert (after["y"] < old_cl).all()  # every month since July 2023 below the old line
    s2 = res.summary.iloc[1]
    assert round(old_cl, 1) == 17.6 and round(s2["cl"]) == 11
    assert s2["runs_signal"] and int(s2["longest_run"]) == 8 and int(s2["longest_run_max"]) == 7
    length, first, side = max(runs(after["y"].to_numpy(), after["cl"].to_numpy()))
    months = after["x"].dt.strftime("%B %Y").to_numpy()
    assert (length, side) == (8, -1)
    assert (months[first], months[first + 7]) == ("December 2023", "July 2024")
    first_run = runs(after["y"].to_numpy(), after["cl"].to_numpy())[0]
    assert first_run[2] == 1  # the first months after go-live sat above the new centre line
    text = prose(cell(PM, "practitioner-measurement-09"))
    assert "August 2022 is in the outer third, above the 2σ line" in text
    assert "8 months in a row below its centre line (December 2023 to July 2024)" in text
    assert "more than the 7 expected" in text and "trial limits" in text
    assert "settle at a new" not in text
    answer = prose(cell(PM_TASK, "q7_answer"))
    assert "8 months in a row below the new centre line, December 2023 to July 2024" in answer
    assert "trial limits" in answer and "about 17.6 per 1,000" in answer


def test_the_assignments_recalculated_chart_has_the_runs_signal_the_model_answer_names() -> None:
    errors = datasets.load("prescribing_errors")
    settled = errors[errors["month"] >= "2023-07-01"]
    res = qic("errors", n="items_screened", x="month", data=settled, chart="u", multiply=1000)
    s = res.summary.iloc[0]
    assert s["runs_signal"] and int(s["longest_run"]) == 8 and s["sigma_signal"] == 0
    answer = prose(cell(PM_TASK, "q7_answer"))
    assert "No month is outside the new limits, but their runs analysis signals" in answer
    assert "the rate settled" not in prose(cell(PM_TASK, "q3_text"))


# ------------------------------------------------------------------ advanced/measurement
AM = "curriculum/advanced/measurement.ipynb"


def _weekly_ed() -> pd.DataFrame:
    ed = datasets.load("ed_daily")
    ed["within_4h"] = ed["attendances"] - ed["breaches"]
    weekly = (
        ed.set_index("date")[["within_4h", "attendances"]]
        .resample("W-MON", label="left", closed="left")
        .sum()
        .reset_index()
    )
    return weekly.iloc[1:40]


def test_laney_chart_flags_winter_not_the_outage_and_both_charts_signal_runs() -> None:
    assert "weekly.iloc[1:40]" in cell(AM, "advanced-measurement-07")
    weekly = _weekly_ed()
    kw = {"n": "attendances", "x": "date", "data": weekly, "multiply": 100}
    p = qic("within_4h", chart="p", **kw)
    pp = qic("within_4h", chart="pp", **kw)
    assert int(p.data["sigma_signal"].sum()) == 24 and len(weekly) == 39
    flagged = pp.data.loc[pp.data["sigma_signal"], "x"].tolist()
    assert flagged == [pd.Timestamp("2022-12-12")]
    outage = pd.Timestamp("2022-10-18")  # the special cause built into ed_daily
    week = pp.data[(pp.data["x"] <= outage) & (outage < pp.data["x"] + pd.Timedelta(days=7))]
    assert week["x"].iloc[0] == pd.Timestamp("2022-10-17") and not week["sigma_signal"].iloc[0]
    for res in (p, pp):
        s = res.summary.iloc[0]
        assert s["runs_signal"] and int(s["longest_run"]) == 12 and int(s["longest_run_max"]) == 8
    length, first, side = max(runs(pp.data["y"].to_numpy(), pp.data["cl"].to_numpy()))
    dates = pp.data["x"].iloc[[first, first + length - 1]].dt.strftime("%B").tolist()
    assert (length, side, dates) == (12, 1, ["April", "June"])
    text = prose(cell(AM, "advanced-measurement-09"))
    assert "24 of the 39 weeks" in text and "12 December 2022" in text
    assert "18 October 2022" in text and "week of 17 October stays inside the limits" in text
    assert "run of 12 weeks above the centre line (April to June 2022)" in text
    assert "more than the 8 expected" in text
    assert "really was unusual" not in text


# ------------------------------------------------------------------ foundation/codesign
FC = "curriculum/foundation/codesign.ipynb"


def _cedar() -> pd.DataFrame:
    survey = datasets.load("patient_experience")
    survey["asked"] = survey["asked_what_matters"].eq("Yes").astype(int)
    return survey[survey["ward"] == "Cedar Ward"].assign(one=1)


def test_cedar_ward_change_is_a_signal_on_a_p_chart_though_not_on_the_run_chart() -> None:
    cedar = _cedar()
    kw = {"n": "one", "x": "month", "data": cedar, "multiply": 100, "freeze": 9}
    run = qic("asked", **kw)
    s = run.summary.iloc[0]
    assert not s["runs_signal"] and int(s["longest_run"]) == 4
    assert int(s["longest_run_max"]) == 6 and int(s["n_useful"]) == 11
    on_median = run.data.loc[run.data["y"] == run.data["cl"], "x"].dt.strftime("%B %Y")
    assert on_median.tolist() == ["December 2024"]
    assert round(np.log2(12) + 3) == 7  # with all 12 months useful, the limit would be 7
    code = cell(FC, "foundation-codesign-11-p-chart")
    assert 'chart="p"' in code and "freeze=9" in code
    p = qic("asked", chart="p", **kw)
    post = p.data.iloc[9:]
    assert post["sigma_signal"].all() and (post["y"] > post["ucl"]).all()
    assert [round(v) for v in post["y"]] == [76, 70, 71]
    assert (round(post["ucl"].min()), round(post["ucl"].max())) == (66, 69)
    assert round(p.summary["cl"].iloc[0]) == 35
    before = cedar.loc[cedar["month"] < "2025-01-01", "asked"].mean()
    after = cedar.loc[cedar["month"] >= "2025-01-01", "asked"].mean()
    assert 1.8 < after / before < 2.2  # "roughly doubles"
    text = prose(cell(FC, "foundation-codesign-11"))
    assert "longest run is only 4 months" in text and "'more than 6', is for 11 useful" in text
    assert "December 2024 sits exactly on the median" in text and "'more than 7'" in text
    assert "no runs signal is not the same as no change" in text
    reading = prose(cell(FC, "foundation-codesign-11-reading"))
    assert "(76 %, 70 % and 71 %) are above their upper limits (66 to 69 %)" in reading
    assert "about 35 %" in reading


# ------------------------------------------------------------------ foundation/measurement
FM = "curriculum/foundation/measurement.ipynb"


def test_ihi_trend_on_229_points_is_read_as_expected_by_chance() -> None:
    assert 'freeze=96, method="ihi"' in cell(FM, "foundation-measurement-14")
    sepsis = datasets.load("sepsis_antibiotics")
    res = qic("door_to_antibiotic_minutes", x="arrival", data=sepsis, freeze=96, method="ihi")
    s = res.summary.iloc[0]
    assert len(res.data) == 229 and s["shift"] and s["trend"]
    assert int(s["longest_run"]) == 108 and int(s["longest_trend"]) == 5
    length, _, side = max(runs(res.data["y"].to_numpy(), res.data["cl"].to_numpy()))
    assert (length, side) == (108, -1)
    trend_x = res.data.loc[res.data["trend_signal"], "x"]
    assert len(trend_x) == 5 and (trend_x.dt.strftime("%Y-%m") == "2024-05").all()
    assert (trend_x.dt.day <= 10).all()  # early May
    # how often a stable random process of 229 points has a 5-point trend somewhere
    rng = np.random.default_rng(2024)
    hits = [
        bool(qic(rng.normal(size=229), method="ihi").summary["trend"].iloc[0]) for _ in range(400)
    ]
    assert 0.92 < np.mean(hits) < 0.99  # "about 19 times in 20"
    text = prose(cell(FM, "foundation-measurement-14-reading"))
    assert "run of 108 patients below the old median" in text
    assert "only 5 points long (five patients in early May 2024)" in text
    assert "about 19 times in 20" in text and "stops at 60" in text


# ------------------------------------------------------------------ practitioner/systems
PS = "curriculum/practitioner/systems.ipynb"


def test_pareto_uses_contributory_factors_and_ward_counts_fit_an_even_spread() -> None:
    assert 'ulcers["contributory_factor"]' in cell(PS, "practitioner-systems-12")
    ulcers = datasets.load("pressure_ulcer_events")
    factors = ulcers["contributory_factor"].value_counts()
    top_two = factors.iloc[:2]
    assert len(ulcers) == 64
    assert set(top_two.index) == {
        "Repositioning not done as planned",
        "Skin inspection missed or late",
    }
    assert int(top_two.sum()) == 39 and round(100 * top_two.sum() / 64) == 61
    assert stats.chisquare(factors.to_numpy()).pvalue < 0.001  # not an even spread
    wards = ulcers["ward"].value_counts()
    chi = stats.chisquare(wards.to_numpy())
    assert len(wards) == 8 and round(chi.statistic, 1) == 7.5 and round(chi.pvalue, 2) == 0.38
    assert (wards.index[0], wards.iloc[0], wards.index[-1], wards.iloc[-1]) == (
        "Stroke Unit",
        13,
        "Beech Ward",
        4,
    )
    text = prose(cell(PS, "practitioner-systems-14"))
    assert "account for 39 of the 64 ulcers (61 %)" in text
    assert "13 on the stroke unit down to 4 on Beech Ward" in text
    assert "χ² = 7.5 on 7 degrees of freedom, p ≈ 0.38" in text
    assert "where prevention effort is best aimed first" in text
    assert "two factors account for 6 in 10" in cell(PS, "practitioner-systems-12")


@pytest.mark.parametrize(
    ("path", "cell_id", "phrase"),
    [
        (PM, "practitioner-measurement-06", "more predictable"),
        (PM, "practitioner-measurement-09", "settle at a new, lower level"),
        (AM, "advanced-measurement-09", "flags only a week that really was unusual"),
        (FC, "foundation-codesign-11", "not yet enough for the run chart rules"),
        (PS, "practitioner-systems-14", "The stroke unit, critical care and the orthopaedic"),
    ],
)
def test_claims_the_data_contradicted_are_gone(path: str, cell_id: str, phrase: str) -> None:
    assert phrase not in prose(cell(path, cell_id))


def test_funnel_plot_reading_follows_spiegelhalter_with_the_lessons_numbers() -> None:
    from scipy.stats import mstats

    code = cell(AM, "advanced-measurement-10")
    assert '("95 %", 1.96), ("99.8 %", 3.09)' in code
    pincer = datasets.load("pincer_collaborative")
    recent = pincer[pincer["month"] > pincer["month"].max() - pd.DateOffset(months=6)]
    units = recent.groupby("practice", observed=True)[
        ["patients_exposed", "patients_at_risk"]
    ].sum()
    p_bar = units["patients_exposed"].sum() / units["patients_at_risk"].sum()
    z = (units["patients_exposed"] / units["patients_at_risk"] - p_bar) / np.sqrt(
        p_bar * (1 - p_bar) / units["patients_at_risk"]
    )
    assert len(z) == 24
    assert int((z.abs() > 1.96).sum()) == 12 and int((z.abs() > 3.09).sum()) == 8
    assert round(0.05 * 24) == 1 and 0.002 * 24 < 0.1  # "about 1 and almost none"
    phi = float(np.mean(z**2))
    winsorised = np.asarray(mstats.winsorize(z.to_numpy(), limits=(0.1, 0.1)))
    assert round(phi) == 16 and round(float(np.mean(winsorised**2))) == 9
    assert int((z.abs() > 3.09 * np.sqrt(phi)).sum()) == 0  # widened: no practice outside
    baseline = (
        pincer[pincer["phase"] == "baseline"]
        .groupby("practice", observed=True)[["patients_exposed", "patients_at_risk"]]
        .sum()
    )
    fall = 1 - (units["patients_exposed"] / units["patients_at_risk"]) / (
        baseline["patients_exposed"] / baseline["patients_at_risk"]
    )
    above = set(z.index[z > 3.09])
    barely = set(fall.index[fall < 0.10])
    assert len(above) == 4 and fall[list(above)].max() < 0.125
    assert round(100 * fall.median()) == 26
    assert len(barely) == 6 and len(above & barely) == 3
    text = prose(cell(AM, "advanced-measurement-12"))
    assert "12 of the 24 practices are outside the 95 % limits and 8 outside the 99.8 %" in text
    assert "about 1 and almost none" in text and "about 16" in text and "still about 9" in text
    assert "would leave no practice outside" in text
    assert "four practices above the funnel cut exposure by 12 % or less" in text
    assert "(the median practice cut it by about 26 %)" in text
    assert "three of them are among the six practices whose exposure fell by under 10 %" in text
    answer = prose(cell(PM_TASK.replace("practitioner", "advanced"), "q6_answer"))
    assert "φ about 16" in answer and "eight outside the limits" in answer


def test_rule_sets_section_reads_its_own_comparison() -> None:
    from qilab.widgets.control_chart import Explorer, ProcessSettings

    code = cell(PM, "practitioner-measurement-rules-2")
    assert "sepsis.iloc[96:]" in code
    after = datasets.load("sepsis_antibiotics").iloc[96:]
    res = {
        m: qic("door_to_antibiotic_minutes", data=after, chart="i", method=m)
        for m in ("ihi", "mdc", "anhoej")
    }
    assert len(after) == 133
    for r in res.values():
        assert r.summary["runs_signal"].iloc[0] and not r.data["sigma_signal"].any()
    y, cl = res["anhoej"].data["y"].to_numpy(), res["anhoej"].data["cl"].to_numpy()
    found = sorted(runs(y, cl), reverse=True)
    assert found[0][0] == 19 and found[0][2] == -1  # 19 below
    assert found[1][0] == 8 and found[1][2] == 1 and found[1][1] > found[0][1]  # later 8 above
    assert int(res["anhoej"].summary["longest_run_max"].iloc[0]) == 10
    pm = res["ihi"].data
    assert pm["shift_signal"].sum() == 27  # both runs are shifts for Provost & Murray
    assert set(res["mdc"].data["mdc_rule"]) >= {"7 Points Below CL", "7 Points Above CL"}
    text = prose(cell(PM, "practitioner-measurement-rules-3"))
    assert "run of 19 patients below the centre line" in text
    assert "8 patients above" in text and "run longer than 10" in text

    def verdict(method: str, **built_in: object) -> str:
        settings = ProcessSettings(n_points=40, chart="i", method=method, **built_in)
        return Explorer(seed=1, settings=settings).verdict()[0]

    stable = {"pattern": "none"}
    shift = {"pattern": "shift", "at": 21, "size": 1.5}
    drift = {"pattern": "trend", "at": 11, "size": 3.0}
    assert verdict("ihi", **stable) == "false alarm"
    assert verdict("mdc", **stable) == verdict("anhoej", **stable) == "correctly quiet"
    assert verdict("ihi", **shift) == verdict("mdc", **shift) == "true alarm"
    assert verdict("anhoej", **shift) == "missed signal"
    assert {verdict(m, **drift) for m in ("ihi", "mdc", "anhoej")} == {"true alarm"}
    ihi_stable = Explorer(seed=1, settings=ProcessSettings(n_points=40, chart="i", method="ihi"))
    ihi_stable.update(pattern="none")
    fired = [r.rule for r in ihi_stable.rules_table().itertuples() if r.fired]
    assert len(fired) == 1 and fired[0].startswith("Trend")
    reading = prose(cell(PM, "practitioner-measurement-rules-5"))
    assert "trend rule fires on the stable process (a false alarm)" in reading
    assert "both catch the modest shift that Anhøj's rules miss" in reading
    table = prose(cell(PM, "practitioner-measurement-rules-1"))
    for fact in (
        "8 or more in a row",
        "6 in a row all increasing",
        "2 of 3 in a row beyond 2σ",
        "15 in a row within 1σ",
        "7 in a row on one side of the mean",
    ):
        assert fact in table


# ------------------------------------------------------------------ practitioner: Making Data Count
def _board_charts():
    errors = datasets.load("prescribing_errors")
    errors["rate"] = 1000 * errors["errors"] / errors["items_screened"]
    board = {
        "x": "month",
        "data": errors,
        "chart": "i",
        "method": "mdc",
        "improvement": "down",
        "target": 15,
    }
    frozen = qic("rate", freeze=25, **board)
    recalculated = qic("rate", part=[27], exclude=[25, 26], **board)
    return frozen, recalculated


def test_making_data_count_section_reads_the_icons_its_charts_show() -> None:
    code = cell(PM, "practitioner-measurement-mdc-2")
    assert 'method="mdc", improvement="down", target=15' in code and "freeze=25" in code
    code = cell(PM, "practitioner-measurement-mdc-4")
    assert "part=[27]" in code and "exclude=[25, 26]" in code
    frozen, recalculated = _board_charts()
    month = frozen.data["x"].dt.strftime("%Y-%m")

    # limits frozen on the 25 months before ePMA
    s = frozen.summary.iloc[0]
    assert (round(s["cl"], 1), round(s["a_lcl"], 1), round(s["a_ucl"], 1)) == (17.6, 10.1, 25.2)
    after = frozen.data[frozen.data["x"] >= "2023-07-01"]
    assert len(after) == 21 and (after["point_type"] == "special_cause_improvement").all()
    assert int((after["y"] < after["lcl"]).sum()) == 3
    may = frozen.data[month == "2023-05"].iloc[0]
    assert may["y"] > may["ucl"] and may["point_type"] == "special_cause_concern"
    assert (frozen.variation, frozen.assurance) == ("special_cause_improvement", "inconsistent")
    assert s["a_lcl"] < 15 < s["a_ucl"]
    text = prose(cell(PM, "practitioner-measurement-mdc-3"))
    assert "(mean 17.6, process limits 10.1 to 25.2 per 1,000)" in text
    assert "every month from July 2023 (21 months, 3 of them below the lower limit)" in text
    assert "blue variation icon with an L" in text and "grey, hit and miss" in text
    assert "May 2023, the first go-live month, is above the upper limit" in text

    # recalculated from July 2023
    new = recalculated.summary.iloc[1]
    assert (round(new["cl"], 1), round(new["a_lcl"], 1), round(new["a_ucl"], 1)) == (
        11.0,
        8.7,
        13.3,
    )
    assert new["a_ucl"] < 15  # the target is above the upper process limit
    assert (recalculated.variation, recalculated.assurance) == ("common_cause", "consistent_pass")
    last = recalculated.data.iloc[-1]
    assert last["x"].strftime("%B %Y") == "March 2025" and round(last["y"], 1) == 11.6
    part2 = recalculated.data[recalculated.data["part"] == 2]
    improving = part2[part2["point_type"] == "special_cause_improvement"]
    months = improving["x"].dt.strftime("%B %Y").tolist()
    assert len(improving) == 8 and (months[0], months[-1]) == ("December 2023", "July 2024")
    assert (improving.index == np.arange(improving.index[0], improving.index[0] + 8)).all()
    assert (improving["y"] < improving["cl"]).all()  # a run of 8 below the new mean
    below = part2.loc[part2["y"] < part2["lcl"], "x"].dt.strftime("%B %Y").tolist()
    assert below == ["February 2024"]
    assert not (part2["point_type"] == "special_cause_concern").any()
    # the same months as the u chart's runs signal in section 4
    u = _errors_chart()
    u_after = u.data[u.data["part"] == 2]
    length, first, side = max(runs(u_after["y"].to_numpy(), u_after["cl"].to_numpy()))
    assert side == -1
    assert u_after["x"].iloc[first : first + length].tolist() == improving["x"].tolist()
    text = prose(cell(PM, "practitioner-measurement-mdc-5"))
    assert "a mean of 11.0 and process limits of 8.7 to 13.3 per 1,000" in text
    assert "above the upper process limit, so the assurance icon is a blue P" in text
    assert "The latest month (March 2025, 11.6 per 1,000) is common cause" in text
    assert "the 8 months from December 2023 to July 2024 are special cause of an improving" in text
    assert "a run of 8 below the new mean, with February 2024 below the lower process limit" in text
    assert "trial limits" in text
    intro = prose(cell(PM, "practitioner-measurement-mdc-1"))
    assert "Making Data Count: Getting Started" in intro and "Strengthening Your Decisions" in intro
    assert "mean ± 2.66 × the mean moving range" in intro


def test_making_data_count_moved_to_practitioner_and_left_advanced() -> None:
    import yaml

    manifest = yaml.safe_load((REPO / "curriculum" / "escalator.yaml").read_text())
    outcomes = {m["id"]: [o["text"] for o in m["outcomes"]] for m in manifest["modules"]}
    assert any("Making Data Count" in t for t in outcomes["practitioner_measurement"])
    for module, texts in outcomes.items():
        if module != "practitioner_measurement":
            assert not any("Making Data Count" in t for t in texts), module
    advanced = nbs.read_notebook(REPO / AM)
    advanced_code = "".join(
        "".join(c["source"]) for c in advanced["cells"] if c["cell_type"] == "code"
    )
    assert 'method="mdc"' not in advanced_code  # moved, not duplicated
    task = nbs.read_notebook(REPO / PM_TASK.replace("practitioner", "advanced"))
    assert not any("variation_icon" in "".join(c["source"]) for c in task["cells"])


# ------------------------------------------------------------------ START
START = "curriculum/START.ipynb"


@pytest.mark.parametrize("spread", [0.0, 5.0, 20.0])
def test_the_start_pages_slider_chart_names_its_rules_and_says_what_it_shows(spread) -> None:
    """START's 'variation is everywhere' chart: the run chart rules it applied are named, its
    claim ("nothing about the system changed": no signal) holds at every slider position, and
    its text description tells a screen reader the median the dashed line shows."""
    namespace: dict = {}
    exec(cell(START, "start-07"), namespace)
    exec(cell(START, "start-08").split("spread = widgets.FloatSlider")[0], namespace)
    data = namespace["weekly_measure"](spread)
    spec = namespace["run_chart"](data).to_dict()
    assert spec["title"]["subtitle"] == "Anhøj rules: no signal: everyday variation"
    median = qic(data["value"], chart="run").data["cl"].iloc[0]
    assert median == pytest.approx(data["value"].median())
    assert f"The centre line (median) is {median:.3g}" in spec["description"]
    assert "nothing about the system changed" in prose(cell(START, "start-06"))
