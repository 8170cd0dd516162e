"""Altair spec of a run or control chart, drawn the way qicharts2 and NHS analysts draw them.

* data line and points (points not joined across parts; categorical x gets dots only);
* centre line per part, dashed and in the signal colour when the runs analysis signals (as
  qicharts2), dotted where a frozen baseline is extended over later points;
* limits as step lines (they step where the denominator changes);
* points outside the limits in ``COLOURS["signal"]`` (MDC: improvement/concern colours), excluded
  points muted, points in an IHI or Provost & Murray rule signal highlighted;
* part boundaries and the end of the baseline as light vertical rules; target line; annotations
  (PDSA cycles, notes) as labelled vertical rules;
* the text description (``describe()``) in the spec's ``description`` so screen readers get it;
* a legend naming every line and marker on the chart, and a subtitle naming the rule set that
  decided the signals (every chart says which rules it applied);
* signal points told apart by shape as well as colour (diamond: outside the limits; square:
  part of a run or trend signal), so the chart reads in greyscale and for colour-blind readers;
* a fixed default width (:data:`qilab.theme.CHART_WIDTH`) that fits JupyterLab, Voila and the
  static case pages: a "container" width measured 0 px inside JupyterLab's output area and the
  charts came out blank.

The data is embedded as inline values (a plain ``{"values": ...}`` dict), which Altair passes
through without its 5 000-row check, so a 10 000-point chart builds without touching the global
data-transformer setting, and nothing is fetched from the internet.
"""

from __future__ import annotations

import textwrap
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import altair as alt
import numpy as np
import pandas as pd
from altair.utils.schemapi import Undefined, UndefinedType

from qilab.theme import CHART_HEIGHT, CHART_WIDTH, COLOURS

from . import control_rules
from . import mdc as mdc_rules
from .kinds import CHART_KINDS
from .rulesets import RULE_SETS

if TYPE_CHECKING:
    from .result import QicResult

SOLID: list[int] = []
DASHED = [6, 4]
DOTTED = [2, 3]


