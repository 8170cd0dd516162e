"""Safer prescribing at scale: a pharmacist-led collaborative built on PINCER.

Data: ``pincer_collaborative`` (24 fictional practices, two from each of 12 CCGs; synthetic),
calibrated on the headline in *A guide to making the case for improvement* (The Health
Foundation, 2023): a two-year collaborative of 12 CCGs and 370 practices in the East Midlands
led to an approximately 24 % reduction in the proportion of patients exposed to at least one
type of hazardous prescribing. The baseline level, the spread between practices and the time
course are illustrative. The peer-reviewed evaluation (Rodgers et al., PLOS Medicine 2022;
19(11):e1004133) reports a smaller, calendar-time-adjusted effect (16.7 % at 6 months, 15.3 %
at 12); the case notebook says so and why it keeps the guide's headline.
"""

from __future__ import annotations

import altair as alt
import numpy as np
import pandas as pd

from qilab import datasets
from qilab.measure import qic
from qilab.theme import COLOURS

from . import spc_chart

WIDTH = 640
START = pd.Timestamp("2016-04-01")


def monthly() -> pd.DataFrame:
    return datasets.load("pincer_collaborative")


def practices() -> list[str]:
    return list(monthly()["practice"].cat.categories)


def headline() -> dict[str, float]:
    """Pooled % exposed, six baseline months against the last six months, and the falls.

    >>> h = headline()
    >>> round(h["relative_fall"])
    24
    """
    data = monthly()
    months = sorted(data["month"].unique())
    first, last = months[:6], months[-6:]

    def pooled(ms: list) -> float:
        rows = data[data["month"].isin(ms)]
        return float(rows["patients_exposed"].sum() / rows["patients_at_risk"].sum() * 100)

    before, after = pooled(first), pooled(last)
    return {
        "before": before,
        "after": after,
        "absolute_fall": before - after,
        "relative_fall": (before - after) / before * 100,
    }


def pooled_chart() -> tuple[alt.LayerChart, str]:
    """P chart of all 24 practices pooled, limits from the six baseline months."""
    data = monthly()
    res = qic(
        "patients_exposed",
        n="patients_at_risk",
        x="month",
        data=data,
        chart="p",
        multiply=100,
        freeze=6,
        title="All 24 practices: patients exposed to hazardous prescribing",
        ylab="% of at-risk patients exposed",
        xlab="Month",
    )
    h = headline()
    text = (
        f"Synthetic monthly data pooled over 24 practices. Exposure falls from {h['before']:.2f} % "
        f"in the six baseline months to {h['after']:.2f} % in the last six: a relative fall of "
        f"{h['relative_fall']:.0f} % (an absolute fall of {h['absolute_fall']:.2f} percentage "
        "points). " + res.describe()
    )
    chart = spc_chart(res, annotations={START: "Collaborative starts"}, width=WIDTH, height=280)
    return chart, text


def practice_chart(practice: str) -> tuple[alt.LayerChart, str]:
    """Run chart of one practice's % exposed, median frozen on its six baseline months."""
    data = monthly()
    rows = data[data["practice"] == practice].sort_values("month").reset_index(drop=True)
    ccg = str(rows["ccg"].iloc[0])
    res = qic(
        rows["patients_exposed"] / rows["patients_at_risk"] * 100,
        x=rows["month"],
        chart="run",
        freeze=6,
        title=f"{practice} ({ccg}): % of at-risk patients exposed",
        ylab="% exposed",
        xlab="Month",
    )
    before = rows["pct_exposed"].head(6).mean()
    after = rows["pct_exposed"].tail(6).mean()
    change = (before - after) / before * 100
    text = (
        f"{practice} in {ccg} (synthetic): {before:.1f} % exposed in the baseline months, "
        f"{after:.1f} % in the last six ({change:.0f} % relative fall). " + res.describe()
    )
    chart = spc_chart(res, annotations={START: "Collaborative starts"}, width=WIDTH, height=260)
    return chart, text


