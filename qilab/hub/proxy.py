"""JupyterHub's proxy: configurable-http-proxy, the exact version pinned in ``node/``.

JupyterHub routes every request through configurable-http-proxy, a Node.js program from the npm
registry. ``python3 make.py test`` and ``python3 make.py hub`` install it reproducibly —
``npm ci`` from ``qilab/hub/node/package-lock.json`` (every package at an exact version) into
the checkout's untracked ``.qilab/node/`` — so no global ``npm install -g`` is needed.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from qilab import paths
from qilab.errors import QilabError

#: package.json and package-lock.json: configurable-http-proxy at an exact version.
NODE_PACKAGE = Path(__file__).resolve().parent / "node"


def install_dir() -> Path:
    """Where ``make.py`` installs the proxy (untracked, beside the other local state)."""
    return paths.state_dir() / "node"


def proxy_command() -> list[str]:
    """The proxy's command, or one clear error saying how to install it."""
    program = install_dir() / "node_modules" / ".bin" / "configurable-http-proxy"
    if program.is_file():
        return [str(program)]
    if shutil.which("node") is None:
        hint = "install Node.js 20 or newer (Debian: `apt-get install nodejs npm`), then "
    else:
        hint = ""
    raise QilabError(
        f"JupyterHub's proxy (configurable-http-proxy) is not installed in {install_dir()}: "
        f"{hint}run `python3 make.py hub` once, which installs the pinned version with npm."
    )
