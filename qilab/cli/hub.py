"""``qilab hub``: serve a cohort's course on JupyterHub (one server per person)."""

from __future__ import annotations

import argparse
import dataclasses
import os
import sys
from pathlib import Path

from qilab import paths
from qilab.errors import QilabError
from qilab.hub import config as hubconfig
from qilab.ports import check_port, free_port

HELP = "tutors/IT: serve a cohort on JupyterHub (each learner their own sandboxed JupyterLab)"

DESCRIPTION = """\
Serve a cohort's course (made by `qilab course init`) on the real JupyterHub.

Each learner gets their own JupyterLab with the lessons, offline charts and their own folder,
inside a bubblewrap sandbox: they cannot see other learners' work or the course's sources.
Tutors (--tutor, or `tutors:` in a users file) get the course folder and nbgrader's tutor
tools. Learners fetch and submit through nbgrader's exchange; each sees only their own
submissions and feedback. `qilab hub` writes jupyterhub_config.py into the state folder (with
the hub's database and cookie secret, kept across restarts) and starts JupyterHub on it.

Log-in: one course password from the environment (QILAB_HUB_PASSWORD, at least 8 characters;
QILAB_HUB_ADMIN_PASSWORD too when there are --admin users), or LTI 1.3 from the academy's LMS
when the course has an lti.yaml (qilab course lms), or --auth pam for this machine's accounts.
With LTI, learners arrive as the learner ids of the course's roster (qilab course lms roster)
and the linked LMS course's instructors as tutors; on start the hub prints the addresses to
register in the LMS (grading/README.md section 9).

Limits: each learner's server with all its kernels gets a memory cap and a process cap, so one
learner's runaway code (a memory or fork bomb) cannot take the machine from the others; the
hub's log names the learner when a cap stops something. An idle culler stops servers nobody
has used for --cull-idle seconds (their files stay; the next log-in starts them again).
"""

EPILOG = """\
examples:
  QILAB_HUB_PASSWORD=... qilab hub -C cohort-2025 --tutor t.jones
                                   learners: the course's roster; open http://127.0.0.1:8000
  qilab hub -C cohort-2025 --users hub-users.yaml --ip 0.0.0.0 --port 80
  qilab hub -C cohort-2025 --tutor t.jones --print-config > jupyterhub_config.py

A users file lists people by role (learners default to the course's roster):
  tutors: [t.jones]
  learners: [d001, d002]
  admins: []

`python3 make.py hub ...` sets everything up first, including JupyterHub's proxy
(configurable-http-proxy, pinned, installed with npm into .qilab/node/).
"""


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "hub",
        help=HELP,
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "-C",
        "--course",
        default=".",
        metavar="DIR",
        help="the course folder made by `qilab course init` (default: this folder)",
    )
    parser.add_argument(
        "--state",
        metavar="DIR",
        help="the hub's own files: config, database, cookie secret, people's folders "
        "(default: .qilab/hub in the checkout)",
    )
    parser.add_argument("--tutor", action="append", default=[], metavar="NAME", help="a tutor")
    parser.add_argument(
        "--learner",
        action="append",
        default=[],
        metavar="NAME",
        help="a learner (default: everyone on the course's roster)",
    )
    parser.add_argument(
        "--admin", action="append", default=[], metavar="NAME", help="a hub administrator"
    )
    parser.add_argument("--users", metavar="YAML", help="tutors:, learners: and admins: lists")
    parser.add_argument("--ip", default="127.0.0.1", help="address to serve on (default 127.0.0.1)")
    parser.add_argument(
        "--port", type=int, default=8000, help="port to serve on; 0 picks a free one (default 8000)"
    )
    parser.add_argument(
        "--auth",
        choices=hubconfig.AUTHENTICATORS,
        help="log-in (default: lti if the course has an lti.yaml, else shared-password)",
    )
    parser.add_argument(
        "--memory-limit",
        type=int,
        metavar="MIB",
        help="memory for each learner's server and all its kernels together, MiB; 0: no cap "
        f"(default: an eighth of this machine within 1024-4096, here "
        f"{hubconfig.default_memory_limit_mb()})",
    )
    parser.add_argument(
        "--max-processes",
        type=int,
        default=hubconfig.DEFAULT_MAX_PROCESSES,
        metavar="N",
        help="processes and threads each learner's server may run; 0: no cap (default %(default)s)",
    )
    parser.add_argument(
        "--cpu-limit",
        type=float,
        default=hubconfig.DEFAULT_CPU_LIMIT,
        metavar="CORES",
        help="cores of CPU time each learner's server and its kernels may use together (a loop "
        "that never ends is slowed to it); 0: no cap (default %(default)s)",
    )
    parser.add_argument(
        "--cull-idle",
        type=int,
        default=hubconfig.DEFAULT_CULL_IDLE,
        metavar="SECONDS",
        help="stop a server nobody has used for this long, freeing its memory (files stay); "
        "0: never (default %(default)s)",
    )
    parser.add_argument(
        "--print-config",
        action="store_true",
        help="print jupyterhub_config.py (for the IT team) and do not start the hub",
    )
    parser.set_defaults(func=run)


