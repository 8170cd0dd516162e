"""The data work behind each case notebook: one module per case, so the notebooks hold only
the story and calls like ``story.before_after_chart()`` (Voila hides code, and a tutor can
test every number a case quotes).

Every function returns an Altair chart and a sentence describing it (for screen readers), or a
small table; all data are the synthetic data sets of :mod:`qilab.datasets` or seeded models.
"""

from __future__ import annotations

from typing import Any


def spc_chart(res: Any, **kwargs: Any) -> Any:
    """``res.chart(**kwargs)`` for a ``qic`` result, with room above the plot for its labels.

    (Tooltips need nothing here: ``qilab.measure`` titles them with the chart's own axis
    titles, so a board member hovering a point reads "Month", not ``x``.)
    """
    import altair as alt
    from altair.utils.schemapi import debug_mode

    # Validated once, when the chart is drawn (to_dict): checking the spec against Vega-Lite's
    # schema here as well (on export, on reading it back, and as each of its ~200 objects is
    # made) took most of a second of every visitor kernel's start, for a spec qilab.measure
    # builds and its tests validate.
    spec = res.chart(**kwargs).to_dict(validate=False)
    _make_room_for_labels(spec, res, kwargs.get("height"))
    chart_type = alt.Chart if "mark" in spec else alt.LayerChart
    with debug_mode(False):
        return chart_type.from_dict(spec, validate=False)


#: qilab.measure writes rule labels in up to three rows, 16 px apart, from the top of the plot.
LABEL_ROWS_PX = {0: 0, 1: 26, 2: 42, 3: 58}


def label_row_y(row: int) -> int:
    """Pixels from the top of the plot to the top of label row *row* (as qilab.measure)."""
    return 2 + 16 * row


def label_headroom(low: float, high: float, rows: int, height: int) -> float:
    """The y value to end the axis at so *rows* label rows sit above every point and line.

    >>> round(label_headroom(0, 100, 2, 300), 1)   # 42 px of 300 kept for two label rows
    116.3
    """
    need = LABEL_ROWS_PX[min(rows, 3)]
    share = need / height
    return high + (high - low) * share / (1 - share)


def _make_room_for_labels(spec: dict[str, Any], res: Any, height: int | None) -> None:
    """Extend the y axis of a qic chart so its rule labels never overprint the data."""
    import numpy as np

    layers = spec.get("layer", [])
    texts = [
        layer
        for layer in layers
        if isinstance(layer.get("mark"), dict) and layer["mark"].get("type") == "text"
    ]
    rows = 0
    for layer in texts:
        data = layer.get("data") or {}
        values = data.get("values") or spec.get("datasets", {}).get(data.get("name"), [])
        rows = max(rows, len({v.get("label_y") for v in values}))
    if not rows:
        return
    columns = [c for c in ("y", "cl", "ucl", "lcl", "target") if c in res.data]
    numbers = res.data[columns].to_numpy(dtype=float)
    low, high = float(np.nanmin(numbers)), float(np.nanmax(numbers))
    top = label_headroom(low, high, rows, int(height or spec.get("height") or 300))
    ceiling = percentage_ceiling(res)
    for layer in layers:
        y = (layer.get("encoding") or {}).get("y")
        if isinstance(y, dict) and y.get("field") != "label_y" and y.get("scale", {}) is not None:
            scale = y.setdefault("scale", {})
            scale.update({"domainMax": top, "nice": False})
            if 0 <= low < high - low:  # near zero: start at zero, as the unextended axis did
                scale["domainMin"] = 0
            if ceiling is not None and top > ceiling and y.get("axis", {}) is not None:
                y["axis"] = {**y.get("axis", {}), **axis_ending_at(ceiling)}


def percentage_ceiling(res: Any) -> float | None:
    """The most a chart's measure can be, if it is a percentage or proportion, else None.

    A P chart's proportions end at 1 (100 when multiplied by 100); any measure whose axis is a
    percentage ends at 100. The room made above the plot for labels must not read as
    "104 %" on the axis.

    >>> from types import SimpleNamespace as Result
    >>> percentage_ceiling(Result(chart_type="p", multiply=100.0, labels={}))
    100.0
    >>> percentage_ceiling(Result(chart_type="i", multiply=1, labels={"ylab": "Occupancy %"}))
    100.0
    >>> percentage_ceiling(Result(chart_type="i", multiply=1, labels={"ylab": "Hours"})) is None
    True
    """
    from qilab.measure.kinds import CHART_KINDS

    kind = CHART_KINDS.get(res.chart_type)
    if kind is not None and kind.proportion:
        return float(res.multiply)
    if "%" in str(res.labels.get("ylab") or ""):
        return 100.0
    return None


def axis_ending_at(ceiling: float) -> dict[str, Any]:
    """Vega-Lite axis settings that label and grid the axis only up to *ceiling*.

    The scale still runs past it (the labels' room, or a control limit the arithmetic puts
    above 100 %, drawn where it falls), but no tick, number or grid line claims a value the
    measure cannot take.
    """
    past = f"datum.value > {ceiling:g}"
    hidden = {"condition": {"test": past, "value": 0}, "value": 1}
    return {"labelExpr": f"{past} ? '' : datum.label", "gridOpacity": hidden, "tickOpacity": hidden}
