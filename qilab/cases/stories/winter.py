"""Winter flow: delayed discharges, discharge to assess, and closing the escalation beds.

Data: ``winter_flow`` (synthetic daily census of a fictional trust, November to March). Its
design follows *A guide to making the case for improvement* (The Health Foundation, 2023):
discharge to assess, piloted in Sheffield with lean methods and the Big Room and spread through
the Flow Coaching Academy, and East London NHS Foundation Trust reducing bed occupancy enough to
close a ward. None of the numbers is a reported result.
"""

from __future__ import annotations

import altair as alt
import pandas as pd

from qilab import datasets
from qilab.measure import qic
from qilab.theme import COLOURS

from . import label_headroom, label_row_y, spc_chart

WIDTH = 640
HEIGHT = 300
D2A_START = pd.Timestamp("2025-01-20")
EVENTS = {
    pd.Timestamp("2024-12-09"): "24 escalation beds open",
    D2A_START: "Discharge to assess starts",
    pd.Timestamp("2025-03-03"): "Escalation beds close",
}
MEASURES = {
    "Occupied beds": ("beds_occupied", "Beds occupied at 08:00 (weekly mean)"),
    "Occupancy %": ("occupancy_pct", "Occupancy % at 08:00 (weekly mean)"),
    "No criteria to reside": (
        "patients_no_criteria_to_reside",
        "Patients with no criteria to reside (weekly mean)",
    ),
}


def census() -> pd.DataFrame:
    return datasets.load("winter_flow")


def weekly() -> pd.DataFrame:
    """Weekly means (weeks starting Monday; only complete weeks)."""
    data = census()
    data["week"] = data["date"] - pd.to_timedelta(data["date"].dt.day_of_week, unit="D")
    counts = data.groupby("week")["date"].count()
    full = counts[counts == 7].index
    numeric = ["beds_available", "beds_occupied", "occupancy_pct", "patients_no_criteria_to_reside"]
    return data[data["week"].isin(full)].groupby("week")[numeric].mean().reset_index()


def beds_chart() -> tuple[alt.TopLevelSpec, str]:
    """Daily beds open and beds occupied, with the winter events marked."""
    data = census()
    long = data.melt(
        id_vars="date", value_vars=["beds_available", "beds_occupied"], var_name="series"
    )
    long["series"] = long["series"].map(
        {"beds_available": "Beds open", "beds_occupied": "Beds occupied (08:00)"}
    )
    low = float(long["value"].min()) // 20 * 20
    high = float(long["value"].max())
    lines = (
        alt.Chart(long)
        .mark_line(interpolate="step-after")
        .encode(
            x=alt.X("date:T", title="Date"),
            y=alt.Y(
                "value:Q",
                title="General and acute beds",
                # Room above the lines for the event labels, one row each.
                scale=alt.Scale(
                    zero=False,
                    nice=False,
                    domain=[low, label_headroom(low, high, len(EVENTS), HEIGHT)],
                ),
            ),
            color=alt.Color(
                "series:N",
                title=None,
                scale=alt.Scale(
                    domain=["Beds open", "Beds occupied (08:00)"],
                    range=[COLOURS["centre"], COLOURS["data"]],
                ),
                legend=alt.Legend(orient="top", labelLimit=0),
            ),
            tooltip=[
                alt.Tooltip("date:T", title="Date", format="%d %b %Y"),
                alt.Tooltip("series:N", title="Series"),
                alt.Tooltip("value:Q", title="Beds"),
            ],
        )
    )
    events = pd.DataFrame({"date": list(EVENTS), "label": list(EVENTS.values())})
    rules = alt.Chart(events).mark_rule(color=COLOURS["annotation"]).encode(x="date:T")
    # One row per label, so neighbours never overprint; the last sits left of its rule so it
    # is not cut off at the chart's edge.
    labels = [
        alt.Chart(events.iloc[[i]])
        .mark_text(
            align="right" if i == len(events) - 1 else "left",
            dx=-3 if i == len(events) - 1 else 3,
            baseline="top",
            color=COLOURS["annotation"],
            fontSize=12,
        )
        .encode(x="date:T", y=alt.value(label_row_y(i)), text="label:N")
        for i in range(len(events))
    ]
    chart = alt.layer(lines, rules, *labels).properties(
        title="Beds open and beds occupied, winter 2024–25", width=WIDTH, height=HEIGHT
    )
    full_days = int((data["beds_occupied"] == data["beds_available"]).sum())
    text = (
        "Daily census of a fictional trust's general and acute beds (synthetic). Occupancy is "
        f"close to full all winter (every open bed was full on {full_days} days); the weekly "
        "rhythm comes from few weekend discharges. After discharge to assess starts on 20 "
        "January the occupied beds fall, and the 24 escalation beds close on 3 March without "
        "the remaining beds filling up."
    )
    return chart, text


def measure_chart(measure: str) -> tuple[alt.TopLevelSpec, str]:
    """Weekly I chart of one measure, limits from the weeks before D2A began, extended."""
    column, label = MEASURES[measure]
    data = weekly()
    before = int((data["week"] < D2A_START).sum())
    res = qic(
        data[column],
        x=data["week"],
        chart="i",
        freeze=before,
        title=f"{measure}: weekly I chart, limits from the weeks before discharge to assess",
        ylab=label,
        xlab="Week commencing",
    )
    chart = spc_chart(res, annotations={D2A_START: "Discharge to assess"}, width=WIDTH, height=280)
    after = data.loc[data["week"] >= D2A_START, column].mean()
    baseline = data.loc[data["week"] < D2A_START, column].mean()
    text = (
        f"Weekly means of {label.split(' (')[0].lower()} (synthetic), {before} weeks before "
        f"discharge to assess and {len(data) - before} after; the average moves from "
        f"{baseline:.1f} to {after:.1f}. " + res.describe()
    )
    return chart, text


def stock_and_flow() -> pd.DataFrame:
    """Check on every day that tomorrow's occupied beds = today's + admissions − discharges."""
    data = census()
    predicted = data["beds_occupied"] + data["admissions"] - data["discharges"]
    actual = data["beds_occupied"].shift(-1)
    holds = (predicted == actual)[:-1]
    return pd.DataFrame(
        {
            "Days checked": [int(holds.size)],
            "Days the identity holds": [int(holds.sum())],
            "Mean admissions a day": [round(float(data["admissions"].mean()), 1)],
            "Mean discharges a day": [round(float(data["discharges"].mean()), 1)],
        }
    )
