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
(``qilab-cases``) puts that HTML in the page beside the widget, draws its charts with the page's
Vega bundle as soon as it arrives, and swaps in the live widget once it has drawn (see
``prerender.js``). A visitor reads the case and sees its charts within about a second; the
controls come alive when the application is ready. If the live widget never draws (a kernel
that died, a blocked script), the static charts stay.

The extra MIME type is added only in kernels of ``qilab cases``: in JupyterLab a notebook keeps
its outputs as before, and the type is removed from what the page sends to Voila's front end.
"""

from __future__ import annotations

from typing import Any

import ipywidgets as widgets
from IPython.core.formatters import BaseFormatter
from ipywidgets.embed import dependency_state
from traitlets import ObjectName, Unicode

from .static_widgets import StaticRenderer

PRERENDER_TYPE = "application/vnd.qilab.prerender+html"

#: Beside a static control until the live one replaces it.
LOADING_NOTE = '<span class="qilab-live-only">(loading&hellip;)</span>'


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
