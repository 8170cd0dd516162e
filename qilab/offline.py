"""Charts without the internet: where QI Lab's copies of Vega come from, in one place.

NHS networks block CDNs, so nothing QI Lab shows may fetch Vega from one. vl-convert (installed
with Altair) carries Vega, Vega-Lite and Vega-Embed inside this Python environment, in two
forms, and every surface draws from one of them:

* :func:`enable_offline_charts` — Altair's ``JupyterChart`` widget with its offline ES module
  (lessons, simulations, case notebooks in JupyterLab and Voila);
* :func:`vega_bundle` — one classic ``<script>`` defining ``window.vegaEmbed`` (the tutor's
  cohort report inlines it with :func:`inline_script`; ``qilab cases`` serves it once per site
  and the static export writes it once beside the pages);
* :func:`served_esm` — the ``JupyterChart`` module rewritten to load that served bundle, so a
  case page with five charts fetches and parses Vega once rather than five times.

Both builds take seconds of CPU and depend only on the Altair and vl-convert versions, so each
is built once and cached on disk (:func:`cache_dir`), then read by every kernel that follows.

Examples
--------
>>> inline_script("var a = '</script>';")
"var a = '<\\\\/script>';"
"""

from __future__ import annotations

import functools
import json
import os
import tempfile
from collections.abc import Callable
from pathlib import Path

import altair as alt


def cache_dir() -> Path:
    """``$XDG_CACHE_HOME/qilab`` (``~/.cache/qilab``): built bundles, one file per version."""
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "qilab"


def _versions() -> str:
    import vl_convert

    version = vl_convert.__version__  # type: ignore[attr-defined]  # missing from its .pyi
    return f"altair{alt.__version__}-vlconvert{version}"


def bundle_cache_path() -> Path:
    """Where the offline ``JupyterChart`` module for these Altair and vl-convert versions lives."""
    return cache_dir() / f"jupyterchart-{_versions()}.js"


def _cached(path: Path, build: Callable[[], str]) -> str:
    """The text at *path*, built and written there first if it is not there yet."""
    if path.is_file():
        return path.read_text(encoding="utf-8")
    text = build()
    _write(path, text)
    return text


def _write(path: Path, text: str) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        # Write then rename, so a kernel starting at the same moment never reads half a file.
        with tempfile.NamedTemporaryFile(
            "w", encoding="utf-8", dir=path.parent, delete=False, suffix=".tmp"
        ) as out:
            out.write(text)
        os.replace(out.name, path)
    except OSError:
        pass  # a read-only home folder only costs speed, never correctness


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
        _write(cache, bundle)


@functools.lru_cache(maxsize=1)
def vega_bundle() -> str:
    """Vega, Vega-Lite (the version Altair targets) and Vega-Embed as one classic script.

    It defines ``window.vegaEmbed``. Built by vl-convert once per version, then read from
    :func:`cache_dir`.
    """

    def build() -> str:
        import vl_convert
        from altair.utils._importers import vl_version_for_vl_convert

        # No snippet: vl-convert's default defines window.vegaEmbed (its .pyi wrongly requires one).
        version = vl_version_for_vl_convert()
        return vl_convert.javascript_bundle(vl_version=version)  # type: ignore[call-arg]

    return _cached(cache_dir() / f"vega-embed-{_versions()}.js", build)


def inline_script(javascript: str) -> str:
    """*javascript* made safe to put between ``<script>`` and ``</script>`` in a page."""
    return javascript.replace("</script", "<\\/script")


_PRELUDE = """\
// QI Lab: load the Vega bundle served at QILAB_VEGA_URL, once per page, then render as
// Altair's JupyterChart does (its code follows, with its CDN imports removed).
const QILAB_VEGA_URL = %(url)s;
if (!window.__qilabVega) {
  window.__qilabVega = new Promise((resolve, reject) => {
    if (window.vegaEmbed) { resolve(); return; }
    const script = document.createElement("script");
    script.src = QILAB_VEGA_URL;
    script.onload = () => resolve();
    script.onerror = () => reject(new Error("QI Lab could not load its chart library."));
    document.head.appendChild(script);
  });
}
await window.__qilabVega;
const vegaEmbed = (...args) => window.vegaEmbed(...args);
function lodashDebounce(fn, wait, options) {
  const maxWait = options && options.maxWait;
  let timer = null, first = null, lastArgs = [];
  const run = () => { timer = null; first = null; fn(...lastArgs); };
  return (...args) => {
    lastArgs = args;
    const now = Date.now();
    if (first === null) first = now;
    clearTimeout(timer);
    if (maxWait !== undefined && now - first >= maxWait) { run(); return; }
    timer = setTimeout(run, wait);
  };
}
"""


def served_esm(url: str) -> str:
    """The ``JupyterChart`` module for a chart that draws with the :func:`vega_bundle` at *url*.

    >>> esm = served_esm("/qilab/vega-embed.js")
    >>> "esm.sh" in esm, "export default" in esm, len(esm) < 20_000
    (False, True, True)
    """
    from altair.jupyter.jupyter_chart import load_js_src

    lines = load_js_src().split("\n")
    while lines and (not lines[0].strip() or lines[0].startswith(("import", "//"))):
        lines.pop(0)
    return _PRELUDE % {"url": json.dumps(url)} + "\n".join(lines)
