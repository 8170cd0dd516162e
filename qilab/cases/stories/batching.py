"""Blood tests processed in batches versus as they arrive: a seeded model of a laboratory day.

*A guide to making the case for improvement* (The Health Foundation, 2023) gives batching as a
systems example: blood tests "processed in batches, not as soon as they arrive in the lab".
Here samples arrive at random through the working day; in batch mode the analyser is loaded
every ``batch_minutes`` with everything waiting; in flow mode (``batch_minutes = 0``) each
sample is loaded as it arrives. The analyser run itself takes the same time either way, so any
difference in turnaround is pure waiting created by the way the work is organised.
"""

from __future__ import annotations

import altair as alt
import numpy as np
import pandas as pd

from qilab import datasets
from qilab.errors import QilabError
from qilab.measure import qic
from qilab.theme import COLOURS

from . import spc_chart

#: Working day modelled, in minutes after 08:00 (08:00 to 18:00).
DAY_MINUTES = 600
#: Samples a day (illustrative: a busy ward block's routine bloods).
SAMPLES = 240
#: Analyser run plus validation, minutes (the same in both modes).
RUN_MINUTES = 45
BATCH_CHOICES = (0, 15, 30, 60, 90, 120)
WIDTH = 640


def simulate(batch_minutes: int, seed: int = 8) -> pd.DataFrame:
    """One synthetic day: arrival, start and result time (minutes after 08:00) of each sample.

    Arrivals are busiest mid-morning (after ward rounds). In batch mode a sample waits for the
    next scheduled load; in flow mode it starts on arrival.

    Examples
    --------
    >>> flow, batch = simulate(0), simulate(60)
    >>> round(float(flow["turnaround"].mean()))
    45
    >>> bool(batch["turnaround"].mean() > flow["turnaround"].mean() + 20)
    True
    """
    if isinstance(batch_minutes, bool) or not isinstance(batch_minutes, int | np.integer):
        raise QilabError(f"batch_minutes must be a whole number of minutes, not {batch_minutes!r}.")
    if not 0 <= batch_minutes <= 240:
        raise QilabError(f"batch_minutes={batch_minutes} is outside 0 to 240 minutes.")
    rng = np.random.default_rng(seed)
    # Mid-morning peak: a mixture of a morning bump and a flat background.
    morning = rng.normal(150, 60, SAMPLES // 2)
    background = rng.uniform(0, DAY_MINUTES, SAMPLES - SAMPLES // 2)
    arrival = np.sort(np.clip(np.concatenate([morning, background]), 0, DAY_MINUTES - 1))
    if batch_minutes == 0:
        start = arrival.copy()
    else:
        start = np.ceil(arrival / batch_minutes) * batch_minutes
    result = start + RUN_MINUTES
    return pd.DataFrame(
        {
            "sample": np.arange(1, SAMPLES + 1),
            "arrival": arrival,
            "start": start,
            "result": result,
            "turnaround": result - arrival,
            "hour": (8 + arrival // 60).astype(int),
        }
    )


def summary(day: pd.DataFrame) -> dict[str, float]:
    """Mean, median and 90th percentile turnaround, and Little's law's samples in the lab.

    Little's law: average work in progress = arrival rate × average time in the system.

    >>> s = summary(simulate(0))
    >>> round(s["in_lab"], 1) == round(SAMPLES / DAY_MINUTES * s["mean"], 1)
    True
    """
    t = day["turnaround"]
    return {
        "mean": float(t.mean()),
        "median": float(t.median()),
        "p90": float(t.quantile(0.9)),
        "in_lab": float(len(day) / DAY_MINUTES * t.mean()),
    }


def batch_chart(batch_minutes: int) -> tuple[alt.LayerChart, str]:
    """Turnaround of every sample by arrival time, for one way of organising the lab."""
    day = simulate(batch_minutes)
    s = summary(day)
    mode = "as they arrive" if batch_minutes == 0 else f"in batches every {batch_minutes} minutes"
    frame = day.assign(
        arrival_time=pd.Timestamp("2025-01-06 08:00") + pd.to_timedelta(day["arrival"], "min")
    )
    base = alt.Chart(frame)
    points = base.mark_circle(size=28, opacity=0.7, color=COLOURS["data"]).encode(
        x=alt.X(
            "arrival_time:T",
            title="Sample arrives in the laboratory",
            axis=alt.Axis(format="%H:%M"),
        ),
        y=alt.Y(
            "turnaround:Q",
            title="Minutes from arrival to result",
            scale=alt.Scale(domain=[0, RUN_MINUTES + 130]),
        ),
        tooltip=[
            alt.Tooltip("arrival_time:T", title="Arrived", format="%H:%M"),
            alt.Tooltip("turnaround:Q", title="Turnaround (min)", format=".0f"),
        ],
    )
    run = (
        alt.Chart(pd.DataFrame({"y": [RUN_MINUTES]}))
        .mark_rule(color=COLOURS["target"], strokeDash=[4, 3])
        .encode(y="y:Q")
    )
    median = (
        alt.Chart(pd.DataFrame({"y": [s["median"]]}))
        .mark_rule(color=COLOURS["centre"], strokeDash=[6, 4], strokeWidth=2)
        .encode(y="y:Q")
    )
    chart = (points + run + median).properties(
        title=f"Samples processed {mode}: median {s['median']:.0f} minutes",
        width=WIDTH,
        height=300,
    )
    text = (
        f"Synthetic day of {SAMPLES} blood samples processed {mode}. Turnaround: median "
        f"{s['median']:.0f} minutes, mean {s['mean']:.0f}, 90th percentile {s['p90']:.0f}; the "
        f"analyser run alone takes {RUN_MINUTES} minutes (green dashed line). By Little's law "
        f"about {s['in_lab']:.0f} samples are in the laboratory at any moment."
    )
    return chart, text


def comparison_table() -> pd.DataFrame:
    """Turnaround for each batch interval the slider offers (the whole trade-off at a glance)."""
    rows = []
    for minutes in BATCH_CHOICES:
        s = summary(simulate(minutes))
        rows.append(
            {
                "Loaded": "as they arrive" if minutes == 0 else f"every {minutes} min",
                "Median turnaround (min)": round(s["median"]),
                "90th percentile (min)": round(s["p90"]),
                "Samples waiting or running (Little's law)": round(s["in_lab"]),
            }
        )
    return pd.DataFrame(rows)


def trust_a() -> pd.DataFrame:
    """Trust A's laboratory episodes from the ``lean_lead_times`` data set (synthetic)."""
    data = datasets.load("lean_lead_times")
    return data[data["trust"] == "Trust A"].reset_index(drop=True)


def trust_a_chart() -> tuple[alt.LayerChart, str]:
    """Run chart of Trust A's 120 sample lead times against the baseline median."""
    data = trust_a()
    res = qic(
        data["lead_time_hours"],
        chart="run",
        freeze=60,
        title="Trust A: sample received to result available",
        ylab="Hours",
        xlab="Sample (baseline 1–60, after redesign 61–120)",
    )
    before = data.loc[data["period"] == "baseline", "lead_time_hours"].median()
    after = data.loc[data["period"] == "after redesign", "lead_time_hours"].median()
    text = (
        "Run chart of 120 synthetic laboratory episodes at Trust A, 60 in the eight weeks before "
        "the laboratory replaced batching with continuous flow and 60 from twelve weeks after "
        f"(the gap between the two periods is not shown). The median falls from {before:.2f} to "
        f"{after:.2f} hours. " + res.describe()
    )
    return spc_chart(res, width=WIDTH, height=280), text