def make_chart(
    res: QicResult,
    *,
    title: str | None = None,
    ylab: str | None = None,
    xlab: str | None = None,
    annotations: Mapping[Any, str] | None = None,
    width: int = CHART_WIDTH,
    height: int = CHART_HEIGHT,
    show_notes: bool = True,
    show_95: bool = False,
) -> alt.LayerChart:
    """Build the chart of a :class:`QicResult`.

    Parameters
    ----------
    title, ylab, xlab : str, optional
        Chart title and axis titles (defaults come from ``qic(title=..., ...)`` or the chart
        type).
    annotations : mapping, optional
        ``{x value: label}``, e.g. ``{"2024-03-01": "PDSA 1: new sepsis trolley"}``; keys are
        x-axis values (dates, or point numbers 1, 2, … when no x was given). Drawn as vertical
        rules with labels, together with any ``notes`` given to ``qic``.
    width, height : int
        Size of the plotting area in pixels (default 640 × 320, which fits a JupyterLab
        output, a Voila page and a printed A4 page).
    show_notes : bool, default True
        Draw ``notes`` as annotations.
    show_95 : bool, default False
        Also draw the 2σ (95 %) limits, faintly.
    """
    from .describe import describe

    d = res.data
    labels = res.labels
    x_kind = _x_kind(d["x"])
    whole = _whole_numbers(d["x"]) if x_kind == "Q" else False
    frame = _chart_frame(res, x_kind)
    base = alt.Chart().encode(
        x=_x_encoding(x_kind, xlab or labels.get("xlab") or _xlab(res), whole=whole)
    )
    y_title = ylab or labels.get("ylab") or _ylab(res)
    y_enc = alt.Y("y:Q", title=y_title, scale=alt.Scale(zero=False))

    layers: list[alt.Chart] = []
    if d["ucl"].notna().any():
        for col in ("lcl", "ucl"):
            layers.append(
                base.mark_line(interpolate="step", color=COLOURS["limit"], strokeWidth=1.5)
                .encode(y=alt.Y(f"{col}:Q"), detail="part:N")
                .transform_filter(f"isValid(datum.{col})")
            )
        if show_95:
            for col in ("lcl_95", "ucl_95"):
                layers.append(
                    base.mark_line(
                        interpolate="step", color=COLOURS["limit"], strokeWidth=1, opacity=0.5
                    )
                    .encode(y=alt.Y(f"{col}:Q"), detail="part:N")
                    .transform_filter(f"isValid(datum.{col})")
                )
    layers.append(
        base.mark_line(interpolate="step", strokeWidth=2)
        .encode(
            y=alt.Y("cl:Q"),
            detail="cl_segment:N",
            color=alt.Color("cl_colour:N", scale=None),
            strokeDash=alt.StrokeDash("cl_dash:N", scale=None),
        )
        .transform_filter("isValid(datum.cl)")
    )
    if d["target"].notna().any():
        layers.append(
            base.mark_line(color=COLOURS["target"], strokeDash=[2, 2], strokeWidth=1.5)
            .encode(y=alt.Y("target:Q"))
            .transform_filter("isValid(datum.target)")
        )
    if not labels.get("categorical"):
        # MDC charts draw the data line grey so improvement (blue) and concern (orange) stand out
        line_colour = COLOURS["limit"] if RULE_SETS[res.rule_set].labels_points else COLOURS["data"]
        layers.append(
            base.mark_line(color=line_colour, strokeWidth=1.5, invalid="break-paths-show-domains")
            .encode(y=y_enc, detail="part:N")
            .transform_filter("!datum.bridge")
        )
    x_title = xlab or labels.get("xlab") or _xlab(res)
    tooltip = _tooltip(frame, x_kind, x_title, y_title)
    layers.append(
        base.mark_point(filled=True, size=40, opacity=1)
        .encode(
            y=y_enc,
            color=alt.Color("point_colour:N", scale=None),
            shape=alt.Shape("point_shape:N", scale=None),
            tooltip=tooltip,
        )
        .transform_filter("isValid(datum.y) && !datum.bridge")
    )
    rules = _rules(res, frame, annotations if annotations is not None else {}, show_notes)
    if rules:
        rule_frame = pd.DataFrame(rules)
        rule_data = {"values": _records(rule_frame, x_kind)}
        rx = _x_encoding(x_kind, None, whole=whole)
        layers.append(
            alt.Chart(rule_data)
            .mark_rule(strokeWidth=1)
            .encode(
                x=rx,
                color=alt.Color("colour:N", scale=None),
                strokeDash=alt.StrokeDash("dash:N", scale=None),
            )
        )
        text = rule_frame[rule_frame["label"].astype(bool)].copy()
        if len(text):
            # stagger labels over three rows so neighbouring annotations don't overprint
            text = text.sort_values("x", kind="stable")
            text["label_y"] = 2 + 16 * (np.arange(len(text)) % 3)
            layers.append(
                alt.Chart({"values": _records(text, x_kind)})
                .mark_text(align="left", baseline="top", dx=3, dy=2, angle=0, fontSize=12)
                .encode(
                    x=rx,
                    y=alt.Y("label_y:Q", scale=None),
                    text="label:N",
                    color=alt.Color("colour:N", scale=None),
                )
            )
    layers.append(_legend_layer(res, frame))
    chart_title = title or labels.get("title") or _title(res)
    chart = (
        alt.layer(*layers, data={"values": _records(frame, x_kind)})
        # the legend layer's scales must not recolour the marks coloured directly
        .resolve_scale(
            color="independent",
            fill="independent",
            stroke="independent",
            shape="independent",
            strokeDash="independent",
        )
        .properties(
            title=alt.TitleParams(chart_title, subtitle=textwrap.wrap(rule_set_caption(res), 95)),
            height=height,
            width=width,
            description=describe(res),
        )
    )
    return chart


def _x_kind(x: pd.Series) -> str:
    if pd.api.types.is_datetime64_any_dtype(x):
        return "T"
    if pd.api.types.is_numeric_dtype(x):
        return "Q"
    return "O"


def _whole_numbers(x: pd.Series) -> bool:
    """True when every x is a whole number (a point, draw or week number, not a measurement)."""
    values = pd.to_numeric(x, errors="coerce").dropna()
    return bool(len(values)) and bool((values % 1 == 0).all())


def _x_encoding(kind: str, title: str | None, whole: bool = False) -> alt.X:
    if kind == "T":
        return alt.X("x:T", title=title, scale=alt.Scale(padding=8))
    if kind == "Q":
        # Numbered points (draw 1-6) tick at whole numbers only: never "1.4" or "2.2".
        axis = alt.Axis(tickMinStep=1, format="d") if whole else alt.Axis()
        return alt.X(
            "x:Q", title=title, axis=axis, scale=alt.Scale(zero=False, nice=False, padding=8)
        )
    return alt.X("x:O", title=title, sort=None)


