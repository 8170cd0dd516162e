"""Auto-graded checks accept every valid form of the right answer, and still reject wrong ones.

A learner's natural code often gives the right answer in another form: ``numpy.bool_`` from a
comparison, whole weeks where the chart kept a part week, a cycle that the question's wording
left open. Each test runs the assignment's own code cells (model answers included) in order,
swaps in an alternative answer just before a check cell, and runs that check cell exactly as
nbgrader would, hidden tests included.
"""

from __future__ import annotations

import contextlib
import io
import re
from collections.abc import Callable
from functools import cache
from typing import Any

import numpy as np
import pytest

from .course import MODULES, is_autograded_test, notebook_path, read


@cache
def snapshots(module: str) -> dict[str, tuple[dict[str, Any], str]]:
    """For every code cell: (the namespace just before it, its source), running cells in order."""
    nb = read(notebook_path(module))
    namespace: dict[str, Any] = {"__name__": "__main__"}
    out: dict[str, tuple[dict[str, Any], str]] = {}
    with contextlib.redirect_stdout(io.StringIO()):
        for cell in nb.cells:
            if cell.cell_type != "code":
                continue
            out[cell["id"]] = (dict(namespace), cell.source)
            exec(compile(cell.source, f"{module}:{cell['id']}", "exec"), namespace)
    return out


def check(module: str, cell_id: str, **answers: Any) -> None:
    """Run one check cell with some answers replaced; raises AssertionError if it rejects them."""
    before, source = snapshots(module)[cell_id]
    namespace = {**before, **answers}
    with contextlib.redirect_stdout(io.StringIO()):
        exec(compile(source, f"{module}:{cell_id}", "exec"), namespace)


def model(module: str, cell_id: str, name: str) -> Any:
    """The model answer's value of ``name`` when the check cell runs."""
    return snapshots(module)[cell_id][0][name]


# ------------------------------------------------------------- numpy.bool_ is True or False
@pytest.mark.parametrize(
    ("module", "cell_id", "names"),
    [
        ("foundation_measurement", "q4_check_longest_run", ["baseline_signal"]),
        ("foundation_measurement", "q6_check_signals", ["anhoej_signal", "ihi_shift"]),
        ("practitioner_pdsa", "q3_check_cycle3", ["cycle3_prediction_met"]),
        ("practitioner_pdsa", "q4_check_signal", ["anhoej_runs_signal"]),
        ("advanced_measurement", "q4_check_aim", ["aim_met"]),
        ("advanced_systems", "q2_check_best", ["push_worse_than_nothing"]),
    ],
)
def test_numpy_bools_pass_the_true_or_false_checks(module, cell_id, names) -> None:
    right = {n: model(module, cell_id, n) for n in names}
    check(module, cell_id, **right)  # the model answer itself
    check(module, cell_id, **{n: np.bool_(v) for n, v in right.items()})  # e.g. from `x > 3`
    with pytest.raises(AssertionError):  # a string is still not True or False
        check(module, cell_id, **{n: str(v) for n, v in right.items()})
    with pytest.raises(AssertionError):  # and the wrong truth value still fails
        check(module, cell_id, **{n: np.bool_(not v) for n, v in right.items()})


def test_numpy_bools_pass_the_smart_aims_check() -> None:
    right = model("foundation_pdsa", "q2_check_smart", "is_smart")
    check("foundation_pdsa", "q2_check_smart", is_smart={k: np.bool_(v) for k, v in right.items()})
    wrong = {**right, "D": True}  # D has no deadline or baseline
    with pytest.raises(AssertionError):
        check("foundation_pdsa", "q2_check_smart", is_smart=wrong)


# ------------------------------------------------------------- foundation_pdsa Q5: cycles
@pytest.mark.parametrize(
    "cycles",
    [[1, 3, 5, 8], [1, 2, 3, 4, 5, 8], [1, 2, 3, 5, 8], [1, 3, 4, 5, 8], np.array([1, 3, 5, 8])],
)
def test_cycles_2_and_4_may_be_counted_as_checkable_predictions(cycles) -> None:
    check("foundation_pdsa", "q5_check_numeric", numeric_prediction_cycles=list(cycles))


@pytest.mark.parametrize("cycles", [[1, 3, 5], [1, 3, 5, 6, 8], [1, 3, 5, 7, 8], [2, 4]])
def test_missing_or_uncheckable_cycles_still_fail(cycles) -> None:
    with pytest.raises(AssertionError):
        check("foundation_pdsa", "q5_check_numeric", numeric_prediction_cycles=cycles)


# ------------------------------------------------------------- advanced_measurement Q2: σz
def _sigma_z_whole_weeks(count: int) -> float:
    """σz as a learner following the lesson computes it: drop the 3-day first week."""
    from qilab import datasets

    ed = datasets.load("ed_daily")
    ed["within"] = ed["attendances"] - ed["breaches"]
    weekly = (
        ed.set_index("date")[["within", "attendances"]]
        .resample("W-MON", label="left", closed="left")
        .sum()
        .iloc[1 : 1 + count]  # whole weeks only, as the lesson does
    )
    n = weekly["attendances"].to_numpy()
    p = weekly["within"].to_numpy() / n
    p_bar = weekly["within"].sum() / n.sum()
    z = (p - p_bar) / np.sqrt(p_bar * (1 - p_bar) / n)
    return float(np.mean(np.abs(np.diff(z))) / 1.128)


def test_sigma_z_from_whole_weeks_is_accepted_as_well_as_the_charts_weeks() -> None:
    model_value = model("advanced_measurement", "q2_check_sigma_z", "sigma_z")
    check("advanced_measurement", "q2_check_sigma_z", sigma_z=model_value)
    whole_52, whole_51 = _sigma_z_whole_weeks(52), _sigma_z_whole_weeks(51)
    assert abs(whole_52 - model_value) > 0.02  # the form the old ±0.02 check rejected
    for value in (whole_52, whole_51, round(whole_52, 2)):
        check("advanced_measurement", "q2_check_sigma_z", sigma_z=value)
    with pytest.raises(AssertionError):  # σz without the 1.128, or a made-up value, fails
        check("advanced_measurement", "q2_check_sigma_z", sigma_z=model_value * 1.128)
    with pytest.raises(AssertionError):
        check("advanced_measurement", "q2_check_sigma_z", sigma_z=1.0)


# ------------------------------------------------------------- advanced_measurement Q3: funnel
def _practices_outside(k: float) -> list[str]:
    from qilab import datasets

    pin = datasets.load("pincer_collaborative")
    agg = (
        pin[pin["month"] >= "2017-10-01"]
        .groupby("practice", observed=True)[["patients_exposed", "patients_at_risk"]]
        .sum()
    )
    p = agg["patients_exposed"].sum() / agg["patients_at_risk"].sum()
    z = (agg["patients_exposed"] / agg["patients_at_risk"] - p) / np.sqrt(
        p * (1 - p) / agg["patients_at_risk"]
    )
    return sorted(str(x) for x in agg.index[z.abs() > k])


