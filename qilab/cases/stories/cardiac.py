"""A deteriorating patient collaborative: reading results against an aim, honestly.

Data: ``cardiac_arrest_collaborative`` (four fictional hospitals, monthly; synthetic). The
collaborative it is modelled on, UCLPartners' Deteriorating Patient Collaborative, was
*designed to reduce avoidable deaths from cardiac arrest by 50 per cent* (*Improving quality in
the English NHS*, The King's Fund, 2016). That is an AIM: the report gives no result, and no
number here is the collaborative's.
"""

from __future__ import annotations

import altair as alt
import pandas as pd

from qilab import datasets
from qilab.measure import qic

from . import spc_chart

WIDTH = 640
START = pd.Timestamp("2015-04-01")
POOLED = "All four hospitals"


def monthly() -> pd.DataFrame:
    return datasets.load("cardiac_arrest_collaborative")


def choices() -> list[str]:
    return [POOLED, *monthly()["hospital"].cat.categories]


def _rows(choice: str) -> pd.DataFrame:
    data = monthly()
    if choice != POOLED:
        data = data[data["hospital"] == choice]
    return (
        data.groupby("month")[["adult_admissions", "cardiac_arrests", "deaths_after_arrest"]]
        .sum()
        .reset_index()
    )


def yearly_rates(choice: str = POOLED) -> dict[str, float]:
    """Arrests per 1,000 admissions in the baseline year and the final year, and the fall.

    >>> r = yearly_rates()
    >>> 25 < r["fall"] < 35      # well short of the 50 % aim
    True
    """
    rows = _rows(choice)
    base = rows[rows["month"] < START]
    final = rows[rows["month"] >= pd.Timestamp("2016-04-01")]
    before = base["cardiac_arrests"].sum() / base["adult_admissions"].sum() * 1000
    after = final["cardiac_arrests"].sum() / final["adult_admissions"].sum() * 1000
    return {
        "before": float(before),
        "after": float(after),
        "fall": float((1 - after / before) * 100),
    }


def arrest_chart(choice: str) -> tuple[alt.LayerChart, str]:
    """U chart of arrests per 1,000 admissions, limits from the baseline year, aim line at half."""
    rows = _rows(choice)
    rates = yearly_rates(choice)
    # Rounded once, so the caption, the chart's tooltip and its description give one figure.
    aim = round(rates["before"] / 2, 2)
    res = qic(
        rows["cardiac_arrests"],
        n=rows["adult_admissions"],
        x=rows["month"],
        chart="u",
        multiply=1000,
        freeze=12,
        target=aim,
        title=f"{choice}: cardiac arrests per 1,000 adult admissions",
        ylab="Arrests per 1,000 admissions",
        xlab="Month",
    )
    text = (
        f"{choice} (synthetic): {rates['before']:.2f} arrests per 1,000 admissions in the "
        f"baseline year and {rates['after']:.2f} in the final year, a fall of "
        f"{rates['fall']:.0f} %. The green dotted line is the AIM of halving the baseline "
        f"({aim:.2f}); the aim was not reached. " + res.describe()
    )
    chart = spc_chart(res, annotations={START: "Collaborative starts"}, width=WIDTH, height=280)
    return chart, text


def hospital_table() -> pd.DataFrame:
    """Baseline-year and final-year arrest rates per hospital, against the aim of half."""
    rows = []
    for choice in choices():
        r = yearly_rates(choice)
        rows.append(
            {
                "": choice,
                "Baseline year (per 1,000)": round(r["before"], 2),
                "Final year (per 1,000)": round(r["after"], 2),
                "Fall (%)": round(r["fall"]),
                "Aim of halving met?": "yes" if r["fall"] >= 50 else "no",
            }
        )
    return pd.DataFrame(rows)
