"""Five trusts, one method: lean redesign of five care pathways' lead times.

Data: ``lean_lead_times`` (synthetic), calibrated on the collective 62 % reduction in process
lead times reported for the five trusts in the NHS partnership with the Virginia Mason
Institute, 2015 to 2020 (*A guide to making the case for improvement*, The Health Foundation,
2023). The pathways and per-trust figures are illustrative.
"""

from __future__ import annotations

import altair as alt
import pandas as pd

from qilab import datasets
from qilab.measure import qic
from qilab.theme import COLOURS

from . import spc_chart

WIDTH = 640
DEFINITIONS = (
    "Sum of the five mean lead times",
    "Average of the five trusts' falls",
    "Median of all 600 episodes",
)


def episodes() -> pd.DataFrame:
    return datasets.load("lean_lead_times")


def trusts() -> list[str]:
    return list(episodes()["trust"].cat.categories)


def means_table() -> pd.DataFrame:
    """Mean and median lead time before and after, and the fall, for each trust's pathway."""
    data = episodes()
    grouped = data.groupby(["trust", "period"], observed=True)["lead_time_hours"]
    means = grouped.mean().unstack()
    medians = grouped.median().unstack()
    pathway = data.groupby("trust", observed=True)["pathway"].first().astype(str)
    return pd.DataFrame(
        {
            "Trust": means.index.astype(str),
            "Pathway": pathway.loc[means.index].to_numpy(),
            "Mean before (h)": means["baseline"].round(1).to_numpy(),
            "Mean after (h)": means["after redesign"].round(1).to_numpy(),
            "Median before (h)": medians["baseline"].round(1).to_numpy(),
            "Median after (h)": medians["after redesign"].round(1).to_numpy(),
            "Fall in mean": ((1 - means["after redesign"] / means["baseline"]) * 100)
            .round(0)
            .astype(int)
            .astype(str)
            .add(" %")
            .to_numpy(),
        }
    )


def collective_fall(definition: str) -> float:
    """The 'collective' percentage fall under one of three definitions (see DEFINITIONS).

    >>> round(collective_fall("Sum of the five mean lead times"))
    61
    """
    data = episodes()
    means = data.groupby(["trust", "period"], observed=True)["lead_time_hours"].mean().unstack()
    if definition == DEFINITIONS[0]:
        return float((1 - means["after redesign"].sum() / means["baseline"].sum()) * 100)
    if definition == DEFINITIONS[1]:
        return float(((1 - means["after redesign"] / means["baseline"]) * 100).mean())
    if definition == DEFINITIONS[2]:
        pooled = data.groupby("period", observed=True)["lead_time_hours"].median()
        return float((1 - pooled["after redesign"] / pooled["baseline"]) * 100)
    raise ValueError(f"unknown definition {definition!r}: use one of {DEFINITIONS}")


def distribution_chart() -> tuple[alt.Chart, str]:
    """Every episode's lead time, before and after, per trust (log scale: hours to days)."""
    data = episodes().assign(trust=lambda d: d["trust"].astype(str))
    data["period"] = data["period"].astype(str)
    chart = (
        alt.Chart(data)
        .mark_tick(thickness=2, size=14, opacity=0.6)
        .encode(
            x=alt.X(
                "lead_time_hours:Q",
                title="Lead time (hours, log scale)",
                scale=alt.Scale(type="log"),
            ),
            y=alt.Y("period:N", title=None, sort=["baseline", "after redesign"]),
            row=alt.Row("trust:N", title=None, header=alt.Header(labelAngle=0, labelAlign="left")),
            color=alt.Color(
                "period:N",
                title=None,
                scale=alt.Scale(
                    domain=["baseline", "after redesign"],
                    range=[COLOURS["limit"], COLOURS["improvement"]],
                ),
                legend=alt.Legend(orient="top"),
            ),
            tooltip=[
                alt.Tooltip("trust:N", title="Trust"),
                alt.Tooltip("pathway:N", title="Pathway"),
                alt.Tooltip("period:N", title="Period"),
                alt.Tooltip("lead_time_hours:Q", title="Lead time (hours)", format=".1f"),
            ],
        )
        .properties(width=WIDTH - 120, height=46, title="Every episode, before and after redesign")
    )
    text = (
        "Strip plot of 600 synthetic episodes, 60 per trust before and 60 after redesign, on a "
        "log scale because the pathways run from hours (laboratory) to days (discharge). Every "
        "trust's episodes move left after redesign, by different amounts; the spread within "
        "each period is wide, so a single average hides a lot."
    )
    return chart, text


def trust_chart(trust: str) -> tuple[alt.LayerChart, str]:
    """Run chart of one trust's 120 episodes with the baseline median extended."""
    data = episodes()
    rows = data[data["trust"] == trust].reset_index(drop=True)
    pathway = str(rows["pathway"].iloc[0])
    res = qic(
        rows["lead_time_hours"],
        chart="run",
        freeze=60,
        title=f"{trust}: {pathway}",
        ylab="Lead time (hours)",
        xlab="Episode (1–60 baseline, 61–120 after redesign)",
    )
    text = f"Synthetic episodes of {trust}'s pathway ({pathway}). " + res.describe()
    return spc_chart(res, width=WIDTH, height=280), text


def collective_chart(definition: str) -> tuple[alt.LayerChart, str]:
    """Mean lead times before and after, with the 'collective' fall under one definition."""
    data = episodes()
    means = (
        data.groupby(["trust", "period"], observed=True)["lead_time_hours"]
        .mean()
        .reset_index()
        .assign(trust=lambda d: d["trust"].astype(str), period=lambda d: d["period"].astype(str))
    )
    fall = collective_fall(definition)
    bars = (
        alt.Chart(means)
        .mark_bar()
        .encode(
            x=alt.X("trust:N", title=None, axis=alt.Axis(labelAngle=0)),
            xOffset=alt.XOffset("period:N", sort=["baseline", "after redesign"]),
            y=alt.Y("lead_time_hours:Q", title="Mean lead time (hours)"),
            color=alt.Color(
                "period:N",
                title=None,
                scale=alt.Scale(
                    domain=["baseline", "after redesign"],
                    range=[COLOURS["limit"], COLOURS["improvement"]],
                ),
                legend=alt.Legend(orient="top"),
            ),
            tooltip=[
                alt.Tooltip("trust:N", title="Trust"),
                alt.Tooltip("period:N", title="Period"),
                alt.Tooltip("lead_time_hours:Q", title="Lead time (hours)", format=".1f"),
            ],
        )
        .properties(
            title=f"'Collective' fall: {fall:.0f} % ({definition.lower()})",
            width=WIDTH - 100,
            height=260,
        )
    )
    text = (
        f"Mean lead time of each trust's pathway before and after redesign (synthetic). Defined "
        f"as the {definition.lower()}, the collective fall is {fall:.0f} %. The three "
        f"definitions give {', '.join(f'{collective_fall(d):.0f} %' for d in DEFINITIONS)}: "
        "the long pathways dominate any sum of hours."
    )
    return bars, text