def test_funnel_accepts_99_8_and_3_sigma_limits_but_not_95_or_widened_limits() -> None:
    outside = _practices_outside(3.09)
    assert len(outside) == 8 and outside == _practices_outside(3)  # the lesson's "8 outside"
    assert model("advanced_measurement", "q3_check_outside", "practices_outside") == outside
    check("advanced_measurement", "q3_check_outside", practices_outside=outside)
    check("advanced_measurement", "q3_check_outside", practices_outside=outside[::-1])
    with pytest.raises(AssertionError):  # 95 % limits: 12 practices
        check(
            "advanced_measurement", "q3_check_outside", practices_outside=_practices_outside(1.96)
        )
    with pytest.raises(AssertionError):  # limits widened for over-dispersion: none outside
        check("advanced_measurement", "q3_check_outside", practices_outside=[])


# ------------------------------------------------------------- practitioner_systems Q4: Pareto
def test_pareto_by_contributory_factor_accepts_other_natural_forms() -> None:
    from qilab import datasets

    ulcers = datasets.load("pressure_ulcer_events")
    counts = ulcers.groupby("contributory_factor", observed=True).size()
    other = (
        counts.sort_values(ascending=False)
        .rename("events")
        .rename_axis("factor")
        .reset_index()
        .assign(share=lambda d: d["events"] / d["events"].sum())
    )
    other["cumulative_pct"] = 100 * other["share"].cumsum()
    check("practitioner_systems", "q4_check_pareto", pareto=other)
    for value in (2, np.int64(2), 2.0):
        check("practitioner_systems", "q4_check_half", factors_for_half=value)
    with pytest.raises(AssertionError):  # the ward table the lesson warns against
        by_ward = ulcers["ward"].value_counts().rename_axis("factor").reset_index(name="events")
        by_ward["cumulative_pct"] = 100 * by_ward["events"].cumsum() / by_ward["events"].sum()
        check("practitioner_systems", "q4_check_pareto", pareto=by_ward)
    with pytest.raises(AssertionError):
        check("practitioner_systems", "q4_check_half", factors_for_half=3)


# ============================================================= every auto-graded cell
# Each auto-graded check cell has a case: valid other forms of the right answer (numpy or
# python types, tuples for lists, other spellings the question allows, rounding within the
# tolerance, a different correct method) that must pass the visible and hidden checks, and
# plausible wrong answers that must fail. A case receives the namespace the model answer leaves
# just before its check cell. ``test_every_auto_graded_cell_has_a_case`` reads the source
# notebooks, so a new question without a case fails and names its cell.
Answers = dict[str, Any]
Case = Callable[[dict[str, Any]], tuple[list[Answers], list[Answers]]]
CASES: dict[tuple[str, str], Case] = {}


def case(module: str, *cell_ids: str) -> Callable[[Case], Case]:
    def register(fn: Case) -> Case:
        for cell_id in cell_ids:
            CASES[(module, cell_id)] = fn
        return fn

    return register


def auto_graded_cells() -> list[tuple[str, str]]:
    """(module, cell id) of every auto-graded test cell in the 12 source notebooks."""
    return [
        (module, cell["id"])
        for module in MODULES
        for cell in read(notebook_path(module)).cells
        if is_autograded_test(cell)
    ]


def test_every_auto_graded_cell_has_a_case() -> None:
    cells = auto_graded_cells()
    assert len(cells) > 100
    missing = [
        f"{module}.ipynb cell {cell_id!r}"
        for module, cell_id in cells
        if (module, cell_id) not in CASES
    ]
    assert not missing, (
        "These auto-graded cells have no alternative-answer case in "
        "tests/assignments/test_alternative_answers.py; add one with @case(module, cell_id) "
        "(a valid other form of the right answer that must pass, a plausible wrong one that "
        "must fail): " + "; ".join(missing)
    )
    stale = sorted(set(CASES) - set(cells))
    assert not stale, f"Cases for cells that no longer exist (rename or remove them): {stale}"


@pytest.mark.parametrize(
    ("module", "cell_id"), [pytest.param(m, c, id=f"{m}:{c}") for m, c in auto_graded_cells()]
)
def test_valid_alternatives_pass_and_wrong_answers_fail(module: str, cell_id: str) -> None:
    if (module, cell_id) not in CASES:
        pytest.fail(f"{module}.ipynb cell {cell_id!r} has no alternative-answer case (see above)")
    before = snapshots(module)[cell_id][0]
    rights, wrongs = CASES[(module, cell_id)](dict(before))
    assert rights and wrongs, "a case needs at least one valid alternative and one wrong answer"
    for answers in rights:
        try:
            check(module, cell_id, **answers)
        except Exception as error:  # nbgrader fails a cell on any exception
            pytest.fail(f"{module} {cell_id} rejected a valid answer {answers!r}: {error!r}")
    for answers in wrongs:
        try:
            check(module, cell_id, **answers)
        except Exception:  # nbgrader fails a cell on any exception
            continue
        pytest.fail(f"{module} {cell_id} accepted a wrong answer {answers!r}")


def _upper(d: dict[str, Any]) -> dict[str, Any]:
    """The same labels, typed with capitals and stray spaces (the checks ignore both)."""
    return {k: f" {str(v).title()} " for k, v in d.items()}


def _swap(d: dict[str, Any], a: str, b: str) -> dict[str, Any]:
    return {**d, a: d[b], b: d[a]}


# ------------------------------------------------------------- foundation_systems
@case("foundation_systems", "q1_check_totals")
def _fs_totals(ns):
    beads = ns["beads"]
    pivot = beads.pivot_table(values="red_beads", index="worker", aggfunc="sum", observed=True)
    return (
        [{"worker_totals": pivot["red_beads"]}, {"worker_totals": ns["worker_totals"] * 1.0}],
        [{"worker_totals": beads.groupby("worker", observed=True)["red_beads"].mean()}],
    )


@case("foundation_systems", "q1_check_proportion")
def _fs_proportion(ns):
    beads = ns["beads"]
    return (
        [{"overall_proportion": beads["red_beads"].mean() / 50}, {"overall_proportion": 0.192}],
        [{"overall_proportion": 19.17}, {"overall_proportion": 230 / 1250}],
    )


@case("foundation_systems", "q2_check_limit")
def _fs_limit(ns):
    p = np.float64(230 / 1200)
    ucl = 50 * (p + 3 * np.sqrt(p * (1 - p) / 50))
    return (
        [{"upper_limit_beads": ucl}, {"upper_limit_beads": round(float(ucl), 1)}],
        [{"upper_limit_beads": 50 * (p + 2 * np.sqrt(p * (1 - p) / 50))}],
    )


