"""A plain-English description of a chart, for screen readers and for learners' notes.

A chart is only accessible if what it *shows* can be read without seeing it (WCAG 2.2, 1.1.1
non-text content). The paragraph names the chart, its span, the centre line and limits of each
part, the runs analysis verdict with the numbers behind it, the points outside the limits, the
target, annotations and, for Making Data Count, the variation and assurance icons.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from . import control_rules, rulesets
from . import mdc as mdc_rules

if TYPE_CHECKING:
    from .result import QicResult

MAX_LISTED = 5


def _num(value: Any) -> str:
    """Short, readable number: 3 significant figures, thousands separated."""
    if value is None or pd.isna(value):
        return "not available"
    value = float(value)
    if value == 0:
        return "0"
    magnitude = abs(value)
    if magnitude >= 1000:
        return f"{value:,.0f}"
    return f"{value:.3g}"


def _xtext(value: Any) -> str:
    if isinstance(value, pd.Timestamp):
        # no "%-d": Windows' strftime lacks it, and ward PCs run Windows
        text = f"{value.day} {value.strftime('%B %Y')}"
        return text if value == value.normalize() else f"{text} {value.strftime('%H:%M')}"
    if isinstance(value, (float, np.floating)) and float(value).is_integer():
        return str(int(value))
    return str(value)


def _points(xs: pd.Series) -> str:
    items = [_xtext(v) for v in xs.iloc[:MAX_LISTED]]
    more = len(xs) - MAX_LISTED
    text = ", ".join(items)
    if more > 0:
        text += f" and {more} more"
    return text


def centre_name(chart_type: str) -> str:
    """What the centre line is: the median on run and g charts, otherwise the mean.

    >>> centre_name("run"), centre_name("g"), centre_name("p")
    ('median', 'median', 'mean')
    """
    return "median" if chart_type in ("run", "g") else "mean"


def describe(res: QicResult) -> str:
    """Return the description paragraph of a :class:`QicResult`."""
    d = res.data
    name = res.labels.get("chart_name", res.chart_type)
    sentences: list[str] = []
    what = res.labels.get("y_name")
    span = f"from {_xtext(d['x'].iloc[0])} to {_xtext(d['x'].iloc[-1])}"
    parts = int(d["part"].max())
    intro = f"{name[0].upper()}{name[1:]}"
    if res.method == "mdc":
        intro = "XmR chart with Making Data Count rules"
    if what:
        intro += f" of {what}"
    intro += f", {len(d)} points {span}"
    if parts > 1:
        intro += f", in {parts} parts with the centre line recalculated for each"
    sentences.append(intro + ".")
    freeze = res.labels.get("freeze")
    if freeze is not None and freeze < len(d):
        what = (
            "The centre line and limits come" if d["ucl"].notna().any() else "The centre line comes"
        )
        sentences.append(
            f"{what} from the first {freeze} points (the baseline) and "
            f"{'are' if d['ucl'].notna().any() else 'is'} extended over the rest."
        )
    excluded = d.loc[~d["include"], "x"]
    if len(excluded):
        sentences.append(f"Excluded from the calculations: {_points(excluded)}.")

    centre = centre_name(res.chart_type)
    for _, row in res.summary.iterrows():
        k = int(row["part"])
        g = d[d["part"] == k]
        lead = f"In part {k}, the" if parts > 1 else "The"
        s = f"{lead} centre line ({centre}) is {_num(row['cl'])}"
        if pd.notna(row["a_lcl"]) or pd.notna(row["a_ucl"]):
            varying = g["ucl"].nunique(dropna=True) > 1
            avg = "on average " if varying else ""
            s += f", with {'process' if res.method == 'mdc' else 'control'} limits {avg}from "
            s += f"{_num(row['a_lcl'])} to {_num(row['a_ucl'])}"
        sentences.append(s + ".")
        sentences.append(_runs_sentence(res, row, g))
        out = g[g["sigma_signal"]]
        if res.method != "mdc" and g["ucl"].notna().any():
            if len(out):
                sentences.append(
                    f"{len(out)} point{'s' if len(out) != 1 else ''} "
                    f"{'lie' if len(out) != 1 else 'lies'} outside the limits, a sign of special "
                    f"cause variation: {_points(out['x'])}."
                )
            else:
                sentences.append("No point lies outside the limits.")
    if res.method == "mdc":
        sentences.extend(_mdc_sentences(res))
    target = d["target"].dropna()
    if len(target):
        if target.nunique() == 1:
            sentences.append(f"The target is {_num(target.iloc[0])}.")
        else:
            sentences.append(f"The target changes over time, ending at {_num(target.iloc[-1])}.")
    notes = d.loc[d["notes"].notna(), ["x", "notes"]]
    if len(notes):
        listed = "; ".join(f"{_xtext(x)}: {n}" for x, n in notes.itertuples(index=False))
        sentences.append(f"Annotations: {listed}.")
    return " ".join(s for s in sentences if s)


def _runs_sentence(res: QicResult, row: pd.Series, g: pd.DataFrame) -> str:
    if res.method == "mdc" or pd.isna(row["n_useful"]) or row["n_useful"] == 0:
        return ""
    if res.labels.get("categorical") or res.chart_type == "mr":
        if res.rule_set == rulesets.PROVOST_MURRAY:
            return (
                "Provost & Murray's control-chart rules: only the rule of a point outside the "
                "limits applies to this chart (its order carries no time)."
            )
        return "Runs analysis is not applied to this chart."
    if res.rule_set == rulesets.PROVOST_MURRAY:
        return _control_rules_sentence(row)
    lr, lr_max = int(row["longest_run"]), int(row["longest_run_max"])
    nc = int(row["n_crossings"])
    if res.rule_set == rulesets.IHI_RUN:
        parts = [
            f"The longest run on one side of the centre line is {lr} point{'s' if lr != 1 else ''} "
            f"(6 or more is a shift)",
            f"the longest trend is {int(row['longest_trend'])} points (5 or more is a trend)",
        ]
        if pd.notna(row.get("n_runs_min")):
            parts.append(
                f"there are {int(row['n_runs'])} runs (between {int(row['n_runs_min'])} and "
                f"{int(row['n_runs_max'])} are expected by chance for {int(row['n_useful'])} "
                f"useful points)"
            )
        else:
            parts.append(
                f"there are {int(row['n_runs'])} runs (the IHI table covers 10 to 60 useful "
                f"points, so too few or too many runs is not assessed here)"
            )
        found = [
            label
            for key, label in (
                ("shift", "a shift"),
                ("trend", "a trend"),
                ("too_few_runs", "too few runs"),
                ("too_many_runs", "too many runs"),
            )
            if row.get(key) is True
        ]
        verdict = (
            "so the IHI run-chart rules find " + " and ".join(found)
            if found
            else "so the IHI run-chart rules find no non-random pattern"
        )
        return "; ".join(parts) + ", " + verdict + " (astronomical points are not assessed)."
    ncm = row["n_crossings_min"]
    s = (
        f"Anhøj rules: the longest run on one side of the centre line is {lr} "
        f"point{'s' if lr != 1 else ''} (more than {lr_max} would be unusual) and the data "
        f"cross the centre line {nc} "
        f"time{'s' if nc != 1 else ''} (fewer than {int(ncm)} would be unusual)"
    )
    if bool(row["runs_signal"]):
        return s + ", so the runs analysis signals non-random variation, such as a shift."
    return s + ", so the runs analysis finds no sign of non-random variation."


def _control_rules_sentence(row: pd.Series) -> str:
    """Provost & Murray's rules 2–5 for one part, with the numbers behind each verdict."""
    lr = row["longest_run"]
    parts = [
        f"the longest run on one side of the centre line is {_count(lr)} "
        f"({control_rules.SHIFT} or more is a shift)",
        f"the longest trend is {_count(row['longest_trend'])} "
        f"({control_rules.TREND} or more all going up or all going down is a trend)",
    ]
    if pd.isna(row.get("two_of_three")):
        parts.append("the zone rules (2 of 3 beyond 2σ, 15 within 1σ) are not assessed")
    else:
        two = int(row["two_of_three_points"])
        parts.append(
            f"{two} point{'s' if two != 1 else ''} "
            f"{'are' if two != 1 else 'is'} part of 2 of 3 consecutive points beyond 2σ on the "
            f"same side"
        )
        parts.append(
            f"the longest run within 1σ of the centre line is {_count(row['longest_inner_run'])} "
            f"({control_rules.INNER} or more is too little variation for the limits)"
        )
    found = [
        label
        for key, label in (
            ("shift", "a shift"),
            ("trend", "a trend"),
            ("two_of_three", "2 of 3 points beyond 2σ"),
            ("inner_third", "15 or more points within 1σ"),
        )
        if row.get(key) is True
    ]
    verdict = (
        "so they find " + " and ".join(found) + ", a sign of special cause variation"
        if found
        else "so they find no special cause pattern within the limits"
    )
    return "Provost & Murray's control-chart rules: " + "; ".join(parts) + ", " + verdict + "."


def _count(value: Any) -> str:
    if value is None or pd.isna(value):
        return "not available"
    v = int(value)
    return f"{v} point{'s' if v != 1 else ''}"


def _mdc_sentences(res: QicResult) -> list[str]:
    d = res.data
    out: list[str] = []
    kinds = d["point_type"].astype(str)
    special = d[kinds != mdc_rules.COMMON]
    if len(special):
        rules = special["mdc_rule"].value_counts()
        listed = ", ".join(f"{n} flagged by '{r}'" for r, n in rules.items())
        out.append(f"{len(special)} points show special cause variation: {listed}.")
    else:
        out.append("All points show common cause variation.")
    if res.variation:
        out.append(
            f"Variation icon (from the last point): {mdc_rules.VARIATION_TEXT[res.variation]}."
        )
    if res.assurance:
        out.append(f"Assurance icon: {mdc_rules.ASSURANCE_TEXT[res.assurance]}.")
    return out
