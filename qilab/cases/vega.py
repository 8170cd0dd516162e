"""One shared, offline copy of Vega for every chart on a case page.

Altair's offline ``JupyterChart`` ships the whole Vega bundle (about 1 MB) inside every chart
widget, and anywidget gives each widget two seconds to load it. A case page has several charts,
so on a busy ward PC (or a busy server) widgets could fail to start and the page was heavy.
Under ``qilab cases`` the server serves the bundle once, at :data:`BUNDLE_PATH`, and case
notebooks (via :func:`qilab.cases.live.setup`) give each chart a few kilobytes of JavaScript
that loads that one script, so the browser fetches and parses Vega once per page. Anywhere else
(JupyterLab, nbclient) charts keep Altair's own offline bundle.
"""

from __future__ import annotations

import functools
import os

#: Where ``qilab cases`` serves the bundle, relative to its base URL.
BUNDLE_PATH = "qilab/vega-embed.js"
#: Set by ``qilab cases`` for its kernels: the URL path of the served bundle.
URL_ENV = "QILAB_CASES_VEGA_URL"

_PRELUDE = """\
// QI Lab: load the Vega bundle that `qilab cases` serves, once per page, then render as
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


@functools.lru_cache(maxsize=1)
def bundle() -> str:
    """Vega, Vega-Lite (the version Altair targets) and Vega-Embed as one classic script.

    It defines ``window.vegaEmbed``; used by the server and by the static pages.
    """
    import vl_convert
    from altair.utils._importers import vl_version_for_vl_convert

    return vl_convert.javascript_bundle(vl_version=vl_version_for_vl_convert())


def served_esm(url: str) -> str:
    """The anywidget module for a chart that draws with the bundle served at *url*.

    >>> esm = served_esm("/qilab/vega-embed.js")
    >>> "esm.sh" in esm, "export default" in esm, len(esm) < 20_000
    (False, True, True)
    """
    import json

    from altair.jupyter.jupyter_chart import load_js_src

    lines = load_js_src().split("\n")
    while lines and (not lines[0].strip() or lines[0].startswith(("import", "//"))):
        lines.pop(0)
    return _PRELUDE % {"url": json.dumps(url)} + "\n".join(lines)


def served_url() -> str | None:
    """The bundle's URL when this kernel belongs to ``qilab cases``, else ``None``."""
    return os.environ.get(URL_ENV) or None