def _chart_frame(res: QicResult, x_kind: str) -> pd.DataFrame:
    """Columns the layers encode: colours and dash patterns decided here, not in Vega."""
    d = res.data
    frame = d[["x", "y", "cl", "lcl", "ucl", "lcl_95", "ucl_95", "part", "target", "notes"]].copy()
    frame["sigma_signal"] = d["sigma_signal"].to_numpy()
    frame["runs_signal"] = d["runs_signal"].to_numpy()
    frame["include"] = d["include"].to_numpy()
    frame["part"] = d["part"].to_numpy()
    frame["notes"] = d["notes"].astype(object).where(d["notes"].notna(), "")  # tooltip: no "null"

    colour = np.full(len(d), COLOURS["data"], dtype=object)
    shape = np.full(len(d), "circle", dtype=object)
    if "point_type" in d:
        kind = d["point_type"].astype(str).to_numpy()
        colour[kind == mdc_rules.IMPROVEMENT] = COLOURS["improvement"]
        colour[kind == mdc_rules.CONCERN] = COLOURS["concern"]
        neutral = np.char.startswith(kind.astype(str), "special_cause_neutral")
        colour[neutral] = COLOURS["signal"]
        special = kind != mdc_rules.COMMON
        shape[special] = "diamond"
        if res.improvement != 0:  # improvement in blue, concern in orange; common cause grey
            colour[kind == mdc_rules.COMMON] = COLOURS["muted"]
            colour[kind == mdc_rules.IMPROVEMENT] = COLOURS["improvement"]
    else:
        highlight = d["sigma_signal"].to_numpy(dtype=bool)
        for col, col_type in RULE_SETS[res.rule_set].point_columns.items():
            if col_type is bool:  # points in a shift, trend or other pattern the rule set marks
                highlight = highlight | d[col].to_numpy(dtype=bool)
        colour[highlight] = COLOURS["signal"]
        shape[highlight] = "square"
        shape[d["sigma_signal"].to_numpy(dtype=bool)] = "diamond"
    excluded = ~d["include"].to_numpy(dtype=bool)
    colour[excluded] = COLOURS["muted"]
    shape[excluded] = EXCLUDED_SHAPE
    frame["point_colour"] = colour
    frame["point_shape"] = shape
    frame["point_status"] = point_status(res)
    frame["bridge"] = False

    # Centre-line segments: per part, and split where a frozen baseline ends.
    freeze = res.labels.get("freeze")
    extended = np.zeros(len(d), dtype=bool)
    if freeze is not None and freeze < len(d):
        extended = np.arange(1, len(d) + 1) > freeze
    runs = d["runs_signal"].to_numpy(dtype=bool)
    if RULE_SETS[res.rule_set].labels_points:  # MDC marks points; the mean stays plain
        runs = np.zeros(len(d), dtype=bool)
    frame["cl_colour"] = np.where(runs, COLOURS["signal"], COLOURS["centre"])
    frame["cl_dash"] = _patterns(np.where(runs, 2, np.where(extended, 1, 0)))
    frame["cl_segment"] = np.char.add(
        d["part"].to_numpy().astype(str), np.where(extended, "-1", "-0")
    ).astype(object)
    if freeze is not None and extended.any():
        # repeat the last baseline row at the start of the extension so the lines meet
        last = int(freeze) - 1
        bridge = frame.iloc[[last]].copy()
        bridge["cl_segment"] = f"{d['part'].iloc[last]}-1"
        bridge["cl_dash"] = [DASHED if runs[last + 1] else DOTTED]
        bridge[["y", "lcl", "ucl", "lcl_95", "ucl_95", "target"]] = np.nan
        bridge["point_colour"] = None
        bridge["bridge"] = True
        frame = pd.concat([frame, bridge], ignore_index=True)
    return frame


#: Excluded points are drawn as crosses: muted *and* a different shape, so nobody reads them as
#: ordinary data points in greyscale or at a glance.
EXCLUDED_SHAPE = "cross"


def point_status(res: QicResult) -> np.ndarray:
    """Why each point looks as it does, for its tooltip ("" for an ordinary point).

    The wording comes from the rule set's own labels (Making Data Count's rule names, the
    control-chart rules' point columns), so a tooltip never disagrees with ``describe()``.
    """
    d = res.data
    status = np.full(len(d), "", dtype=object)
    if "point_type" in d and "mdc_rule" in d:
        special = d["point_type"].astype(str).to_numpy() != mdc_rules.COMMON
        names = d["mdc_rule"].astype(str).map(lambda r: mdc_rules.RULE_NAMES.get(r, r))
        status = np.where(special, names.to_numpy(dtype=object), status)
    else:
        for col, text in control_rules.POINT_COLUMNS.items():
            if col in d:
                status = np.where((status == "") & d[col].to_numpy(dtype=bool), text, status)
        status = np.where(d["sigma_signal"].to_numpy(dtype=bool), "outside the limits", status)
    status[~d["include"].to_numpy(dtype=bool)] = "excluded from the calculations"
    return status