def funnel_frame(months: int = 6) -> pd.DataFrame:
    """Each practice's % exposed over the last *months* months, with funnel limits.

    Limits are the pooled proportion ± 2 and 3 binomial standard errors at each denominator
    (Spiegelhalter's funnel plot), so small practices get wider limits.
    """
    data = monthly()
    last = sorted(data["month"].unique())[-months:]
    rows = (
        data[data["month"].isin(last)]
        .groupby("practice", observed=True)[["patients_exposed", "patients_at_risk"]]
        .sum()
        .reset_index()
    )
    p = rows["patients_exposed"].sum() / rows["patients_at_risk"].sum()
    rows["pct"] = rows["patients_exposed"] / rows["patients_at_risk"] * 100
    rows["practice"] = rows["practice"].astype(str)
    rows["pooled"] = p * 100
    return rows


def funnel_chart() -> tuple[alt.LayerChart, str]:
    """Funnel plot of the last six months: % exposed against patients at risk."""
    rows = funnel_frame()
    p = rows["pooled"].iloc[0] / 100
    n = np.linspace(rows["patients_at_risk"].min() * 0.8, rows["patients_at_risk"].max() * 1.1, 80)
    se = np.sqrt(p * (1 - p) / n)
    curves = pd.DataFrame(
        {
            "n": np.tile(n, 4),
            "limit": np.concatenate([p + z * se for z in (-3, -2, 2, 3)]) * 100,
            "band": np.repeat(["-3 SE", "-2 SE", "+2 SE", "+3 SE"], len(n)),
        }
    )
    lines = (
        alt.Chart(curves)
        .mark_line(color=COLOURS["limit"])
        .encode(
            x=alt.X("n:Q", title="Patients at risk (six months, summed)"),
            y=alt.Y("limit:Q", title="% exposed"),
            detail="band:N",
            strokeDash=alt.condition(
                "indexof(datum.band, '3') >= 0", alt.value([1, 0]), alt.value([4, 3])
            ),
        )
    )
    centre = (
        alt.Chart(pd.DataFrame({"y": [p * 100]})).mark_rule(color=COLOURS["centre"]).encode(y="y:Q")
    )
    outside = (rows["pct"] - p * 100).abs() > 3 * np.sqrt(
        p * (1 - p) / rows["patients_at_risk"]
    ) * 100
    rows = rows.assign(outside=np.where(outside, "outside 3 SE", "inside"))
    points = (
        alt.Chart(rows)
        .mark_circle(size=60, opacity=0.9)
        .encode(
            x="patients_at_risk:Q",
            y="pct:Q",
            color=alt.Color(
                "outside:N",
                title=None,
                scale=alt.Scale(
                    domain=["inside", "outside 3 SE"], range=[COLOURS["data"], COLOURS["signal"]]
                ),
                legend=alt.Legend(orient="top"),
            ),
            tooltip=[
                alt.Tooltip("practice:N", title="Practice"),
                alt.Tooltip("pct:Q", title="% exposed", format=".2f"),
                alt.Tooltip("patients_at_risk:Q", title="At risk"),
            ],
        )
    )
    chart = (lines + centre + points).properties(
        title="Funnel plot: the last six months, practice by practice", width=WIDTH, height=300
    )
    text = (
        f"Funnel plot of 24 practices' % exposed over the last six months (synthetic), against "
        f"their at-risk patients. Pooled: {p * 100:.2f} %. Dashed curves are 2 standard errors, "
        f"solid curves 3. {int(outside.sum())} of 24 practices lie outside the 3 SE limits; "
        "practices inside them should not be ranked against each other."
    )
    return chart, text


def practice_table() -> pd.DataFrame:
    """Relative fall per practice, baseline months against the last six (sorted)."""
    data = monthly()
    months = sorted(data["month"].unique())
    rows = []
    for practice, g in data.groupby("practice", observed=True):
        b = g[g["month"].isin(months[:6])]
        a = g[g["month"].isin(months[-6:])]
        before = b["patients_exposed"].sum() / b["patients_at_risk"].sum() * 100
        after = a["patients_exposed"].sum() / a["patients_at_risk"].sum() * 100
        rows.append(
            {
                "Practice": str(practice),
                "CCG": str(g["ccg"].iloc[0]),
                "Before (%)": round(before, 2),
                "Last six months (%)": round(after, 2),
                "Relative fall (%)": round((before - after) / before * 100),
            }
        )
    return pd.DataFrame(rows).sort_values("Relative fall (%)", ascending=False)
