"""Start real servers for tests (JupyterLab through ``qilab lab``, later Voila) and stop them.

Servers run as subprocesses on a free localhost port, with a known token and throw-away
Jupyter runtime, settings and workspace folders, so a test run never depends on (or changes)
the developer's own JupyterLab state.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from qilab.paths import JUPYTER_DATA_DIR
from qilab.ports import free_port

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


REPO = Path(__file__).resolve().parents[1]


def course_copy(root: Path) -> Path:
    """A throw-away copy of the checkout's course (lessons, nbgrader course, pyproject) at
    ``root``, for ``QILAB_ROOT``: ``qilab lab`` releases assignments into, and learners submit
    to, its ``.qilab/``, so a test never touches the developer's own gradebook or exchange."""
    skip = shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__")
    shutil.copytree(REPO / "curriculum", root / "curriculum", ignore=skip)
    (root / "assignments").mkdir(parents=True)
    shutil.copytree(REPO / "assignments" / "source", root / "assignments" / "source", ignore=skip)
    shutil.copy(REPO / "assignments" / "nbgrader_config.py", root / "assignments")
    shutil.copy(REPO / "pyproject.toml", root)
    return root


@contextmanager
def qilab_lab(
    tmp: Path, lesson: str | None = None, *options: str, root: Path | None = None
) -> Iterator[Server]:
    """Run the real main job, ``qilab lab [options]``, on a free port until the block ends.

    ``root`` serves that copy of the course (:func:`course_copy`) instead of the checkout.
    """
    port = free_port()
    token = secrets.token_hex(16)
    env = isolated_jupyter_env(tmp)
    env["JUPYTER_TOKEN"] = token
    if root is not None:
        env["QILAB_ROOT"] = str(root)
    argv = [str(BIN / "qilab"), "lab", *([lesson] if lesson else [])]
    argv += ["--port", str(port), "--no-browser", *options]
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


#: ``CasesKernelManager.refill_quiet`` of the test servers (a real server's: 3 s).
TEST_REFILL_QUIET_S = 0.3


@contextmanager
def qilab_cases(tmp: Path, *, pool_size: int = 0, folder: Path | None = None) -> Iterator[Server]:
    """Run ``qilab cases`` (standalone Voila behind the case gallery) until the block ends.

    ``folder`` serves another cases folder (with its own ``cases.yaml``), e.g. one a test made.
    Voila reads no user configuration (a throw-away Jupyter config folder) and needs no
    token: ``Server.token`` is empty. Ready when ``/qilab/status`` answers (kernels may still be
    preheating: the status says how many are ready per case).

    The one setting changed from a real server's: a pool refills after
    :data:`TEST_REFILL_QUIET_S` of no visitors instead of waiting for a room to stop arriving
    (``CasesKernelManager.refill_quiet``), since a test's visits are not a room: tests that
    wait for a pool to refill after a visit would otherwise wait seconds each.
    """
    port = free_port()
    env = isolated_jupyter_env(tmp)
    config_dir = tmp / "jupyter-config"
    config_dir.mkdir(exist_ok=True)
    env["JUPYTER_CONFIG_DIR"] = str(config_dir)
    # Voila reads voila.json from the Jupyter config folder over the server's own settings.
    quiet = {"CasesKernelManager": {"refill_quiet": TEST_REFILL_QUIET_S}}
    (config_dir / "voila.json").write_text(json.dumps(quiet))
    argv = [*cases_command(), "--port", str(port), "--no-browser", "--pool-size", str(pool_size)]
    argv += ["--folder", str(folder)] if folder is not None else []
    base = f"http://127.0.0.1:{port}"
    with running(argv, env, tmp / "qilab-cases.log", base, "", "qilab/status") as server:
        yield server
