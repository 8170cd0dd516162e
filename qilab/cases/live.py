"""Charts and controls for case notebooks: offline Altair charts, validated ipywidgets.

A case study in Voila is a public page: anyone who reaches it can send any value to a
widget, not only the ones its slider or menu offers. So every control here checks what it
receives before a chart is redrawn (a choice must be one of the options, a number must be
finite, inside the range and on the step) and shows a plain message instead of acting on a bad
value. The last good chart stays on the page.

Charts are ``alt.JupyterChart`` widgets drawn with the offline Vega bundle (SVG, so screen
readers and tests can see the marks), each with a caption that says in words what it shows.
The static export (:mod:`qilab.cases.export`) turns the same widgets into plain Vega-Embed
charts, so a chart built here works in JupyterLab, in Voila and in a static page.
"""

from __future__ import annotations

import html
import logging
import math
from collections.abc import Callable, Sequence
from typing import Any

import altair as alt
import ipywidgets as widgets
import pandas as pd
from IPython.display import HTML

from qilab.errors import QilabError

log = logging.getLogger(__name__)

#: A chart builder returns the chart and a sentence describing it for screen readers.
Built = tuple[alt.TopLevelSpec, str]

EMBED_OPTIONS = {"actions": False, "renderer": "svg"}


class ControlValueError(QilabError):
    """A control received a value it never offers (a crafted message, or a bug)."""


def setup() -> None:
    """Set up a case notebook's kernel: offline charts in the house theme, and under
    ``qilab cases`` one shared Vega script per page instead of one per chart (see
    :mod:`qilab.cases.vega`). Call it in the notebook's first cell, before any chart.
    """
    from altair.utils.schemapi import disable_debug_mode

    from qilab.notebook import setup_notebook
    from qilab.offline import served_esm

    from . import prerender
    from .vega import served_url

    setup_notebook()
    url = served_url()
    if url and alt.JupyterChart._esm is not _SERVED.get(url):
        # Every JupyterChart made from now on (simulations' charts too) uses the served bundle.
        _SERVED[url] = served_esm(url)
        alt.JupyterChart._esm = _SERVED[url]
    if url:
        prerender.enable()  # the page shows charts before Voila's front end starts
        # Altair validates every object as it is made (its debug mode): most of a visitor
        # kernel's start here. Each chart is still validated whole when drawn (to_dict), and
        # the stories' charts are built and validated in debug mode by the tests.
        disable_debug_mode()


_SERVED: dict[str, str] = {}


def _offline() -> None:
    setup()


def _caption(description: str) -> widgets.HTML:
    caption = widgets.HTML(
        f'<p role="note" style="max-width:760px;color:#333;font-size:14px;line-height:1.45">'
        f"{html.escape(description)}</p>"
    )
    caption.add_class("qilab-chart-caption")
    return caption


def described(chart: alt.TopLevelSpec, description: str) -> alt.TopLevelSpec:
    """*chart* with *description* as its text for screen readers, unless it has its own.

    Vega puts a spec's ``description`` in the chart's ``aria-label``; without one a screen
    reader hears only "Vega visualization". The caption below the chart already says in words
    what it shows (computed from the same data), so it is the description too.

    >>> import altair as alt, pandas as pd
    >>> chart = alt.Chart(pd.DataFrame({"x": [1]})).mark_point().encode(x="x:Q")
    >>> described(chart, "One dot.").description
    'One dot.'
    >>> described(chart.properties(description="Its own."), "One dot.").description
    'Its own.'
    """
    if description and getattr(chart, "description", alt.Undefined) is alt.Undefined:
        return chart.properties(description=description)
    return chart


def chart_widget(chart: alt.TopLevelSpec) -> alt.JupyterChart:
    """An offline JupyterChart of *chart* (SVG renderer, no export menu)."""
    _offline()
    widget = alt.JupyterChart(chart, embed_options=EMBED_OPTIONS)
    widget.add_class("qilab-chart")
    return widget


def show(chart: alt.TopLevelSpec, description: str) -> widgets.VBox:
    """A chart with its caption, for a notebook cell to display.

    Examples
    --------
    >>> import altair as alt, pandas as pd
    >>> box = show(alt.Chart(pd.DataFrame({"x": [1, 2]})).mark_point().encode(x="x:Q"), "Two dots.")
    >>> "qilab-chart-panel" in box._dom_classes
    True
    """
    box = widgets.VBox([chart_widget(described(chart, description)), _caption(description)])
    box.add_class("qilab-chart-panel")
    return box


def check_choice(value: Any, options: Sequence[str]) -> str:
    """*value* if it is one of *options*, else a :class:`ControlValueError`.

    >>> check_choice("Trust A", ["Trust A", "Trust B"])
    'Trust A'
    """
    if not isinstance(value, str) or value not in options:
        raise ControlValueError(
            f"'{str(value)[:40]}' is not one of the choices offered; pick one from the list."
        )
    return value


