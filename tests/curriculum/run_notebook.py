"""Run one notebook headlessly, as a learner's "Run All" would, and report what happened.

Used by the curriculum tests as a script (one subprocess per notebook, so two can run at once):

    python run_notebook.py NOTEBOOK

It prints one JSON object: ``ok``, the ``error`` (if a cell failed), every ``stderr`` output,
every attempt to reach a host other than this machine (``network``), the text/HTML outputs
(``outputs``), the Vega-Lite spec of every chart the notebook drew (``charts``: Altair's
``JupyterChart`` widgets, simulations' charts included, as the kernel left them) and the
``seconds`` taken. The kernel runs with its working directory beside the
notebook and with a ``sitecustomize`` that refuses and logs any connection off this machine, so
"works offline" is checked, not assumed. The notebook file itself is never written.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

GUARD = """
import os, socket

_LOG = os.environ["QILAB_NETWORK_LOG"]
_LOCAL = {"127.0.0.1", "::1", "localhost", "0.0.0.0", ""}
_connect, _connect_ex, _getaddrinfo = (
    socket.socket.connect, socket.socket.connect_ex, socket.getaddrinfo
)


def _refuse(host, port):
    with open(_LOG, "a", encoding="utf-8") as log:
        log.write(f"{host}:{port}\\n")
    raise OSError(f"QI Lab test: network access to {host}:{port} refused (lessons run offline)")


def _check(sock, address):
    if sock.family in (socket.AF_INET, socket.AF_INET6) and isinstance(address, tuple):
        if str(address[0]) not in _LOCAL:
            _refuse(address[0], address[1])


def connect(self, address):
    _check(self, address)
    return _connect(self, address)


def connect_ex(self, address):
    _check(self, address)
    return _connect_ex(self, address)


def getaddrinfo(host, port, *args, **kwargs):
    if host is not None and str(host) not in _LOCAL and not str(host).startswith("127."):
        _refuse(host, port)
    return _getaddrinfo(host, port, *args, **kwargs)


socket.socket.connect = connect
socket.socket.connect_ex = connect_ex
socket.getaddrinfo = getaddrinfo
"""


def run(path: Path, timeout: int = 240) -> dict:
    nb = nbformat.read(path, as_version=4)
    with tempfile.TemporaryDirectory(prefix="qilab-offline-") as tmp:
        (Path(tmp) / "sitecustomize.py").write_text(GUARD, encoding="utf-8")
        log = Path(tmp) / "network.log"
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(p for p in (tmp, env.get("PYTHONPATH")) if p)
        env["QILAB_NETWORK_LOG"] = str(log)
        client = NotebookClient(
            nb,
            timeout=timeout,
            kernel_name="python3",
            resources={"metadata": {"path": str(path.parent)}},
        )
        start = time.monotonic()
        error = None
        try:
            client.execute(env=env)
        except CellExecutionError as exc:
            error = str(exc)[-3000:]
        except Exception as exc:  # a dead kernel or a timeout: report it, never hang the suite
            error = f"{type(exc).__name__}: {exc}"[-3000:]
        seconds = time.monotonic() - start
        network = log.read_text(encoding="utf-8").splitlines() if log.exists() else []
    stderr, outputs = [], []
    for i, cell in enumerate(nb.cells):
        for out in cell.get("outputs", []):
            if out.get("output_type") == "stream" and out.get("name") == "stderr":
                stderr.append(f"cell {i}: {out['text']}")
            elif out.get("output_type") == "error":
                stderr.append(f"cell {i}: {out['ename']}: {out['evalue']}")
            elif out.get("output_type") == "stream":
                outputs.append(out["text"])
            elif "data" in out:
                data = out["data"]
                outputs.append(data.get("text/html") or data.get("text/plain") or "")
    return {
        "ok": error is None,
        "charts": charts(nb),
        "error": error,
        "stderr": stderr,
        "network": network,
        "outputs": outputs,
        "seconds": round(seconds, 1),
    }


def charts(nb: nbformat.NotebookNode) -> list[dict]:
    """Every chart spec the kernel left in its widgets' state (nbclient stores it), in order.

    Each is ``{"model": widget id, "spec": Vega-Lite spec}``; the placeholder an app shows
    before it first draws (a spec with no data) is left out.
    """
    state = nb.metadata.get("widgets", {}).get("application/vnd.jupyter.widget-state+json", {})
    found = []
    for model, widget in state.get("state", {}).items():
        spec = widget.get("state", {}).get("spec")
        if isinstance(spec, dict) and ("data" in spec or "datasets" in spec):
            found.append({"model": model, "spec": spec})
    return found


if __name__ == "__main__":
    print(json.dumps(run(Path(sys.argv[1]).resolve())))
