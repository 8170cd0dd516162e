"""The hub's description (who tutors, who learns, where things live) → ``jupyterhub_config.py``.

An academy's IT team wants a file they can read, keep under change control and adapt, not a
hub configured in code they cannot see, so ``qilab hub`` writes a plain ``jupyterhub_config.py``
into the hub's state folder and starts JupyterHub on it (``qilab hub --print-config`` prints it).
Everything that must survive a restart lives in that folder too: the hub's SQLite database
(users, their servers, OAuth clients) and its cookie secret (so a restart logs nobody out).

Passwords are never written into the file: the trial authenticator reads them from the
environment of the hub (``QILAB_HUB_PASSWORD``, and ``QILAB_HUB_ADMIN_PASSWORD`` when there are
hub admins).
"""

from __future__ import annotations

import json
import os
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from qilab.errors import QilabError

#: The hub's own files, kept across restarts, inside the state folder.
CONFIG_NAME = "jupyterhub_config.py"
DB_NAME = "jupyterhub.sqlite"
COOKIE_SECRET_NAME = "jupyterhub_cookie_secret"
#: The course's LTI 1.3 settings (`qilab course lms`): with them, the hub's log-in is the LMS's.
LTI_NAME = "lti.yaml"
#: The launch claim that names an LMS instructor (a tutor) on the hub, by the course's
#: ``learner_id`` setting. Learners are named by the course's roster whatever the setting
#: (qilab/hub/lti.py); a tutor is not on it, so is named by their email where learners are,
#: else by their LMS user id (a launch need not carry the SIS ``sourcedid``, and it can change).
LTI_USERNAME_KEYS = {"user_id": "sub", "email": "email", "sourcedid": "sub"}
#: What the academy's IT team enters in the LMS for the QI Lab tool: the hub's public address
#: followed by these paths (qilab/hub/lti.py serves them).
LTI_TOOL_PATHS = {
    "login initiation URL": "/hub/lti13/oauth_login",
    "redirect URI": "/hub/lti13/oauth_callback",
    "target link URI": "/hub",
    "public keyset URL": "/hub/lti13/jwks",
}
#: The group whose members get the tutor tools (and the course folder).
TUTORS_GROUP = "tutors"
#: Environment variables holding the trial authenticator's passwords.
PASSWORD_ENV = "QILAB_HUB_PASSWORD"
ADMIN_PASSWORD_ENV = "QILAB_HUB_ADMIN_PASSWORD"
#: Hub user names become folder names and JupyterHub URLs: keep them plain.
USERNAME = re.compile(r"^[a-z0-9][a-z0-9._@-]{0,63}$")
AUTHENTICATORS = ("shared-password", "pam", "lti")
#: Most processes and threads one learner's server may run: JupyterLab's ~20 threads and a
#: few kernels of ~20 each (more on a many-core machine's maths libraries), far below a bomb.
DEFAULT_MAX_PROCESSES = 512
#: Cores of CPU time one learner's server may use: one, so a runaway loop on a shared VM slows
#: only its own learner (a kernel runs Python on one core anyway).
DEFAULT_CPU_LIMIT = 1.0
#: Seconds a learner's server may sit unused before the idle culler stops it.
DEFAULT_CULL_IDLE = 3600


