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

from .kinds import CHART_KINDS
from .rulesets import RULE_SETS

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
    return CHART_KINDS[chart_type].centre


def describe(res: QicResult) -> str:
    """Return the description paragraph of a :class:`QicResult`."""
    d = res.data
    name = res.labels.get("chart_name", res.chart_type)
    sentences: list[str] = []
    # the y-axis title the author chose ("% of opportunities compliant") says what is measured
    # to a screen-reader user; the column name ("compliant") may not
    what = res.labels.get("ylab") or res.labels.get("y_name")
    span = f"from {_xtext(d['x'].iloc[0])} to {_xtext(d['x'].iloc[-1])}"
    parts = int(d["part"].max())
    rules = RULE_SETS[res.rule_set]
    intro = rules.describe_intro(name)
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
            s += f", with {'process' if rules.labels_points else 'control'} limits {avg}from "
            s += f"{_num(row['a_lcl'])} to {_num(row['a_ucl'])}"
        sentences.append(s + ".")
        sentences.append(_runs_sentence(res, row))
        out = g[g["sigma_signal"]]
        if not rules.labels_points and g["ucl"].notna().any():
            if len(out):
                left_out = out[~out["include"].astype(bool)]
                aside = (
                    f" ({_points(left_out['x'])} {'is' if len(left_out) == 1 else 'are'} "
                    "excluded from the calculations)"
                    if len(left_out)
                    else ""
                )
                sentences.append(
                    f"{len(out)} point{'s' if len(out) != 1 else ''} "
                    f"{'lie' if len(out) != 1 else 'lies'} outside the limits, a sign of special "
                    f"cause variation: {_points(out['x'])}{aside}."
                )
            else:
                sentences.append("No point lies outside the limits.")
    sentences.extend(rules.extra_sentences(res))
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


def _runs_sentence(res: QicResult, row: pd.Series) -> str:
    """The rule set's sentence on one part (nothing when no point is useful)."""
    if pd.isna(row["n_useful"]) or row["n_useful"] == 0:
        return ""
    rules = RULE_SETS[res.rule_set]
    if res.labels.get("categorical") or not CHART_KINDS[res.chart_type].time_ordered:
        return rules.unordered_sentence()
    return rules.runs_sentence(res, row)
