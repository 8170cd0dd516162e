"""Shared view helpers: every simulation looks and behaves the same way.

Learners meet many apps across the course, so they share one vocabulary of parts:

* :class:`MessageArea` shows what went wrong in plain words (never a traceback),
* :class:`NoticePanel` holds the short "what to notice" text,
* :class:`ChartArea` draws an Altair chart offline (``alt.JupyterChart``) with a text caption
  that a screen reader can read,
* :func:`guarded` wraps an event handler so bad input becomes a message.

Only views import this module (models never import ipywidgets).
"""

from __future__ import annotations

import base64
import functools
import html
import json
import logging
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

import altair as alt
import ipywidgets as widgets
import pandas as pd

from qilab.errors import QilabError

log = logging.getLogger(__name__)

F = TypeVar("F", bound=Callable[..., Any])

#: Lets every control's label show in full (ipywidgets cuts descriptions at ~ 8 characters).
LABEL_STYLE = {"description_width": "initial"}
WIDE = widgets.Layout(width="420px")


def _offline() -> None:
    """Make charts load Vega from this Python environment, not a CDN (NHS networks block them)."""
    from qilab.notebook import setup_notebook

    setup_notebook()  # offline JupyterChart included (qilab.offline)


class MessageArea(widgets.HTML):
    """A polite live region for plain-language messages (bad input, warnings, confirmations)."""

    def __init__(self) -> None:
        super().__init__(value="")
        self.add_class("qilab-message")
        self.text = ""
        self.kind = ""

    def show(self, text: str, kind: str = "error") -> None:
        """Show *text*; *kind* is ``"error"``, ``"warning"`` or ``"info"``."""
        colour = {"error": "#B00020", "warning": "#8A5A00", "info": "#1F4E79"}[kind]
        role = "alert" if kind == "error" else "status"
        self.text, self.kind = text, kind
        self.value = (
            f'<div role="{role}" aria-live="polite" class="qilab-message-{kind}" '
            f'style="color:{colour};border-left:4px solid {colour};padding:4px 8px;">'
            f"{html.escape(text)}</div>"
        )

    def clear(self) -> None:
        self.text, self.kind, self.value = "", "", ""


class NoticePanel(widgets.HTML):
    """The short 'what to notice' text that turns playing into learning."""

    def __init__(self, points: Iterable[str], source: str = "", title: str = "What to notice"):
        super().__init__()
        self.add_class("qilab-notice")
        self.title = title
        self.set(points, source)

    def set(self, points: Iterable[str], source: str = "") -> None:
        self.points = list(points)
        self.source = source
        items = "".join(f"<li>{html.escape(p)}</li>" for p in self.points)
        cite = (
            f'<p style="font-size:90%;color:#555;">Source: {html.escape(source)}</p>'
            if source
            else ""
        )
        self.value = (
            f'<section aria-label="{html.escape(self.title)}" '
            f'style="background:#F4F8FB;padding:6px 12px;border-radius:4px;">'
            f"<h4 style='margin:4px 0'>{html.escape(self.title)}</h4>"
            f"<ul>{items}</ul>{cite}</section>"
        )


class ChartArea(widgets.VBox):
    """An offline Altair chart plus a caption describing it in words.

    Two ways to draw, both keeping the same ``JupyterChart`` element on the page (Voila too):

    * :meth:`draw` takes any Altair chart (e.g. ``qic(...).chart()``; ~10 ms plus building it),
    * :meth:`draw_data` reuses a spec built once from a *template* whose data are named
      (``alt.Data(name=...)``) and only swaps the rows: a few milliseconds per update.
    """

    def __init__(self, label: str) -> None:
        _offline()
        self.label = label
        self.chart: alt.TopLevelMixin | None = None
        self.data: dict[str, pd.DataFrame] = {}
        self.result: Any = None  # the qic result drawn, when the chart is an SPC chart
        self.description = ""
        self._templates: dict[str, dict[str, Any]] = {}
        # SVG keeps the drawn marks in the DOM: screen readers and browser tests can see them.
        self.widget = alt.JupyterChart(
            alt.Chart().mark_point(), embed_options={"actions": False, "renderer": "svg"}
        )
        self.widget.add_class("qilab-chart")
        self.caption = widgets.HTML()
        self.caption.add_class("qilab-chart-caption")
        super().__init__([self.widget, self.caption])
        self.add_class("qilab-chart-area")

    def draw(self, chart: alt.TopLevelMixin, description: str) -> None:
        """Show *chart* and its *description* (read by screen readers, useful to everyone)."""
        self.chart = chart
        self.data = {}
        # Altair already validated the chart while it was built; skipping the second validation
        # in to_dict() saves ~30 ms per update.
        spec = chart.to_dict(validate=False)
        spec["description"] = description  # vega-embed gives it to screen readers (aria-label)
        self.widget.spec = spec
        self._caption(description)

    def draw_data(
        self,
        template: str,
        build: Callable[[], alt.TopLevelMixin],
        data: dict[str, pd.DataFrame],
        description: str,
        **overrides: Any,
    ) -> None:
        """Show the chart *build* makes (built once per *template* key) with new *data*.

        ``build`` must refer to its data as ``alt.Data(name=key)`` for each key of *data*, with
        explicit encoding types. *overrides* replace top-level spec entries (e.g. ``title``).
        """
        if template not in self._templates:
            self._templates[template] = build().to_dict()
        spec = dict(self._templates[template])
        spec["datasets"] = {name: records(df) for name, df in data.items()}
        spec.update(overrides)
        spec["description"] = description  # vega-embed gives it to screen readers (aria-label)
        self.chart = None
        self.data = dict(data)
        self.widget.spec = spec
        self._caption(description)

    def _caption(self, description: str) -> None:
        self.description = description
        self.caption.value = (
            f'<p role="note" aria-label="{html.escape(self.label)} description" '
            f'style="max-width:760px;">{html.escape(description)}</p>'
        )

    @property
    def spec(self) -> dict[str, Any] | None:
        """The Vega-Lite spec as sent to the browser."""
        return self.widget.spec