def _patterns(codes: np.ndarray) -> np.ndarray:
    """Dash pattern per row from codes 0 solid, 1 dotted, 2 dashed (object array of lists)."""
    out = np.empty(codes.size, dtype=object)
    for code, pattern in enumerate((SOLID, DOTTED, DASHED)):
        hit = np.flatnonzero(codes == code)
        out[hit] = [pattern] * hit.size
    return out


def _records(frame: pd.DataFrame, x_kind: str) -> list[dict[str, Any]]:
    """JSON-ready rows: ISO dates (parsed as local time by Vega), None for missing."""
    out = frame.copy()
    if x_kind == "T":
        out["x"] = pd.to_datetime(out["x"]).dt.strftime("%Y-%m-%dT%H:%M:%S")
    elif x_kind == "O":
        out["x"] = out["x"].astype(str)
    records = out.to_dict(orient="records")
    return [{str(k): _plain(v) for k, v in row.items()} for row in records]


def _plain(value: Any) -> Any:
    if isinstance(value, (np.bool_,)):
        return bool(value)
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return None if np.isnan(value) else float(value)
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    return value


def _tooltip(frame: pd.DataFrame, x_kind: str, x_title: str, y_title: str) -> list[alt.Tooltip]:
    """What a point says on hover, titled with the chart's own axis titles (not column names)."""
    d = frame[~frame["bridge"]]
    x_format: str | UndefinedType = Undefined
    if x_kind == "T":  # monthly data (every date the 1st) reads "Mar 2024", daily "05 Mar 2024"
        x_format = "%b %Y" if pd.to_datetime(d["x"]).dt.day.eq(1).all() else "%d %b %Y"
    tips = [
        alt.Tooltip(f"x:{x_kind}", title=x_title or "point", format=x_format),
        alt.Tooltip("y:Q", title=y_title or "value", format=",.4~g"),
        alt.Tooltip("cl:Q", title="centre line", format=",.4~g"),
    ]
    if d["ucl"].notna().any():
        tips += [
            alt.Tooltip("lcl:Q", title="lower limit", format=",.4~g"),
            alt.Tooltip("ucl:Q", title="upper limit", format=",.4~g"),
        ]
    if d["notes"].astype(bool).any():
        tips.append(alt.Tooltip("notes:N", title="note"))
    if d["point_status"].astype(bool).any():
        tips.append(alt.Tooltip("point_status:N", title="this point"))
    return tips


def _rules(
    res: QicResult, frame: pd.DataFrame, annotations: Mapping[Any, str], show_notes: bool
) -> list[dict[str, Any]]:
    """Vertical rules: part boundaries, end of baseline, annotations and notes."""
    d = res.data
    xs = d["x"].reset_index(drop=True)
    rules: list[dict[str, Any]] = []
    starts = np.flatnonzero(np.diff(d["part"].to_numpy()) != 0) + 1
    for i in starts:
        rules.append(
            {"x": _between(xs, int(i)), "label": "", "colour": COLOURS["limit"], "dash": [4, 4]}
        )
    freeze = res.labels.get("freeze")
    if freeze is not None and freeze < len(d):
        rules.append(
            {
                "x": _between(xs, int(freeze)),
                # the label sits right of the rule, over the points *after* the baseline:
                # a bare "baseline" there read as naming the later period
                "label": "end of baseline",
                "colour": COLOURS["limit"],
                "dash": [4, 4],
            }
        )
    if show_notes:
        for xv, note in zip(xs, d["notes"], strict=True):
            if isinstance(note, str) and note:
                rules.append({"x": xv, "label": note, "colour": COLOURS["annotation"], "dash": []})
    for key, label in annotations.items():
        rules.append(
            {
                "x": _annotation_x(key, xs),
                "label": str(label),
                "colour": COLOURS["annotation"],
                "dash": [],
            }
        )
    return rules


def _between(xs: pd.Series, i: int) -> Any:
    """Halfway between point i−1 and point i (0-based), where a boundary is drawn."""
    a, b = xs.iloc[i - 1], xs.iloc[i]
    if pd.api.types.is_datetime64_any_dtype(xs):
        return a + (b - a) / 2
    if pd.api.types.is_numeric_dtype(xs):
        return (float(a) + float(b)) / 2
    return b


