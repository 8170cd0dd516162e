"""Generators for improvement at scale: collaboratives, a lean programme and a PDSA log.

Where a founding report gives a headline figure (PINCER's approximately 24 % relative fall, the
NHS–Virginia Mason Institute partnership's 62 % fall in lead times) the generator is tuned so the
synthetic data reproduce it in aggregate; where it gives only an aim (the Deteriorating Patient
Collaborative's 50 %) the synthetic result deliberately falls short of it.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from qilab.datasets.gen_common import months, weeks

# ---------------------------------------------------------------------------------------------
# PINCER: pharmacist-led hazardous-prescribing collaborative (24 of the report's 370 practices)

PINCER_MONTHS = months("2015-10-01", 30)
PINCER_START = pd.Timestamp("2016-04-01")  # six baseline months, then a two-year collaborative
PINCER_TARGET_FALL = 0.24  # "approximately 24%" relative fall (A guide to making the case...)
PINCER_CCGS = 12
PINCER_PER_CCG = 2
PINCER_NON_IMPROVERS = (2, 7, 10, 15, 19, 22)  # practice numbers (1-based) that never engage


def _pincer_practices(rng: np.random.Generator) -> pd.DataFrame:
    n = PINCER_CCGS * PINCER_PER_CCG
    number = np.arange(1, n + 1)
    improver = ~np.isin(number, PINCER_NON_IMPROVERS)
    return pd.DataFrame(
        {
            "practice": [f"Practice {i:02d}" for i in number],
            "improver": improver,
            "ccg": [f"CCG {(i - 1) // PINCER_PER_CCG + 1:02d}" for i in number],
            "at_risk": rng.integers(300, 1400, n),
            "baseline": np.exp(rng.normal(np.log(0.055), 0.3, n)),
            "effect": np.where(
                improver, np.clip(rng.normal(0.33, 0.07, n), 0.15, 0.5), rng.normal(0, 0.04, n)
            ),
            "delay": rng.integers(0, 4, n),  # months before the pharmacist's first searches
        }
    )


def pincer_collaborative(rng: np.random.Generator) -> pd.DataFrame:
    practices = _pincer_practices(rng)
    m = PINCER_MONTHS
    k = ((m.year - PINCER_START.year) * 12 + m.month - PINCER_START.month).to_numpy()
    at_risk = np.round(
        practices["at_risk"].to_numpy()[:, None]
        * (1 + 0.002 * np.arange(len(m)))[None, :]
        * rng.normal(1, 0.015, (len(practices), len(m)))
    ).astype(int)
    since = np.clip(k[None, :] - practices["delay"].to_numpy()[:, None], 0, None)
    uptake = np.where(
        k[None, :] >= practices["delay"].to_numpy()[:, None], 1 - np.exp(-since / 5), 0
    )
    effect = practices["effect"].to_numpy()[:, None]
    baseline = practices["baseline"].to_numpy()[:, None]
    # Scale the improvers' effects so the pooled relative fall from the six baseline months to
    # the last six months is the report's figure in expectation (binomial noise is then added).
    improver = practices["improver"].to_numpy()
    last = slice(len(m) - 6, len(m))
    expected_base = (at_risk[:, :6] * baseline).sum()
    base_rate = expected_base / at_risk[:, :6].sum()
    exposed_last = at_risk[:, last] * baseline * (1 - effect * uptake)[:, last]
    fall_now = 1 - exposed_last.sum() / at_risk[:, last].sum() / base_rate
    gained = (at_risk[:, last] * baseline * (effect * uptake)[:, last])[improver].sum()
    gained /= at_risk[:, last].sum() * base_rate
    scale = 1 + (PINCER_TARGET_FALL - fall_now) / gained
    effect = np.where(improver[:, None], effect * scale, effect)
    p = np.clip(baseline * (1 - effect * uptake), 0.001, 0.5)
    exposed = rng.binomial(at_risk, p)

    rows = []
    for i, practice in practices.iterrows():
        for j, month in enumerate(m):
            rows.append(
                (
                    month,
                    "baseline" if month < PINCER_START else "collaborative",
                    practice["ccg"],
                    practice["practice"],
                    at_risk[i, j],
                    exposed[i, j],
                )
            )
    frame = pd.DataFrame(
        rows, columns=["month", "phase", "ccg", "practice", "patients_at_risk", "patients_exposed"]
    )
    frame["pct_exposed"] = np.round(100 * frame["patients_exposed"] / frame["patients_at_risk"], 2)
    return frame


# ---------------------------------------------------------------------------------------------
# Primary care access collaborative (Advanced Access, rapid PDSA cycles, two waves)

ACCESS_WEEKS = weeks("2024-04-01", 52)
ACCESS_WAVES = {"Wave 1": pd.Timestamp("2024-06-24"), "Wave 2": pd.Timestamp("2024-09-30")}
# name, wave, list size, implements the model?, capacity as a share of demand before,
# weeks of routine appointments already booked ahead on 1 April
ACCESS_PRACTICES = (
    ("Millbrook Surgery", "Wave 1", 12_400, True, 0.92, 2.0),
    ("Castle Street Medical Centre", "Wave 1", 9_100, True, 0.96, 2.8),
    ("Harbour View Practice", "Wave 1", 10_800, False, 0.975, 2.9),
    ("Orchard Health Centre", "Wave 2", 7_600, True, 0.97, 2.6),
    ("Station Road Surgery", "Wave 2", 13_900, True, 0.97, 2.7),
    ("Westfield Family Practice", "Wave 2", 8_300, False, 0.975, 2.5),
)
ACCESS_REQUESTS_PER_PATIENT = 0.0142  # routine GP appointment requests per patient per week
ACCESS_HOLIDAY_WEEKS = ("2024-07-29", "2024-08-05", "2024-08-12", "2024-12-23", "2024-12-30")


def _access_season(w: pd.DatetimeIndex) -> np.ndarray:
    winter = np.isin(w.month, [11, 12, 1, 2])
    august = w.month == 8
    return np.where(winter, 1.10, np.where(august, 0.92, 1.0))


def _access_practice(
    rng: np.random.Generator,
    w: pd.DatetimeIndex,
    list_size: int,
    start: pd.Timestamp,
    implements: bool,
    capacity_share: float,
    booked_weeks: float,
) -> pd.DataFrame:
    n = len(w)
    expected = list_size * ACCESS_REQUESTS_PER_PATIENT * _access_season(w)
    holiday = w.isin(pd.to_datetime(ACCESS_HOLIDAY_WEEKS))
    weeks_in = ((w - start).days // 7).to_numpy()
    shaping = np.where(implements & (weeks_in >= 12), 0.92, 1.0)  # shaping demand from week 12
    demand = rng.poisson(expected * shaping)
    typical = expected.mean()
    backlog = booked_weeks * typical  # routine appointments already booked ahead
    requests, offered, third = [], [], []
    for i in range(n):
        plain = capacity_share * typical * (0.85 if holiday[i] else 1.0)
        if implements and weeks_in[i] >= 8:
            # matching capacity to demand, working down the backlog, leave covered (contingency)
            paydown = 0.2 * typical if backlog > 0.35 * typical else 0.0
            cap = expected[i] * shaping[i] + paydown
        elif implements and weeks_in[i] >= 4:
            cap = plain + 0.15 * typical  # extra sessions, partly lost to leave
        else:
            cap = plain  # weeks 0-3: measuring demand and capacity, nothing changed yet
        cap = round(cap * rng.normal(1, 0.02))
        per_day = cap / 7  # appointments per calendar day
        days_ahead = backlog / per_day + rng.normal(0, 0.8)
        third.append(int(max(1, round(days_ahead))))
        requests.append(int(demand[i]))
        offered.append(int(cap))
        backlog = max(backlog + demand[i] - cap, 0.25 * typical)
    return pd.DataFrame(
        {
            "requests": requests,
            "appointments_offered": offered,
            "third_next_available_days": third,
        }
    )


def gp_access_collaborative(rng: np.random.Generator) -> pd.DataFrame:
    frames = []
    for name, wave, size, implements, share, booked in ACCESS_PRACTICES:
        start = ACCESS_WAVES[wave]
        part = _access_practice(rng, ACCESS_WEEKS, size, start, implements, share, booked)
        part.insert(0, "wave", wave)
        part.insert(0, "practice", name)
        part.insert(0, "week_commencing", ACCESS_WEEKS)
        frames.append(part)
    return pd.concat(frames, ignore_index=True)


# ---------------------------------------------------------------------------------------------
# The PDSA log of one wave-1 practice (its measure is that practice's rows above)

PDSA_PRACTICE = "Millbrook Surgery"
PDSA_CYCLES = (
    (
        "2024-06-24",
        "2024-07-05",
        "understanding demand",
        "Count every request for a routine GP appointment for two weeks, by day and by how it "
        "arrived (telephone, online, in person).",
        "About 170 requests a week, most of them on Monday mornings.",
        "Routine GP appointment requests per day",
        "About 176 requests a week; nearly a third arrived on Mondays; about 1 in 8 were "
        "medication queries that did not need a GP.",
        "adopt",
    ),
    (
        "2024-07-08",
        "2024-07-19",
        "matching capacity to demand",
        "Count the routine GP appointments actually offered each week, after leave and "
        "training, and compare them with the demand count.",
        "Capacity roughly equals demand.",
        "Routine GP appointments offered per week",
        "About 165 offered a week against the 176 requests a week counted in cycle 1: a "
        "shortfall of about 10 a week, so the queue of booked appointments (and the wait) grows.",
        "adopt",
    ),
    (
        "2024-07-22",
        "2024-08-16",
        "matching capacity to demand",
        "Two extra GP sessions a week for four weeks to work down the backlog of booked "
        "appointments.",
        "Third next available appointment falls from about 20 days to under 10 within four weeks.",
        "Third next available routine appointment (days)",
        "The wait dipped in the first week, then drifted back above 20 days: two partners' "
        "August leave cancelled much of the extra capacity.",
        "adapt",
    ),
    (
        "2024-08-19",
        "2024-09-13",
        "developing contingency plans",
        "Plan leave against the demand forecast: no more than one GP away in any week, with a "
        "locum booked when two must be; keep the extra sessions until the backlog is gone.",
        "Appointments offered never fall below requests, and the wait keeps falling.",
        "Appointments offered minus requests, per week; third next available (days)",
        "More appointments were offered than requested in all four weeks; the wait fell from "
        "18 to 14 days.",
        "adopt",
    ),
    (
        "2024-09-16",
        "2024-09-27",
        "shaping the handling of demand",
        "Care navigators signpost medication queries to the practice's clinical pharmacist "
        "instead of booking a GP appointment.",
        "GP appointment requests fall by 10 %.",
        "Routine GP appointment requests per week",
        "Requests fell to about 165 a week (about 6 % lower); patients were content; the "
        "pharmacist's Monday list overflowed.",
        "adapt",
    ),
    (
        "2024-09-30",
        "2024-10-11",
        "shaping the handling of demand",
        "Open online booking of routine GP appointments to every patient.",
        "The 08:00 telephone queue shortens and requests are spread more evenly over the week.",
        "Telephone calls waiting at 08:15; duplicate requests",
        "Many patients booked online and telephoned as well; duplicates inflated demand and "
        "reception spent hours cancelling them.",
        "abandon",
    ),
    (
        "2024-10-14",
        "2024-11-08",
        "shaping the handling of demand",
        "Add a Monday pharmacist session for the signposted medication queries (cycle 5, adapted).",
        "The pharmacist's list no longer overflows, and GP requests stay lower.",
        "Pharmacist list overflow per week; routine GP appointment requests per week",
        "No overflow in four weeks. GP requests rose with the usual November increase, so the "
        "effect of signposting cannot be seen in the weekly counts alone.",
        "adopt",
    ),
    (
        "2024-11-11",
        "2024-12-20",
        "developing contingency plans",
        "Winter plan: flu clinics moved to Saturdays, and an extra session is triggered whenever "
        "the third next available appointment exceeds 5 days.",
        "The wait stays at 5 days or fewer through December despite winter demand.",
        "Third next available routine appointment (days)",
        "The wait stayed at 4 days or fewer throughout, despite the winter rise in demand.",
        "adopt",
    ),
)


def pdsa_log(rng: np.random.Generator) -> pd.DataFrame:
    rows = [
        (i + 1, PDSA_PRACTICE, start, end, principle, change, prediction, measure, result, decision)
        for i, (start, end, principle, change, prediction, measure, result, decision) in enumerate(
            PDSA_CYCLES
        )
    ]
    frame = pd.DataFrame(
        rows,
        columns=[
            "cycle",
            "practice",
            "start_date",
            "end_date",
            "principle",
            "change_tested",
            "prediction",
            "measure",
            "result",
            "decision",
        ],
    )
    frame["start_date"] = pd.to_datetime(frame["start_date"])
    frame["end_date"] = pd.to_datetime(frame["end_date"])
    return frame


# ---------------------------------------------------------------------------------------------
# Deteriorating patient collaborative: cardiac arrests (the report gives an aim, not a result)

ARREST_MONTHS = months("2014-04-01", 36)
ARREST_START = pd.Timestamp("2015-04-01")
# hospital, adult admissions a month, baseline arrests per 1,000 admissions, eventual fall
ARREST_HOSPITALS = (
    ("Hospital A", 5200, 1.5, 0.42),
    ("Hospital B", 3900, 1.8, 0.33),
    ("Hospital C", 4600, 1.4, 0.15),
    ("Hospital D", 2800, 1.7, 0.0),
)
ARREST_DEATH_SHARE = 0.77  # most patients do not survive to leave hospital


def cardiac_arrest_collaborative(rng: np.random.Generator) -> pd.DataFrame:
    m = ARREST_MONTHS
    k = ((m.year - ARREST_START.year) * 12 + m.month - ARREST_START.month).to_numpy()
    uptake = np.clip(k / 9, 0, 1)  # nine months to embed early warning and escalation
    winter = np.isin(m.month, [12, 1, 2])
    rows = []
    for name, admissions, rate, fall in ARREST_HOSPITALS:
        adm = np.round(admissions * np.where(winter, 1.06, 1.0) * rng.normal(1, 0.03, len(m)))
        lam = adm / 1000 * rate * (1 - fall * uptake) * np.where(winter, 1.1, 1.0)
        arrests = rng.poisson(lam)
        deaths = rng.binomial(arrests, ARREST_DEATH_SHARE)
        for j, month in enumerate(m):
            rows.append((month, name, int(adm[j]), int(arrests[j]), int(deaths[j])))
    frame = pd.DataFrame(
        rows,
        columns=["month", "hospital", "adult_admissions", "cardiac_arrests", "deaths_after_arrest"],
    )
    frame["arrests_per_1000_admissions"] = np.round(
        1000 * frame["cardiac_arrests"] / frame["adult_admissions"], 2
    )
    return frame


# ---------------------------------------------------------------------------------------------
# Lean redesign of five pathways in five trusts (the 62 % fall in process lead times)

# trust, pathway, redesign went live, mean lead time (hours) before, after
LEAN_PATHWAYS = (
    ("Trust A", "Blood sample received in laboratory to result available", "2017-03-06", 3.0, 1.1),
    ("Trust B", "Decision to admit (ED) to arrival on ward", "2017-09-04", 6.0, 2.5),
    ("Trust C", "Inpatient MRI request to report", "2018-02-05", 40.0, 12.0),
    ("Trust D", "Medically fit for discharge to leaving hospital", "2018-06-04", 30.0, 12.0),
    ("Trust E", "Hip fracture: arrival to start of surgery", "2019-01-07", 38.0, 17.0),
)
LEAN_EPISODES = 60  # per period per trust
LEAN_SPREAD = 0.5  # standard deviation of log hours


def lean_lead_times(rng: np.random.Generator) -> pd.DataFrame:
    rows = []
    for trust, pathway, live, before, after in LEAN_PATHWAYS:
        go_live = pd.Timestamp(live)
        periods = (
            ("baseline", go_live - pd.Timedelta(weeks=10), before),
            ("after redesign", go_live + pd.Timedelta(weeks=12), after),
        )
        episode = 0
        for period, start, mean in periods:
            offsets = np.sort(rng.integers(0, 56, LEAN_EPISODES))  # eight weeks of episodes
            # lognormal with the stated mean: mu = log(mean) - sigma^2 / 2
            hours = np.exp(
                rng.normal(np.log(mean) - LEAN_SPREAD**2 / 2, LEAN_SPREAD, LEAN_EPISODES)
            )
            for offset, value in zip(offsets, hours, strict=True):
                episode += 1
                day = start + pd.Timedelta(days=int(offset))
                rows.append((trust, pathway, episode, day, period, value))
    return pd.DataFrame(
        rows, columns=["trust", "pathway", "episode", "start_date", "period", "lead_time_hours"]
    )