@case("foundation_systems", "q2_check_outside")
def _fs_outside(ns):
    return [{"points_outside": np.int64(0)}, {"points_outside": 0.0}], [{"points_outside": 1}]


@case("foundation_systems", "q3_check_action")
def _fs_action(ns):
    return [{"best_action": " d"}], [{"best_action": "B"}]


@case("foundation_systems", "q4_check_weekday")
def _fs_weekday(ns):
    ed = ns["ed"]
    by_name = ed.groupby(ed["date"].dt.day_name())["attendances"].mean()
    right = {"mean_by_day": by_name, "busiest_day": ns["busiest_day"].lower()}
    quietest = {"mean_by_day": ns["mean_by_day"], "busiest_day": str(ns["mean_by_day"].idxmin())}
    totals = {"mean_by_day": ed.groupby(ed["date"].dt.day_name())["attendances"].sum()}
    return [right], [quietest, {**right, **totals}]


@case("foundation_systems", "q4_check_standard")
def _fs_standard(ns):
    ed = ns["ed"]
    return (
        [{"days_meeting_standard": ed["pct_within_4_hours"].ge(95).sum()}],
        [{"days_meeting_standard": int((ed["pct_within_4_hours"] < 95).sum())}],
    )


@case("foundation_systems", "q5_check_lead_time")
def _fs_lead(ns):
    return [{"lead_time_minutes": 345.0}, {"lead_time_minutes": np.int64(345)}], [
        {"lead_time_minutes": 295}
    ]


@case("foundation_systems", "q5_check_waiting")
def _fs_waiting(ns):
    return [{"waiting_share": 0.855}, {"waiting_share": np.float64(295) / 345}], [
        {"waiting_share": 85.5},
        {"waiting_share": 50 / 345},
    ]


@case("foundation_systems", "q5_check_handoffs")
def _fs_handoffs(ns):
    return [{"handoffs": np.int64(4)}, {"handoffs": 4.0}], [{"handoffs": 3}, {"handoffs": 5}]


@case("foundation_systems", "q6_check_function")
def _fs_function(ns):
    def by_modulo(arrivals, interval):
        return float(np.mean(-np.asarray(arrivals, dtype=float) % interval))

    def since_last_batch(arrivals, interval):  # the time since the previous run, not until the next
        return sum(a % interval for a in arrivals) / len(arrivals)

    return [{"mean_batch_wait": by_modulo}], [{"mean_batch_wait": since_last_batch}]


@case("foundation_systems", "q6_check_waits")
def _fs_waits(ns):
    w60, w30 = ns["wait_60"], ns["wait_30"]
    return (
        [{"wait_60": round(w60, 2), "wait_30": np.float64(w30)}],
        [{"wait_60": w30, "wait_30": w60}, {"wait_60": w60 / 2, "wait_30": w30}],
    )


# ------------------------------------------------------------- foundation_measurement
@case("foundation_measurement", "q1_check_outcome_process", "q1_check_balancing")
def _fm_types(ns):
    right = ns["measure_types"]
    return [{"measure_types": _upper(right)}], [
        {"measure_types": _swap(right, "B", "D")},
        {"measure_types": _swap(right, "E", "F")},
    ]


@case("foundation_measurement", "q3_check_median")
def _fm_median(ns):
    import statistics

    rates = ns["falls"]["falls_per_1000_bed_days"]
    return (
        [{"baseline_median": np.median(rates.to_numpy()[:24])}],
        [{"baseline_median": statistics.median(rates)}, {"baseline_median": rates[:24].mean()}],
    )


@case("foundation_measurement", "q4_check_crossings")
def _fm_crossings(ns):
    c = ns["baseline_crossings"]
    return [{"baseline_crossings": np.int64(c)}, {"baseline_crossings": float(c)}], [
        {"baseline_crossings": c + 1}
    ]


@case("foundation_measurement", "q4_check_longest_run")
def _fm_longest(ns):
    run, signal = ns["baseline_longest_run"], ns["baseline_signal"]
    return (
        [{"baseline_longest_run": np.int64(run), "baseline_signal": np.bool_(signal)}],
        [{"baseline_longest_run": run + 1}, {"baseline_signal": not signal}],
    )


def _sides(values, centre):
    s = np.sign(np.asarray(values, dtype=float) - centre)
    return s[s != 0]


def _longest_by_groupby(values, centre):
    import itertools

    return max((len(list(g)) for _, g in itertools.groupby(_sides(values, centre))), default=0)


def _crossings_numpy(values, centre):
    s = _sides(values, centre)
    return int(np.sum(s[1:] != s[:-1]))


@case("foundation_measurement", "q5_check_longest_run")
def _fm_q5_run(ns):
    def one_short(values, centre):  # counts repeats, not points
        return max(_longest_by_groupby(values, centre) - 1, 0)

    return [{"longest_run": _longest_by_groupby}], [{"longest_run": one_short}]


@case("foundation_measurement", "q5_check_centre_points")
def _fm_q5_centre(ns):
    def centre_counts_below(values, centre):
        s = [1 if v > centre else -1 for v in values]
        return _longest_by_groupby(s, 0)

    return [{"longest_run": _longest_by_groupby}], [{"longest_run": centre_counts_below}]


@case("foundation_measurement", "q5_check_crossings")
def _fm_q5_crossings(ns):
    def centre_counts_above(values, centre):
        s = [1 if v >= centre else -1 for v in values]
        return sum(s[i] != s[i + 1] for i in range(len(s) - 1))

    return [{"count_crossings": _crossings_numpy}], [{"count_crossings": centre_counts_above}]


@case("foundation_measurement", "q6_check_run")
def _fm_q6_run(ns):
    rates = ns["falls"]["falls_per_1000_bed_days"]
    wrong = _longest_by_groupby(rates, float(rates.median()))  # median of all 48 months
    assert wrong != ns["longest_run_all"]
    return [{"longest_run_all": np.int64(ns["longest_run_all"])}], [{"longest_run_all": wrong}]


@case("foundation_measurement", "q6_check_signals")
def _fm_q6_signals(ns):
    return (
        [{"anhoej_signal": np.bool_(True), "ihi_shift": np.True_}],
        [{"anhoej_signal": False}, {"ihi_shift": "True"}],
    )


@case("foundation_measurement", "q6_check_astronomical")
def _fm_q6_month(ns):
    import pandas as pd

    return (
        [{"astronomical_month": str(pd.Period("2022-01", "M"))}],
        [{"astronomical_month": "2022-1"}, {"astronomical_month": "2022-02"}],
    )


# ------------------------------------------------------------- foundation_pdsa
@case("foundation_pdsa", "q1_check_questions")
def _fp_questions(ns):
    return [{"model_questions": ("c", "a", "d")}], [{"model_questions": ["A", "C", "D"]}]


