"""Where the course lives on disk.

Content (``curriculum/``, ``assignments/``, ``datasets/``) sits in the repository, not inside
the installed package, so commands need the project root. It is found, in order, from:

1. the ``QILAB_ROOT`` environment variable (an academy's own copy of the course),
2. the current directory or one of its parents holding ``curriculum/`` and ``pyproject.toml``,
3. the checkout this package was installed from in editable mode.
"""

from __future__ import annotations

import os
from pathlib import Path

from qilab.errors import QilabError

#: Jupyter data QI Lab ships (the offline Voila template ``qilab``); put it on ``JUPYTER_PATH``.
JUPYTER_DATA_DIR = Path(__file__).resolve().parent / "jupyter_data"


class CourseNotFoundError(QilabError):
    """No QI Lab course folder could be found."""


def _is_root(path: Path) -> bool:
    return (path / "curriculum").is_dir() and (path / "pyproject.toml").is_file()


def project_root() -> Path:
    """Return the folder that holds ``curriculum/``, ``assignments/`` and ``datasets/``."""
    env = os.environ.get("QILAB_ROOT")
    if env:
        root = Path(env).expanduser().resolve()
        if not _is_root(root):
            raise CourseNotFoundError(
                f"QILAB_ROOT={env} has no curriculum/ folder and pyproject.toml: "
                "point it at a QI Lab checkout, or unset it."
            )
        return root
    here = Path.cwd().resolve()
    for candidate in (here, *here.parents):
        if _is_root(candidate):
            return candidate
    installed_from = Path(__file__).resolve().parent.parent
    if _is_root(installed_from):
        return installed_from
    raise CourseNotFoundError(
        "Cannot find the QI Lab course: run this inside a QI Lab checkout, "
        "or set QILAB_ROOT to one."
    )


def curriculum_dir() -> Path:
    return project_root() / "curriculum"


def assignments_dir() -> Path:
    return project_root() / "assignments"


def state_dir() -> Path:
    """Local, untracked state: the SQLite gradebook, the nbgrader exchange, caches."""
    path = project_root() / ".qilab"
    path.mkdir(exist_ok=True)
    return path
