"""HTTP caching for ``qilab cases``: static files once per browser, pages and APIs never.

A case page needs about 80 static files (Voila's front end is about 70 webpack chunks). Voila
serves its own chunks under names without a content hash (``1394.voila.js``) and with no
``Cache-Control``, and JupyterLab extensions with ``no-cache``, so every visit asked for every
file again (304s, or a heuristic cache that expires on its own). Here:

* Voila's front end is served under a URL holding a digest of its files
  (``voila/static/v-<digest>/…``, see :func:`static_digest`), and the page is told to load it
  from there (:func:`page_config_hook`); those responses are ``immutable`` for a year. An
  upgraded Voila has another digest, so another URL: a browser never runs stale code.
* Extension files whose names carry their content hash (``remoteEntry.698dcaf7.js``, or
  ``?v=<hash>``) are ``immutable`` too; any other extension file is revalidated (``no-cache``).
* The shared Vega bundle is linked as ``qilab/vega-embed.js?v=<digest>`` and is ``immutable``
  under that digest.
* HTML pages and API responses carry a visit's kernel id and ``_xsrf`` token: ``no-store``
  (:data:`NO_STORE`), set on every handler that is not a static-file handler.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path
from typing import Any

from jupyter_server.base.handlers import FileFindHandler
from jupyter_server.utils import url_path_join
from voila.static_file_handler import MultiStaticFileHandler

#: For responses whose URL names their exact content.
IMMUTABLE = "public, max-age=31536000, immutable"
#: For pages and API responses (per-visit kernel ids, xsrf tokens): never kept by a browser.
NO_STORE = "no-store"
#: For static files whose URL does not name their content: kept, but asked about each time.
REVALIDATE = "no-cache"

#: A file name carrying a content hash, as webpack names JupyterLab extension chunks.
HASHED_NAME = re.compile(r"[.-][0-9a-f]{8,}\.[A-Za-z0-9]+$")


def static_digest(folders: list[str] | list[Path]) -> str:
    """A short digest of every file under *folders* (names and contents).

    It changes whenever any served file changes (a Voila upgrade), so a URL holding it can
    be cached for good. Reading Voila's static folder (about 5 MB) takes a few milliseconds,
    once, when the server starts.

    Examples
    --------
    >>> import tempfile
    >>> folder = Path(tempfile.mkdtemp())
    >>> _ = (folder / "a.js").write_text("one")
    >>> before = static_digest([folder])
    >>> _ = (folder / "a.js").write_text("two")
    >>> before != static_digest([folder]), len(before)
    (True, 16)
    """
    digest = hashlib.sha256()
    for folder in map(Path, folders):
        if not folder.is_dir():
            continue
        for path in sorted(p for p in folder.rglob("*") if p.is_file()):
            digest.update(str(path.relative_to(folder)).encode() + b"\0")
            digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def text_digest(text: str) -> str:
    """A short digest of *text* (for the Vega bundle's ``?v=``)."""
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def versioned_static_path(digest: str) -> str:
    """Where Voila's front end is served for good, relative to the base URL."""
    return f"voila/static/v-{digest}"


class ImmutableStaticHandler(MultiStaticFileHandler):
    """Voila's front end under its digest URL: every response ``immutable``."""

    def set_extra_headers(self, path: str) -> None:
        self.set_header("Cache-Control", IMMUTABLE)


class HashedExtensionHandler(FileFindHandler):
    """JupyterLab extension files: ``immutable`` if the URL names the content, else revalidated."""

    def set_headers(self) -> None:
        super().set_headers()
        named = "v" in self.request.arguments or HASHED_NAME.search(self.request.path)
        self.set_header("Cache-Control", IMMUTABLE if named else REVALIDATE)


def page_config_hook(static_url_path: str, vega_url: str) -> Any:
    """A Voila ``page_config_hook``: the page loads Voila's front end from *static_url_path*
    (relative to the base URL) and the Vega bundle from *vega_url* (``qilabVegaUrl``, read by
    the ``qilab-cases`` template)."""

    def hook(page_config: dict[str, Any], *, base_url: str, **_: Any) -> dict[str, Any]:
        page_config["fullStaticUrl"] = url_path_join(base_url, static_url_path)
        page_config["qilabVegaUrl"] = vega_url
        return page_config

    return hook