@case("foundation_pdsa", "q1_check_parts")
def _fp_parts(ns):
    parts = ns["project_parts"]
    keys = list(parts)
    return (
        [{"project_parts": {k: np.int64(v) for k, v in parts.items()}}],
        [{"project_parts": _swap(parts, keys[1], keys[2])}],
    )


@case("foundation_pdsa", "q2_check_smart")
def _fp_smart(ns):
    right = ns["is_smart"]
    return [{"is_smart": {k: np.bool_(v) for k, v in right.items()}}], [
        {"is_smart": {**right, "D": True}}
    ]


@case("foundation_pdsa", "q3_check_baseline_pct", "q3_check_after")
def _fp_pct(ns):
    before, after = ns["before"], ns["after"]
    minutes = before["door_to_antibiotic_minutes"]
    right = {
        "baseline_pct_within_60": round(100 * (minutes <= 60).sum() / len(minutes), 1),
        "after_pct_within_60": np.float64(ns["after_pct_within_60"]),
    }
    swapped = {
        "baseline_pct_within_60": ns["after_pct_within_60"],
        "after_pct_within_60": ns["baseline_pct_within_60"],
    }
    share = {
        "baseline_pct_within_60": (minutes <= 60).mean(),
        "after_pct_within_60": (after["door_to_antibiotic_minutes"] <= 60).mean(),
    }
    return [right], [swapped, share]


@case("foundation_pdsa", "q3_check_baseline_median")
def _fp_median(ns):
    minutes = ns["before"]["door_to_antibiotic_minutes"]
    return [{"baseline_median_minutes": np.median(minutes.to_numpy())}], [
        {"baseline_median_minutes": minutes.mean()}
    ]


@case("foundation_pdsa", "q5_check_numeric")
def _fp_numeric(ns):
    return (
        [
            {"numeric_prediction_cycles": (1, 3, 5, 8)},
            {"numeric_prediction_cycles": {1, 2, 3, 4, 5, 8}},
            {"numeric_prediction_cycles": np.array([1, 3, 5, 8])},
        ],
        [{"numeric_prediction_cycles": [1, 3, 5]}, {"numeric_prediction_cycles": [1, 3, 5, 6, 8]}],
    )


@case("foundation_pdsa", "q5_check_cycle1")
def _fp_cycle1(ns):
    access = ns["access"]
    mill = access[access["practice"] == "Millbrook Surgery"].set_index("week_commencing")
    two = mill.loc["2024-06-24":"2024-07-01", "requests"]
    three = mill.loc["2024-06-24":"2024-07-08", "requests"]
    return (
        [{"cycle1_mean_requests": two.sum() / 2}],
        [{"cycle1_mean_requests": three.mean()}, {"cycle1_mean_requests": mill["requests"].mean()}],
    )


@case("foundation_pdsa", "q6_check_reasons")
def _fp_reasons(ns):
    return (
        [{"small_test_reasons": ["c", "a"]}, {"small_test_reasons": ("A", "C")}],
        [{"small_test_reasons": {"A", "B"}}, {"small_test_reasons": {"A", "C", "D"}}],
    )


# ------------------------------------------------------------- foundation_codesign
@case("foundation_codesign", "q1_check_informing_coproducing", "q1_check_consulting")
def _fc_involvement(ns):
    right = ns["involvement"]
    return [{"involvement": _upper(right)}], [
        {"involvement": _swap(right, "B", "C")},
        {"involvement": _swap(right, "D", "F")},
    ]


@case("foundation_codesign", "q2_check_before", "q2_check_after")
def _fc_cedar(ns):
    survey = ns["survey"]
    cedar = survey[survey["ward"] == "Cedar Ward"]
    before = cedar[cedar["month"] < "2025-01-01"]["asked_what_matters"]
    right = {
        "cedar_before_pct": 100 * before.value_counts(normalize=True)["Yes"],
        "cedar_after_pct": round(ns["cedar_after_pct"], 1),
    }
    swapped = {"cedar_before_pct": ns["cedar_after_pct"], "cedar_after_pct": ns["cedar_before_pct"]}
    all_wards = 100 * (survey["asked_what_matters"] == "Yes").mean()
    wards = {"cedar_before_pct": all_wards, "cedar_after_pct": all_wards}
    return [right], [swapped, wards]


@case("foundation_codesign", "q3_check_involved")
def _fc_involved(ns):
    a, b = ns["involved_if_asked_pct"], ns["involved_if_not_asked_pct"]
    return (
        [{"involved_if_asked_pct": round(a, 1), "involved_if_not_asked_pct": np.float64(b)}],
        [{"involved_if_asked_pct": b, "involved_if_not_asked_pct": a}],
    )


@case("foundation_codesign", "q4_check_positive")
def _fc_positive(ns):
    survey = ns["survey"]
    positive = survey["fft"].isin(["Very good", "Good"])
    return (
        [{"fft_positive_pct": 100 * positive.sum() / survey["fft"].notna().sum()}],
        [{"fft_positive_pct": 100 * positive.mean()}],  # unanswered counted as not positive
    )


@case("foundation_codesign", "q4_check_missing")
def _fc_missing(ns):
    survey = ns["survey"]
    return (
        [{"fft_not_answered": np.int64(survey["fft"].isna().sum())}],
        [{"fft_not_answered": int(survey["fft"].notna().sum())}],
    )


@case("foundation_codesign", "q5_check_voices")
def _fc_voices(ns):
    return (
        [{"missing_voices": ["a", "b", "d", "f"]}, {"missing_voices": "ABDF"}],
        [{"missing_voices": {"A", "B", "C"}}, {"missing_voices": {"A", "B", "D", "E", "F"}}],
    )


# ------------------------------------------------------------- practitioner_systems
@case("practitioner_systems", "q1_check_map")
def _ps_map(ns):
    right = ns["process_map"].copy()
    right["kind"] = right["kind"].str.title()
    right["minutes"] = right["minutes"].astype(float)
    right["note"] = ""  # an extra column does no harm
    wrong = ns["process_map"].copy()
    wrong.loc[0, "kind"] = "work"  # waiting at reception is not work
    return [{"process_map": right}], [{"process_map": wrong}, {"process_map": right.iloc[:10]}]


@case("practitioner_systems", "q1_check_times")
def _ps_times(ns):
    return (
        [{"lead_time_minutes": np.int64(350), "wait_minutes": 270.0}],
        [{"lead_time_minutes": 350, "wait_minutes": 80}, {"lead_time_minutes": 270}],
    )


@case("practitioner_systems", "q1_check_handoffs")
def _ps_handoffs(ns):
    return [{"handoffs": np.int64(5)}, {"handoffs": 5.0}], [{"handoffs": 4}, {"handoffs": 6}]


