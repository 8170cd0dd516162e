"""Generators for urgent and emergency care: the ED day, sepsis antibiotics, winter flow.

Each function takes a seeded ``numpy.random.Generator`` and returns a DataFrame whose columns
match the data set's dictionary. The story each data set tells (the change, the outlier, the
season) is set here, in named constants, so the tutor notes can be checked against the code.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from qilab.datasets.gen_common import (
    ar1,
    days,
    expit,
    logit,
    overdispersed_poisson,
    seasonal,
    weekday_names,
)

# Calibration from NHS England's published monthly A&E statistics, April 2016 – March 2019
# (NHSRdatasets `ae_attendances`, CC0): medians over type 1 departments of each calendar
# month's mean daily attendances, 4-hour performance and admitted share, January first.
AE_DAILY_ATTENDANCES = [271, 276, 283, 271, 285, 282, 288, 266, 280, 281, 284, 278]
AE_WITHIN_4H = [0.779, 0.782, 0.815, 0.854, 0.866, 0.872, 0.864, 0.872, 0.860, 0.855, 0.833, 0.797]
AE_ADMITTED = [0.310, 0.303, 0.297, 0.291, 0.282, 0.283, 0.276, 0.294, 0.287, 0.290, 0.302, 0.308]
# Monday is the busiest day in English EDs; weekends the quietest (relative to the mean).
ED_WEEKDAY = np.array([1.13, 1.03, 1.00, 0.99, 0.98, 0.93, 0.94])
ED_WEEKDAY_LOGIT = np.array([-0.15, -0.02, 0.0, 0.0, -0.03, 0.10, 0.10])

ED_START, ED_END = "2022-04-01", "2024-03-31"
ED_SDEC_OPENS = pd.Timestamp("2023-06-05")  # step up in 4-hour performance
ED_SDEC_EFFECT = 0.38  # on the logit scale: about +4 percentage points
ED_OUTAGE = pd.Timestamp("2022-10-18")  # special cause: electronic record down
ED_OUTAGE_WITHIN_4H = 0.56


def ed_daily(rng: np.random.Generator) -> pd.DataFrame:
    dates = days(ED_START, ED_END)
    n = len(dates)
    weekday = dates.day_of_week.to_numpy()
    years = (dates - dates[0]).days.to_numpy() / 365.25
    expected = (
        np.mean(AE_DAILY_ATTENDANCES)
        * seasonal(dates, [float(a / np.mean(AE_DAILY_ATTENDANCES)) for a in AE_DAILY_ATTENDANCES])
        * (ED_WEEKDAY / ED_WEEKDAY.mean())[weekday]
        * (1 + 0.02 * years)
    )
    christmas = (dates.month == 12) & (dates.day == 25)
    expected[christmas] *= 0.8
    attendances = overdispersed_poisson(rng, expected, cv=0.05)

    crowding = attendances / expected - 1
    score = (
        logit(seasonal(dates, AE_WITHIN_4H))
        + ED_WEEKDAY_LOGIT[weekday]
        - 2.5 * crowding
        + ar1(rng, n, phi=0.6, sd=0.16)
        + ED_SDEC_EFFECT * (dates >= ED_SDEC_OPENS)
    )
    score[dates == ED_OUTAGE] = logit(ED_OUTAGE_WITHIN_4H)
    within = rng.binomial(attendances, expit(score))
    admissions = rng.binomial(attendances, seasonal(dates, AE_ADMITTED))
    return pd.DataFrame(
        {
            "date": dates,
            "day_of_week": weekday_names(dates),
            "attendances": attendances,
            "breaches": attendances - within,
            "admissions": admissions,
            "pct_within_4_hours": np.round(100 * within / attendances, 1),
        }
    )


SEPSIS_START, SEPSIS_END = "2023-09-01", "2024-08-31"
SEPSIS_CHANGE = pd.Timestamp("2024-02-05")  # nurse-initiated antibiotics (PGD) + grab bags
SEPSIS_MEDIAN_BEFORE, SEPSIS_MEDIAN_AFTER = 78.0, 47.0  # minutes
SEPSIS_SPREAD_BEFORE, SEPSIS_SPREAD_AFTER = 0.33, 0.30  # standard deviation of log minutes
SEPSIS_MISSED = (pd.Timestamp("2023-11-14 14:37"), 392, 6)  # arrival, minutes, NEWS2
# Relative ED arrivals by hour of day (00:00 first): quiet small hours, late-morning peak.
ARRIVALS_BY_HOUR = np.array(
    [
        3,
        2.5,
        2,
        1.7,
        1.5,
        1.5,
        2,
        3,
        4.5,
        6,
        6.5,
        6.5,
        6.2,
        6,
        5.8,
        5.6,
        5.5,
        5.4,
        5.2,
        5,
        4.6,
        4.2,
        3.8,
        3.4,
    ]
)


def sepsis_antibiotics(rng: np.random.Generator) -> pd.DataFrame:
    calendar = days(SEPSIS_START, SEPSIS_END)
    per_day = rng.poisson(0.6, len(calendar))
    day = np.repeat(calendar.to_numpy(), per_day)
    hour_p = ARRIVALS_BY_HOUR / ARRIVALS_BY_HOUR.sum()
    hours = rng.choice(24, size=len(day), p=hour_p)
    minutes_past = rng.integers(0, 60, size=len(day))
    arrival = pd.DatetimeIndex(day) + pd.to_timedelta(hours * 60 + minutes_past, unit="min")

    news2 = np.minimum(5 + rng.poisson(1.6, len(day)), 15)
    after = arrival >= SEPSIS_CHANGE
    median = np.where(after, SEPSIS_MEDIAN_AFTER, SEPSIS_MEDIAN_BEFORE)
    spread = np.where(after, SEPSIS_SPREAD_AFTER, SEPSIS_SPREAD_BEFORE)
    night = (hours >= 20) | (hours < 8)
    log_minutes = (
        np.log(median) + 0.15 * night - 0.05 * (news2 - 5) + rng.normal(0, 1, len(day)) * spread
    )
    minutes = np.maximum(np.round(np.exp(log_minutes)), 8).astype(int)

    frame = pd.DataFrame({"arrival": arrival, "news2": news2, "minutes": minutes})
    missed_at, missed_minutes, missed_news2 = SEPSIS_MISSED
    # pandas sets a row from a list; pandas-stubs types .loc[...] = as one scalar
    frame.loc[len(frame)] = [missed_at, missed_news2, missed_minutes]  # type: ignore[assignment]
    frame = frame.sort_values("arrival", kind="stable").reset_index(drop=True)
    frame["arrival"] = pd.to_datetime(frame["arrival"])
    given = frame["arrival"] + pd.to_timedelta(frame["minutes"].astype(int), unit="min")
    return pd.DataFrame(
        {
            "patient": [f"SEP-{i + 1:04d}" for i in range(len(frame))],
            "arrival": frame["arrival"],
            "antibiotics_given": given,
            "news2": frame["news2"].astype(int),
            "door_to_antibiotic_minutes": frame["minutes"].astype(int),
        }
    )


WINTER_START, WINTER_END = "2024-11-01", "2025-03-31"
WINTER_BASE_BEDS = 580
WINTER_ESCALATION = (pd.Timestamp("2024-12-09"), pd.Timestamp("2025-03-02"), 24)
WINTER_D2A = pd.Timestamp("2025-01-20")  # discharge to assess starts
# Discharges by weekday (Monday first): the weekend dip that fills Monday's beds.
DISCHARGE_WEEKDAY = np.array([0.98, 1.06, 1.08, 1.08, 1.18, 0.70, 0.58])
DISCHARGE_WEEKDAY = DISCHARGE_WEEKDAY / DISCHARGE_WEEKDAY.mean()
ADMISSION_WEEKDAY = np.array([1.12, 1.05, 1.01, 1.00, 1.00, 0.90, 0.88])
ADMISSION_WEEKDAY = ADMISSION_WEEKDAY / ADMISSION_WEEKDAY.mean()
ACTIVE_STAY_DAYS = 4.6  # mean stay of patients who still need acute care


def _winter_nctr(rng: np.random.Generator, dates: pd.DatetimeIndex) -> np.ndarray:
    """Patients with no criteria to reside: rising into January, falling once D2A starts."""
    t = (dates - dates[0]).days.to_numpy(dtype=float)
    peak = (pd.Timestamp("2025-01-15") - dates[0]).days
    start = (WINTER_D2A - dates[0]).days
    level = 80 + 34 * np.clip(t / peak, 0, 1)
    settle = np.clip((t - start) / 21, 0, 1)  # three weeks to bed in
    level = level - (level - 56) * settle
    return np.maximum(np.round(level + ar1(rng, len(dates), phi=0.8, sd=3.0)), 20)


def winter_flow(rng: np.random.Generator) -> pd.DataFrame:
    dates = days(WINTER_START, WINTER_END)
    n = len(dates)
    weekday = dates.day_of_week.to_numpy()
    open_from, open_to, extra = WINTER_ESCALATION
    beds = WINTER_BASE_BEDS + extra * ((dates >= open_from) & (dates <= open_to))
    nctr = _winter_nctr(rng, dates)

    t = (dates - dates[0]).days.to_numpy(dtype=float)
    january = (pd.Timestamp("2025-01-08") - dates[0]).days
    surge = 1 + 0.07 * np.exp(-(((t - january) / 18) ** 2))  # post-New-Year respiratory surge
    admit_mean = 104 * ADMISSION_WEEKDAY[weekday] * surge
    for day, factor in (("2024-12-25", 0.62), ("2024-12-26", 0.8), ("2025-01-01", 0.75)):
        admit_mean[dates == pd.Timestamp(day)] *= factor
    admissions = overdispersed_poisson(rng, admit_mean, cv=0.04)

    christmas = (dates >= pd.Timestamp("2024-12-19")) & (dates <= pd.Timestamp("2024-12-24"))
    push = christmas * 0.08  # pre-Christmas push
    bank_holiday = dates.isin(pd.to_datetime(["2024-12-25", "2024-12-26", "2025-01-01"]))
    push = np.where(bank_holiday, -0.45, push)  # few discharges on bank holidays
    occupied = np.empty(n, dtype=int)
    discharges = np.empty(n, dtype=int)
    occupied[0] = 536
    for i in range(n):
        if i > 0:
            occupied[i] = occupied[i - 1] + admissions[i - 1] - discharges[i - 1]
        active = max(occupied[i] - nctr[i], 0)
        # Bed managers push discharges harder as the hospital fills (and ease off when empty).
        pressure = 1 + 0.4 * (occupied[i] / beds[i] - 0.93)
        rate = DISCHARGE_WEEKDAY[weekday[i]] * (1 + push[i]) * pressure
        rate *= active / ACTIVE_STAY_DAYS + 0.055 * nctr[i]
        drawn = int(np.rint(rate + rng.normal(0, 0.7 * np.sqrt(max(rate, 1)))))
        room = occupied[i] + admissions[i] - beds[min(i + 1, n - 1)]  # never over the beds open
        discharges[i] = min(max(drawn, room, 0), occupied[i])
    occupancy = np.round(100 * occupied / beds, 1)
    return pd.DataFrame(
        {
            "date": dates,
            "day_of_week": weekday_names(dates),
            "beds_available": beds,
            "beds_occupied": occupied,
            "occupancy_pct": occupancy,
            "patients_no_criteria_to_reside": nctr.astype(int),
            "admissions": admissions,
            "discharges": discharges,
        }
    )