def check_number(value: Any, lo: float, hi: float, step: float) -> float:
    """*value* if it is a finite number in [lo, hi] on the step grid, else an error.

    >>> check_number(30, 0, 120, 15)
    30
    """
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ControlValueError(f"{str(value)[:40]!r} is not a number; use the slider.")
    if not lo <= value <= hi:
        raise ControlValueError(f"{value} is outside {lo} to {hi}; use the slider.")
    steps = (value - lo) / step
    if abs(steps - round(steps)) > 1e-6:
        raise ControlValueError(f"{value} is not a step of {step} from {lo}; use the slider.")
    return value


class ChartControl(widgets.VBox):
    """A control, a message line and a chart that the control redraws.

    Parameters
    ----------
    control : ipywidgets value widget
        The slider, menu or toggle the learner uses.
    build : callable
        ``build(value) -> (chart, description)``.
    check : callable
        ``check(value) -> value``; raises :class:`ControlValueError` for a value never offered.
    """

    def __init__(
        self,
        control: widgets.ValueWidget,
        build: Callable[[Any], Built],
        check: Callable[[Any], Any],
    ) -> None:
        self.control = control
        self.build = build
        self.check = check
        self.good = check(control.value)
        chart, description = build(self.good)
        self.chart = chart_widget(described(chart, description))
        self.caption = _caption(description)
        self.message = widgets.HTML("")
        self.message.add_class("qilab-message")
        control.add_class("qilab-case-control")
        super().__init__([control, self.message, self.chart, self.caption])
        self.add_class("qilab-chart-panel")
        control.observe(self.on_change, names="value")

    def on_change(self, change: dict[str, Any]) -> None:
        """Redraw for a valid new value; otherwise say why and keep the last good chart."""
        try:
            value = self.check(change["new"])
            chart, description = self.build(value)
        except (QilabError, ValueError) as err:
            self.message.value = (
                f'<div role="alert" style="color:#B00020">{html.escape(str(err))}</div>'
            )
            return
        except Exception as err:  # a bug: log it for the course team, never a traceback
            log.exception("case chart failed to redraw")
            self.message.value = (
                '<div role="alert" style="color:#B00020">This chart could not be redrawn '
                f"({html.escape(type(err).__name__)}); the previous one is still shown.</div>"
            )
            return
        self.good = value
        self.message.value = ""
        self.chart.chart = described(chart, description)
        self.caption.value = _caption(description).value


def choice_chart(
    label: str, options: Sequence[str], build: Callable[[str], Built], value: str | None = None
) -> ChartControl:
    """A menu of *options* and the chart ``build(option)`` draws.

    Examples
    --------
    >>> import altair as alt, pandas as pd
    >>> def build(name):
    ...     return alt.Chart(pd.DataFrame({"x": [len(name)]})).mark_bar().encode(x="x:Q"), name
    >>> panel = choice_chart("Trust", ["Trust A", "Trust B"], build)
    >>> panel.control.value = "Trust B"
    >>> panel.caption.value.count("Trust B")
    1
    """
    options = list(options)
    control = widgets.Dropdown(
        options=options,
        value=value or options[0],
        description=label,
        style={"description_width": "initial"},
    )
    return ChartControl(control, build, lambda v: check_choice(v, options))


def toggle_chart(
    label: str, options: Sequence[str], build: Callable[[str], Built], value: str | None = None
) -> ChartControl:
    """Buttons for a few *options* (all visible at once) and the chart they redraw."""
    options = list(options)
    control = widgets.ToggleButtons(
        options=options,
        value=value or options[0],
        description=label,
        style={"description_width": "initial", "button_width": "auto"},
    )
    return ChartControl(control, build, lambda v: check_choice(v, options))


def slider_chart(
    label: str,
    lo: int,
    hi: int,
    step: int,
    value: int,
    build: Callable[[int], Built],
) -> ChartControl:
    """A whole-number slider from *lo* to *hi* and the chart ``build(value)`` draws."""
    control = widgets.IntSlider(
        value=value,
        min=lo,
        max=hi,
        step=step,
        description=label,
        continuous_update=False,
        style={"description_width": "initial"},
        # Long descriptions ("Load the analyser every (minutes; ...)") take their own width:
        # the track keeps a usable length beside them, up to the chart's width.
        layout=widgets.Layout(width="100%", max_width="760px"),
    )
    return ChartControl(control, build, lambda v: check_number(v, lo, hi, step))


def table(frame: pd.DataFrame, caption: str) -> HTML:
    """A small, escaped HTML table (PDSA logs, summaries) with a caption: plain HTML, no widget.

    >>> import pandas as pd
    >>> "<td>&lt;b&gt;</td>" in table(pd.DataFrame({"a": ["<b>"]}), "Cap").data
    True
    """
    body = frame.to_html(index=False, escape=True, border=0, classes="qilab-table")
    style = (
        "<style>.qilab-table{border-collapse:collapse;font-size:13px;margin:6px 0}"
        ".qilab-table th,.qilab-table td{border-bottom:1px solid #DDD;padding:4px 8px;"
        "text-align:left !important;vertical-align:top}.qilab-table th{background:#F4F8FB}</style>"
    )
    return HTML(
        f"{style}<figure class='qilab-table-panel' style='margin:0'>"
        f"<figcaption style='font-weight:600'>{html.escape(caption)}</figcaption>{body}</figure>"
    )