def default_memory_limit_mb(total_bytes: int | None = None) -> int:
    """A learner's memory cap, MiB: an eighth of this machine, within 1–4 GiB.

    benchmarks/hub.py measured 0.33 GB for a learner working through a lesson, so 1 GiB leaves
    them room for their own data (as z2jh's 1 GB limit does); an eighth of the machine means a
    runaway learner takes at most that much from everybody else.

    >>> default_memory_limit_mb(24 * 1024**3)
    3072
    >>> default_memory_limit_mb(4 * 1024**3)
    1024
    """
    import psutil

    total = total_bytes if total_bytes is not None else psutil.virtual_memory().total
    return max(1024, min(4096, total // 8 // (1024 * 1024)))


class HubConfigError(QilabError):
    """The hub's description is incomplete or wrong; the message says what to change."""


@dataclass(frozen=True)
class HubSettings:
    """Everything ``jupyterhub_config.py`` is made from."""

    state: Path
    course: Path
    course_id: str
    exchange: Path
    tutors: tuple[str, ...]
    learners: tuple[str, ...]
    admins: tuple[str, ...] = ()
    ip: str = "127.0.0.1"
    port: int = 8000
    hub_port: int = 8081
    proxy_api_port: int = 8001
    authenticator: str = "shared-password"
    #: The pinned configurable-http-proxy (qilab.hub.proxy.proxy_command()).
    proxy_command: tuple[str, ...] = ()
    lti: dict[str, str] = field(default_factory=dict)
    #: Each learner's server with all its kernels: MiB of memory, processes (0: no cap).
    memory_limit_mb: int = 1024
    max_processes: int = DEFAULT_MAX_PROCESSES
    #: Cores of CPU time each learner's server with all its kernels may use (0: no cap).
    cpu_limit: float = DEFAULT_CPU_LIMIT
    #: Seconds unused before the idle culler stops a server (0: no culler).
    cull_idle: int = DEFAULT_CULL_IDLE

    @property
    def users_root(self) -> Path:
        """Each person's own folder (their home inside their server)."""
        return self.state / "users"

    @property
    def learner_config(self) -> Path:
        """The learners' nbgrader settings (exchange and course id only: no gradebook)."""
        return self.state / "learner-config"


def check_username(name: str, where: str) -> str:
    """A user name JupyterHub and folders can both use, or one clear error."""
    if not USERNAME.match(name):
        raise HubConfigError(
            f"{where}: {name!r} is not a usable hub user name: use lower-case letters, digits "
            "and . _ - @ (starting with a letter or digit), at most 64 characters."
        )
    return name


def read_users(path: Path) -> dict[str, list[str]]:
    """``tutors:``, ``learners:`` and ``admins:`` lists from a small YAML file."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except FileNotFoundError:
        raise HubConfigError(f"{path} does not exist: give the users file's path.") from None
    except yaml.YAMLError as exc:
        raise HubConfigError(f"{path} is not valid YAML ({exc}): fix it and run again.") from None
    if not isinstance(data, dict) or set(data) - {"tutors", "learners", "admins"}:
        raise HubConfigError(
            f"{path} must hold only the lists tutors:, learners: and admins: "
            "(e.g. `tutors: [t.jones]`)."
        )
    users: dict[str, list[str]] = {}
    for key in ("tutors", "learners", "admins"):
        names = data.get(key) or []
        if not isinstance(names, list):
            raise HubConfigError(f"{path}: {key}: must be a list of user names.")
        users[key] = [check_username(str(n), f"{path} {key}") for n in names]
    return users


def read_lti(path: Path) -> dict[str, str]:
    """The LMS's LTI 1.3 addresses for the hub's log-in, from the course's ``lti.yaml``."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        raise HubConfigError(f"{path} is not valid YAML ({exc}): fix it.") from None
    needed = ("issuer", "client_id", "auth_login_url", "key_set_url")
    missing = [key for key in needed if not isinstance(data, dict) or not data.get(key)]
    if missing:
        raise HubConfigError(
            f"{path} lacks {', '.join(missing)}: copy them from the LMS's tool registration "
            "(grading/README.md §9 names each one)."
        )
    learner_id = str(data.get("learner_id") or "user_id")
    if learner_id not in LTI_USERNAME_KEYS:
        raise HubConfigError(
            f"{path}: learner_id {learner_id!r} is not one QI Lab knows: use "
            f"{', '.join(LTI_USERNAME_KEYS)}."
        )
    return {
        "issuer": str(data["issuer"]),
        "client_id": str(data["client_id"]),
        "authorize_url": str(data["auth_login_url"]),
        "jwks_url": str(data["key_set_url"]),
        "username_key": LTI_USERNAME_KEYS[learner_id],
    }


CONFIG_TEMPLATE = """\
# jupyterhub_config.py for the QI Lab course {course_id!r}.
# Written by `qilab hub` (qilab/hub/config.py); `qilab hub` rewrites it on every start, so
# change the hub's description (its options or users file) rather than this file, or copy it
# and start JupyterHub on it yourself once `qilab hub` has run (it also writes the learners'
# nbgrader settings and the course's exchange settings):
#   jupyterhub -f {config}
import os

c = get_config()  # noqa: F821 - provided by traitlets when it loads this file

# Where people connect (the proxy), and the hub's own API (only this machine).
c.JupyterHub.bind_url = {bind_url}
c.JupyterHub.hub_bind_url = {hub_bind_url}
# The proxy: configurable-http-proxy, the exact version pinned in qilab/hub/node/.
c.ConfigurableHTTPProxy.command = {proxy_command}
c.ConfigurableHTTPProxy.api_url = {proxy_api_url}
c.ConfigurableHTTPProxy.pid_file = {proxy_pid}

# Kept across restarts: users and servers (SQLite), and the cookie secret (nobody is logged out).
c.JupyterHub.db_url = {db_url}
c.JupyterHub.cookie_secret_file = {cookie_secret}
c.JupyterHub.pid_file = {hub_pid}

# Who may log in. Tutors are the {tutors_group!r} group: they get the course and nbgrader's
# tutor tools; everyone else is a learner.
c.Authenticator.allowed_users = {allowed}
c.Authenticator.admin_users = {admins}
{groups}{auth}
# Each person's own JupyterLab (qilab/hub/spawner.py): learners inside a bubblewrap sandbox that
# sees only their own folder, the course's released assignments and their own submissions and
# feedback; tutors with the course folder.
c.JupyterHub.spawner_class = "qilab.hub.spawner.QilabSpawner"
c.QilabSpawner.users_root = {users_root}
c.QilabSpawner.course = {course}
c.QilabSpawner.course_id = {course_id!r}
c.QilabSpawner.exchange = {exchange}
c.QilabSpawner.learner_config = {learner_config}
c.QilabSpawner.tutors_group = {tutors_group!r}
c.Spawner.start_timeout = 120
c.Spawner.http_timeout = 120
# Per learner: their server and all its kernels together get at most this memory (a memory
# control group: past it the kernel's out-of-memory killer stops their largest process) and
# this many processes and threads (a fork bomb is refused) and cores of CPU time (a loop that
# never ends is slowed to it, so the others keep theirs); 0 or None: no cap. Tutors have none.
c.QilabSpawner.mem_limit = {mem_limit}
c.QilabSpawner.max_processes = {max_processes}
c.QilabSpawner.cpu_limit = {cpu_limit}
{culler}"""

CULLER = """# The idle culler (jupyterhub-idle-culler, a hub-managed service): a server unused for
# {timeout} s is stopped, so its memory is free for others. The learner's folder stays; their
# next log-in starts the server again. Its role lets it read activity and stop servers only.
c.JupyterHub.services = [
    {{
        "name": "idle-culler",
        "command": [{python}, "-m", "jupyterhub_idle_culler", "--timeout={timeout}",
                    "--cull-every={every}"],
    }}
]
c.JupyterHub.load_roles = [
    {{
        "name": "idle-culler",
        "scopes": ["list:users", "read:users:activity", "read:servers", "delete:servers"],
        "services": ["idle-culler"],
    }}
]
"""

SHARED_PASSWORD_AUTH = f"""\
# Log-in: one password for the course (a workshop, a trial; the academy's LMS replaces it when
# the course has an lti.yaml). Passwords come from the hub's environment, never this file.
c.JupyterHub.authenticator_class = "shared-password"
c.SharedPasswordAuthenticator.user_password = os.environ["{PASSWORD_ENV}"]
if c.Authenticator.admin_users:
    c.SharedPasswordAuthenticator.admin_password = os.environ["{ADMIN_PASSWORD_ENV}"]
"""

PAM_AUTH = """\
# Log-in: this machine's own accounts (PAM), as The Littlest JupyterHub does.
c.JupyterHub.authenticator_class = "pam"
"""

LOAD_GROUPS = """c.JupyterHub.load_groups = {{"{tutors_group}": {{"users": {tutors}}}}}
"""

LTI_AUTH = """\
# Log-in: LTI 1.3 launches from the academy's LMS, from the course's lti.yaml: the OIDC login of
# jupyterhub-ltiauthenticator with QI Lab's own launch checks (qilab/hub/lti.py: registered
# deployment ids, a launch used once only). Learners are named as the course's roster names
# them (`qilab course lms roster`); the linked LMS course's instructors are tutors, by the
# role in each launch (so the tutors group is set at each launch, not by load_groups, and a
# tutor named above is one when they launch as an instructor).
# Register in the LMS (<hub>: the hub's public HTTPS address): login initiation URL
# <hub>/hub/lti13/oauth_login, redirect URI <hub>/hub/lti13/oauth_callback, target link URI
# <hub>/hub, public keyset URL <hub>/hub/lti13/jwks (or paste `qilab course lms keys`'s key).
c.JupyterHub.authenticator_class = "qilab.hub.lti.QilabLTI13Authenticator"
c.QilabLTI13Authenticator.course = {course}
c.QilabLTI13Authenticator.tutors_group = {tutors_group!r}
c.LTI13Authenticator.issuer = {issuer!r}
c.LTI13Authenticator.client_id = [{client_id!r}]
c.LTI13Authenticator.authorize_url = {authorize_url!r}
c.LTI13Authenticator.jwks_endpoint = {jwks_url!r}
c.LTI13Authenticator.username_key = {username_key!r}
"""


def _literal(value: object) -> str:
    """A Python literal for the config file (JSON strings and lists are Python literals)."""
    if isinstance(value, Path):
        value = str(value)
    if isinstance(value, tuple | set | frozenset):
        value = sorted(value) if not isinstance(value, tuple) else list(value)
    return json.dumps(value)


def config_text(settings: HubSettings) -> str:
    """The ``jupyterhub_config.py`` for these settings (pure: nothing is written or started)."""
    state = settings.state
    tutors = _literal(sorted(settings.tutors))
    groups = LOAD_GROUPS.format(tutors_group=TUTORS_GROUP, tutors=tutors)
    if settings.authenticator == "lti":
        auth = LTI_AUTH.format(
            **settings.lti,
            course=_literal(settings.course),
            tutors_group=TUTORS_GROUP,
        )
        groups = ""
    elif settings.authenticator == "pam":
        auth = PAM_AUTH
    else:
        auth = SHARED_PASSWORD_AUTH
    allowed = sorted({*settings.learners, *settings.tutors, *settings.admins})
    return CONFIG_TEMPLATE.format(
        course_id=settings.course_id,
        config=state / CONFIG_NAME,
        bind_url=_literal(f"http://{settings.ip}:{settings.port}"),
        hub_bind_url=_literal(f"http://127.0.0.1:{settings.hub_port}"),
        proxy_command=_literal(list(settings.proxy_command)),
        proxy_api_url=_literal(f"http://127.0.0.1:{settings.proxy_api_port}"),
        proxy_pid=_literal(state / "jupyterhub-proxy.pid"),
        db_url=_literal(f"sqlite:///{state / DB_NAME}"),
        cookie_secret=_literal(state / COOKIE_SECRET_NAME),
        hub_pid=_literal(state / "jupyterhub.pid"),
        allowed=_literal(allowed),
        admins=_literal(sorted(settings.admins)),
        tutors_group=TUTORS_GROUP,
        groups=groups,
        auth=auth,
        users_root=_literal(settings.users_root),
        course=_literal(settings.course),
        exchange=_literal(settings.exchange),
        learner_config=_literal(settings.learner_config),
        mem_limit=repr(settings.memory_limit_mb * 1024 * 1024 or None),  # bytes, as traitlets
        max_processes=settings.max_processes,
        cpu_limit=repr(settings.cpu_limit or None),
        culler=culler_text(settings.cull_idle),
    )


def culler_text(timeout: int) -> str:
    """The idle culler's service and role (nothing when ``timeout`` is 0: no culling)."""
    if timeout <= 0:
        return "# No idle culler (qilab hub --cull-idle 0): servers run until stopped.\n"
    # Look a few times per timeout (the culler's own default, 10 minutes, at most).
    every = max(1, min(600, timeout // 3))
    return CULLER.format(timeout=timeout, every=every, python=_literal(sys.executable))


LEARNER_NBGRADER_CONFIG = """\
# nbgrader settings for learners on the QI Lab hub (written by `qilab hub`): the exchange and
# the course id only. Learners never see the course folder, its gradebook or its sources.
c = get_config()  # noqa: F821
c.CourseDirectory.course_id = {course_id!r}
c.Exchange.root = {exchange!r}
c.Exchange.timezone = {timezone!r}
"""


def write_state(settings: HubSettings, timezone: str = "UTC") -> Path:
    """Make the state folder (private to the hub's user) and write the config files into it."""
    for folder in (settings.state, settings.users_root, settings.learner_config):
        folder.mkdir(parents=True, exist_ok=True)
        os.chmod(folder, 0o700)
    (settings.learner_config / "nbgrader_config.py").write_text(
        LEARNER_NBGRADER_CONFIG.format(
            course_id=settings.course_id, exchange=str(settings.exchange), timezone=timezone
        ),
        encoding="utf-8",
    )
    path = settings.state / CONFIG_NAME
    path.write_text(config_text(settings), encoding="utf-8")
    return path


def jupyterhub_command(settings: HubSettings) -> list[str]:
    """How to start the real JupyterHub on the written config (this environment's own)."""
    return [
        str(Path(sys.executable).parent / "jupyterhub"),
        "-f",
        str(settings.state / CONFIG_NAME),
    ]


def describe(
    state: Path,
    course: Path,
    *,
    tutors: list[str],
    learners: list[str] | None = None,
    admins: list[str] | None = None,
    users_file: Path | None = None,
    ip: str = "127.0.0.1",
    port: int = 8000,
    hub_port: int = 8081,
    proxy_api_port: int = 8001,
    authenticator: str | None = None,
    proxy_command: list[str] | None = None,
    memory_limit_mb: int | None = None,
    max_processes: int = DEFAULT_MAX_PROCESSES,
    cull_idle: int = DEFAULT_CULL_IDLE,
    cpu_limit: float = DEFAULT_CPU_LIMIT,
) -> HubSettings:
    """Check the course and the people, and gather the hub's settings.

    Learners default to the course's roster (``qilab course init --roster``), so the hub lets in
    exactly the cohort the gradebook knows. The log-in is LTI 1.3 when the course has an
    ``lti.yaml`` (``qilab course lms``), else the course password (or PAM, asked for by name).
    """
    from qilab.grading.course import Course

    course = course.resolve()
    state = state.resolve()
    opened = Course.open(course)
    people: dict[str, list[str]] = {"tutors": [], "learners": [], "admins": []}
    if users_file is not None:
        people = read_users(users_file)
    people["tutors"] += [check_username(n, "--tutor") for n in tutors]
    people["admins"] += [check_username(n, "--admin") for n in admins or []]
    people["learners"] += [check_username(n, "--learner") for n in learners or []]
    if not people["tutors"]:
        raise HubConfigError(
            "the hub has no tutor: name one with `--tutor NAME` (or `tutors:` in the users file)."
        )
    if not people["learners"]:
        people["learners"] = [
            check_username(learner.id, f"the roster of {course}") for learner in opened.learners()
        ]
    both = sorted(set(people["tutors"]) & set(people["learners"]))
    if both:
        raise HubConfigError(
            f"{', '.join(both)} cannot be both a tutor and a learner: a learner's server is "
            "sandboxed and a tutor's sees the course. Remove them from one list."
        )
    for value, option in ((memory_limit_mb, "--memory-limit"), (max_processes, "--max-processes")):
        if value is not None and value < 0:
            raise HubConfigError(f"{option} {value}: give a number of at least 0 (0: no cap).")
    if memory_limit_mb is not None and 0 < memory_limit_mb < 256:
        raise HubConfigError(
            f"--memory-limit {memory_limit_mb} MiB is too little for JupyterLab and a kernel "
            "(about 330 MB per learner working): give at least 256, or 0 for no cap."
        )
    if 0 < max_processes < 64:
        raise HubConfigError(
            f"--max-processes {max_processes} is too few for JupyterLab and a kernel: give at "
            "least 64, or 0 for no cap."
        )
    if cpu_limit < 0 or 0 < cpu_limit < 0.1:
        raise HubConfigError(
            f"--cpu-limit {cpu_limit:g}: give cores of CPU time per learner, at least 0.1 "
            "(JupyterLab needs it to answer), or 0 for no cap."
        )
    if cull_idle < 0:
        raise HubConfigError(f"--cull-idle {cull_idle}: give seconds (0: never stop idle servers).")
    lti_file = course / LTI_NAME
    lti: dict[str, str] = {}
    if authenticator is None:
        authenticator = "lti" if lti_file.is_file() else "shared-password"
    if authenticator not in AUTHENTICATORS:
        raise HubConfigError(f"unknown log-in {authenticator!r}: use {', '.join(AUTHENTICATORS)}.")
    if authenticator == "lti":
        if not lti_file.is_file():
            raise HubConfigError(f"LTI log-in needs {lti_file}: write it (grading/README.md §9).")
        lti = read_lti(lti_file)
    return HubSettings(
        state=state,
        course=course,
        course_id=opened.course_id,
        exchange=opened.exchange_root().resolve(),
        tutors=tuple(sorted(set(people["tutors"]))),
        learners=tuple(sorted(set(people["learners"]))),
        admins=tuple(sorted(set(people["admins"]))),
        ip=ip,
        port=port,
        hub_port=hub_port,
        proxy_api_port=proxy_api_port,
        authenticator=authenticator,
        proxy_command=tuple(proxy_command or ()),
        lti=lti,
        memory_limit_mb=default_memory_limit_mb() if memory_limit_mb is None else memory_limit_mb,
        max_processes=max_processes,
        cpu_limit=cpu_limit,
        cull_idle=cull_idle,
    )
