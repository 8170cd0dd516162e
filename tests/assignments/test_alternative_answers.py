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
from functools import cache
from typing import Any

import numpy as np
import pytest

from .course import notebook_path, read


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
