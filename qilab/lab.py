"""Serve the course in JupyterLab on embedded defaults.

Everything lives in the checkout (``qilab.paths``): lessons in ``curriculum/``, the nbgrader course
in ``assignments/`` with its ``nbgrader_config.py``, and local state — the SQLite gradebook and
the nbgrader exchange — in ``.qilab/``. Nothing needs configuring and nothing reaches the
internet: JupyterLab's news feed, update check and PyPI extension manager are switched off by
``qilab/jupyter_config/jupyter_server_config.json``.
"""

from __future__ import annotations

import difflib
import os
import secrets
import sys
from dataclasses import dataclass, field
from pathlib import Path

from qilab import paths
from qilab.errors import QilabError
from qilab.ports import check_port, free_port

#: The page a learner lands on.
START_PAGE = "START.ipynb"

#: Jupyter settings QI Lab ships (offline defaults); put on JUPYTER_CONFIG_PATH.
JUPYTER_CONFIG_DIR = Path(__file__).parent / "jupyter_config"
#: Put first for learners: hides nbgrader's tutor tools (see its README).
LEARNER_CONFIG_DIR = JUPYTER_CONFIG_DIR / "learner"
#: Command-line settings that choose the server's token.
TOKEN_SETTINGS = ("--ServerApp.token=", "--IdentityProvider.token=", "--NotebookApp.token=")


def choose_token(extra_args: list[str], environ: dict[str, str]) -> tuple[str, list[str]]:
    """The token the server will use, and the arguments that set it.

    Jupyter makes up a token when none is given and prints it in its log, so the address QI Lab
    printed opened a login page. QI Lab chooses the token itself (unless the person gave one, as
    an argument after ``--`` or in ``JUPYTER_TOKEN``) so the address it prints works.

    >>> choose_token(["--ServerApp.token=abc"], {})
    ('abc', [])
    >>> choose_token([], {"JUPYTER_TOKEN": "xyz"})
    ('xyz', [])
    """
    for arg in extra_args:
        for setting in TOKEN_SETTINGS:
            if arg.startswith(setting):
                return arg.removeprefix(setting), []
    if environ.get("JUPYTER_TOKEN"):
        return environ["JUPYTER_TOKEN"], []
    token = secrets.token_hex(24)
    return token, [f"--IdentityProvider.token={token}"]


@dataclass(frozen=True)
class LabLaunch:
    """Everything needed to start JupyterLab on the course: argv for Jupyter and the env."""

    argv: list[str]
    env: dict[str, str] = field(default_factory=dict)
    url: str = ""


def find_notebook(name: str | None, curriculum: Path) -> Path:
    """Resolve a lesson name such as ``measurement/run-charts`` to a notebook in ``curriculum/``.

    >>> find_notebook(None, paths.curriculum_dir()).name
    'START.ipynb'
    """
    if not name:
        target = curriculum / START_PAGE
        if not target.is_file():
            raise QilabError(
                f"The course start page {target} is missing: restore it with "
                "`git checkout -- curriculum/` or name a lesson, e.g. `qilab lab LESSON`."
            )
        return target
    candidate = Path(name)
    if candidate.suffix != ".ipynb":
        candidate = candidate.with_suffix(".ipynb")
    for path in (curriculum / candidate, Path.cwd() / candidate):
        if path.is_file() and curriculum in path.resolve().parents:
            return path.resolve()
    lessons = sorted(
        str(p.relative_to(curriculum).with_suffix(""))
        for p in curriculum.rglob("*.ipynb")
        if ".ipynb_checkpoints" not in p.parts
    )
    close = difflib.get_close_matches(str(candidate.with_suffix("")), lessons, n=3, cutoff=0.4)
    hint = f" Did you mean: {', '.join(close)}?" if close else ""
    raise QilabError(
        f"No lesson called '{name}' in {curriculum}.{hint} "
        "Run `qilab lab` without a name to open the start page, which links every lesson."
    )


def _running_as_root() -> bool:
    return hasattr(os, "geteuid") and os.geteuid() == 0


def prepare_state() -> Path:
    """Create the local state folders nbgrader expects (gradebook folder, exchange)."""
    state = paths.state_dir()
    (state / "exchange").mkdir(exist_ok=True)
    return state


def lab_launch(
    notebook: str | None = None,
    *,
    port: int = 8888,
    ip: str = "127.0.0.1",
    open_browser: bool = True,
    extra_args: list[str] | None = None,
    tutor: bool = False,
) -> LabLaunch:
    """Work out how to start JupyterLab on the course, checking what a person could get wrong."""
    root = paths.project_root()
    curriculum = paths.curriculum_dir()
    if not curriculum.is_dir():
        raise QilabError(f"The curriculum folder {curriculum} is missing: restore it from git.")
    course = paths.assignments_dir()
    if not (course / "nbgrader_config.py").is_file():
        raise QilabError(
            f"{course / 'nbgrader_config.py'} is missing, so nbgrader cannot find the course: "
            "restore it with `git checkout -- assignments/nbgrader_config.py`."
        )
    target = find_notebook(notebook, curriculum)
    if port == 0:
        port = free_port(ip)
    check_port(port, ip)
    prepare_state()

    rel = target.relative_to(root).as_posix()
    token, token_args = choose_token(list(extra_args or []), dict(os.environ))
    argv = [
        f"--ServerApp.root_dir={root}",
        f"--ServerApp.ip={ip}",
        f"--ServerApp.port={port}",
        f"--ServerApp.open_browser={open_browser}",
        f"--LabApp.default_url=/lab/tree/{rel}",
        # Default settings that keep JupyterLab quiet and offline (no news prompt, no update check).
        f"--LabApp.app_settings_dir={JUPYTER_CONFIG_DIR / 'lab-settings'}",
        *token_args,
        *(extra_args or []),
    ]
    if _running_as_root():
        # Containers and CI run as root; Jupyter refuses that unless told it is deliberate.
        argv.append("--ServerApp.allow_root=True")
    config_dirs = [str(JUPYTER_CONFIG_DIR), str(course), os.environ.get("JUPYTER_CONFIG_PATH")]
    if not tutor:
        config_dirs.insert(0, str(LEARNER_CONFIG_DIR))
    config_path = os.pathsep.join(p for p in config_dirs if p)
    # QI Lab's own JupyterLab plugin (qilab/labextension, prebuilt) lives in jupyter_data.
    data_path = os.pathsep.join(
        p for p in (str(paths.JUPYTER_DATA_DIR), os.environ.get("JUPYTER_PATH")) if p
    )
    env = {
        "JUPYTER_CONFIG_PATH": config_path,
        "JUPYTER_PATH": data_path,
        # Kernels import the course while they start, not when the learner clicks Run All.
        "PYTHONSTARTUP": str(JUPYTER_CONFIG_DIR / "kernel_startup.py"),
        "QILAB_ROOT": str(root),
        # nbgrader runs helper programs (alembic) by name: find this environment's first.
        "PATH": os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")]),
    }
    url = f"http://{ip}:{port}/lab/tree/{rel}"
    return LabLaunch(argv=argv, env=env, url=f"{url}?token={token}" if token else url)


def serve(launch: LabLaunch) -> None:
    """Run JupyterLab in this process until it is stopped (Ctrl-C)."""
    os.environ.update(launch.env)
    from jupyterlab.labapp import LabApp

    LabApp.launch_instance(argv=launch.argv)
