"""Notebook set-up: Altair's offline renderer, the house theme, and one-line errors.

NHS networks block CDNs, so the default Altair renderer (which loads Vega from jsDelivr) shows
blank charts on a ward PC. The ``jupyter`` renderer draws charts with an anywidget whose
JavaScript, with ``offline=True``, comes from vl-convert inside this Python environment.

Building that JavaScript bundle takes seconds of CPU, so it is built once per version and cached
on disk (:mod:`qilab.offline`, which holds every offline copy of Vega QI Lab uses).

Charts are drawn as SVG: Vega's SVG carries the chart's text description for screen readers
(WCAG 2.2, 1.1.1), stays sharp when zoomed, and can be checked by the browser sweep. The chart's
menu offers "Save as PNG/SVG" only: "Open in Vega Editor" would reach for the internet.

A :class:`~qilab.errors.QilabError` (a bad column name, an unreadable date, an empty column…)
already says what is wrong and how to fix it, so in a notebook it is shown as that message
alone, not under 20 lines of traceback; ``%tb`` in the next cell still shows the traceback.
"""

from __future__ import annotations

import sys
from typing import Any

import altair as alt

from qilab import theme
from qilab.errors import QilabError
from qilab.offline import enable_offline_charts

_done = False

#: How charts are embedded: SVG (accessible, testable) and a menu that never goes online.
EMBED_OPTIONS: dict[str, Any] = {
    "renderer": "svg",
    "actions": {"export": True, "source": False, "compiled": False, "editor": False},
}


def setup_notebook() -> None:
    """Enable the offline Jupyter renderer and the house theme (idempotent)."""
    global _done
    if _done:
        return
    theme.enable()
    alt.renderers.enable("jupyter", offline=True, embed_options=EMBED_OPTIONS)
    # The renderer only switches JupyterChart offline when it first displays a chart; apps that
    # build JupyterChart widgets themselves (every simulation) need it switched now.
    enable_offline_charts()
    # Chart specs embed their data; lessons with long series must not hit the 5,000-row guard.
    alt.data_transformers.disable_max_rows()
    show_qilab_errors_briefly()
    _done = True


def _qilab_error_handler(
    shell: Any, etype: type, value: BaseException, tb: Any, tb_offset: Any = None
) -> list[str]:
    """Show a QilabError as its message (red, like any error) and keep the traceback for %tb."""
    sys.last_type, sys.last_value, sys.last_traceback = etype, value, tb
    if hasattr(sys, "last_exc"):
        sys.last_exc = value
    lines = [
        f"\x1b[1;31m{etype.__name__}:\x1b[0m {value}",
        "\x1b[2m(QI Lab checked your input. For Python's full traceback, run %tb in a new "
        "cell.)\x1b[0m",
    ]
    # _showtraceback sends a normal "error" output: the cell still counts as failed (Run All
    # stops there; nbgrader sees the error), it is just short.
    shell._showtraceback(etype, value, lines)
    return lines


def show_qilab_errors_briefly() -> None:
    """In an IPython kernel, show QilabError as one clear message instead of a traceback."""
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover - IPython always comes with ipykernel
        return
    shell = get_ipython()
    if shell is None:
        return
    shell.set_custom_exc((QilabError,), _qilab_error_handler)
