"""Serve the case studies with standalone Voila: a gallery, then each case as an app.

Why standalone Voila and never a Jupyter server extension: a Jupyter server accepts code from
anyone who reaches it, while standalone Voila only starts a kernel for a listed notebook, runs
that notebook, and lets the page talk to its widgets (it drops ``execute_request`` messages).
Visitors cannot run code or browse files: the gallery replaces Voila's folder listing, file
serving is switched off, and tracebacks never reach the page.

Kernels are preheated (the notebook already executed, waiting for a visitor) so a case opens
in a second or two, each cell has a time limit, and idle kernels are shut down, all sized by
the ``server:`` settings in ``cases.yaml``.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from qilab import paths
from qilab.ports import check_port, free_port

from . import settings as settings_mod
from . import vega
from .catalogue import Case, cases_dir, find_case, load_cases, read_index

#: Jupyter data folder holding QI Lab's Voila and nbconvert templates (put on JUPYTER_PATH).
JUPYTER_DATA = Path(__file__).parent / "jupyter"
VOILA_TEMPLATE = "qilab-cases"

#: The only front-end extensions a case needs: the widget manager and anywidget (Altair charts).
#: Others installed in the environment (nbgrader, notebook) fail outside JupyterLab.
LABEXTENSIONS = [
    "@voila-dashboards/widgets-manager8",
    "@jupyter-widgets/jupyterlab-manager",
    "anywidget",
]

CELL_ERROR_MESSAGE = (
    "This part of the case study could not be shown. Reload the page, and tell your course "
    "team if it happens again."
)
CELL_TIMEOUT_MESSAGE = (
    "This part of the case study took too long to prepare and was stopped. Reload the page, "
    "and tell your course team if it happens again."
)


@dataclass(frozen=True)
class CasesLaunch:
    """Everything needed to start Voila on the cases: folder, traitlets config, env, URL."""

    folder: Path
    config: dict[str, dict[str, Any]]
    env: dict[str, str] = field(default_factory=dict)
    url: str = ""
    extra_args: list[str] = field(default_factory=list)


def render_path(case: Case) -> str:
    """Path of a case's Voila app, relative to the server's base URL."""
    return f"voila/render/{case.notebook.name}"


#: The kernel provisioner of :mod:`qilab.cases.forkserver` (its entry point in pyproject.toml).
FORK_PROVISIONER = "qilab-cases-fork"

#: Seconds after handing out a preheated kernel before Voila starts its replacement. A visitor
#: arriving meanwhile waits for that replacement, so it must be short; the refill does not slow
#: the first visitor's page because kernels run at a lower priority (``ForkProvisioner.nice``)
#: and a forked kernel needs little CPU to start. While visitors keep arriving (a room opening a
#: case together) the refill waits for them to stop (``CasesKernelManager.refill_quiet``), unless
#: a visitor is waiting for it.
REFILL_DELAY_S = 1.0

#: Addresses that mean "every network interface": the server is then reachable from others.
ALL_INTERFACES = frozenset({"0.0.0.0", "::", ""})
LOOPBACK_NAMES = frozenset({"localhost", "127.0.0.1", "::1"})


def allowed_hosts(ip: str, extra: tuple[str, ...] | list[str] = ()) -> set[str]:
    """Host names a visitor's browser may send in ``Host``: localhost, the address listened
    on, this computer's own names when listening on every interface, and *extra*.

    Examples
    --------
    >>> sorted(allowed_hosts("127.0.0.1", ["boardroom.trust.nhs.uk"]))
    ['127.0.0.1', '::1', 'boardroom.trust.nhs.uk', 'localhost']
    """
    hosts = set(LOOPBACK_NAMES) | {h.strip().lower() for h in extra}
    if ip in ALL_INTERFACES:
        import socket

        hosts |= {socket.gethostname().lower(), socket.getfqdn().lower()}
    else:
        hosts.add(ip.lower())
    return hosts


def unlisted_pattern(folder: Path, cases: list[Case]) -> str:
    """A regular expression matching every notebook path except the listed cases' notebooks.

    Voila tests it against the absolute path it found (``folder/…``); a listed name in a
    subfolder is not the listed case, so it matches too.

    Examples
    --------
    >>> import re
    >>> from qilab.cases import load_cases
    >>> cases = load_cases()
    >>> pattern = re.compile(unlisted_pattern(cases[0].folder, cases))
    >>> bool(pattern.match(str(cases[0].notebook))), bool(pattern.match("canary.ipynb"))
    (False, True)
    """
    import re

    listed = "|".join(re.escape(case.notebook.name) for case in cases)
    return rf"^(?!(?:{re.escape(str(folder))}/)?(?:{listed})$)"


def voila_config(
    folder: Path,
    cases: list[Case],
    server: settings_mod.ServerSettings,
    *,
    port: int,
    ip: str,
    open_browser: bool,
    open_path: str = "",
    token: str = "",
) -> dict[str, dict[str, Any]]:
    """The traitlets configuration of the Voila app, from the ``server:`` settings.

    Examples
    --------
    >>> from qilab.cases import ServerSettings, load_cases
    >>> from qilab.cases.server import voila_config
    >>> cases = load_cases()
    >>> cfg = voila_config(cases[0].folder, cases, ServerSettings(execution_timeout=30),
    ...                    port=8866, ip="127.0.0.1", open_browser=False)
    >>> cfg["VoilaExecutor"]["timeout"], cfg["VoilaConfiguration"]["show_tracebacks"]
    (30, False)
    """
    pools = {case.notebook.name: {"pool_size": server.pool_for(case.slug)} for case in cases}
    preheat = any(spec["pool_size"] > 0 for spec in pools.values())
    pooled = sum(spec["pool_size"] for spec in pools.values())
    return {
        "Voila": {
            "root_dir": str(folder),
            "ip": ip,
            "port": port,
            "port_retries": 0,  # the port was checked: never wander off to another one
            "open_browser": open_browser,
            "token": token,
            "kernel_websocket_connection_class": "qilab.cases.websocket.VisitorSafeConnection",
            # jupyter_server's Host check (DNS rebinding): only these names reach a handler.
            "tornado_settings": {
                "allow_remote_access": False,
                "local_hostnames": sorted(allowed_hosts(ip, server.allowed_hosts)),
            },
        },
        "CasesVoila": {"open_path": open_path},
        # /logout: jupyter_server's own handler needs a template Voila does not ship (a 500).
        "PasswordIdentityProvider": {
            "logout_handler_class": "qilab.cases.voila_app.LogoutHandler",
        },
        "VoilaConfiguration": {
            "template": VOILA_TEMPLATE,
            "theme": "light",
            "strip_sources": True,
            "show_tracebacks": False,
            "file_allowlist": [],  # no file downloads at all: the cases need none
            "extension_allowlist": LABEXTENSIONS,
            "preheat_kernel": preheat,
            "default_pool_size": server.pool_size,
            "allow_theme_override": "NO",
            "allow_template_override": "NO",
            "multi_kernel_manager_class": "qilab.cases.kernels.CasesKernelManager",
        },
        "VoilaKernelManager": {
            # Voila preheats every notebook it finds under the folder: only listed cases get a
            # pool (the default is none), and every other notebook is on the deny list.
            "kernel_pools_config": {"default": {"pool_size": 0}, **pools},
            "preheat_denylist": [unlisted_pattern(folder, cases)],
            "fill_delay": REFILL_DELAY_S,
        },
        "CasesKernelManager": {
            "max_visitor_kernels": server.visitor_cap(pooled),
            "leave_grace": float(server.leave_grace),
            "connect_timeout": float(server.connect_timeout),
        },
        # The case template draws each page's static charts on the server (qilab.cases.prerender).
        "VoilaExporter": {
            "filters": {"qilab_drawn_charts": "qilab.cases.prerender.with_drawn_charts"},
        },
        "VoilaExecutor": {
            "timeout": server.execution_timeout,
            # Interrupt the runaway cell (freeing the kernel's CPU); the visitor then sees
            # CELL_ERROR_MESSAGE and the rest of the notebook is not run.
            "interrupt_on_timeout": True,
            "show_tracebacks": False,
            "cell_error_instruction": CELL_ERROR_MESSAGE,
            "cell_timeout_instruction": CELL_TIMEOUT_MESSAGE,
        },
        # Kernels are forked from one process that has already imported what the cases need
        # (qilab.cases.forkserver): a kernel starts in well under a second instead of ~2 s of
        # CPU, and shares that memory with the others.
        "KernelProvisionerFactory": {"default_provisioner_name": FORK_PROVISIONER},
        "MappingKernelManager": {
            "cull_idle_timeout": server.cull_idle_timeout,
            "cull_interval": server.cull_interval,
            "cull_connected": server.cull_connected,
            "cull_busy": False,
        },
    }


def cases_launch(
    case: str | None = None,
    *,
    folder: Path | None = None,
    port: int = 8866,
    ip: str = "127.0.0.1",
    open_browser: bool = True,
    pool_size: int | None = None,
    max_kernels: int | None = None,
    hosts: list[str] | None = None,
    token: str = "",
    audience: int | None = None,
    extra_args: list[str] | None = None,
) -> CasesLaunch:
    """Work out how to serve the cases, checking everything a person could get wrong first.

    Parameters
    ----------
    case : str, optional
        Open this case (its slug) instead of the gallery.
    folder : Path, optional
        The cases folder (default ``curriculum/cases``).
    port, ip : int, str
        Where to listen; port 0 picks a free port.
    open_browser : bool
        Open a web browser on the gallery (or the case).
    pool_size : int, optional
        Preheated kernels per case, overriding ``server.pool_size`` in ``cases.yaml``.
    max_kernels : int, optional
        Live kernels allowed at once, overriding ``server.max_kernels``.
    hosts : list of str, optional
        More host names visitors may use, added to ``server.allowed_hosts``.
    token : str
        Visitors need this token (``?token=…`` once; then a cookie); empty: no token.
    audience : int, optional
        Keep this many kernels preheated for *case*: a room opening it together all get a
        ready page (:meth:`ServerSettings.for_audience`). Needs *case*.

    Examples
    --------
    >>> from qilab.cases import cases_launch
    >>> launch = cases_launch(port=0, open_browser=False, pool_size=0)
    >>> launch.config["VoilaConfiguration"]["preheat_kernel"]
    False
    """
    folder = (folder or cases_dir()).resolve()
    cases = load_cases(folder)
    server = settings_mod.from_index(read_index(folder), folder / "cases.yaml")
    server = server.with_overrides(
        pool_size=pool_size,
        max_kernels=max_kernels,
        allowed_hosts=(*server.allowed_hosts, *hosts) if hosts else None,
    )
    if audience is not None:
        if not case:
            raise settings_mod.CaseSettingsError(
                "--audience preheats kernels for the case you present: name it, e.g. "
                f"`qilab cases {cases[0].slug} --audience {audience}`."
            )
        slug = find_case(case, cases).slug
        others = sum(server.pool_for(c.slug) for c in cases if c.slug != slug)
        server = server.for_audience(slug, audience, others)
    open_path = render_path(find_case(case, cases)) if case else ""
    if port == 0:
        port = free_port(ip)
    check_port(port, ip, command="qilab cases")
    config = voila_config(
        folder,
        cases,
        server,
        port=port,
        ip=ip,
        open_browser=open_browser,
        open_path=open_path,
        token=token,
    )
    jupyter_path = os.pathsep.join(
        p for p in (str(JUPYTER_DATA), os.environ.get("JUPYTER_PATH")) if p
    )
    env = {
        "JUPYTER_PATH": jupyter_path,
        # Kernels inherit this: their charts then share the one Vega script the server serves.
        vega.URL_ENV: f"/{vega.BUNDLE_PATH}",
        "QILAB_ROOT": str(paths.project_root()),
        "PATH": os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")]),
    }
    return CasesLaunch(
        folder=folder,
        config=config,
        env=env,
        url=f"http://{ip}:{port}/{open_path}" + (f"?token={token}" if token else ""),
        extra_args=list(extra_args or []),
    )


def serve(launch: CasesLaunch) -> None:
    """Run Voila on the cases in this process until it is stopped (Ctrl-C)."""
    os.environ.update(launch.env)
    from traitlets.config import Config

    from .voila_app import CasesVoila

    CasesVoila.launch_instance(
        argv=[str(launch.folder), *launch.extra_args], config=Config(launch.config)
    )
