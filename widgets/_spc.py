"""A fast interactive drawing of a :func:`qilab.measure.qic` result for the simulations.

``res.chart()`` builds a fresh Altair chart on every call (about 50 ms, more on a busy
machine); a slider in a simulation needs the whole update under 100 ms. This view draws the
same things – data, centre line (dashed in the signal colour when the runs rules fire,
dotted where a frozen baseline is extended), limits, target, signal points, notes and the
baseline boundary – from a spec built once, swapping only the rows from ``res.data`` on each
update. All statistics (centre line, limits, which points signal) come from qic; nothing here
computes SPC.
"""

from __future__ import annotations

import textwrap
from typing import Any

import altair as alt
import numpy as np
import pandas as pd

from qilab.measure.chart import EXCLUDED_SHAPE, point_status, rule_set_caption
from qilab.theme import CHART_WIDTH, COLOURS

SOLID, DASHED, DOTTED = [1, 0], [6, 4], [2, 3]
_MDC_COLOURS = {
    "special_cause_improvement": COLOURS["improvement"],
    "special_cause_concern": COLOURS["concern"],
    "special_cause_neutral_high": COLOURS["signal"],
    "special_cause_neutral_low": COLOURS["signal"],
}


def _flag(d: pd.DataFrame, col: str) -> np.ndarray:
    if col not in d:
        return np.zeros(len(d), dtype=bool)
    return d[col].fillna(False).to_numpy(dtype=bool)


def frames(res: Any) -> dict[str, pd.DataFrame]:
    """The rows the template draws: ``points`` (one per point, plus a bridge) and ``rules``."""
    d = res.data.reset_index(drop=True)
    n = len(d)
    include = d["include"].to_numpy(dtype=bool) if "include" in d else np.ones(n, dtype=bool)
    why = point_status(res)  # the static chart's wording: the two drawings never disagree
    special = (why != "") & include
    colour = np.where(special, COLOURS["signal"], COLOURS["data"]).astype(object)
    if "point_type" in d:
        kinds = d["point_type"].astype(str).to_numpy()
        colour = np.array([_MDC_COLOURS.get(k, COLOURS["data"]) for k in kinds], dtype=object)
    colour[~include] = COLOURS["muted"]
    freeze = res.labels.get("freeze") if hasattr(res, "labels") else None
    extended = (
        np.arange(1, n + 1) > freeze
        if freeze is not None and freeze < n
        else np.zeros(n, dtype=bool)
    )
    runs = _flag(d, "runs_signal")
    points = pd.DataFrame(
        {
            "x": d["x"].to_numpy(),
            "y": d["y"].to_numpy(dtype=float),
            "cl": d["cl"].to_numpy(dtype=float),
            "lcl": d["lcl"].to_numpy(dtype=float),
            "ucl": d["ucl"].to_numpy(dtype=float),
            "target": d["target"].to_numpy(dtype=float) if "target" in d else np.nan,
            "part": d["part"].to_numpy(),
            "note": d["notes"].where(d["notes"].notna(), "") if "notes" in d else "",
            "signal": why,
            "colour": colour,
            "shape": np.where(include, np.where(special, "diamond", "circle"), EXCLUDED_SHAPE),
            "cl_colour": np.where(runs, COLOURS["signal"], COLOURS["centre"]),
            "cl_dash": [
                DASHED if r else (DOTTED if e else SOLID)
                for r, e in zip(runs, extended, strict=True)
            ],
            "segment": [f"{p}-{int(e)}" for p, e in zip(d["part"], extended, strict=True)],
            "bridge": False,
        }
    )
    if extended.any():
        # repeat the last baseline row at the start of the extension so the centre lines meet
        bridge = points.iloc[[int(freeze) - 1]].copy()
        bridge["segment"] = f"{bridge['part'].iloc[0]}-1"
        bridge["cl_dash"] = [DASHED if runs[int(freeze)] else DOTTED]
        bridge[["y", "lcl", "ucl", "target"]] = np.nan
        bridge["bridge"] = True
        points = pd.concat([points, bridge], ignore_index=True)
    rules = []
    xs = d["x"].to_numpy(dtype=float)
    if freeze is not None and freeze < n:
        rules.append(
            {
                "x": (xs[freeze - 1] + xs[freeze]) / 2,
                "label": "baseline",
                "colour": COLOURS["limit"],
            }
        )
    for i in np.flatnonzero(np.diff(d["part"].to_numpy()) != 0) + 1:
        rules.append({"x": (xs[i - 1] + xs[i]) / 2, "label": "", "colour": COLOURS["limit"]})
    if "notes" in d:
        for xv, note in zip(xs, d["notes"], strict=True):
            if isinstance(note, str) and note:
                rules.append({"x": xv, "label": note, "colour": COLOURS["annotation"]})
    rule_frame = pd.DataFrame(rules, columns=["x", "label", "colour"])
    rule_frame["label_y"] = 2 + 16 * (np.arange(len(rule_frame)) % 3)
    return {"points": points, "rules": rule_frame}


