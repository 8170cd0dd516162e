"""Generators for patient-safety measures: falls, hand hygiene, infections, harms, errors.

Levels are illustrative (the founding reports give no figures for these measures); the shape
of each series (a shift, a cluster, a stable process) is what the lessons rely on, and is set
in the named constants below.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from qilab.datasets import red_bead_model as beads
from qilab.datasets.gen_common import months, overdispersed_poisson
from qilab.datasets.red_bead_model import draw_day

FALLS_MONTHS = months("2021-04-01", 48)
FALLS_BEDS = 28
FALLS_REFURBISHMENT = (pd.Timestamp("2022-08-01"), pd.Timestamp("2022-09-01"), 20)  # beds open
FALLS_OUTBREAK = pd.Timestamp("2022-01-01")  # norovirus: special cause
FALLS_BUNDLE = pd.Timestamp("2023-04-01")  # multifactorial falls prevention bundle
FALLS_RATE_BEFORE, FALLS_RATE_AFTER = 8.4, 5.6  # per 1,000 occupied bed days
FALLS_HARM_SHARE = 0.3


def ward_falls(rng: np.random.Generator) -> pd.DataFrame:
    m = FALLS_MONTHS
    beds = np.full(len(m), FALLS_BEDS)
    start, end, reduced = FALLS_REFURBISHMENT
    beds[(m >= start) & (m <= end)] = reduced
    occupancy = np.clip(rng.normal(0.95, 0.02, len(m)), 0.85, 1.0)
    bed_days = np.round(m.days_in_month * beds * occupancy).astype(int)
    # The bundle beds in over three months (April to June) rather than overnight.
    ramp = np.clip(((m - FALLS_BUNDLE).days.to_numpy() / 30.4 + 1) / 3, 0, 1)
    rate = FALLS_RATE_BEFORE + (FALLS_RATE_AFTER - FALLS_RATE_BEFORE) * ramp
    rate = rate * np.where(m == FALLS_OUTBREAK, 2.6, 1.0)
    falls = overdispersed_poisson(rng, rate * bed_days / 1000, cv=0.1)
    harm = rng.binomial(falls, FALLS_HARM_SHARE)
    return pd.DataFrame(
        {
            "month": m,
            "occupied_bed_days": bed_days,
            "falls": falls,
            "falls_with_harm": harm,
            "falls_per_1000_bed_days": np.round(1000 * falls / bed_days, 2),
        }
    )


HAND_HYGIENE_MONTHS = months("2023-04-01", 24)
HAND_HYGIENE_WARDS = ("Ash Ward", "Beech Ward", "Cedar Ward", "Elm Ward")
HAND_HYGIENE_COMPLIANCE = 0.88  # the same on every ward in every month: a stable process


def hand_hygiene(rng: np.random.Generator) -> pd.DataFrame:
    rows = []
    for month in HAND_HYGIENE_MONTHS:
        for ward in HAND_HYGIENE_WARDS:
            observed = 10 + int(rng.poisson(18))
            compliant = int(rng.binomial(observed, HAND_HYGIENE_COMPLIANCE))
            rows.append((month, ward, observed, compliant))
    frame = pd.DataFrame(rows, columns=["month", "ward", "opportunities", "compliant"])
    frame["pct_compliant"] = np.round(100 * frame["compliant"] / frame["opportunities"], 1)
    return frame


SSI_MONTHS = months("2021-04-01", 48)
SSI_OPERATIONS = {"hip replacement": 44, "knee replacement": 50}  # mean per month
SSI_RISK = {"hip replacement": 0.012, "knee replacement": 0.010}
SSI_CLUSTER = (pd.Timestamp("2023-07-01"), "knee replacement", 5)  # theatre ventilation fault


def surgical_site_infections(rng: np.random.Generator) -> pd.DataFrame:
    rows = []
    cluster_month, cluster_procedure, cluster_infections = SSI_CLUSTER
    for month in SSI_MONTHS:
        for procedure, mean in SSI_OPERATIONS.items():
            operations = int(rng.poisson(mean * (0.8 if month.month == 8 else 1.0)))
            infections = int(rng.binomial(operations, SSI_RISK[procedure]))
            if month == cluster_month and procedure == cluster_procedure:
                infections = cluster_infections
            rows.append((month, procedure, operations, infections))
    return pd.DataFrame(rows, columns=["month", "procedure", "operations", "infections"])


ULCER_START, ULCER_END = "2022-01-01", "2024-12-31"
ULCER_CHANGE = pd.Timestamp("2023-07-01")  # SSKIN bundle and tissue viability link nurses
ULCER_GAP_BEFORE, ULCER_GAP_AFTER = 12.0, 36.0  # mean days between events
ULCER_WARDS = (
    "Acute Medical Unit",
    "Ash Ward",
    "Beech Ward",
    "Cedar Ward",
    "Elm Ward",
    "Critical Care",
    "Orthopaedic Ward",
    "Stroke Unit",
)
ULCER_WARD_WEIGHTS = np.array([1.0, 1.2, 1.0, 0.9, 1.6, 1.3, 1.1, 1.4])
ULCER_CATEGORIES = ("Category 3", "Category 4", "Unstageable")
# The main contributory factor found by each incident review: categories after the SSKIN bundle
# (Surface, Skin inspection, Keep moving, Incontinence and moisture, Nutrition) plus medical
# devices and risk assessment; weights are illustrative, chosen so a few factors dominate.
ULCER_FACTORS = (
    "Repositioning not done as planned",
    "Skin inspection missed or late",
    "Pressure-redistributing surface not in place",
    "Risk assessment not acted on",
    "Moisture and incontinence care",
    "Medical device pressure",
    "Nutrition and hydration not addressed",
)
ULCER_FACTOR_WEIGHTS = np.array([3.0, 2.2, 1.2, 0.7, 0.8, 0.6, 0.5])


def pressure_ulcer_events(rng: np.random.Generator) -> pd.DataFrame:
    start, end = pd.Timestamp(ULCER_START), pd.Timestamp(ULCER_END)
    dates = []
    day = start + pd.Timedelta(days=int(rng.exponential(ULCER_GAP_BEFORE)))
    while day <= end:
        dates.append(day)
        mean = ULCER_GAP_BEFORE if day < ULCER_CHANGE else ULCER_GAP_AFTER
        day = day + pd.Timedelta(days=int(np.floor(rng.exponential(mean))))
    n = len(dates)
    index = pd.DatetimeIndex(dates)
    wards = rng.choice(len(ULCER_WARDS), size=n, p=ULCER_WARD_WEIGHTS / ULCER_WARD_WEIGHTS.sum())
    kinds = rng.choice(len(ULCER_CATEGORIES), size=n, p=[0.8, 0.12, 0.08])
    gaps = pd.Series(index).diff().dt.days.astype("Int64")
    # drawn last, so the columns above are the same draws as before this column existed
    weights = ULCER_FACTOR_WEIGHTS / ULCER_FACTOR_WEIGHTS.sum()
    factors = rng.choice(len(ULCER_FACTORS), size=n, p=weights)
    return pd.DataFrame(
        {
            "event_date": index,
            "ward": [ULCER_WARDS[w] for w in wards],
            "category": [ULCER_CATEGORIES[k] for k in kinds],
            "days_since_previous": gaps,
            "contributory_factor": [ULCER_FACTORS[f] for f in factors],
        }
    )


ERRORS_MONTHS = months("2021-04-01", 48)
ERRORS_RATE_BEFORE, ERRORS_RATE_AFTER = 17.0, 11.0  # per 1,000 items screened
ERRORS_EPMA = pd.Timestamp("2023-05-01")  # electronic prescribing goes live (15 May 2023)
# Go-live months: new screens, new kinds of error, staff still learning the system.
ERRORS_GO_LIVE = {pd.Timestamp("2023-05-01"): 26.0, pd.Timestamp("2023-06-01"): 20.0}
ERRORS_CHANGEOVER = {8: 1.25, 9: 1.08}  # new doctors start in August


def prescribing_errors(rng: np.random.Generator) -> pd.DataFrame:
    m = ERRORS_MONTHS
    winter = np.isin(m.month, [12, 1, 2, 3])
    items = np.round(10_500 * np.where(winter, 1.05, 1.0) * rng.normal(1, 0.04, len(m)))
    items = items.astype(int)
    rate = np.where(m < ERRORS_EPMA, ERRORS_RATE_BEFORE, ERRORS_RATE_AFTER)
    rate = np.array([ERRORS_GO_LIVE.get(x, r) for x, r in zip(m, rate, strict=True)])
    rate = rate * np.array([ERRORS_CHANGEOVER.get(x.month, 1.0) for x in m])
    errors = overdispersed_poisson(rng, rate * items / 1000, cv=0.04)
    return pd.DataFrame(
        {
            "month": m,
            "items_screened": items,
            "errors": errors,
            "errors_per_1000_items": np.round(1000 * errors / items, 2),
        }
    )


def red_beads(rng: np.random.Generator) -> pd.DataFrame:
    """Four days of Deming's experiment, drawn with the model the simulation uses."""
    rows = []
    for day in range(1, 5):
        for worker, red in zip(beads.WORKERS, draw_day(rng), strict=True):
            rows.append((day, worker, beads.PADDLE, int(red)))
    return pd.DataFrame(rows, columns=["day", "worker", "beads_drawn", "red_beads"])