def _annotation_x(key: Any, xs: pd.Series) -> Any:
    """Annotation keys are x values; dates may be given as text."""
    from ._validate import as_date, fail

    if pd.api.types.is_datetime64_any_dtype(xs):
        try:
            return as_date(key)
        except (TypeError, ValueError) as err:
            raise fail(
                f"Annotation key {key!r} is not a date, but the x axis holds dates. Write "
                "dates as on the chart's data, e.g. '08/04/2024' (day first) or '2024-04-08'."
            ) from err
    if pd.api.types.is_numeric_dtype(xs):
        try:
            return float(key)
        except (TypeError, ValueError) as err:
            raise fail(
                f"Annotation key {key!r} is not a number, but the x axis is numeric."
            ) from err
    return str(key)


def _title(res: QicResult) -> str:
    name = res.labels.get("chart_name", res.chart_type)
    y_name = res.labels.get("y_name")
    n_name = res.labels.get("n_name")
    what = ""
    if y_name:
        what = f" of {y_name}" + (f" / {n_name}" if n_name else "")
        if res.multiply != 1:
            what += f" × {res.multiply:g}"
    return RULE_SETS[res.rule_set].chart_title(name, what)


def _ylab(res: QicResult) -> str:
    return CHART_KINDS[res.chart_type].y_label(res.multiply) or res.labels.get("y_name") or "Value"


def _xlab(res: QicResult) -> str:
    return res.labels.get("x_name") or "Subgroup"


def rule_set_caption(res: QicResult) -> str:
    """One line naming the rules that decided this chart's signals, with their thresholds.

    >>> import numpy as np
    >>> from qilab.measure import qic
    >>> rule_set_caption(qic(np.arange(24) % 5))  # 19 useful points: 5 sit on the median
    'Anhøj rules: a run longer than 7 or fewer than 6 crossings of the median signals'
    """
    return RULE_SETS[res.rule_set].caption(res)


def _legend_layer(res: QicResult, frame: pd.DataFrame) -> alt.Chart:
    """An invisible layer whose only job is the legend: what each line and marker means.

    The data layers colour and shape their marks directly (``scale=None``), which gives them no
    legend; this layer lists the items actually on the chart, in the same colours and shapes.
    """
    from .describe import centre_name

    d = res.data
    kind = CHART_KINDS[res.chart_type]
    centre = "Median" if not kind.has_limits else f"{centre_name(res.chart_type)} (centre line)"
    centre = centre[0].upper() + centre[1:]
    items: list[tuple[str, str, str]] = [("Data", COLOURS["data"], "circle")]
    labels_points = RULE_SETS[res.rule_set].labels_points
    if labels_points:
        items[0] = ("Data (common cause)", COLOURS["muted"], "circle")
    items.append((centre, COLOURS["centre"], "stroke"))
    if d["ucl"].notna().any():
        items.append(("Process limits (3σ)", COLOURS["limit"], "stroke"))
    if d["target"].notna().any():
        items.append(("Target", COLOURS["target"], "stroke"))
    shapes = set(frame["point_shape"].dropna())
    colours = set(frame["point_colour"].dropna())
    if labels_points:
        if COLOURS["improvement"] in colours and "diamond" in shapes:
            items.append(("Special cause: improvement", COLOURS["improvement"], "diamond"))
        if COLOURS["concern"] in colours:
            items.append(("Special cause: concern", COLOURS["concern"], "diamond"))
    else:
        if "diamond" in shapes:
            items.append(("Outside the limits", COLOURS["signal"], "diamond"))
        if "square" in shapes:
            items.append(("Shift, trend or other pattern", COLOURS["signal"], "square"))
    if d["runs_signal"].any() and not labels_points:
        items.append(("Run signal (dashed centre line)", COLOURS["signal"], "stroke"))
    if not d["include"].all():
        items.append(("Excluded from the calculations", COLOURS["muted"], EXCLUDED_SHAPE))
    labels = [label for label, _, _ in items]
    scale = alt.Scale(domain=labels, range=[colour for _, colour, _ in items])
    legend = alt.Legend(title=None, orient="bottom", columns=3, labelLimit=320, symbolStrokeWidth=2)
    return (
        alt.Chart({"values": [{"item": label} for label in labels]})
        .mark_point(filled=True)
        .encode(
            fill=alt.Fill("item:N", scale=scale, legend=legend),
            stroke=alt.Stroke("item:N", scale=scale, legend=legend),
            shape=alt.Shape(
                "item:N",
                scale=alt.Scale(domain=labels, range=[shape for _, _, shape in items]),
                legend=legend,
            ),
        )
        # no marks drawn: the explicit scale domains alone make the legend
        .transform_filter("false")
    )
