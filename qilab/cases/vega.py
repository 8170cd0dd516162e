"""Where ``qilab cases`` serves its one shared copy of Vega, and how its kernels find it.

Altair's offline ``JupyterChart`` ships the whole Vega bundle (about 1 MB) inside every chart
widget, and anywidget gives each widget two seconds to load it. A case page has several charts,
so on a busy ward PC (or a busy server) widgets could fail to start and the page was heavy.
Under ``qilab cases`` the server serves :func:`qilab.offline.vega_bundle` once, at
:data:`BUNDLE_PATH`, and case notebooks (via :func:`qilab.cases.live.setup`) give each chart
:func:`qilab.offline.served_esm`, a few kilobytes of JavaScript that loads that one script, so
the browser fetches and parses Vega once per page. Anywhere else (JupyterLab, nbclient) charts
keep Altair's own offline bundle.
"""

from __future__ import annotations

import os

#: Where ``qilab cases`` serves the bundle, relative to its base URL.
BUNDLE_PATH = "qilab/vega-embed.js"
#: Set by ``qilab cases`` for its kernels: the URL path of the served bundle.
URL_ENV = "QILAB_CASES_VEGA_URL"


def served_url() -> str | None:
    """The bundle's URL when this kernel belongs to ``qilab cases``, else ``None``."""
    return os.environ.get(URL_ENV) or None