def template(ylab: str, xlab: str) -> alt.TopLevelMixin:
    """The chart, with its rows named so that :meth:`ChartArea.draw_data` can swap them."""
    # Every simulation numbers its points (point, day, draw): tick at whole numbers only.
    x = alt.X(
        "x:Q",
        title=xlab,
        axis=alt.Axis(tickMinStep=1, format="d"),
        scale=alt.Scale(zero=False, nice=False),
    )
    y = alt.Y("y:Q", title=ylab, scale=alt.Scale(zero=False))
    base = alt.Chart(alt.Data(name="points")).encode(x=x)
    layers: list[alt.Chart] = [
        base.mark_line(interpolate="step", color=COLOURS["limit"], strokeWidth=1.5)
        .encode(y=alt.Y(f"{col}:Q"), detail="part:N")
        .transform_filter(f"isValid(datum.{col})")
        for col in ("lcl", "ucl")
    ]
    layers += [
        base.mark_line(interpolate="step", strokeWidth=2)
        .encode(
            y="cl:Q",
            detail="segment:N",
            color=alt.Color("cl_colour:N", scale=None),
            strokeDash=alt.StrokeDash("cl_dash:N", scale=None),
        )
        .transform_filter("isValid(datum.cl)"),
        base.mark_line(color=COLOURS["target"], strokeDash=[2, 2], strokeWidth=1.5)
        .encode(y="target:Q")
        .transform_filter("isValid(datum.target)"),
        base.mark_line(color=COLOURS["data"], strokeWidth=1.5)
        .encode(y=y, detail="part:N")
        .transform_filter("!datum.bridge"),
        base.mark_point(filled=True, size=45, opacity=1)
        .encode(
            y=y,
            color=alt.Color("colour:N", scale=None),
            shape=alt.Shape("shape:N", scale=None),
            tooltip=[
                alt.Tooltip("x:Q", title="point"),
                alt.Tooltip("y:Q", title="value", format=",.4~g"),
                alt.Tooltip("cl:Q", title="centre line", format=",.4~g"),
                alt.Tooltip("lcl:Q", title="lower limit", format=",.4~g"),
                alt.Tooltip("ucl:Q", title="upper limit", format=",.4~g"),
                alt.Tooltip("signal:N", title="signal"),
                alt.Tooltip("note:N", title="note"),
            ],
        )
        .transform_filter("isValid(datum.y) && !datum.bridge"),
    ]
    rules = alt.Chart(alt.Data(name="rules"))
    layers += [
        rules.mark_rule(strokeWidth=1, strokeDash=[4, 4]).encode(
            x="x:Q", color=alt.Color("colour:N", scale=None)
        ),
        rules.mark_text(align="left", baseline="top", dx=3, dy=2, fontSize=12).encode(
            x="x:Q",
            y=alt.Y("label_y:Q", scale=None),
            text="label:N",
            color=alt.Color("colour:N", scale=None),
        ),
    ]
    return alt.layer(*layers).properties(width=CHART_WIDTH, height=300)


def draw(area: Any, res: Any, title: str, ylab: str, xlab: str) -> None:
    """Draw *res* in a :class:`qilab.widgets._ui.ChartArea` (fast after the first call)."""
    area.draw_data(
        f"spc|{ylab}|{xlab}",
        lambda: template(ylab, xlab),
        frames(res),
        res.describe(),
        # every chart names the rule set that decided its signals
        title={"text": title, "subtitle": textwrap.wrap(rule_set_caption(res), 95)},
    )
    area.result = res
