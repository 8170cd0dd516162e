"""Start case kernels by forking one process that has already imported what every case needs.

Why: a case kernel spends most of its start-up importing (Python, ipykernel, pandas, altair and
the case stories: about 2 s of CPU a kernel, measured), and every visitor beyond the preheated
pool waits for a whole new kernel. On a 2-core server, 10 visitors arriving together queued
behind 20 s of imports. Here one *template* process (``python -m qilab.cases.forkserver``,
started by the server on first use) imports all of that once; each kernel is then a ``fork()``
of it, which takes milliseconds and shares the imported modules' memory with the template
(copy-on-write), so a visitor's kernel also holds less memory of its own.

The kernel itself is the usual ipykernel, started with the command line and environment
jupyter_client chose, in its own session (process group) as jupyter_client's launcher does, so
interrupting, culling and shutting it down work unchanged. Security is unchanged too: the
template only takes requests on the pipe from the server that started it (nothing listens on a
socket or file), and only ever starts ``ipykernel_launcher``; anything else, or a template that
has died, falls back to jupyter_client's ordinary launch.

Used through :class:`ForkProvisioner`, a jupyter_client kernel provisioner (entry point
``qilab-cases-fork``) that ``qilab cases`` makes the default (:mod:`qilab.cases.server`).
"""

from __future__ import annotations

import asyncio
import gc
import json
import os
import select
import signal
import subprocess
import sys
import threading
from typing import Any

from jupyter_client.provisioning import LocalProvisioner
from traitlets import Int

#: The provisioner's entry-point name (pyproject.toml), set as the default by ``qilab cases``.
PROVISIONER = "qilab-cases-fork"

#: Imported once in the template, so no forked kernel imports them again.
PRELOAD = (
    "ipykernel.kernelapp",
    "ipykernel.ipkernel",
    "ipykernel.comm",
    "ipywidgets",
    "anywidget",
    "numpy",
    "pandas",
    "altair",
    "altair.jupyter",
    "qilab.cases.live",
    # What a case notebook's first run would otherwise import in every kernel (0.7 s of its
    # 1.1 s on the first case, measured): the static rendering and what it uses.
    "ipywidgets.embed",
    "nbformat",
    "fastjsonschema",
    "pandas.io.formats.html",
    "qilab.cases.prerender",
    "qilab.cases.static_widgets",
    "qilab.cases.vega",
    "qilab.measure.chart",
    "qilab.measure.describe",
    "qilab.notebook",
    "qilab.cases.stories.batching",
    "qilab.cases.stories.cardiac",
    "qilab.cases.stories.experience",
    "qilab.cases.stories.gp_access",
    "qilab.cases.stories.lean",
    "qilab.cases.stories.pincer",
    "qilab.cases.stories.winter",
)

#: The only program the template starts: ``python -m ipykernel_launcher ...``.
LAUNCHER = ["-m", "ipykernel_launcher"]


# -- the template process -------------------------------------------------------------------


def _preload() -> None:
    import importlib

    for name in PRELOAD:
        importlib.import_module(name)
    # The Vega-Lite schema, the altair theme and Altair's handling of a pandas frame (narwhals)
    # are set up on first use: do it here, once, with a frame as the cases draw them.
    import altair as alt
    import pandas as pd

    frame = pd.DataFrame(
        {"value": [1.0, 2.0], "week": pd.to_datetime(["2024-04-01", "2024-04-08"])}
    )
    alt.Chart(frame).mark_line().encode(x="week:T", y="value:Q").to_dict()


def _become_kernel(request: dict[str, Any]) -> None:
    """In the forked child: take the kernel's environment and arguments, then run ipykernel."""
    os.setsid()  # its own process group, as jupyter_client's launcher does
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    os.dup2(2, 1)  # fd 1 is the reply pipe to the server: kernels write to the server's stderr
    os.close(devnull)
    os.chdir(request.get("cwd") or os.getcwd())
    if request.get("nice"):
        os.nice(int(request["nice"]))
    os.environ.clear()
    os.environ.update(request["env"])
    import random

    random.seed()  # do not share the template's random state
    sys.argv = ["ipykernel_launcher", *request["argv"][len(LAUNCHER) + 1 :]]
    # ipykernel read JPY_PARENT_PID when the template imported it (a trait default), so say it
    # again: the kernel then exits by itself if the template (and so the server) goes away.
    sys.argv.append(f"--IPKernelApp.parent_handle={int(request['env'].get('JPY_PARENT_PID', 0))}")
    sys.stdin = open(os.devnull)  # noqa: SIM115 - the kernel's stdin for its whole life
    from ipykernel import kernelapp

    kernelapp.launch_new_instance()


def serve(stdin: Any = None, stdout: Any = None) -> None:
    """Template loop: one JSON request a line on stdin, one ``{"pid": N}`` reply a line."""
    stdin = stdin or sys.stdin
    stdout = stdout or sys.stdout
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # kernels are reaped as they exit
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C in the server's terminal: not ours
    _preload()
    # What the template imported lives for ever in every kernel: out of the garbage collector's
    # sight, a kernel's collections do not walk it, nor write to (and so copy) its pages.
    gc.freeze()
    stdout.write(json.dumps({"ready": True, "threads": threading.active_count()}) + "\n")
    stdout.flush()
    for line in stdin:
        try:
            request = json.loads(line)
            if request.get("argv", [])[:3] != [sys.executable, *LAUNCHER]:
                raise ValueError("only ipykernel_launcher is started here")
        except (ValueError, AttributeError, TypeError) as exc:
            stdout.write(json.dumps({"error": str(exc)}) + "\n")
            stdout.flush()
            continue
        stdout.flush()
        pid = os.fork()
        if pid == 0:
            try:
                _become_kernel(request)
            finally:
                os._exit(0)
        stdout.write(json.dumps({"pid": pid}) + "\n")
        stdout.flush()


