"""Case pages show their charts before Voila's front end has started.

A case page in Voila draws nothing until its JavaScript application (about 3.3 MB: JupyterLab's
application shell, the widget manager and its extensions) has loaded, started and received the
widgets' state from the kernel: about 2.5 s on a first visit, nearly all of it the browser's
own work (``benchmarks/README.md``). The page itself arrives in under 0.1 s, already rendered by
the preheated kernel.

So, under ``qilab cases``, every widget a case notebook displays also carries a static
rendering of itself, made in the kernel from the widget's state at that moment (by the same
:class:`~qilab.cases.static_widgets.StaticRenderer` as the static export): its charts as
Vega-Lite specs, its controls shown disabled and marked as loading. The case template
(``qilab-cases``) puts that HTML in the page beside the widget, with its charts already drawn
by the server (:func:`with_drawn_charts`, a filter of the template), and swaps in the live
widget once it has drawn (see ``prerender.js``). A visitor reads the case and sees its charts
as soon as the page arrives; the controls come alive when the application is ready. If the
live widget never draws (a kernel that died, a blocked script), the static charts stay.

The server draws the charts as SVG made by vl-convert, the same Vega that the page would run,
cached per spec (a case's first rendering is the same for every visitor, and the preheated
kernel renders the page before anyone asks for it). So a browser shows them as soon as the HTML
is parsed, with no JavaScript at all; ten visitors opening a case together on one small server
no longer wait while ten browsers each parse the 1.2 MB Vega bundle and draw
(``benchmarks/README.md``). Should vl-convert fail on a chart, its spec goes to the page as
before and the page's Vega bundle draws it.

The extra MIME type is added only in kernels of ``qilab cases``: in JupyterLab a notebook keeps
its outputs as before, and the type is removed from what the page sends to Voila's front end.
"""

from __future__ import annotations

import functools
import html
import json
import logging
import re
from typing import Any

import ipywidgets as widgets
from IPython.core.formatters import BaseFormatter
from ipywidgets.embed import dependency_state
from traitlets import ObjectName, Unicode

from .static_widgets import SPEC_TYPE, StaticRenderer

PRERENDER_TYPE = "application/vnd.qilab.prerender+html"

#: Beside a static control until the live one replaces it.
LOADING_NOTE = '<span class="qilab-live-only">(loading&hellip;)</span>'


#: A chart of a static rendering that the browser would draw: its empty box, then its spec
#: (as :meth:`StaticRenderer.chart <qilab.cases.static_widgets.StaticRenderer.chart>` writes it).
_UNDRAWN_CHART = re.compile(
    r'<div class="qilab-chart" id="(?P<target>[^"]+)"></div>'
    rf'<script type="{re.escape(SPEC_TYPE)}" data-target="(?P=target)">(?P<spec>.*?)</script>',
    re.DOTALL,
)

_log = logging.getLogger(__name__)


@functools.lru_cache(maxsize=128)
def chart_svg(spec_json: str) -> str:
    """The chart of a Vega-Lite spec (JSON text) as SVG, drawn by vl-convert; cached per spec.

    The SVG is what Vega-Embed draws in a browser (``<svg class="marks">``, marks labelled
    for screen readers), with the Vega-Lite version that Altair targets.
    """
    import vl_convert
    from altair.utils._importers import vl_version_for_vl_convert

    return vl_convert.vegalite_to_svg(json.loads(spec_json), vl_version=vl_version_for_vl_convert())


def with_drawn_charts(rendering: str) -> str:
    """*rendering* (a widget's static HTML) with its charts drawn as SVG here, not in the browser.

    Each chart's box gets its SVG, and the spec's description as its accessible name (as
    Vega-Embed names a chart it draws); the spec itself is left out (nothing is left to
    draw). A chart that vl-convert cannot draw is left as it was, for the browser.

    Examples
    --------
    >>> import altair as alt, pandas as pd
    >>> from qilab.cases import live
    >>> chart = alt.Chart(pd.DataFrame({"x": [1]}), description="One dot.").mark_point()
    >>> html = with_drawn_charts(prerender_html(live.show(chart.encode(x="x:Q"), "A dot.")))
    >>> '<svg' in html, 'aria-label="One dot."' in html, SPEC_TYPE in html
    (True, True, False)
    """

    def drawn(match: re.Match[str]) -> str:
        spec = match["spec"]
        try:
            svg = chart_svg(spec)
            description = json.loads(spec).get("description", "")
        except Exception:  # vl-convert's errors have no common type; the browser can still draw
            _log.warning("QI Lab: chart left for the browser to draw", exc_info=True)
            return match[0]
        # Named as Vega-Embed names a chart it draws: on its box (vl-convert's SVG has no name).
        label = f' aria-label="{html.escape(str(description))}"' if description else ""
        return (
            f'<div class="qilab-chart qilab-drawn" id="{match["target"]}" '
            f'role="graphics-document" aria-roledescription="visualization"{label}>{svg}</div>'
        )

    return _UNDRAWN_CHART.sub(drawn, rendering)


def prerender_html(widget: widgets.DOMWidget) -> str:
    """Static HTML of *widget* and the widgets it contains, in their current state.

    Examples
    --------
    >>> import altair as alt, pandas as pd
    >>> from qilab.cases import live
    >>> chart = alt.Chart(pd.DataFrame({"x": [1]})).mark_point().encode(x="x:Q")
    >>> panel = live.show(chart, "A dot.")
    >>> html = prerender_html(panel)
    >>> 'class="qilab-chart"' in html, "A dot." in html
    (True, True)
    """
    state = dependency_state([widget], drop_defaults=False)
    return StaticRenderer(state, control_note=LOADING_NOTE).render(widget.model_id)


class PrerenderFormatter(BaseFormatter):
    """IPython's formatter for :data:`PRERENDER_TYPE` (registered per type, see :func:`enable`)."""

    format_type = Unicode(PRERENDER_TYPE)
    print_method = ObjectName("_repr_qilab_prerender_")
    _return_type = str


def enable(shell: Any = None) -> bool:
    """Give every widget this kernel displays a static rendering (idempotent).

    Returns whether it is enabled: not outside IPython.
    """
    if shell is None:
        from IPython import get_ipython

        shell = get_ipython()
    if shell is None:
        return False
    formatters = shell.display_formatter.formatters
    if PRERENDER_TYPE not in formatters:
        formatter = PrerenderFormatter(parent=shell.display_formatter)
        formatter.for_type(widgets.DOMWidget, prerender_html)
        formatters[PRERENDER_TYPE] = formatter
    return True