def _installed_proxy() -> list[str]:
    """The pinned proxy if installed, else its name (for a printed config)."""
    from qilab.hub.proxy import proxy_command

    try:
        return proxy_command()
    except QilabError:
        return ["configurable-http-proxy"]


def run(args: argparse.Namespace) -> int:
    # Imported here, not at the top: `qilab --help` builds every command's parser, and the
    # grading package (nbformat, nbgrader) takes seconds to import.
    from qilab.grading import sandbox
    from qilab.grading.exchange import ensure_course_settings
    from qilab.hub.proxy import proxy_command

    state = Path(args.state) if args.state else paths.state_dir() / "hub"
    port = free_port(args.ip) if args.port == 0 else args.port
    printing = args.print_config
    settings = hubconfig.describe(
        state,
        Path(args.course),
        tutors=args.tutor,
        learners=args.learner,
        admins=args.admin,
        users_file=Path(args.users) if args.users else None,
        ip=args.ip,
        port=port,
        hub_port=8081 if printing else free_port(),
        proxy_api_port=8001 if printing else free_port(),
        authenticator=args.auth,
        proxy_command=_installed_proxy(),
        memory_limit_mb=args.memory_limit,
        max_processes=args.max_processes,
        cpu_limit=args.cpu_limit,
        cull_idle=args.cull_idle,
    )
    if printing:
        print(hubconfig.config_text(settings), end="")
        return 0
    check_port(port, args.ip, command="qilab hub")
    if settings.authenticator == "shared-password":
        password = os.environ.get(hubconfig.PASSWORD_ENV, "")
        if len(password) < 8:
            raise QilabError(
                f"set the course password in {hubconfig.PASSWORD_ENV} (at least 8 characters; "
                "tell it to the cohort), or log in through the LMS: see `qilab course lms`."
            )
        if settings.admins and len(os.environ.get(hubconfig.ADMIN_PASSWORD_ENV, "")) < 32:
            raise QilabError(
                f"hub admins need their own password in {hubconfig.ADMIN_PASSWORD_ENV} "
                "(at least 32 characters, not the course password)."
            )
    reason = sandbox.probe()
    if reason:
        raise QilabError(
            f"refusing to start the hub: {reason}, so learners' servers could not be kept "
            "apart. To fix: install bubblewrap on Linux (Debian/Ubuntu: `sudo apt-get install "
            "bubblewrap`)."
        )
    settings = dataclasses.replace(settings, proxy_command=tuple(proxy_command()))
    if ensure_course_settings(settings.course):
        print(
            f"qilab hub: added the hub's exchange settings to {settings.course}/nbgrader_config.py",
            file=sys.stderr,
        )
    config = hubconfig.write_state(settings)
    print(
        f"QI Lab hub for course {settings.course_id!r}: {len(settings.learners)} learner(s), "
        f"tutors {', '.join(settings.tutors)}.\n"
        f"    each learner: memory {settings.memory_limit_mb or 'not capped'} MiB, "
        f"{settings.max_processes or 'any number of'} processes; idle servers stopped after "
        f"{settings.cull_idle or 'never'} s\n"
        f"    open http://{settings.ip}:{settings.port}/ (Ctrl-C to stop)\n"
        f"    config: {config}",
        file=sys.stderr,
        flush=True,
    )
    if settings.authenticator == "lti":
        base = f"http://{settings.ip}:{settings.port}"
        print(
            "    LMS tool registration, on the hub's public (HTTPS) address, here "
            f"{base}:\n"
            + "".join(
                f"      {what}: {base}{path}\n" for what, path in hubconfig.LTI_TOOL_PATHS.items()
            ),
            end="",
            file=sys.stderr,
            flush=True,
        )
    argv = hubconfig.jupyterhub_command(settings)
    os.chdir(settings.state)
    os.execv(argv[0], argv)
    return 0  # pragma: no cover - execv does not return
