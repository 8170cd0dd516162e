"""Notebook set-up: Altair's offline renderer and the house theme.

NHS networks block CDNs, so the default Altair renderer (which loads Vega from jsDelivr) shows
blank charts on a ward PC. The ``jupyter`` renderer draws charts with an anywidget whose
JavaScript, with ``offline=True``, comes from vl-convert inside this Python environment.
"""

from __future__ import annotations

import altair as alt

from qilab import theme

_done = False


def setup_notebook() -> None:
    """Enable the offline Jupyter renderer and the house theme (idempotent)."""
    global _done
    if _done:
        return
    theme.enable()
    alt.renderers.enable("jupyter", offline=True)
    # The renderer only switches JupyterChart offline when it first displays a chart; apps that
    # build JupyterChart widgets themselves (every simulation) need it switched now.
    alt.JupyterChart.enable_offline(True)
    # Chart specs embed their data; lessons with long series must not hit the 5,000-row guard.
    alt.data_transformers.disable_max_rows()
    _done = True