@case("practitioner_systems", "q2_check_l")
def _ps_l(ns):
    return [{"patients_in_department": np.float64(12) * 3.5}], [
        {"patients_in_department": 12 * 3.5 / 60}
    ]


@case("practitioner_systems", "q2_check_w")
def _ps_w(ns):
    return [{"hours_in_department": 55 * 24 / 264}, {"hours_in_department": 5}], [
        {"hours_in_department": 55 / 264}
    ]


@case("practitioner_systems", "q2_check_stay")
def _ps_stay(ns):
    nov, flow = ns["november"], ns["flow"]
    winter = flow["beds_occupied"].mean() / flow["admissions"].mean()  # every month, not November
    assert abs(winter - ns["mean_stay_days"]) > 0.01  # the check's tolerance
    return (
        [
            {"mean_stay_days": nov["beds_occupied"].sum() / nov["admissions"].sum()},
            {"mean_stay_days": round(ns["mean_stay_days"], 2)},
        ],
        [
            {"mean_stay_days": winter},
            {"mean_stay_days": nov["admissions"].mean() / nov["beds_occupied"].mean()},
        ],
    )


@case("practitioner_systems", "q3_check_utilisation")
def _ps_util(ns):
    right = ns["utilisation"]
    return (
        [{"utilisation": {k: round(float(v), 3) for k, v in right.items()}}],
        [
            {"utilisation": {k: 100 * v for k, v in right.items()}},
            {"utilisation": {**right, "Triage": 12 * 8 / 60}},  # forgot the two nurses
        ],
    )


@case("practitioner_systems", "q3_check_bottleneck")
def _ps_bottleneck(ns):
    return [{"bottleneck": np.str_("Ward bed")}], [{"bottleneck": "Treatment"}]


@case("practitioner_systems", "q3_check_kingman")
def _ps_kingman(ns):
    return [{"wait_ratio": (0.95 / 0.05) / (0.80 / 0.20)}], [{"wait_ratio": 0.95 / 0.80}]


@case("practitioner_systems", "q4_check_pareto")
def _ps_pareto(ns):
    ulcers = ns["ulcers"]
    counts = ulcers.groupby("contributory_factor", observed=True).size()
    other = counts.sort_values(ascending=False).rename("events").rename_axis("factor").reset_index()
    other["cumulative_pct"] = 100 * other["events"].cumsum() / other["events"].sum()
    by_ward = ulcers["ward"].value_counts().rename_axis("factor").reset_index(name="events")
    by_ward["cumulative_pct"] = 100 * by_ward["events"].cumsum() / by_ward["events"].sum()
    return [{"pareto": other}], [{"pareto": by_ward}]


@case("practitioner_systems", "q4_check_half")
def _ps_half(ns):
    return [{"factors_for_half": np.int64(2)}, {"factors_for_half": 2.0}], [{"factors_for_half": 3}]


@case("practitioner_systems", "q5_check_fishbone")
def _ps_fishbone(ns):
    right = {k.title(): tuple(v) for k, v in ns["fishbone"].items()}
    thin = {k: v[:1] for k, v in ns["fishbone"].items()}
    return [{"fishbone": right}], [{"fishbone": thin}, {"fishbone": {"people": ["a", "b"]}}]


# ------------------------------------------------------------- practitioner_measurement
@case("practitioner_measurement", "q1_check_variables", "q1_check_attributes")
def _pm_charts(ns):
    right = ns["chart_for"]
    return (
        [{"chart_for": {k: f" {v.upper()} " for k, v in right.items()}}],
        [
            {"chart_for": {**right, "D": "u", "F": "c"}},  # c and u confused
            {"chart_for": {**right, "A": "p", "B": "i"}},
        ],
    )


@case("practitioner_measurement", "q2_check_ucl")
def _pm_ucl(ns):
    y = ns["baseline"]["door_to_antibiotic_minutes"].to_numpy(dtype=float)
    by_hand = y.mean() + 2.66 * np.abs(np.diff(y)).mean()
    return (
        [{"baseline_ucl": by_hand}, {"baseline_ucl": round(by_hand, 1)}],
        [{"baseline_ucl": y.mean() + 3 * y.std(ddof=1)}],  # σ from the SD, inflated by the outlier
    )


@case("practitioner_measurement", "q2_check_patient")
def _pm_patient(ns):
    baseline = ns["baseline"].sort_values("door_to_antibiotic_minutes")
    return (
        [{"special_cause_patient": np.str_(baseline["patient"].iloc[-1])}],
        [{"special_cause_patient": str(baseline["patient"].iloc[-2])}],
    )


@case("practitioner_measurement", "q3_check_baseline")
def _pm_baseline(ns):
    months = ns["baseline_months_above"]
    return (
        [{"baseline_months_above": tuple(months)}, {"baseline_months_above": months[::-1]}],
        [{"baseline_months_above": []}, {"baseline_months_above": [*months, "2023-05"]}],
    )


@case("practitioner_measurement", "q3_check_centre")
def _pm_centre(ns):
    errors = ns["errors"]
    with_go_live = errors[errors["month"] >= "2023-05-01"]
    return (
        [{"new_centre_line": round(ns["new_centre_line"], 2)}],
        [
            {
                "new_centre_line": 1000
                * with_go_live["errors"].sum()
                / with_go_live["items_screened"].sum()
            }
        ],
    )


@case("practitioner_measurement", "q3_check_outside")
def _pm_outside(ns):
    n = ns["new_points_outside"]
    return [{"new_points_outside": np.int64(n)}], [{"new_points_outside": n + 3}]


@case("practitioner_measurement", "q4_check_rule2")
def _pm_rule2(ns):
    def vectorised(errors):  # under rule 2 each landing is e_k − e_(k−1)
        e = np.asarray(errors, dtype=float)
        return np.diff(np.concatenate(([0.0], e)))

    def as_list(errors):
        funnel, out = 0.0, []
        for e in errors:
            out.append(funnel + e)
            funnel = -e
        return out

    def rule3(errors):  # moves the funnel to minus the landing, measured from the target
        funnel, out = 0.0, []
        for e in errors:
            z = funnel + e
            out.append(z)
            funnel = -z
        return np.array(out)

    return [{"rule2_landings": vectorised}, {"rule2_landings": as_list}], [
        {"rule2_landings": rule3}
    ]


@case("practitioner_measurement", "q4_check_ratio")
def _pm_ratio(ns):
    e = ns["funnel_errors"]
    z = np.diff(np.concatenate(([0.0], e)))
    return (
        [
            {"variance_ratio": np.var(z) / np.var(e)},
            {"variance_ratio": round(ns["variance_ratio"], 2)},
        ],
        [{"variance_ratio": np.mean(e**2) / np.mean(z**2)}],
    )