def records(df: pd.DataFrame) -> list[dict[str, Any]]:
    """JSON-safe rows for a Vega-Lite dataset (dates as ISO strings, NaN as null)."""
    return json.loads(df.to_json(orient="records", date_format="iso"))


def guarded(message: MessageArea) -> Callable[[F], F]:
    """Turn bad input raised by a handler into a message in the widget instead of a traceback.

    ``QilabError`` and ``ValueError`` carry messages written for the learner; anything else is
    a bug, logged for the tutor and summarised in one line.
    """

    def decorate(fn: F) -> F:
        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            try:
                return fn(*args, **kwargs)
            except (QilabError, ValueError) as err:
                message.show(str(err), "error")
            except Exception as err:
                log.exception("Unexpected error in a QI Lab simulation")
                message.show(
                    f"Something unexpected went wrong ({type(err).__name__}: {err}). "
                    "Please tell your tutor; the previous result is still shown.",
                    "error",
                )
            return None

        return wrapper  # type: ignore[return-value]

    return decorate


def slider(
    description: str, value: float, lo: float, hi: float, step: float = 1, *, integer: bool = True
) -> widgets.IntSlider | widgets.FloatSlider:
    """A labelled slider that updates when released (keeps the kernel responsive)."""
    cls = widgets.IntSlider if integer else widgets.FloatSlider
    return cls(
        value=value,
        min=lo,
        max=hi,
        step=step,
        description=description,
        continuous_update=False,
        style=LABEL_STYLE,
        layout=WIDE,
    )


def button(description: str, tooltip: str = "", style: str = "") -> widgets.Button:
    return widgets.Button(
        description=description,
        tooltip=tooltip or description,
        button_style=style,
        layout=widgets.Layout(width="auto"),
    )


def heading(text: str, level: int = 3) -> widgets.HTML:
    return widgets.HTML(f"<h{level} style='margin:4px 0'>{html.escape(text)}</h{level}>")


def table_html(rows: list[dict[str, Any]], caption: str = "") -> str:
    """A small accessible HTML table (header row, caption) from a list of dicts."""
    if not rows:
        return f"<p>{html.escape(caption)}: nothing yet.</p>" if caption else ""
    cols = list(rows[0])
    head = "".join(
        f"<th scope='col' style='text-align:left;padding:2px 8px'>{html.escape(str(c))}</th>"
        for c in cols
    )
    body = "".join(
        "<tr>"
        + "".join(
            f"<td style='padding:2px 8px'>{html.escape(str(r.get(c, '')))}</td>" for c in cols
        )
        + "</tr>"
        for r in rows
    )
    cap = (
        f"<caption style='text-align:left;font-weight:600'>{html.escape(caption)}</caption>"
        if caption
        else ""
    )
    return (
        f"<table style='border-collapse:collapse'>{cap}"
        f"<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"
    )


def download_link(text: str, filename: str, mime: str, label: str) -> str:
    """A link that saves *text* as a file: works offline and in Voila (no server round trip)."""
    payload = base64.b64encode(text.encode("utf-8")).decode("ascii")
    return (
        f'<a download="{html.escape(filename)}" href="data:{mime};charset=utf-8;base64,{payload}" '
        f'style="margin-right:12px">{html.escape(label)}</a>'
    )
