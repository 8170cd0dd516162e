"""Notebook set-up: Altair's offline renderer and the house theme.

NHS networks block CDNs, so the default Altair renderer (which loads Vega from jsDelivr) shows
blank charts on a ward PC. The ``jupyter`` renderer draws charts with an anywidget whose
JavaScript, with ``offline=True``, comes from vl-convert inside this Python environment.

Building that JavaScript bundle takes seconds of CPU, and every kernel (each lesson a learner
opens, each Voila visitor, each autograded submission) would build it again. It depends only on
the Altair and vl-convert versions, so it is built once and cached on disk.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import altair as alt

from qilab import theme

_done = False


def bundle_cache_path() -> Path:
    """Where the offline JupyterChart bundle for these Altair and vl-convert versions lives."""
    import vl_convert

    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "qilab"
    return base / f"jupyterchart-altair{alt.__version__}-vlconvert{vl_convert.__version__}.js"


def enable_offline_charts() -> None:
    """Switch ``alt.JupyterChart`` to its offline bundle, from the disk cache when possible."""
    chart = alt.JupyterChart
    if getattr(chart, "_is_offline", False):
        return
    cache = bundle_cache_path()
    # Altair keeps the bundle in JupyterChart._esm; if a future Altair changes that, fall back to
    # its public API (correct, only slower).
    if cache.is_file() and hasattr(chart, "_esm"):
        chart._esm = cache.read_text(encoding="utf-8")
        chart._is_offline = True
        return
    chart.enable_offline(True)
    bundle = getattr(chart, "_esm", None)
    if isinstance(bundle, str) and bundle:
        try:
            cache.parent.mkdir(parents=True, exist_ok=True)
            # Write then rename, so a kernel starting at the same moment never reads half a file.
            with tempfile.NamedTemporaryFile(
                "w", encoding="utf-8", dir=cache.parent, delete=False, suffix=".tmp"
            ) as out:
                out.write(bundle)
            os.replace(out.name, cache)
        except OSError:
            pass  # a read-only home folder only costs speed, never correctness


def setup_notebook() -> None:
    """Enable the offline Jupyter renderer and the house theme (idempotent)."""
    global _done
    if _done:
        return
    theme.enable()
    alt.renderers.enable("jupyter", offline=True)
    # The renderer only switches JupyterChart offline when it first displays a chart; apps that
    # build JupyterChart widgets themselves (every simulation) need it switched now.
    enable_offline_charts()
    # Chart specs embed their data; lessons with long series must not hit the 5,000-row guard.
    alt.data_transformers.disable_max_rows()
    _done = True