@case("practitioner_measurement", "q5_check_month")
def _pm_month(ns):
    import pandas as pd

    month = ns["knee_signal_month"]
    later = str(pd.Period(month, "M") + 1)
    return [{"knee_signal_month": str(pd.Period(month, "M"))}], [{"knee_signal_month": later}]


@case("practitioner_measurement", "q6_check_icons")
def _pm_icons(ns):
    return (
        [{"variation_icon": "Common cause", "assurance_icon": np.str_(" inconsistent")}],
        [
            {"variation_icon": "special_cause_improvement"},  # not the latest point
            {"assurance_icon": "consistent_pass"},
        ],
    )


@case("practitioner_measurement", "q6_check_points")
def _pm_points(ns):
    board = ns["board"]
    s = board.summary.iloc[0]
    return (
        [{"improving_points": s["improvement_points"], "concerning_points": s["concern_points"]}],
        [
            {"improving_points": s["concern_points"], "concerning_points": s["improvement_points"]},
            {"improving_points": int((board.data["point_type"] != "common_cause").sum())},
        ],
    )


# ------------------------------------------------------------- practitioner_pdsa
def _diagram_without(ns, node_id: str, **change: Any) -> dict[str, Any]:
    nodes = [dict(n) for n in ns["diagram"]["nodes"] if n["id"] != node_id]
    for n in nodes:
        n.update(change.get(n["id"], {}))
    return {**ns["diagram"], "nodes": nodes}


@case("practitioner_pdsa", "q1_check_valid", "q1_check_complete", "q1_check_links")
def _pp_diagram(ns):
    rebuilt = ns["DriverDiagram"].from_json(ns["json"].dumps(ns["diagram"])).to_dict()
    reordered = {**ns["diagram"], "nodes": ns["diagram"]["nodes"][::-1]}
    return [{"diagram": rebuilt}, {"diagram": reordered}], []


_pp_diagram_wrongs = {
    # a change idea linked to nothing: an error
    "q1_check_valid": lambda ns: _diagram_without(ns, "", C1={"links": []}),
    # a secondary driver without change ideas: a warning, so not complete
    "q1_check_complete": lambda ns: _diagram_without(ns, "C1"),
    # a change idea linked straight to a primary driver
    "q1_check_links": lambda ns: _diagram_without(ns, "", C1={"links": ["P1"]}),
}
for _cell, _wrong in _pp_diagram_wrongs.items():
    CASES[("practitioner_pdsa", _cell)] = lambda ns, _w=_wrong: (
        _pp_diagram(ns)[0],
        [{"diagram": _w(ns)}],
    )


@case("practitioner_pdsa", "q2_check_ramp")
def _pp_ramp(ns):
    ramp = ns["ramp"]
    right = [{**c, "scale": np.int64(c["scale"])} for c in ramp[:3]]
    flat = [{**c, "scale": 5} for c in ramp]
    big_start = [{**c, "scale": 10 * (i + 1)} for i, c in enumerate(ramp)]
    return [{"ramp": right}], [{"ramp": flat}, {"ramp": big_start}]


@case("practitioner_pdsa", "q3_check_cycle3")
def _pp_cycle3(ns):
    wait = ns["cycle3_final_wait"]
    return (
        [{"cycle3_final_wait": np.int64(wait), "cycle3_prediction_met": np.bool_(wait < 10)}],
        [{"cycle3_prediction_met": True}, {"cycle3_final_wait": wait + 1}],
    )


@case("practitioner_pdsa", "q3_check_cycle4")
def _pp_cycle4(ns):
    n = ns["cycle4_weeks_met"]
    return [{"cycle4_weeks_met": np.int64(n)}, {"cycle4_weeks_met": float(n)}], [
        {"cycle4_weeks_met": (n + 1) % 5}
    ]


@case("practitioner_pdsa", "q3_check_decisions")
def _pp_decisions(ns):
    from collections import Counter

    counts = Counter(ns["pdsa"]["decision"].astype(str))
    right = dict(counts)
    first = next(iter(right))
    return (
        [{"decision_counts": counts}, {"decision_counts": {**right, "Not recorded": 0}}],
        [{"decision_counts": {**right, first: right[first] + 1}}],
    )


@case("practitioner_pdsa", "q4_check_signal")
def _pp_signal(ns):
    signal, median = ns["anhoej_runs_signal"], ns["median_from_december"]
    return (
        [{"anhoej_runs_signal": np.bool_(signal), "median_from_december": np.float64(median)}],
        [{"anhoej_runs_signal": not signal}, {"median_from_december": median + 2}],
    )


# ------------------------------------------------------------- practitioner_codesign
@case("practitioner_codesign", "q1_check_order")
def _pc_order(ns):
    return (
        [
            {"ebcd_order": list("DBEGHACF")},
            {"ebcd_order": tuple("debghacf")},
            {"ebcd_order": list("DEBHGACF")},  # gathered side by side; events in either order
        ],
        [
            {"ebcd_order": list("DBEACF")},  # the old six stages, without the feedback events
            {"ebcd_order": list("DBEAGHCF")},  # the joint event before the separate events
            {"ebcd_order": list("DBGEHCAF")},  # co-design groups before the joint event
        ],
    )


@case("practitioner_codesign", "q2_check_low_points")
def _pc_low(ns):
    emotions, journey = ns["EMOTIONS"], ns["journey"]
    low = [name for name, emotion in journey if emotions[emotion] < 0]
    by_score = sorted(low, key=lambda n: emotions[dict(journey)[n]])
    assert by_score != low
    return [{"low_points": tuple(low)}], [{"low_points": by_score}, {"low_points": low[:-1]}]


@case("practitioner_codesign", "q2_check_lowest")
def _pc_lowest(ns):
    emotions, journey = ns["EMOTIONS"], ns["journey"]
    scores = [emotions[e] for _, e in journey]
    lowest = journey[int(np.argmin(scores))][0]
    highest = journey[int(np.argmax(scores))][0]
    return [{"lowest_touchpoint": np.str_(lowest)}], [{"lowest_touchpoint": highest}]


def _quadrant_table(power, interest):
    return {
        (True, True): "Manage closely",
        (True, False): "Keep satisfied",
        (False, True): "Keep informed",
        (False, False): "Monitor",
    }[(power > 5, interest > 5)]


def _quadrant_five_is_high(power, interest):
    return _quadrant_table(power + (power == 5), interest + (interest == 5))


@case("practitioner_codesign", "q3_check_function")
def _pc_function(ns):
    return [{"quadrant": _quadrant_table}], [{"quadrant": _quadrant_five_is_high}]


@case("practitioner_codesign", "q3_check_map")
def _pc_map(ns):
    people = ns["stakeholders"]
    right = {name: _quadrant_table(p, i) for name, p, i in reversed(people)}
    wrong = {name: _quadrant_five_is_high(p, i) for name, p, i in people}
    return [{"stakeholder_quadrants": right}], [{"stakeholder_quadrants": wrong}]


