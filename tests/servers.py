"""Start real servers for tests (JupyterLab through ``qilab lab``, later Voila) and stop them.

Servers run as subprocesses on a free localhost port, with a known token and throw-away
Jupyter runtime, settings and workspace folders, so a test run never depends on (or changes)
the developer's own JupyterLab state.
"""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from qilab.ports import free_port
from qilab.paths import JUPYTER_DATA_DIR

BIN = Path(sys.executable).parent


@dataclass
class Server:
    base: str
    token: str
    process: subprocess.Popen[str]
    log: Path

    def url(self, path: str = "") -> str:
        sep = "&" if "?" in path else "?"
        return f"{self.base}/{path.lstrip('/')}{sep}token={self.token}"

    def output(self) -> str:
        return self.log.read_text(errors="replace")


def wait_until_up(server: Server, path: str, timeout: float = 90.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(f"server exited early:\n{server.output()[-3000:]}")
        try:
            with urllib.request.urlopen(server.url(path), timeout=5) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.5)
    raise RuntimeError(f"server not up after {timeout:.0f}s:\n{server.output()[-3000:]}")


def isolated_jupyter_env(tmp: Path) -> dict[str, str]:
    """Environment for a server whose Jupyter user state lives in ``tmp``."""
    env = dict(os.environ)
    for var, sub in {
        "JUPYTER_RUNTIME_DIR": "runtime",
        "JUPYTERLAB_SETTINGS_DIR": "lab-user-settings",
        "JUPYTERLAB_WORKSPACES_DIR": "lab-workspaces",
    }.items():
        (tmp / sub).mkdir(parents=True, exist_ok=True)
        env[var] = str(tmp / sub)
    return env


@contextmanager
def running(
    argv: list[str], env: dict[str, str], log: Path, base: str, token: str, ready_path: str
) -> Iterator[Server]:
    """Start a server process, wait until ``ready_path`` answers, stop it when the block ends."""
    with log.open("w") as out:
        process = subprocess.Popen(argv, env=env, stdout=out, stderr=subprocess.STDOUT, text=True)
    server = Server(base, token, process, log)
    try:
        wait_until_up(server, ready_path)
        yield server
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()


@contextmanager
def qilab_lab(tmp: Path, lesson: str | None = None) -> Iterator[Server]:
    """Run the real main job, ``qilab lab``, on a free port until the block ends."""
    port = free_port()
    token = secrets.token_hex(16)
    env = isolated_jupyter_env(tmp)
    env["JUPYTER_TOKEN"] = token
    argv = [str(BIN / "qilab"), "lab", *([lesson] if lesson else [])]
    argv += ["--port", str(port), "--no-browser"]
    base = f"http://127.0.0.1:{port}"
    with running(argv, env, tmp / "qilab-lab.log", base, token, "api/status") as server:
        yield server


@contextmanager
def voila(tmp: Path, notebook: Path) -> Iterator[Server]:
    """Standalone Voila (which accepts no code from visitors) serving one notebook."""
    port = free_port()
    env = isolated_jupyter_env(tmp)
    env["JUPYTER_PATH"] = os.pathsep.join([str(JUPYTER_DATA_DIR), env.get("JUPYTER_PATH", "")])
    argv = [
        str(BIN / "voila"),
        str(notebook),
        f"--port={port}",
        "--no-browser",
        "--Voila.ip=127.0.0.1",
        "--VoilaConfiguration.template=qilab",
        "--VoilaConfiguration.show_tracebacks=False",
    ]
    base = f"http://127.0.0.1:{port}"
    with running(argv, env, tmp / "voila.log", base, "", "") as server:
        yield server


def cases_command() -> list[str]:
    """``qilab cases``, or its module form until the sub-command is registered in the CLI."""
    from qilab.cli import SUBCOMMANDS

    if "cases" in SUBCOMMANDS:
        return [str(BIN / "qilab"), "cases"]
    return [sys.executable, "-m", "qilab.cli.cases"]


@contextmanager
def qilab_cases(
    tmp: Path,
    *,
    pool_size: int = 0,
    folder: Path | None = None,
    voila_config: dict | None = None,
    timeout: float = 120.0,
) -> Iterator[Server]:
    """Run ``qilab cases`` (standalone Voila) on a free port until the block ends.

    ``folder`` serves another cases folder (with its own ``cases.yaml``), e.g. one made by a
    test; ``voila_config`` is written to a throw-away ``voila.json`` that Voila reads at start
    (e.g. ``{"VoilaKernelManager": {"fill_delay": 600}}``). Voila needs no token here:
    ``Server.token`` is empty.
    """
    port = free_port()
    env = isolated_jupyter_env(tmp)
    config_dir = tmp / "jupyter-config"
    config_dir.mkdir(exist_ok=True)
    (config_dir / "voila.json").write_text(json.dumps(voila_config or {}))
    env["JUPYTER_CONFIG_DIR"] = str(config_dir)
    log = tmp / "qilab-cases.log"
    argv = [
        *cases_command(),
        "--port",
        str(port),
        "--no-browser",
        "--pool-size",
        str(pool_size),
    ]
    if folder is not None:
        argv += ["--folder", str(folder)]
    with log.open("w") as out:
        process = subprocess.Popen(argv, env=env, stdout=out, stderr=subprocess.STDOUT, text=True)
    server = Server(f"http://127.0.0.1:{port}", "", process, log)
    try:
        wait_until_up(server, "qilab/status", timeout=timeout)
        yield server
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