# -- the server side ------------------------------------------------------------------------


class Template:
    """The server's handle on its template process (started on first use, restarted if dead)."""

    _lock = threading.Lock()
    _process: subprocess.Popen | None = None

    @classmethod
    def fork(cls, argv: list[str], env: dict[str, str], cwd: str | None, nice: int = 0) -> int:
        """A new kernel process's id, forked from the template (raises OSError if it cannot)."""
        with cls._lock:
            process = cls._running()
            request = {"argv": argv, "env": dict(env), "cwd": cwd, "nice": nice}
            assert process.stdin is not None and process.stdout is not None
            process.stdin.write(json.dumps(request) + "\n")
            process.stdin.flush()
            reply = json.loads(process.stdout.readline() or '{"error": "template exited"}')
        if "pid" not in reply:
            raise OSError(f"kernel template refused: {reply.get('error')}")
        return int(reply["pid"])

    @classmethod
    def _running(cls) -> subprocess.Popen:
        if cls._process is not None and cls._process.poll() is None:
            return cls._process
        process = subprocess.Popen(
            [sys.executable, "-m", "qilab.cases.forkserver"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            bufsize=1,
            start_new_session=True,  # Ctrl-C in the server's terminal is for the server
        )
        assert process.stdout is not None
        ready = process.stdout.readline()
        if not ready:
            raise OSError("kernel template did not start")
        cls._process = process
        return process

    @classmethod
    def pid(cls) -> int | None:
        """The template's process id, if it is running (for the benchmark and tests)."""
        process = cls._process
        return process.pid if process is not None and process.poll() is None else None

    @classmethod
    def stop(cls) -> None:
        with cls._lock:
            if cls._process is not None:
                cls._process.stdin.close()  # type: ignore[union-attr]
                cls._process.wait(timeout=10)
                cls._process = None


class ForkedKernel:
    """The bits of ``subprocess.Popen`` jupyter_client uses, for a kernel forked by the template.

    The kernel is the template's child, not the server's, so its exit is seen through a pidfd
    (Linux) and it is signalled by process id.
    """

    stdin = stdout = stderr = None

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.returncode: int | None = None
        try:
            self._pidfd: int | None = os.pidfd_open(pid)
        except (AttributeError, OSError):
            self._pidfd = None

    def poll(self) -> int | None:
        if self.returncode is not None:
            return self.returncode
        if self._pidfd is not None:
            exited = bool(select.select([self._pidfd], [], [], 0)[0])
        else:
            try:
                os.kill(self.pid, 0)
                exited = False
            except ProcessLookupError:
                exited = True
        if exited:
            self.returncode = 0
            if self._pidfd is not None:
                os.close(self._pidfd)
                self._pidfd = None
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        import time

        deadline = None if timeout is None else time.monotonic() + timeout
        while self.poll() is None:
            if deadline is not None and time.monotonic() > deadline:
                raise subprocess.TimeoutExpired("kernel", timeout or 0)
            time.sleep(0.05)
        return self.returncode or 0

    def send_signal(self, signum: int) -> None:
        if self.poll() is None:
            os.kill(self.pid, signum)

    def kill(self) -> None:
        self.send_signal(signal.SIGKILL)

    def terminate(self) -> None:
        self.send_signal(signal.SIGTERM)


class ForkProvisioner(LocalProvisioner):
    """jupyter_client's local provisioner, launching ipykernel by forking the template."""

    nice = Int(
        5,
        config=True,
        help="Niceness added to kernels: the web server, which every visitor's page waits on, "
        "goes first; a kernel preheating for the pool does not slow the pages being served.",
    )

    async def launch_kernel(self, cmd: list[str], **kwargs: Any) -> Any:
        if cmd[:1] != [sys.executable] or cmd[1:3] != LAUNCHER or os.name != "posix":
            return await super().launch_kernel(cmd, **kwargs)  # another Python or kernel
        env = dict(kwargs.get("env") or os.environ)
        env["JPY_PARENT_PID"] = str(os.getpid())  # as jupyter_client's launcher sets it
        try:
            # In a thread: the first call waits for the template's imports (seconds), and
            # the server's event loop must keep serving meanwhile.
            pid = await asyncio.to_thread(Template.fork, cmd, env, kwargs.get("cwd"), self.nice)
        except (OSError, ValueError):
            self.log.warning("No kernel template: starting a kernel normally.", exc_info=True)
            return await super().launch_kernel(cmd, **kwargs)
        self.process = ForkedKernel(pid)  # type: ignore[assignment]
        self.pid = pid
        self.pgid = pid  # the child called setsid()
        self.cwd = kwargs.get("cwd") or os.getcwd()
        return self.connection_info


if __name__ == "__main__":
    serve()