@case("practitioner_codesign", "q4_check_answers")
def _pc_answers(ns):
    right = ns["ladder_answers"]
    return (
        [{"ladder_answers": {k: np.int64(v) for k, v in right.items()}}],
        [{"ladder_answers": {**right, 3: 2}}],
    )


@case("practitioner_codesign", "q4_check_rung")
def _pc_rung(ns):
    names = [r.name for r in ns["RUNGS"]]
    other = next(n for n in names if n != ns["rung_name"])
    return [{"rung_name": np.str_(ns["rung_name"])}], [{"rung_name": other}]


@case("practitioner_codesign", "q5_check_band")
def _pc_band(ns):
    by_band = ns["by_band"]
    return [{"least_involved_band": np.str_(by_band.idxmin())}], [
        {"least_involved_band": str(by_band.idxmax())}
    ]


# ------------------------------------------------------------- advanced_systems
@case("advanced_systems", "q1_check_flow")
def _as_flow(ns):
    n = ns["flow_mismatches"]
    beds = ns["beds"]
    with_last_day = int((ns["expected_tomorrow"] != beds["beds_occupied"].shift(-1)).sum())
    assert with_last_day != n  # the last day has no tomorrow to compare with
    return [{"flow_mismatches": np.int64(n)}], [{"flow_mismatches": with_last_day}]


@case("advanced_systems", "q1_check_weekend")
def _as_weekend(ns):
    beds = ns["beds"]
    weekend = beds["date"].dt.day_of_week >= 5
    by_date = beds.loc[weekend, "discharges"].mean() / beds.loc[~weekend, "discharges"].mean()
    return (
        [{"weekend_discharge_ratio": by_date}, {"weekend_discharge_ratio": round(by_date, 3)}],
        [{"weekend_discharge_ratio": 1 / by_date}],
    )


@case("advanced_systems", "q2_check_days")
def _as_days(ns):
    right = ns["days_over_95"]
    reordered = {k: np.int64(right[k]) for k in sorted(right, reverse=True)}
    return [{"days_over_95": reordered}], [
        {"days_over_95": {**right, "extra_beds": right["extra_beds"] + 1}}
    ]


@case("advanced_systems", "q2_check_best")
def _as_best(ns):
    return (
        [{"best_policy": np.str_(ns["best_policy"]), "push_worse_than_nothing": np.True_}],
        [{"best_policy": "extra_beds"}, {"push_worse_than_nothing": np.False_}],
    )


@case("advanced_systems", "q2_check_fortnight")
def _as_fortnight(ns):
    change = ns["push_first_fortnight_change"]
    return [{"push_first_fortnight_change": round(change, 3)}], [
        {"push_first_fortnight_change": -change},
        {"push_first_fortnight_change": 100 * change},
    ]


@case("advanced_systems", "q3_check_modes_small", "q3_check_modes_large")
def _as_modes(ns):
    right = ns["modes"]
    return (
        [{"modes": {k: np.int64(v) for k, v in right.items()}}],
        [{"modes": _swap(right, "A", "D")}, {"modes": _swap(right, "C", "E")}],
    )


@case("advanced_systems", "q4_check_planning_improvement", "q4_check_control_assurance")
def _as_qms(ns):
    right = ns["qms"]
    return (
        [{"qms": _upper(right)}],
        [{"qms": _swap(right, "A", "B")}, {"qms": _swap(right, "C", "D")}],
    )


# ------------------------------------------------------------- advanced_pdsa
@case("advanced_pdsa", "q1_check_order")
def _ap_order(ns):
    return [{"bts_order": tuple("bdeac")}], [{"bts_order": list("BDAEC")}]


@case("advanced_pdsa", "q1_check_phases")
def _ap_phases(ns):
    right = ns["happens_in"]
    return [{"happens_in": _upper(right)}], [{"happens_in": _swap(right, "P", "Q")}]


@case("advanced_pdsa", "q2_check_pooled")
def _ap_pooled(ns):
    rel, ab = ns["pooled_relative_fall_pct"], ns["pooled_absolute_fall_pp"]
    return (
        [{"pooled_relative_fall_pct": round(rel, 1), "pooled_absolute_fall_pp": round(ab, 2)}],
        [
            {"pooled_relative_fall_pct": ab, "pooled_absolute_fall_pp": rel},
            {"pooled_relative_fall_pct": rel / 100},
        ],
    )


@case("advanced_pdsa", "q2_check_practices")
def _ap_practices(ns):
    pincer = ns["pincer"]
    rates = pincer.pivot_table(
        index="practice",
        columns=pincer["month"] >= "2017-10-01",
        values=["patients_exposed", "patients_at_risk"],
        aggfunc="sum",
        observed=True,
    )
    base = pincer[pincer["phase"] == "baseline"]
    exposed = base.groupby("practice", observed=True)[
        ["patients_exposed", "patients_at_risk"]
    ].sum()
    last = rates["patients_exposed"][True] / rates["patients_at_risk"][True]
    baseline = exposed["patients_exposed"] / exposed["patients_at_risk"]
    other_method = 100 * (baseline - last) / baseline
    absolute = 100 * (baseline - last)  # percentage points, not a relative fall
    return (
        [{"practice_falls": other_method}, {"practice_falls": ns["practice_falls"].round(1)}],
        [{"practice_falls": absolute}],
    )


@case("advanced_pdsa", "q2_check_improving")
def _ap_improving(ns):
    n = ns["improving_practices"]
    strict = int((ns["practice_falls"] > 10).sum())
    wrong = int((ns["practice_falls"] >= 24).sum())
    assert wrong != n
    return [{"improving_practices": np.int64(n)}, {"improving_practices": float(strict)}], [
        {"improving_practices": wrong}
    ]


@case("advanced_pdsa", "q3_check_implemented")
def _ap_implemented(ns):
    right = ns["implemented"]
    medians = ns["medians"]
    others = sorted(str(p) for p in medians.index if str(p) not in right)
    return [{"implemented": tuple(right)}, {"implemented": right[::-1]}], [
        {"implemented": others},
        {"implemented": right[:-1]},
    ]


@case("advanced_pdsa", "q4_check_aims")
def _ap_aims(ns):
    right = ns["statement_kinds"]
    return [{"statement_kinds": _upper(right)}], [
        {"statement_kinds": {**right, "B": "result"}},
        {"statement_kinds": _swap(right, "C", "D")},
    ]


@case("advanced_pdsa", "q4_check_relative")
def _ap_relative(ns):
    return [{"pincer_reduction": "Relative "}], [{"pincer_reduction": "absolute"}]


# ------------------------------------------------------------- advanced_codesign
@case("advanced_codesign", "q1_check_arrangements")
def _ac_arrangements(ns):
    right = ns["arrangements"]
    return [{"arrangements": _upper(right)}], [{"arrangements": _swap(right, "A", "B")}]


