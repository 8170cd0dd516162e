"""A primary care access collaborative: Advanced Access and rapid PDSA cycles, in two waves.

Data: ``gp_access_collaborative`` (six fictional practices, weekly) and ``pdsa_log`` (Millbrook
Surgery's eight cycles), both synthetic and modelled on the National Primary Care Collaborative
described in *Improving quality in the English NHS* (The King's Fund, 2016).
"""

from __future__ import annotations

import altair as alt
import pandas as pd

from qilab import datasets
from qilab.measure import qic
from qilab.theme import COLOURS

from . import spc_chart

WIDTH = 640
MEASURE = "third_next_available_days"
WAVE_START = {"Wave 1": pd.Timestamp("2024-06-24"), "Wave 2": pd.Timestamp("2024-09-30")}


def access() -> pd.DataFrame:
    return datasets.load("gp_access_collaborative")


def practices() -> list[str]:
    """The six practices, wave 1 first (the order of the data dictionary)."""
    return list(access()["practice"].cat.categories)


def cycles() -> pd.DataFrame:
    return datasets.load("pdsa_log")


def _practice(practice: str) -> tuple[pd.DataFrame, pd.Timestamp]:
    data = access()
    rows = data[data["practice"] == practice].sort_values("week_commencing")
    return rows.reset_index(drop=True), WAVE_START[str(rows["wave"].iloc[0])]


def wait_chart(practice: str, with_cycles: bool = False) -> tuple[alt.LayerChart, str]:
    """Run chart of one practice's wait, median frozen on the weeks before it joined."""
    rows, joined = _practice(practice)
    baseline = int((rows["week_commencing"] < joined).sum())
    notes = {joined: "Joins the collaborative"}
    if with_cycles:
        log = cycles()
        log = log[log["practice"] == practice]
        for _, cycle in log.iterrows():
            week = cycle["start_date"] - pd.Timedelta(days=cycle["start_date"].weekday())
            label = f"PDSA {cycle['cycle']}"
            # A cycle starting the week the practice joins shares that week's label.
            notes[week] = f"{notes[week]}, {label}" if week in notes else label
    res = qic(
        rows[MEASURE],
        x=rows["week_commencing"],
        chart="run",
        freeze=baseline,
        title=f"{practice}: days to the third next available routine appointment",
        ylab="Days (Monday 08:00)",
        xlab="Week commencing",
    )
    chart = spc_chart(res, annotations=notes, width=WIDTH, height=300)
    first = rows[MEASURE].iloc[:baseline].median()
    last = rows[MEASURE].iloc[-12:].median()
    text = (
        f"Synthetic weekly data for {practice}, which joined on {joined:%d %B %Y}. Median wait "
        f"{first:.0f} days before joining and {last:.0f} days over the last 12 weeks. "
        + res.describe()
    )
    return chart, text


def demand_capacity_chart(practice: str) -> tuple[alt.LayerChart, str]:
    """Requests and appointments offered each week, and the backlog their gap builds."""
    rows, joined = _practice(practice)
    long = rows.melt(
        id_vars="week_commencing",
        value_vars=["requests", "appointments_offered"],
        var_name="series",
        value_name="per_week",
    )
    long["series"] = long["series"].map(
        {"requests": "Requests (demand)", "appointments_offered": "Appointments offered (capacity)"}
    )
    lines = (
        alt.Chart(long)
        .mark_line(point=alt.OverlayMarkDef(size=16))
        .encode(
            x=alt.X("week_commencing:T", title="Week commencing"),
            y=alt.Y("per_week:Q", title="Per week", scale=alt.Scale(zero=False)),
            color=alt.Color(
                "series:N",
                title=None,
                scale=alt.Scale(
                    domain=["Requests (demand)", "Appointments offered (capacity)"],
                    range=[COLOURS["concern"], COLOURS["data"]],
                ),
                legend=alt.Legend(orient="top", labelLimit=0),
            ),
            tooltip=[
                alt.Tooltip("week_commencing:T", title="Week commencing", format="%d %b %Y"),
                alt.Tooltip("series:N", title="Series"),
                alt.Tooltip("per_week:Q", title="Per week"),
            ],
        )
    )
    start = (
        alt.Chart(pd.DataFrame({"x": [joined]}))
        .mark_rule(color=COLOURS["annotation"])
        .encode(x="x:T")
    )
    chart = (lines + start).properties(
        title=f"{practice}: demand and capacity", width=WIDTH, height=260
    )
    before = rows[rows["week_commencing"] < joined]
    gap = (before["requests"] - before["appointments_offered"]).mean()
    after = rows[rows["week_commencing"] >= joined + pd.Timedelta(weeks=12)]
    gap_after = (after["requests"] - after["appointments_offered"]).mean()
    text = (
        f"Weekly routine GP requests and appointments offered at {practice} (synthetic). Before "
        f"joining, {gap_sentence(gap, backlog=True)}. From twelve weeks after joining, "
        f"{gap_sentence(gap_after, backlog=False)}."
    )
    return chart, text


def gap_sentence(gap: float, *, backlog: bool) -> str:
    """What a mean weekly gap (requests minus appointments) did to the queue, in words.

    Under one a week either way the two are called level: "by 0 a week … so the queue grew"
    would contradict itself. (Only the queue is claimed: demand above capacity adds to it each
    week; what the wait did is the wait chart's to say.)

    Examples
    --------
    >>> gap_sentence(4.2, backlog=False)
    'requests exceeded appointments by 4 a week on average, so the queue grew'
    >>> gap_sentence(-0.4, backlog=False)[:40]
    'requests and appointments were level (wi'
    """
    size = round(abs(gap))
    if size == 0:
        return (
            "requests and appointments were level (within one a week on average), so the queue "
            "held steady"
        )
    if gap > 0:
        queue = "the queue of booked appointments" if backlog else "the queue"
        return f"requests exceeded appointments by {size} a week on average, so {queue} grew"
    return (
        f"appointments offered exceeded requests by {size} a week on average, working the "
        "backlog down"
    )


def pdsa_table() -> pd.DataFrame:
    """Millbrook Surgery's PDSA log, as the practice wrote it (synthetic)."""
    log = cycles()
    return pd.DataFrame(
        {
            "Cycle": log["cycle"],
            "Dates": [
                f"{a:%d %b}–{b:%d %b %Y}"
                for a, b in zip(log["start_date"], log["end_date"], strict=True)
            ],
            "Principle": log["principle"].astype(str),
            "Change tested": log["change_tested"],
            "Prediction": log["prediction"],
            "What happened": log["result"],
            "Decision": log["decision"].astype(str),
        }
    )


def collaborative_table() -> pd.DataFrame:
    """Each practice's median wait in its 12 weeks before joining and the last 12 weeks."""
    rows = []
    for practice in practices():
        data, joined = _practice(practice)
        before = data[data["week_commencing"] < joined][MEASURE].tail(12).median()
        last = data[MEASURE].tail(12).median()
        rows.append(
            {
                "Practice": practice,
                "Wave": str(data["wave"].iloc[0]),
                "Median wait before joining (days)": int(before),
                "Median wait, last 12 weeks (days)": int(last),
            }
        )
    return pd.DataFrame(rows)
