"""The lessons are really in the data: what the tutor notes promise, the data show.

Limits are computed here with the textbook formulas (no dependency on ``qilab.measure``), so a
change to a generator that quietly removes a signal, or adds a spurious one, fails a test.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from qilab import datasets


@pytest.fixture(scope="module")
def data():
    return {name: datasets.load(name) for name in datasets.names()}


def _longest_run_below(values, centre) -> int:
    best = run = 0
    for below in np.asarray(values) < centre:
        run = run + 1 if below else 0
        best = max(best, run)
    return best


def _relative_fall(before: pd.DataFrame, after: pd.DataFrame, num: str, den: str) -> float:
    return 1 - (after[num].sum() / after[den].sum()) / (before[num].sum() / before[den].sum())


def test_ed_outage_is_the_worst_day_and_below_the_xmr_limit(data):
    ed = data["ed_daily"]
    assert ed.loc[ed["pct_within_4_hours"].idxmin(), "date"] == pd.Timestamp("2022-10-18")
    base = ed.loc[ed["date"] < "2023-06-05", "pct_within_4_hours"]
    lower = base.mean() - 2.66 * base.diff().abs().mean()
    assert ed.loc[ed["date"] == "2022-10-18", "pct_within_4_hours"].item() < lower - 10


def test_ed_has_weekday_winter_and_sdec_patterns(data):
    ed = data["ed_daily"]
    by_day = ed.groupby("day_of_week", observed=True)["attendances"].mean()
    assert by_day.idxmax() == "Monday" and by_day["Monday"] > 1.15 * by_day["Sunday"]
    season = ed.set_index("date")["pct_within_4_hours"]
    winter_22, winter_23 = season["2022-12":"2023-02"].mean(), season["2023-12":"2024-02"].mean()
    summer_22, summer_23 = season["2022-06":"2022-08"].mean(), season["2023-06-05":"2023-08"].mean()
    assert summer_22 - winter_22 > 6
    assert summer_23 > summer_22 and winter_23 > winter_22 + 3
    first_year_median = season[:"2023-03"].median()
    assert _longest_run_below(-season["2023-06-05":].to_numpy(), -first_year_median) >= 8


def test_falls_outbreak_is_above_the_u_chart_limit_then_a_shift_down(data):
    falls = data["ward_falls"]
    base = falls[falls["month"] < "2023-04-01"]
    ubar = base["falls"].sum() / base["occupied_bed_days"].sum() * 1000
    upper = ubar + 3 * np.sqrt(ubar / (falls["occupied_bed_days"] / 1000))
    above = falls.loc[falls["falls_per_1000_bed_days"] > upper, "month"].tolist()
    assert above == [pd.Timestamp("2022-01-01")]
    after = falls.loc[falls["month"] >= "2023-04-01", "falls_per_1000_bed_days"]
    assert _longest_run_below(after, base["falls_per_1000_bed_days"].median()) >= 8


def test_sepsis_has_one_special_cause_and_a_shift_after_the_change(data):
    sepsis = data["sepsis_antibiotics"]
    before = sepsis[sepsis["arrival"] < "2024-02-05"]
    after = sepsis[sepsis["arrival"] >= "2024-02-05"]
    minutes = before["door_to_antibiotic_minutes"]
    upper = minutes.mean() + 2.66 * minutes.diff().abs().mean()
    assert before.loc[minutes > upper, "patient"].tolist() == ["SEP-0040"]
    assert after["door_to_antibiotic_minutes"].median() < 0.7 * minutes.median()
    assert (after["door_to_antibiotic_minutes"] <= 60).mean() > 0.75
    assert (sepsis["antibiotics_given"] > sepsis["arrival"]).all()


def test_hand_hygiene_is_a_stable_process_on_every_ward(data):
    hh = data["hand_hygiene"]
    for _, ward in hh.groupby("ward", observed=True):
        p = ward["compliant"].sum() / ward["opportunities"].sum()
        sigma = np.sqrt(p * (1 - p) / ward["opportunities"])
        share = ward["compliant"] / ward["opportunities"]
        assert ((share - p).abs() <= 3 * sigma).all()


def test_surgical_site_infections_signal_only_the_july_2023_knee_cluster(data):
    ssi = data["surgical_site_infections"]
    signals = []
    for procedure, part in ssi.groupby("procedure", observed=True):
        p = part["infections"].sum() / part["operations"].sum()
        upper = p + 3 * np.sqrt(p * (1 - p) / part["operations"])
        signals += [
            (procedure, m)
            for m in part.loc[part["infections"] / part["operations"] > upper, "month"]
        ]
    assert signals == [("knee replacement", pd.Timestamp("2023-07-01"))]


def test_pressure_ulcer_gaps_rise_above_the_g_chart_limit_after_the_programme(data):
    ulcers = data["pressure_ulcer_events"]
    gaps = ulcers["days_since_previous"].astype("float")
    before = ulcers["event_date"] < "2023-07-01"
    gbar = gaps[before].mean()
    upper = gbar + 3 * np.sqrt(gbar * (gbar + 1))
    assert (gaps[before].dropna() <= upper).all()
    assert (gaps[~before] > upper).sum() >= 3
    diffs = ulcers["event_date"].diff().dt.days.iloc[1:]
    assert (diffs.to_numpy() == ulcers["days_since_previous"].iloc[1:].to_numpy()).all()


def test_prescribing_errors_go_live_spike_then_a_lower_stable_rate(data):
    errors = data["prescribing_errors"]
    base = errors[errors["month"] < "2023-05-01"]
    ubar = base["errors"].sum() / base["items_screened"].sum() * 1000
    upper = ubar + 3 * np.sqrt(ubar / (errors["items_screened"] / 1000))
    assert (
        errors.loc[errors["month"] == "2023-05-01", "errors_per_1000_items"].item() > upper[25] + 4
    )
    after = errors[errors["month"] >= "2023-07-01"]
    assert _relative_fall(base, after, "errors", "items_screened") > 0.3
    august = errors[errors["month"].dt.month == 8]["errors_per_1000_items"]
    assert (august.to_numpy()[:2] > ubar).all()


def test_pincer_pooled_fall_matches_the_reported_24_percent(data):
    pincer = data["pincer_collaborative"]
    baseline = pincer[pincer["phase"] == "baseline"]
    last = pincer[pincer["month"] >= "2017-10-01"]
    fall = _relative_fall(baseline, last, "patients_exposed", "patients_at_risk")
    assert fall == pytest.approx(0.24, abs=0.02)
    assert pincer["ccg"].nunique() == 12 and pincer["practice"].nunique() == 24
    falls = {
        practice: _relative_fall(
            baseline[baseline["practice"] == practice],
            last[last["practice"] == practice],
            "patients_exposed",
            "patients_at_risk",
        )
        for practice in pincer["practice"].cat.categories
    }
    assert sum(f < 0.1 for f in falls.values()) == 6  # some teams do not improve
    assert sum(f > 0.35 for f in falls.values()) >= 5


def test_lean_collective_fall_is_about_62_percent(data):
    lean = data["lean_lead_times"]
    means = lean.groupby(["trust", "period"], observed=True)["lead_time_hours"].mean().unstack()
    collective = 1 - means["after redesign"].sum() / means["baseline"].sum()
    assert collective == pytest.approx(0.62, abs=0.05)


def test_cardiac_arrests_fall_but_miss_the_50_percent_aim(data):
    arrests = data["cardiac_arrest_collaborative"]
    before = arrests[arrests["month"] < "2015-04-01"]
    last = arrests[arrests["month"] >= "2016-04-01"]
    fall = _relative_fall(before, last, "cardiac_arrests", "adult_admissions")
    assert 0.15 < fall < 0.4
    for _, hospital in arrests.groupby("hospital", observed=True):
        b = hospital[hospital["month"] < "2015-04-01"]
        lt = hospital[hospital["month"] >= "2016-04-01"]
        assert _relative_fall(b, lt, "cardiac_arrests", "adult_admissions") < 0.5
    assert (arrests["deaths_after_arrest"] <= arrests["cardiac_arrests"]).all()


def test_winter_flow_obeys_stock_and_flow_and_discharge_to_assess_frees_beds(data):
    flow = data["winter_flow"]
    expected = flow["beds_occupied"] + flow["admissions"] - flow["discharges"]
    assert (flow["beds_occupied"].iloc[1:].to_numpy() == expected.iloc[:-1].to_numpy()).all()
    assert (flow["beds_occupied"] <= flow["beds_available"]).all()
    assert (flow["patients_no_criteria_to_reside"] < flow["beds_occupied"]).all()
    by_date = flow.set_index("date")
    january = by_date["2025-01-06":"2025-01-19"]
    march = by_date["2025-03-03":]
    assert (
        march["patients_no_criteria_to_reside"].mean()
        < 0.6 * january["patients_no_criteria_to_reside"].mean()
    )
    assert march["beds_occupied"].mean() < january["beds_occupied"].mean() - 40
    weekend = flow["day_of_week"].isin(["Saturday", "Sunday"])
    assert flow.loc[weekend, "discharges"].mean() < 0.7 * flow.loc[~weekend, "discharges"].mean()


def test_access_collaborative_improvers_and_non_improvers(data):
    access = data["gp_access_collaborative"]
    wait = access.pivot(
        index="week_commencing", columns="practice", values="third_next_available_days"
    )
    start, end = wait.iloc[:12].median(), wait.iloc[-8:].median()
    for practice in (
        "Millbrook Surgery",
        "Castle Street Medical Centre",
        "Orchard Health Centre",
        "Station Road Surgery",
    ):
        assert end[practice] <= 4 < 15 <= start[practice]
    for practice in ("Harbour View Practice", "Westfield Family Practice"):
        assert end[practice] > start[practice] + 5


def test_pdsa_log_lines_up_with_its_measure(data):
    log, access = data["pdsa_log"], data["gp_access_collaborative"]
    assert set(log["practice"]) == {"Millbrook Surgery"}
    assert (log["start_date"] <= log["end_date"]).all()
    assert log["start_date"].is_monotonic_increasing
    assert set(log["decision"]) == {"adopt", "adapt", "abandon"}
    assert set(log["principle"]) == set(log["principle"].cat.categories)
    series = access[access["practice"] == "Millbrook Surgery"].set_index("week_commencing")
    assert log["start_date"].min() == pd.Timestamp("2024-06-24")  # wave 1 start
    assert series.loc["2024-06-24":"2024-07-05", "requests"].mean() == pytest.approx(176, abs=3)
    cycle4 = series.loc["2024-08-19":"2024-09-13"]
    assert (cycle4["appointments_offered"] > cycle4["requests"]).all()
    assert series.loc["2024-11-11":"2024-12-20", "third_next_available_days"].max() <= 5


def test_patient_experience_campaigns_move_only_their_own_ward(data):
    survey = data["patient_experience"]

    def share(frame, column, answer):
        return (frame[column] == answer).mean()

    for ward, lift in (("Beech Ward", True), ("Ash Ward", False), ("Cedar Ward", False)):
        part = survey[survey["ward"] == ward]
        before = share(part[part["month"] < "2024-10-01"], "staff_introduced", "Yes, all of them")
        after = share(part[part["month"] >= "2024-10-01"], "staff_introduced", "Yes, all of them")
        assert bool(after - before > 0.2) is lift, ward
    cedar = survey[survey["ward"] == "Cedar Ward"]
    assert share(cedar[cedar["month"] >= "2025-01-01"], "asked_what_matters", "Yes") > 0.6
    positive = survey["fft"].isin(["Good", "Very good"]).sum() / survey["fft"].notna().sum()
    assert positive > 0.9  # the ceiling effect


def test_red_beads_all_inside_np_chart_limits(data):
    beads = data["red_beads"]
    p = beads["red_beads"].sum() / beads["beads_drawn"].sum()
    n = 50
    sigma = np.sqrt(n * p * (1 - p))
    assert ((beads["red_beads"] - n * p).abs() <= 3 * sigma).all()
    assert (beads["beads_drawn"] == 50).all()