@case("advanced_codesign", "q2_check_first_half", "q2_check_second_half")
def _ac_culture(ns):
    right = ns["culture"]
    return [{"culture": _upper(right)}], [
        {"culture": _swap(right, "A", "H") | {"B": "enabler", "F": "enabler"}}
    ]


@case("advanced_codesign", "q3_check_scores")
def _ac_scores(ns):
    safety = ns["safety"]
    items = safety[[f"item{i}" for i in range(1, 8)]].to_numpy(dtype=float, copy=True)
    items[:, [0, 2, 4]] = 8 - items[:, [0, 2, 4]]
    by_numpy = safety.assign(score=items.mean(axis=1)).groupby("team")["score"].mean()
    raw = safety.groupby("team")[[f"item{i}" for i in range(1, 8)]].mean().mean(axis=1)
    return (
        [{"team_scores": by_numpy}, {"team_scores": ns["team_scores"].round(2)}],
        [{"team_scores": raw}],  # without reverse-scoring items 1, 3 and 5
    )


@case("advanced_codesign", "q3_check_lowest")
def _ac_lowest(ns):
    scores = ns["team_scores"]
    return [{"lowest_team": np.str_(scores.idxmin())}], [{"lowest_team": str(scores.idxmax())}]


@case("advanced_codesign", "q3_check_behaviours")
def _ac_behaviours(ns):
    return [{"safety_behaviours": ["a", "b", "d"]}, {"safety_behaviours": ("A", "B", "D")}], [
        {"safety_behaviours": {"A", "B", "C"}}
    ]


@case("advanced_codesign", "q4_check_trusts")
def _ac_trusts(ns):
    means = ns["means"]
    other = (means["baseline"] - means["after redesign"]) / means["baseline"] * 100
    hours = means["baseline"] - means["after redesign"]
    return [{"trust_falls": other}, {"trust_falls": ns["trust_falls"].round(1)}], [
        {"trust_falls": hours}
    ]


@case("advanced_codesign", "q4_check_collective", "q4_check_mean_of_falls")
def _ac_collective(ns):
    collective, mean_of = ns["collective_fall_pct"], ns["mean_of_falls_pct"]
    assert abs(collective - mean_of) > 0.05  # the question's point: they differ
    return (
        [
            {
                "collective_fall_pct": round(collective, 1),
                "mean_of_falls_pct": np.float64(round(mean_of, 2)),
            }
        ],
        [{"collective_fall_pct": mean_of, "mean_of_falls_pct": collective}],
    )


# ------------------------------------------------------------- advanced_measurement
@case("advanced_measurement", "q1_check_mean")
def _am_mean(ns):
    gaps, base = ns["gaps"], ns["in_baseline"]
    return (
        [
            {"baseline_mean_gap": float(np.mean(gaps[base]))},
            {"baseline_mean_gap": round(gaps[base].mean(), 3)},
        ],
        [{"baseline_mean_gap": gaps.mean()}],
    )


@case("advanced_measurement", "q1_check_ucl")
def _am_ucl(ns):
    from qilab.measure import qic

    unfrozen = float(qic(ns["gaps"], chart="g").data["ucl"].iloc[0])
    return [{"g_ucl": round(ns["g_ucl"], 2)}, {"g_ucl": np.float64(ns["g_ucl"])}], [
        {"g_ucl": unfrozen}
    ]


@case("advanced_measurement", "q1_check_after")
def _am_after(ns):
    n = ns["gaps_above_after"]
    return [{"gaps_above_after": np.int64(n)}, {"gaps_above_after": float(n)}], [
        {"gaps_above_after": n + 1}
    ]


@case("advanced_measurement", "q2_check_p", "q2_check_pp")
def _am_p(ns):
    p, pp = ns["p_outside_baseline"], ns["pp_outside_baseline"]
    return (
        [
            {
                "p_outside_baseline": np.int64(p),
                "pp_outside_baseline": float(pp),
                "better_chart": "pp",
            }
        ],
        [{"p_outside_baseline": pp, "pp_outside_baseline": p, "better_chart": "p"}],
    )


@case("advanced_measurement", "q2_check_sigma_z")
def _am_sigma(ns):
    s = ns["sigma_z"]
    return (
        [{"sigma_z": round(float(s), 2)}, {"sigma_z": _sigma_z_whole_weeks(52)}],
        [{"sigma_z": s * 1.128}, {"sigma_z": 1.0}],
    )


@case("advanced_measurement", "q3_check_pooled")
def _am_pooled(ns):
    agg = ns["by_practice"]
    mean_of_practices = 100 * (agg["patients_exposed"] / agg["patients_at_risk"]).mean()
    assert abs(mean_of_practices - ns["pooled_pct"]) > 0.01
    return [{"pooled_pct": round(ns["pooled_pct"], 3)}], [{"pooled_pct": mean_of_practices}]


@case("advanced_measurement", "q3_check_outside")
def _am_outside(ns):
    outside = ns["practices_outside"]
    return (
        [{"practices_outside": tuple(outside)}, {"practices_outside": outside[::-1]}],
        [{"practices_outside": _practices_outside(1.96)}, {"practices_outside": []}],
    )


@case("advanced_measurement", "q4_check_falls")
def _am_falls(ns):
    arrests = ns["arrests"]
    base = arrests[(arrests["month"] >= "2014-04-01") & (arrests["month"] < "2015-04-01")]
    final = arrests[(arrests["month"] >= "2016-04-01") & (arrests["month"] < "2017-04-01")]
    counts = 100 * (1 - final["cardiac_arrests"].sum() / base["cardiac_arrests"].sum())
    return (
        [
            {
                "arrest_fall_pct": round(ns["arrest_fall_pct"], 1),
                "death_fall_pct": np.float64(ns["death_fall_pct"]),
            }
        ],
        [{"arrest_fall_pct": counts}, {"arrest_fall_pct": ns["arrest_fall_pct"] / 100}],
    )


@case("advanced_measurement", "q4_check_aim")
def _am_aim(ns):
    return [{"aim_met": np.bool_(False)}], [{"aim_met": True}, {"aim_met": "False"}]


def test_no_check_insists_on_a_python_bool() -> None:
    """`x > 3` on numpy data gives numpy.bool_: a check that asks for `bool` alone rejects it."""
    bare_bool = re.compile(r"isinstance\([^()]*,\s*bool\s*\)")
    offenders = [
        f"{module}.ipynb cell {cell['id']!r}"
        for module in MODULES
        for cell in read(notebook_path(module)).cells
        if is_autograded_test(cell) and bare_bool.search(cell.source)
    ]
    assert not offenders, "use isinstance(x, (bool, np.bool_)) in: " + "; ".join(offenders)
