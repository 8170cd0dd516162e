"""The data work behind each case notebook: one module per case, so the notebooks hold only
the story and calls like ``story.before_after_chart()`` (Voila hides code, and a tutor can
test every number a case quotes).

Every function returns an Altair chart and a sentence describing it (for screen readers), or a
small table; all data are the synthetic data sets of :mod:`qilab.datasets` or seeded models.
"""

from __future__ import annotations

from typing import Any

#: Tooltip titles that are qilab.measure's own column names, mapped to the axis they show.
_RAW_TITLES = {"x": "x", "value": "y"}


def spc_chart(res: Any, **kwargs: Any) -> Any:
    """``res.chart(**kwargs)`` for a ``qic`` result, with tooltips titled as the axes are.

    ``qilab.measure`` titles a point's tooltip with its internal column names (``x``,
    ``value``); a board member hovering a point should read "Month" and "Arrests per 1,000
    admissions" instead.
    """
    import altair as alt

    spec = res.chart(**kwargs).to_dict()
    axes: dict[str, str] = {}

    def find_axes(node: Any) -> None:
        if isinstance(node, dict):
            enc = node.get("encoding")
            if isinstance(enc, dict):
                for channel in ("x", "y"):
                    title = (enc.get(channel) or {}).get("title")
                    if isinstance(title, str) and title and channel not in axes:
                        axes[channel] = title
            for value in node.values():
                find_axes(value)
        elif isinstance(node, list):
            for item in node:
                find_axes(item)

    def retitle(node: Any) -> None:
        if isinstance(node, dict):
            tips = node.get("tooltip")
            for tip in tips if isinstance(tips, list) else [tips]:
                if isinstance(tip, dict) and tip.get("title") in _RAW_TITLES:
                    tip["title"] = axes.get(_RAW_TITLES[tip["title"]], tip["title"])
            for value in node.values():
                retitle(value)
        elif isinstance(node, list):
            for item in node:
                retitle(item)

    find_axes(spec)
    retitle(spec)
    return alt.Chart.from_dict(spec) if "mark" in spec else alt.LayerChart.from_dict(spec)
